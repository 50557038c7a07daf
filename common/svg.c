/*
 * svg.c - dmd-board's page: HTML with an inline SVG chart per panel
 * (see svg.h).
 *
 * Coordinates are printed with one decimal: a tenth of a pixel of an
 * 800-pixel chart is finer than any screen shows, and it keeps a series
 * of 400 points near 5 kB.  Nothing here reads the clock or the locale,
 * so a page is a function of its data.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "svg.h"
#include "xmalloc.h"

/* the plot area inside the viewBox */
#define PL	60		/* left margin: value labels */
#define PR	20		/* right: room for half a time label */
#define PT	22		/* top: the unit */
#define PB	26		/* bottom: time labels */
#define PW	(DMD_SVG_WIDTH - PL - PR)
#define PH	(DMD_SVG_HEIGHT - PT - PB)

#define XTICKS	8		/* time labels, at most */
#define YTICKS	5		/* value intervals, about */

/* Tableau's category10: ten colours told apart also by most of the
 * colour-blind; series 11 to 20 reuse them dashed. */
static const char *const colour[DMD_SVG_COLOURS] = {
	"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
	"#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"
};

static const char style[] =
    "body{font:14px/1.4 \"DejaVu Sans\",Verdana,sans-serif;margin:16px;"
    "color:#222;background:#fff}\n"
    "h1{font-size:20px;margin:0 0 12px}\n"
    "section{margin:0 0 24px;max-width:800px}\n"
    "h2{font-size:15px;margin:0}\n"
    ".meta{font-size:12px;color:#666;margin:0 0 4px}\n"
    ".error{color:#c00;margin:4px 0}\n"
    "svg{display:block;width:100%;max-width:800px;height:auto}\n"
    "svg text{font-size:11px;fill:#555}\n"
    ".grid{stroke:#e8e8e8;stroke-width:1;fill:none}\n"
    ".axis{stroke:#999;stroke-width:1;fill:none}\n"
    ".yl,.unit{text-anchor:end}\n"
    ".xl,.nodata{text-anchor:middle}\n"
    "svg .nodata{font-size:14px;fill:#999}\n"
    ".series{fill:none;stroke-width:1.5;stroke-linejoin:round;"
    "stroke-linecap:round}\n"
    ".legend{list-style:none;margin:2px 0 0;padding:0;font-size:12px;"
    "display:flex;flex-wrap:wrap;gap:2px 16px}\n"
    ".key{display:inline-block;width:14px;border-top:3px solid;"
    "vertical-align:middle;margin-right:4px}\n"
    ".key.dash{border-top-style:dashed}\n"
    ".last{color:#666}\n"
    "footer{font-size:12px;color:#888;margin-top:16px}\n";

/* The value axis: from lo to hi, a labelled tick every step (0: only at
 * lo and hi, for ranges too wide for tick arithmetic). */
struct yaxis {
	double		 lo, hi, step, base;	/* base: lo / step */
	int		 nticks;
};

void
dmd_svg_init(struct dmd_svg *g)
{
	memset(g, 0, sizeof(*g));
}

void
dmd_svg_reset(struct dmd_svg *g)
{
	size_t i;

	for (i = 0; i < g->nseries; i++)
		g->series[i].n = 0;
	g->nseries = 0;
	g->more = 0;
	g->title = g->unit = g->error = NULL;
	g->from = g->until = 0;
	g->step = 1;
	g->agg = DMD_AGG_AVG;
}

void
dmd_svg_release(struct dmd_svg *g)
{
	size_t i;

	if (g == NULL)
		return;
	for (i = 0; i < DMD_SVG_SERIES_MAX; i++)
		free(g->series[i].s);
	memset(g, 0, sizeof(*g));
}

