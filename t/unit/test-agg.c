/*
 * test-agg.c - unit tests of common/agg.c: aggregate names, and
 * downsampling checked against answers worked out by hand (epoch-aligned
 * buckets, negative and extreme times, -0, cancellation, overflow).
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "agg.h"
#include "point.h"
#include "tap.h"

#define MAXS	32

/* Same double, sign of zero included. */
static int
same(double a, double b)
{
	return a == b && signbit(a) == signbit(b);
}

/*
 * Downsample the n samples (times t, values v) by step and agg a, and
 * compare with the nwant samples (times wt, values wv).
 */
static void
check(const char *what, const int64_t *t, const double *v, size_t n,
    int64_t step, enum dmd_agg a, const int64_t *wt, const double *wv,
    size_t nwant)
{
	struct dmd_sample s[MAXS];
	size_t i, got;
	int good;

	for (i = 0; i < n; i++) {
		s[i].time = t[i];
		s[i].value = v[i];
	}
	got = dmd_downsample(s, n, step, a);
	good = got == nwant;
	for (i = 0; good && i < got; i++)
		good = s[i].time == wt[i] && same(s[i].value, wv[i]);
	ok(good, "%s (%s)", what, dmd_agg_name(a));
	if (!good) {
		printf("#   got %zu samples:", got);
		for (i = 0; i < got; i++)
			printf(" %lld=%.17g", (long long)s[i].time,
			    s[i].value);
		printf("\n#   want %zu samples:", nwant);
		for (i = 0; i < nwant; i++)
			printf(" %lld=%.17g", (long long)wt[i], wv[i]);
		printf("\n");
	}
}

#define N(x)	(sizeof(x) / sizeof((x)[0]))

/*
 * Names.
 */

static void
test_names(void)
{
	static const char *good[] = {
		"avg", "min", "max", "sum", "count", "last", "first"
	};
	static const char *bad[] = {
		"", "AVG", "Avg", "average", "mean", "avg ", " avg", "av",
		"counts", "median"
	};
	enum dmd_agg a;
	size_t i;

	for (i = 0; i < N(good); i++) {
		a = (enum dmd_agg)99;
		ok(dmd_agg_parse(good[i], &a) == 0 &&
		    strcmp(dmd_agg_name(a), good[i]) == 0,
		    "parses \"%s\" and names it back", good[i]);
	}
	ok(dmd_agg_parse("avg", &a) == 0 && a == DMD_AGG_AVG,
	    "\"avg\" is DMD_AGG_AVG");
	ok(dmd_agg_parse("first", &a) == 0 && a == DMD_AGG_FIRST,
	    "\"first\" is DMD_AGG_FIRST");
	for (i = 0; i < N(bad); i++) {
		a = DMD_AGG_MAX;
		ok(dmd_agg_parse(bad[i], &a) == -1 && a == DMD_AGG_MAX,
		    "rejects \"%s\" and leaves the result alone", bad[i]);
	}
	ok(dmd_agg_name((enum dmd_agg)7) == NULL,
	    "has no name for a value outside the enum");
}

/*
 * Every aggregate on times 0, 60, ..., 600 by 300 s: buckets 0 (times
 * 0-240, values 1-5), 300 (300-540, values 6-10) and 600 (600, value 11).
 */
