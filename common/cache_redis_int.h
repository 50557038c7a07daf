/*
 * cache_redis_int.h - what cache_redis.c shares with cache_redis_flush.c:
 * the handle and its connection helpers.  Not for programs.
 */
#ifndef DMD_CACHE_REDIS_INT_H
#define DMD_CACHE_REDIS_INT_H

#include <stddef.h>
#include <stdint.h>

#include <hiredis/hiredis.h>

#include "cache.h"
#include "cache_redis.h"
#include "url.h"

struct redis_cache {
	struct dmd_cache base;
	char		 host[256];
	int		 port;
	char		 path[DMD_URL_MAX];	/* unix socket, or "" */
	int		 db;
	redisContext	*ctx;
	/* scratch kept between calls */
	char		*buf;		/* keys and blocks of a batch */
	size_t		 bufcap;
	const char	**argv;
	size_t		*argvlen;
	size_t		 argcap;
	uint32_t	*order;
	size_t		 ordercap;
	uint32_t	*nshard;	/* a shard per series of a batch */
	size_t		 nshardcap;
	uint32_t	 count[DMD_SHARDS + 1];
	struct dmd_sample *samples;
	size_t		 samplecap;
	char		 owner[320];	/* "HOST PID NONCE" of shard claims */
};

/* Record a failure: err is an enum dmd_err, fmt has one %s for detail. */
void	 dmd_rc_seterr(struct redis_cache *, int err, const char *fmt,
	    const char *detail);
/* Drop the connection; the next call reconnects. */
void	 dmd_rc_drop(struct redis_cache *);
double	 dmd_rc_now(void);
/* Connect if not connected.  0, or -1 with the error set. */
int	 dmd_rc_connect(struct redis_cache *);
/* Read the ncmd replies of a pipeline (see cache_redis.c). */
int	 dmd_rc_replies(struct redis_cache *, size_t ncmd, redisReply **keep,
	    double started);
void	 dmd_rc_grow_argv(struct redis_cache *, size_t n);
/* The shard of the name set that holds name: that of its first
 * component, so the names of one host share a set. */
uint32_t dmd_rc_names_shard(const char *name, size_t len);
/* Bytes of the key of a series of namelen bytes. */
size_t	 dmd_rc_key_len(size_t namelen);
/* Write the key dmd:{sNNNN}:KIND:NAME to out (kind 'c' live, 'f' frozen);
 * returns its length. */
size_t	 dmd_rc_series_key(char *out, int kind, uint32_t hash,
	    const char *name, size_t namelen);

/* The flush operations (cache_redis_flush.c). */
int	 dmd_rc_claim(struct dmd_cache *, uint32_t, uint32_t, unsigned char *);
int	 dmd_rc_release(struct dmd_cache *, uint32_t, uint32_t,
	    const unsigned char *);
int	 dmd_rc_due(struct dmd_cache *, uint32_t, uint32_t,
	    const unsigned char *, const struct dmd_flush_policy *,
	    dmd_due_cb *, void *);
int	 dmd_rc_freeze(struct dmd_cache *, struct dmd_flush_item *, size_t,
	    int64_t);
int	 dmd_rc_take(struct dmd_cache *, struct dmd_flush_item *, size_t);
int	 dmd_rc_finish(struct dmd_cache *, struct dmd_flush_item *, size_t);

#endif
