/*
 * table_dynamo.c - the table tier in DynamoDB (or a store with its API):
 * dynamodb://TABLE[?region=R][&endpoint=URL][&ttl=DURATION].
 *
 * Items (attribute names kept to one letter: DynamoDB bills them):
 *
 *   chunk  n = series name (partition key, S)
 *          k = LAST.SEQ.FIRST (sort key, S): the time of the chunk's last
 *              point in 12 decimal digits, the flush sequence in 16 hex
 *              digits, the first point's time in 12 digits; unique, and
 *              sorted by last time, so a query from a time reads only the
 *              chunks that end at or after it (the key condition) and
 *              drops those that start after its end (a filter)
 *          f, l = first and last time (N), d = the block (B),
 *          x = expiry (N, with ?ttl=: last + ttl, for DynamoDB's TTL)
 *   name   n = "#n:GG" (GG: the hash of the name's first component modulo
 *              64, in hex; '#' is in no series name), k = series name:
 *              listing the names of one host is one Query
 *
 * put writes the chunks with BatchWriteItem, 25 at a time, retrying what
 * comes back unprocessed with exponential backoff and jitter; before
 * that it asks (BatchGetItem, reads being cheaper than writes) which of
 * the chunks' names are not listed yet and writes only those.  get is a
 * strongly consistent Query, paginated.  Write units (a unit per started
 * KB of an item) and read units are counted for --stats.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#include "awsjson.h"
#include "base64.h"
#include "batch.h"
#include "clock.h"
#include "point.h"
#include "table_dynamo.h"
#include "numarg.h"
#include "xmalloc.h"

#define BATCH_WRITE	25	/* items per BatchWriteItem */
#define BATCH_GET	100	/* keys per BatchGetItem */
#define UNPROCESSED_TRIES 10
#define NAME_GROUPS	64
#define CREATE_WAIT_MS	60000

struct dyn_table {
	struct dmd_table base;
	struct dmd_aws	 aws;
	char		 table[256];
	char		 url[DMD_URL_MAX + 2];	/* the endpoint */
	int64_t		 ttl;		/* seconds, 0: none */
	/* names known to be listed, an open-addressing set */
	char		**known;
	size_t		 capknown, nknown;
	/* scratch */
	unsigned char	*bin;
	size_t		 bincap;
	char		*b64;
	size_t		 b64cap;
};

static int
fail(struct dyn_table *d, int err, const char *what, const char *detail)
{
	d->base.err = err;
	snprintf(d->base.errstr, sizeof(d->base.errstr), "dynamodb %.60s: "
	    "%.160s", what, detail);
	return -1;
}

/* The error of an answer that is not 200, named by its __type. */
static int
fail_reply(struct dyn_table *d, const char *what)
{
	char detail[200];

	return fail(d, dmd_awsjson_failure(&d->aws, detail, sizeof(detail)),
	    what, detail);
}

/* POST one API call (g is freed); the answer, whatever its status, is
 * in d->aws.http.  0, or -1 when none came. */
static int
call_any(struct dyn_table *d, const char *op, yajl_gen g)
{
	char err[DMD_ERRSTR_MAX];

	if (dmd_awsjson_post(&d->aws, d->url, "DynamoDB_20120810", "1.0", op,
	    g, err, sizeof(err)) != 0)
		return fail(d, DMD_ERR_IO, op, err);
	return 0;
}

/* POST one API call: 0 when it answered 200, or -1. */
static int
send_gen(struct dyn_table *d, const char *op, yajl_gen g)
{
	if (call_any(d, op, g) != 0)
		return -1;
	if (d->aws.http.status != 200)
		return fail_reply(d, op);
	return 0;
}

/* JSON building on yajl_gen. */
static void
attr(yajl_gen g, const char *name, const char *type, const char *v)
{
	dmd_json_str(g, name);
	yajl_gen_map_open(g);
	dmd_json_str(g, type);
	dmd_json_str(g, v);
	yajl_gen_map_close(g);
}

