/*
 * rollup.c - stored rollups (see rollup.h).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "rollup.h"
#include "varint.h"
#include "xmalloc.h"

int64_t
dmd_bucket_start(int64_t t, int64_t res)
{
	int64_t r = t % res;

	return r < 0 ? t - r - res : t - r;
}

/* Neumaier's compensated sum: sum + comp is the sum with the rounding
 * errors of each addition kept aside. */
static void
ksum(double *sum, double *comp, double v)
{
	double t = *sum + v;

	if (fabs(*sum) >= fabs(v))
		*comp += (*sum - t) + v;
	else
		*comp += (v - t) + *sum;
	*sum = t;
}

#define MICRO	1e6
#define EXACT	9007199254740992.0	/* 2^53 */

/* v in millionths into *u, if that is exact. */
static int
micro(double v, dmd_i128 *u)
{
	double r = nearbyint(v * MICRO);

	if (!(fabs(r) < EXACT) || r / MICRO != v)
		return -1;
	*u = (dmd_i128)(int64_t)r;
	return 0;
}

double
dmd_rollup_sum(const struct dmd_rollup *b)
{
	dmd_i128 m = b->isum < 0 ? -b->isum : b->isum;

	/* an integer below 2^53 converts exactly; one division rounds */
	if (!b->inexact && m <= (dmd_i128)9007199254740992LL)
		return (double)(int64_t)b->isum / MICRO;
	return b->sum + b->comp;
}

void
dmd_rollup_add(struct dmd_rollup *b, double v)
{
	dmd_i128 u = 0;

	if (b->count == 0) {
		b->isum = 0;
		b->inexact = 0;
	}
	if (!b->inexact && micro(v, &u) == 0)
		b->isum += u;
	else
		b->inexact = 1;
	if (b->count == 0) {
		b->min = b->max = v;
		b->sum = v;
		b->comp = 0;
	} else {
		if (v < b->min)
			b->min = v;
		if (v > b->max)
			b->max = v;
		ksum(&b->sum, &b->comp, v);
	}
	b->count++;
}

void
dmd_rollup_merge(struct dmd_rollup *a, const struct dmd_rollup *b)
{
	if (b->count == 0)
		return;
	if (a->count == 0) {
		*a = *b;
		return;
	}
	if (b->min < a->min)
		a->min = b->min;
	if (b->max > a->max)
		a->max = b->max;
	ksum(&a->sum, &a->comp, b->sum);
	a->comp += b->comp;
	a->isum += b->isum;
	a->inexact |= b->inexact;
	a->count += b->count;
}

size_t
dmd_rollup_make(const struct dmd_sample *s, size_t n, int64_t res,
    struct dmd_rollup *out)
{
	size_t i, o = 0;
	int64_t b;

	for (i = 0; i < n; i++) {
		b = dmd_bucket_start(s[i].time, res);
		if (o == 0 || out[o - 1].t != b) {
			memset(&out[o], 0, sizeof(out[o]));
			out[o++].t = b;
		}
		dmd_rollup_add(&out[o - 1], s[i].value);
	}
	/* store the sum as one double: exact decimal sums stay exact */
	for (i = 0; i < o; i++) {
		out[i].sum = dmd_rollup_sum(&out[i]);
		out[i].comp = 0;
	}
	return o;
}

size_t
dmd_rollup_fold(struct dmd_rollup *r, size_t n, int64_t step)
{
	size_t i, o = 0;
	struct dmd_rollup b;

	for (i = 0; i < n; i++) {
		b = r[i];
		b.t = dmd_bucket_start(r[i].t, step);
		if (o > 0 && r[o - 1].t == b.t)
			dmd_rollup_merge(&r[o - 1], &b);
		else
			r[o++] = b;
	}
	return o;
}

size_t
dmd_rollup_bound(size_t n)
{
	return 4 * (dmd_codec_bound(n) + 10);
}

size_t
dmd_rollup_encode(const struct dmd_rollup *r, size_t n, unsigned char *out)
{
	struct dmd_sample *s = xcalloc(n ? n : 1, sizeof(*s));
	unsigned char *tmp = xmalloc(dmd_codec_bound(n ? n : 1));
	size_t i, k, len, o = 0;

	for (k = 0; k < 4; k++) {
		for (i = 0; i < n; i++) {
			s[i].time = r[i].t;
			s[i].value = k == 0 ? r[i].min : k == 1 ? r[i].max :
			    k == 2 ? dmd_rollup_sum(&r[i]) : (double)r[i].count;
		}
		len = dmd_codec_encode(s, n, tmp);
		o += dmd_varint_put(out + o, len);
		memcpy(out + o, tmp, len);
		o += len;
	}
	free(tmp);
	free(s);
	return o;
}

long
dmd_rollup_decode(const unsigned char *in, size_t len, struct dmd_rollup *out,
    size_t cap)
{
	struct dmd_chunk_info info;
	struct dmd_sample *s = NULL;
	size_t pos = 0, k, i, n = 0;
	uint64_t clen;
	long rv = -1, got;

	for (k = 0; k < 4; k++) {
		if (dmd_varint_get(in, len, &pos, &clen) != 0 ||
		    clen > len - pos ||
		    dmd_codec_info(in + pos, (size_t)clen, &info) != 0 ||
		    info.count > cap || (k > 0 && info.count != n))
			goto out;
		if (k == 0) {
			n = info.count;
			s = xcalloc(n, sizeof(*s));
		}
		got = dmd_codec_decode(in + pos, (size_t)clen, s, n);
		if (got != (long)n)
			goto out;
		for (i = 0; i < n; i++) {
			if (k > 0 && out[i].t != s[i].time)
				goto out;
			out[i].t = s[i].time;
			out[i].comp = 0;
			if (k == 0)
				out[i].min = s[i].value;
			else if (k == 1)
				out[i].max = s[i].value;
			else if (k == 2) {
				out[i].sum = s[i].value;
				out[i].inexact = micro(s[i].value,
				    &out[i].isum) != 0;
			}
			else if (!(s[i].value >= 1 && s[i].value <= 9e15))
				goto out;
			else
				out[i].count = (uint64_t)s[i].value;
		}
		pos += (size_t)clen;
	}
	if (pos == len)
		rv = (long)n;
out:
	free(s);
	return rv;
}
