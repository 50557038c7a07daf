/*
 * test-board.c - unit tests of common/board.c and common/svg.c: board
 * files good and bad (with the line each error names), the default step,
 * the default board; and the page: one path per series, gaps, lone
 * points, escaping, "no data", errors, series past the limit, SI labels,
 * value and time axes, the same bytes for the same data.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agg.h"
#include "board.h"
#include "svg.h"
#include "tap.h"

#define NOW	1795514400LL	/* 2026-11-24T10:00:00Z */
#define N(x)	(sizeof(x) / sizeof((x)[0]))

static char out[1 << 20];

/* --- the parser ---------------------------------------------------- */

/* Parse text as file "t.board"; 0 or -1, the message in err. */
static int
parse(struct dmd_board *b, const char *text)
{
	dmd_board_init(b, "t.board", NOW);
	return dmd_board_parse(b, text, strlen(text));
}

static void
check_bad(const char *text, const char *want)
{
	struct dmd_board b;

	ok(parse(&b, text) == -1, "rejects: %s", want);
	is(b.errstr, want, "message: %s", want);
	dmd_board_release(&b);
}

static void
test_default(void)
{
	struct dmd_board b;

	ok(parse(&b, dmd_board_default) == 0, "the default board parses");
	is(b.title, "diamond: the store's own health", "its title");
	ok(b.npanels == 4, "it has four panels");
	if (b.npanels != 4) {
		dmd_board_release(&b);
		return;
	}
	is(b.panels[0].title, "Points stored per minute", "panel 1 title");
	ok(b.panels[0].nqueries == 1, "panel 1 has one query");
	is(b.panels[0].queries[0], "dmd.*.ingest.accepted", "panel 1 query");
	ok(b.panels[0].agg == DMD_AGG_SUM, "panel 1 sums");
	ok(b.panels[0].step == 60, "panel 1 step 1m");
	is(b.panels[1].queries[0], "dmd.e2e.*.latency_ms", "panel 2 query");
	is(b.panels[1].unit, "ms", "panel 2 unit ms");
	ok(b.panels[1].agg == DMD_AGG_AVG, "panel 2 averages");
	is(b.panels[2].title, "Flush backlog (series due)", "panel 3 title");
	is(b.panels[2].queries[0], "dmd.*.cache.due_series", "panel 3 query");
	ok(b.panels[2].unit == NULL, "panel 3 has no unit");
	is(b.panels[3].title, "Redis memory", "panel 4 title");
	is(b.panels[3].queries[0], "dmd.*.cache.used_memory_bytes",
	    "panel 4 query");
	is(b.panels[3].unit, "B", "panel 4 unit B");
	ok(b.panels[3].from == NOW - 6 * 3600 && b.panels[3].until == NOW,
	    "panels span the last 6 hours");
	ok(b.refresh == 0, "no refresh");
	dmd_board_release(&b);
}

static void
test_good(void)
{
	struct dmd_board b;
	const char *text =
	    "# a comment\n"
	    "\n"
	    "   title   Web  <servers> & co  \r\n"
	    "refresh 1m\n"
	    "\t# an indented comment\n"
	    "panel CPU\n"
	    "  query servers.web*.cpu.user\n"
	    "query servers.db1.cpu.{user,system}\n"
	    "from 2026-11-24T00:00Z\n"
	    "until -1h\n"
	    "step 5m\n"
	    "agg max\n"
	    "unit per cent\n"
	    "panel Load\n"
	    "query servers.*.load\n"
	    "from -7d";

	ok(parse(&b, text) == 0, "a board with every keyword parses");
	if (b.errstr[0] != '\0')
		printf("# %s\n", b.errstr);
	is(b.title, "Web  <servers> & co", "title: blanks cut, CR dropped");
	ok(b.refresh == 60, "refresh 1m is 60 s");
	ok(b.npanels == 2, "two panels");
	if (b.npanels != 2) {
		dmd_board_release(&b);
		return;
	}
	ok(b.panels[0].nqueries == 2, "panel 1 has two queries");
	is(b.panels[0].queries[1], "servers.db1.cpu.{user,system}",
	    "queries kept as written");
	ok(b.panels[0].from == 1795478400, "from an ISO date");
	ok(b.panels[0].until == NOW - 3600, "until relative to now");
	ok(b.panels[0].step == 300, "step 5m");
	ok(b.panels[0].agg == DMD_AGG_MAX, "agg max");
	is(b.panels[0].unit, "per cent", "unit of two words");
	ok(b.panels[0].line == 6, "panel 1 starts at line 6");
	ok(b.panels[1].from == NOW - 7 * 86400 && b.panels[1].until == NOW,
	    "panel 2: from -7d until now");
	ok(b.panels[1].step == 1800, "panel 2: 7 days in steps of 30m");
	ok(b.panels[1].agg == DMD_AGG_AVG && b.panels[1].unit == NULL,
	    "panel 2: avg, no unit");
	dmd_board_release(&b);

	ok(parse(&b, "panel P\nquery a\n") == 0, "a board without a title");
	is(b.title, DMD_BOARD_TITLE, "gets the default title");
	dmd_board_release(&b);
}

