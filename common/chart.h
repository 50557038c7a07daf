/*
 * chart.h - a series as one line of a terminal chart (dmd-query -o
 * chart): its name, a sparkline of block characters over a time range
 * (each column the average of the points in it, scaled between the
 * series' min and max), then min, max and last.  Memory is one bucket
 * per column, whatever the points.
 */
#ifndef DMD_CHART_H
#define DMD_CHART_H

#include <stdint.h>
#include <stdio.h>

#include "point.h"

#define DMD_CHART_NAMEW	28	/* names are padded to this */

struct dmd_chart {
	int64_t		 from, until;
	int		 width;		/* sparkline columns */
	double		*sum;
	uint32_t	*cnt;
	double		 min, max, last;
	uint64_t	 n;
	char		 name[DMD_NAME_MAX + 1];
};

/* A chart of range [from, until] for a terminal of columns characters. */
struct dmd_chart *dmd_chart_new(int64_t from, int64_t until, int columns);
void dmd_chart_free(struct dmd_chart *c);

/* Start a series (drawing the previous one to fp first). */
void dmd_chart_series(struct dmd_chart *c, FILE *fp, const char *name,
    size_t len);
void dmd_chart_point(struct dmd_chart *c, int64_t t, double v);
/* Draw the series started, if any. */
void dmd_chart_draw(struct dmd_chart *c, FILE *fp);
/* The time axis under the sparklines. */
void dmd_chart_axis(const struct dmd_chart *c, FILE *fp);

#endif
