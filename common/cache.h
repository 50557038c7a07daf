/*
 * cache.h - the cache tier: where fresh points land first.
 *
 * One small interface, a struct of function pointers, with one backend
 * per URL scheme (cache_redis.c for redis:// and unix://; Redis Cluster
 * later).  Programs talk only to this interface.  Backends keep an error
 * code and a bounded message in the struct, hiredis-style; they never
 * print and never exit.
 *
 * Semantics every backend keeps:
 *  - put stores a sealed batch: after it returns 0 every point of the
 *    batch is readable.  Re-putting the same batch (a retry after a
 *    failure mid-way) is harmless: the value written last wins.
 *  - read returns each series sorted by time, one sample per time, the
 *    value written last winning.
 */
#ifndef DMD_CACHE_H
#define DMD_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "batch.h"
#include "point.h"

enum dmd_err {
	DMD_ERR_NONE = 0,
	DMD_ERR_IO,		/* cannot reach the backend, or it broke off */
	DMD_ERR_REPLY,		/* the backend refused or answered nonsense */
	DMD_ERR_DATA,		/* stored data is corrupt */
	DMD_ERR_CONFIG,		/* bad URL or setting */
	DMD_ERR_GONE		/* the object or item asked for is gone */
};

#define DMD_ERRSTR_MAX	256

struct dmd_cache;

/* Called once per known name; return 0 to go on, -1 to stop. */
typedef int dmd_name_cb(void *arg, const char *name, size_t len);

/* Called once per series read; samples are owned by the backend and
 * valid during the call.  Return 0 to go on, -1 to stop. */
typedef int dmd_series_cb(void *arg, const char *name,
    const struct dmd_sample *samples, size_t n);

/*
 * Moving series out (dmd-flush).  The cache is split into shards; a
 * flusher claims shards (so two flushers never move the same series),
 * asks which of their series are due, and moves each in three steps:
 * freeze (the live points become a frozen copy, atomically; new points
 * go on landing live), take (read the frozen points), finish (put back
 * the points the flush keeps, then drop the frozen copy).  Readers read
 * live and frozen points, so a point is readable at every moment.  A
 * frozen copy found when a shard is claimed is an interrupted flush: due
 * returns it first (resumed), with the seq and cutoff it was frozen with.
 */
struct dmd_flush_policy {
	int64_t		 now;		/* Unix seconds */
	uint64_t	 min_points;	/* due when written this many */
	int64_t		 max_age;	/* ... or its oldest point waited */
	int64_t		 keep;		/* seconds of newest points kept */
};

struct dmd_flush_item {
	char		 name[DMD_NAME_MAX + 1];
	uint32_t	 shard;
	uint64_t	 count;		/* points written since last flushed */
	int		 resumed;	/* frozen by an interrupted flush */
	int		 gone;		/* freeze found nothing to move */
	uint64_t	 seq;		/* flush sequence, set by freeze */
	int64_t		 cutoff;	/* points before it leave the cache */
	struct dmd_sample *samples;	/* set by take (xgrow'd, item owns) */
	size_t		 n, cap;
};

/* The cache's health, for dmd-query --health. */
struct dmd_cache_health {
	double		 used_memory;	/* bytes */
	double		 ops_per_sec;
	double		 cpu_seconds;	/* the server's, user + system */
	double		 clients;
	double		 due_series;	/* series waiting to be flushed */
	int64_t		 oldest;	/* oldest cached point's time, or
					 * INT64_MAX with none */
};

/* Called once per due series of a claimed shard. */
typedef int dmd_due_cb(void *arg, const struct dmd_flush_item *it);

struct dmd_cache_ops {
	int	(*put)(struct dmd_cache *, struct dmd_batch *);
	int	(*names)(struct dmd_cache *, const char *first, size_t firstlen,
		    dmd_name_cb *, void *);
	int	(*read)(struct dmd_cache *, const char *const *names, size_t n,
		    int64_t from, int64_t until, dmd_series_cb *, void *);
	void	(*close)(struct dmd_cache *);
	/* flushing; see above and dmd_cache_claim() and the rest below */
	int	(*claim)(struct dmd_cache *, uint32_t first, uint32_t n,
		    unsigned char *got);
	int	(*release)(struct dmd_cache *, uint32_t first, uint32_t n,
		    const unsigned char *got);
	int	(*due)(struct dmd_cache *, uint32_t first, uint32_t n,
		    const unsigned char *got, const struct dmd_flush_policy *,
		    dmd_due_cb *, void *);
	int	(*freeze)(struct dmd_cache *, struct dmd_flush_item *, size_t,
		    int64_t cutoff);
	int	(*take)(struct dmd_cache *, struct dmd_flush_item *, size_t);
	int	(*finish)(struct dmd_cache *, struct dmd_flush_item *, size_t);
	int	(*health)(struct dmd_cache *, struct dmd_cache_health *);
};

/* Counters of backend requests, for --stats. */
/* The operations of the tiers' interfaces, for per-operation counters:
 * the interface functions (dmd_cache_put(), dmd_table_get(), ...) set
 * the one under way, and each backend request counts for it. */
