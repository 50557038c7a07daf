/*
 * archiver.c - move table chunks into archive objects (see archiver.h).
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aobj.h"
#include "archiver.h"
#include "batch.h"
#include "block.h"
#include "rollup.h"
#include "xmalloc.h"

#define BUDGET		(64 << 20)	/* chunk bytes held at once */
#define WINDOW		7		/* periods a step past BUDGET */

/* An object of a group, from the listing. */
struct obj {
	char		 key[DMD_KEY_MAX];
	int64_t		 start, len;
	uint64_t	 seq, size;
	int		 current;	/* highest seq of its period */
};

/* A table chunk to move, its bytes in the run's buffer. */
struct mchunk {
	size_t		 name;		/* index into names */
	int64_t		 first, last;
	uint64_t	 seq;
	size_t		 off, len;
};

struct run {
	struct dmd_table *t;
	struct dmd_archive *a;
	const struct dmd_archive_opts *o;
	struct dmd_archive_counts *cnt;
	const char	*which;
	char		*err;
	size_t		 errlen;
	/* names of every group, grouped */
	char		**names[DMD_AGROUPS];
	size_t		 nnames[DMD_AGROUPS], capnames[DMD_AGROUPS];
	/* the group at work */
	struct obj	*objs;
	size_t		 nobjs, capobjs;
	struct mchunk	*ch;
	size_t		 nch, capch;
	unsigned char	*data;
	size_t		 datalen, datacap;
	size_t		 cur;		/* name being read */
	int64_t		 cutoff;
	int64_t		 wend;		/* chunks ending before it */
	int		 over;		/* the chunks passed BUDGET */
};

unsigned
dmd_agroup(const char *name)
{
	return dmd_name_hash(name, dmd_name_first(name, strlen(name))) %
	    DMD_AGROUPS;
}

void
dmd_akey_make(char *out, size_t outsz, unsigned group, int64_t start,
    int64_t len, uint64_t seq)
{
	snprintf(out, outsz, "g%02x/%012" PRId64 "-%" PRId64 "-%016" PRIx64,
	    group, start, len, seq);
}

int
dmd_akey_parse(const char *key, unsigned *group, int64_t *start,
    int64_t *len, uint64_t *seq)
{
	char again[DMD_KEY_MAX];
	unsigned long long s;
	long long st, ln;
	unsigned g;
	int n = 0;

	if (sscanf(key, "g%2x/%12lld-%lld-%16llx%n", &g, &st, &ln, &s, &n) != 4 ||
	    key[n] != '\0' || g >= DMD_AGROUPS || ln <= 0)
		return -1;
	dmd_akey_make(again, sizeof(again), g, st, ln, s);
	if (strcmp(again, key) != 0)	/* only the canonical spelling */
		return -1;
	*group = g;
	*start = st;
	*len = ln;
	*seq = s;
	return 0;
}

static int __attribute__((format(printf, 3, 4)))
failf(struct run *r, const char *which, const char *f, ...)
{
	va_list ap;

	r->which = which;
	va_start(ap, f);
	(void)vsnprintf(r->err, r->errlen, f, ap);
	va_end(ap);
	return -1;
}

static int
fail(struct run *r, const char *which, const char *msg)
{
	return failf(r, which, "%s", msg);
}

static int
on_name(void *arg, const char *name, size_t len)
{
	struct run *r = arg;
	unsigned g;
	char buf[DMD_NAME_MAX + 1];

	if (len > DMD_NAME_MAX)
		return 0;
	memcpy(buf, name, len);
	buf[len] = '\0';
	g = dmd_agroup(buf);
	r->names[g] = xgrow(r->names[g], &r->capnames[g], r->nnames[g] + 1,
	    sizeof(*r->names[g]));
	r->names[g][r->nnames[g]++] = xstrdup(buf);
	return 0;
}