static void
test_line_by_line(void)
{
	struct dmd_board b;

	dmd_board_init(&b, "stdin", NOW);
	ok(dmd_board_line(&b, "panel P", 7) == 0, "lines one at a time");
	ok(dmd_board_line(&b, "query a.b\r", 10) == 0, "a line with CR");
	ok(dmd_board_line(&b, "unit msXXXX", 7) == 0, "only len bytes read");
	ok(dmd_board_finish(&b) == 0, "finish");
	is(b.panels[0].unit, "ms", "unit of len bytes");
	dmd_board_release(&b);

	dmd_board_init(&b, "stdin", NOW);
	ok(dmd_board_line(&b, "panel P\0x", 9) == -1, "a NUL byte");
	is(b.errstr, "stdin:1: line holds a NUL byte", "says so");
	dmd_board_release(&b);
	dmd_board_release(NULL);
}

static void
test_bad(void)
{
	check_bad("frob x\n", "t.board:1: unknown keyword \"frob\"");
	check_bad("panel P\nquery a\nQuery b\n",
	    "t.board:3: unknown keyword \"Query\"");
	check_bad("\n# x\nquery a.b\n", "t.board:3: query outside a panel "
	    "(start one with \"panel TITLE\")");
	check_bad("unit ms\n", "t.board:1: unit outside a panel (start one "
	    "with \"panel TITLE\")");
	check_bad("panel P\nquery a\nfrom yesterday\n", "t.board:3: from: bad "
	    "time \"yesterday\" (want Unix seconds, 2026-11-24T10:00:00Z, "
	    "now, or -30m/-1h/-7d)");
	check_bad("panel P\nquery a\nuntil 99999999999999\n", "t.board:3: "
	    "until: time \"99999999999999\": too large");
	check_bad("panel P\nquery a\nfrom -1h\nuntil -2h\n",
	    "t.board:4: from is after until");
	check_bad("panel P\nquery a\nfrom +1h\n",
	    "t.board:3: from is after until");
	check_bad("panel P\nquery a\nstep 0\n",
	    "t.board:3: step is \"0\": too small");
	check_bad("panel P\nquery a\nstep 500ms\n",
	    "t.board:3: step is \"500ms\": too small");
	check_bad("panel P\nquery a\nstep 1y\n",
	    "t.board:3: step is \"1y\": invalid");
	check_bad("panel P\nquery a\nagg median\n", "t.board:3: unknown "
	    "aggregate \"median\" (want avg, min, max, sum, count, last or "
	    "first)");
	check_bad("panel P\nquery a\nagg max\nagg min\n",
	    "t.board:4: agg given twice in the panel (line 3)");
	check_bad("panel P\nquery a\nfrom -1h\nfrom -2h\n",
	    "t.board:4: from given twice in the panel (line 3)");
	check_bad("panel P\nquery a\nstep 1m\nstep 1m\n",
	    "t.board:4: step given twice in the panel (line 3)");
	check_bad("panel P\nquery a\nunit a\nunit b\n",
	    "t.board:4: unit given twice in the panel (line 3)");
	check_bad("panel P\n\n# none\npanel Q\nquery a\n",
	    "t.board:1: panel has no query");
	check_bad("panel P\nquery a\n\npanel Q\n\n",
	    "t.board:4: panel has no query");
	check_bad("panel P\nquery a{b\n", "t.board:2: pattern \"a{b\": "
	    "unbalanced '{'");
	check_bad("panel P\nquery a/b\n", "t.board:2: pattern \"a/b\": name "
	    "has bad character '/'");
	check_bad("panel P\nquery a b\n", "t.board:2: query takes one "
	    "pattern; give each on a query line of its own");
	check_bad("panel\n", "t.board:1: panel needs an argument");
	check_bad("title  \n", "t.board:1: title needs an argument");
	check_bad("panel P\nquery\n", "t.board:2: query needs an argument");
	check_bad("title a\ntitle b\n",
	    "t.board:2: title given twice (line 1)");
	check_bad("panel P\nquery a\ntitle T\n",
	    "t.board:3: title belongs before the first panel");
	check_bad("panel P\nquery a\nrefresh 60\n",
	    "t.board:3: refresh belongs before the first panel");
	check_bad("refresh 0\n", "t.board:1: refresh is \"0\": too small");
	check_bad("refresh 2d\n", "t.board:1: refresh is \"2d\": too large");
	check_bad("refresh 1\nrefresh 2\n",
	    "t.board:2: refresh given twice (line 1)");
	check_bad("", "t.board: no panel: a board needs at least one "
	    "\"panel TITLE\" line");
	check_bad("# only\ntitle T\n", "t.board: no panel: a board needs at "
	    "least one \"panel TITLE\" line");
}