enum dmd_op {
	DMD_OP_PUT, DMD_OP_GET, DMD_OP_NAMES, DMD_OP_DEL, DMD_OP_LIST,
	DMD_OP_LOCK, DMD_OP_CLAIM, DMD_OP_RELEASE, DMD_OP_DUE,
	DMD_OP_FREEZE, DMD_OP_TAKE, DMD_OP_FINISH, DMD_OP_HEALTH,
	DMD_OP_NUM
};

/* "put", "get", ... */
extern const char *const dmd_op_names[DMD_OP_NUM];

struct dmd_op_stats {
	uint64_t	 requests;	/* backend round trips */
	uint64_t	 errors;
	double		 seconds;	/* summed latency of round trips */
	double		 max_seconds;
};

/* A backend's request counters: in all, and per operation. */
struct dmd_cache_stats {
	uint64_t	 requests;	/* round trips (pipelines) */
	uint64_t	 commands;
	uint64_t	 errors;
	double		 seconds;	/* summed latency of round trips */
	double		 max_seconds;
	double		 write_units;	/* billed request units (DynamoDB) */
	double		 read_units;
	int		 op;		/* enum dmd_op under way */
	struct dmd_op_stats ops[DMD_OP_NUM];
};

/* Count one request of ncmd commands that took seconds. */
void dmd_cache_stats_count(struct dmd_cache_stats *s, size_t ncmd,
    double seconds);

/* Count a failed request (or a failure after it). */
void dmd_cache_stats_error(struct dmd_cache_stats *s);

/* Add the counts of b to a, and zero b. */
void dmd_cache_stats_move(struct dmd_cache_stats *a,
    struct dmd_cache_stats *b);

struct dmd_cache {
	const struct dmd_cache_ops *ops;
	int		 err;		/* enum dmd_err of the last failure */
	char		 errstr[DMD_ERRSTR_MAX];
	struct dmd_cache_stats stats;
};

/* Open the cache at url.  Connecting may be lazy: the first call reports
 * an unreachable server.  Returns NULL with a message in err (errlen
 * bytes) for a bad URL.  Close with dmd_cache_close(). */
struct dmd_cache *dmd_cache_open(const char *url, char *err, size_t errlen);

/* Store a batch (sealed here if needed).  0, or -1 with c->err set. */
int dmd_cache_put(struct dmd_cache *c, struct dmd_batch *b);

/* Call cb for every known series name, in no particular order; with
 * first not NULL, only for the names whose first dot-separated component
 * is first (firstlen bytes), which a backend finds without a full scan. */
int dmd_cache_names(struct dmd_cache *c, const char *first, size_t firstlen,
    dmd_name_cb *cb, void *arg);

/* Read n series, points in [from, until]; cb is called for each series
 * that has points there, in the order given. */
int dmd_cache_read(struct dmd_cache *c, const char *const *names, size_t n,
    int64_t from, int64_t until, dmd_series_cb *cb, void *arg);

/* Number of shards a flusher can claim. */
#define DMD_CACHE_SHARDS	1024

/* Claim shards [first, first + n) for this process: got[i] is 1 for each
 * claimed, 0 for each another live flusher holds.  A claim left by a dead
 * process of this host is taken over; one of another host lapses after
 * a minute unless renewed by freeze. */
int dmd_cache_claim(struct dmd_cache *c, uint32_t first, uint32_t n,
    unsigned char *got);
int dmd_cache_release(struct dmd_cache *c, uint32_t first, uint32_t n,
    const unsigned char *got);

/* Call cb for every series due in the claimed shards: first the frozen
 * ones of interrupted flushes (resumed, seq and cutoff set), then those
 * whose oldest point is older than keep + max_age, or that were written
 * at least min_points points since they were last flushed of which some
 * are older than keep. */
int dmd_cache_due(struct dmd_cache *c, uint32_t first, uint32_t n,
    const unsigned char *got, const struct dmd_flush_policy *p,
    dmd_due_cb *cb, void *arg);

/* Freeze the live points of each item (a resumed item keeps its frozen
 * copy, seq and cutoff); sets seq and cutoff, or gone when there is
 * nothing to move. */
int dmd_cache_freeze(struct dmd_cache *c, struct dmd_flush_item *it,
    size_t n, int64_t cutoff);

/* Read the frozen points of each item into it->samples, sorted by time,
 * one per time, the value written last winning. */
int dmd_cache_take(struct dmd_cache *c, struct dmd_flush_item *it, size_t n);

/* Put each item's points at or after its cutoff back (older than
 * anything live), then drop the frozen copy. */
int dmd_cache_finish(struct dmd_cache *c, struct dmd_flush_item *it,
    size_t n);

/* Fill h.  0, or -1 with c->err set. */
int dmd_cache_health(struct dmd_cache *c, struct dmd_cache_health *h);

/* Close and free.  Accepts NULL. */
void dmd_cache_close(struct dmd_cache *c);

#endif