static int
on_obj(void *arg, const char *key, uint64_t size)
{
	struct run *r = arg;
	struct obj *o;
	unsigned g;

	r->objs = xgrow(r->objs, &r->capobjs, r->nobjs + 1, sizeof(*r->objs));
	o = &r->objs[r->nobjs];
	if (dmd_akey_parse(key, &g, &o->start, &o->len, &o->seq) != 0)
		return 0;	/* not ours */
	snprintf(o->key, sizeof(o->key), "%s", key);
	o->size = size;
	o->current = 0;
	r->nobjs++;
	return 0;
}

static int
on_chunk(void *arg, const struct dmd_chunk *c)
{
	struct run *r = arg;
	struct mchunk *m;

	if (c->first >= r->wend)
		return 0;	/* all of it newer: later */
	/* past the memory budget, keep only what the chunk is */
	if (!r->over && r->datalen + c->len > BUDGET) {
		r->over = 1;
		r->datalen = 0;
	}
	if (!r->over) {
		r->data = xgrow(r->data, &r->datacap, r->datalen + c->len, 1);
		memcpy(r->data + r->datalen, c->data, c->len);
	}
	r->ch = xgrow(r->ch, &r->capch, r->nch + 1, sizeof(*r->ch));
	m = &r->ch[r->nch++];
	m->name = r->cur;
	m->first = c->first;
	m->last = c->last;
	m->seq = c->seq;
	m->off = r->datalen;
	m->len = c->len;
	if (!r->over)
		r->datalen += c->len;
	return 0;
}

static int
cmpseq(const void *a, const void *b)
{
	const struct mchunk *x = a, *y = b;

	if (x->seq != y->seq)
		return x->seq < y->seq ? -1 : 1;
	return x->off < y->off ? -1 : x->off > y->off;
}

static int
cmpstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Read a whole object and parse its index.  buf is xgrow'd. */
static int
read_object(struct run *r, const struct obj *ob, unsigned char **buf,
    size_t *cap, struct dmd_aobj *idx)
{
	char why[128];
	uint64_t need;
	size_t got;

	*buf = xgrow(*buf, cap, (size_t)ob->size + 1, 1);
	if (dmd_archive_get(r->a, ob->key, 0, (size_t)ob->size, *buf,
	    &got) != 0)
		return fail(r, "archive", r->a->errstr);
	if (got != ob->size || dmd_aobj_index(idx, *buf, got, got, &need,
	    why, sizeof(why)) != 0)
		return failf(r, "archive", "object %s: %s", ob->key,
		    got != ob->size ? "shorter than listed" : why);
	return 0;
}

/* Check an object as written: index, checksums, every block decodes. */
static int
verify(struct run *r, const char *key, size_t size, size_t nblocks)
{
	struct dmd_aobj idx;
	struct obj ob;
	unsigned char *buf = NULL;
	struct dmd_sample *s = NULL;
	struct dmd_rollup *ru = NULL;
	size_t cap = 0, i, n, scap = 0, rcap = 0;
	int rv = 0;

	dmd_aobj_init(&idx);
	snprintf(ob.key, sizeof(ob.key), "%s", key);
	ob.size = size;
	if (read_object(r, &ob, &buf, &cap, &idx) != 0) {
		rv = -1;
		goto out;
	}
	for (i = 0; i < idx.n && rv == 0; i++) {
		const struct dmd_aobj_entry *e = &idx.e[i];
		const unsigned char *b = buf + e->off;

		n = 0;
		if (!dmd_aobj_check(e, b, (size_t)e->len))
			rv = -1;
		else if (e->res == 0) {
			if (dmd_block_decode((const char *)b, (size_t)e->len,
			    INT64_MIN, INT64_MAX, &s, &n, &scap) != 0 ||
			    n != e->count)
				rv = -1;
		} else {
			ru = xgrow(ru, &rcap, (size_t)e->count + 1,
			    sizeof(*ru));
			if (dmd_rollup_decode(b, (size_t)e->len, ru,
			    (size_t)e->count) != (long)e->count)
				rv = -1;
		}
	}
	if (rv == 0 && idx.n != nblocks)
		rv = -1;
	if (rv != 0)
		failf(r, "archive", "object %s does not read back as written; "
		    "the table keeps its chunks", key);
out:
	dmd_aobj_release(&idx);
	free(buf);
	free(s);
	free(ru);
	return rv;
}

