/*
 * cache_redis_flush.c - moving series out of a Redis cache (cache.h).
 *
 * Keys of a shard, besides those of cache_redis.c:
 *
 *   dmd:{s0421}:lock     the flusher that claimed the shard: "HOST PID
 *                        NONCE", set with NX and a 60 s expiry
 *   dmd:{s0421}:cnt      HASH name -> points written since the series was
 *                        last frozen (ingest adds, freeze deletes)
 *   dmd:{s0421}:f:NAME   frozen copy of dmd:{s0421}:c:NAME being flushed
 *   dmd:{s0421}:fz       HASH name -> "SEQ CUTOFF" of each frozen copy
 *   dmd:{s0421}:seq      last flush sequence handed out in the shard
 *
 * Freeze and finish are Lua scripts over keys of one shard, so they are
 * atomic and stay in one Cluster slot.  Both first check that the shard
 * is still claimed by the caller, so a flusher whose claim lapsed can
 * never touch a series another one has taken over.  A flush sequence is
 * max(last + 1, Redis TIME in microseconds): it grows with every freeze
 * of the shard, and stays ahead of chunks already in the table even if
 * the cache is wiped and starts over.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "batch.h"
#include "block.h"
#include "cache.h"
#include "cache_redis_int.h"
#include "prog.h"
#include "xmalloc.h"

#define CLAIM_MS	"60000"

static const char takeover_script[] =
    "if redis.call('GET', KEYS[1]) == ARGV[1] then "
    "redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3]) return 1 end "
    "return 0";

static const char release_script[] =
    "if redis.call('GET', KEYS[1]) == ARGV[1] then "
    "redis.call('DEL', KEYS[1]) end return 1";

/* KEYS lock live frozen due cnt fz seq; ARGV owner name cutoff */
static const char freeze_script[] =
    "if redis.call('GET', KEYS[1]) ~= ARGV[1] then "
    "return redis.error_reply('DMDLOCK shard claim lost') end "
    "redis.call('PEXPIRE', KEYS[1], " CLAIM_MS ") "
    "local m = redis.call('HGET', KEYS[6], ARGV[2]) "
    "if m then return m end "
    "redis.call('ZREM', KEYS[4], ARGV[2]) "
    "redis.call('HDEL', KEYS[5], ARGV[2]) "
    "if redis.call('EXISTS', KEYS[2]) == 0 then return '' end "
    "local t = redis.call('TIME') "
    "local seq = tonumber(t[1]) * 1000000 + tonumber(t[2]) "
    "local last = tonumber(redis.call('GET', KEYS[7]) or '0') "
    "if seq <= last then seq = last + 1 end "
    "local s = string.format('%.0f', seq) "
    "redis.call('SET', KEYS[7], s) "
    "redis.call('RENAME', KEYS[2], KEYS[3]) "
    "m = s .. ' ' .. ARGV[3] "
    "redis.call('HSET', KEYS[6], ARGV[2], m) "
    "return m";

/* KEYS lock live frozen due cnt fz; ARGV owner name block count tmin.
 * The kept points do not count again towards min-points. */
static const char finish_script[] =
    "if redis.call('GET', KEYS[1]) ~= ARGV[1] then "
    "return redis.error_reply('DMDLOCK shard claim lost') end "
    "redis.call('PEXPIRE', KEYS[1], " CLAIM_MS ") "
    "if ARGV[3] ~= '' then "
    "redis.call('LPUSH', KEYS[2], ARGV[3]) "
    "redis.call('ZADD', KEYS[4], 'LT', ARGV[5], ARGV[2]) end "
    "redis.call('DEL', KEYS[3]) "
    "redis.call('HDEL', KEYS[6], ARGV[2]) "
    "return 1";

/* The ncmd replies of the pipeline just sent, or NULL (error set). */
static redisReply **
collect(struct redis_cache *rc, size_t ncmd)
{
	redisReply **r = xcalloc(ncmd, sizeof(*r));

	if (dmd_rc_replies(rc, ncmd, r, dmd_rc_now()) != 0) {
		free(r);
		return NULL;
	}
	return r;
}

static void
free_replies(redisReply **r, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		freeReplyObject(r[i]);
	free(r);
}

