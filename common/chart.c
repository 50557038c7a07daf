/*
 * chart.c - terminal chart lines (see chart.h).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chart.h"
#include "xmalloc.h"

/* " " for an empty column, then eight heights */
static const char *const bar[] = { " ", "\xe2\x96\x81", "\xe2\x96\x82",
	"\xe2\x96\x83", "\xe2\x96\x84", "\xe2\x96\x85", "\xe2\x96\x86",
	"\xe2\x96\x87", "\xe2\x96\x88" };

struct dmd_chart *
dmd_chart_new(int64_t from, int64_t until, int columns)
{
	struct dmd_chart *c = xcalloc(1, sizeof(*c));

	c->from = from;
	c->until = until > from ? until : from;
	/* name, two spaces, the line, "  min X  max Y  last Z" */
	c->width = columns - DMD_CHART_NAMEW - 2 - 48;
	if (c->width < 10)
		c->width = 10;
	if (c->width > 1000)
		c->width = 1000;
	c->sum = xcalloc((size_t)c->width, sizeof(*c->sum));
	c->cnt = xcalloc((size_t)c->width, sizeof(*c->cnt));
	return c;
}

void
dmd_chart_free(struct dmd_chart *c)
{
	if (c == NULL)
		return;
	free(c->sum);
	free(c->cnt);
	free(c);
}

void
dmd_chart_series(struct dmd_chart *c, FILE *fp, const char *name, size_t len)
{
	dmd_chart_draw(c, fp);
	if (len > DMD_NAME_MAX)
		len = DMD_NAME_MAX;
	memcpy(c->name, name, len);
	c->name[len] = '\0';
}

void
dmd_chart_point(struct dmd_chart *c, int64_t t, double v)
{
	/* the column of t, in 128 bits: ranges span any int64 */
	__int128 span = (__int128)c->until - c->from + 1;
	__int128 col = ((__int128)t - c->from) * c->width / span;

	if (col < 0 || col >= c->width)
		return;
	c->sum[(int)col] += v;
	c->cnt[(int)col]++;
	if (c->n == 0 || v < c->min)
		c->min = v;
	if (c->n == 0 || v > c->max)
		c->max = v;
	c->last = v;
	c->n++;
}

void
dmd_chart_draw(struct dmd_chart *c, FILE *fp)
{
	char a[DMD_VALUE_STRMAX], b[DMD_VALUE_STRMAX], l[DMD_VALUE_STRMAX];
	int i, h;
	double avg;

	if (c->n == 0) {
		c->name[0] = '\0';
		return;
	}
	fprintf(fp, "%-*s  ", DMD_CHART_NAMEW, c->name);
	for (i = 0; i < c->width; i++) {
		if (c->cnt[i] == 0)
			h = 0;
		else if (!(c->max > c->min))
			h = 4;
		else {
			avg = c->sum[i] / c->cnt[i];
			h = 1 + (int)((avg - c->min) / (c->max - c->min) * 7 +
			    0.5);
			if (h < 1)
				h = 1;
			if (h > 8)
				h = 8;
		}
		fputs(bar[h], fp);
		c->sum[i] = 0;
		c->cnt[i] = 0;
	}
	dmd_value_format(c->min, a);
	dmd_value_format(c->max, b);
	dmd_value_format(c->last, l);
	fprintf(fp, "  min %s  max %s  last %s\n", a, b, l);
	c->n = 0;
	c->name[0] = '\0';
}

static void
iso(int64_t t, char *buf, size_t sz)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, sz, "%Y-%m-%dT%H:%MZ", &tm) == 0)
		snprintf(buf, sz, "%lld", (long long)t);
}

void
dmd_chart_axis(const struct dmd_chart *c, FILE *fp)
{
	char a[32], b[32];
	int gap;

	iso(c->from, a, sizeof(a));
	iso(c->until, b, sizeof(b));
	gap = c->width - (int)strlen(a) - (int)strlen(b);
	fprintf(fp, "%-*s  %s%*s%s\n", DMD_CHART_NAMEW, "", a,
	    gap > 1 ? gap : 1, "", b);
}
