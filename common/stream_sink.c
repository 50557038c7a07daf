/*
 * stream_sink.c - batches into the log, as records of compressed blocks
 * (see stream.h and logrec.h).
 */
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "logrec.h"
#include "stream.h"
#include "xmalloc.h"

#define RECORD_TARGET	(256 * 1024)	/* a record is closed past this */

/* The records of one partition for one batch, back to back in buf. */
struct dmd_sink_part {
	unsigned char	*buf;
	size_t		 len, cap;
	size_t		*end;		/* end offset of each record */
	size_t		 nrec, capend;
	int		 done;		/* appended: not again on a retry */
	/* for the append call */
	const unsigned char **data;
	size_t		*dlen, capdata, capdlen;
};

static int sink_put(struct dmd_cache *, struct dmd_batch *);
static void sink_close(struct dmd_cache *);

static const struct dmd_cache_ops sink_ops = {
	.put = sink_put,
	.close = sink_close,
};

void
dmd_stream_sink_init(struct dmd_stream_sink *k, struct dmd_stream *s)
{
	memset(k, 0, sizeof(*k));
	k->cache.ops = &sink_ops;
	k->log = s;
	k->parts = xcalloc((size_t)s->partitions, sizeof(*k->parts));
}

void
dmd_stream_sink_release(struct dmd_stream_sink *k)
{
	int p;

	if (k->parts == NULL)
		return;
	for (p = 0; p < k->log->partitions; p++) {
		free(k->parts[p].buf);
		free(k->parts[p].end);
		free(k->parts[p].data);
		free(k->parts[p].dlen);
	}
	free(k->parts);
	k->parts = NULL;
}

static void
sink_close(struct dmd_cache *c)
{
	(void)c;	/* the caller's: dmd_stream_sink_release() */
}

/* Close the record being filled, if any. */
static void
seal(struct dmd_sink_part *pt)
{
	size_t start = pt->nrec > 0 ? pt->end[pt->nrec - 1] : 0;

	if (pt->len == start)
		return;
	pt->end = xgrow(pt->end, &pt->capend, pt->nrec + 1, sizeof(*pt->end));
	pt->end[pt->nrec++] = pt->len;
}

/* Add n samples of a series to the records of partition pt. */
static void
add(struct dmd_sink_part *pt, const char *name, size_t namelen,
    const struct dmd_sample *s, size_t n)
{
	size_t start, rec;

	start = pt->nrec > 0 ? pt->end[pt->nrec - 1] : 0;
	if (pt->len > start && pt->len - start + dmd_logrec_bound(namelen,
	    n) > RECORD_TARGET) {
		seal(pt);
		start = pt->len;
	}
	pt->buf = xgrow(pt->buf, &pt->cap, pt->len + dmd_logrec_bound(namelen,
	    n), 1);
	rec = pt->len - start;
	dmd_logrec_add(pt->buf + start, &rec, name, namelen, s, n);
	pt->len = start + rec;
}

static int
append(struct dmd_stream_sink *k, int p)
{
	struct dmd_sink_part *pt = &k->parts[p];
	size_t i, start = 0;

	pt->data = xgrow(pt->data, &pt->capdata, pt->nrec,
	    sizeof(*pt->data));
	pt->dlen = xgrow(pt->dlen, &pt->capdlen, pt->nrec, sizeof(*pt->dlen));
	for (i = 0; i < pt->nrec; i++) {
		pt->data[i] = pt->buf + start;
		pt->dlen[i] = pt->end[i] - start;
		start = pt->end[i];
	}
	if (dmd_stream_append(k->log, p, pt->data, pt->dlen, pt->nrec) != 0)
		return -1;
	k->records += pt->nrec;
	k->bytes += pt->len;
	pt->done = 1;
	return 0;
}

static int
sink_put(struct dmd_cache *c, struct dmd_batch *b)
{
	struct dmd_stream_sink *k = (struct dmd_stream_sink *)c;
	const struct dmd_batch_series *bs;
	struct dmd_sink_part *pt;
	size_t i, j, n;
	int p, nparts = k->log->partitions, rv = 0;

	if (b != k->retry || b->npoints != k->retry_n)
		for (p = 0; p < nparts; p++)
			k->parts[p].done = 0;
	for (p = 0; p < nparts; p++) {
		k->parts[p].len = 0;
		k->parts[p].nrec = 0;
	}
	for (i = 0; i < b->nseries; i++) {
		bs = &b->series[i];
		pt = &k->parts[dmd_stream_partition(k->log, bs->name,
		    bs->namelen)];
		if (pt->done)
			continue;
		for (j = 0; j < bs->n; j += n) {
			n = bs->n - j < DMD_LOGREC_SAMPLES ? bs->n - j :
			    DMD_LOGREC_SAMPLES;
			add(pt, bs->name, bs->namelen, bs->samples + j, n);
		}
	}
	/* a partition that fails does not hold up the others */
	for (p = 0; p < nparts; p++) {
		seal(&k->parts[p]);
		if (k->parts[p].done || k->parts[p].nrec == 0 ||
		    append(k, p) == 0)
			continue;
		if (rv == 0) {
			c->err = k->log->err;
			memcpy(c->errstr, k->log->errstr, sizeof(c->errstr));
		}
		rv = -1;
	}
	if (rv != 0) {
		k->retry = b;
		k->retry_n = b->npoints;
	} else
		k->retry = NULL;
	dmd_cache_stats_move(&c->stats, &k->log->stats);
	return rv;
}
