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
	DMD_ERR_CONFIG		/* bad URL or setting */
};

#define DMD_ERRSTR_MAX	256

struct dmd_cache;

/* Called once per known name; return 0 to go on, -1 to stop. */
typedef int dmd_name_cb(void *arg, const char *name, size_t len);

/* Called once per series read; samples are owned by the backend and
 * valid during the call.  Return 0 to go on, -1 to stop. */
typedef int dmd_series_cb(void *arg, const char *name,
    const struct dmd_sample *samples, size_t n);

struct dmd_cache_ops {
	int	(*put)(struct dmd_cache *, struct dmd_batch *);
	int	(*names)(struct dmd_cache *, dmd_name_cb *, void *);
	int	(*read)(struct dmd_cache *, const char *const *names, size_t n,
		    int64_t from, int64_t until, dmd_series_cb *, void *);
	void	(*close)(struct dmd_cache *);
};

/* Counters of backend requests, for --stats. */
struct dmd_cache_stats {
	uint64_t	 requests;	/* round trips (pipelines) */
	uint64_t	 commands;
	uint64_t	 errors;
	double		 seconds;	/* summed latency of round trips */
	double		 max_seconds;
};

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

/* Call cb for every known series name, in no particular order. */
int dmd_cache_names(struct dmd_cache *c, dmd_name_cb *cb, void *arg);

/* Read n series, points in [from, until]; cb is called for each series
 * that has points there, in the order given. */
int dmd_cache_read(struct dmd_cache *c, const char *const *names, size_t n,
    int64_t from, int64_t until, dmd_series_cb *cb, void *arg);

/* Close and free.  Accepts NULL. */
void dmd_cache_close(struct dmd_cache *c);

#endif
