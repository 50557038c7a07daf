/*
 * aread.c - read series back from archive objects (see aread.h).
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aobj.h"
#include "archiver.h"
#include "aread.h"
#include "block.h"
#include "clock.h"
#include "xmalloc.h"

#define INDEX_CACHE	8	/* parsed indexes kept */

struct aobj_ref {
	char		 key[DMD_KEY_MAX];
	int64_t		 start, len;
	uint64_t	 seq, size;
};

struct group_list {
	int		 listed;
	struct aobj_ref	*o;		/* current objects, by start */
	size_t		 n, cap;
};

struct cached_index {
	char		 key[DMD_KEY_MAX];
	struct dmd_aobj	 idx;
	uint64_t	 use;
	unsigned char	*tail;		/* the bytes fetched with the index */
	size_t		 taillen, tailcap;
	uint64_t	 tailoff;
};

struct dmd_aread {
	struct dmd_archive *a;
	struct group_list g[DMD_AGROUPS];
	struct cached_index ci[INDEX_CACHE];
	uint64_t	 clock;
	unsigned char	*buf;
	size_t		 bufcap;
};

void
dmd_text_printf(struct dmd_text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	t->p = xgrow(t->p, &t->cap, t->len + (size_t)n + 1, 1);
	va_start(ap, fmt);
	(void)vsnprintf(t->p + t->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	t->len += (size_t)n;
}

struct dmd_aread *
dmd_aread_new(struct dmd_archive *a)
{
	struct dmd_aread *r = xcalloc(1, sizeof(*r));
	size_t i;

	r->a = a;
	for (i = 0; i < INDEX_CACHE; i++)
		dmd_aobj_init(&r->ci[i].idx);
	return r;
}

void
dmd_aread_free(struct dmd_aread *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < DMD_AGROUPS; i++)
		free(r->g[i].o);
	for (i = 0; i < INDEX_CACHE; i++) {
		dmd_aobj_release(&r->ci[i].idx);
		free(r->ci[i].tail);
	}
	free(r->buf);
	free(r);
}

static int
on_obj(void *arg, const char *key, uint64_t size)
{
	struct group_list *gl = arg;
	struct aobj_ref *o;
	unsigned g;

	gl->o = xgrow(gl->o, &gl->cap, gl->n + 1, sizeof(*gl->o));
	o = &gl->o[gl->n];
	if (dmd_akey_parse(key, &g, &o->start, &o->len, &o->seq) != 0)
		return 0;
	snprintf(o->key, sizeof(o->key), "%s", key);
	o->size = size;
	/* listed in key order: a later object of the same period is newer */
	if (gl->n > 0 && gl->o[gl->n - 1].start == o->start &&
	    gl->o[gl->n - 1].len == o->len) {
		gl->o[gl->n - 1] = *o;
		return 0;
	}
	gl->n++;
	return 0;
}

static int
list_group(struct dmd_aread *r, unsigned g, struct dmd_text *ex, char *err,
    size_t errlen)
{
	struct group_list *gl = &r->g[g];
	char prefix[8];
	double t0 = dmd_mono_seconds();

	if (gl->listed)
		return 0;
	gl->n = 0;
	snprintf(prefix, sizeof(prefix), "g%02x/", g);
	if (dmd_archive_list(r->a, prefix, on_obj, gl) != 0) {
		snprintf(err, errlen, "%s", r->a->errstr);
		return -1;
	}
	gl->listed = 1;
	if (ex != NULL)
		dmd_text_printf(ex, "archive: list %s: %zu objects, %.3f ms\n",
		    prefix, gl->n, (dmd_mono_seconds() - t0) * 1e3);
	return 0;
}

/* The parsed index of object o, from the cache or fetched (its tail, and
 * more only if the index is bigger).  NULL with err set. */
