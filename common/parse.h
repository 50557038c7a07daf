/*
 * parse.h - turns one input line into points and rejects.
 *
 * The parser is fed a buffer and drained for results, like hiredis'
 * read.c: it does no I/O, so it is unit-tested and fuzzed on its own.
 * Three input formats, auto-detected per line or forced:
 *
 *   json      {"name":"a.b","time":1732406400,"value":12.5}
 *             or an array of such objects on one line (Mackerel's shape);
 *             unknown fields are ignored, a repeated key's last value counts
 *   graphite  a.b 12.5 1732406400     (whitespace-separated; the time may
 *             have a fraction, truncated as carbon does)
 *   tsv       a.b<TAB>12.5<TAB>1732406400
 *
 * JSON goes through a hand-written fast path for the canonical one-object
 * shape; anything it is not sure about falls back to yajl's callback API,
 * which is the authority.  The two must agree on every input (a
 * differential unit test and fuzz target check that).
 *
 * Reject reasons are stable strings (tests hold them): see parse.c.
 */
#ifndef DMD_PARSE_H
#define DMD_PARSE_H

#include <stddef.h>

#include "point.h"

#define DMD_LINE_MAX	65536	/* longest accepted line, without newline */

enum dmd_format {
	DMD_FORMAT_AUTO,
	DMD_FORMAT_JSON,
	DMD_FORMAT_GRAPHITE,
	DMD_FORMAT_TSV
};

/* A rejected point or line.  index is the element's position in a JSON
 * array line, or -1 when the reason concerns the whole line. */
struct dmd_reject {
	int		 index;
	char		 reason[DMD_REASON_MAX];
};

struct dmd_parser {
	enum dmd_format	 format;
	int		 fast;		/* 1: use the JSON fast path (default) */

	/* Results of the last dmd_parser_line(); valid until the next call.
	 * Point names point into the line or into the parser's arena. */
	struct dmd_point *points;
	size_t		 npoints;
	struct dmd_reject *rejects;
	size_t		 nrejects;

	/* private */
	size_t		 cappoints, caprejects;
	char		*arena;
	size_t		 arenalen, arenacap;
};

/* Set up p for format fmt.  Release with dmd_parser_release(). */
void dmd_parser_init(struct dmd_parser *p, enum dmd_format fmt);

/* Free what p holds (not p itself).  Accepts NULL. */
void dmd_parser_release(struct dmd_parser *p);

/* Parse one line of len bytes, without its newline (a trailing CR is
 * ignored).  A line longer than DMD_LINE_MAX (CR not counted) is
 * rejected whole.  Blank
 * lines give no points and no rejects.  Results replace those of the
 * previous call.  Returns the number of rejects. */
size_t dmd_parser_line(struct dmd_parser *p, const char *line, size_t len);

/* Map "auto", "json", "graphite", "tsv" to *fmt.  Returns 0 or -1. */
int dmd_format_parse(const char *s, enum dmd_format *fmt);

#endif