void
dmd_svg_add(struct dmd_svg *g, const char *name, const struct dmd_sample *s,
    size_t n)
{
	struct dmd_svg_series *se;
	size_t i;

	if (g->nseries == DMD_SVG_SERIES_MAX) {
		g->more++;
		return;
	}
	se = &g->series[g->nseries++];
	snprintf(se->name, sizeof(se->name), "%s", name);
	se->n = 0;
	if (n > 0)
		se->s = xgrow(se->s, &se->cap, n, sizeof(*se->s));
	for (i = 0; i < n; i++)
		if (isfinite(s[i].value))
			se->s[se->n++] = s[i];
}

void
dmd_svg_escape(FILE *fp, const char *s)
{
	for (; *s != '\0'; s++)
		switch (*s) {
		case '&':
			fputs("&amp;", fp);
			break;
		case '<':
			fputs("&lt;", fp);
			break;
		case '>':
			fputs("&gt;", fp);
			break;
		case '"':
			fputs("&quot;", fp);
			break;
		case '\'':
			fputs("&#39;", fp);
			break;
		default:
			putc((unsigned char)*s < 0x20 || *s == 0x7f ? ' ' : *s,
			    fp);
		}
}

/* The decimals that write multiples of r exactly: 1 for 0.2, 2 for 0.25
 * (at most 9). */
static int
decimals(double r)
{
	double m;
	int d;

	for (d = 0; d < 9; d++) {
		m = r * pow(10, d);
		if (m >= 1 - 1e-9 && fabs(m - round(m)) <= 1e-6 * m)
			break;
	}
	return d;
}

char *
dmd_svg_si(double v, double resolution, char *buf, size_t len)
{
	static const char prefix[] = "kMGTPE";
	double a = fabs(v), scale = 1;
	int p = 0, d;
	char *e;

	if (!isfinite(v)) {
		snprintf(buf, len, "%s", isnan(v) ? "nan" : v < 0 ? "-inf" :
		    "inf");
		return buf;
	}
	/* past E, or finer than nine decimals show: exponent form */
	if (a >= 1e21 || (a > 0 && resolution == 0 && a < 1e-7) ||
	    (resolution > 0 && resolution < 1e-9)) {
		snprintf(buf, len, "%.3g", v);
		return buf;
	}
	for (;;) {
		while (p < 6 && a >= scale * 1000) {
			scale *= 1000;
			p++;
		}
		if (resolution > 0)
			d = decimals(resolution / scale);
		else
			d = a == 0 ? 0 : 2 - (int)floor(log10(a / scale));
		d = d < 0 ? 0 : d > 9 ? 9 : d;
		snprintf(buf, len, "%.*f", d, v / scale);
		/* 999.96 rounds to "1000": say 1k */
		if (p < 6 && fabs(strtod(buf, NULL)) >= 1000) {
			scale *= 1000;
			p++;
			continue;
		}
		break;
	}
	if (strchr(buf, '.') != NULL) {
		for (e = buf + strlen(buf); e[-1] == '0'; e--)
			;
		if (e[-1] == '.')
			e--;
		*e = '\0';
	}
	if (strcmp(buf, "-0") == 0)
		snprintf(buf, len, "0");
	if (p > 0 && strlen(buf) + 1 < len) {
		e = buf + strlen(buf);
		e[0] = prefix[p - 1];
		e[1] = '\0';
	}
	return buf;
}

static void
utc(int64_t t, const char *fmt, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL || strftime(buf, len, fmt, &tm) == 0)
		snprintf(buf, len, "%lld", (long long)t);
}

/* A step as the board file would give it: 90s, 5m, 1h, 1d, 1w. */
static void
duration(int64_t s, char *buf, size_t len)
{
	static const struct {
		int64_t		 sec;
		const char	*unit;
	} u[] = { { 604800, "w" }, { 86400, "d" }, { 3600, "h" }, { 60, "m" } };
	size_t i;

	for (i = 0; i < sizeof(u) / sizeof(u[0]); i++)
		if (s > 0 && s % u[i].sec == 0) {
			snprintf(buf, len, "%lld%s", (long long)(s / u[i].sec),
			    u[i].unit);
			return;
		}
	snprintf(buf, len, "%llds", (long long)s);
}

