/*
 * rollup.h - stored rollups: per bucket of a fixed resolution, the min,
 * max, sum and count of a series' points, so that avg (sum / count), min,
 * max, sum and count of any coarser bucket made of whole buckets are
 * exact, without the points.
 *
 * A rollup block (in archive objects, aobj.h) is four codec chunks with
 * the bucket starts as times, each after its length as a varint: min,
 * max, sum, count.
 */
#ifndef DMD_ROLLUP_H
#define DMD_ROLLUP_H

#include <stddef.h>
#include <stdint.h>

#include "point.h"

struct dmd_rollup {
	int64_t		 t;		/* bucket start */
	double		 min, max, sum, comp;	/* comp: sum's error */
	uint64_t	 count;
};

/* Fold n samples (sorted, unique times) into buckets of res seconds
 * aligned to the epoch; out has room for n.  Returns the buckets. */
size_t dmd_rollup_make(const struct dmd_sample *s, size_t n, int64_t res,
    struct dmd_rollup *out);

/* Fold rollups (sorted by t) in place into buckets of step seconds, a
 * multiple of their resolution.  Returns the buckets left. */
size_t dmd_rollup_fold(struct dmd_rollup *r, size_t n, int64_t step);

/* Add one sample to a bucket (count 0 starts it). */
void dmd_rollup_add(struct dmd_rollup *b, double v);

/* Merge bucket b into a (same bucket, disjoint points). */
void dmd_rollup_merge(struct dmd_rollup *a, const struct dmd_rollup *b);

/* Room a rollup block of n buckets needs. */
size_t dmd_rollup_bound(size_t n);
size_t dmd_rollup_encode(const struct dmd_rollup *r, size_t n,
    unsigned char *out);
/* Decode a block into out (cap buckets).  Returns the buckets, or -1 if
 * it is malformed. */
long dmd_rollup_decode(const unsigned char *in, size_t len,
    struct dmd_rollup *out, size_t cap);

#endif
