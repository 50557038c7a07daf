/*
 * stream_kinesis.c - the intake log in Amazon Kinesis Data Streams (or a
 * store with its API): kinesis://STREAM[?region=R][&endpoint=URL].
 *
 * A partition is a shard, in ListShards order; a record goes to the
 * shard of its partition key, "dmd.pNNN" for partition NNN of the
 * names' hash, so every point of a series goes through one shard, in
 * order.  PutRecords takes up to 500 records and 5 MB a call; records
 * it reports failed are sent again, with backoff.  Positions are the
 * sequence number of the last record read ("" the oldest, "latest" the
 * end, "@MS" the first record at or after MS): reading from one gets a
 * shard iterator (TRIM_HORIZON, LATEST, AT_TIMESTAMP or
 * AFTER_SEQUENCE_NUMBER) and calls GetRecords until the shard has
 * nothing more (MillisBehindLatest 0), getting a new iterator if one
 * expires.  Kinesis keeps records for its own retention: trim does
 * nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#include "awsjson.h"
#include "base64.h"
#include "clock.h"
#include "stream_kinesis.h"
#include "xmalloc.h"

#define PUT_RECORDS_MAX	500
#define PUT_BYTES_MAX	(5 * 1024 * 1024)
#define PUT_TRIES	10
#define SHARDS_MAX	1024
#define GET_LIMIT	1000
#define EMPTY_READS_MAX	3	/* reads with nothing before giving up */
#define AT_TIMESTAMP_MS	2000

struct kin_stream {
	struct dmd_stream base;
	struct dmd_aws	 aws;
	char		 name[129];
	char		 url[DMD_URL_MAX + 2];
	char		**shards;	/* shard ids, in ListShards order */
	char		**hashkeys;	/* their StartingHashKey */
	size_t		 nshards;
	unsigned char	*bin;
	size_t		 bincap;
	char		*b64;
	size_t		 b64cap;
};

static int
fail(struct kin_stream *k, int err, const char *what, const char *detail)
{
	k->base.err = err;
	snprintf(k->base.errstr, sizeof(k->base.errstr), "kinesis %.40s: "
	    "%.180s", what, detail);
	return -1;
}

/* Call op; its answer, a JSON object, in *out unless out is NULL. */
static int
call(struct kin_stream *k, const char *op, yajl_gen g, yajl_val *out)
{
	char err[DMD_ERRSTR_MAX], detail[200];

	if (dmd_awsjson_post(&k->aws, k->url, "Kinesis_20131202", "1.1", op,
	    g, err, sizeof(err)) != 0)
		return fail(k, DMD_ERR_IO, op, err);
	if (k->aws.http.status != 200)
		return fail(k, dmd_awsjson_failure(&k->aws, detail,
		    sizeof(detail)), op, detail);
	if (out == NULL)	/* an answer without a body: CreateStream */
		return 0;
	if ((*out = dmd_awsjson_object(&k->aws)) == NULL)
		return fail(k, DMD_ERR_REPLY, op, "answer is not a JSON object");
	return 0;
}

