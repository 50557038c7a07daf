/*
 * cache_redis.c - the cache tier on one Redis server (see cache_redis.h).
 *
 * Layout (DESIGN.md section 6).  Series are spread over DMD_SHARDS shards
 * by dmd_name_hash(); every key of a shard carries the shard as a hash
 * tag, so a shard lives in one Redis Cluster slot and scripts that touch
 * a series and its shard's sets stay single-slot:
 *
 *   dmd:{s0421}:n        SET of names; a name goes in the set of the shard
 *                        of its first dot-separated component, so the
 *                        names of one host share a set (pattern listing)
 *   dmd:{s0421}:due      ZSET, name -> oldest cached time (for dmd-flush)
 *   dmd:{s0421}:cnt      HASH, name -> points written since last flushed
 *   dmd:{s0421}:c:NAME   LIST of blocks (block.h), one per series per batch
 *
 * and the keys of flushing (cache_redis_flush.c).  A batch costs one SADD
 * per name set and one ZADD per shard it touches plus an RPUSH and an
 * HINCRBY per series, all in one pipeline.  The name sets are written
 * before the blocks, so a writer killed between the two leaves at worst a
 * name with no points, never points that no query can find; the due sets
 * after them (see redis_put).  A list keeps blocks in the order Redis
 * received them, which is what "the value written last wins" means; a
 * block is written once, sealed with the codec at its exact size (strings
 * grown by APPEND waste 20-34 bytes per point).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include <hiredis/hiredis.h>

#include "block.h"
#include "cache.h"
#include "cache_redis.h"
#include "cache_redis_int.h"
#include "url.h"
#include "xmalloc.h"

#define CONNECT_TIMEOUT_MS	2000
#define COMMAND_TIMEOUT_MS	30000

void
dmd_rc_seterr(struct redis_cache *rc, int err, const char *fmt,
    const char *detail)
{
	rc->base.err = err;
	snprintf(rc->base.errstr, sizeof(rc->base.errstr), fmt, detail);
	dmd_cache_stats_error(&rc->base.stats);
}

void
dmd_rc_drop(struct redis_cache *rc)
{
	if (rc->ctx != NULL)
		redisFree(rc->ctx);
	rc->ctx = NULL;
}

double
dmd_rc_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int
dmd_rc_connect(struct redis_cache *rc)
{
	struct timeval ct = { CONNECT_TIMEOUT_MS / 1000,
	    (CONNECT_TIMEOUT_MS % 1000) * 1000 };
	struct timeval tv = { COMMAND_TIMEOUT_MS / 1000, 0 };
	redisReply *r;

	if (rc->ctx != NULL)
		return 0;
	if (rc->path[0] != '\0')
		rc->ctx = redisConnectUnixWithTimeout(rc->path, ct);
	else
		rc->ctx = redisConnectWithTimeout(rc->host, rc->port, ct);
	if (rc->ctx == NULL || rc->ctx->err) {
		dmd_rc_seterr(rc, DMD_ERR_IO, "cannot connect to redis: %s",
		    rc->ctx ? rc->ctx->errstr : "out of memory");
		dmd_rc_drop(rc);
		return -1;
	}
	redisSetTimeout(rc->ctx, tv);
	if (rc->db != 0) {
		r = redisCommand(rc->ctx, "SELECT %d", rc->db);
		if (r == NULL || r->type == REDIS_REPLY_ERROR) {
			dmd_rc_seterr(rc, r ? DMD_ERR_CONFIG : DMD_ERR_IO,
			    "redis SELECT failed: %s",
			    r ? r->str : rc->ctx->errstr);
			if (r != NULL)
				freeReplyObject(r);
			dmd_rc_drop(rc);
			return -1;
		}
		freeReplyObject(r);
	}
	return 0;
}

/* Read ncmd replies of a pipeline.  A connection error drops the
 * connection (the next call reconnects); error replies are all read, so
 * the connection stays usable, and the first is reported.  With keep,
 * replies are stored in keep[] for the caller to free. */
