/*
 * fuzz-parse.c - libFuzzer target for common/parse.c.
 *
 * The input is one line.  It is parsed in every format; every point must
 * obey DESIGN.md section 3 (a valid name, a time in range, a finite
 * value) and every reject must carry a reason.  In JSON the fast path and
 * the yajl path must give the same result, byte for byte: any difference
 * aborts with both results on stderr.  Built and run by t/fuzz/run.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct dmd_parser fastp, slowp;
static int ready;

static void
dump(const char *what, const struct dmd_parser *p)
{
	size_t i;

	fprintf(stderr, "%s: %zu points, %zu rejects\n", what, p->npoints,
	    p->nrejects);
	for (i = 0; i < p->npoints; i++)
		fprintf(stderr, "  %.*s@%lld=%a\n", (int)p->points[i].namelen,
		    p->points[i].name, (long long)p->points[i].time,
		    p->points[i].value);
	for (i = 0; i < p->nrejects; i++)
		fprintf(stderr, "  [%d] %s\n", p->rejects[i].index,
		    p->rejects[i].reason);
}

static void
fail(const char *why, const struct dmd_parser *a, const struct dmd_parser *b)
{
	fprintf(stderr, "fuzz-parse: %s\n", why);
	if (a != NULL)
		dump("fast", a);
	if (b != NULL)
		dump("slow", b);
	abort();
}

static void
check_results(const struct dmd_parser *p, size_t nrej)
{
	char why[DMD_REASON_MAX];
	size_t i;

	if (nrej != p->nrejects)
		fail("return value is not the number of rejects", p, NULL);
	for (i = 0; i < p->npoints; i++) {
		const struct dmd_point *pt = &p->points[i];

		if (dmd_name_check(pt->name, pt->namelen, why) != 0)
			fail("a point with a bad name", p, NULL);
		if (pt->time < DMD_TIME_MIN || pt->time > DMD_TIME_MAX)
			fail("a point with a time out of range", p, NULL);
		if (!isfinite(pt->value))
			fail("a point with a value not finite", p, NULL);
	}
	for (i = 0; i < p->nrejects; i++) {
		const struct dmd_reject *r = &p->rejects[i];

		if (r->index < -1 || memchr(r->reason, '\0',
		    sizeof(r->reason)) == NULL || r->reason[0] == '\0')
			fail("a reject without index or reason", p, NULL);
	}
}

static int
same(const struct dmd_parser *a, const struct dmd_parser *b)
{
	size_t i;

	if (a->npoints != b->npoints || a->nrejects != b->nrejects)
		return 0;
	for (i = 0; i < a->npoints; i++) {
		const struct dmd_point *x = &a->points[i], *y = &b->points[i];

		if (x->namelen != y->namelen ||
		    memcmp(x->name, y->name, x->namelen) != 0 ||
		    x->time != y->time ||
		    memcmp(&x->value, &y->value, sizeof(x->value)) != 0)
			return 0;
	}
	for (i = 0; i < a->nrejects; i++)
		if (a->rejects[i].index != b->rejects[i].index ||
		    strcmp(a->rejects[i].reason, b->rejects[i].reason) != 0)
			return 0;
	return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum dmd_format fmts[] = {
		DMD_FORMAT_AUTO, DMD_FORMAT_JSON, DMD_FORMAT_GRAPHITE,
		DMD_FORMAT_TSV
	};
	const char *line;
	char *copy;
	size_t i, r;

	if (!ready) {
		dmd_parser_init(&fastp, DMD_FORMAT_AUTO);
		dmd_parser_init(&slowp, DMD_FORMAT_AUTO);
		ready = 1;
	}
	/* An exact-size copy, so ASan sees any read past the line. */
	copy = malloc(size ? size : 1);
	if (copy == NULL)
		return 0;
	memcpy(copy, data, size);
	line = copy;

	for (i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
		fastp.format = slowp.format = fmts[i];
		fastp.fast = 1;
		slowp.fast = 0;
		r = dmd_parser_line(&fastp, line, size);
		check_results(&fastp, r);
		r = dmd_parser_line(&slowp, line, size);
		check_results(&slowp, r);
		if (!same(&fastp, &slowp))
			fail(fmts[i] == DMD_FORMAT_JSON ?
			    "JSON fast and slow paths differ" :
			    "fast and slow parsers differ", &fastp, &slowp);
	}
	free(copy);
	return 0;
}