/* The open shards, in ListShards order (the partitions). */
static int
list_shards(struct kin_stream *k)
{
	yajl_val v, sh, id, end, next;
	yajl_gen g;
	char token[1024] = "";
	size_t i;

	do {
		g = dmd_json_gen();
		yajl_gen_map_open(g);
		if (token[0] != '\0') {
			dmd_json_str(g, "NextToken");
			dmd_json_str(g, token);
		} else {
			dmd_json_str(g, "StreamName");
			dmd_json_str(g, k->name);
		}
		yajl_gen_map_close(g);
		if (call(k, "ListShards", g, &v) != 0)
			return -1;
		sh = dmd_json_get(v, "Shards", NULL);
		for (i = 0; YAJL_IS_ARRAY(sh) && i < sh->u.array.len; i++) {
			yajl_val s = sh->u.array.values[i];
			yajl_val hk = dmd_json_get(s, "HashKeyRange",
			    "StartingHashKey");

			id = dmd_json_get(s, "ShardId", NULL);
			end = dmd_json_get(s, "SequenceNumberRange",
			    "EndingSequenceNumber");
			if (!YAJL_IS_STRING(id) || !YAJL_IS_STRING(hk) ||
			    end != NULL)
				continue;	/* closed by a reshard */
			if (k->nshards == SHARDS_MAX)
				break;
			k->shards = xrealloc(k->shards, (k->nshards + 1) *
			    sizeof(*k->shards));
			k->hashkeys = xrealloc(k->hashkeys, (k->nshards + 1) *
			    sizeof(*k->hashkeys));
			k->hashkeys[k->nshards] = xstrdup(hk->u.string);
			k->shards[k->nshards++] = xstrdup(id->u.string);
		}
		next = dmd_json_get(v, "NextToken", NULL);
		token[0] = '\0';
		if (YAJL_IS_STRING(next))
			snprintf(token, sizeof(token), "%s", next->u.string);
		yajl_tree_free(v);
	} while (token[0] != '\0');
	if (k->nshards == 0)
		return fail(k, DMD_ERR_CONFIG, "ListShards", "no open shard");
	k->base.partitions = (int)k->nshards;
	return 0;
}

static int
kin_append(struct dmd_stream *s, int p, const unsigned char *const *data,
    const size_t *len, size_t n)
{
	struct kin_stream *k = (struct kin_stream *)s;
	unsigned char *done = xcalloc(n ? n : 1, 1);
	char key[32];
	yajl_val v, recs, r;
	yajl_gen g;
	size_t i, j, m, bytes, left = n, b64len;
	int64_t wait = 100;
	int tries, rv = 0;

	if (p < 0 || (size_t)p >= k->nshards) {
		free(done);
		return fail(k, DMD_ERR_CONFIG, "PutRecords", "no such "
		    "partition");
	}
	snprintf(key, sizeof(key), "dmd.p%03d", p);
	for (tries = 0; left > 0 && rv == 0; tries++) {
		if (tries == PUT_TRIES) {
			rv = fail(k, DMD_ERR_IO, "PutRecords", "records still "
			    "failing after retries");
			break;
		}
		if (tries > 0) {
			dmd_sleep_ms(random() % wait + 1, NULL);
			if ((wait *= 2) > 2000)
				wait = 2000;
			k->aws.retries++;
		}
		/* the records not done yet, in calls of 500 and 5 MB */
		for (i = 0; i < n && rv == 0; ) {
			size_t *which = xcalloc(PUT_RECORDS_MAX,
			    sizeof(*which));

			g = dmd_json_gen();
			yajl_gen_map_open(g);
			dmd_json_str(g, "StreamName");
			dmd_json_str(g, k->name);
			dmd_json_str(g, "Records");
			yajl_gen_array_open(g);
			for (m = 0, bytes = 0; i < n && m < PUT_RECORDS_MAX;
			    i++) {
				if (done[i])
					continue;
				if (m > 0 && bytes + len[i] + strlen(key) >
				    PUT_BYTES_MAX)
					break;
				k->b64 = xgrow(k->b64, &k->b64cap,
				    DMD_BASE64_LEN(len[i]) + 1, 1);
				b64len = dmd_base64_encode(data[i], len[i],
				    k->b64);
				yajl_gen_map_open(g);
				dmd_json_str(g, "Data");
				yajl_gen_string(g, (const unsigned char *)
				    k->b64, b64len);
				dmd_json_str(g, "PartitionKey");
				dmd_json_str(g, key);
				/* partition p is shard p: its first hash key */
				dmd_json_str(g, "ExplicitHashKey");
				dmd_json_str(g, k->hashkeys[p]);
				yajl_gen_map_close(g);
				bytes += len[i] + strlen(key);
				which[m++] = i;
			}
			yajl_gen_array_close(g);
			yajl_gen_map_close(g);
			if (m == 0) {
				yajl_gen_free(g);
				free(which);
				continue;
			}
			if (call(k, "PutRecords", g, &v) != 0) {
				free(which);
				rv = -1;
				break;
			}
			/* records stored up to the first that failed; from
			 * it on all are sent again, in order (a later write
			 * of a point must stay later) */
			recs = dmd_json_get(v, "Records", NULL);
			for (j = 0; j < m; j++) {
				r = YAJL_IS_ARRAY(recs) && j <
				    recs->u.array.len ? recs->u.array.values[j] :
				    NULL;
				if (r == NULL || !YAJL_IS_STRING(dmd_json_get(r,
				    "SequenceNumber", NULL)))
					break;
				done[which[j]] = 1;
				left--;
			}
			yajl_tree_free(v);
			free(which);
			if (j < m)
				break;	/* the rest of this round too */
		}
	}
	free(done);
	return rv;
}