static void
set_owner(struct redis_cache *rc)
{
	if (rc->owner[0] == '\0')
		snprintf(rc->owner, sizeof(rc->owner), "%s %ld %llx",
		    dmd_hostname(), (long)getpid(),
		    (unsigned long long)(dmd_rc_now() * 1e9));
}

/* Is owner a process of this host that no longer runs? */
static int
dead_local(const char *owner)
{
	long pid = dmd_local_pid(owner, ' ', ' ');

	return pid != 0 && pid != (long)getpid() && dmd_pid_gone(pid);
}

static void
shard_key(char *out, size_t outsz, uint32_t shard, const char *what)
{
	snprintf(out, outsz, "dmd:{s%04u}:%s", (unsigned)shard, what);
}

int
dmd_rc_claim(struct dmd_cache *c, uint32_t first, uint32_t n,
    unsigned char *got)
{
	struct redis_cache *rc = (struct redis_cache *)c;
	redisReply **r;
	char key[32];
	uint32_t i, nget = 0, nsteal = 0;
	int rv = -1;

	if (dmd_rc_connect(rc) != 0)
		return -1;
	set_owner(rc);
	r = xcalloc(n, sizeof(*r));
	for (i = 0; i < n; i++) {
		shard_key(key, sizeof(key), first + i, "lock");
		dmd_rc_cmd(rc, (int)(first + i), "SET %s %s NX PX " CLAIM_MS,
		    key, rc->owner);
	}
	if (dmd_rc_replies(rc, n, r, dmd_rc_now()) != 0)
		goto out;
	for (i = 0; i < n; i++) {
		got[i] = r[i]->type == REDIS_REPLY_STATUS;
		freeReplyObject(r[i]);
		r[i] = NULL;
		if (!got[i]) {
			shard_key(key, sizeof(key), first + i, "lock");
			dmd_rc_cmd(rc, (int)(first + i), "GET %s", key);
			nget++;
		}
	}
	if (nget > 0 && dmd_rc_replies(rc, nget, r, dmd_rc_now()) != 0)
		goto out;
	for (i = 0, nget = 0; i < n; i++) {
		redisReply *g;

		if (got[i])
			continue;
		g = r[nget++];
		if (g->type != REDIS_REPLY_STRING)
			continue;	/* it lapsed meanwhile: next run */
		if (strcmp(g->str, rc->owner) == 0)
			got[i] = 1;
		else if (dead_local(g->str)) {
			shard_key(key, sizeof(key), first + i, "lock");
			dmd_rc_cmd(rc, (int)(first + i),
			    "EVAL %s 1 %s %s %s %s", takeover_script, key,
			    g->str, rc->owner, CLAIM_MS);
			got[i] = 2;	/* asked */
			nsteal++;
		}
	}
	for (i = 0; i < nget; i++) {
		freeReplyObject(r[i]);
		r[i] = NULL;
	}
	if (nsteal > 0 && dmd_rc_replies(rc, nsteal, r, dmd_rc_now()) != 0)
		goto out;
	for (i = 0, nsteal = 0; i < n; i++) {
		if (got[i] != 2)
			continue;
		got[i] = r[nsteal]->type == REDIS_REPLY_INTEGER &&
		    r[nsteal]->integer == 1;
		freeReplyObject(r[nsteal]);
		r[nsteal++] = NULL;
	}
	rv = 0;
out:
	free(r);
	return rv;
}

int
dmd_rc_release(struct dmd_cache *c, uint32_t first, uint32_t n,
    const unsigned char *got)
{
	struct redis_cache *rc = (struct redis_cache *)c;
	char key[32];
	uint32_t i, ncmd = 0;

	if (dmd_rc_connect(rc) != 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (!got[i])
			continue;
		shard_key(key, sizeof(key), first + i, "lock");
		dmd_rc_cmd(rc, (int)(first + i), "EVAL %s 1 %s %s",
		    release_script, key, rc->owner);
		ncmd++;
	}
	return ncmd == 0 ? 0 : dmd_rc_replies(rc, ncmd, NULL, dmd_rc_now());
}

static int
parse_meta(const char *s, struct dmd_flush_item *it)
{
	char *e;

	errno = 0;
	it->seq = strtoull(s, &e, 10);
	if (errno != 0 || *e != ' ')
		return -1;
	it->cutoff = strtoll(e + 1, &e, 10);
	if (errno != 0 || *e != '\0')
		return -1;
	return 0;
}

