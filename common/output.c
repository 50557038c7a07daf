/*
 * output.c - points as NDJSON, TSV or CSV text (see output.h).
 */
#include <string.h>

#include "output.h"
#include "point.h"

int
dmd_output_format_parse(const char *s, enum dmd_output_format *f)
{
	if (strcmp(s, "ndjson") == 0 || strcmp(s, "json") == 0)
		*f = DMD_OUT_NDJSON;
	else if (strcmp(s, "tsv") == 0)
		*f = DMD_OUT_TSV;
	else if (strcmp(s, "csv") == 0)
		*f = DMD_OUT_CSV;
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

int
dmd_output_point(struct dmd_output *o, const char *name, size_t namelen,
    int64_t time, double value)
{
	char v[DMD_VALUE_STRMAX];
	int len = (int)namelen;

	dmd_value_format(value, v);
	switch (o->format) {
	case DMD_OUT_NDJSON:
		/* names are [A-Za-z0-9._:-]: nothing to escape */
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
	}
	return ferror(o->fp) ? -1 : 0;
}

int
dmd_output_finish(struct dmd_output *o)
{
	if (o->format == DMD_OUT_CSV && !o->header_done) {
		fputs("name,time,value\n", o->fp);
		o->header_done = 1;
	}
	return ferror(o->fp) ? -1 : 0;
}