/* One series of the object being built. */
struct bseries {
	char		*name;
	struct dmd_sample *s;		/* points: the old object's, then
					 * the chunks', resolved */
	size_t		 n, cap;
	uint64_t	 seq;		/* newest flush sequence */
	uint32_t	 res[DMD_ROLLUPS_MAX];	/* rollups the old object had */
	size_t		 nres;
	int		 had_raw;	/* ... and its points */
};

static int
cmpbs(const void *a, const void *b)
{
	return strcmp(((const struct bseries *)a)->name,
	    ((const struct bseries *)b)->name);
}

static struct bseries *
bs_get(struct bseries **v, size_t *n, size_t *cap, const char *name)
{
	size_t i;

	for (i = *n; i-- > 0; )		/* the last one, mostly */
		if (strcmp((*v)[i].name, name) == 0)
			return &(*v)[i];
	*v = xgrow(*v, cap, *n + 1, sizeof(**v));
	memset(&(*v)[*n], 0, sizeof(**v));
	(*v)[*n].name = xstrdup(name);
	return &(*v)[(*n)++];
}

/* The retention of the blocks of resolution res (0: the raw points) in
 * an object whose index is idx (NULL: the raw points of any object). */
static int64_t
retention_of(const struct dmd_archive_opts *o, const struct dmd_aobj *idx,
    uint32_t res)
{
	size_t j, k;

	for (j = 0; j < o->nret; j++)
		if (o->ret[j].res == res)
			return o->ret[j].dur;
	if (res != 0)
		return o->retention_all;
	/* the raw points: named "raw", or by a resolution (the smallest)
	 * that is none of the object's rollups nor of those -R makes */
	for (j = 0; j < o->nret; j++) {
		for (k = 0; idx != NULL && k < idx->n; k++)
			if (idx->e[k].res == o->ret[j].res)
				break;
		if (idx != NULL && k < idx->n)
			continue;
		for (k = 0; k < o->nrollups; k++)
			if (o->rollups[k] == o->ret[j].res)
				break;
		if (k == o->nrollups)
			return o->ret[j].dur;
	}
	return o->retention_all;
}

/* Is period [p, p + P) past the retention of raw points? */
static int
raw_expired(const struct run *r, int64_t p, const struct dmd_aobj *idx)
{
	int64_t ret = retention_of(r->o, idx, 0);

	return ret > 0 && p + r->o->period <= r->o->now - ret;
}

/* Merge the buckets of old rollup block e into ru[0..n) (both by time).
 * Returns the buckets. */
static size_t
merge_old(struct dmd_rollup **ru, size_t *rcap, size_t n,
    const struct dmd_aobj_entry *e, const unsigned char *obuf)
{
	struct dmd_rollup *old = xcalloc((size_t)e->count + 1, sizeof(*old));
	struct dmd_rollup *out;
	size_t i = 0, j = 0, o = 0, no;
	long got;

	got = dmd_rollup_decode(obuf + e->off, (size_t)e->len, old,
	    (size_t)e->count);
	no = got > 0 ? (size_t)got : 0;
	out = xcalloc(n + no + 1, sizeof(*out));
	while (i < n || j < no) {
		if (j == no || (i < n && (*ru)[i].t < old[j].t))
			out[o++] = (*ru)[i++];
		else if (i == n || old[j].t < (*ru)[i].t)
			out[o++] = old[j++];
		else {
			out[o] = old[j++];
			dmd_rollup_merge(&out[o++], &(*ru)[i++]);
		}
	}
	*ru = xgrow(*ru, rcap, o + 1, sizeof(**ru));
	memcpy(*ru, out, o * sizeof(*out));
	free(out);
	free(old);
	return o;
}

/* Build and store the object of period [p, p + P) of group g from the
 * current object (cur, or NULL) and the chunks; delete cur once the new
 * one reads back. */