static void
attr_num(yajl_gen g, const char *name, int64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%lld", (long long)v);
	attr(g, name, "N", buf);
}

/* A yajl tree value written out again (a LastEvaluatedKey). */
static void
copy_value(yajl_gen g, yajl_val v)
{
	size_t i;

	if (YAJL_IS_OBJECT(v)) {
		yajl_gen_map_open(g);
		for (i = 0; i < v->u.object.len; i++) {
			dmd_json_str(g, v->u.object.keys[i]);
			copy_value(g, v->u.object.values[i]);
		}
		yajl_gen_map_close(g);
	} else if (YAJL_IS_ARRAY(v)) {
		yajl_gen_array_open(g);
		for (i = 0; i < v->u.array.len; i++)
			copy_value(g, v->u.array.values[i]);
		yajl_gen_array_close(g);
	} else if (YAJL_IS_STRING(v))
		dmd_json_str(g, v->u.string);
	else if (YAJL_IS_NUMBER(v))
		yajl_gen_number(g, v->u.number.r, strlen(v->u.number.r));
	else if (YAJL_IS_TRUE(v) || YAJL_IS_FALSE(v))
		yajl_gen_bool(g, YAJL_IS_TRUE(v));
	else
		yajl_gen_null(g);
}

static yajl_val
parse_reply(struct dyn_table *d, const char *op)
{
	yajl_val v = dmd_awsjson_object(&d->aws);

	if (v == NULL)
		fail(d, DMD_ERR_REPLY, op, "answer is not a JSON object");
	return v;
}

/* The sort key of a chunk. */
static void
chunk_key(const struct dmd_chunk *c, char *out, size_t len)
{
	snprintf(out, len, "%012lld.%016llx.%012lld", (long long)c->last,
	    (unsigned long long)c->seq, (long long)c->first);
}

static void
names_key(const char *name, size_t len, char *out, size_t outlen)
{
	size_t fl = dmd_name_first(name, len);

	snprintf(out, outlen, "#n:%02x",
	    (unsigned)(dmd_name_hash(name, fl) % NAME_GROUPS));
}

/* Item size as DynamoDB bills it: attribute names and values. */
static size_t
item_size(const char *n, const char *k, size_t datalen, int ttl)
{
	return 1 + strlen(n) + 1 + strlen(k) + 2 * (1 + 7) + 1 + datalen +
	    (ttl ? 1 + 7 : 0);
}

/* The known-names set. */
static size_t
known_slot(const struct dyn_table *d, const char *name)
{
	size_t i = dmd_name_hash(name, strlen(name)) & (d->capknown - 1);

	while (d->known[i] != NULL && strcmp(d->known[i], name) != 0)
		i = (i + 1) & (d->capknown - 1);
	return i;
}

static int
is_known(const struct dyn_table *d, const char *name)
{
	return d->capknown > 0 && d->known[known_slot(d, name)] != NULL;
}

static void
add_known(struct dyn_table *d, const char *name)
{
	char **old = d->known;
	size_t oldcap = d->capknown, i;

	if (is_known(d, name))
		return;
	if ((d->nknown + 1) * 2 > d->capknown) {
		d->capknown = oldcap ? oldcap * 2 : 1024;
		d->known = xcalloc(d->capknown, sizeof(*d->known));
		for (i = 0; i < oldcap; i++)
			if (old[i] != NULL)
				d->known[known_slot(d, old[i])] = old[i];
		free(old);
	}
	d->known[known_slot(d, name)] = xstrdup(name);
	d->nknown++;
}

/* Write the requests (PutRequest or DeleteRequest items) in reqs, an
 * array of yajl trees of {"PutRequest":...}: BatchWriteItem, then what
 * comes back unprocessed again, with backoff. */
