/*
 * fetch.c - read series from every tier at once and merge (fetch.h).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agg.h"
#include "aread.h"
#include "block.h"
#include "clock.h"
#include "fetch.h"
#include "rollup.h"
#include "xmalloc.h"

#define SERIES_PER_THREAD	16

struct chunkref {
	uint64_t	 seq;
	size_t		 off, len;
};

/* One series of a group being read. */
struct dmd_fetch_series {
	const char	*name;
	struct dmd_sample *s;		/* table points, then cache points */
	size_t		 n, cap;
	struct dmd_sample *cs;		/* cache points */
	size_t		 cn, ccap;
	struct chunkref	*refs;
	size_t		 nrefs, caprefs;
	unsigned char	*data;		/* chunk bytes */
	size_t		 datalen, datacap;
	struct dmd_sample *as;		/* archive points */
	size_t		 an, acap;
	struct dmd_aseg	*seg;		/* ... a segment per block */
	size_t		 nseg, capseg;
	struct dmd_aseg	*tseg;		/* table points, a segment a chunk */
	size_t		 ntseg, captseg;
	struct dmd_sample *m;		/* merging */
	size_t		 mn, mcap;
	struct dmd_rollup *ru;		/* archive rollup buckets */
	size_t		 nru, capru;
	struct dmd_rollup *bk;		/* buckets of the points */
	size_t		 capbk;
	struct dmd_text	 ex;		/* --explain lines */
	int		 failed;	/* 1 table, 2 corrupt chunk, 3 archive */
	char		 errstr[DMD_ERRSTR_MAX];
};

struct job {
	struct dmd_fetch *f;
	struct dmd_table *table;
	struct dmd_aread *aread;
	size_t		 n;
	size_t		*next;		/* shared, atomic */
	int64_t		 from, until;
	int		 phase;		/* 0 table, 1 archive */
};

int
dmd_fetch_init(struct dmd_fetch *f, struct dmd_cache *c,
    const char *table_url, const char *archive_url, int threads, char *err,
    size_t errlen)
{
	int i;

	memset(f, 0, sizeof(*f));
	f->cache = c;
	if (threads < 1)
		threads = 1;
	if (threads > DMD_FETCH_THREADS)
		threads = DMD_FETCH_THREADS;
	f->nthreads = threads;
	for (i = 0; i < threads; i++) {
		if (table_url != NULL && (f->tables[i] = dmd_table_open(
		    table_url, err, errlen)) == NULL) {
			dmd_fetch_release(f);
			return -1;
		}
		if (archive_url != NULL && (f->archives[i] = dmd_archive_open(
		    archive_url, err, errlen)) == NULL) {
			snprintf(f->errstr, sizeof(f->errstr), "archive");
			dmd_fetch_release(f);
			return -2;
		}
		if (archive_url != NULL)
			f->areads[i] = dmd_aread_new(f->archives[i]);
	}
	return 0;
}

void
dmd_fetch_set_step(struct dmd_fetch *f, int64_t step, int agg)
{
	f->step = step;
	f->agg = agg;
}

static int
fail(struct dmd_fetch *f, const char *which, const char *msg)
{
	f->which = which;
	snprintf(f->errstr, sizeof(f->errstr), "%s", msg);
	return -1;
}

int
dmd_fetch_names(struct dmd_fetch *f, const char *first, size_t firstlen,
    dmd_name_cb *cb, void *arg)
{
	if (dmd_cache_names(f->cache, first, firstlen, cb, arg) != 0)
		return fail(f, "cache", f->cache->errstr);
	if (f->tables[0] != NULL && dmd_table_names(f->tables[0], first,
	    firstlen, cb, arg) != 0)
		return fail(f, "table", f->tables[0]->errstr);
	return 0;
}

static int
on_cache(void *arg, const char *name, const struct dmd_sample *s, size_t n)
{
	struct dmd_fetch *f = arg;
	struct dmd_fetch_series *fs = NULL;
	size_t i;

	/* series come back in the order asked, but only those with points */
	for (i = 0; i < f->capseries; i++)
		if (f->series[i].name == name) {
			fs = &f->series[i];
			break;
		}
	if (fs == NULL)
		return 0;
	fs->cs = xgrow(fs->cs, &fs->ccap, n, sizeof(*fs->cs));
	memcpy(fs->cs, s, n * sizeof(*s));
	fs->cn = n;
	return 0;
}