static void
test_every_agg(void)
{
	static const int64_t t[] = {
		0, 60, 120, 180, 240, 300, 360, 420, 480, 540, 600
	};
	static const double v[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 };
	static const int64_t wt[] = { 0, 300, 600 };
	static const double avg[] = { 3, 8, 11 }, min[] = { 1, 6, 11 },
	    max[] = { 5, 10, 11 }, sum[] = { 15, 40, 11 },
	    count[] = { 5, 5, 1 }, first[] = { 1, 6, 11 },
	    last[] = { 5, 10, 11 };
	static const double dv[] = { 4, -2, 7.5, 3, -1, 0.25, 9, 9.5, -8, 2,
	    -0.5 };
	static const double davg[] = { 2.3, 2.55, -0.5 },
	    dmin[] = { -2, -8, -0.5 }, dmax[] = { 7.5, 9.5, -0.5 },
	    dsum[] = { 11.5, 12.75, -0.5 }, dfirst[] = { 4, 0.25, -0.5 },
	    dlast[] = { -1, 2, -0.5 };

	check("ramp by 300", t, v, N(t), 300, DMD_AGG_AVG, wt, avg, 3);
	check("ramp by 300", t, v, N(t), 300, DMD_AGG_MIN, wt, min, 3);
	check("ramp by 300", t, v, N(t), 300, DMD_AGG_MAX, wt, max, 3);
	check("ramp by 300", t, v, N(t), 300, DMD_AGG_SUM, wt, sum, 3);
	check("ramp by 300", t, v, N(t), 300, DMD_AGG_COUNT, wt, count, 3);
	check("ramp by 300", t, v, N(t), 300, DMD_AGG_FIRST, wt, first, 3);
	check("ramp by 300", t, v, N(t), 300, DMD_AGG_LAST, wt, last, 3);

	/* values out of order, so min/max/first/last all differ */
	check("mixed values by 300", t, dv, N(t), 300, DMD_AGG_AVG, wt, davg,
	    3);
	check("mixed values by 300", t, dv, N(t), 300, DMD_AGG_MIN, wt, dmin,
	    3);
	check("mixed values by 300", t, dv, N(t), 300, DMD_AGG_MAX, wt, dmax,
	    3);
	check("mixed values by 300", t, dv, N(t), 300, DMD_AGG_SUM, wt, dsum,
	    3);
	check("mixed values by 300", t, dv, N(t), 300, DMD_AGG_COUNT, wt,
	    count, 3);
	check("mixed values by 300", t, dv, N(t), 300, DMD_AGG_FIRST, wt,
	    dfirst, 3);
	check("mixed values by 300", t, dv, N(t), 300, DMD_AGG_LAST, wt,
	    dlast, 3);
}

/* floor, not truncation: -7 is in [-9, -6), -1 in [-3, 0). */
static void
test_negative(void)
{
	static const int64_t t[] = { -7, -5, -3, -1, 0, 2 };
	static const double v[] = { 1, 2, 3, 4, 5, 6 };
	static const int64_t wt[] = { -9, -6, -3, 0 };
	static const double sum[] = { 1, 2, 7, 11 }, count[] = { 1, 1, 2, 2 };
	static const int64_t t2[] = { -600, -540, -360, -300, -60 };
	static const double v2[] = { 1, 2, 3, 4, 5 };
	static const int64_t wt2[] = { -600, -300 };
	static const double first2[] = { 1, 4 }, last2[] = { 3, 5 };

	check("negative times by 3", t, v, N(t), 3, DMD_AGG_SUM, wt, sum, 4);
	check("negative times by 3", t, v, N(t), 3, DMD_AGG_COUNT, wt, count,
	    4);
	check("negative times by 300", t2, v2, N(t2), 300, DMD_AGG_FIRST,
	    wt2, first2, 2);
	check("negative times by 300", t2, v2, N(t2), 300, DMD_AGG_LAST, wt2,
	    last2, 2);
}

static void
test_small(void)
{
	static const int64_t t[] = { 1000 }, wt[] = { 960 };
	static const double v[] = { 2.5 }, one[] = { 1 };
	struct dmd_sample s[1];

	check("a single point", t, v, 1, 60, DMD_AGG_AVG, wt, v, 1);
	check("a single point", t, v, 1, 60, DMD_AGG_SUM, wt, v, 1);
	check("a single point", t, v, 1, 60, DMD_AGG_MIN, wt, v, 1);
	check("a single point", t, v, 1, 60, DMD_AGG_COUNT, wt, one, 1);
	check("a single point", t, v, 1, 60, DMD_AGG_LAST, wt, v, 1);

	ok(dmd_downsample(NULL, 0, 60, DMD_AGG_AVG) == 0,
	    "gives nothing for no samples");
	s[0].time = 5;
	s[0].value = 1;
	ok(dmd_downsample(s, 0, 60, DMD_AGG_COUNT) == 0 && s[0].time == 5 &&
	    s[0].value == 1, "does not touch the array for no samples");
}

/* Times off the grid: each lands in the bucket below it. */
static void
test_unaligned(void)
{
	static const int64_t t[] = { 7, 65, 119, 120, 301 };
	static const double v[] = { 1, 2, 3, 4, 5 };
	static const int64_t wt[] = { 0, 60, 120, 300 };
	static const double avg[] = { 1, 2.5, 4, 5 },
	    count[] = { 1, 2, 1, 1 };

	check("unaligned times by 60", t, v, N(t), 60, DMD_AGG_AVG, wt, avg,
	    4);
	check("unaligned times by 60", t, v, N(t), 60, DMD_AGG_COUNT, wt,
	    count, 4);
}