static int
build_period(struct run *r, unsigned g, int64_t p, const struct obj *cur)
{
	const int64_t P = r->o->period;
	struct bseries *bs = NULL, *b;
	size_t nbs = 0, capbs = 0, i, j, k, len, nr, nblocks = 0;
	struct dmd_aobj idx, out;
	unsigned char *obuf = NULL, *blk = NULL;
	struct dmd_rollup *ru = NULL;
	struct dmd_sample *chk = NULL;
	size_t ocap = 0, blkcap = 0, rcap = 0, chkcap = 0, nchk;
	uint32_t res[2 * DMD_ROLLUPS_MAX];
	uint64_t seq = 0;
	char key[DMD_KEY_MAX];
	int rv = -1, put = 0, expired;

	dmd_aobj_init(&idx);
	dmd_aobj_init(&out);

	/* the points the current object holds */
	if (cur != NULL) {
		if (read_object(r, cur, &obuf, &ocap, &idx) != 0)
			goto done;
		seq = cur->seq + 1;
		for (i = 0; i < idx.n; i++) {
			const struct dmd_aobj_entry *e = &idx.e[i];

			if (!dmd_aobj_check(e, obuf + e->off, (size_t)e->len)) {
				failf(r, "archive", "object %s: block of "
				    "\"%s\" fails its checksum", cur->key,
				    e->name);
				goto done;
			}
			b = bs_get(&bs, &nbs, &capbs, e->name);
			if (e->seq > b->seq)
				b->seq = e->seq;
			if (e->res != 0) {
				if (b->nres < DMD_ROLLUPS_MAX)
					b->res[b->nres++] = e->res;
				continue;
			}
			b->had_raw = 1;
			if (dmd_block_decode((const char *)obuf + e->off,
			    (size_t)e->len, INT64_MIN, INT64_MAX, &b->s, &b->n,
			    &b->cap) != 0) {
				failf(r, "archive", "object %s: block of "
				    "\"%s\" does not decode", cur->key,
				    e->name);
				goto done;
			}
		}
	}
	/* then the chunks, in flush order: newer than what the object has
	 * of them (a period past the raw points' retention keeps only
	 * their rollups, below) */
	expired = raw_expired(r, p, cur ? &idx : NULL);
	for (k = 0; k < r->nch; k++) {
		const struct mchunk *c = &r->ch[k];

		if (c->last < p || c->first >= p + P)
			continue;
		b = bs_get(&bs, &nbs, &capbs, r->names[g][c->name]);
		if (c->seq > b->seq)
			b->seq = c->seq;
		if (dmd_block_decode((const char *)r->data + c->off, c->len, p,
		    p + P - 1, &b->s, &b->n, &b->cap) != 0) {
			failf(r, "table", "corrupt chunk of \"%s\" in the "
			    "table", b->name);
			goto done;
		}
	}
	if (nbs > 1)
		qsort(bs, nbs, sizeof(*bs), cmpbs);

	for (i = 0; i < nbs; i++) {
		b = &bs[i];
		if (b->seq > seq)
			seq = b->seq;
		if (b->n == 0 && b->nres == 0)
			continue;
		if (b->n == 0) {
			/* raw points past retention, rollups kept: copy */
			for (k = 0; k < idx.n; k++)
				if (strcmp(idx.e[k].name, b->name) == 0 &&
				    idx.e[k].res != 0) {
					const struct dmd_aobj_entry *e =
					    &idx.e[k];

					dmd_aobj_add(&out, e->name, e->res,
					    e->first, e->last, e->count, e->seq,
					    obuf + e->off, (size_t)e->len);
					nblocks++;
				}
			continue;
		}
		b->n = dmd_samples_resolve(b->s, b->n);
		if (!expired) {
			blk = xgrow(blk, &blkcap, dmd_block_bound(b->n), 1);
			len = dmd_block_encode(b->s, b->n, (char *)blk);
			/* verify before the chunks go: decode, compare */
			nchk = 0;
			if (dmd_block_decode((const char *)blk, len, INT64_MIN,
			    INT64_MAX, &chk, &nchk, &chkcap) != 0 ||
			    nchk != b->n || !dmd_samples_same(chk, b->s, b->n)) {
				len = dmd_block_encode_raw(b->s, b->n,
				    (char *)blk);
				r->cnt->raw_blocks++;
			}
			dmd_aobj_add(&out, b->name, 0, b->s[0].time,
			    b->s[b->n - 1].time, b->n, b->seq, blk, len);
			nblocks++;
			r->cnt->points += b->n;
		}
		/* rollups: those asked for, and those the old object had */
		nr = 0;
		for (j = 0; j < r->o->nrollups; j++)
			res[nr++] = r->o->rollups[j];
		for (j = 0; j < b->nres; j++) {
			for (k = 0; k < nr && res[k] != b->res[j]; k++)
				;
			if (k == nr)
				res[nr++] = b->res[j];
		}
		for (j = 1; j < nr; j++)	/* ascending: index order */
			for (k = j; k > 0 && res[k - 1] > res[k]; k--) {
				uint32_t t = res[k];

				res[k] = res[k - 1];
				res[k - 1] = t;
			}
		for (j = 0; j < nr; j++) {
			const struct dmd_aobj_entry *oe;
			size_t nb;

			ru = xgrow(ru, &rcap, b->n, sizeof(*ru));
			nb = dmd_rollup_make(b->s, b->n, res[j], ru);
			/* the old object kept only rollups of this series
			 * (its points past retention): add the new points'
			 * buckets to them */
			if (!b->had_raw && cur != NULL &&
			    (oe = dmd_aobj_find(&idx, b->name, res[j])) != NULL)
				nb = merge_old(&ru, &rcap, nb, oe, obuf);
			blk = xgrow(blk, &blkcap, dmd_rollup_bound(nb), 1);
			len = dmd_rollup_encode(ru, nb, blk);
			dmd_aobj_add(&out, b->name, res[j], ru[0].t,
			    ru[nb - 1].t, nb, b->seq, blk, len);
			nblocks++;
		}
	}
	if (nblocks == 0) {
		rv = 0;
		goto done;
	}
	dmd_aobj_finish(&out);
	/* above the current object's and the chunks': see archiver.h */
	dmd_akey_make(key, sizeof(key), g, p, P, seq);
	if (dmd_archive_put(r->a, key, out.buf, out.len) != 0) {
		fail(r, "archive", r->a->errstr);
		goto done;
	}
	put = 1;
	if (verify(r, key, out.len, nblocks) != 0)
		goto done;
	put = 2;
	r->cnt->objects++;
	r->cnt->bytes += out.len;
	if (cur != NULL) {
		if (dmd_archive_del(r->a, cur->key) != 0) {
			fail(r, "archive", r->a->errstr);
			goto done;
		}
		r->cnt->deleted++;
	}
	rv = 0;
done:
	/* an object that did not read back must not stay current */
	if (rv != 0 && put == 1)
		(void)dmd_archive_del(r->a, key);
	for (i = 0; i < nbs; i++) {
		free(bs[i].name);
		free(bs[i].s);
	}
	free(bs);
	free(obuf);
	free(blk);
	free(ru);
	free(chk);
	dmd_aobj_release(&idx);
	dmd_aobj_release(&out);
	return rv;
}

