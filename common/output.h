/*
 * output.h - points written as text: NDJSON, TSV or CSV.
 *
 * NDJSON and TSV are shapes dmd-ingest reads back, so query output pipes
 * into ingest; CSV (with a header) is for spreadsheets.  Values use
 * dmd_value_format(): the shortest text that reads back exactly.
 */
#ifndef DMD_OUTPUT_H
#define DMD_OUTPUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum dmd_output_format { DMD_OUT_NDJSON, DMD_OUT_TSV, DMD_OUT_CSV };

struct dmd_output {
	FILE		*fp;
	enum dmd_output_format format;
	int		 header_done;
};

/* Map "ndjson", "tsv", "csv" to *f.  Returns 0 or -1. */
int dmd_output_format_parse(const char *s, enum dmd_output_format *f);

void dmd_output_init(struct dmd_output *o, FILE *fp,
    enum dmd_output_format f);

/* Write one point.  name is a valid point name of namelen bytes.
 * Returns 0, or -1 when the stream has an error. */
int dmd_output_point(struct dmd_output *o, const char *name, size_t namelen,
    int64_t time, double value);

/* Write what a format needs even with no points (the CSV header).
 * Returns 0, or -1 when the stream has an error. */
int dmd_output_finish(struct dmd_output *o);

#endif
