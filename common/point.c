/*
 * point.c - validation and canonical text of points (see point.h).
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "point.h"
#include "xmalloc.h"

#define C1(c) [c] = 1
const unsigned char dmd_name_chars[256] = {
	C1('.'), C1('_'), C1(':'), C1('-'),
	C1('0'), C1('1'), C1('2'), C1('3'), C1('4'), C1('5'), C1('6'),
	C1('7'), C1('8'), C1('9'),
	C1('A'), C1('B'), C1('C'), C1('D'), C1('E'), C1('F'), C1('G'),
	C1('H'), C1('I'), C1('J'), C1('K'), C1('L'), C1('M'), C1('N'),
	C1('O'), C1('P'), C1('Q'), C1('R'), C1('S'), C1('T'), C1('U'),
	C1('V'), C1('W'), C1('X'), C1('Y'), C1('Z'),
	C1('a'), C1('b'), C1('c'), C1('d'), C1('e'), C1('f'), C1('g'),
	C1('h'), C1('i'), C1('j'), C1('k'), C1('l'), C1('m'), C1('n'),
	C1('o'), C1('p'), C1('q'), C1('r'), C1('s'), C1('t'), C1('u'),
	C1('v'), C1('w'), C1('x'), C1('y'), C1('z'),
};
#undef C1

int
dmd_name_check(const char *name, size_t len, char *why)
{
	size_t i;
	unsigned char c;

	if (len == 0) {
		strcpy(why, "name empty");
		return -1;
	}
	if (len > DMD_NAME_MAX) {
		snprintf(why, DMD_REASON_MAX, "name too long (%zu bytes > %d)",
		    len, DMD_NAME_MAX);
		return -1;
	}
	for (i = 0; i < len; i++) {
		c = (unsigned char)name[i];
		if (!dmd_name_chars[c]) {
			if (c >= 0x20 && c < 0x7f && c != '\'' && c != '\\')
				snprintf(why, DMD_REASON_MAX,
				    "name has bad character '%c'", c);
			else
				snprintf(why, DMD_REASON_MAX,
				    "name has bad character '\\x%02x'", c);
			return -1;
		}
	}
	return 0;
}

/*
 * The common case without printf: a value that is an exact decimal of at
 * most 6 places and 15 digits, in [1e-4, 1e15).  Such a value is the
 * double nearest to r / 10^d, and %.15g would print exactly those digits
 * (in fixed notation, for that range), trailing zeros stripped.  Returns
 * the length, or -1 to take the general path.
 */
static int
format_decimal(double v, char *buf)
{
	static const double p10[] = { 1, 10, 100, 1e3, 1e4, 1e5, 1e6 };
	static const uint64_t u10[] = { 1, 10, 100, 1000, 10000, 100000,
	    1000000 };
	double a = fabs(v), r = 0;
	uint64_t u, ip, fp;
	char tmp[40];
	int d, i = sizeof(tmp), n = 0;

	if (!(a >= 1e-4 && a < 1e15))
		return -1;
	for (d = 0; d <= 6; d++) {
		r = nearbyint(a * p10[d]);
		if (r < 1e15 && r / p10[d] == a)
			break;
	}
	if (d > 6)
		return -1;
	u = (uint64_t)r;
	ip = u / u10[d];
	fp = u % u10[d];
	while (d > 0 && fp % 10 == 0) {
		fp /= 10;
		d--;
	}
	if (d > 0) {
		for (; d > 0; d--) {
			tmp[--i] = (char)('0' + fp % 10);
			fp /= 10;
		}
		tmp[--i] = '.';
	}
	do
		tmp[--i] = (char)('0' + ip % 10);
	while ((ip /= 10) != 0);
	if (v < 0)
		buf[n++] = '-';
	memcpy(buf + n, tmp + i, sizeof(tmp) - i);
	n += (int)sizeof(tmp) - i;
	buf[n] = '\0';
	return n;
}

/*
 * The digits printf("%.*g") would give, without printf: for a normal
 * double in [1e-4, 1e15) every quantity below fits 128 bits, so the
 * correctly rounded p-digit decimal and the test whether it reads back
 * are exact integer arithmetic.  |v| = m / 2^sh with m < 2^53.
 */
typedef unsigned __int128 u128;

static u128
pow10u(int k)
{
	u128 r = 1;

	while (k-- > 0)
		r *= 10;
	return r;
}

/* round(m * 10^k / 2^sh), ties to even */
static u128
scaled_round(uint64_t m, int k, int sh)
{
	u128 x = (u128)m * pow10u(k), q = x >> sh, r = x - (q << sh);
	u128 half = (u128)1 << (sh - 1);

	if (r > half || (r == half && (q & 1)))
		q++;
	return q;
}