static int
cmpstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Value of field name in a HGETALL reply, or NULL. */
static const char *
hash_get(const redisReply *h, const char *name)
{
	size_t k;

	for (k = 0; k + 1 < h->elements; k += 2)
		if (strcmp(h->element[k]->str, name) == 0)
			return h->element[k + 1]->str;
	return NULL;
}

static int
is_strings(const redisReply *r)
{
	size_t k;

	if (r->type != REDIS_REPLY_ARRAY)
		return 0;
	for (k = 0; k < r->elements; k++)
		if (r->element[k]->type != REDIS_REPLY_STRING ||
		    r->element[k]->len > DMD_NAME_MAX)
			return 0;
	return 1;
}

/* The due series of one shard, from its replies (fz, cnt, due with
 * scores): first the resumed, then those whose oldest point is older than
 * keep + max-age, or that were written min-points points since their last
 * flush of which some are older than keep.  So with --keep each flush
 * moves about max-age or min-points worth of points, never a trickle. */
static int
shard_due(struct redis_cache *rc, uint32_t shard, redisReply **r,
    const struct dmd_flush_policy *p, dmd_due_cb *cb, void *arg)
{
	struct dmd_flush_item it;
	const char **cand = NULL, *v;
	size_t k, ncand = 0, cap = 0;
	int64_t oldest = 0, keepcut, agecut;
	int rv = 0;

	keepcut = p->keep > 0 ? p->now - p->keep : INT64_MAX;
	agecut = p->now - p->keep - p->max_age;

	if (!is_strings(r[0]) || !is_strings(r[1]) || !is_strings(r[2])) {
		dmd_rc_seterr(rc, DMD_ERR_REPLY, "redis: %s",
		    "unexpected reply listing due series");
		return -1;
	}
	for (k = 0; k + 1 < r[0]->elements && rv == 0; k += 2) {
		memset(&it, 0, sizeof(it));
		memcpy(it.name, r[0]->element[k]->str, r[0]->element[k]->len);
		it.shard = shard;
		it.resumed = 1;
		if (parse_meta(r[0]->element[k + 1]->str, &it) != 0) {
			dmd_rc_seterr(rc, DMD_ERR_DATA, "bad flush record of "
			    "\"%s\"", it.name);
			return -1;
		}
		rv = cb(arg, &it);
	}
	for (k = 0; k + 1 < r[1]->elements; k += 2) {
		cand = xgrow(cand, &cap, ncand + 1, sizeof(*cand));
		cand[ncand++] = r[1]->element[k]->str;
	}
	for (k = 0; k + 1 < r[2]->elements; k += 2) {
		cand = xgrow(cand, &cap, ncand + 1, sizeof(*cand));
		cand[ncand++] = r[2]->element[k]->str;
	}
	if (ncand > 0)
		qsort(cand, ncand, sizeof(*cand), cmpstr);
	for (k = 0; k < ncand && rv == 0; k++) {
		if (k > 0 && strcmp(cand[k], cand[k - 1]) == 0)
			continue;
		if (hash_get(r[0], cand[k]) != NULL)
			continue;	/* resumed above */
		memset(&it, 0, sizeof(it));
		snprintf(it.name, sizeof(it.name), "%s", cand[k]);
		it.shard = shard;
		if ((v = hash_get(r[1], cand[k])) != NULL)
			it.count = strtoull(v, NULL, 10);
		if ((v = hash_get(r[2], cand[k])) != NULL)
			oldest = strtoll(v, NULL, 10);
		/* old enough, or enough points of which some can go */
		if ((v != NULL && oldest < agecut) ||
		    (it.count >= p->min_points && (v == NULL ||
		    oldest < keepcut)))
			rv = cb(arg, &it);
	}
	free(cand);
	return rv != 0 ? 1 : 0;
}

