/*
 * cache_redis_conn.c - the connections of the Redis cache: one server,
 * or a Redis Cluster routed by hand (hiredis has no cluster support).
 *
 * Callers queue commands with the shard whose keys they touch
 * (dmd_rc_cmd(), dmd_rc_cmdv()), then read the replies in queue order
 * (dmd_rc_replies()).  On one server the commands go straight into the
 * connection's pipeline.  On a cluster each command goes to the master
 * that serves the slot of its shard's hash tag ({sNNNN}: every key and
 * script of a shard is in one slot), one pipeline per node, and the
 * replies are put back in queue order.  A MOVED reply updates the slot
 * map and sends the command again to the node named; an ASK reply sends
 * ASKING and the command to the node named, once (a slot being moved).
 * A node that cannot be reached fails the call with DMD_ERR_IO and makes
 * the next call reload the slot map from any node that answers, so
 * after a failover the caller's retry (dmd-ingest's writer, the next
 * dmd-flush) reaches the promoted replica.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <hiredis/hiredis.h>

#include "cache_redis_int.h"
#include "clock.h"
#include "xmalloc.h"

/*
 * hiredis 0.14 allocates an array's element pointers as soon as it reads
 * the "*N" header, before any element has come: a server, or anyone on
 * the path of plain TCP, that sends *800000000 would have us ask for 6 GB
 * and die.  (Later versions of hiredis cap N at maxelements, 2^32 - 1 by
 * default, which does not help.)  So every connection's reader makes its
 * arrays through create_array(), which refuses more than ARRAY_MAX
 * elements in a reply (an honest SMEMBERS that long would already be
 * gigabytes of names) and more than NESTED_MAX in an array inside one
 * (the block lists of the read script): with hiredis's nine levels at
 * most, a reply can make us allocate 200 MB at worst.  The reader then
 * fails the reply as out of memory, which ctx_errstr() tells apart.
 */
#define ARRAY_MAX	(1 << 24)
#define NESTED_MAX	(1 << 20)

static redisReplyObjectFunctions guarded_fn;
static void	*(*hiredis_array)(const redisReadTask *, int);
static pthread_once_t guard_once = PTHREAD_ONCE_INIT;
static __thread int refused;	/* N of the array last refused, or 0 */
static __thread int refused_max;	/* and the most it could have had */

static void *
create_array(const redisReadTask *task, int elements)
{
	int max = task->parent == NULL ? ARRAY_MAX : NESTED_MAX;

	if (elements > max) {
		refused = elements;
		refused_max = max;
		return NULL;
	}
	return hiredis_array(task, elements);
}

static void
guard_init(void)
{
	redisReader *r = redisReaderCreate();

	if (r == NULL)
		dmd_oom(0);
	guarded_fn = *r->fn;
	hiredis_array = guarded_fn.createArray;
	guarded_fn.createArray = create_array;
	redisReaderFree(r);
}

/* Why the last call on ctx failed. */
static const char *
ctx_errstr(const redisContext *ctx)
{
	static __thread char buf[96];

	if (ctx->err == REDIS_ERR_OOM && refused > 0) {
		snprintf(buf, sizeof(buf), "reply announces an array of %d "
		    "elements, more than %d", refused, refused_max);
		refused = 0;
		return buf;
	}
	return ctx->errstr[0] != '\0' ? ctx->errstr : "connection lost";
}

#define CONNECT_TIMEOUT_MS	2000
#define COMMAND_TIMEOUT_MS	30000
#define SLOTS			16384
#define REDIRECTS_MAX		8	/* TRYAGAIN waits 20 ms doubling */

/* CRC16-CCITT (XMODEM), the hash of Redis Cluster's key slots. */
static uint16_t
crc16(const char *p, size_t n)
{
	uint16_t crc = 0;
	int k;

	while (n-- > 0) {
		crc ^= (uint16_t)((unsigned char)*p++ << 8);
		for (k = 0; k < 8; k++)
			crc = crc & 0x8000 ? (uint16_t)(crc << 1 ^ 0x1021) :
			    (uint16_t)(crc << 1);
	}
	return crc;
}

