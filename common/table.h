/*
 * table.h - the table tier: compressed chunks of older points.
 *
 * A table holds items, each one chunk of one series (a block, block.h:
 * codec-compressed, or raw when the codec failed its check), keyed by
 * (name, first time, seq).  seq is the flush sequence of the flush that
 * wrote the chunk: it makes the key unique, so a late flush of the same
 * series and time range never overwrites an older chunk, and it orders
 * chunks, so a reader merges overlapping chunks with the higher seq
 * winning.  This is the shape of a DynamoDB item (partition key = name,
 * sort key = first time and seq; at most a few KB; written 25 at a time)
 * and every backend keeps it.  A writer never puts two chunks with the
 * same (name, first, seq) but another last (a flush chunks the same
 * points the same way), so a backend may keep last in its key too (the
 * file backend does, to skip chunks by name): del takes all four.
 *
 *  - put stores chunks durably: after it returns 0 they survive a crash.
 *    Putting a chunk again under the same key replaces it (a retried
 *    flush writes the same bytes).
 *  - get calls back with every chunk of a series whose [first, last]
 *    overlaps [from, until], in no particular order.
 *  - del removes chunks by key; a missing chunk is not an error.
 *
 * Backends keep an error code and message in the struct (as cache.h);
 * they never print and never exit.  A handle is not thread-safe: open
 * one per thread.
 */
#ifndef DMD_TABLE_H
#define DMD_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "cache.h"

/* One item of the table.  get fills data/len with bytes valid during the
 * callback; del needs only name, first, last and seq. */
struct dmd_chunk {
	const char	*name;
	int64_t		 first, last;	/* times of the first and last point */
	uint64_t	 seq;
	const unsigned char *data;
	size_t		 len;
};

typedef int dmd_chunk_cb(void *arg, const struct dmd_chunk *c);

/* The table of the programs' embedded default. */
#define DMD_TABLE_DEFAULT	"file:///var/lib/dmd/table"

struct dmd_table;

struct dmd_table_ops {
	int	(*put)(struct dmd_table *, const struct dmd_chunk *, size_t);
	int	(*get)(struct dmd_table *, const char *name, int64_t from,
		    int64_t until, dmd_chunk_cb *, void *);
	int	(*del)(struct dmd_table *, const struct dmd_chunk *, size_t);
	int	(*names)(struct dmd_table *, const char *first, size_t firstlen,
		    dmd_name_cb *, void *);
	void	(*close)(struct dmd_table *);
	int	(*create)(struct dmd_table *);	/* NULL: nothing to do */
};

struct dmd_table {
	const struct dmd_table_ops *ops;
	int		 err;		/* enum dmd_err of the last failure */
	char		 errstr[DMD_ERRSTR_MAX];
	struct dmd_cache_stats stats;	/* requests = calls that hit storage */
};

/* Open the table at url (file://DIR or dynamodb://TABLE?...).  Returns NULL with a message in
 * err for a bad URL. */
struct dmd_table *dmd_table_open(const char *url, char *err, size_t errlen);

/* See above.  Each returns 0, or -1 with t->err and t->errstr set; get
 * and names also stop quietly with 0 when the callback returns nonzero. */
int dmd_table_put(struct dmd_table *t, const struct dmd_chunk *c, size_t n);
int dmd_table_get(struct dmd_table *t, const char *name, int64_t from,
    int64_t until, dmd_chunk_cb *cb, void *arg);
int dmd_table_del(struct dmd_table *t, const struct dmd_chunk *c, size_t n);
/* names: as dmd_cache_names(), first may narrow the listing. */
int dmd_table_names(struct dmd_table *t, const char *first, size_t firstlen,
    dmd_name_cb *cb, void *arg);

/* Create the table's storage if the backend needs that done once (a
 * DynamoDB table); 0 if it exists already or needs nothing. */
int dmd_table_create(struct dmd_table *t);

/* Close and free.  Accepts NULL. */
void dmd_table_close(struct dmd_table *t);

#endif
