/*
 * batch.h - a bounded batch of points, grouped per series.
 *
 * Points are added in arrival order (kept, so a spill file replays them
 * as read).  dmd_batch_seal() then groups them per series with a
 * counting sort, sorts each series by time (stable) and drops all but
 * the last point of each time, so a backend writes one block per series
 * per batch: the cost of a cache or table write is per command, not per
 * point (DESIGN.md section 6).
 */
#ifndef DMD_BATCH_H
#define DMD_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include "point.h"

/* One series of a batch. */
struct dmd_batch_series {
	const char	*name;		/* valid after seal, until clear */
	size_t		 nameoff, namelen;
	uint32_t	 hash;		/* dmd_name_hash(name) */
	uint64_t	 thash;		/* hash of the in-memory table */
	size_t		 count;		/* points added */
	struct dmd_sample *samples;	/* after seal: sorted, unique times */
	size_t		 n;
	int64_t		 tmin, tmax;
};

/* A point as added, in arrival order. */
struct dmd_batch_point {
	uint32_t	 series;
	int64_t		 time;
	double		 value;
};

struct dmd_batch {
	struct dmd_batch_series *series;
	size_t		 nseries;
	struct dmd_batch_point *points;
	size_t		 npoints;
	int		 sealed;
	/* private */
	size_t		 capseries, cappoints;
	uint32_t	*table;		/* open addressing: series index + 1 */
	size_t		 tablemask;
	char		*names;
	size_t		 nameslen, namescap;
	struct dmd_sample *samples;
	size_t		 capsamples;
};

/* FNV-1a, 32 bits: the hash that places a series in a cache shard.  It
 * is part of the stored layout: never change it. */
uint32_t dmd_name_hash(const char *name, size_t len);

void dmd_batch_init(struct dmd_batch *b);
/* Free what b holds (not b).  Accepts NULL. */
void dmd_batch_release(struct dmd_batch *b);

/* Add a validated point (its name is copied). */
void dmd_batch_add(struct dmd_batch *b, const struct dmd_point *p);

/* Group per series and resolve duplicates (see above).  Idempotent. */
void dmd_batch_seal(struct dmd_batch *b);

/* Empty the batch, keeping its memory for the next one. */
void dmd_batch_clear(struct dmd_batch *b);

/* Name of a series (NUL-terminated, valid until clear). */
const char *dmd_batch_name(const struct dmd_batch *b, uint32_t series);

#endif
