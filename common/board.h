/*
 * board.h - the description of a dmd-board page: which queries to draw,
 * with their titles, ranges, steps and units.
 *
 * A board is plain text, one keyword and its argument per line; '#'
 * starts a comment line and blank lines are skipped:
 *
 *	title diamond: the store's own health
 *	refresh 60
 *	panel End-to-end probe latency
 *	query dmd.e2e.*.latency_ms
 *	from -6h
 *	unit ms
 *
 * title and refresh describe the page and come before the first panel;
 * panel starts a panel, and query (one or more), from, until, step, agg
 * and unit describe the panel above them.  The parser is fed one line at
 * a time from a buffer (it does no I/O), so it is unit-tested without
 * files; dmd-board reads the lines and renders the result (svg.h).
 */
#ifndef DMD_BOARD_H
#define DMD_BOARD_H

#include <stddef.h>
#include <stdint.h>

#include "agg.h"
#include "cache.h"

/* A panel's defaults: the range, and a step that keeps a series to
 * DMD_BOARD_POINTS points but is at least DMD_BOARD_MIN_STEP seconds
 * (finer would break a series of one point a minute into dots). */
#define DMD_BOARD_POINTS	400
#define DMD_BOARD_MIN_STEP	60
#define DMD_BOARD_FROM		"-6h"
#define DMD_BOARD_UNTIL		"now"
#define DMD_BOARD_TITLE		"dmd-board"	/* of a page without one */

struct dmd_panel {
	char		*title;
	char		**queries;	/* patterns as written */
	size_t		 nqueries, capqueries;
	int64_t		 from, until;	/* Unix seconds, resolved */
	int64_t		 step;		/* seconds, given or chosen */
	enum dmd_agg	 agg;		/* avg by default */
	char		*unit;		/* NULL: none */
	unsigned long	 line;		/* of its "panel" line */
	/* private: lines of the settings given, 0 for a default */
	unsigned long	 from_line, until_line, step_line, agg_line;
	unsigned long	 unit_line;
};

struct dmd_board {
	char		*title;		/* DMD_BOARD_TITLE without a line */
	int64_t		 refresh;	/* seconds, 0: no refresh */
	struct dmd_panel *panels;
	size_t		 npanels;

	/* "FILE:LINE: reason", or "FILE: reason" for the whole file */
	char		 errstr[DMD_ERRSTR_MAX];

	/* private */
	size_t		 cappanels;
	char		*file;		/* for messages */
	int64_t		 now;
	unsigned long	 lineno, title_line, refresh_line;
	int		 finished;
};

/* Start an empty board read from file (a name for messages: "stdin",
 * "board.txt") with relative times ("-6h", "now") taken from now.
 * Release with dmd_board_release(). */
void dmd_board_init(struct dmd_board *b, const char *file, int64_t now);

/* Parse the next line, len bytes at line (no newline; a final CR is
 * dropped; NUL bytes are not allowed).  Returns 0, or -1 with
 * "FILE:LINE: reason" in b->errstr: an unknown keyword, a keyword that
 * needs a panel outside one, a setting given twice, a bad time,
 * duration, aggregate or pattern. */
int dmd_board_line(struct dmd_board *b, const char *line, size_t len);

/* The input is over: check the last panel, give every panel its default
 * range and step.  Returns 0, or -1 with b->errstr set: a panel without
 * a query, a range whose start is after its end, a board without a
 * panel. */
int dmd_board_finish(struct dmd_board *b);

/* Parse the len bytes of text, lines ended by '\n' (the last one need
 * not be), then finish.  Returns 0 or -1 as the two calls above. */
int dmd_board_parse(struct dmd_board *b, const char *text, size_t len);

/* Free what b holds.  Accepts NULL. */
void dmd_board_release(struct dmd_board *b);

/* The step dmd-board chooses for a range of span seconds: the smallest
 * of 1m, 2m, 5m, 10m, 15m, 30m, 1h, 2h, 3h, 6h, 12h, 1d, 2d, 7d (then
 * multiples of 7d) that keeps a series at DMD_BOARD_POINTS points or
 * fewer. */
int64_t dmd_board_step(int64_t span);

/* The default board, the store's own health, in the board format
 * (NUL-terminated). */
extern const char dmd_board_default[];

#endif