static void
test_step(void)
{
	ok(dmd_board_step(1) == 60, "a second: 1m, the least");
	ok(dmd_board_step(3600) == 60, "1h: 1m");
	ok(dmd_board_step(6 * 3600 + 1) == 60, "6h: 1m (360 points)");
	ok(dmd_board_step(24 * 3600) == 300, "1d: 5m (288 points)");
	ok(dmd_board_step(7 * 86400) == 1800, "7d: 30m");
	ok(dmd_board_step(30 * 86400) == 7200, "30d: 2h");
	ok(dmd_board_step(365 * 86400) == 86400, "365d: 1d");
	ok(dmd_board_step(800 * 86400) == 2 * 86400, "800d: 2d");
	ok(dmd_board_step(1000 * 86400) == 7 * 86400, "1000d: 1w");
	ok(dmd_board_step(10 * 365 * 86400) == 2 * 7 * 86400,
	    "10 years: 2w");
	ok(dmd_board_step(400 * 120) == 120, "exactly 400 points of 2m: 2m");
	ok(dmd_board_step(400 * 120 + 1) == 300, "one second more: 5m");
}

/* --- the page ------------------------------------------------------ */

/* Run the writes of the page in fp, return what was written (in out). */
static const char *
slurp(FILE *fp)
{
	size_t len;

	rewind(fp);
	len = fread(out, 1, sizeof(out) - 1, fp);
	out[len] = '\0';
	fclose(fp);
	return out;
}

static size_t
count(const char *s, const char *what)
{
	size_t n = 0;

	while ((s = strstr(s, what)) != NULL) {
		n++;
		s += strlen(what);
	}
	return n;
}

/* The d attribute of the path of series name, copied into buf. */
static const char *
path_of(const char *page, const char *name, char *buf, size_t len)
{
	char key[300];
	const char *p, *e;

	snprintf(key, sizeof(key), "data-name=\"%s\"", name);
	if ((p = strstr(page, key)) == NULL || (p = strstr(p, " d=\"")) ==
	    NULL || (e = strchr(p + 4, '"')) == NULL)
		return "(none)";
	snprintf(buf, len, "%.*s", (int)(e - p - 4), p + 4);
	return buf;
}

static void
panel_start(struct dmd_svg *g, const char *title, const char *unit)
{
	dmd_svg_reset(g);
	g->title = title;
	g->unit = unit;
	g->from = NOW - 6 * 3600;
	g->until = NOW;
	g->step = 60;
	g->agg = DMD_AGG_AVG;
}

static const char *
render(struct dmd_svg *g)
{
	FILE *fp = tmpfile();

	if (fp == NULL)
		return "(tmpfile failed)";
	if (dmd_svg_panel(g, fp) != 0) {
		fclose(fp);
		return "(error)";
	}
	return slurp(fp);
}