int
dmd_rc_replies(struct redis_cache *rc, size_t ncmd, redisReply **keep,
    double started)
{
	redisReply *r;
	size_t i;
	int rv = 0;

	for (i = 0; i < ncmd; i++) {
		if (redisGetReply(rc->ctx, (void **)&r) != REDIS_OK) {
			dmd_rc_seterr(rc, DMD_ERR_IO, "redis: %s", rc->ctx->errstr[0] ?
			    rc->ctx->errstr : "connection lost");
			dmd_rc_drop(rc);
			if (keep != NULL)
				while (i-- > 0)
					freeReplyObject(keep[i]);
			return -1;
		}
		if (r->type == REDIS_REPLY_ERROR && rv == 0) {
			dmd_rc_seterr(rc, DMD_ERR_REPLY, "redis: %s", r->str);
			rv = -1;
		}
		if (keep != NULL)
			keep[i] = r;
		else
			freeReplyObject(r);
	}
	dmd_cache_stats_count(&rc->base.stats, ncmd, dmd_rc_now() - started);
	if (rv != 0 && keep != NULL)
		for (i = 0; i < ncmd; i++)
			freeReplyObject(keep[i]);
	return rv;
}

void
dmd_rc_grow_argv(struct redis_cache *rc, size_t n)
{
	size_t cap = rc->argcap;

	rc->argv = xgrow(rc->argv, &cap, n, sizeof(*rc->argv));
	cap = rc->argcap;
	rc->argvlen = xgrow(rc->argvlen, &cap, n, sizeof(*rc->argvlen));
	rc->argcap = cap;
}

size_t
dmd_rc_key_len(size_t namelen)
{
	return sizeof("dmd:{s0000}:c:") - 1 + namelen;
}

size_t
dmd_rc_series_key(char *out, int kind, uint32_t hash, const char *name,
    size_t namelen)
{
	size_t n = (size_t)sprintf(out, "dmd:{s%04u}:%c:",
	    (unsigned)(hash % DMD_SHARDS), kind);

	memcpy(out + n, name, namelen);
	return n + namelen;
}

uint32_t
dmd_rc_names_shard(const char *name, size_t len)
{
	return dmd_name_hash(name, dmd_name_first(name, len)) % DMD_SHARDS;
}

/* rc->order = 0..n-1 sorted (stably) by shard[i]: a counting sort. */
static void
shard_order(struct redis_cache *rc, size_t n, const uint32_t *shard)
{
	uint32_t *count = rc->count;
	size_t i;

	memset(rc->count, 0, sizeof(rc->count));
	for (i = 0; i < n; i++)
		count[shard[i] + 1]++;
	for (i = 1; i <= DMD_SHARDS; i++)
		count[i] += count[i - 1];
	for (i = 0; i < n; i++)
		rc->order[count[shard[i]]++] = (uint32_t)i;
}

