/*
 * agg.h - downsampling: the samples of one series folded into buckets of
 * a fixed number of seconds, one aggregate value per bucket.
 *
 * dmd-query uses it after merging the tiers, so the samples it folds are
 * already sorted and resolved (one per time).  Buckets are aligned to the
 * Unix epoch, not to the start of the query, so the same step gives the
 * same buckets whatever the range asked for (as Graphite's summarize()
 * with alignToFrom false).
 */
#ifndef DMD_AGG_H
#define DMD_AGG_H

#include <stddef.h>
#include <stdint.h>

#include "point.h"

enum dmd_agg {
	DMD_AGG_AVG,
	DMD_AGG_MIN,
	DMD_AGG_MAX,
	DMD_AGG_SUM,
	DMD_AGG_COUNT,
	DMD_AGG_LAST,
	DMD_AGG_FIRST
};

/* Map "avg", "min", "max", "sum", "count", "last" or "first" (exactly,
 * lower case) to *a.  Returns 0, or -1 with *a untouched. */
int dmd_agg_parse(const char *s, enum dmd_agg *a);

/* The name dmd_agg_parse() reads for a, or NULL for a value that is not
 * one of the enum's. */
const char *dmd_agg_name(enum dmd_agg a);

/*
 * Fold the n samples at s, in place, into one sample per non-empty bucket
 * of step seconds; returns the number of samples left at s (0 for n 0).
 *
 * s must be sorted by time with no time twice (dmd_samples_resolve()).
 * The bucket of time t starts at floor(t / step) * step, true floor for
 * negative times; each result has its bucket's start as time, in order.
 * The one bucket whose start would be below INT64_MIN starts at INT64_MIN.
 * step must be at least 1; a smaller step is taken as 1.  With step 1
 * every aggregate but count gives back its input.
 *
 * The value of a bucket:
 *   avg    the mean, from a compensated sum (no loss to cancellation)
 *   min    the least value; of -0 and 0 the first seen wins
 *   max    the greatest value; of -0 and 0 the first seen wins
 *   sum    the compensated sum
 *   count  the number of samples, as a double
 *   first  the value of the earliest sample
 *   last   the value of the latest sample
 * Values are finite.  A sum whose exact value is beyond the largest
 * double is +inf or -inf; the mean of finite values is always finite.
 */
size_t dmd_downsample(struct dmd_sample *s, size_t n, int64_t step,
    enum dmd_agg a);

#endif
