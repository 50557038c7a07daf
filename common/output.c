/*
 * output.c - points as NDJSON, TSV, CSV or Graphite render JSON (see
 * output.h).
 *
 * Names are [A-Za-z0-9._:-], so none of the formats needs escaping.
 */
#include <string.h>

#include "chart.h"
#include "output.h"

int
dmd_output_format_parse(const char *s, enum dmd_output_format *f)
{
	if (strcmp(s, "ndjson") == 0 || strcmp(s, "json") == 0)
		*f = DMD_OUT_NDJSON;
	else if (strcmp(s, "tsv") == 0)
		*f = DMD_OUT_TSV;
	else if (strcmp(s, "csv") == 0)
		*f = DMD_OUT_CSV;
	else if (strcmp(s, "graphite") == 0)
		*f = DMD_OUT_GRAPHITE;
	else if (strcmp(s, "chart") == 0)
		*f = DMD_OUT_CHART;
	else
		return -1;
	return 0;
}

void
dmd_output_init(struct dmd_output *o, FILE *fp, enum dmd_output_format f)
{
	memset(o, 0, sizeof(*o));
	o->fp = fp;
	o->format = f;
}

/* A line under construction: fprintf's parsing costs more than the
 * points themselves. */
struct line {
	char	 buf[DMD_NAME_MAX + 2 * DMD_VALUE_STRMAX + 64];
	size_t	 n;
};

static void
put(struct line *l, const char *s, size_t n)
{
	memcpy(l->buf + l->n, s, n);
	l->n += n;
}

#define PUTS(l, lit)	put((l), (lit), sizeof(lit) - 1)

static void
puttime(struct line *l, int64_t t)
{
	static const char pairs[] =
	    "00010203040506070809101112131415161718192021222324252627282930"
	    "31323334353637383940414243444546474849505152535455565758596061"
	    "6263646566676869707172737475767778798081828384858687888990919293"
	    "949596979899";
	char tmp[24];
	uint64_t u = t < 0 ? -(uint64_t)t : (uint64_t)t;
	size_t i = sizeof(tmp);

	while (u >= 100) {
		i -= 2;
		memcpy(tmp + i, pairs + 2 * (u % 100), 2);
		u /= 100;
	}
	if (u >= 10) {
		i -= 2;
		memcpy(tmp + i, pairs + 2 * u, 2);
	} else
		tmp[--i] = (char)('0' + u);
	if (t < 0)
		tmp[--i] = '-';
	put(l, tmp + i, sizeof(tmp) - i);
}

/* One [VALUE,TIME] pair, in the object of its series. */
static void
graphite_point(struct dmd_output *o, struct line *l, const char *name,
    size_t namelen, int64_t time, const char *v, size_t vlen)
{
	if (o->open && namelen == o->namelen &&
	    memcmp(name, o->name, namelen) == 0) {
		PUTS(l, ",[");
	} else {
		if (o->open)
			PUTS(l, "]},{\"target\":\"");
		else
			PUTS(l, "[{\"target\":\"");
		put(l, name, namelen);
		PUTS(l, "\",\"datapoints\":[[");
		o->open = 1;
		o->finished = 0;
		/* a name longer than the contract allows never matches */
		if (namelen <= sizeof(o->name)) {
			memcpy(o->name, name, namelen);
			o->namelen = namelen;
		} else
			o->namelen = 0;
	}
	put(l, v, vlen);
	PUTS(l, ",");
	puttime(l, time);
	PUTS(l, "]");
}

int
dmd_output_point(struct dmd_output *o, const char *name, size_t namelen,
    int64_t time, double value)
{
	char v[DMD_VALUE_STRMAX];
	struct line l;
	size_t vlen;

	if (namelen > DMD_NAME_MAX)
		namelen = DMD_NAME_MAX;
	vlen = (size_t)dmd_value_format(value, v);
	l.n = 0;
	switch (o->format) {
	case DMD_OUT_NDJSON:
		PUTS(&l, "{\"name\":\"");
		put(&l, name, namelen);
		PUTS(&l, "\",\"time\":");
		puttime(&l, time);
		PUTS(&l, ",\"value\":");
		put(&l, v, vlen);
		PUTS(&l, "}\n");
		break;
	case DMD_OUT_TSV:
		put(&l, name, namelen);
		PUTS(&l, "\t");
		put(&l, v, vlen);
		PUTS(&l, "\t");
		puttime(&l, time);
		PUTS(&l, "\n");
		break;
	case DMD_OUT_CSV:
		dmd_output_finish(o);
		put(&l, name, namelen);
		PUTS(&l, ",");
		puttime(&l, time);
		PUTS(&l, ",");
		put(&l, v, vlen);
		PUTS(&l, "\n");
		break;
	case DMD_OUT_GRAPHITE:
		graphite_point(o, &l, name, namelen, time, v, vlen);
		break;
	case DMD_OUT_CHART:
		if (o->chart == NULL)
			dmd_output_range(o, time, time, 80);
		if (namelen != strlen(o->chart->name) ||
		    memcmp(name, o->chart->name, namelen) != 0)
			dmd_chart_series(o->chart, o->fp, name, namelen);
		dmd_chart_point(o->chart, time, value);
		return ferror(o->fp) ? -1 : 0;
	}
	return fwrite(l.buf, 1, l.n, o->fp) == l.n ? 0 : -1;
}

void
dmd_output_break(struct dmd_output *o)
{
	o->namelen = 0;
}

int
dmd_output_finish(struct dmd_output *o)
{
	switch (o->format) {
	case DMD_OUT_CSV:
		if (!o->header_done) {
			fputs("name,time,value\n", o->fp);
			o->header_done = 1;
		}
		break;
	case DMD_OUT_GRAPHITE:
		if (!o->finished) {
			fputs(o->open ? "]}]\n" : "[]\n", o->fp);
			o->open = 0;
			o->finished = 1;
		}
		break;
	case DMD_OUT_CHART:
		if (o->chart != NULL) {
			dmd_chart_draw(o->chart, o->fp);
			if (!o->finished)
				dmd_chart_axis(o->chart, o->fp);
			o->finished = 1;
			dmd_chart_free(o->chart);
			o->chart = NULL;
		}
		break;
	default:
		break;
	}
	return ferror(o->fp) ? -1 : 0;
}

void
dmd_output_range(struct dmd_output *o, int64_t from, int64_t until,
    int columns)
{
	if (o->format != DMD_OUT_CHART)
		return;
	/* a new query: draw what the last one left, keep one axis */
	if (o->chart != NULL) {
		dmd_chart_draw(o->chart, o->fp);
		dmd_chart_axis(o->chart, o->fp);
		dmd_chart_free(o->chart);
	}
	o->chart = dmd_chart_new(from, until, columns);
}