static int
cmpobj(const void *a, const void *b)
{
	const struct obj *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* List the group's objects; mark the current one of each period and
 * delete the superseded ones (left by a run that died). */
static int
list_group(struct run *r, unsigned g)
{
	char prefix[8];
	size_t i;

	r->nobjs = 0;
	snprintf(prefix, sizeof(prefix), "g%02x/", g);
	if (dmd_archive_list(r->a, prefix, on_obj, r) != 0)
		return fail(r, "archive", r->a->errstr);
	if (r->nobjs > 1)
		qsort(r->objs, r->nobjs, sizeof(*r->objs), cmpobj);
	for (i = 0; i < r->nobjs; i++) {
		struct obj *o = &r->objs[i];

		o->current = i + 1 == r->nobjs ||
		    r->objs[i + 1].start != o->start ||
		    r->objs[i + 1].len != o->len;
		if (!o->current) {
			if (dmd_archive_del(r->a, o->key) != 0)
				return fail(r, "archive", r->a->errstr);
			r->cnt->deleted++;
		}
	}
	return 0;
}

static const struct obj *
current_of(struct run *r, int64_t p)
{
	size_t i;

	for (i = 0; i < r->nobjs; i++)
		if (r->objs[i].current && r->objs[i].start == p &&
		    r->objs[i].len == r->o->period)
			return &r->objs[i];
	return NULL;
}

/* Move the group's old chunks. */
/* Read the group's chunks that end before wend. */
static int
collect(struct run *r, unsigned g, int64_t wend)
{
	size_t i;

	r->nch = r->datalen = 0;
	r->over = 0;
	r->wend = wend;
	for (i = 0; i < r->nnames[g]; i++) {
		r->cur = i;
		if (dmd_table_get(r->t, r->names[g][i], INT64_MIN, wend - 1,
		    on_chunk, r) != 0)
			return fail(r, "table", r->t->errstr);
	}
	if (r->nch > 1)
		qsort(r->ch, r->nch, sizeof(*r->ch), cmpseq);
	return 0;
}

/* Put back into the table the points at or after r->wend of the chunks
 * that reach past it, each as a chunk of its own flush sequence. */
static int
split_chunks(struct run *r, unsigned g)
{
	struct dmd_sample *s = NULL, *chk = NULL;
	unsigned char *blk = NULL;
	size_t k, n, cap = 0, bcap = 0, len, nchk, chkcap = 0;
	struct dmd_chunk c;
	int rv = 0;

	for (k = 0; k < r->nch && rv == 0; k++) {
		const struct mchunk *m = &r->ch[k];

		if (m->last < r->wend)
			continue;
		n = 0;
		if (dmd_block_decode((const char *)r->data + m->off, m->len,
		    r->wend, INT64_MAX, &s, &n, &cap) != 0 || n == 0) {
			rv = failf(r, "table", "corrupt chunk of \"%s\" in "
			    "the table", r->names[g][m->name]);
			break;
		}
		blk = xgrow(blk, &bcap, dmd_block_bound(n), 1);
		len = dmd_block_encode(s, n, (char *)blk);
		/* checked like every block written: decoded and compared */
		nchk = 0;
		if (dmd_block_decode((const char *)blk, len, INT64_MIN,
		    INT64_MAX, &chk, &nchk, &chkcap) != 0 || nchk != n ||
		    !dmd_samples_same(chk, s, n)) {
			len = dmd_block_encode_raw(s, n, (char *)blk);
			r->cnt->raw_blocks++;
		}
		c.name = r->names[g][m->name];
		c.first = s[0].time;
		c.last = s[n - 1].time;
		c.seq = m->seq;
		c.data = blk;
		c.len = len;
		if (dmd_table_put(r->t, &c, 1) != 0)
			rv = fail(r, "table", r->t->errstr);
	}
	free(s);
	free(chk);
	free(blk);
	return rv;
}

/* Archive the collected chunks (r->ch, all with data) and delete them. */
static int
move_chunks(struct run *r, unsigned g)
{
	size_t k, nseries;
	int64_t p, lo = INT64_MAX, hi = INT64_MIN;
	char *seen;

	for (k = 0; k < r->nch; k++) {
		if (r->ch[k].first < lo)
			lo = r->ch[k].first;
		if (r->ch[k].last > hi)
			hi = r->ch[k].last;
	}
	if (hi >= r->wend)
		hi = r->wend - 1;
	for (p = dmd_bucket_start(lo, r->o->period); p <= hi;
	    p += r->o->period) {
		for (k = 0; k < r->nch; k++)
			if (r->ch[k].last >= p &&
			    r->ch[k].first < p + r->o->period)
				break;
		if (k == r->nch)
			continue;	/* a gap */
		if (build_period(r, g, p, current_of(r, p)) != 0)
			return -1;
	}
	/* a chunk that reaches past the cutoff leaves its older points in
	 * the archive and goes back to the table with the others, under
	 * its own flush sequence: no chunk left in the table holds points
	 * an archive block holds too */
	if (split_chunks(r, g) != 0)
		return -1;
	/* the chunks, oldest first: a crash leaves the newest */
	seen = xcalloc(r->nnames[g] ? r->nnames[g] : 1, 1);
	for (k = 0, nseries = 0; k < r->nch; k++) {
		struct dmd_chunk c;

		c.name = r->names[g][r->ch[k].name];
		c.first = r->ch[k].first;
		c.last = r->ch[k].last;
		c.seq = r->ch[k].seq;
		c.data = NULL;
		c.len = 0;
		if (dmd_table_del(r->t, &c, 1) != 0) {
			free(seen);
			return fail(r, "table", r->t->errstr);
		}
		if (!seen[r->ch[k].name]++)
			nseries++;
	}
	free(seen);
	r->cnt->chunks += r->nch;
	r->cnt->series += nseries;
	return 0;
}

/* Move the group's old chunks: all at once when they fit the memory
 * budget, else a window of WINDOW periods at a time, oldest first. */
static int
move_group(struct run *r, unsigned g)
{
	int64_t lo, wend, P = r->o->period;
	size_t k, kmin;

	if (collect(r, g, r->cutoff) != 0)
		return -1;
	while (r->nch > 0) {
		if (!r->over)
			return move_chunks(r, g);
		/* the window: from the oldest chunk, at least as far as
		 * its end, so that every window moves something */
		for (k = 1, kmin = 0; k < r->nch; k++)
			if (r->ch[k].first < r->ch[kmin].first)
				kmin = k;
		lo = dmd_bucket_start(r->ch[kmin].first, P);
		wend = lo + WINDOW * P;
		if (dmd_bucket_start(r->ch[kmin].last, P) + P > wend)
			wend = dmd_bucket_start(r->ch[kmin].last, P) + P;
		if (wend > r->cutoff)
			wend = r->cutoff;
		if (collect(r, g, wend) != 0)
			return -1;
		if (r->over)
			return failf(r, "table", "the chunks of group %02x "
			    "in %d periods exceed %d MB", g, WINDOW,
			    BUDGET >> 20);
		if (move_chunks(r, g) != 0 || list_group(r, g) != 0 ||
		    collect(r, g, r->cutoff) != 0)
			return -1;
	}
	return 0;
}

/* Drop what is past retention in the group's current objects: whole
 * objects, or the resolutions past theirs (rewritten without them). */
static int
expire_group(struct run *r, unsigned g)
{
	const struct dmd_archive_opts *o = r->o;
	struct dmd_aobj idx, out;
	unsigned char *buf = NULL;
	size_t cap = 0, i, k, nkeep;
	char key[DMD_KEY_MAX];
	int64_t minret;
	int rv = 0, any, all;

	/* the shortest retention set: objects younger than it keep all */
	minret = o->retention_all;
	for (k = 0; k < o->nret; k++)
		if (o->ret[k].dur > 0 && (minret == 0 ||
		    o->ret[k].dur < minret))
			minret = o->ret[k].dur;
	dmd_aobj_init(&idx);
	for (i = 0; i < r->nobjs && rv == 0; i++) {
		const struct obj *ob = &r->objs[i];
		int64_t end = ob->start + ob->len;

		if (!ob->current)
			continue;
		if (minret == 0 || end > o->now - minret)
			continue;	/* nothing in it can be past its own */
		if (read_object(r, ob, &buf, &cap, &idx) != 0) {
			rv = -1;
			break;
		}
		/* each block by its own resolution's retention */
		any = 0;
		all = 1;
		for (k = 0; k < idx.n; k++) {
			int64_t ret = retention_of(o, &idx, idx.e[k].res);
			int d = ret > 0 && end <= o->now - ret;

			any |= d;
			all &= d;
		}
		if (!any)
			continue;
		if (all) {
			if (dmd_archive_del(r->a, ob->key) != 0)
				rv = fail(r, "archive", r->a->errstr);
			else
				r->cnt->deleted++;
			continue;
		}
		dmd_aobj_init(&out);
		for (k = 0, nkeep = 0; k < idx.n; k++) {
			const struct dmd_aobj_entry *e = &idx.e[k];
			int64_t ret = retention_of(o, &idx, e->res);

			if (ret > 0 && end <= o->now - ret)
				continue;
			dmd_aobj_add(&out, e->name, e->res, e->first, e->last,
			    e->count, e->seq, buf + e->off, (size_t)e->len);
			nkeep++;
		}
		if (nkeep == idx.n) {	/* resolutions we do not know */
			dmd_aobj_release(&out);
			continue;
		}
		dmd_aobj_finish(&out);
		dmd_akey_make(key, sizeof(key), g, ob->start, ob->len,
		    ob->seq + 1);
		if (nkeep == 0) {
			if (dmd_archive_del(r->a, ob->key) != 0)
				rv = fail(r, "archive", r->a->errstr);
			else
				r->cnt->deleted++;
		} else if (dmd_archive_put(r->a, key, out.buf, out.len) != 0)
			rv = fail(r, "archive", r->a->errstr);
		else if (verify(r, key, out.len, nkeep) != 0) {
			(void)dmd_archive_del(r->a, key);
			rv = -1;
		}
		else if (dmd_archive_del(r->a, ob->key) != 0)
			rv = fail(r, "archive", r->a->errstr);
		else {
			r->cnt->objects++;
			r->cnt->bytes += out.len;
			r->cnt->deleted++;
		}
		dmd_aobj_release(&out);
	}
	dmd_aobj_release(&idx);
	free(buf);
	return rv;
}

int
dmd_archiver_run(struct dmd_table *t, struct dmd_archive *a,
    const struct dmd_archive_opts *o, struct dmd_archive_counts *n,
    const char **which, char *err, size_t errlen)
{
	struct run r;
	unsigned g;
	size_t i;
	int rv = 0, lk;

	memset(&r, 0, sizeof(r));
	r.t = t;
	r.a = a;
	r.o = o;
	r.cnt = n;
	r.err = err;
	r.errlen = errlen;
	r.cutoff = dmd_bucket_start(o->now - o->older_than, o->period);
	*which = NULL;
	if ((lk = dmd_archive_lock(a)) != 0) {
		if (lk < 0) {
			*which = "archive";
			snprintf(err, errlen, "%s", a->errstr);
			return -1;
		}
		n->busy = 1;
		return 0;
	}
	if (dmd_table_names(t, NULL, 0, on_name, &r) != 0)
		rv = fail(&r, "table", t->errstr);
	for (g = 0; g < DMD_AGROUPS && rv == 0; g++) {
		if (r.nnames[g] > 1)
			qsort(r.names[g], r.nnames[g], sizeof(char *), cmpstr);
		if ((rv = list_group(&r, g)) != 0)
			break;
		if ((rv = move_group(&r, g)) != 0)
			break;
		if ((rv = list_group(&r, g)) != 0)
			break;
		rv = expire_group(&r, g);
	}
	if (rv == 0 && !n->busy) {
		/* every point before the cutoff that the table held is in
		 * the archive now: readers may skip the cache below it */
		char h[32];

		snprintf(h, sizeof(h), "%" PRId64 "\n", r.cutoff);
		if (dmd_archive_put(a, "horizon", (const unsigned char *)h,
		    strlen(h)) != 0)
			rv = fail(&r, "archive", a->errstr);
	}
	*which = r.which;
	for (g = 0; g < DMD_AGROUPS; g++) {
		for (i = 0; i < r.nnames[g]; i++)
			free(r.names[g][i]);
		free(r.names[g]);
	}
	free(r.objs);
	free(r.ch);
	free(r.data);
	return rv;
}