/* A step wider than the range: one bucket (two across a boundary). */
static void
test_wide(void)
{
	static const int64_t t[] = { 100, 200, 300, 500 };
	static const double v[] = { 1, 2, 3, 4 };
	static const int64_t wt[] = { 0 };
	static const double sum[] = { 10 }, max[] = { 4 };
	static const int64_t t2[] = { 86000, 86399, 86400, 86800 };
	static const int64_t wt2[] = { 0, 86400 };
	static const double count2[] = { 2, 2 };
	static const int64_t t3[] = { 1732406400, 1732406460 };
	static const int64_t wt3[] = { 1732406400 - 1732406400 % 86400 };
	static const double min3[] = { 1 };

	check("a day over 400 s", t, v, N(t), 86400, DMD_AGG_SUM, wt, sum,
	    1);
	check("a day over 400 s", t, v, N(t), 86400, DMD_AGG_MAX, wt, max,
	    1);
	check("a day across midnight", t2, v, N(t2), 86400, DMD_AGG_COUNT,
	    wt2, count2, 2);
	check("a day at a real time", t3, v, N(t3), 86400, DMD_AGG_MIN, wt3,
	    min3, 1);
}

/* Steps and times at the ends of int64_t: no overflow. */
static void
test_extreme(void)
{
	static const int64_t t[] = { -1, 0, DMD_TIME_MAX, INT64_MAX };
	static const double v[] = { 1, 2, 3, 4 };
	static const int64_t wt[] = { -INT64_MAX, 0, INT64_MAX };
	static const double count[] = { 1, 2, 1 };
	static const int64_t t2[] = { INT64_MIN, INT64_MIN + 1, INT64_MIN + 2,
	    -3, 0, INT64_MAX - 1, INT64_MAX };
	static const double v2[] = { 1, 2, 3, 4, 5, 6, 7 };
	/* INT64_MIN + 2 = -3 * 3074457345618258602; the bucket of
	 * INT64_MIN would start one below INT64_MIN */
	static const int64_t wt2[] = { INT64_MIN, INT64_MIN + 2, -3, 0,
	    INT64_MAX - 1 };
	static const double sum2[] = { 3, 3, 4, 5, 13 };
	/* -INT64_MAX = INT64_MIN + 1 starts a bucket of its own */
	static const int64_t wt3[] = { INT64_MIN, -INT64_MAX, 0, INT64_MAX };
	static const double count3[] = { 1, 3, 2, 1 };
	static const int64_t wt4[] = { INT64_MIN, INT64_MIN + 1, INT64_MIN + 2,
	    -3, 0, INT64_MAX - 1, INT64_MAX };

	check("the largest step", t, v, N(t), INT64_MAX, DMD_AGG_COUNT, wt,
	    count, 3);
	check("the ends of int64_t by 3", t2, v2, N(t2), 3, DMD_AGG_SUM, wt2,
	    sum2, 5);
	check("the ends of int64_t by the largest step", t2, v2, N(t2),
	    INT64_MAX, DMD_AGG_COUNT, wt3, count3, 4);
	check("the ends of int64_t by 1", t2, v2, N(t2), 1, DMD_AGG_LAST,
	    wt4, v2, 7);
}

/* Step 1 gives back the input, except count; a step below 1 is 1. */
static void
test_identity(void)
{
	static const int64_t t[] = { -5, 0, 1, 2, 60, 1732406400 };
	static const double v[] = { -0.0, 0.0, 25.58, -1e308, DBL_MIN / 4,
	    DBL_MAX };
	static const double ones[] = { 1, 1, 1, 1, 1, 1 };
	enum dmd_agg a;

	for (a = DMD_AGG_AVG; a <= DMD_AGG_FIRST; a++) {
		if (a == DMD_AGG_COUNT)
			check("step 1", t, v, N(t), 1, a, t, ones, N(t));
		else
			check("step 1 is the identity", t, v, N(t), 1, a, t, v,
			    N(t));
	}
	check("step 0 is step 1", t, v, N(t), 0, DMD_AGG_AVG, t, v, N(t));
	check("step -60 is step 1", t, v, N(t), -60, DMD_AGG_MAX, t, v, N(t));
}