static int64_t
floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/* Ticks at 1, 2, 2.5 or 5 times a power of ten, about YTICKS of them,
 * over [mn, mx] widened to include 0. */
static void
y_axis(double mn, double mx, struct yaxis *y)
{
	double raw, mag, f, step, lo, hi;

	if (mn > 0)
		mn = 0;
	if (mx < 0)
		mx = 0;
	if (mn == mx)
		mx = 1;
	y->lo = mn;
	y->hi = mx;
	y->step = 0;
	y->base = 0;
	y->nticks = 2;
	raw = (mx - mn) / YTICKS;
	if (!isfinite(raw) || raw <= 0)
		return;
	mag = pow(10, floor(log10(raw)));
	if (!(mag > 0) || !isfinite(mag))
		return;
	f = raw / mag * (1 - 1e-9);
	step = (f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10) *
	    mag;
	lo = floor(mn / step);
	hi = ceil(mx / step);
	if (!isfinite(lo * step) || !isfinite(hi * step) ||
	    !isfinite(hi * step - lo * step) || hi - lo > 4 * YTICKS)
		return;
	y->base = lo;
	y->lo = lo * step;
	y->hi = hi * step;
	y->step = step;
	y->nticks = (int)(hi - lo) + 1;
}

static double
y_tick(const struct yaxis *y, int i)
{
	double v;

	if (y->step == 0)
		return i == 0 ? y->lo : y->hi;
	v = (y->base + i) * y->step;
	return fabs(v) < y->step * 1e-9 ? 0 : v;
}

static double
y_pos(const struct yaxis *y, double v)
{
	/* halves: hi - lo may be beyond the largest double */
	double span = y->hi / 2 - y->lo / 2;

	if (!(span > 0))
		return PT + PH / 2.0;
	return PT + PH - (v / 2 - y->lo / 2) / span * PH;
}

static double
x_pos(int64_t t, int64_t x0, int64_t x1)
{
	return PL + (double)(t - x0) / (double)(x1 - x0) * PW;
}

static void
y_labels(FILE *fp, const struct yaxis *y, const char *unit)
{
	char buf[48];
	double v, py;
	int i;

	for (i = 0; i < y->nticks; i++) {
		v = y_tick(y, i);
		py = y_pos(y, v);
		if (i > 0)
			fprintf(fp, "<path class=\"grid\" d=\"M%d %.1fH%d\""
			    "/>\n", PL, py, PL + PW);
		fprintf(fp, "<text class=\"yl\" x=\"%d\" y=\"%.1f\">%s"
		    "</text>\n", PL - 6, py + 4, dmd_svg_si(v, y->step, buf,
		    sizeof(buf)));
	}
	if (unit != NULL) {
		fprintf(fp, "<text class=\"unit\" x=\"%d\" y=\"%d\">", PL - 6,
		    PT - 8);
		dmd_svg_escape(fp, unit);
		fputs("</text>\n", fp);
	}
}

/* Time labels every 1s ... 28d, the first interval that gives at most
 * XTICKS of them, aligned to the epoch (so to UTC days and hours). */
static void
x_labels(FILE *fp, int64_t x0, int64_t x1)
{
	static const int64_t nice[] = { 1, 2, 5, 10, 15, 30, 60, 120, 300,
	    600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800,
	    604800, 1209600, 2419200 };
	int64_t span = x1 - x0, iv = 0, t;
	const char *fmt;
	size_t i;
	char buf[32];
	double px;

	for (i = 0; i < sizeof(nice) / sizeof(nice[0]) && iv == 0; i++)
		if (span / nice[i] <= XTICKS)
			iv = nice[i];
	if (iv == 0)
		iv = (span / XTICKS / 2419200 + 1) * 2419200;
	for (t = -floor_div(-x0, iv) * iv; t <= x1; t += iv) {
		if (iv < 60)
			fmt = "%H:%M:%S";
		else if (iv < 86400 && t % 86400 != 0)
			fmt = "%H:%M";
		else if (span > 300 * 86400)
			fmt = "%Y-%m-%d";
		else
			fmt = "%b %d";
		utc(t, fmt, buf, sizeof(buf));
		px = x_pos(t, x0, x1);
		fprintf(fp, "<path class=\"grid\" d=\"M%.1f %dV%d\"/>\n", px,
		    PT, PT + PH);
		fprintf(fp, "<text class=\"xl\" x=\"%.1f\" y=\"%d\">%s"
		    "</text>\n", px, DMD_SVG_HEIGHT - 8, buf);
	}
}