int
dmd_rc_due(struct dmd_cache *c, uint32_t first, uint32_t n,
    const unsigned char *got, const struct dmd_flush_policy *p,
    dmd_due_cb *cb, void *arg)
{
	struct redis_cache *rc = (struct redis_cache *)c;
	redisReply **r;
	char key[32];
	uint32_t i, ncmd = 0;
	int rv = 0;

	if (dmd_rc_connect(rc) != 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (!got[i])
			continue;
		shard_key(key, sizeof(key), first + i, "fz");
		dmd_rc_cmd(rc, (int)(first + i), "HGETALL %s", key);
		shard_key(key, sizeof(key), first + i, "cnt");
		dmd_rc_cmd(rc, (int)(first + i), "HGETALL %s", key);
		shard_key(key, sizeof(key), first + i, "due");
		dmd_rc_cmd(rc, (int)(first + i), "ZRANGE %s 0 -1 WITHSCORES",
		    key);
		ncmd += 3;
	}
	if (ncmd == 0)
		return 0;
	if ((r = collect(rc, ncmd)) == NULL)
		return -1;
	for (i = 0, ncmd = 0; i < n; i++) {
		if (!got[i])
			continue;
		if (rv == 0)
			rv = shard_due(rc, first + i, r + ncmd, p, cb, arg);
		ncmd += 3;
	}
	free_replies(r, ncmd);
	return rv < 0 ? -1 : 0;
}

/* argv of a script call over the keys of one series. */
struct script_args {
	const char	*argv[16];
	size_t		 len[16];
	int		 argc;
	char		 nkeys[8];
	char		 keys[7][sizeof("dmd:{s0000}:f:") + DMD_NAME_MAX + 1];
};

static void
arg(struct script_args *a, const char *s, size_t len)
{
	a->argv[a->argc] = s;
	a->len[a->argc++] = len;
}

/* EVAL script nkeys: lock live frozen due cnt fz [seq]. */
static void
script_keys(struct script_args *a, const char *script, int nkeys,
    const struct dmd_flush_item *it)
{
	static const char *const what[] = { "lock", NULL, NULL, "due", "cnt",
	    "fz", "seq" };
	size_t nl = strlen(it->name);
	uint32_t h = dmd_name_hash(it->name, nl);
	int k;

	a->argc = 0;
	arg(a, "EVAL", 4);
	arg(a, script, strlen(script));
	snprintf(a->nkeys, sizeof(a->nkeys), "%d", nkeys);
	arg(a, a->nkeys, strlen(a->nkeys));
	for (k = 0; k < nkeys; k++) {
		size_t len;

		if (k == 1 || k == 2)
			len = dmd_rc_series_key(a->keys[k], k == 1 ? 'c' : 'f',
			    h, it->name, nl);
		else {
			shard_key(a->keys[k], sizeof(a->keys[k]), it->shard,
			    what[k]);
			len = strlen(a->keys[k]);
		}
		arg(a, a->keys[k], len);
	}
}

int
dmd_rc_freeze(struct dmd_cache *c, struct dmd_flush_item *it, size_t n,
    int64_t cutoff)
{
	struct redis_cache *rc = (struct redis_cache *)c;
	struct script_args a;
	redisReply **r;
	char cut[24];
	size_t i, ncmd = 0;
	int rv = 0;

	if (dmd_rc_connect(rc) != 0)
		return -1;
	snprintf(cut, sizeof(cut), "%" PRId64, cutoff);
	for (i = 0; i < n; i++) {
		if (it[i].resumed)
			continue;
		script_keys(&a, freeze_script, 7, &it[i]);
		arg(&a, rc->owner, strlen(rc->owner));
		arg(&a, it[i].name, strlen(it[i].name));
		arg(&a, cut, strlen(cut));
		dmd_rc_cmdv(rc, (int)it[i].shard, a.argc, a.argv, a.len);
		ncmd++;
	}
	if (ncmd == 0)
		return 0;
	if ((r = collect(rc, ncmd)) == NULL)
		return -1;
	for (i = 0, ncmd = 0; i < n; i++) {
		redisReply *x;

		if (it[i].resumed)
			continue;
		x = r[ncmd++];
		if (rv != 0)
			continue;
		if (x->type != REDIS_REPLY_STRING) {
			dmd_rc_seterr(rc, DMD_ERR_REPLY, "redis: %s",
			    "unexpected reply to freeze");
			rv = -1;
		} else if (x->len == 0)
			it[i].gone = 1;
		else if (parse_meta(x->str, &it[i]) != 0) {
			dmd_rc_seterr(rc, DMD_ERR_DATA, "bad flush record of "
			    "\"%s\"", it[i].name);
			rv = -1;
		}
	}
	free_replies(r, ncmd);
	return rv;
}