/* -0 and 0: min and max keep the first seen; sums follow IEEE. */
static void
test_zeros(void)
{
	static const int64_t t[] = { 0, 1 }, wt[] = { 0 };
	static const double pn[] = { 0.0, -0.0 }, np[] = { -0.0, 0.0 },
	    nn[] = { -0.0, -0.0 };
	static const double pos[] = { 0.0 }, neg[] = { -0.0 };

	check("min of 0 then -0", t, pn, 2, 60, DMD_AGG_MIN, wt, pos, 1);
	check("min of -0 then 0", t, np, 2, 60, DMD_AGG_MIN, wt, neg, 1);
	check("max of 0 then -0", t, pn, 2, 60, DMD_AGG_MAX, wt, pos, 1);
	check("max of -0 then 0", t, np, 2, 60, DMD_AGG_MAX, wt, neg, 1);
	check("sum of -0 and -0", t, nn, 2, 60, DMD_AGG_SUM, wt, neg, 1);
	check("avg of -0 and -0", t, nn, 2, 60, DMD_AGG_AVG, wt, neg, 1);
	check("sum of -0 and 0", t, np, 2, 60, DMD_AGG_SUM, wt, pos, 1);
	check("first of -0 and 0", t, np, 2, 60, DMD_AGG_FIRST, wt, neg, 1);
	check("last of 0 and -0", t, pn, 2, 60, DMD_AGG_LAST, wt, neg, 1);
}

/* Cancellation and overflow. */
static void
test_sums(void)
{
	static const int64_t t[] = { 0, 1, 2, 3 }, wt[] = { 0 };
	/* in doubles 1e16 + 1 is 1e16: a plain sum gives 0 */
	static const double c[] = { 1e16, 1, -1e16 };
	static const double csum[] = { 1 }, cavg[] = { 1.0 / 3 };
	static const double big2[] = { DBL_MAX, DBL_MAX },
	    nbig2[] = { -DBL_MAX, -DBL_MAX },
	    big4[] = { DBL_MAX, DBL_MAX, DBL_MAX, DBL_MAX },
	    back[] = { DBL_MAX, DBL_MAX, -DBL_MAX, -DBL_MAX },
	    back3[] = { DBL_MAX, DBL_MAX, -DBL_MAX };
	static const double inf[] = { INFINITY }, ninf[] = { -INFINITY },
	    max[] = { DBL_MAX }, nmax[] = { -DBL_MAX }, zero[] = { 0 };
	struct dmd_sample s[3];

	check("no loss to cancellation", t, c, 3, 60, DMD_AGG_SUM, wt, csum,
	    1);
	check("no loss to cancellation", t, c, 3, 60, DMD_AGG_AVG, wt, cavg,
	    1);
	check("a sum beyond DBL_MAX is +inf", t, big2, 2, 60, DMD_AGG_SUM, wt,
	    inf, 1);
	check("a sum below -DBL_MAX is -inf", t, nbig2, 2, 60, DMD_AGG_SUM,
	    wt, ninf, 1);
	check("the mean of DBL_MAX twice", t, big2, 2, 60, DMD_AGG_AVG, wt,
	    max, 1);
	check("the mean of -DBL_MAX twice", t, nbig2, 2, 60, DMD_AGG_AVG, wt,
	    nmax, 1);
	check("the mean of DBL_MAX four times", t, big4, 4, 60, DMD_AGG_AVG,
	    wt, max, 1);
	check("a sum that overflows on the way back", t, back, 4, 60,
	    DMD_AGG_SUM, wt, zero, 1);
	check("a sum that overflows on the way to DBL_MAX", t, back3, 3, 60,
	    DMD_AGG_SUM, wt, max, 1);

	s[0].time = 0;
	s[1].time = 1;
	s[2].time = 2;
	s[0].value = s[1].value = s[2].value = DBL_MAX;
	ok(dmd_downsample(s, 3, 60, DMD_AGG_AVG) == 1 &&
	    isfinite(s[0].value) &&
	    fabs(s[0].value - DBL_MAX) <= DBL_MAX * 4 * DBL_EPSILON,
	    "the mean of DBL_MAX three times is about DBL_MAX");
}

int
main(void)
{
	test_names();
	test_every_agg();
	test_negative();
	test_small();
	test_unaligned();
	test_wide();
	test_extreme();
	test_identity();
	test_zeros();
	test_sums();
	return done();
}
