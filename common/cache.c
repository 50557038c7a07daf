/*
 * cache.c - picks the cache backend by URL scheme (see cache.h).
 */
#include <stdio.h>
#include <string.h>

#include "cache.h"
#include "cache_redis.h"
#include "url.h"

struct dmd_cache *
dmd_cache_open(const char *url, char *err, size_t errlen)
{
	struct dmd_url u;

	if (dmd_url_parse(url, &u, err, errlen) != 0)
		return NULL;
	if (strcmp(u.scheme, "redis") == 0 || strcmp(u.scheme, "unix") == 0)
		return dmd_cache_redis_open(&u, err, errlen);
	if (strcmp(u.scheme, "redis-cluster") == 0)
		return dmd_cache_redis_cluster_open(url, err, errlen);
	snprintf(err, errlen, "unknown cache scheme \"%s\" (want redis://, "
	    "unix:// or redis-cluster://)", u.scheme);
	return NULL;
}

const char *const dmd_op_names[DMD_OP_NUM] = {
	"put", "get", "names", "del", "list", "lock", "claim", "release",
	"due", "freeze", "take", "finish", "health"
};

void
dmd_cache_stats_count(struct dmd_cache_stats *s, size_t ncmd,
    double seconds)
{
	struct dmd_op_stats *o = &s->ops[s->op];

	s->requests++;
	s->commands += ncmd;
	s->seconds += seconds;
	if (seconds > s->max_seconds)
		s->max_seconds = seconds;
	o->requests++;
	o->seconds += seconds;
	if (seconds > o->max_seconds)
		o->max_seconds = seconds;
}

void
dmd_cache_stats_error(struct dmd_cache_stats *s)
{
	s->errors++;
	s->ops[s->op].errors++;
}

void
dmd_cache_stats_move(struct dmd_cache_stats *a, struct dmd_cache_stats *b)
{
	int i;

	a->requests += b->requests;
	a->commands += b->commands;
	a->errors += b->errors;
	a->seconds += b->seconds;
	a->write_units += b->write_units;
	a->read_units += b->read_units;
	if (b->max_seconds > a->max_seconds)
		a->max_seconds = b->max_seconds;
	for (i = 0; i < DMD_OP_NUM; i++) {
		a->ops[i].requests += b->ops[i].requests;
		a->ops[i].errors += b->ops[i].errors;
		a->ops[i].seconds += b->ops[i].seconds;
		if (b->ops[i].max_seconds > a->ops[i].max_seconds)
			a->ops[i].max_seconds = b->ops[i].max_seconds;
	}
	memset(b, 0, sizeof(*b));
}

int
dmd_cache_put(struct dmd_cache *c, struct dmd_batch *b)
{
	dmd_batch_seal(b);
	c->stats.op = DMD_OP_PUT;
	return c->ops->put(c, b);
}

int
dmd_cache_names(struct dmd_cache *c, const char *first, size_t firstlen,
    dmd_name_cb *cb, void *arg)
{
	c->stats.op = DMD_OP_NAMES;
	return c->ops->names(c, first, firstlen, cb, arg);
}

int
dmd_cache_read(struct dmd_cache *c, const char *const *names, size_t n,
    int64_t from, int64_t until, dmd_series_cb *cb, void *arg)
{
	c->stats.op = DMD_OP_GET;
	return c->ops->read(c, names, n, from, until, cb, arg);
}

int
dmd_cache_claim(struct dmd_cache *c, uint32_t first, uint32_t n,
    unsigned char *got)
{
	c->stats.op = DMD_OP_CLAIM;
	return c->ops->claim(c, first, n, got);
}

int
dmd_cache_release(struct dmd_cache *c, uint32_t first, uint32_t n,
    const unsigned char *got)
{
	c->stats.op = DMD_OP_RELEASE;
	return c->ops->release(c, first, n, got);
}

int
dmd_cache_due(struct dmd_cache *c, uint32_t first, uint32_t n,
    const unsigned char *got, const struct dmd_flush_policy *p,
    dmd_due_cb *cb, void *arg)
{
	c->stats.op = DMD_OP_DUE;
	return c->ops->due(c, first, n, got, p, cb, arg);
}

int
dmd_cache_freeze(struct dmd_cache *c, struct dmd_flush_item *it, size_t n,
    int64_t cutoff)
{
	c->stats.op = DMD_OP_FREEZE;
	return c->ops->freeze(c, it, n, cutoff);
}

int
dmd_cache_take(struct dmd_cache *c, struct dmd_flush_item *it, size_t n)
{
	c->stats.op = DMD_OP_TAKE;
	return c->ops->take(c, it, n);
}

int
dmd_cache_finish(struct dmd_cache *c, struct dmd_flush_item *it, size_t n)
{
	c->stats.op = DMD_OP_FINISH;
	return c->ops->finish(c, it, n);
}

int
dmd_cache_health(struct dmd_cache *c, struct dmd_cache_health *h)
{
	c->stats.op = DMD_OP_HEALTH;
	return c->ops->health(c, h);
}

void
dmd_cache_close(struct dmd_cache *c)
{
	if (c != NULL)
		c->ops->close(c);
}
