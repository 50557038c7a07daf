/*
 * writer.h - the write path: validated points into the cache, in bounded
 * batches, with retries and a spill file.
 *
 * Every program that stores points (dmd-ingest; later dmd-e2e's probe and
 * dmd-stream's consumer) goes through here, so "nothing lost, nothing
 * silent" is implemented once:
 *  - a batch is sent when it holds batch_max points, or when the caller
 *    sees dmd_writer_deadline() pass (max_delay after its first point);
 *  - a failed send is retried with exponential backoff (100 ms doubling
 *    to 2 s) for retry_for; the batch stays in memory meanwhile;
 *  - past that budget the batch, and every batch after it, is written as
 *    NDJSON to the spill file and fsync'd, so `dmd-ingest < SPILL` stores
 *    it later.
 * A sender thread stores one batch while the caller fills the next, so
 * parsing overlaps the backend's round trips; counters and the cache
 * belong to that thread until dmd_writer_finish().  The writer never
 * prints: it reports through the notice callback (called from the
 * sender thread).
 */
#ifndef DMD_WRITER_H
#define DMD_WRITER_H

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>

#include "batch.h"
#include "cache.h"

typedef void dmd_writer_notice(void *arg, const char *msg);

/* What the writer did over some time: see dmd_writer_take(). */
struct dmd_writer_counts {
	uint64_t	 accepted, spilled, batches, retries;
	struct dmd_cache_stats cache;	/* the cache's requests */
};

struct dmd_writer {
	struct dmd_cache *cache;	/* not owned */
	const char	*tier;		/* its name in notices: "cache" */
	size_t		 batch_max;
	int64_t		 max_delay_ms;
	int64_t		 retry_for_ms;
	char		 spill_path[4096];
	dmd_writer_notice *notice;
	void		*notice_arg;
	volatile int	*stop;		/* set by a signal: stop retrying */

	/* counters */
	uint64_t	 accepted;	/* stored in the cache */
	uint64_t	 spilled;	/* written to the spill file */
	uint64_t	 batches;
	uint64_t	 retries;

	/* error of a failed spill (the one unrecoverable failure) */
	char		 errstr[4096 + 256];

	/* private */
	struct dmd_batch batch[2];	/* one filling, one being sent */
	int		 cur;		/* the one filling */
	int64_t		 first_ms;	/* when it got its first point */
	FILE		*spill;
	int		 spilling;	/* retry budget spent: spill the rest */
	pthread_t	 thread;	/* the sender */
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	struct dmd_batch *pending;	/* handed to the sender */
	int		 quit, failed;
	struct dmd_writer_counts pub;	/* not yet taken (under mu) */
	struct dmd_writer_counts last;	/* the sender's at last publish */
};

/* Set up w to write into cache; the caller then sets the public
 * settings (defaults: batch_max 250000, max_delay_ms 200, retry_for_ms
 * 30000).  Finish with dmd_writer_finish(). */
void dmd_writer_init(struct dmd_writer *w, struct dmd_cache *cache);

/* Add a validated point; sends the batch when it is full.  Returns 0,
 * or -1 if points could be neither stored nor spilled (errstr says
 * why). */
int dmd_writer_add(struct dmd_writer *w, const struct dmd_point *p);

/* Monotonic time (dmd_mono_ms) by which the batch must be sent, or -1
 * when it is empty. */
int64_t dmd_writer_deadline(const struct dmd_writer *w);

/* Hand the batch to the sender now (it retries, and spills past the
 * budget), waiting for the previous one first.  0, or -1 as for
 * dmd_writer_add() when an earlier batch could not be stored or
 * spilled. */
int dmd_writer_flush(struct dmd_writer *w);

/* Flush and wait until every point added so far is stored (or spilled).
 * 0 or -1. */
int dmd_writer_sync(struct dmd_writer *w);

/* Move what the writer counted since the last call (as of the last
 * batch it finished; after dmd_writer_finish(), everything) into *c.
 * Safe while the sender runs: a long-running program reports every
 * interval with it, and the reports add up to the whole run. */
void dmd_writer_take(struct dmd_writer *w, struct dmd_writer_counts *c);

/* Sync, stop the sender, close the spill file, free the batches.  Read
 * the counters after this.  0 or -1. */
int dmd_writer_finish(struct dmd_writer *w);

#endif