/* A lone point, between gaps: a small diamond, as a line through one
 * point would not show. */
static void
dot(FILE *fp, double x, double y)
{
	fprintf(fp, "M%.1f %.1fl3 -3 3 3 -3 3z", x - 3, y);
}

static void
draw_series(FILE *fp, const struct dmd_svg *g, size_t i,
    const struct yaxis *y, int64_t x0, int64_t x1)
{
	const struct dmd_svg_series *se = &g->series[i];
	size_t j, seg = 0;
	int64_t t, prev = 0, step = g->step > 0 ? g->step : 1;
	double px, py, sx = 0, sy = 0;

	fputs("<path class=\"series\" data-name=\"", fp);
	dmd_svg_escape(fp, se->name);
	fprintf(fp, "\" stroke=\"%s\"%s d=\"", colour[i % DMD_SVG_COLOURS],
	    i >= DMD_SVG_COLOURS ? " stroke-dasharray=\"6 3\"" : "");
	for (j = 0; j < se->n; j++) {
		t = se->s[j].time;
		if (t < x0 || t > x1)
			continue;
		px = x_pos(t, x0, x1);
		py = y_pos(y, se->s[j].value);
		/* a bucket without a point between: a gap */
		if (seg == 0 || t - prev > step) {
			if (seg == 1)
				dot(fp, sx, sy);
			sx = px;
			sy = py;
			seg = 1;
		} else {
			if (seg == 1)
				fprintf(fp, "M%.1f %.1f", sx, sy);
			fprintf(fp, "L%.1f %.1f", px, py);
			seg++;
		}
		prev = t;
	}
	if (seg == 1)
		dot(fp, sx, sy);
	/* the name as a tooltip: hovering a line names it, no script */
	fputs("\"><title>", fp);
	dmd_svg_escape(fp, se->name);
	fputs("</title></path>\n", fp);
}

static void
legend(FILE *fp, const struct dmd_svg *g)
{
	const struct dmd_svg_series *se;
	char buf[48];
	size_t i;

	if (g->nseries == 0)
		return;
	fputs("<ul class=\"legend\">\n", fp);
	for (i = 0; i < g->nseries; i++) {
		se = &g->series[i];
		fprintf(fp, "<li><span class=\"key%s\" style=\"border-color:"
		    "%s\"></span>", i >= DMD_SVG_COLOURS ? " dash" : "",
		    colour[i % DMD_SVG_COLOURS]);
		dmd_svg_escape(fp, se->name);
		fputs(" <span class=\"last\">", fp);
		if (se->n == 0)
			fputs("-", fp);
		else {
			fputs(dmd_svg_si(se->s[se->n - 1].value, 0, buf,
			    sizeof(buf)), fp);
			if (g->unit != NULL) {
				putc(' ', fp);
				dmd_svg_escape(fp, g->unit);
			}
		}
		fputs("</span></li>\n", fp);
	}
	if (g->more > 0)
		fprintf(fp, "<li class=\"more\">and %llu more series, not "
		    "drawn</li>\n", (unsigned long long)g->more);
	fputs("</ul>\n", fp);
}