int
dmd_rc_take(struct dmd_cache *c, struct dmd_flush_item *it, size_t n)
{
	struct redis_cache *rc = (struct redis_cache *)c;
	char key[sizeof("dmd:{s0000}:f:") + DMD_NAME_MAX + 1];
	redisReply **r;
	size_t i, k, len, ncmd = 0;
	int rv = 0;

	if (dmd_rc_connect(rc) != 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (it[i].gone)
			continue;
		len = strlen(it[i].name);
		len = dmd_rc_series_key(key, 'f', dmd_name_hash(it[i].name,
		    len), it[i].name, len);
		dmd_rc_cmd(rc, (int)it[i].shard, "LRANGE %b 0 -1", key, len);
		ncmd++;
	}
	if (ncmd == 0)
		return 0;
	if ((r = collect(rc, ncmd)) == NULL)
		return -1;
	for (i = 0, ncmd = 0; i < n; i++) {
		redisReply *x;

		if (it[i].gone)
			continue;
		x = r[ncmd++];
		it[i].n = 0;
		if (rv != 0)
			continue;
		if (x->type != REDIS_REPLY_ARRAY) {
			dmd_rc_seterr(rc, DMD_ERR_REPLY, "redis: %s",
			    "unexpected reply reading a frozen series");
			rv = -1;
			continue;
		}
		for (k = 0; k < x->elements && rv == 0; k++)
			if (x->element[k]->type != REDIS_REPLY_STRING ||
			    dmd_block_decode(x->element[k]->str,
			    x->element[k]->len, INT64_MIN, INT64_MAX,
			    &it[i].samples, &it[i].n, &it[i].cap) != 0) {
				dmd_rc_seterr(rc, DMD_ERR_DATA, "corrupt block "
				    "in series \"%s\"", it[i].name);
				rv = -1;
			}
		if (rv == 0)
			it[i].n = dmd_samples_resolve(it[i].samples, it[i].n);
	}
	free_replies(r, ncmd);
	return rv;
}

int
dmd_rc_finish(struct dmd_cache *c, struct dmd_flush_item *it, size_t n)
{
	struct redis_cache *rc = (struct redis_cache *)c;
	struct script_args a;
	char (*nums)[2][24];
	size_t i, j, need, off = 0, ncmd = 0;
	int rv;

	if (dmd_rc_connect(rc) != 0)
		return -1;
	/* the kept blocks of all items, laid out first: argv points there */
	need = 0;
	for (i = 0; i < n; i++)
		need += dmd_block_bound(it[i].n);
	rc->buf = xgrow(rc->buf, &rc->bufcap, need + 1, 1);
	nums = xcalloc(n ? n : 1, sizeof(*nums));
	for (i = 0; i < n; i++) {
		size_t blen = 0;

		if (it[i].gone)
			continue;
		for (j = 0; j < it[i].n && it[i].samples[j].time <
		    it[i].cutoff; j++)
			;
		if (j < it[i].n) {
			blen = dmd_block_encode(it[i].samples + j,
			    it[i].n - j, rc->buf + off);
			snprintf(nums[i][0], sizeof(nums[i][0]), "%zu",
			    it[i].n - j);
			snprintf(nums[i][1], sizeof(nums[i][1]), "%" PRId64,
			    it[i].samples[j].time);
		}
		script_keys(&a, finish_script, 6, &it[i]);
		arg(&a, rc->owner, strlen(rc->owner));
		arg(&a, it[i].name, strlen(it[i].name));
		arg(&a, rc->buf + off, blen);
		arg(&a, nums[i][0], strlen(nums[i][0]));
		arg(&a, nums[i][1], strlen(nums[i][1]));
		dmd_rc_cmdv(rc, (int)it[i].shard, a.argc, a.argv, a.len);
		off += blen;
		ncmd++;
	}
	rv = ncmd == 0 ? 0 : dmd_rc_replies(rc, ncmd, NULL, dmd_rc_now());
	free(nums);
	return rv;
}
