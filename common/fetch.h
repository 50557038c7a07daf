/*
 * fetch.h - read series from every tier at once and merge them.
 *
 * For a group of series: the cache first, one pipelined round trip for
 * the whole group (live and frozen points), then the table, one thread
 * per series up to a bound, each with its own table handle.  The cache
 * must be read before the table: a flush writes chunks, then drops its
 * frozen copy, so a point missing from a cache read is in the table by
 * the time the table is read.  The other order could miss points that
 * move in between.
 *
 * The archive is read after the table, for the same reason: dmd-archive
 * writes its object before it deletes the chunks.
 *
 * Merging keeps one point per time, the newest write winning: archived
 * points, then table chunks in flush order (their seq), then the cache's
 * frozen points, then its live ones.
 */
#ifndef DMD_FETCH_H
#define DMD_FETCH_H

#include <stddef.h>
#include <stdint.h>

#include "archive.h"
#include "cache.h"
#include "table.h"

#define DMD_FETCH_THREADS	8

struct dmd_fetch_series;

struct dmd_fetch {
	struct dmd_cache *cache;
	struct dmd_table *tables[DMD_FETCH_THREADS];	/* NULL: no table */
	int		 nthreads;
	struct dmd_archive *archives[DMD_FETCH_THREADS];	/* NULL: none */
	struct dmd_aread *areads[DMD_FETCH_THREADS];
	struct dmd_cache_stats table_stats;	/* summed over handles */
	struct dmd_cache_stats archive_stats;
	int64_t		 step;		/* downsample to it, 0: no */
	int		 agg;		/* enum dmd_agg */
	int		 explain;	/* say what was read, on stderr */
	int		 skip_cache;	/* the range is all archived */
	struct dmd_fetch_series *series;
	size_t		 capseries;
	const char	*which;		/* tier of the last failure */
	char		 errstr[DMD_ERRSTR_MAX];
};

/* Read through cache c (owned by the caller), the table at table_url
 * and the archive at archive_url (NULL for none) with up to threads
 * threads.  Returns 0, or -1 (table) or -2 (archive) with a message in
 * err for a bad URL. */
int dmd_fetch_init(struct dmd_fetch *f, struct dmd_cache *c,
    const char *table_url, const char *archive_url, int threads, char *err,
    size_t errlen);

/* Downsample what dmd_fetch_read() returns into buckets of step seconds
 * aligned to the epoch (agg.h); avg, min, max, sum and count come from
 * stored rollups where the archive has them and they are exact. */
void dmd_fetch_set_step(struct dmd_fetch *f, int64_t step, int agg);

/* Call cb for every name either tier knows (with first not NULL, those
 * of that first component), in no particular order and possibly twice.
 * 0, or -1 with f->which and f->errstr set. */
int dmd_fetch_names(struct dmd_fetch *f, const char *first, size_t firstlen,
    dmd_name_cb *cb, void *arg);

/* Read n series (n <= a few hundred: memory holds them all), points in
 * [from, until]; cb is called in the order given for each series with
 * points.  0, or -1 with f->which and f->errstr set. */
int dmd_fetch_read(struct dmd_fetch *f, const char *const *names, size_t n,
    int64_t from, int64_t until, dmd_series_cb *cb, void *arg);

/* Free what f holds (not the cache). */
void dmd_fetch_release(struct dmd_fetch *f);

#endif
