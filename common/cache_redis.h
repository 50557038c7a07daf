/*
 * cache_redis.h - the cache tier on one Redis server: redis://HOST:PORT[/DB]
 * or unix:///PATH[?db=N].  The key layout is described in cache_redis.c.
 */
#ifndef DMD_CACHE_REDIS_H
#define DMD_CACHE_REDIS_H

#include <stddef.h>

#include "cache.h"
#include "url.h"

/* Number of cache shards.  Part of the stored layout: never change it. */
#define DMD_SHARDS	DMD_CACHE_SHARDS

/* Open a Redis cache for URL u (scheme redis or unix).  Connects lazily.
 * Returns NULL with a message in err for a bad URL. */
struct dmd_cache *dmd_cache_redis_open(const struct dmd_url *u, char *err,
    size_t errlen);

/* Open a Redis Cluster cache: url is redis-cluster://HOST:PORT[,...]
 * (seed nodes; the rest is learned from CLUSTER SLOTS).  Connects
 * lazily.  NULL with a message in err for a bad URL. */
struct dmd_cache *dmd_cache_redis_cluster_open(const char *url, char *err,
    size_t errlen);

#endif