/* A shard iterator for position pos of shard p. */
static int
iterator(struct kin_stream *k, int p, const char *pos, char *it,
    size_t itlen)
{
	yajl_val v, x;
	yajl_gen g = dmd_json_gen();
	char num[32];
	int rc;

	yajl_gen_map_open(g);
	dmd_json_str(g, "StreamName");
	dmd_json_str(g, k->name);
	dmd_json_str(g, "ShardId");
	dmd_json_str(g, k->shards[p]);
	dmd_json_str(g, "ShardIteratorType");
	if (pos == NULL || *pos == '\0')
		dmd_json_str(g, "TRIM_HORIZON");
	else if (strcmp(pos, "latest") == 0)
		dmd_json_str(g, "LATEST");
	else if (pos[0] == '@') {
		dmd_json_str(g, "AT_TIMESTAMP");
		dmd_json_str(g, "Timestamp");
		snprintf(num, sizeof(num), "%.3f", strtod(pos + 1, NULL) /
		    1e3);
		yajl_gen_number(g, num, strlen(num));
	} else {
		dmd_json_str(g, "AFTER_SEQUENCE_NUMBER");
		dmd_json_str(g, "StartingSequenceNumber");
		dmd_json_str(g, pos);
	}
	yajl_gen_map_close(g);
	if (pos != NULL && pos[0] == '@') {
		/* some stand-ins never answer AT_TIMESTAMP when no record
		 * is that young: after a short wait, the end it is (the
		 * position stays the time, for the next read) */
		k->aws.timeout_ms = AT_TIMESTAMP_MS;
		rc = call(k, "GetShardIterator", g, &v);
		k->aws.timeout_ms = 0;
		if (rc != 0 && k->base.err == DMD_ERR_IO &&
		    strstr(k->base.errstr, "timed out") != NULL)
			return iterator(k, p, "latest", it, itlen);
	} else
		rc = call(k, "GetShardIterator", g, &v);
	if (rc != 0)
		return -1;
	x = dmd_json_get(v, "ShardIterator", NULL);
	if (!YAJL_IS_STRING(x)) {
		yajl_tree_free(v);
		return fail(k, DMD_ERR_REPLY, "GetShardIterator", "no iterator");
	}
	snprintf(it, itlen, "%s", x->u.string);
	yajl_tree_free(v);
	return 0;
}

/* A record's ApproximateArrivalTimestamp (seconds, a JSON number) in
 * Unix ms; 0 if missing or out of range (a double too big for int64_t
 * would be undefined behaviour to convert). */
static int64_t
arrival_ms(yajl_val ts)
{
	double ms;

	if (!YAJL_IS_NUMBER(ts))
		return 0;
	ms = strtod(ts->u.number.r, NULL) * 1e3;
	return ms > 0 && ms < 9e18 ? (int64_t)ms : 0;
}

