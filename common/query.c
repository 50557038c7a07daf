/*
 * query.c - patterns and a range in, series out (see query.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aread.h"
#include "point.h"
#include "query.h"
#include "xmalloc.h"

int
dmd_query_init(struct dmd_query *q, struct dmd_cache *c,
    const char *table_url, const char *archive_url, int threads, char *err,
    size_t errlen)
{
	int rc;

	memset(q, 0, sizeof(*q));
	if ((rc = dmd_fetch_init(&q->fetch, c, table_url, archive_url, threads,
	    err, errlen)) != 0)
		return rc;
	if (q->fetch.archives[0] != NULL)
		q->has_horizon = dmd_aread_horizon(q->fetch.archives[0],
		    &q->horizon) == 0;
	return 0;
}

static void
push(char ***v, size_t *n, size_t *cap, const char *s, size_t len)
{
	*v = xgrow(*v, cap, *n + 1, sizeof(**v));
	(*v)[(*n)++] = xstrndup(s, len);
}

static int
on_known(void *arg, const char *name, size_t len)
{
	struct dmd_query *q = arg;

	push(&q->known, &q->nknown, &q->capknown, name, len);
	return 0;
}

static int
on_match(void *arg, const char *name, size_t len)
{
	struct dmd_query *q = arg;

	if (dmd_glob_match(q->match, name, len))
		push(&q->names, &q->nnames, &q->capnames, name, len);
	return 0;
}

static int
cmpstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sort v and drop repeats. */
static void
uniq(char **v, size_t *n)
{
	size_t i, o;

	if (*n == 0)	/* qsort(NULL, 0, ...) is undefined */
		return;
	qsort(v, *n, sizeof(*v), cmpstr);
	for (i = 0, o = 0; i < *n; i++) {
		if (o > 0 && strcmp(v[o - 1], v[i]) == 0) {
			free(v[i]);
			continue;
		}
		v[o++] = v[i];
	}
	*n = o;
}

/* The names of the current query, forgotten. */
static void
drop_names(struct dmd_query *q)
{
	size_t i;

	for (i = 0; i < q->nnames; i++)
		free(q->names[i]);
	q->nnames = 0;
}

int
dmd_query_add(struct dmd_query *q, const char *pat, char *err, size_t errlen)
{
	struct dmd_glob g;
	const char *first;
	size_t i, flen;

	if (dmd_glob_compile_names(&g, pat, err, errlen) != 0)
		return -1;
	if (g.literal) {
		for (i = 0; i < g.nalts; i++)
			push(&q->names, &q->nnames, &q->capnames, g.alts[i],
			    strlen(g.alts[i]));
		dmd_glob_free(&g);
		return 0;
	}
	/* Every alternative starts with a literal component ("web01.*"):
	 * list only the names of those first components. */
	for (i = 0; i < g.nalts && dmd_glob_first(&g, i, &flen) != NULL; i++)
		;
	if (i == g.nalts && !q->listed) {
		q->match = &g;
		for (i = 0; i < g.nalts; i++) {
			first = dmd_glob_first(&g, i, &flen);
			if (dmd_fetch_names(&q->fetch, first, flen, on_match,
			    q) != 0) {
				dmd_glob_free(&g);
				drop_names(q);
				return -2;
			}
		}
		dmd_glob_free(&g);
		return 0;
	}
	if (!q->listed) {
		if (dmd_fetch_names(&q->fetch, NULL, 0, on_known, q) != 0) {
			dmd_glob_free(&g);
			drop_names(q);
			return -2;
		}
		uniq(q->known, &q->nknown);
		q->listed = 1;
	}
	for (i = 0; i < q->nknown; i++)
		if (dmd_glob_match(&g, q->known[i], strlen(q->known[i])))
			push(&q->names, &q->nnames, &q->capnames, q->known[i],
			    strlen(q->known[i]));
	dmd_glob_free(&g);
	return 0;
}

static int
on_series(void *arg, const char *name, const struct dmd_sample *s, size_t n)
{
	struct dmd_query *q = arg;

	q->series++;
	q->points += n;
	if (q->cb(q->cbarg, name, s, n) != 0) {
		q->stopped = 1;
		return -1;
	}
	return 0;
}

int
dmd_query_answer(struct dmd_query *q, int64_t from, int64_t until,
    dmd_series_cb *cb, void *arg)
{
	size_t i, n;
	int rv = 0;

	q->queries++;
	q->cb = cb;
	q->cbarg = arg;
	q->stopped = 0;
	uniq(q->names, &q->nnames);
	/* below the archive's horizon the cache holds nothing of the range
	 * that a flush has not already put in the table (man dmd-query) */
	q->fetch.skip_cache = q->has_horizon && !q->all_tiers &&
	    until < q->horizon;
	for (i = 0; i < q->nnames && !q->stopped && rv == 0; i += n) {
		n = q->nnames - i < DMD_QUERY_GROUP ? q->nnames - i :
		    DMD_QUERY_GROUP;
		if (dmd_fetch_read(&q->fetch, (const char *const *)q->names + i,
		    n, from, until, on_series, q) != 0)
			rv = -1;
	}
	drop_names(q);
	return rv;
}

void
dmd_query_release(struct dmd_query *q)
{
	size_t i;

	for (i = 0; i < q->nnames; i++)
		free(q->names[i]);
	free(q->names);
	for (i = 0; i < q->nknown; i++)
		free(q->known[i]);
	free(q->known);
	dmd_fetch_release(&q->fetch);
}