static int
redis_put(struct dmd_cache *c, struct dmd_batch *b)
{
	struct redis_cache *rc = (struct redis_cache *)c;
	uint32_t *order;
	size_t i, j, need, off, ncmd = 0, argc;
	char shardkey[32], score[24];
	char *scores;
	double t0;

	if (b->nseries == 0)
		return 0;
	if (dmd_rc_connect(rc) != 0)
		return -1;
	t0 = dmd_rc_now();

	rc->order = xgrow(rc->order, &rc->ordercap, b->nseries,
	    sizeof(*rc->order));
	rc->nshard = xgrow(rc->nshard, &rc->nshardcap, b->nseries,
	    sizeof(*rc->nshard));
	order = rc->order;

	/* One buffer for scores, keys and blocks, laid out in advance so
	 * argv can point into it. */
	need = b->nseries * 24;
	for (i = 0; i < b->nseries; i++)
		need += dmd_rc_key_len(b->series[i].namelen) +
		    dmd_block_bound(b->series[i].n);
	rc->buf = xgrow(rc->buf, &rc->bufcap, need, 1);
	scores = rc->buf;
	off = b->nseries * 24;
	dmd_rc_grow_argv(rc, 3 + 2 * b->nseries);

	/* Names in name-set shard order: one SADD per shard. */
	for (i = 0; i < b->nseries; i++)
		rc->nshard[i] = dmd_rc_names_shard(b->series[i].name,
		    b->series[i].namelen);
	shard_order(rc, b->nseries, rc->nshard);
	for (i = 0; i < b->nseries; i = j) {
		uint32_t shard = rc->nshard[order[i]];
		size_t k;

		for (j = i; j < b->nseries && rc->nshard[order[j]] == shard;
		    j++)
			;
		argc = 0;
		rc->argv[argc] = "SADD";
		rc->argvlen[argc++] = 4;
		snprintf(shardkey, sizeof(shardkey), "dmd:{s%04u}:n",
		    (unsigned)shard);
		rc->argv[argc] = shardkey;
		rc->argvlen[argc++] = strlen(shardkey);
		for (k = i; k < j; k++) {
			rc->argv[argc] = b->series[order[k]].name;
			rc->argvlen[argc++] = b->series[order[k]].namelen;
		}
		redisAppendCommandArgv(rc->ctx, argc, rc->argv, rc->argvlen);
		ncmd++;
	}

	for (i = 0; i < b->nseries; i++) {
		const struct dmd_batch_series *s = &b->series[i];
		char *key = rc->buf + off;
		size_t klen = dmd_rc_series_key(key, 'c', s->hash, s->name,
		    s->namelen);
		char *blk = key + klen;
		size_t blen = dmd_block_encode(s->samples, s->n, blk);

		off += klen + blen;
		rc->argv[0] = "RPUSH";
		rc->argvlen[0] = 5;
		rc->argv[1] = key;
		rc->argvlen[1] = klen;
		rc->argv[2] = blk;
		rc->argvlen[2] = blen;
		redisAppendCommandArgv(rc->ctx, 3, rc->argv, rc->argvlen);
		/* cached points per series, for dmd-flush --min-points */
		redisAppendCommand(rc->ctx, "HINCRBY dmd:{s%04u}:cnt %b %llu",
		    (unsigned)(s->hash % DMD_SHARDS), s->name, s->namelen,
		    (unsigned long long)s->n);
		ncmd += 2;
	}
	/* Then the due sets, one ZADD per shard: after the blocks, so a
	 * flush that freezes the series in between finds it due again
	 * (and at worst nothing to move), never points not listed due. */
	for (i = 0; i < b->nseries; i++)
		rc->nshard[i] = b->series[i].hash % DMD_SHARDS;
	shard_order(rc, b->nseries, rc->nshard);
	for (i = 0; i < b->nseries; i = j) {
		uint32_t shard = rc->nshard[order[i]];
		size_t k;

		for (j = i; j < b->nseries && rc->nshard[order[j]] == shard;
		    j++)
			;
		argc = 0;
		rc->argv[argc] = "ZADD";
		rc->argvlen[argc++] = 4;
		snprintf(shardkey, sizeof(shardkey), "dmd:{s%04u}:due",
		    (unsigned)shard);
		rc->argv[argc] = shardkey;
		rc->argvlen[argc++] = strlen(shardkey);
		/* LT: a series already due keeps the older time */
		rc->argv[argc] = "LT";
		rc->argvlen[argc++] = 2;
		for (k = i; k < j; k++) {
			const struct dmd_batch_series *s = &b->series[order[k]];
			char *sc = scores + 24 * order[k];

			snprintf(score, sizeof(score), "%lld",
			    (long long)s->tmin);
			memcpy(sc, score, strlen(score) + 1);
			rc->argv[argc] = sc;
			rc->argvlen[argc++] = strlen(sc);
			rc->argv[argc] = s->name;
			rc->argvlen[argc++] = s->namelen;
		}
		redisAppendCommandArgv(rc->ctx, argc, rc->argv, rc->argvlen);
		ncmd++;
	}

	return dmd_rc_replies(rc, ncmd, NULL, t0);
}

static int
redis_names(struct dmd_cache *c, const char *first, size_t firstlen,
    dmd_name_cb *cb, void *arg)
{
	struct redis_cache *rc = (struct redis_cache *)c;
	redisReply **replies;
	size_t i, k, nq, flen;
	uint32_t one = 0;
	int rv = 0;
	double t0;

	if (dmd_rc_connect(rc) != 0)
		return -1;
	t0 = dmd_rc_now();
	/* the names of one first component all live in one set */
	if (first != NULL)
		one = dmd_name_hash(first, firstlen) % DMD_SHARDS;
	nq = first != NULL ? 1 : DMD_SHARDS;
	for (i = 0; i < nq; i++)
		redisAppendCommand(rc->ctx, "SMEMBERS dmd:{s%04u}:n",
		    (unsigned)(first != NULL ? one : i));
	replies = xcalloc(nq, sizeof(*replies));
	if (dmd_rc_replies(rc, nq, replies, t0) != 0) {
		free(replies);
		return -1;
	}
	for (i = 0; i < nq; i++) {
		redisReply *r = replies[i];

		if (rv == 0 && r->type == REDIS_REPLY_ARRAY) {
			for (k = 0; k < r->elements && rv == 0; k++) {
				const redisReply *e = r->element[k];

				if (e->type != REDIS_REPLY_STRING)
					continue;
				flen = dmd_name_first(e->str, e->len);
				if (first == NULL || (flen == firstlen &&
				    memcmp(e->str, first, flen) == 0))
					rv = cb(arg, e->str, e->len);
			}
		} else if (rv == 0) {
			dmd_rc_seterr(rc, DMD_ERR_REPLY, "redis: %s",
			    "unexpected reply to SMEMBERS");
			rv = -1;
		}
		freeReplyObject(r);
	}
	free(replies);
	return rv < 0 && c->err != DMD_ERR_NONE ? -1 : 0;
}

