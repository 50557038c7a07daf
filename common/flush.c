/*
 * flush.c - move points from the cache tier to the table tier (flush.h).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "block.h"
#include "codec.h"
#include "flush.h"
#include "xmalloc.h"

#define GROUP		256		/* shards claimed at once */
#define SUB_POINTS	(1 << 20)	/* points moved per sub-batch */
#define SUB_SERIES	1024		/* series moved per sub-batch */

struct flusher {
	struct dmd_cache *cache;
	struct dmd_table *table;
	const struct dmd_flush_opts *o;
	struct dmd_flush_counts *n;
	struct dmd_flush_item *items;
	size_t		 nitems, capitems;
	struct dmd_chunk *chunks;
	size_t		 nchunks, capchunks;
	size_t		*offs;		/* chunk data offsets into buf */
	size_t		 capoffs;
	unsigned char	*buf;
	size_t		 buflen, bufcap;
	struct dmd_sample *check;	/* decoded copy, for verifying */
	size_t		 capcheck;
	const char	*which;
	char		*err;
	size_t		 errlen;
};

static int
cache_fail(struct flusher *f)
{
	f->which = "cache";
	snprintf(f->err, f->errlen, "%s", f->cache->errstr);
	return -1;
}

static int
on_due(void *arg, const struct dmd_flush_item *it)
{
	struct flusher *f = arg;

	f->items = xgrow(f->items, &f->capitems, f->nitems + 1,
	    sizeof(*f->items));
	f->items[f->nitems] = *it;
	f->items[f->nitems].samples = NULL;
	f->items[f->nitems].n = f->items[f->nitems].cap = 0;
	f->nitems++;
	return 0;
}

/* Encode s[0..n) into one chunk of at most DMD_CHUNK_BYTES (unless it
 * holds a single point) and check that it decodes to exactly s; if it
 * does not (a codec bug), store the points raw instead, which is exact by
 * construction, and count it.  Returns the points taken. */
static size_t
add_chunk(struct flusher *f, const struct dmd_flush_item *it,
    const struct dmd_sample *s, size_t n)
{
	size_t len;
	long got;

	if (n > DMD_CHUNK_POINTS)
		n = DMD_CHUNK_POINTS;
	f->buf = xgrow(f->buf, &f->bufcap, f->buflen + dmd_codec_bound(n), 1);
	for (;;) {
		len = dmd_codec_encode(s, n, f->buf + f->buflen);
		if (len <= DMD_CHUNK_BYTES || n == 1)
			break;
		n /= 2;
	}
	f->check = xgrow(f->check, &f->capcheck, n, sizeof(*f->check));
	got = dmd_codec_decode(f->buf + f->buflen, len, f->check, n);
	if (got != (long)n || !dmd_samples_same(s, f->check, n)) {
		len = dmd_block_encode_raw(s, n, (char *)f->buf + f->buflen);
		f->n->raw_chunks++;
	}
	f->chunks = xgrow(f->chunks, &f->capchunks, f->nchunks + 1,
	    sizeof(*f->chunks));
	f->offs = xgrow(f->offs, &f->capoffs, f->nchunks + 1,
	    sizeof(*f->offs));
	f->chunks[f->nchunks].name = it->name;
	f->chunks[f->nchunks].first = s[0].time;
	f->chunks[f->nchunks].last = s[n - 1].time;
	f->chunks[f->nchunks].seq = it->seq;
	f->chunks[f->nchunks].len = len;
	f->offs[f->nchunks++] = f->buflen;
	f->buflen += len;
	return n;
}

/* Move items[0..n): freeze, take, write chunks, finish. */
static int
move(struct flusher *f, struct dmd_flush_item *it, size_t n)
{
	size_t i, j, old, k;
	uint64_t points = 0, kept = 0;

	if (dmd_cache_freeze(f->cache, it, n, f->o->policy.keep > 0 ?
	    f->o->policy.now - f->o->policy.keep : INT64_MAX) != 0 ||
	    dmd_cache_take(f->cache, it, n) != 0)
		return cache_fail(f);
	f->nchunks = f->buflen = 0;
	for (i = 0; i < n; i++) {
		if (it[i].gone)
			continue;
		for (old = 0; old < it[i].n &&
		    it[i].samples[old].time < it[i].cutoff; old++)
			;
		for (j = 0; j < old; j += k)
			k = add_chunk(f, &it[i], it[i].samples + j, old - j);
		points += old;
		kept += it[i].n - old;
	}
	for (i = 0; i < f->nchunks; i++)
		f->chunks[i].data = f->buf + f->offs[i];
	if (dmd_table_put(f->table, f->chunks, f->nchunks) != 0) {
		f->which = "table";
		snprintf(f->err, f->errlen, "%s", f->table->errstr);
		return -1;
	}
	if (dmd_cache_finish(f->cache, it, n) != 0)
		return cache_fail(f);
	for (i = 0; i < n; i++)
		if (!it[i].gone) {
			f->n->series++;
			f->n->resumed += it[i].resumed != 0;
		}
	f->n->points += points;
	f->n->kept += kept;
	f->n->chunks += f->nchunks;
	f->n->bytes += f->buflen;
	return 0;
}

static void
free_items(struct flusher *f)
{
	size_t i;

	for (i = 0; i < f->nitems; i++)
		free(f->items[i].samples);
	f->nitems = 0;
}

static int
group(struct flusher *f, uint32_t first, uint32_t n)
{
	unsigned char got[GROUP];
	size_t i, j;
	uint64_t pts;
	uint32_t k;
	int rv = 0;

	if (dmd_cache_claim(f->cache, first, n, got) != 0)
		return cache_fail(f);
	for (k = 0; k < n; k++)
		f->n->shards_busy += !got[k];
	if (dmd_cache_due(f->cache, first, n, got, &f->o->policy, on_due,
	    f) != 0)
		rv = cache_fail(f);
	if (rv == 0 && f->o->limit > 0 &&
	    f->n->series + f->nitems > f->o->limit)
		f->nitems = f->o->limit > f->n->series ?
		    f->o->limit - f->n->series : 0;
	for (i = 0; rv == 0 && i < f->nitems; i = j) {
		for (j = i, pts = 0; j < f->nitems && j - i < SUB_SERIES &&
		    (j == i || pts + f->items[j].count <= SUB_POINTS); j++)
			pts += f->items[j].count;
		rv = move(f, f->items + i, j - i);
	}
	free_items(f);
	/* a failed release lapses by itself */
	(void)dmd_cache_release(f->cache, first, n, got);
	return rv;
}

int
dmd_flush_run(struct dmd_cache *c, struct dmd_table *t,
    const struct dmd_flush_opts *o, struct dmd_flush_counts *n,
    const char **which, char *err, size_t errlen)
{
	struct flusher f;
	uint32_t first;
	int rv = 0;

	memset(&f, 0, sizeof(f));
	f.cache = c;
	f.table = t;
	f.o = o;
	f.n = n;
	f.err = err;
	f.errlen = errlen;
	for (first = 0; first < DMD_CACHE_SHARDS && rv == 0; first += GROUP) {
		if (o->limit > 0 && n->series >= o->limit)
			break;
		rv = group(&f, first, GROUP);
	}
	*which = f.which;
	free(f.items);
	free(f.chunks);
	free(f.offs);
	free(f.buf);
	free(f.check);
	return rv;
}
