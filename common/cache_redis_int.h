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

/* A server: the one, or a master of the cluster. */
struct rc_node {
	char		 host[256];
	int		 port;
	char		 path[DMD_URL_MAX];	/* unix socket, or "" */
	redisContext	*ctx;			/* NULL: not connected */
};

/* A command queued for a cluster node. */
struct rc_cmd {
	char		*buf;		/* formatted (RESP) */
	size_t		 len;
	int		 slot;		/* -1: to node */
	int		 node;
};

struct redis_cache {
	struct dmd_cache base;
	int		 db;
	char		 user[128];	/* AUTH on connecting, if password */
	char		 password[256];
	/* connections (cache_redis_conn.c) */
	struct rc_node	*nodes;		/* one server: nodes[0] */
	size_t		 nnodes, capnodes;
	size_t		 npending;	/* one server: commands sent */
	int		 cluster;
	int		 stale;		/* reload the slot map first */
	uint16_t	*slots;		/* slot -> node + 1 */
	size_t		*masters;	/* nodes that own slots */
	size_t		 nmasters, capmasters;
	char		 seeds[DMD_URL_MAX];
	size_t		 next_seed;
	struct rc_cmd	*q;		/* cluster: commands queued */
	size_t		 nq, capq;
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
/* Drop the connections; the next call reconnects. */
void	 dmd_rc_drop(struct redis_cache *);
double	 dmd_rc_now(void);
/* Connect if not connected (a cluster: load the slot map if needed).
 * 0, or -1 with the error set. */
int	 dmd_rc_connect(struct redis_cache *);
/* Queue a command on the keys of shard (-1: any server), as
 * redisAppendCommand() / redisAppendCommandArgv() would; or one for
 * node node (0 <= node < dmd_rc_nnodes()). */
void	 dmd_rc_cmd(struct redis_cache *, int shard, const char *fmt, ...);
void	 dmd_rc_cmdv(struct redis_cache *, int shard, int argc,
	    const char **argv, const size_t *argvlen);
void	 dmd_rc_cmd_node(struct redis_cache *, size_t node, const char *fmt,
	    ...);
/* Servers: 1, or the cluster's masters (after dmd_rc_connect()). */
size_t	 dmd_rc_nnodes(const struct redis_cache *);
/* Read the ncmd replies of the commands queued, in queue order
 * (cache_redis_conn.c). */
int	 dmd_rc_replies(struct redis_cache *, size_t ncmd, redisReply **keep,
	    double started);
/* A cluster from "HOST:PORT,HOST:PORT...".  0, or -1 with err set. */
int	 dmd_rc_open_nodes(struct redis_cache *, const char *seeds, char *err,
	    size_t errlen);
void	 dmd_rc_close_nodes(struct redis_cache *);
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