static int
on_chunk(void *arg, const struct dmd_chunk *c)
{
	struct dmd_fetch_series *fs = arg;

	fs->data = xgrow(fs->data, &fs->datacap, fs->datalen + c->len, 1);
	memcpy(fs->data + fs->datalen, c->data, c->len);
	fs->refs = xgrow(fs->refs, &fs->caprefs, fs->nrefs + 1,
	    sizeof(*fs->refs));
	fs->refs[fs->nrefs].seq = c->seq;
	fs->refs[fs->nrefs].off = fs->datalen;
	fs->refs[fs->nrefs++].len = c->len;
	fs->datalen += c->len;
	return 0;
}

static int
cmpref(const void *a, const void *b)
{
	const struct chunkref *x = a, *y = b;

	if (x->seq != y->seq)
		return x->seq < y->seq ? -1 : 1;
	return x->off < y->off ? -1 : x->off > y->off;
}

static int
bucketable(int agg)
{
	return agg == DMD_AGG_AVG || agg == DMD_AGG_MIN ||
	    agg == DMD_AGG_MAX || agg == DMD_AGG_SUM || agg == DMD_AGG_COUNT;
}

static double
agg_value(const struct dmd_rollup *b, int agg)
{
	switch (agg) {
	case DMD_AGG_MIN:
		return b->min;
	case DMD_AGG_MAX:
		return b->max;
	case DMD_AGG_SUM:
		return dmd_rollup_sum(b);
	case DMD_AGG_COUNT:
		return (double)b->count;
	default:
		return dmd_rollup_sum(b) / (double)b->count;
	}
}

/* Downsample fs->s into buckets of step: points and stored rollups, the
 * two of disjoint periods, merged bucket by bucket. */
static void
downsample(struct dmd_fetch *f, struct dmd_fetch_series *fs)
{
	size_t nb, nr, i, j, o;

	if (!bucketable(f->agg)) {
		fs->n = dmd_downsample(fs->s, fs->n, f->step,
		    (enum dmd_agg)f->agg);
		return;
	}
	fs->bk = xgrow(fs->bk, &fs->capbk, fs->n + 1, sizeof(*fs->bk));
	nb = dmd_rollup_make(fs->s, fs->n, f->step, fs->bk);
	nr = fs->nru > 0 ? dmd_rollup_fold(fs->ru, fs->nru, f->step) : 0;
	fs->s = xgrow(fs->s, &fs->cap, nb + nr + 1, sizeof(*fs->s));
	for (i = j = o = 0; i < nb || j < nr; o++) {
		struct dmd_rollup b;

		if (j == nr || (i < nb && fs->bk[i].t < fs->ru[j].t))
			b = fs->bk[i++];
		else if (i == nb || fs->ru[j].t < fs->bk[i].t)
			b = fs->ru[j++];
		else {
			b = fs->bk[i++];
			dmd_rollup_merge(&b, &fs->ru[j++]);
		}
		fs->s[o].time = b.t;
		fs->s[o].value = agg_value(&b, f->agg);
	}
	fs->n = o;
}