/* The slot of every key of shard s: that of its tag "sNNNN". */
static int
shard_slot(uint32_t s)
{
	char tag[16];

	snprintf(tag, sizeof(tag), "s%04u", (unsigned)s);
	return crc16(tag, strlen(tag)) % SLOTS;
}

void
dmd_rc_seterr(struct redis_cache *rc, int err, const char *fmt,
    const char *detail)
{
	rc->base.err = err;
	snprintf(rc->base.errstr, sizeof(rc->base.errstr), fmt, detail);
	dmd_cache_stats_error(&rc->base.stats);
}

static void
drop_node(struct rc_node *n)
{
	if (n->ctx != NULL)
		redisFree(n->ctx);
	n->ctx = NULL;
}

void
dmd_rc_drop(struct redis_cache *rc)
{
	size_t i;

	for (i = 0; i < rc->nnodes; i++)
		drop_node(&rc->nodes[i]);
	for (i = 0; i < rc->nq; i++)
		free(rc->q[i].buf);
	rc->nq = 0;
	rc->npending = 0;
	if (rc->cluster)
		rc->stale = 1;
}

double
dmd_rc_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The answer r to a command that sets up node n's new connection (AUTH,
 * SELECT); fmt says which failed, with one %s for why.  0, or -1 with
 * the error set (the server's, which never quotes a password) and the
 * connection dropped. */
static int
setup_reply(struct redis_cache *rc, struct rc_node *n, const char *fmt,
    redisReply *r)
{
	if (r == NULL || r->type == REDIS_REPLY_ERROR) {
		dmd_rc_seterr(rc, r ? DMD_ERR_CONFIG : DMD_ERR_IO, fmt,
		    r ? r->str : ctx_errstr(n->ctx));
		if (r != NULL)
			freeReplyObject(r);
		drop_node(n);
		return -1;
	}
	freeReplyObject(r);
	return 0;
}

/* AUTH on node n's new connection, as the URL's USER:PASSWORD@ says. */
static int
auth(struct redis_cache *rc, struct rc_node *n)
{
	if (rc->user[0] != '\0')
		return setup_reply(rc, n, "redis AUTH failed: %s",
		    redisCommand(n->ctx, "AUTH %s %s", rc->user,
		    rc->password));
	return setup_reply(rc, n, "redis AUTH failed: %s",
	    redisCommand(n->ctx, "AUTH %s", rc->password));
}

/* Connect node n if it is not.  0, or -1 with the error set. */
static int
connect_node(struct redis_cache *rc, struct rc_node *n)
{
	struct timeval ct = { CONNECT_TIMEOUT_MS / 1000,
	    (CONNECT_TIMEOUT_MS % 1000) * 1000 };
	struct timeval tv = { COMMAND_TIMEOUT_MS / 1000, 0 };

	if (n->ctx != NULL)
		return 0;
	if (n->path[0] != '\0')
		n->ctx = redisConnectUnixWithTimeout(n->path, ct);
	else
		n->ctx = redisConnectWithTimeout(n->host, n->port, ct);
	if (n->ctx == NULL || n->ctx->err) {
		char where[80];

		/* a cluster's node is worth naming; the one server is in
		 * the URL */
		where[0] = '\0';
		if (rc->cluster)
			snprintf(where, sizeof(where), " %.64s:%d", n->host,
			    n->port);
		rc->base.err = DMD_ERR_IO;
		snprintf(rc->base.errstr, sizeof(rc->base.errstr),
		    "cannot connect to redis%s: %.120s", where,
		    n->ctx ? n->ctx->errstr : "out of memory");
		dmd_cache_stats_error(&rc->base.stats);
		drop_node(n);
		return -1;
	}
	pthread_once(&guard_once, guard_init);
	n->ctx->reader->fn = &guarded_fn;
	redisSetTimeout(n->ctx, tv);
	if (rc->password[0] != '\0' && auth(rc, n) != 0)
		return -1;
	if (rc->db != 0 && setup_reply(rc, n, "redis SELECT failed: %s",
	    redisCommand(n->ctx, "SELECT %d", rc->db)) != 0)
		return -1;
	return 0;
}

/* The node at host:port, added if new. */
static size_t
node_at(struct redis_cache *rc, const char *host, int port)
{
	size_t i;

	for (i = 0; i < rc->nnodes; i++)
		if (rc->nodes[i].port == port &&
		    strcmp(rc->nodes[i].host, host) == 0)
			return i;
	rc->nodes = xgrow(rc->nodes, &rc->capnodes, rc->nnodes + 1,
	    sizeof(*rc->nodes));
	memset(&rc->nodes[i], 0, sizeof(rc->nodes[i]));
	snprintf(rc->nodes[i].host, sizeof(rc->nodes[i].host), "%s", host);
	rc->nodes[i].port = port;
	rc->nnodes++;
	return i;
}

/* "host:port" or "[v6]:port" (the last colon splits) to the node
 * there.  -1 for anything else. */
static int
node_addr(struct redis_cache *rc, const char *addr, size_t *node)
{
	char host[256];
	const char *colon = strrchr(addr, ':'), *h = addr;
	size_t hl;
	long port;
	char *end;

	if (colon == NULL || colon == addr || strchr(addr, '@') != NULL)
		return -1;
	hl = (size_t)(colon - addr);
	if (addr[0] == '[' && hl >= 2 && addr[hl - 1] == ']') {
		h++;
		hl -= 2;
	} else if (memchr(addr, ':', hl) != NULL)
		return -1;	/* an IPv6 address wants brackets */
	port = strtol(colon + 1, &end, 10);
	if (hl == 0 || hl >= sizeof(host) || *end != '\0' ||
	    end == colon + 1 || port < 1 || port > 65535)
		return -1;
	memcpy(host, h, hl);
	host[hl] = '\0';
	*node = node_at(rc, host, (int)port);
	return 0;
}

/* Load the slot map from the first node that answers CLUSTER SLOTS:
 * the known nodes first, then the URL's seeds. */
static int
load_slots(struct redis_cache *rc)
{
	redisReply *r = NULL, *e, *m;
	size_t i, k, node, tried;
	char seeds[DMD_URL_MAX], *s, *save = NULL;
	uint32_t a, b, slot;

	/* the seeds as nodes too, so a cluster whose known nodes all died
	 * can still be found */
	snprintf(seeds, sizeof(seeds), "%s", rc->seeds);
	for (s = strtok_r(seeds, ",", &save); s != NULL;
	    s = strtok_r(NULL, ",", &save))
		(void)node_addr(rc, s, &node);
	for (tried = 0; tried < rc->nnodes && r == NULL; tried++) {
		i = (rc->next_seed + tried) % rc->nnodes;
		if (connect_node(rc, &rc->nodes[i]) != 0)
			continue;
		r = redisCommand(rc->nodes[i].ctx, "CLUSTER SLOTS");
		if (r == NULL) {
			dmd_rc_seterr(rc, DMD_ERR_IO, "redis: %s",
			    ctx_errstr(rc->nodes[i].ctx));
			drop_node(&rc->nodes[i]);
		} else if (r->type != REDIS_REPLY_ARRAY) {
			dmd_rc_seterr(rc, DMD_ERR_CONFIG, "redis CLUSTER "
			    "SLOTS: %s", r->type == REDIS_REPLY_ERROR ? r->str :
			    "unexpected reply");
			freeReplyObject(r);
			return -1;
		}
	}
	/* start elsewhere next time: a node that keeps answering with a
	 * stale map is not asked first forever */
	rc->next_seed++;
	if (r == NULL)
		return -1;
	memset(rc->slots, 0, SLOTS * sizeof(*rc->slots));
	for (i = 0; i < r->elements; i++) {
		e = r->element[i];
		if (e->type != REDIS_REPLY_ARRAY || e->elements < 3 ||
		    e->element[0]->type != REDIS_REPLY_INTEGER ||
		    e->element[1]->type != REDIS_REPLY_INTEGER)
			continue;
		m = e->element[2];	/* the master */
		if (m->type != REDIS_REPLY_ARRAY || m->elements < 2 ||
		    m->element[0]->type != REDIS_REPLY_STRING ||
		    m->element[1]->type != REDIS_REPLY_INTEGER)
			continue;
		node = node_at(rc, m->element[0]->str[0] ? m->element[0]->str :
		    rc->nodes[0].host, (int)m->element[1]->integer);
		a = (uint32_t)e->element[0]->integer;
		b = (uint32_t)e->element[1]->integer;
		for (slot = a; slot <= b && slot < SLOTS; slot++)
			rc->slots[slot] = (uint16_t)(node + 1);
	}
	freeReplyObject(r);
	/* the masters: every node that owns a slot, once */
	rc->nmasters = 0;
	for (k = 0; k < SLOTS; k++) {
		if (rc->slots[k] == 0)
			continue;
		for (i = 0; i < rc->nmasters &&
		    rc->masters[i] != (size_t)rc->slots[k] - 1; i++)
			;
		if (i == rc->nmasters) {
			rc->masters = xgrow(rc->masters, &rc->capmasters,
			    rc->nmasters + 1, sizeof(*rc->masters));
			rc->masters[rc->nmasters++] = rc->slots[k] - 1;
		}
	}
	for (k = 0; k < SLOTS && rc->slots[k] != 0; k++)
		;
	if (k < SLOTS) {
		dmd_rc_seterr(rc, DMD_ERR_IO, "redis cluster: %s",
		    "some slots are not served (the cluster is down?)");
		return -1;
	}
	rc->stale = 0;
	return 0;
}

int
dmd_rc_connect(struct redis_cache *rc)
{
	if (!rc->cluster)
		return connect_node(rc, &rc->nodes[0]);
	if (rc->stale || rc->slots[0] == 0)
		return load_slots(rc);
	return 0;
}

size_t
dmd_rc_nnodes(const struct redis_cache *rc)
{
	return rc->cluster ? rc->nmasters : 1;
}

/* Queue a formatted command for slot (-1: node given). */
static void
enqueue(struct redis_cache *rc, char *buf, long long len, int slot,
    int node)
{
	rc->q = xgrow(rc->q, &rc->capq, rc->nq + 1, sizeof(*rc->q));
	rc->q[rc->nq].buf = buf;
	rc->q[rc->nq].len = (size_t)len;
	rc->q[rc->nq].slot = slot;
	rc->q[rc->nq].node = node;
	rc->nq++;
}

void
dmd_rc_cmd(struct redis_cache *rc, int shard, const char *fmt, ...)
{
	va_list ap;
	char *buf;
	int len;

	va_start(ap, fmt);
	if (!rc->cluster) {
		redisvAppendCommand(rc->nodes[0].ctx, fmt, ap);
		rc->npending++;
	} else {
		if ((len = redisvFormatCommand(&buf, fmt, ap)) < 0)
			abort();	/* out of memory, or a bad format */
		enqueue(rc, buf, len, shard < 0 ? -1 : shard_slot(
		    (uint32_t)shard), 0);
	}
	va_end(ap);
}

void
dmd_rc_cmdv(struct redis_cache *rc, int shard, int argc, const char **argv,
    const size_t *argvlen)
{
	char *buf;
	long long len;

	if (!rc->cluster) {
		redisAppendCommandArgv(rc->nodes[0].ctx, argc, argv, argvlen);
		rc->npending++;
		return;
	}
	if ((len = redisFormatCommandArgv(&buf, argc, argv, argvlen)) < 0)
		abort();
	enqueue(rc, buf, len, shard < 0 ? -1 : shard_slot((uint32_t)shard),
	    0);
}

void
dmd_rc_cmd_node(struct redis_cache *rc, size_t node, const char *fmt, ...)
{
	va_list ap;
	char *buf;
	int len;

	va_start(ap, fmt);
	if (!rc->cluster) {
		redisvAppendCommand(rc->nodes[0].ctx, fmt, ap);
		rc->npending++;
	} else {
		if ((len = redisvFormatCommand(&buf, fmt, ap)) < 0)
			abort();
		enqueue(rc, buf, len, -1, (int)rc->masters[node]);
	}
	va_end(ap);
}

/* Where queued command i goes. */
static size_t
route(const struct redis_cache *rc, size_t i)
{
	if (rc->q[i].slot < 0)
		return (size_t)rc->q[i].node;
	return (size_t)rc->slots[rc->q[i].slot] - 1;
}

/* Send command i to node n (after ASKING with ask) and read its reply
 * into *out.  0, or -1 with the error set. */
static int
resend(struct redis_cache *rc, size_t i, size_t n, int ask, redisReply **out)
{
	redisContext *ctx;
	redisReply *r;

	if (connect_node(rc, &rc->nodes[n]) != 0)
		return -1;
	ctx = rc->nodes[n].ctx;
	if (ask) {
		redisAppendCommand(ctx, "ASKING");
	}
	redisAppendFormattedCommand(ctx, rc->q[i].buf, rc->q[i].len);
	if (ask) {
		if (redisGetReply(ctx, (void **)&r) != REDIS_OK)
			goto lost;
		freeReplyObject(r);
	}
	if (redisGetReply(ctx, (void **)out) != REDIS_OK)
		goto lost;
	return 0;
lost:
	dmd_rc_seterr(rc, DMD_ERR_IO, "redis: %s", ctx_errstr(ctx));
	drop_node(&rc->nodes[n]);
	return -1;
}

/* Follow MOVED and ASK replies of command i until it is answered. */
static int
redirect(struct redis_cache *rc, size_t i, redisReply **r)
{
	unsigned slot;
	size_t node;
	char addr[300];
	int k, ask;

	node = route(rc, i);
	ask = 0;
	for (k = 0; k < REDIRECTS_MAX; k++) {
		if ((*r)->type != REDIS_REPLY_ERROR)
			return 0;
		if (strncmp((*r)->str, "TRYAGAIN", 8) == 0) {
			/* a multi-key script while its slot moves: the
			 * move ends soon; ask the same node again, the same
			 * way */
			freeReplyObject(*r);
			*r = NULL;
			dmd_sleep_ms(20 << k, NULL);
			if (resend(rc, i, node, ask, r) != 0)
				return -1;
			continue;
		}
		if (sscanf((*r)->str, "MOVED %u %299s", &slot, addr) == 2)
			ask = 0;
		else if (sscanf((*r)->str, "ASK %u %299s", &slot, addr) == 2)
			ask = 1;
		else
			return 0;	/* an error reply of its own */
		if (slot >= SLOTS || node_addr(rc, addr, &node) != 0)
			return 0;
		if (!ask) {
			rc->slots[slot] = (uint16_t)(node + 1);
			rc->stale = 1;	/* more moved: reload before next */
		}
		freeReplyObject(*r);
		*r = NULL;
		if (resend(rc, i, node, ask, r) != 0)
			return -1;
	}
	return 0;
}

/* The cluster's dmd_rc_replies(): one pipeline per node. */
static int
cluster_replies(struct redis_cache *rc, redisReply **out)
{
	size_t i, n, *where;
	redisContext *ctx;
	int rv = 0;

	where = xcalloc(rc->nq ? rc->nq : 1, sizeof(*where));
	for (i = 0; i < rc->nq; i++) {
		where[i] = route(rc, i);
		if (where[i] >= rc->nnodes ||
		    connect_node(rc, &rc->nodes[where[i]]) != 0) {
			if (where[i] >= rc->nnodes)
				dmd_rc_seterr(rc, DMD_ERR_IO, "redis cluster: "
				    "%s", "no node for a slot");
			rv = -1;
			break;
		}
		redisAppendFormattedCommand(rc->nodes[where[i]].ctx,
		    rc->q[i].buf, rc->q[i].len);
	}
	/* each node answers in the order it was asked */
	for (n = 0; n < rc->nnodes && rv == 0; n++)
		for (i = 0; i < rc->nq && rv == 0; i++) {
			if (where[i] != n)
				continue;
			ctx = rc->nodes[n].ctx;
			if (redisGetReply(ctx, (void **)&out[i]) != REDIS_OK) {
				dmd_rc_seterr(rc, DMD_ERR_IO, "redis: %s",
				    ctx_errstr(ctx));
				rv = -1;
			}
		}
	for (i = 0; i < rc->nq && rv == 0; i++)
		if (redirect(rc, i, &out[i]) != 0)
			rv = -1;
	free(where);
	if (rv != 0) {
		for (i = 0; i < rc->nq; i++)
			if (out[i] != NULL)
				freeReplyObject(out[i]);
		dmd_rc_drop(rc);	/* pipelines half read: start over */
		return -1;
	}
	for (i = 0; i < rc->nq; i++)
		free(rc->q[i].buf);
	rc->nq = 0;
	return 0;
}

/* Read the replies of the queued commands (ncmd of them).  A connection
 * error drops the connections (the next call reconnects); error replies
 * are all read, so the connections stay usable, and the first is
 * reported.  With keep, replies are stored in keep[] for the caller to
 * free. */
int
dmd_rc_replies(struct redis_cache *rc, size_t ncmd, redisReply **keep,
    double started)
{
	redisReply *r, **all = NULL;
	redisContext *ctx = rc->nodes[0].ctx;
	size_t i;
	int rv = 0;

	if (rc->cluster) {
		all = xcalloc(ncmd ? ncmd : 1, sizeof(*all));
		if (rc->nq != ncmd)
			abort();	/* a caller miscounted */
		if (cluster_replies(rc, all) != 0) {
			free(all);
			return -1;
		}
	} else if (rc->npending != ncmd)
		abort();
	rc->npending = 0;
	for (i = 0; i < ncmd; i++) {
		if (all != NULL)
			r = all[i];
		else if (redisGetReply(ctx, (void **)&r) != REDIS_OK) {
			dmd_rc_seterr(rc, DMD_ERR_IO, "redis: %s",
			    ctx_errstr(ctx));
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
	free(all);
	dmd_cache_stats_count(&rc->base.stats, ncmd, dmd_rc_now() - started);
	if (rv != 0 && keep != NULL)
		for (i = 0; i < ncmd; i++) {
			freeReplyObject(keep[i]);
			keep[i] = NULL;
		}
	return rv;
}

int
dmd_rc_open_nodes(struct redis_cache *rc, const char *seeds, char *err,
    size_t errlen)
{
	char buf[DMD_URL_MAX], *s, *save = NULL;
	size_t node;

	rc->slots = xcalloc(SLOTS, sizeof(*rc->slots));
	snprintf(rc->seeds, sizeof(rc->seeds), "%s", seeds);
	snprintf(buf, sizeof(buf), "%s", seeds);
	if (buf[0] == ',' || (buf[0] && buf[strlen(buf) - 1] == ',') ||
	    strstr(buf, ",,") != NULL) {
		snprintf(err, errlen, "an empty cluster node in \"%s\"", seeds);
		return -1;
	}
	for (s = strtok_r(buf, ",", &save); s != NULL;
	    s = strtok_r(NULL, ",", &save))
		if (node_addr(rc, s, &node) != 0) {
			snprintf(err, errlen, "bad cluster node \"%s\" (want "
			    "HOST:PORT)", s);
			return -1;
		}
	if (rc->nnodes == 0) {
		snprintf(err, errlen, "redis-cluster URL needs HOST:PORT");
		return -1;
	}
	rc->cluster = 1;
	rc->stale = 1;
	return 0;
}

void
dmd_rc_close_nodes(struct redis_cache *rc)
{
	dmd_rc_drop(rc);
	free(rc->nodes);
	free(rc->q);
	free(rc->slots);
	free(rc->masters);
}
