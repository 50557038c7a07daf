/*
 * board.c - the parser of dmd-board's board files (see board.h).
 *
 * Lines come in one at a time; each either sets something of the page
 * (title, refresh), starts a panel, or sets something of the last panel.
 * Patterns are compiled here, and literal names checked, so that a typo
 * is reported as FILE:LINE before any tier is read; times are resolved
 * against the "now" the board was started with, so every panel of a
 * page shares one clock.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "board.h"
#include "glob.h"
#include "numarg.h"
#include "point.h"
#include "timearg.h"
#include "xmalloc.h"

/* The longest step: a century, as dmd-query -s. */
#define STEP_MAX_MS	(100LL * 366 * 86400 * 1000)

const char dmd_board_default[] =
    "# The default board of dmd-board: the store's own health.\n"
    "title diamond: the store's own health\n"
    "\n"
    "panel Points stored per minute\n"
    "query dmd.*.ingest.accepted\n"
    "from -6h\n"
    "agg sum\n"
    "step 1m\n"
    "unit pts/min\n"
    "\n"
    "panel End-to-end probe latency\n"
    "query dmd.e2e.*.latency_ms\n"
    "from -6h\n"
    "unit ms\n"
    "\n"
    "panel Flush backlog (series due)\n"
    "query dmd.*.cache.due_series\n"
    "from -6h\n"
    "\n"
    "panel Redis memory\n"
    "query dmd.*.cache.used_memory_bytes\n"
    "from -6h\n"
    "unit B\n";