static int
batch_write(struct dyn_table *d, yajl_gen (*build)(struct dyn_table *,
    void *, size_t, size_t), void *arg, size_t n)
{
	yajl_val v, un;
	yajl_gen g;
	size_t i, m;
	int64_t wait = 50;
	int tries;

	for (i = 0; i < n; i += m) {
		m = n - i < BATCH_WRITE ? n - i : BATCH_WRITE;
		g = build(d, arg, i, m);
		for (tries = 0;; tries++) {
			if (send_gen(d, "BatchWriteItem", g) != 0)
				return -1;
			if ((v = parse_reply(d, "BatchWriteItem")) == NULL)
				return -1;
			un = dmd_json_get(v, "UnprocessedItems", NULL);
			if (un == NULL || !YAJL_IS_OBJECT(un) ||
			    un->u.object.len == 0) {
				yajl_tree_free(v);
				break;
			}
			if (tries == UNPROCESSED_TRIES) {
				yajl_tree_free(v);
				return fail(d, DMD_ERR_IO, "BatchWriteItem",
				    "items still unprocessed after retries");
			}
			/* throttled: send what is left, later */
			g = dmd_json_gen();
			yajl_gen_map_open(g);
			dmd_json_str(g, "RequestItems");
			copy_value(g, un);
			yajl_gen_map_close(g);
			yajl_tree_free(v);
			d->aws.retries++;
			dmd_sleep_ms(random() % wait + 1, NULL);
			if ((wait *= 2) > 2000)
				wait = 2000;
		}
	}
	return 0;
}

struct put_arg {
	const struct dmd_chunk *c;
	char		**names;	/* name items to write, after chunks */
	size_t		 nnames;
	size_t		 nchunks;
};

