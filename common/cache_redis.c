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
		dmd_rc_cmdv(rc, (int)shard, (int)argc, rc->argv, rc->argvlen);
		ncmd++;
	}
	/* A cluster pipelines per node, and nodes do not keep each other's
	 * order: the names must be stored before any block (see above), so
	 * they take a round trip of their own there. */
	if (rc->cluster) {
		if (dmd_rc_replies(rc, ncmd, NULL, t0) != 0)
			return -1;
		ncmd = 0;
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
		dmd_rc_cmdv(rc, (int)(s->hash % DMD_SHARDS), 3, rc->argv,
		    rc->argvlen);
		/* cached points per series, for dmd-flush --min-points */
		dmd_rc_cmd(rc, (int)(s->hash % DMD_SHARDS),
		    "HINCRBY dmd:{s%04u}:cnt %b %llu",
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
		dmd_rc_cmdv(rc, (int)shard, (int)argc, rc->argv, rc->argvlen);
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
		dmd_rc_cmd(rc, (int)(first != NULL ? one : i),
		    "SMEMBERS dmd:{s%04u}:n", (unsigned)(first != NULL ? one :
		    i));
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
	redisReply *r, **replies;
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
		dmd_rc_cmd(rc, (int)(h % DMD_SHARDS), "EVAL %s 2 %b %b",
		    read_script, fkey, fl, ckey, cl);
	}
	replies = xcalloc(n, sizeof(*replies));
	if (dmd_rc_replies(rc, n, replies, t0) != 0) {
		free(replies);
		return -1;
	}
	for (i = 0; i < n; i++) {
		r = replies[i];
		if (rv != 0) {
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
				rv = 1;	/* stop quietly; free the rest */
		}
	}
	free(replies);
	return rv < 0 ? -1 : 0;
}

static void
redis_close(struct dmd_cache *c)
{
	struct redis_cache *rc = (struct redis_cache *)c;

	dmd_rc_close_nodes(rc);
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
	size_t i, nn, ncmd;
	int rv = 0;

	memset(h, 0, sizeof(*h));
	h->oldest = INT64_MAX;
	if (dmd_rc_connect(rc) != 0)
		return -1;
	/* every server's INFO, added up (a cluster's masters) */
	nn = dmd_rc_nnodes(rc);
	ncmd = nn + 2 * DMD_SHARDS;
	for (i = 0; i < nn; i++)
		dmd_rc_cmd_node(rc, i, "INFO");
	for (i = 0; i < DMD_SHARDS; i++) {
		dmd_rc_cmd(rc, (int)i, "ZCARD dmd:{s%04u}:due", (unsigned)i);
		dmd_rc_cmd(rc, (int)i, "ZRANGE dmd:{s%04u}:due 0 0 WITHSCORES",
		    (unsigned)i);
	}
	r = xcalloc(ncmd, sizeof(*r));
	if (dmd_rc_replies(rc, ncmd, r, dmd_rc_now()) != 0) {
		free(r);
		return -1;
	}
	for (i = 0; i < nn && rv == 0; i++) {
		if (r[i]->type != REDIS_REPLY_STRING) {
			dmd_rc_seterr(rc, DMD_ERR_REPLY, "redis: %s",
			    "unexpected reply to INFO");
			rv = -1;
			break;
		}
		h->used_memory += info_field(r[i]->str, "used_memory");
		h->ops_per_sec += info_field(r[i]->str,
		    "instantaneous_ops_per_sec");
		h->cpu_seconds += info_field(r[i]->str, "used_cpu_sys") +
		    info_field(r[i]->str, "used_cpu_user");
		h->clients += info_field(r[i]->str, "connected_clients");
	}
	for (i = 0; i < DMD_SHARDS && rv == 0; i++) {
		redisReply *card = r[nn + 2 * i], *first = r[nn + 1 + 2 * i];

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
	snprintf(rc->user, sizeof(rc->user), "%s", u->user);
	snprintf(rc->password, sizeof(rc->password), "%s", u->password);
	rc->nodes = xgrow(rc->nodes, &rc->capnodes, 1, sizeof(*rc->nodes));
	rc->nnodes = 1;
	memset(&rc->nodes[0], 0, sizeof(rc->nodes[0]));
	if (strcmp(u->scheme, "unix") == 0)
		snprintf(rc->nodes[0].path, sizeof(rc->nodes[0].path), "%s",
		    u->path);
	else {
		snprintf(rc->nodes[0].host, sizeof(rc->nodes[0].host), "%s",
		    u->host);
		rc->nodes[0].port = u->port ? u->port : 6379;
	}
	return &rc->base;
}

struct dmd_cache *
dmd_cache_redis_cluster_open(const char *url, char *err, size_t errlen)
{
	struct redis_cache *rc;
	const char *seeds = url + strlen("redis-cluster://"), *at;
	struct dmd_url u;

	if (strchr(seeds, '/') != NULL || strchr(seeds, '?') != NULL) {
		snprintf(err, errlen, "a cluster has no database: want "
		    "redis-cluster://HOST:PORT[,HOST:PORT...]");
		return NULL;
	}
	/* USER:PASSWORD@ for AUTH on every node, not a node */
	if (dmd_url_parse(url, &u, err, errlen) != 0)
		return NULL;
	if ((at = strrchr(seeds, '@')) != NULL)
		seeds = at + 1;
	rc = xcalloc(1, sizeof(*rc));
	rc->base.ops = &redis_ops;
	snprintf(rc->user, sizeof(rc->user), "%s", u.user);
	snprintf(rc->password, sizeof(rc->password), "%s", u.password);
	if (dmd_rc_open_nodes(rc, seeds, err, errlen) != 0) {
		dmd_rc_close_nodes(rc);
		free(rc);
		return NULL;
	}
	return &rc->base;
}
