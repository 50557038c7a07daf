/*
 * svg.h - the page dmd-board writes: one self-contained HTML file, an
 * inline SVG line chart per panel, no script and no external URL, so
 * any web server or a file:// URL shows it as it is.
 *
 * A page is written in three parts: dmd_svg_page_begin() (doctype,
 * style, title), then one panel at a time (dmd_svg_reset(), set the
 * panel's fields, dmd_svg_add() for each series, dmd_svg_panel()), then
 * dmd_svg_page_end() (the footer).  Memory holds the series of one panel
 * and at most DMD_SVG_SERIES_MAX of them; later series are counted, not
 * drawn.
 *
 * In a chart, each series is one path, its name also a tooltip:
 *
 *	<path class="series" data-name="NAME" stroke="#COLOUR" d="...">
 *	<title>NAME</title></path>
 *
 * broken into a new subpath wherever a step bucket has no point (a lone
 * point is drawn as a small diamond), over a time axis with UTC labels
 * and a value axis with short SI labels (1.5k, 20M).  The value axis
 * starts at 0 when no value is negative (ends at 0 when none is
 * positive).  Under the chart, a legend gives each series' colour, name
 * and last value.  The output depends only on the data and the fields
 * set, so the same data and times give the same bytes.
 */
#ifndef DMD_SVG_H
#define DMD_SVG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "agg.h"
#include "point.h"

#define DMD_SVG_WIDTH		800	/* viewBox of a chart */
#define DMD_SVG_HEIGHT		240
#define DMD_SVG_SERIES_MAX	20	/* drawn per panel */
#define DMD_SVG_COLOURS		10	/* then the same, dashed */

struct dmd_svg_series {
	char		 name[DMD_NAME_MAX + 1];
	struct dmd_sample *s;		/* the finite samples, by time */
	size_t		 n, cap;
};

struct dmd_svg {
	/* the panel: set after dmd_svg_reset(); strings are borrowed and
	 * must stay valid until dmd_svg_panel() */
	const char	*title;
	const char	*unit;		/* NULL: none */
	const char	*error;		/* not NULL: said instead of a chart */
	int64_t		 from, until;	/* the range asked for */
	int64_t		 step;		/* seconds of a bucket, >= 1 */
	enum dmd_agg	 agg;		/* named in the caption */

	/* the series added */
	struct dmd_svg_series series[DMD_SVG_SERIES_MAX];
	size_t		 nseries;
	uint64_t	 more;		/* not drawn: past the limit */
};

/* Start with no series.  Release with dmd_svg_release(). */
void dmd_svg_init(struct dmd_svg *g);

/* Forget the series and the panel's fields (buffers are kept for the
 * next panel). */
void dmd_svg_reset(struct dmd_svg *g);

/* Add a series of the panel: name and the n samples at s, sorted by
 * time, are copied.  Non-finite values are left out (drawn as gaps). */
void dmd_svg_add(struct dmd_svg *g, const char *name,
    const struct dmd_sample *s, size_t n);

/* Write the panel (a <section> with its title, caption, chart and
 * legend) to fp.  Returns 0, or -1 if writing failed (ferror(fp)). */
int dmd_svg_panel(struct dmd_svg *g, FILE *fp);

/* Free what g holds.  Accepts NULL. */
void dmd_svg_release(struct dmd_svg *g);

/* Write the page's start to fp: the doctype, head, style and the title
 * as heading.  refresh > 0 adds a refresh every refresh seconds.
 * Returns 0, or -1 if writing failed. */
int dmd_svg_page_begin(FILE *fp, const char *title, int64_t refresh);

/* Write the page's end to fp: the footer "generated at TIME UTC by
 * generator" (now in Unix seconds).  Returns 0, or -1 if writing
 * failed. */
int dmd_svg_page_end(FILE *fp, int64_t now, const char *generator);

/* Write s to fp with & < > " ' escaped for HTML text and attribute
 * values; control characters become blanks. */
void dmd_svg_escape(FILE *fp, const char *s);

/* Write v in short SI form into buf (len bytes): 0, 12.5, 1.5k, 20M,
 * -3.25G, up to E (10^18), with as many decimals as resolution needs
 * (a label of an axis whose ticks are resolution apart), or with three
 * significant digits for resolution 0.  Returns buf. */
char *dmd_svg_si(double v, double resolution, char *buf, size_t len);

#endif