static struct cached_index *
get_index(struct dmd_aread *r, const struct aobj_ref *o, struct dmd_text *ex,
    char *err, size_t errlen)
{
	struct cached_index *c = NULL;
	uint64_t off, need;
	size_t i, len, got;
	char why[128];
	int rc;
	double t0 = dmd_mono_seconds();

	for (i = 0; i < INDEX_CACHE; i++)
		if (strcmp(r->ci[i].key, o->key) == 0) {
			r->ci[i].use = ++r->clock;
			return &r->ci[i];
		}
	for (i = 0; i < INDEX_CACHE; i++)
		if (c == NULL || r->ci[i].use < c->use)
			c = &r->ci[i];
	c->key[0] = '\0';
	len = o->size < DMD_AOBJ_TAIL ? (size_t)o->size : DMD_AOBJ_TAIL;
	for (;;) {
		off = o->size - len;
		c->tail = xgrow(c->tail, &c->tailcap, len + 1, 1);
		if (dmd_archive_get(r->a, o->key, off, len, c->tail, &got)
		    != 0) {
			snprintf(err, errlen, "%s", r->a->errstr);
			return NULL;
		}
		if (ex != NULL)
			dmd_text_printf(ex, "archive: %s: index, %zu bytes at "
			    "%" PRIu64 ", %.3f ms\n", o->key, got, off,
			    (dmd_mono_seconds() - t0) * 1e3);
		rc = got != len ? -1 : dmd_aobj_index(&c->idx, c->tail, got,
		    o->size, &need, why, sizeof(why));
		if (rc == 0)
			break;
		if (rc < 0 || len == o->size) {
			snprintf(err, errlen, "archive object %s: %s", o->key,
			    got != len ? "shorter than listed" : why);
			return NULL;
		}
		len = (size_t)(o->size - need);
	}
	snprintf(c->key, sizeof(c->key), "%s", o->key);
	c->use = ++r->clock;
	c->taillen = len;
	c->tailoff = off;
	return c;
}

/* Fetch and check the block of e in object o into r->buf: from the
 * bytes fetched with the index when it is among them (small objects are
 * read whole at once: one request per object), else a ranged read. */
static int
get_block(struct dmd_aread *r, const struct aobj_ref *o,
    const struct cached_index *c, const struct dmd_aobj_entry *e,
    struct dmd_text *ex, char *err, size_t errlen)
{
	size_t got;
	double t0 = dmd_mono_seconds();
	int fetched = 0;

	r->buf = xgrow(r->buf, &r->bufcap, (size_t)e->len + 1, 1);
	if (e->off >= c->tailoff && e->off + e->len <= c->tailoff +
	    c->taillen) {
		memcpy(r->buf, c->tail + (e->off - c->tailoff),
		    (size_t)e->len);
		got = (size_t)e->len;
	} else if (dmd_archive_get(r->a, o->key, e->off, (size_t)e->len,
	    r->buf, &got) != 0) {
		snprintf(err, errlen, "%s", r->a->errstr);
		return -1;
	} else
		fetched = 1;
	if (ex != NULL)
		dmd_text_printf(ex, "archive: %s: %s %s, %zu bytes at %" PRIu64
		    ", %s, %.3f ms\n", o->key, e->name, e->res ? "rollup" :
		    "points", got, e->off, fetched ? "ranged read" :
		    "came with the index", (dmd_mono_seconds() - t0) * 1e3);
	if (!dmd_aobj_check(e, r->buf, got)) {
		snprintf(err, errlen, "archive object %s: block of \"%s\" fails "
		    "its checksum", o->key, e->name);
		return -1;
	}
	return 0;
}

/* Does newer hold a point in [lo, hi]? */
static int
has_points(const struct dmd_sample *s, size_t n, int64_t lo, int64_t hi)
{
	size_t a = 0, b = n, m;

	while (a < b) {
		m = a + (b - a) / 2;
		if (s[m].time < lo)
			a = m + 1;
		else
			b = m;
	}
	return a < n && s[a].time <= hi;
}

static int
read_series(struct dmd_aread *r, const char *name, int64_t from,
    int64_t until, int64_t step, const struct dmd_sample *newer,
    size_t nnewer, struct dmd_sample **s, size_t *n, size_t *cap,
    struct dmd_aseg **seg, size_t *nseg, size_t *capseg,
    struct dmd_rollup **ru, size_t *nru, size_t *capru,
    struct dmd_text *ex, char *err, size_t errlen)
{
	unsigned g = dmd_agroup(name);
	struct group_list *gl;
	const struct dmd_aobj *idx;
	struct cached_index *ci;
	const struct dmd_aobj_entry *e, *best;
	size_t i, k, n0;
	long got;