static int
format_exact(double v, char *buf)
{
	char dig[24];
	double a = fabs(v);
	uint64_t m;
	u128 N, p10k, lo;
	int e, sh, X, p, k, i, n = 0, nd, ok;

	if (!(a >= 1e-4 && a < 1e15))
		return -1;
	m = (uint64_t)ldexp(frexp(a, &e), 53);
	sh = 53 - e;			/* 3 .. 67 */
	X = (int)floor(log10(a));
	for (p = 15; p <= 17; p++) {
		for (;;) {		/* X may be off by one near 10^X */
			k = p - 1 - X;
			N = scaled_round(m, k, sh);
			if (N >= pow10u(p))
				X++;
			else if (N < pow10u(p - 1))
				X--;
			else
				break;
		}
		if (p == 17)
			break;
		/* does N / 10^k read back as v? within half the gap to
		 * the neighbour on its side (a quarter below a power of
		 * two), ties to even */
		p10k = pow10u(k);
		lo = (u128)m * p10k;
		if ((N << sh) >= lo) {
			u128 d = (N << sh) - lo;

			ok = 2 * d < p10k || (2 * d == p10k && !(m & 1));
		} else {
			u128 d = lo - (N << sh);
			int q = m == (1ULL << 52) ? 4 : 2;

			ok = q * d < p10k || (q * d == p10k && !(m & 1));
		}
		if (ok)
			break;
	}
	for (nd = 0; N > 0; N /= 10)
		dig[nd++] = (char)('0' + (int)(N % 10));
	/* dig holds p digits, least significant first */
	while (nd > 1 && dig[0] == '0' && nd - 1 > X + 1) {
		memmove(dig, dig + 1, (size_t)--nd);
	}
	if (v < 0)
		buf[n++] = '-';
	if (X < 0) {
		buf[n++] = '0';
		buf[n++] = '.';
		for (i = 0; i < -X - 1; i++)
			buf[n++] = '0';
		for (i = nd - 1; i >= 0; i--)
			buf[n++] = dig[i];
	} else {
		for (i = nd - 1; i >= 0; i--) {
			buf[n++] = dig[i];
			if (nd - 1 - i == X && i > 0)
				buf[n++] = '.';
		}
	}
	buf[n] = '\0';
	return n;
}

int
dmd_value_format(double v, char *buf)
{
	int prec, n = 0;

	if ((n = format_decimal(v, buf)) >= 0)
		return n;
	if ((n = format_exact(v, buf)) >= 0)
		return n;

	/* The shortest digits that read back: a round trip at 15 digits
	 * is also the shortest (a double's spacing is finer than 15
	 * digits', so a shorter round-tripping string rounds to the same
	 * 15 digits), and 17 always round-trips. */
	/* ...except for subnormals, which carry fewer digits: search up
	 * from one (rare, so the cost does not matter). */
	if (fabs(v) < DBL_MIN) {
		for (prec = 1; prec <= 17; prec++) {
			n = snprintf(buf, DMD_VALUE_STRMAX, "%.*g", prec, v);
			if (prec == 17 || strtod(buf, NULL) == v)
				break;
		}
		return n;
	}
	/* most values that get here need 16 or 17 digits: try 16 first,
	 * then 15 only if 16 reads back */
	n = snprintf(buf, DMD_VALUE_STRMAX, "%.16g", v);
	if (strtod(buf, NULL) != v)
		return snprintf(buf, DMD_VALUE_STRMAX, "%.17g", v);
	{
		char b15[DMD_VALUE_STRMAX];
		int n15 = snprintf(b15, sizeof(b15), "%.15g", v);

		if (strtod(b15, NULL) == v) {
			memcpy(buf, b15, (size_t)n15 + 1);
			return n15;
		}
	}
	return n;
}

char *
dmd_quote(char *buf, size_t bufsz, const char *s, size_t len)
{
	size_t o = 0, i, max = 32;
	unsigned char c;
	char esc[8];
	int n;

	if (bufsz == 0)
		return buf;
	/* room kept for the closing quote, "..." and the NUL */
	if (bufsz >= 6)
		buf[o++] = '"';
	for (i = 0; i < len && i < max; i++) {
		c = (unsigned char)s[i];
		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
			n = snprintf(esc, sizeof(esc), "%c", c);
		else
			n = snprintf(esc, sizeof(esc), "\\x%02x", c);
		if (o + n + 5 > bufsz)
			break;
		memcpy(buf + o, esc, n);
		o += n;
	}
	if (i < len && o + 5 <= bufsz) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	if (bufsz >= 6)
		buf[o++] = '"';
	buf[o] = '\0';
	return buf;
}

static int
sample_sorted(const struct dmd_sample *s, size_t n)
{
	size_t i;

	for (i = 1; i < n; i++)
		if (s[i].time < s[i - 1].time)
			return 0;
	return 1;
}

/* Merge sort: stable, so among equal times the later-written stays
 * later; qsort(3) is not stable. */
static void
sample_msort(struct dmd_sample *s, struct dmd_sample *tmp, size_t n)
{
	size_t mid = n / 2, i = 0, j = mid, k = 0;

	if (n < 2)
		return;
	sample_msort(s, tmp, mid);
	sample_msort(s + mid, tmp, n - mid);
	while (i < mid && j < n)
		tmp[k++] = s[j].time < s[i].time ? s[j++] : s[i++];
	while (i < mid)
		tmp[k++] = s[i++];
	while (j < n)
		tmp[k++] = s[j++];
	memcpy(s, tmp, n * sizeof(*s));
}

size_t
dmd_samples_resolve(struct dmd_sample *s, size_t n)
{
	struct dmd_sample *tmp;
	size_t i, o;

	if (n < 2)
		return n;
	if (!sample_sorted(s, n)) {
		tmp = xmalloc(n * sizeof(*tmp));
		sample_msort(s, tmp, n);
		free(tmp);
	}
	for (i = 1, o = 0; i < n; i++) {
		if (s[i].time != s[o].time)
			o++;
		s[o] = s[i];
	}
	return o + 1;
}

size_t
dmd_name_first(const char *name, size_t len)
{
	const char *dot = memchr(name, '.', len);

	return dot != NULL ? (size_t)(dot - name) : len;
}

int
dmd_samples_same(const struct dmd_sample *a, const struct dmd_sample *b,
    size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (a[i].time != b[i].time ||
		    memcmp(&a[i].value, &b[i].value, sizeof(double)) != 0)
			return 0;
	return 1;
}