/* Both lists of a series in one atomic step: a flush that freezes or
 * finishes between two separate reads could hide its points from both. */
static const char read_script[] =
    "return {redis.call('LRANGE', KEYS[1], 0, -1),"
    " redis.call('LRANGE', KEYS[2], 0, -1)}";

/* Decode the blocks of reply r (an array of blocks) onto the samples. */
static int
decode_blocks(struct redis_cache *rc, const redisReply *r, int64_t from,
    int64_t until, size_t *ns)
{
	size_t k;

	if (r->type != REDIS_REPLY_ARRAY)
		return -1;
	for (k = 0; k < r->elements; k++)
		if (r->element[k]->type != REDIS_REPLY_STRING ||
		    dmd_block_decode(r->element[k]->str, r->element[k]->len,
		    from, until, &rc->samples, ns, &rc->samplecap) != 0)
			return -1;
	return 0;
}

static int
redis_read(struct dmd_cache *c, const char *const *names, size_t n,
    int64_t from, int64_t until, dmd_series_cb *cb, void *arg)
{
	struct redis_cache *rc = (struct redis_cache *)c;
	char fkey[sizeof("dmd:{s0000}:f:") + DMD_NAME_MAX + 1];
	char ckey[sizeof("dmd:{s0000}:c:") + DMD_NAME_MAX + 1];
	redisReply *r;
	size_t i, ns;
	int rv = 0;
	double t0;

	if (n == 0)
		return 0;
	if (dmd_rc_connect(rc) != 0)
		return -1;
	t0 = dmd_rc_now();
	for (i = 0; i < n; i++) {
		size_t len = strlen(names[i]), fl, cl;
		uint32_t h;

		if (len > DMD_NAME_MAX)
			len = DMD_NAME_MAX;
		h = dmd_name_hash(names[i], len);
		fl = dmd_rc_series_key(fkey, 'f', h, names[i], len);
		cl = dmd_rc_series_key(ckey, 'c', h, names[i], len);
		redisAppendCommand(rc->ctx, "EVAL %s 2 %b %b", read_script,
		    fkey, fl, ckey, cl);
	}
	for (i = 0; i < n; i++) {
		if (redisGetReply(rc->ctx, (void **)&r) != REDIS_OK) {
			dmd_rc_seterr(rc, DMD_ERR_IO, "redis: %s",
			    rc->ctx->errstr);
			dmd_rc_drop(rc);
			return -1;
		}
		if (rv != 0) {
			freeReplyObject(r);
			continue;
		}
		if (r->type == REDIS_REPLY_ERROR) {
			dmd_rc_seterr(rc, DMD_ERR_REPLY, "redis: %s", r->str);
			rv = -1;
			freeReplyObject(r);
			continue;
		}
		ns = 0;
		/* frozen first: everything live was written after it */
		if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
		    decode_blocks(rc, r->element[0], from, until, &ns) != 0 ||
		    decode_blocks(rc, r->element[1], from, until, &ns) != 0) {
			dmd_rc_seterr(rc, DMD_ERR_DATA,
			    "corrupt block in series \"%s\"", names[i]);
			rv = -1;
		}
		freeReplyObject(r);
		if (rv == 0 && ns > 0) {
			ns = dmd_samples_resolve(rc->samples, ns);
			if (cb(arg, names[i], rc->samples, ns) != 0)
				rv = 1;	/* stop quietly; keep draining */
		}
	}
	dmd_cache_stats_count(&c->stats, n, dmd_rc_now() - t0);
	return rv < 0 ? -1 : 0;
}

static void
redis_close(struct dmd_cache *c)
{
	struct redis_cache *rc = (struct redis_cache *)c;

	dmd_rc_drop(rc);
	free(rc->buf);
	free(rc->argv);
	free(rc->argvlen);
	free(rc->order);
	free(rc->nshard);
	free(rc->samples);
	free(rc);
}