static int
kin_read(struct dmd_stream *s, int p, const char *from, dmd_record_cb *cb,
    void *arg)
{
	struct kin_stream *k = (struct kin_stream *)s;
	char it[2048], pos[DMD_STREAM_POS_MAX];
	yajl_val v, recs, r, d, seq, ts, behind, next;
	struct dmd_record rec;
	yajl_gen g;
	size_t i;
	long n;
	int empty = 0, stop = 0;

	if (p < 0 || (size_t)p >= k->nshards)
		return fail(k, DMD_ERR_CONFIG, "read", "no such partition");
	snprintf(pos, sizeof(pos), "%s", from ? from : "");
	if (iterator(k, p, pos, it, sizeof(it)) != 0)
		return -1;
	while (!stop) {
		g = dmd_json_gen();
		yajl_gen_map_open(g);
		dmd_json_str(g, "ShardIterator");
		dmd_json_str(g, it);
		dmd_json_str(g, "Limit");
		yajl_gen_integer(g, GET_LIMIT);
		yajl_gen_map_close(g);
		if (call(k, "GetRecords", g, &v) != 0) {
			/* an iterator lives five minutes: a new one from
			 * where we are */
			if (strstr(k->base.errstr, "ExpiredIterator") != NULL &&
			    iterator(k, p, pos, it, sizeof(it)) == 0)
				continue;
			return -1;
		}
		recs = dmd_json_get(v, "Records", NULL);
		for (i = 0; YAJL_IS_ARRAY(recs) && i < recs->u.array.len &&
		    !stop; i++) {
			r = recs->u.array.values[i];
			d = dmd_json_get(r, "Data", NULL);
			seq = dmd_json_get(r, "SequenceNumber", NULL);
			ts = dmd_json_get(r, "ApproximateArrivalTimestamp", NULL);
			if (!YAJL_IS_STRING(d) || !YAJL_IS_STRING(seq)) {
				yajl_tree_free(v);
				return fail(k, DMD_ERR_REPLY, "GetRecords",
				    "a record without Data");
			}
			k->bin = xgrow(k->bin, &k->bincap,
			    strlen(d->u.string) / 4 * 3 + 4, 1);
			if ((n = dmd_base64_decode(d->u.string,
			    strlen(d->u.string), k->bin)) < 0) {
				yajl_tree_free(v);
				return fail(k, DMD_ERR_DATA, "GetRecords",
				    "a record that is not base64");
			}
			snprintf(pos, sizeof(pos), "%s", seq->u.string);
			rec.data = k->bin;
			rec.len = (size_t)n;
			rec.time_ms = arrival_ms(ts);
			rec.next = pos;
			if (cb(arg, &rec) != 0)
				stop = 1;
		}
		behind = dmd_json_get(v, "MillisBehindLatest", NULL);
		next = dmd_json_get(v, "NextShardIterator", NULL);
		/* the end as it was: nothing more behind, or a few empty
		 * answers (a reader of an idle shard) */
		if (YAJL_IS_ARRAY(recs) && recs->u.array.len == 0)
			empty++;
		if (!YAJL_IS_STRING(next) || (YAJL_IS_INTEGER(behind) &&
		    YAJL_GET_INTEGER(behind) == 0 && (!YAJL_IS_ARRAY(recs) ||
		    recs->u.array.len == 0)) || empty >= EMPTY_READS_MAX)
			stop = 1;
		else
			snprintf(it, sizeof(it), "%s", next->u.string);
		yajl_tree_free(v);
	}
	return 0;
}

static int
kin_oldest(struct dmd_stream *s, int p, char *pos)
{
	(void)s;
	(void)p;
	pos[0] = '\0';
	return 0;
}

/* "The end" as a position that stays put: records appended from now
 * on.  (LATEST itself would move on with every new iterator and skip
 * what arrived between two reads.) */
static int
kin_latest(struct dmd_stream *s, int p, char *pos)
{
	(void)s;
	(void)p;
	snprintf(pos, DMD_STREAM_POS_MAX, "@%lld", (long long)dmd_wall_ms());
	return 0;
}

static int
kin_at_time(struct dmd_stream *s, int p, int64_t ms, char *pos)
{
	int64_t now = dmd_wall_ms();

	(void)s;
	(void)p;
	/* Kinesis refuses a time to come: from now, then */
	snprintf(pos, DMD_STREAM_POS_MAX, "@%lld", (long long)(ms > now ?
	    now : ms));
	return 0;
}