static void
test_panel(void)
{
	struct dmd_svg g;
	struct dmd_sample a[6], b[3];
	const char *page;
	char d[4096], *first;
	size_t i;

	/* a: 5 points, the fourth after a missing bucket, then a lone one */
	a[0].time = NOW - 600; a[0].value = 10;
	a[1].time = NOW - 540; a[1].value = 20;
	a[2].time = NOW - 480; a[2].value = 1234;
	a[3].time = NOW - 300; a[3].value = 5;
	a[4].time = NOW - 240; a[4].value = 6;
	a[5].time = NOW - 60; a[5].value = 7.5;
	for (i = 0; i < N(b); i++) {
		b[i].time = NOW - 3600 + 60 * (int64_t)i;
		b[i].value = (double)i;
	}
	dmd_svg_init(&g);
	panel_start(&g, "Load a<b&\"c'", "ms");
	dmd_svg_add(&g, "web01.load", a, N(a));
	dmd_svg_add(&g, "a<b&\"c", b, N(b));
	page = render(&g);
	ok(count(page, "<svg ") == 1, "one svg per panel");
	ok(count(page, "class=\"series\"") == 2, "one path per series");
	ok(strstr(page, "data-name=\"web01.load\" stroke=\"#1f77b4\"") != NULL,
	    "first series: its name and the first colour");
	ok(strstr(page, "data-name=\"a&lt;b&amp;&quot;c\" stroke=\"#ff7f0e\"")
	    != NULL, "second series: name escaped, second colour");
	ok(strstr(page, "<title>a&lt;b&amp;&quot;c</title></path>") != NULL,
	    "the name as a tooltip, escaped");
	ok(strstr(page, "a<b") == NULL, "no raw < from a name or title");
	ok(strstr(page, "<h2>Load a&lt;b&amp;&quot;c&#39;</h2>") != NULL,
	    "title escaped");
	ok(strstr(page, "aria-label=\"Load a&lt;b&amp;&quot;c&#39;\"") != NULL,
	    "title escaped in an attribute");
	path_of(page, "web01.load", d, sizeof(d));
	ok(count(d, "M") == 3 && count(d, "L") == 3,
	    "gaps: three subpaths (3 points, 2 points, a lone one)");
	ok(count(d, "z") == 1, "the lone point is a closed mark");
	first = strchr(d + 1, 'M');
	ok(first != NULL && first[-1] != ' ', "subpaths written compactly");
	ok(strncmp(d, "M", 1) == 0, "the path starts with a move");
	path_of(page, "a&lt;b&amp;&quot;c", d, sizeof(d));
	ok(count(d, "M") == 1 && count(d, "L") == 2,
	    "consecutive buckets: one subpath");
	ok(strstr(page, "<p class=\"meta\">2026-11-24 04:00 to 2026-11-24 "
	    "10:00 UTC, step 1m, avg</p>") != NULL, "caption: range and step");
	/* 0 .. 1234: ticks 250 apart, to 1250 */
	ok(strstr(page, ">0</text>") != NULL &&
	    strstr(page, ">250</text>") != NULL &&
	    strstr(page, ">1k</text>") != NULL &&
	    strstr(page, ">1.25k</text>") != NULL &&
	    strstr(page, ">1.5k</text>") == NULL, "value labels 0 .. 1.25k");
	ok(strstr(page, "class=\"unit\"") != NULL &&
	    strstr(page, ">ms</text>") != NULL, "the unit over the axis");
	/* 6 hours: a label each hour, 04:00 .. 10:00 */
	ok(count(page, "class=\"xl\"") == 7 &&
	    strstr(page, ">04:00</text>") != NULL &&
	    strstr(page, ">10:00</text>") != NULL, "time labels each hour");
	ok(strstr(page, "<li><span class=\"key\" style=\"border-color:"
	    "#1f77b4\"></span>web01.load <span class=\"last\">7.5 ms</span>"
	    "</li>") != NULL, "legend: colour, name, last value and unit");
	ok(strstr(page, "no data") == NULL, "no \"no data\" with data");

	/* the same data: the same bytes */
	{
		static char first_page[sizeof(out)];

		strcpy(first_page, page);
		page = render(&g);
		ok(strcmp(first_page, page) == 0, "deterministic");
	}

	/* no series */
	panel_start(&g, "Empty", NULL);
	page = render(&g);
	ok(strstr(page, ">no data</text>") != NULL, "no data: said");
	ok(count(page, "class=\"series\"") == 0, "no data: no path");
	ok(strstr(page, "class=\"legend\"") == NULL, "no data: no legend");

	/* a series whose values are not finite */
	panel_start(&g, "Inf", NULL);
	b[0].value = INFINITY;
	dmd_svg_add(&g, "x.y", b, 1);
	page = render(&g);
	ok(strstr(page, ">no data</text>") != NULL &&
	    strstr(page, "data-name=\"x.y\"") != NULL &&
	    strstr(page, "d=\"\"") != NULL, "only an inf: no data, empty path");
	ok(strstr(page, "nan") == NULL && strstr(page, "inf") == NULL,
	    "nothing not finite printed");

	/* an error */
	panel_start(&g, "Broken", NULL);
	g.error = "cache: cannot connect <unix:///x>";
	page = render(&g);
	ok(strstr(page, "<p class=\"error\">cache: cannot connect "
	    "&lt;unix:///x&gt;</p>") != NULL, "an error: said, escaped");
	ok(strstr(page, "<svg") == NULL, "an error: no chart");

	/* more series than drawn */
	panel_start(&g, "Many", NULL);
	for (i = 0; i < DMD_SVG_SERIES_MAX + 5; i++) {
		char name[16];

		snprintf(name, sizeof(name), "s.%02zu", i);
		dmd_svg_add(&g, name, a, N(a));
	}
	page = render(&g);
	ok(count(page, "class=\"series\"") == DMD_SVG_SERIES_MAX,
	    "at most %d paths", DMD_SVG_SERIES_MAX);
	ok(strstr(page, "and 5 more series, not drawn") != NULL,
	    "the rest counted");
	ok(count(page, "stroke-dasharray") == DMD_SVG_SERIES_MAX -
	    DMD_SVG_COLOURS, "past ten colours: dashed");

	/* negative values: the axis ends at 0 */
	panel_start(&g, "Neg", NULL);
	for (i = 0; i < N(b); i++)
		b[i].value = -1.5e6 * (double)(i + 1);
	dmd_svg_add(&g, "n.n", b, N(b));
	page = render(&g);
	ok(strstr(page, ">-5M</text>") != NULL &&
	    strstr(page, ">0</text>") != NULL &&
	    strstr(page, ">-4.5M</text>") == NULL, "negative: -5M .. 0 by 1M");
	dmd_svg_release(&g);
	dmd_svg_release(NULL);
}