	if (list_group(r, g, ex, err, errlen) != 0)
		return -1;
	gl = &r->g[g];
	for (i = 0; i < gl->n; i++) {
		const struct aobj_ref *o = &gl->o[i];
		int64_t end = o->start + o->len - 1;

		if (end < from || o->start > until)
			continue;
		if ((ci = get_index(r, o, ex, err, errlen)) == NULL)
			return -1;
		idx = &ci->idx;
		best = NULL;
		/* rollups where no newer point lands in the period, or
		 * where they are all that is left (points past retention) */
		if (step > 0 && o->start >= from && end <= until &&
		    (!has_points(newer, nnewer, o->start, end) ||
		    dmd_aobj_find(idx, name, 0) == NULL))
			for (k = 0; k < idx->n; k++) {
				e = &idx->e[k];
				if (strcmp(e->name, name) == 0 && e->res > 0 &&
				    step % e->res == 0 &&
				    (best == NULL || e->res > best->res))
					best = e;
			}
		if (best != NULL) {
			if (get_block(r, o, ci, best, ex, err, errlen) != 0)
				return -1;
			*ru = xgrow(*ru, capru, *nru + (size_t)best->count + 1,
			    sizeof(**ru));
			got = dmd_rollup_decode(r->buf, (size_t)best->len,
			    *ru + *nru, (size_t)best->count);
			if (got != (long)best->count) {
				snprintf(err, errlen, "archive object %s: "
				    "rollup of \"%s\" does not decode", o->key,
				    name);
				return -1;
			}
			*nru += (size_t)got;
			continue;
		}
		if ((e = dmd_aobj_find(idx, name, 0)) == NULL ||
		    e->last < from || e->first > until)
			continue;
		if (get_block(r, o, ci, e, ex, err, errlen) != 0)
			return -1;
		n0 = *n;
		if (dmd_block_decode((const char *)r->buf, (size_t)e->len, from,
		    until, s, n, cap) != 0) {
			snprintf(err, errlen, "archive object %s: block of "
			    "\"%s\" does not decode", o->key, name);
			return -1;
		}
		*seg = xgrow(*seg, capseg, *nseg + 1, sizeof(**seg));
		(*seg)[*nseg].seq = e->seq;
		(*seg)[*nseg].off = n0;
		(*seg)[(*nseg)++].n = *n - n0;
	}
	return 0;
}

int
dmd_aread_series(struct dmd_aread *r, const char *name, int64_t from,
    int64_t until, int64_t step, const struct dmd_sample *newer,
    size_t nnewer, struct dmd_sample **s, size_t *n, size_t *cap,
    struct dmd_aseg **seg, size_t *nseg, size_t *capseg,
    struct dmd_rollup **ru, size_t *nru, size_t *capru,
    struct dmd_text *ex, char *err, size_t errlen)
{
	size_t n0 = *n, nru0 = *nru, nseg0 = *nseg;

	r->a->err = DMD_ERR_NONE;
	if (read_series(r, name, from, until, step, newer, nnewer, s, n, cap,
	    seg, nseg, capseg, ru, nru, capru, ex, err, errlen) == 0)
		return 0;
	if (r->a->err != DMD_ERR_GONE)
		return -1;
	/* superseded between listing and reading: list again, once */
	r->g[dmd_agroup(name)].listed = 0;
	*n = n0;
	*nru = nru0;
	*nseg = nseg0;
	if (ex != NULL)
		dmd_text_printf(ex, "archive: an object was superseded while "
		    "read: listing again\n");
	return read_series(r, name, from, until, step, newer, nnewer, s, n,
	    cap, seg, nseg, capseg, ru, nru, capru, ex, err, errlen);
}

void
dmd_aread_relist(struct dmd_aread *r)
{
	size_t i;

	for (i = 0; i < DMD_AGROUPS; i++)
		r->g[i].listed = 0;
}

int
dmd_aread_horizon(struct dmd_archive *a, int64_t *h)
{
	unsigned char buf[32];
	size_t got;
	char *e;

	if (dmd_archive_get(a, "horizon", 0, sizeof(buf) - 1, buf, &got) != 0)
		return 1;
	buf[got] = '\0';
	*h = strtoll((char *)buf, &e, 10);
	return e == (char *)buf || (*e != '\n' && *e != '\0');
}
