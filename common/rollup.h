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

/* Sums are kept exactly, as integers of millionths, while every value
 * is a decimal of at most 6 places (the usual case: gauges with two
 * decimals, counters); so a sum folded from stored buckets equals the
 * sum of the points, to the bit.  Otherwise a compensated double sum. */
__extension__ typedef __int128 dmd_i128;

struct dmd_rollup {
	int64_t		 t;		/* bucket start */
	double		 min, max, sum, comp;	/* comp: sum's error */
	dmd_i128	 isum;		/* exact sum in millionths */
	int		 inexact;	/* isum does not hold the sum */
	uint64_t	 count;
};

/* The sum of a bucket. */
double dmd_rollup_sum(const struct dmd_rollup *b);

/* The start of the bucket of res seconds, aligned to the epoch, that
 * holds t (a true floor for negative times too). */
int64_t dmd_bucket_start(int64_t t, int64_t res);

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