static yajl_gen
build_put(struct dyn_table *d, void *arg, size_t from, size_t m)
{
	struct put_arg *pa = arg;
	yajl_gen g = dmd_json_gen();
	char k[64], nk[16];
	size_t i, len;

	yajl_gen_map_open(g);
	dmd_json_str(g, "RequestItems");
	yajl_gen_map_open(g);
	dmd_json_str(g, d->table);
	yajl_gen_array_open(g);
	for (i = from; i < from + m; i++) {
		yajl_gen_map_open(g);
		dmd_json_str(g, "PutRequest");
		yajl_gen_map_open(g);
		dmd_json_str(g, "Item");
		yajl_gen_map_open(g);
		if (i < pa->nchunks) {
			const struct dmd_chunk *c = &pa->c[i];

			chunk_key(c, k, sizeof(k));
			attr(g, "n", "S", c->name);
			attr(g, "k", "S", k);
			attr_num(g, "f", c->first);
			attr_num(g, "l", c->last);
			d->b64 = xgrow(d->b64, &d->b64cap,
			    DMD_BASE64_LEN(c->len) + 1, 1);
			len = dmd_base64_encode(c->data, c->len, d->b64);
			dmd_json_str(g, "d");
			yajl_gen_map_open(g);
			dmd_json_str(g, "B");
			yajl_gen_string(g, (const unsigned char *)d->b64, len);
			yajl_gen_map_close(g);
			if (d->ttl > 0)
				attr_num(g, "x", c->last + d->ttl);
			d->base.stats.write_units += ceil((double)item_size(
			    c->name,
			    k, c->len, d->ttl > 0) / 1024);
		} else {
			const char *name = pa->names[i - pa->nchunks];

			names_key(name, strlen(name), nk, sizeof(nk));
			attr(g, "n", "S", nk);
			attr(g, "k", "S", name);
			d->base.stats.write_units += 1;
		}
		yajl_gen_map_close(g);
		yajl_gen_map_close(g);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	yajl_gen_map_close(g);
	yajl_gen_map_close(g);
	return g;
}

/* Of the names of c[0..n), those not listed yet (not known here, and not
 * in the table): into pa->names. */
static int
new_names(struct dyn_table *d, const struct dmd_chunk *c, size_t n,
    struct put_arg *pa)
{
	char **ask = NULL, nk[16];
	size_t nask = 0, capask = 0, i, j, m;
	yajl_val v, items, it, kv;
	yajl_gen g;
	int rv = 0;

	for (i = 0; i < n; i++) {
		if (is_known(d, c[i].name))
			continue;
		for (j = 0; j < nask && strcmp(ask[j], c[i].name) != 0; j++)
			;
		if (j < nask)
			continue;
		ask = xgrow(ask, &capask, nask + 1, sizeof(*ask));
		ask[nask++] = (char *)c[i].name;
	}
	for (i = 0; i < nask && rv == 0; i += m) {
		m = nask - i < BATCH_GET ? nask - i : BATCH_GET;
		g = dmd_json_gen();
		yajl_gen_map_open(g);
		dmd_json_str(g, "RequestItems");
		yajl_gen_map_open(g);
		dmd_json_str(g, d->table);
		yajl_gen_map_open(g);
		dmd_json_str(g, "Keys");
		yajl_gen_array_open(g);
		for (j = i; j < i + m; j++) {
			names_key(ask[j], strlen(ask[j]), nk, sizeof(nk));
			yajl_gen_map_open(g);
			attr(g, "n", "S", nk);
			attr(g, "k", "S", ask[j]);
			yajl_gen_map_close(g);
		}
		yajl_gen_array_close(g);
		dmd_json_str(g, "ProjectionExpression");
		dmd_json_str(g, "k");
		yajl_gen_map_close(g);
		yajl_gen_map_close(g);
		yajl_gen_map_close(g);
		if (send_gen(d, "BatchGetItem", g) != 0 ||
		    (v = parse_reply(d, "BatchGetItem")) == NULL) {
			rv = -1;
			break;
		}
		d->base.stats.read_units += 0.5 * (double)m;
		items = dmd_json_get(v, "Responses", d->table);
		for (j = 0; items != NULL && YAJL_IS_ARRAY(items) &&
		    j < items->u.array.len; j++) {
			it = items->u.array.values[j];
			kv = dmd_json_get(it, "k", "S");
			if (YAJL_IS_STRING(kv))
				add_known(d, kv->u.string);
		}
		/* unprocessed keys are asked as new: writing a name twice
		 * costs a unit, never a wrong answer */
		yajl_tree_free(v);
	}
	for (i = 0; i < nask && rv == 0; i++)
		if (!is_known(d, ask[i])) {
			pa->names = xrealloc(pa->names, (pa->nnames + 1) *
			    sizeof(*pa->names));
			pa->names[pa->nnames++] = ask[i];
		}
	free(ask);
	return rv;
}

static int
dyn_put(struct dmd_table *t, const struct dmd_chunk *c, size_t n)
{
	struct dyn_table *d = (struct dyn_table *)t;
	struct put_arg pa;
	size_t i;
	int rv;

	memset(&pa, 0, sizeof(pa));
	pa.c = c;
	pa.nchunks = n;
	if (new_names(d, c, n, &pa) != 0)
		return -1;
	/* chunks first: a name listed is a name with chunks */
	rv = batch_write(d, build_put, &pa, n + pa.nnames);
	if (rv == 0)
		for (i = 0; i < pa.nnames; i++)
			add_known(d, pa.names[i]);
	free(pa.names);
	return rv;
}

static yajl_gen
build_del(struct dyn_table *d, void *arg, size_t from, size_t m)
{
	const struct dmd_chunk *c = arg;
	yajl_gen g = dmd_json_gen();
	char k[64];
	size_t i;

	yajl_gen_map_open(g);
	dmd_json_str(g, "RequestItems");
	yajl_gen_map_open(g);
	dmd_json_str(g, d->table);
	yajl_gen_array_open(g);
	for (i = from; i < from + m; i++) {
		chunk_key(&c[i], k, sizeof(k));
		yajl_gen_map_open(g);
		dmd_json_str(g, "DeleteRequest");
		yajl_gen_map_open(g);
		dmd_json_str(g, "Key");
		yajl_gen_map_open(g);
		attr(g, "n", "S", c[i].name);
		attr(g, "k", "S", k);
		yajl_gen_map_close(g);
		yajl_gen_map_close(g);
		yajl_gen_map_close(g);
		d->base.stats.write_units += 1;
	}
	yajl_gen_array_close(g);
	yajl_gen_map_close(g);
	yajl_gen_map_close(g);
	return g;
}

static int
dyn_del(struct dmd_table *t, const struct dmd_chunk *c, size_t n)
{
	return batch_write((struct dyn_table *)t, build_del, (void *)c, n);
}

/* One Query, all its pages: cb(arg, item) for each item. */
static int
query(struct dyn_table *d, const char *pk, const char *from_key,
    int64_t until, const char *projection,
    int (*each)(struct dyn_table *, yajl_val, void *), void *arg)
{
	yajl_val v = NULL, items, last = NULL, cap;
	yajl_gen g;
	size_t i;
	int rv = 0, stop = 0;

	do {
		g = dmd_json_gen();
		yajl_gen_map_open(g);
		dmd_json_str(g, "TableName");
		dmd_json_str(g, d->table);
		dmd_json_str(g, "ConsistentRead");
		yajl_gen_bool(g, 1);
		dmd_json_str(g, "ReturnConsumedCapacity");
		dmd_json_str(g, "TOTAL");
		dmd_json_str(g, "KeyConditionExpression");
		dmd_json_str(g, from_key ? "n = :n AND k >= :k" : "n = :n");
		if (until < INT64_MAX) {
			dmd_json_str(g, "FilterExpression");
			dmd_json_str(g, "f <= :u");
		}
		if (projection != NULL) {
			dmd_json_str(g, "ProjectionExpression");
			dmd_json_str(g, projection);
		}
		dmd_json_str(g, "ExpressionAttributeValues");
		yajl_gen_map_open(g);
		attr(g, ":n", "S", pk);
		if (from_key)
			attr(g, ":k", "S", from_key);
		if (until < INT64_MAX)
			attr_num(g, ":u", until);
		yajl_gen_map_close(g);
		if (last != NULL) {
			dmd_json_str(g, "ExclusiveStartKey");
			copy_value(g, last);
		}
		yajl_gen_map_close(g);
		yajl_tree_free(v);
		v = NULL;
		if (send_gen(d, "Query", g) != 0 ||
		    (v = parse_reply(d, "Query")) == NULL) {
			rv = -1;
			break;
		}
		cap = dmd_json_get(v, "ConsumedCapacity", "CapacityUnits");
		if (cap != NULL && YAJL_IS_NUMBER(cap))
			d->base.stats.read_units += strtod(cap->u.number.r,
			    NULL);
		items = dmd_json_get(v, "Items", NULL);
		for (i = 0; items != NULL && YAJL_IS_ARRAY(items) &&
		    i < items->u.array.len && !stop; i++)
			if ((rv = each(d, items->u.array.values[i], arg)) != 0)
				stop = 1;
		last = dmd_json_get(v, "LastEvaluatedKey", NULL);
	} while (!stop && last != NULL && YAJL_IS_OBJECT(last));
	yajl_tree_free(v);
	return rv < 0 ? -1 : 0;
}

struct get_arg {
	const char	*name;
	int64_t		 from, until;
	dmd_chunk_cb	*cb;
	void		*arg;
};

static int
each_chunk(struct dyn_table *d, yajl_val it, void *arg)
{
	struct get_arg *ga = arg;
	struct dmd_chunk c;
	yajl_val f = dmd_json_get(it, "f", "N"), l = dmd_json_get(it, "l", "N");
	yajl_val k = dmd_json_get(it, "k", "S"), b = dmd_json_get(it, "d", "B");
	unsigned long long seq;
	long n;

	if (!YAJL_IS_STRING(f) || !YAJL_IS_STRING(l) || !YAJL_IS_STRING(k) ||
	    !YAJL_IS_STRING(b) || sscanf(k->u.string, "%*12d.%16llx", &seq) !=
	    1)
		return fail(d, DMD_ERR_DATA, "Query", "an item without its "
		    "attributes");
	memset(&c, 0, sizeof(c));
	c.name = ga->name;
	c.first = strtoll(f->u.string, NULL, 10);
	c.last = strtoll(l->u.string, NULL, 10);
	c.seq = seq;
	d->bin = xgrow(d->bin, &d->bincap, strlen(b->u.string) / 4 * 3 + 4,
	    1);
	if ((n = dmd_base64_decode(b->u.string, strlen(b->u.string),
	    d->bin)) < 0)
		return fail(d, DMD_ERR_DATA, "Query", "a chunk that is not "
		    "base64");
	c.data = d->bin;
	c.len = (size_t)n;
	if (c.last < ga->from || c.first > ga->until)
		return 0;
	return ga->cb(ga->arg, &c) != 0 ? 1 : 0;
}

static int
dyn_get(struct dmd_table *t, const char *name, int64_t from, int64_t until,
    dmd_chunk_cb *cb, void *arg)
{
	struct dyn_table *d = (struct dyn_table *)t;
	struct get_arg ga = { name, from, until, cb, arg };
	char k[24];

	/* chunks that end at or after from: their keys sort after it */
	snprintf(k, sizeof(k), "%012lld", (long long)(from < 0 ? 0 :
	    from > DMD_TIME_MAX ? DMD_TIME_MAX : from));
	return query(d, name, k, until, NULL, each_chunk, &ga);
}

struct names_arg {
	const char	*first;
	size_t		 firstlen;
	dmd_name_cb	*cb;
	void		*arg;
};

static int
each_name(struct dyn_table *d, yajl_val it, void *arg)
{
	struct names_arg *na = arg;
	yajl_val k = dmd_json_get(it, "k", "S");
	size_t len;

	(void)d;
	if (!YAJL_IS_STRING(k))
		return 0;
	len = strlen(k->u.string);
	if (na->first != NULL && (dmd_name_first(k->u.string, len) !=
	    na->firstlen || memcmp(k->u.string, na->first, na->firstlen) != 0))
		return 0;
	return na->cb(na->arg, k->u.string, len) != 0 ? 1 : 0;
}

static int
dyn_names(struct dmd_table *t, const char *first, size_t firstlen,
    dmd_name_cb *cb, void *arg)
{
	struct dyn_table *d = (struct dyn_table *)t;
	struct names_arg na = { first, firstlen, cb, arg };
	char pk[16];
	unsigned g;

	for (g = 0; g < NAME_GROUPS; g++) {
		if (first != NULL && g != dmd_name_hash(first, firstlen) %
		    NAME_GROUPS)
			continue;
		snprintf(pk, sizeof(pk), "#n:%02x", g);
		if (query(d, pk, NULL, INT64_MAX, "k", each_name, &na) != 0)
			return -1;
	}
	return 0;
}

static int
dyn_create(struct dmd_table *t)
{
	struct dyn_table *d = (struct dyn_table *)t;
	yajl_gen g = dmd_json_gen();
	yajl_val v, st;
	int64_t deadline = dmd_mono_ms() + CREATE_WAIT_MS;
	int rv;

	yajl_gen_map_open(g);
	dmd_json_str(g, "TableName");
	dmd_json_str(g, d->table);
	dmd_json_str(g, "BillingMode");
	dmd_json_str(g, "PAY_PER_REQUEST");
	dmd_json_str(g, "AttributeDefinitions");
	yajl_gen_array_open(g);
	yajl_gen_map_open(g);
	dmd_json_str(g, "AttributeName"); dmd_json_str(g, "n");
	dmd_json_str(g, "AttributeType"); dmd_json_str(g, "S");
	yajl_gen_map_close(g);
	yajl_gen_map_open(g);
	dmd_json_str(g, "AttributeName"); dmd_json_str(g, "k");
	dmd_json_str(g, "AttributeType"); dmd_json_str(g, "S");
	yajl_gen_map_close(g);
	yajl_gen_array_close(g);
	dmd_json_str(g, "KeySchema");
	yajl_gen_array_open(g);
	yajl_gen_map_open(g);
	dmd_json_str(g, "AttributeName"); dmd_json_str(g, "n");
	dmd_json_str(g, "KeyType"); dmd_json_str(g, "HASH");
	yajl_gen_map_close(g);
	yajl_gen_map_open(g);
	dmd_json_str(g, "AttributeName"); dmd_json_str(g, "k");
	dmd_json_str(g, "KeyType"); dmd_json_str(g, "RANGE");
	yajl_gen_map_close(g);
	yajl_gen_array_close(g);
	yajl_gen_map_close(g);
	if (call_any(d, "CreateTable", g) != 0)
		return -1;
	/* a table that exists is fine */
	if (d->aws.http.status != 200 && (d->aws.http.status != 400 ||
	    strstr(d->aws.http.body, "ResourceInUseException") == NULL))
		return fail_reply(d, "CreateTable");
	/* wait until it is ACTIVE */
	for (;;) {
		g = dmd_json_gen();
		yajl_gen_map_open(g);
		dmd_json_str(g, "TableName");
		dmd_json_str(g, d->table);
		yajl_gen_map_close(g);
		if (send_gen(d, "DescribeTable", g) != 0 ||
		    (v = parse_reply(d, "DescribeTable")) == NULL)
			return -1;
		st = dmd_json_get(v, "Table", "TableStatus");
		rv = YAJL_IS_STRING(st) && strcmp(st->u.string, "ACTIVE") == 0;
		yajl_tree_free(v);
		if (rv)
			return 0;
		if (dmd_mono_ms() > deadline)
			return fail(d, DMD_ERR_IO, "CreateTable", "the table "
			    "did not become ACTIVE in time");
		dmd_sleep_ms(100, NULL);
	}
}

static void
dyn_close(struct dmd_table *t)
{
	struct dyn_table *d = (struct dyn_table *)t;
	size_t i;

	for (i = 0; i < d->capknown; i++)
		free(d->known[i]);
	free(d->known);
	free(d->bin);
	free(d->b64);
	dmd_aws_release(&d->aws);
	free(d);
}

static const struct dmd_table_ops dyn_ops = {
	dyn_put, dyn_get, dyn_del, dyn_names, dyn_close, dyn_create
};

struct dmd_table *
dmd_table_dynamo_open(const struct dmd_url *u, char *err, size_t errlen)
{
	struct dyn_table *d;
	char region[64], endpoint[DMD_URL_MAX], ttl[32];
	const char *r;
	int given;
	int64_t secs = 0;

	static const char *const params[] = { "region", "endpoint", "ttl",
	    NULL };

	if (dmd_url_params_only(u, params, err, errlen) != 0)
		return NULL;
	if (u->port != 0) {
		snprintf(err, errlen, "a table name has no port: want "
		    "dynamodb://TABLE?endpoint=URL");
		return NULL;
	}
	if (u->host[0] == '\0' || strlen(u->host) < 3 || strlen(u->host) >
	    255 || strspn(u->host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN"
	    "OPQRSTUVWXYZ0123456789_.-") != strlen(u->host) ||
	    (u->path[0] != '\0' && strcmp(u->path, "/") != 0)) {
		snprintf(err, errlen, "bad table name \"%s\" (want "
		    "dynamodb://TABLE?...)", u->host);
		return NULL;
	}
	if (dmd_aws_where(u, "dynamodb", region, endpoint, &given, err,
	    errlen) != 0)
		return NULL;
	if (dmd_url_param(u, "ttl", ttl, sizeof(ttl)) == 0 &&
	    ((secs = dmd_duration_ms(ttl, 1000, 100LL * 366 * 86400000,
	    &r) / 1000) <= 0 || r != NULL)) {
		snprintf(err, errlen, "ttl \"%s\": want a duration such as "
		    "30d", ttl);
		return NULL;
	}
	d = xcalloc(1, sizeof(*d));
	d->base.ops = &dyn_ops;
	if (dmd_aws_init(&d->aws, "dynamodb", region, err, errlen) != 0) {
		free(d);
		return NULL;
	}
	d->aws.stats = &d->base.stats;
	snprintf(d->table, sizeof(d->table), "%s", u->host);
	snprintf(d->url, sizeof(d->url), "%s/", endpoint);
	d->ttl = secs;
	return &d->base;
}
