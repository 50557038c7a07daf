/*
 * output.h - points written as text: NDJSON, TSV, CSV or Graphite's
 * render JSON.
 *
 * NDJSON and TSV are shapes dmd-ingest reads back, so query output pipes
 * into ingest; CSV (with a header) is for spreadsheets; "graphite" is the
 * body of Graphite's /render?format=json, one object per series, for
 * dashboards that speak it; "chart" draws one line per series for a
 * terminal: a sparkline of block characters over the query's range (the
 * average of each column), with the series' min, max and last value.
 * Values use dmd_value_format(): the shortest text that reads back
 * exactly, -0 as "-0".
 */
#ifndef DMD_OUTPUT_H
#define DMD_OUTPUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "point.h"

enum dmd_output_format {
	DMD_OUT_NDJSON,
	DMD_OUT_TSV,
	DMD_OUT_CSV,
	DMD_OUT_GRAPHITE,
	DMD_OUT_CHART
};

struct dmd_chart;

struct dmd_output {
	FILE		*fp;
	enum dmd_output_format format;
	int		 header_done;	/* csv: header written */
	int		 open;		/* graphite: inside the outer [ */
	int		 finished;	/* graphite: closed by _finish */
	size_t		 namelen;	/* graphite: the open series */
	char		 name[DMD_NAME_MAX];
	struct dmd_chart *chart;	/* chart: the series being drawn */
};

/* Map "ndjson" (or "json"), "tsv", "csv", "graphite" or "chart" to *f.
 * Returns 0, or -1 with *f untouched. */
int dmd_output_format_parse(const char *s, enum dmd_output_format *f);

/* Set up o to write to fp, which stays the caller's to close. */
void dmd_output_init(struct dmd_output *o, FILE *fp,
    enum dmd_output_format f);

/* The time range a chart spans (the query's), and its width in
 * characters (the terminal's, $COLUMNS); before the points of a query. */
void dmd_output_range(struct dmd_output *o, int64_t from, int64_t until,
    int columns);

/* Write one point.  name is a valid point name of namelen bytes.  For
 * graphite the points of one series must come one after another: each
 * run of one name is one object ({"target":NAME,"datapoints":[...]}).
 * Returns 0, or -1 when the stream has an error. */
int dmd_output_point(struct dmd_output *o, const char *name, size_t namelen,
    int64_t time, double value);

/* End the current series: its next point starts a new one (Graphite: a
 * new target object), as for the answer to another query. */
void dmd_output_break(struct dmd_output *o);

/* Write what a format needs after the last point, even with no points:
 * the CSV header, the closing "]}]\n" of graphite ("[]\n" with no
 * points).  A second call writes nothing; a graphite point after it
 * opens a new array.  Returns 0, or -1 when the stream has an error. */
int dmd_output_finish(struct dmd_output *o);

#endif