static int
kin_trim(struct dmd_stream *s, int64_t before_ms, uint64_t *removed)
{
	(void)s;
	(void)before_ms;
	*removed = 0;	/* Kinesis keeps its own retention */
	return 0;
}

static void
kin_close(struct dmd_stream *s)
{
	struct kin_stream *k = (struct kin_stream *)s;
	size_t i;

	for (i = 0; i < k->nshards; i++) {
		free(k->shards[i]);
		free(k->hashkeys[i]);
	}
	free(k->shards);
	free(k->hashkeys);
	free(k->bin);
	free(k->b64);
	dmd_aws_release(&k->aws);
	free(k);
}

static const struct dmd_stream_ops kin_ops = {
	kin_append, kin_read, kin_oldest, kin_latest, kin_at_time, kin_trim,
	kin_close
};

/* Create the stream with n shards and wait until it is ACTIVE. */
static int
create(struct kin_stream *k, int n)
{
	yajl_val v, st;
	yajl_gen g = dmd_json_gen();
	int64_t deadline = dmd_mono_ms() + 60000;
	int active;

	yajl_gen_map_open(g);
	dmd_json_str(g, "StreamName");
	dmd_json_str(g, k->name);
	dmd_json_str(g, "ShardCount");
	yajl_gen_integer(g, n);
	yajl_gen_map_close(g);
	if (call(k, "CreateStream", g, NULL) != 0 &&
	    strstr(k->base.errstr, "ResourceInUse") == NULL)
		return -1;	/* a stream that exists is fine */
	for (;;) {
		g = dmd_json_gen();
		yajl_gen_map_open(g);
		dmd_json_str(g, "StreamName");
		dmd_json_str(g, k->name);
		yajl_gen_map_close(g);
		if (call(k, "DescribeStreamSummary", g, &v) != 0)
			return -1;
		st = dmd_json_get(v, "StreamDescriptionSummary",
		    "StreamStatus");
		active = YAJL_IS_STRING(st) && strcmp(st->u.string,
		    "ACTIVE") == 0;
		yajl_tree_free(v);
		if (active)
			return 0;
		if (dmd_mono_ms() > deadline)
			return fail(k, DMD_ERR_IO, "CreateStream", "the stream "
			    "did not become ACTIVE in time");
		dmd_sleep_ms(100, NULL);
	}
}

struct dmd_stream *
dmd_stream_kinesis_open(const struct dmd_url *u, int partitions, char *err,
    size_t errlen, int *why)
{
	static const char *const params[] = { "region", "endpoint", NULL };
	struct kin_stream *k;
	char region[64], endpoint[DMD_URL_MAX];
	int given;

	if (dmd_url_params_only(u, params, err, errlen) != 0)
		return NULL;
	if (u->host[0] == '\0' || strlen(u->host) > 128 || u->port != 0 ||
	    strspn(u->host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUV"
	    "WXYZ0123456789_.-") != strlen(u->host) ||
	    (u->path[0] != '\0' && strcmp(u->path, "/") != 0)) {
		snprintf(err, errlen, "bad stream name \"%s\" (want "
		    "kinesis://STREAM?...)", u->host);
		return NULL;
	}
	if (dmd_aws_where(u, "kinesis", region, endpoint, &given, err,
	    errlen) != 0)
		return NULL;
	k = xcalloc(1, sizeof(*k));
	k->base.ops = &kin_ops;
	if (dmd_aws_init(&k->aws, "kinesis", region, err, errlen) != 0) {
		free(k);
		return NULL;
	}
	k->aws.stats = &k->base.stats;
	snprintf(k->name, sizeof(k->name), "%s", u->host);
	snprintf(k->url, sizeof(k->url), "%s/", endpoint);
	if ((partitions > 0 && create(k, partitions) != 0) ||
	    list_shards(k) != 0) {
		snprintf(err, errlen, "%s", k->base.errstr);
		/* unreachable is a backend failure; a stream that is not
		 * there (and not asked for with -n) is the user's */
		*why = k->base.err;
		kin_close(&k->base);
		return NULL;
	}
	return &k->base;
}