static void
test_page(void)
{
	FILE *fp;
	const char *page;

	if ((fp = tmpfile()) == NULL)
		return;
	ok(dmd_svg_page_begin(fp, "T <&>", 60) == 0 &&
	    dmd_svg_page_end(fp, NOW, "dmd-board 9") == 0, "a page");
	page = slurp(fp);
	ok(strncmp(page, "<!doctype html>\n", 16) == 0, "starts with doctype");
	ok(strstr(page, "<title>T &lt;&amp;&gt;</title>") != NULL &&
	    strstr(page, "<h1>T &lt;&amp;&gt;</h1>") != NULL, "title escaped");
	ok(strstr(page, "<meta http-equiv=\"refresh\" content=\"60\">") !=
	    NULL, "refresh");
	ok(strstr(page, "<footer>generated at 2026-11-24 10:00:00 UTC by "
	    "dmd-board 9</footer>") != NULL, "footer");
	ok(strstr(page, "<script") == NULL && strstr(page, "http:") == NULL &&
	    strstr(page, "https:") == NULL && strstr(page, "url(") == NULL,
	    "no script, no URL");
	ok(strstr(page, "</html>\n") != NULL, "ends the html");

	if ((fp = tmpfile()) == NULL)
		return;
	dmd_svg_page_begin(fp, "T", 0);
	page = slurp(fp);
	ok(strstr(page, "refresh") == NULL, "no refresh unless asked");
}

static void
check_si(double v, double res, const char *want)
{
	char buf[48];

	is(dmd_svg_si(v, res, buf, sizeof(buf)), want, "%g (resolution %g) "
	    "is %s", v, res, want);
}

static void
test_si(void)
{
	check_si(0, 0, "0");
	check_si(-0.0, 0, "0");
	check_si(12.5, 0, "12.5");
	check_si(1234, 0, "1.23k");
	check_si(999.96, 0, "1k");
	check_si(999.4, 0, "999");
	check_si(1e6, 0, "1M");
	check_si(-3.25e9, 0, "-3.25G");
	check_si(2.5e18, 0, "2.5E");
	check_si(1e22, 0, "1e+22");
	check_si(0.00123, 0, "0.00123");
	check_si(1e-9, 0, "1e-09");
	check_si(200, 200, "200");
	check_si(1200, 200, "1.2k");
	check_si(1000, 250, "1k");
	check_si(1250, 250, "1.25k");
	check_si(1002000, 2000, "1.002M");
	check_si(0.5, 0.1, "0.5");
	check_si(0.25, 0.05, "0.25");
	check_si(0, 2.5, "0");
	check_si(INFINITY, 0, "inf");
	check_si(-INFINITY, 0, "-inf");
}

int
main(void)
{
	test_default();
	test_good();
	test_line_by_line();
	test_bad();
	test_step();
	test_panel();
	test_page();
	test_si();
	return done();
}
