/*
 * agg.c - downsampling of one series into epoch-aligned buckets (see
 * agg.h).
 *
 * The fold works in place: a bucket's result goes to an index no greater
 * than that of its first sample, so the samples of a bucket are intact
 * while it is folded.  Sums are compensated (Neumaier), and a sum that
 * overflows is done again on values scaled down by a power of two, so a
 * mean is never infinite and a sum only when it truly is.
 */
#include <math.h>
#include <string.h>

#include "agg.h"

static const char *const agg_names[] = {
	[DMD_AGG_AVG] = "avg",
	[DMD_AGG_MIN] = "min",
	[DMD_AGG_MAX] = "max",
	[DMD_AGG_SUM] = "sum",
	[DMD_AGG_COUNT] = "count",
	[DMD_AGG_LAST] = "last",
	[DMD_AGG_FIRST] = "first",
};

#define NAGG	(sizeof(agg_names) / sizeof(agg_names[0]))

int
dmd_agg_parse(const char *s, enum dmd_agg *a)
{
	size_t i;

	for (i = 0; i < NAGG; i++)
		if (strcmp(s, agg_names[i]) == 0) {
			*a = (enum dmd_agg)i;
			return 0;
		}
	return -1;
}

const char *
dmd_agg_name(enum dmd_agg a)
{
	if ((unsigned)a >= NAGG)
		return NULL;
	return agg_names[a];
}

/* floor(t / step) * step, by the remainder so that nothing overflows. */
static int64_t
bucket_start(int64_t t, int64_t step)
{
	int64_t r = t % step;

	if (r < 0)
		r += step;
	/* Only the bucket holding INT64_MIN can start below it. */
	if (t < INT64_MIN + r)
		return INT64_MIN;
	return t - r;
}

/*
 * The Neumaier sum of the n (>= 1) values at s, each times scale (a power
 * of two, so exact unless a product is subnormal).  Not finite when a
 * partial sum overflowed.
 */
static double
csum(const struct dmd_sample *s, size_t n, double scale)
{
	double sum, c = 0, x, t;
	size_t i;

	/* Start from the first value, not 0, so that -0 sums to -0. */
	sum = s[0].value * scale;
	for (i = 1; i < n; i++) {
		x = s[i].value * scale;
		t = sum + x;
		if (fabs(sum) >= fabs(x))
			c += (sum - t) + x;
		else
			c += (x - t) + sum;
		sum = t;
	}
	/* Adding a zero c would turn a sum of -0s into +0. */
	return c == 0 ? sum : sum + c;
}

/*
 * The sum of the n (>= 1) values at s, or with mean set their mean.
 */
static double
sum_or_mean(const struct dmd_sample *s, size_t n, int mean)
{
	double r;
	size_t m;
	int k;

	r = csum(s, n, 1.0);
	if (isfinite(r))
		return mean ? r / (double)n : r;

	/*
	 * A partial sum overflowed.  With every value divided by 2^k, where
	 * 2^k > 2n, no partial sum can exceed half the largest double (the
	 * rounding of n additions adds far less than a factor of two).
	 * Values made subnormal lose bits, but they are negligible beside
	 * a sum that overflowed.
	 */
	for (k = 1, m = n; m > 0; m >>= 1)
		k++;
	r = csum(s, n, ldexp(1.0, -k));
	if (mean)
		r /= (double)n;
	return ldexp(r, k);
}

static double
fold(const struct dmd_sample *s, size_t n, enum dmd_agg a)
{
	double v;
	size_t i;

	switch (a) {
	case DMD_AGG_AVG:
		return sum_or_mean(s, n, 1);
	case DMD_AGG_SUM:
		return sum_or_mean(s, n, 0);
	case DMD_AGG_MIN:
		/* strict comparison: of -0 and 0 the first seen stays */
		for (v = s[0].value, i = 1; i < n; i++)
			if (s[i].value < v)
				v = s[i].value;
		return v;
	case DMD_AGG_MAX:
		for (v = s[0].value, i = 1; i < n; i++)
			if (s[i].value > v)
				v = s[i].value;
		return v;
	case DMD_AGG_COUNT:
		return (double)n;
	case DMD_AGG_FIRST:
		return s[0].value;
	case DMD_AGG_LAST:
	default:
		return s[n - 1].value;
	}
}

size_t
dmd_downsample(struct dmd_sample *s, size_t n, int64_t step, enum dmd_agg a)
{
	size_t b, e, o = 0;
	int64_t start;
	double v;

	if (step < 1)
		step = 1;
	for (b = 0; b < n; b = e) {
		start = bucket_start(s[b].time, step);
		for (e = b + 1; e < n && bucket_start(s[e].time, step) == start;
		    e++)
			;
		v = fold(s + b, e - b, a);
		s[o].time = start;
		s[o].value = v;
		o++;
	}
	return o;
}