/* The number after "field:" in an INFO reply, or 0. */
static double
info_field(const char *info, const char *field)
{
	size_t n = strlen(field);
	const char *p = info;

	while ((p = strstr(p, field)) != NULL) {
		if ((p == info || p[-1] == '\n') && p[n] == ':')
			return strtod(p + n + 1, NULL);
		p += n;
	}
	return 0;
}

static int
redis_health(struct dmd_cache *c, struct dmd_cache_health *h)
{
	struct redis_cache *rc = (struct redis_cache *)c;
	redisReply **r;
	size_t i, ncmd = 1 + 2 * DMD_SHARDS;
	int rv = 0;

	memset(h, 0, sizeof(*h));
	h->oldest = INT64_MAX;
	if (dmd_rc_connect(rc) != 0)
		return -1;
	redisAppendCommand(rc->ctx, "INFO");
	for (i = 0; i < DMD_SHARDS; i++) {
		redisAppendCommand(rc->ctx, "ZCARD dmd:{s%04u}:due",
		    (unsigned)i);
		redisAppendCommand(rc->ctx, "ZRANGE dmd:{s%04u}:due 0 0 "
		    "WITHSCORES", (unsigned)i);
	}
	r = xcalloc(ncmd, sizeof(*r));
	if (dmd_rc_replies(rc, ncmd, r, dmd_rc_now()) != 0) {
		free(r);
		return -1;
	}
	if (r[0]->type == REDIS_REPLY_STRING) {
		h->used_memory = info_field(r[0]->str, "used_memory");
		h->ops_per_sec = info_field(r[0]->str,
		    "instantaneous_ops_per_sec");
		h->cpu_seconds = info_field(r[0]->str, "used_cpu_sys") +
		    info_field(r[0]->str, "used_cpu_user");
		h->clients = info_field(r[0]->str, "connected_clients");
	} else {
		dmd_rc_seterr(rc, DMD_ERR_REPLY, "redis: %s",
		    "unexpected reply to INFO");
		rv = -1;
	}
	for (i = 0; i < DMD_SHARDS && rv == 0; i++) {
		redisReply *card = r[1 + 2 * i], *first = r[2 + 2 * i];

		if (card->type == REDIS_REPLY_INTEGER)
			h->due_series += (double)card->integer;
		if (first->type == REDIS_REPLY_ARRAY && first->elements == 2 &&
		    first->element[1]->type == REDIS_REPLY_STRING) {
			int64_t t = strtoll(first->element[1]->str, NULL, 10);

			if (t < h->oldest)
				h->oldest = t;
		}
	}
	for (i = 0; i < ncmd; i++)
		freeReplyObject(r[i]);
	free(r);
	return rv;
}

static const struct dmd_cache_ops redis_ops = {
	redis_put, redis_names, redis_read, redis_close,
	dmd_rc_claim, dmd_rc_release, dmd_rc_due, dmd_rc_freeze, dmd_rc_take,
	dmd_rc_finish, redis_health
};

struct dmd_cache *
dmd_cache_redis_open(const struct dmd_url *u, char *err, size_t errlen)
{
	struct redis_cache *rc;
	char dbs[16];
	const char *errstr = NULL;
	long db = 0;
	char *e;

	if (strcmp(u->scheme, "unix") == 0) {
		if (u->path[0] != '/' || u->host[0] != '\0') {
			snprintf(err, errlen, "unix URL needs an absolute "
			    "path: unix:///PATH");
			return NULL;
		}
		if (dmd_url_param(u, "db", dbs, sizeof(dbs)) == 0)
			errstr = dbs;
	} else {
		if (u->host[0] == '\0') {
			snprintf(err, errlen, "redis URL needs a host");
			return NULL;
		}
		if (u->path[0] != '\0' && strcmp(u->path, "/") != 0)
			errstr = u->path + 1;
	}
	if (errstr != NULL) {
		db = strtol(errstr, &e, 10);
		if (*errstr == '\0' || *e != '\0' || db < 0 || db > 65535) {
			snprintf(err, errlen, "bad redis database \"%s\"",
			    errstr);
			return NULL;
		}
	}
	rc = xcalloc(1, sizeof(*rc));
	rc->base.ops = &redis_ops;
	rc->db = (int)db;
	if (strcmp(u->scheme, "unix") == 0)
		snprintf(rc->path, sizeof(rc->path), "%s", u->path);
	else {
		snprintf(rc->host, sizeof(rc->host), "%s", u->host);
		rc->port = u->port ? u->port : 6379;
	}
	return &rc->base;
}