int
dmd_svg_panel(struct dmd_svg *g, FILE *fp)
{
	struct yaxis y;
	char a[32], b[32], st[32];
	const char *agg;
	int64_t step = g->step > 0 ? g->step : 1, x0, x1;
	double mn = 0, mx = 0;
	size_t i, j, npoints = 0;

	fputs("<section>\n<h2>", fp);
	dmd_svg_escape(fp, g->title != NULL ? g->title : "");
	utc(g->from, "%Y-%m-%d %H:%M", a, sizeof(a));
	utc(g->until, "%Y-%m-%d %H:%M", b, sizeof(b));
	duration(step, st, sizeof(st));
	agg = dmd_agg_name(g->agg);
	fprintf(fp, "</h2>\n<p class=\"meta\">%s to %s UTC, step %s, %s</p>\n",
	    a, b, st, agg != NULL ? agg : "avg");
	if (g->error != NULL) {
		fputs("<p class=\"error\">", fp);
		dmd_svg_escape(fp, g->error);
		fputs("</p>\n</section>\n", fp);
		return ferror(fp) ? -1 : 0;
	}

	/* the first bucket starts at or before from */
	x0 = floor_div(g->from, step) * step;
	x1 = g->until > x0 ? g->until : x0 + 1;
	for (i = 0; i < g->nseries; i++)
		for (j = 0; j < g->series[i].n; j++) {
			const struct dmd_sample *s = &g->series[i].s[j];

			if (s->time < x0 || s->time > x1)
				continue;
			if (npoints == 0 || s->value < mn)
				mn = s->value;
			if (npoints == 0 || s->value > mx)
				mx = s->value;
			npoints++;
		}
	y_axis(mn, mx, &y);

	fprintf(fp, "<svg class=\"chart\" viewBox=\"0 0 %d %d\" width=\"%d\" "
	    "height=\"%d\" role=\"img\" aria-label=\"", DMD_SVG_WIDTH,
	    DMD_SVG_HEIGHT, DMD_SVG_WIDTH, DMD_SVG_HEIGHT);
	dmd_svg_escape(fp, g->title != NULL ? g->title : "");
	fputs("\">\n", fp);
	x_labels(fp, x0, x1);
	if (npoints > 0)
		y_labels(fp, &y, g->unit);
	fprintf(fp, "<path class=\"axis\" d=\"M%d %dV%dH%d\"/>\n", PL, PT,
	    PT + PH, PL + PW);
	if (npoints == 0)
		fprintf(fp, "<text class=\"nodata\" x=\"%d\" y=\"%d\">no data"
		    "</text>\n", PL + PW / 2, PT + PH / 2);
	for (i = 0; i < g->nseries; i++)
		draw_series(fp, g, i, &y, x0, x1);
	fputs("</svg>\n", fp);
	legend(fp, g);
	fputs("</section>\n", fp);
	return ferror(fp) ? -1 : 0;
}

int
dmd_svg_page_begin(FILE *fp, const char *title, int64_t refresh)
{
	fputs("<!doctype html>\n<html lang=\"en\">\n<head>\n"
	    "<meta charset=\"utf-8\">\n", fp);
	if (refresh > 0)
		fprintf(fp, "<meta http-equiv=\"refresh\" content=\"%lld\">\n",
		    (long long)refresh);
	fputs("<meta name=\"viewport\" content=\"width=device-width, "
	    "initial-scale=1\">\n<title>", fp);
	dmd_svg_escape(fp, title);
	fprintf(fp, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<h1>",
	    style);
	dmd_svg_escape(fp, title);
	fputs("</h1>\n", fp);
	return ferror(fp) ? -1 : 0;
}

int
dmd_svg_page_end(FILE *fp, int64_t now, const char *generator)
{
	char buf[32];

	utc(now, "%Y-%m-%d %H:%M:%S", buf, sizeof(buf));
	fprintf(fp, "<footer>generated at %s UTC by ", buf);
	dmd_svg_escape(fp, generator);
	fputs("</footer>\n</body>\n</html>\n", fp);
	return ferror(fp) ? -1 : 0;
}
