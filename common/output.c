/*
 * output.c - points as NDJSON, TSV, CSV or Graphite render JSON (see
 * output.h).
 *
 * Names are [A-Za-z0-9._:-], so none of the formats needs escaping.
 */
#include <string.h>

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

/* One [VALUE,TIME] pair, in the object of its series. */
static void
graphite_point(struct dmd_output *o, const char *name, size_t namelen,
    int64_t time, const char *v)
{
	if (o->open && namelen == o->namelen &&
	    memcmp(name, o->name, namelen) == 0) {
		fprintf(o->fp, ",[%s,%lld]", v, (long long)time);
		return;
	}
	fprintf(o->fp, "%s\"target\":\"%.*s\",\"datapoints\":[[%s,%lld]",
	    o->open ? "]},{" : "[{", (int)namelen, name, v, (long long)time);
	o->open = 1;
	o->finished = 0;
	/* a name longer than the contract allows never matches again */
	if (namelen <= sizeof(o->name)) {
		memcpy(o->name, name, namelen);
		o->namelen = namelen;
	} else
		o->namelen = 0;
}

int
dmd_output_point(struct dmd_output *o, const char *name, size_t namelen,
    int64_t time, double value)
{
	char v[DMD_VALUE_STRMAX];
	int len = (int)namelen;

	dmd_value_format(value, v);
	switch (o->format) {
	case DMD_OUT_NDJSON:
		fprintf(o->fp, "{\"name\":\"%.*s\",\"time\":%lld,\"value\":%s}\n",
		    len, name, (long long)time, v);
		break;
	case DMD_OUT_TSV:
		fprintf(o->fp, "%.*s\t%s\t%lld\n", len, name, v,
		    (long long)time);
		break;
	case DMD_OUT_CSV:
		dmd_output_finish(o);
		fprintf(o->fp, "%.*s,%lld,%s\n", len, name, (long long)time,
		    v);
		break;
	case DMD_OUT_GRAPHITE:
		graphite_point(o, name, namelen, time, v);
		break;
	}
	return ferror(o->fp) ? -1 : 0;
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
	default:
		break;
	}
	return ferror(o->fp) ? -1 : 0;
}
