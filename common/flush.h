/*
 * flush.h - move points from the cache tier to the table tier.
 *
 * The cache's shards are visited in groups.  A group is claimed (a
 * second flusher skips what the first holds, so they split the work and
 * never touch one series together), its interrupted flushes are finished
 * first, then its due series are moved in sub-batches of bounded points:
 * freeze, take, encode into chunks, verify that each chunk decodes to
 * exactly its points (else store it raw), put the chunks durably, then finish (drop the
 * frozen copy, put back what --keep keeps).  Copy, verify, delete: a
 * flusher killed at any step leaves points readable in the cache, the
 * table or both, and the next run finishes the job under the same keys.
 */
#ifndef DMD_FLUSH_H
#define DMD_FLUSH_H

#include <stddef.h>
#include <stdint.h>

#include "cache.h"
#include "table.h"

#define DMD_CHUNK_POINTS	1440	/* at most, per chunk */
#define DMD_CHUNK_BYTES		4096	/* split chunks bigger than this */

struct dmd_flush_opts {
	struct dmd_flush_policy policy;	/* what is due; keep in there */
	uint64_t	 limit;		/* series per run, 0 = all */
};

struct dmd_flush_counts {
	uint64_t	 series;	/* series moved */
	uint64_t	 resumed;	/* ... of them interrupted before */
	uint64_t	 points;	/* points written to the table */
	uint64_t	 kept;		/* points put back into the cache */
	uint64_t	 chunks;
	uint64_t	 bytes;		/* encoded chunk bytes */
	uint64_t	 shards_busy;	/* held by another flusher */
	uint64_t	 raw_chunks;	/* stored raw: the codec failed its check */
};

/* Flush what is due.  Returns 0, or -1 with the failing tier's message
 * in err (errlen bytes) and *which set to "cache" or "table". */
int dmd_flush_run(struct dmd_cache *c, struct dmd_table *t,
    const struct dmd_flush_opts *o, struct dmd_flush_counts *n,
    const char **which, char *err, size_t errlen);

#endif