static int
cmpaseg(const void *a, const void *b)
{
	const struct dmd_aseg *x = a, *y = b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Append n samples to the merge buffer. */
static void
mput(struct dmd_fetch_series *fs, const struct dmd_sample *s, size_t n)
{
	if (n == 0)
		return;
	fs->m = xgrow(fs->m, &fs->mcap, fs->mn + n, sizeof(*fs->m));
	memcpy(fs->m + fs->mn, s, n * sizeof(*s));
	fs->mn += n;
}

/* Read one series from the table, then (read_archive()) the archive, and
 * merge them with its cache points: the newest write wins.  Table chunks and archive
 * blocks are applied in the order of their flush sequence (a chunk left
 * in the table can be older than what an archive block holds), then the
 * cache's frozen and live points. */
static void
read_table(struct dmd_fetch *f, struct dmd_table *t,
    struct dmd_fetch_series *fs, int64_t from, int64_t until)
{
	size_t i, n0;
	double t0 = dmd_mono_seconds();

	fs->n = fs->nrefs = fs->datalen = fs->an = fs->nru = 0;
	fs->nseg = fs->ntseg = fs->mn = 0;
	fs->ex.len = 0;
	if (t != NULL) {
		if (dmd_table_get(t, fs->name, from, until, on_chunk, fs)
		    != 0) {
			fs->failed = 1;
			snprintf(fs->errstr, sizeof(fs->errstr), "%s",
			    t->errstr);
			return;
		}
		if (fs->nrefs > 1)
			qsort(fs->refs, fs->nrefs, sizeof(*fs->refs), cmpref);
		fs->tseg = xgrow(fs->tseg, &fs->captseg, fs->nrefs + 1,
		    sizeof(*fs->tseg));
		for (i = 0; i < fs->nrefs; i++) {
			n0 = fs->n;
			if (dmd_block_decode((const char *)fs->data +
			    fs->refs[i].off, fs->refs[i].len, from, until,
			    &fs->s, &fs->n, &fs->cap) != 0) {
				fs->failed = 2;
				snprintf(fs->errstr, sizeof(fs->errstr),
				    "corrupt chunk in series \"%s\"",
				    fs->name);
				return;
			}
			fs->tseg[fs->ntseg].seq = fs->refs[i].seq;
			fs->tseg[fs->ntseg].off = n0;
			fs->tseg[fs->ntseg++].n = fs->n - n0;
		}
		if (f->explain)
			dmd_text_printf(&fs->ex, "table: %s: %zu chunks, %zu "
			    "bytes, %.3f ms\n", fs->name, fs->nrefs,
			    fs->datalen, (dmd_mono_seconds() - t0) * 1e3);
	}
	/* the points newer tiers hold, sorted: which periods they touch
	 * decides where stored rollups may stand in for points */
	mput(fs, fs->s, fs->n);
	mput(fs, fs->cs, fs->cn);
	if (fs->nrefs > 0)
		fs->mn = dmd_samples_resolve(fs->m, fs->mn);
}

/* Then the archive, once every series of the group has read the table
 * (see dmd_fetch_read()), and the merge. */
static void
read_archive(struct dmd_fetch *f, struct dmd_aread *ar,
    struct dmd_fetch_series *fs, int64_t from, int64_t until)
{
	struct dmd_sample *sw;
	size_t i, j, sz;

	if (fs->failed)
		return;
	if (ar != NULL && dmd_aread_series(ar, fs->name, from, until,
	    f->step > 0 && bucketable(f->agg) ? f->step : 0, fs->m, fs->mn,
	    &fs->as, &fs->an, &fs->acap, &fs->seg, &fs->nseg, &fs->capseg,
	    &fs->ru, &fs->nru, &fs->capru, f->explain ? &fs->ex : NULL,
	    fs->errstr, sizeof(fs->errstr)) != 0) {
		fs->failed = 3;
		return;
	}
	if (fs->an > 0) {
		/* archive blocks and table chunks by flush sequence, the
		 * archive first on a tie (its block holds that chunk) */
		if (fs->nseg > 1)
			qsort(fs->seg, fs->nseg, sizeof(*fs->seg), cmpaseg);
		fs->mn = 0;
		for (i = j = 0; i < fs->nseg || j < fs->ntseg; ) {
			if (j == fs->ntseg || (i < fs->nseg &&
			    fs->seg[i].seq <= fs->tseg[j].seq)) {
				mput(fs, fs->as + fs->seg[i].off,
				    fs->seg[i].n);
				i++;
			} else {
				mput(fs, fs->s + fs->tseg[j].off,
				    fs->tseg[j].n);
				j++;
			}
		}
		mput(fs, fs->cs, fs->cn);
		fs->mn = dmd_samples_resolve(fs->m, fs->mn);
	}
	/* the answer goes back in fs->s */
	sw = fs->s;
	fs->s = fs->m;
	fs->m = sw;
	sz = fs->cap;
	fs->cap = fs->mcap;
	fs->mcap = sz;
	fs->n = fs->mn;
	if (f->step > 0 && (fs->n > 0 || fs->nru > 0))
		downsample(f, fs);
}

static void *
worker(void *arg)
{
	struct job *j = arg;
	size_t i;

	while ((i = __atomic_fetch_add(j->next, 1, __ATOMIC_RELAXED)) < j->n)
		if (j->phase == 0)
			read_table(j->f, j->table, &j->f->series[i], j->from,
			    j->until);
		else
			read_archive(j->f, j->aread, &j->f->series[i],
			    j->from, j->until);
	return NULL;
}

int
dmd_fetch_read(struct dmd_fetch *f, const char *const *names, size_t n,
    int64_t from, int64_t until, dmd_series_cb *cb, void *arg)
{
	struct job jobs[DMD_FETCH_THREADS];
	pthread_t tid[DMD_FETCH_THREADS];
	size_t i, next = 0, old = f->capseries;
	int k, nt, started = 0, rv = 0, phase;
	double t0;

	if (n == 0)
		return 0;
	if (n > f->capseries) {
		f->series = xgrow(f->series, &f->capseries, n,
		    sizeof(*f->series));
		memset(f->series + old, 0, (f->capseries - old) *
		    sizeof(*f->series));
	}
	for (i = 0; i < f->capseries; i++) {
		f->series[i].name = i < n ? names[i] : NULL;
		f->series[i].cn = 0;
		f->series[i].failed = 0;
	}
	t0 = dmd_mono_seconds();
	if (!f->skip_cache && dmd_cache_read(f->cache, names, n, from, until,
	    on_cache, f) != 0)
		return fail(f, "cache", f->cache->errstr);
	if (f->explain)
		fprintf(stderr, f->skip_cache ? "cache: not read: the range "
		    "is older than the archive's horizon\n" : "cache: %zu "
		    "series in one round trip, %.3f ms\n", n,
		    (dmd_mono_seconds() - t0) * 1e3);

	/* a thread costs about what reading a few series from a local
	 * table does: one per SERIES_PER_THREAD series at most */
	nt = (int)((n + SERIES_PER_THREAD - 1) / SERIES_PER_THREAD);
	if (nt > f->nthreads)
		nt = f->nthreads;
	for (k = 0; k < nt; k++) {
		jobs[k].f = f;
		jobs[k].table = f->tables[k];
		jobs[k].aread = f->areads[k];
		jobs[k].n = n;
		jobs[k].next = &next;
		jobs[k].from = from;
		jobs[k].until = until;
	}
	/* every series' table, then the archive's listings, then every
	 * series' archive: a chunk that dmd-archive moves after its table
	 * was read is in an object listed after that */
	for (phase = 0; phase < 2; phase++) {
		if (phase == 1) {
			if (f->areads[0] == NULL)
				break;
			for (k = 0; k < f->nthreads; k++)
				if (f->areads[k] != NULL)
					dmd_aread_relist(f->areads[k]);
		}
		next = 0;
		started = 0;
		for (k = 0; k < nt; k++)
			jobs[k].phase = phase;
		/* the calling thread works too */
		for (k = 1; k < nt; k++) {
			if (pthread_create(&tid[k], NULL, worker,
			    &jobs[k]) != 0)
				break;
			started++;
		}
		worker(&jobs[0]);
		for (k = 1; k <= started; k++)
			pthread_join(tid[k], NULL);
	}
	if (f->areads[0] == NULL)	/* no archive: finish here */
		for (i = 0; i < n; i++)
			read_archive(f, NULL, &f->series[i], from, until);
	for (k = 0; k < nt; k++) {
		if (f->archives[k] != NULL)
			dmd_cache_stats_move(&f->archive_stats,
			    &f->archives[k]->stats);
		if (f->tables[k] != NULL)
			dmd_cache_stats_move(&f->table_stats,
			    &f->tables[k]->stats);
	}

	for (i = 0; i < n && rv == 0; i++) {
		struct dmd_fetch_series *fs = &f->series[i];

		if (f->explain && fs->ex.len > 0)
			fwrite(fs->ex.p, 1, fs->ex.len, stderr);
		if (fs->failed)
			return fail(f, fs->failed == 3 ? "archive" : "table",
			    fs->errstr);
		if (fs->n > 0 && cb(arg, names[i], fs->s, fs->n) != 0)
			rv = 1;
	}
	return 0;
}

void
dmd_fetch_release(struct dmd_fetch *f)
{
	size_t i;
	int k;

	for (k = 0; k < DMD_FETCH_THREADS; k++) {
		dmd_table_close(f->tables[k]);
		dmd_aread_free(f->areads[k]);
		dmd_archive_close(f->archives[k]);
	}
	for (i = 0; i < f->capseries; i++) {
		free(f->series[i].s);
		free(f->series[i].cs);
		free(f->series[i].refs);
		free(f->series[i].data);
		free(f->series[i].as);
		free(f->series[i].seg);
		free(f->series[i].tseg);
		free(f->series[i].m);
		free(f->series[i].ru);
		free(f->series[i].bk);
		free(f->series[i].ex.p);
	}
	free(f->series);
	memset(f, 0, sizeof(*f));
}