static int __attribute__((format(printf, 3, 4)))
fail(struct dmd_board *b, unsigned long line, const char *fmt, ...)
{
	va_list ap;
	int n;

	/* line 0: the whole file */
	if (line == 0)
		n = snprintf(b->errstr, sizeof(b->errstr), "%s: ", b->file);
	else
		n = snprintf(b->errstr, sizeof(b->errstr), "%s:%lu: ",
		    b->file, line);
	if (n < 0 || (size_t)n >= sizeof(b->errstr))
		return -1;
	va_start(ap, fmt);
	vsnprintf(b->errstr + n, sizeof(b->errstr) - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

void
dmd_board_init(struct dmd_board *b, const char *file, int64_t now)
{
	memset(b, 0, sizeof(*b));
	b->file = xstrdup(file);
	b->now = now;
}

static void
panel_free(struct dmd_panel *p)
{
	size_t i;

	free(p->title);
	for (i = 0; i < p->nqueries; i++)
		free(p->queries[i]);
	free(p->queries);
	free(p->unit);
}

void
dmd_board_release(struct dmd_board *b)
{
	size_t i;

	if (b == NULL)
		return;
	for (i = 0; i < b->npanels; i++)
		panel_free(&b->panels[i]);
	free(b->panels);
	free(b->title);
	free(b->file);
	memset(b, 0, sizeof(*b));
}

int64_t
dmd_board_step(int64_t span)
{
	static const int64_t nice[] = { 60, 120, 300, 600, 900, 1800, 3600,
	    7200, 10800, 21600, 43200, 86400, 172800, 604800 };
	int64_t want, week = 604800;
	size_t i;

	/* the step that gives DMD_BOARD_POINTS buckets, rounded up */
	want = span / DMD_BOARD_POINTS + (span % DMD_BOARD_POINTS != 0);
	if (want < DMD_BOARD_MIN_STEP)
		want = DMD_BOARD_MIN_STEP;
	for (i = 0; i < sizeof(nice) / sizeof(nice[0]); i++)
		if (nice[i] >= want)
			return nice[i];
	return (want / week + (want % week != 0)) * week;
}

/* Check the panel above (if any) now that it is complete, and give it
 * its defaults. */
static int
close_panel(struct dmd_board *b)
{
	struct dmd_panel *p;
	char err[DMD_ERRSTR_MAX];

	if (b->npanels == 0)
		return 0;
	p = &b->panels[b->npanels - 1];
	if (p->nqueries == 0)
		return fail(b, p->line, "panel has no query");
	if (p->from_line == 0 && dmd_time_parse(DMD_BOARD_FROM, b->now,
	    &p->from, err, sizeof(err)) != 0)
		return fail(b, p->line, "%s", err);
	if (p->until_line == 0 && dmd_time_parse(DMD_BOARD_UNTIL, b->now,
	    &p->until, err, sizeof(err)) != 0)
		return fail(b, p->line, "%s", err);
	if (p->from > p->until)
		return fail(b, p->from_line > p->until_line ? p->from_line :
		    p->until_line, "from is after until");
	if (p->step_line == 0)
		p->step = dmd_board_step(p->until - p->from + 1);
	return 0;
}

static int
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static int
set_time(struct dmd_board *b, const char *kw, const char *arg,
    int64_t *t, unsigned long *line)
{
	char err[DMD_ERRSTR_MAX];

	if (*line != 0)
		return fail(b, b->lineno, "%s given twice in the panel (line "
		    "%lu)", kw, *line);
	if (dmd_time_parse(arg, b->now, t, err, sizeof(err)) != 0)
		return fail(b, b->lineno, "%s: %s", kw, err);
	*line = b->lineno;
	return 0;
}

static int
panel_setting(struct dmd_board *b, struct dmd_panel *p, const char *kw,
    const char *arg)
{
	char err[DMD_ERRSTR_MAX], q[48];
	const char *errstr;
	int64_t ms;

	if (strcmp(kw, "query") == 0) {
		if (strpbrk(arg, " \t") != NULL)
			return fail(b, b->lineno, "query takes one pattern; "
			    "give each on a query line of its own");
		if (dmd_glob_check(arg, err, sizeof(err)) != 0)
			return fail(b, b->lineno, "pattern %s: %s",
			    dmd_quote(q, sizeof(q), arg, strlen(arg)), err);
		p->queries = xgrow(p->queries, &p->capqueries,
		    p->nqueries + 1, sizeof(*p->queries));
		p->queries[p->nqueries++] = xstrdup(arg);
		return 0;
	}
	if (strcmp(kw, "from") == 0)
		return set_time(b, kw, arg, &p->from, &p->from_line);
	if (strcmp(kw, "until") == 0)
		return set_time(b, kw, arg, &p->until, &p->until_line);
	if (strcmp(kw, "step") == 0) {
		if (p->step_line != 0)
			return fail(b, b->lineno, "step given twice in the "
			    "panel (line %lu)", p->step_line);
		ms = dmd_duration_ms(arg, 1000, STEP_MAX_MS, &errstr);
		if (errstr == NULL && ms < 1000)
			errstr = "too small";
		if (errstr != NULL)
			return fail(b, b->lineno, "step is %s: %s",
			    dmd_quote(q, sizeof(q), arg, strlen(arg)), errstr);
		p->step = ms / 1000;
		p->step_line = b->lineno;
		return 0;
	}
	if (strcmp(kw, "agg") == 0) {
		if (p->agg_line != 0)
			return fail(b, b->lineno, "agg given twice in the "
			    "panel (line %lu)", p->agg_line);
		if (dmd_agg_parse(arg, &p->agg) != 0)
			return fail(b, b->lineno, "unknown aggregate %s (want "
			    "avg, min, max, sum, count, last or first)",
			    dmd_quote(q, sizeof(q), arg, strlen(arg)));
		p->agg_line = b->lineno;
		return 0;
	}
	/* unit */
	if (p->unit_line != 0)
		return fail(b, b->lineno, "unit given twice in the panel "
		    "(line %lu)", p->unit_line);
	p->unit = xstrdup(arg);
	p->unit_line = b->lineno;
	return 0;
}

static int
page_setting(struct dmd_board *b, const char *kw, const char *arg)
{
	const char *errstr;
	char q[48];
	int64_t ms;

	if (b->npanels > 0)
		return fail(b, b->lineno, "%s belongs before the first panel",
		    kw);
	if (strcmp(kw, "title") == 0) {
		if (b->title_line != 0)
			return fail(b, b->lineno, "title given twice (line "
			    "%lu)", b->title_line);
		b->title = xstrdup(arg);
		b->title_line = b->lineno;
		return 0;
	}
	if (b->refresh_line != 0)
		return fail(b, b->lineno, "refresh given twice (line %lu)",
		    b->refresh_line);
	ms = dmd_duration_ms(arg, 1000, 86400 * 1000, &errstr);
	if (errstr == NULL && ms < 1000)
		errstr = "too small";
	if (errstr != NULL)
		return fail(b, b->lineno, "refresh is %s: %s",
		    dmd_quote(q, sizeof(q), arg, strlen(arg)), errstr);
	b->refresh = ms / 1000;
	b->refresh_line = b->lineno;
	return 0;
}

int
dmd_board_line(struct dmd_board *b, const char *line, size_t len)
{
	static const char *const panel_kw[] = { "query", "from", "until",
	    "step", "agg", "unit" };
	struct dmd_panel *p;
	char *buf, *kw, *arg, *e, q[48];
	size_t i;
	int rc;

	b->lineno++;
	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (memchr(line, '\0', len) != NULL)
		return fail(b, b->lineno, "line holds a NUL byte");
	buf = xstrndup(line, len);
	for (kw = buf; is_blank(*kw); kw++)
		;
	if (*kw == '\0' || *kw == '#') {
		free(buf);
		return 0;
	}
	for (arg = kw; *arg != '\0' && !is_blank(*arg); arg++)
		;
	if (*arg != '\0')
		*arg++ = '\0';
	while (is_blank(*arg))
		arg++;
	for (e = arg + strlen(arg); e > arg && is_blank(e[-1]); e--)
		;
	*e = '\0';

	for (i = 0; i < sizeof(panel_kw) / sizeof(panel_kw[0]); i++)
		if (strcmp(kw, panel_kw[i]) == 0)
			break;
	if (strcmp(kw, "title") != 0 && strcmp(kw, "refresh") != 0 &&
	    strcmp(kw, "panel") != 0 &&
	    i == sizeof(panel_kw) / sizeof(panel_kw[0]))
		rc = fail(b, b->lineno, "unknown keyword %s",
		    dmd_quote(q, sizeof(q), kw, strlen(kw)));
	else if (*arg == '\0')
		rc = fail(b, b->lineno, "%s needs an argument", kw);
	else if (strcmp(kw, "title") == 0 || strcmp(kw, "refresh") == 0)
		rc = page_setting(b, kw, arg);
	else if (strcmp(kw, "panel") == 0) {
		if ((rc = close_panel(b)) == 0) {
			b->panels = xgrow(b->panels, &b->cappanels,
			    b->npanels + 1, sizeof(*b->panels));
			p = &b->panels[b->npanels++];
			memset(p, 0, sizeof(*p));
			p->title = xstrdup(arg);
			p->agg = DMD_AGG_AVG;
			p->line = b->lineno;
		}
	} else if (b->npanels == 0)
		rc = fail(b, b->lineno, "%s outside a panel (start one with "
		    "\"panel TITLE\")", kw);
	else
		rc = panel_setting(b, &b->panels[b->npanels - 1], kw, arg);
	free(buf);
	return rc;
}

int
dmd_board_finish(struct dmd_board *b)
{
	if (b->finished)
		return 0;
	if (close_panel(b) != 0)
		return -1;
	if (b->npanels == 0)
		return fail(b, 0, "no panel: a board needs at least one "
		    "\"panel TITLE\" line");
	if (b->title == NULL)
		b->title = xstrdup(DMD_BOARD_TITLE);
	b->finished = 1;
	return 0;
}

int
dmd_board_parse(struct dmd_board *b, const char *text, size_t len)
{
	const char *nl;
	size_t n;

	while (len > 0) {
		nl = memchr(text, '\n', len);
		n = nl != NULL ? (size_t)(nl - text) : len;
		if (dmd_board_line(b, text, n) != 0)
			return -1;
		if (nl == NULL)
			break;
		text += n + 1;
		len -= n + 1;
	}
	return dmd_board_finish(b);
}
