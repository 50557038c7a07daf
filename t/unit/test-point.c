/*
 * test-point.c - unit tests of common/point.c: name rules, the shortest
 * round-trip text of values, sample resolution (stable, last wins) and
 * the quoting of tokens in messages.
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "point.h"
#include "tap.h"

static uint64_t rng_state = 0x2545f4914f6cdd1dULL;

static uint64_t
rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/*
 * Names.
 */

static void
check_name(const char *name, size_t len, const char *want, const char *what)
{
	char why[DMD_REASON_MAX];
	int rc;

	strcpy(why, "(unset)");
	rc = dmd_name_check(name, len, why);
	if (want == NULL)
		ok(rc == 0, "%s", what);
	else {
		ok(rc == -1, "%s: returns -1", what);
		is(why, want, "%s: reason", what);
	}
}

static void
test_names(void)
{
	char buf[300];
	int c, allowed, bad = 0;

	check_name("web01.cpu.user", 14, NULL, "accepts a dotted name");
	check_name("A-Z_a-z.0:9", 11, NULL, "accepts every kind of character");
	check_name("a", 1, NULL, "accepts a one-byte name");
	check_name("", 0, "name empty", "rejects an empty name");
	check_name("a/b", 3, "name has bad character '/'",
	    "rejects a slash");
	check_name("a b", 3, "name has bad character ' '",
	    "rejects a space, shown as itself");
	check_name("a'b", 3, "name has bad character '\\x27'",
	    "rejects a single quote as an escape");
	check_name("a\\b", 3, "name has bad character '\\x5c'",
	    "rejects a backslash as an escape");
	check_name("a\"b", 3, "name has bad character '\"'",
	    "rejects a double quote");
	check_name("a\0b", 3, "name has bad character '\\x00'",
	    "rejects a NUL byte");
	check_name("a\x7f", 2, "name has bad character '\\x7f'",
	    "rejects DEL");
	check_name("caf\xc3\xa9", 5, "name has bad character '\\xc3'",
	    "rejects UTF-8 at its first byte");
	check_name("a*b", 3, "name has bad character '*'",
	    "rejects a glob star");
	check_name("a/b c", 5, "name has bad character '/'",
	    "reports the first bad character");

	memset(buf, 'x', sizeof(buf));
	check_name(buf, 255, NULL, "accepts a name of 255 bytes");
	check_name(buf, 256, "name too long (256 bytes > 255)",
	    "rejects a name of 256 bytes");
	check_name(buf, 300, "name too long (300 bytes > 255)",
	    "rejects a name of 300 bytes");
	buf[0] = '/';
	check_name(buf, 256, "name too long (256 bytes > 255)",
	    "judges the length before the characters");

	/* The table agrees with the rule [A-Za-z0-9._:-]. */
	for (c = 0; c < 256; c++) {
		char why[DMD_REASON_MAX], ch = (char)c;

		allowed = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		    c == ':' || c == '-';
		if (dmd_name_chars[c] != allowed ||
		    (dmd_name_check(&ch, 1, why) == 0) != allowed)
			bad++;
	}
	ok(bad == 0, "allows exactly the bytes [A-Za-z0-9._:-] (%d wrong)",
	    bad);
}

/*
 * Values.
 */

static void
check_format(double v, const char *want, const char *what)
{
	char buf[DMD_VALUE_STRMAX + 8];
	int n;

	memset(buf, 'X', sizeof(buf));
	n = dmd_value_format(v, buf);
	is(buf, want, "%s", what);
	ok(n == (int)strlen(buf), "%s: returns the length", what);
}

/* Significant digits of a %g-style text: no sign, point, exponent,
 * leading or trailing zeros. */
static int
sigdigits(const char *s)
{
	const char *b, *e = s + strcspn(s, "eE");
	int n = 0;

	for (b = s; b < e && (*b < '1' || *b > '9'); b++)
		;
	while (e > b && (e[-1] < '1' || e[-1] > '9'))
		e--;
	for (; b < e; b++)
		if (*b >= '0' && *b <= '9')
			n++;
	return n > 0 ? n : 1;	/* "0" */
}

/* The fewest significant digits of a %.*g text reading back to v. */
static int
shortest_prec(double v)
{
	char buf[64];
	int prec;

	for (prec = 1; prec < 17; prec++) {
		snprintf(buf, sizeof(buf), "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	return prec;
}

static int
same_bits(double a, double b)
{
	return memcmp(&a, &b, sizeof(a)) == 0;
}

static void
test_values(void)
{
	char buf[DMD_VALUE_STRMAX];
	int i, bad_rt = 0, bad_short = 0, bad_len = 0, shown = 0, n = 0;

	check_format(25.58, "25.58", "formats 25.58 shortest");
	check_format(0.1, "0.1", "formats 0.1 shortest");
	check_format(0.3, "0.3", "formats 0.3 shortest");
	check_format(0.1 + 0.2, "0.30000000000000004",
	    "formats 0.1+0.2 with 17 digits");
	check_format(1.0 / 3, "0.3333333333333333", "formats 1/3");
	check_format(2.0 / 3, "0.6666666666666666", "formats 2/3");
	check_format(12.5, "12.5", "formats 12.5");
	check_format(100, "100", "formats an integer without a point");
	check_format(-42, "-42", "formats a negative integer");
	check_format(0.0, "0", "formats 0");
	check_format(-0.0, "-0", "formats -0 with its sign");
	check_format(1e21, "1e+21", "formats 1e21");
	check_format(1e22, "1e+22", "formats 1e22");
	check_format(1e23, "1e+23", "formats 1e23");
	check_format(123456789012345.0, "123456789012345",
	    "formats a 15-digit integer");
	check_format(9007199254740992.0, "9007199254740992", "formats 2^53");
	check_format(DBL_MAX, "1.7976931348623157e+308", "formats DBL_MAX");
	check_format(-DBL_MAX, "-1.7976931348623157e+308",
	    "formats -DBL_MAX");
	check_format(DBL_MIN, "2.2250738585072014e-308", "formats DBL_MIN");
	check_format(5e-324, "5e-324",
	    "formats the smallest subnormal as 5e-324");
	check_format(-5e-324, "-5e-324",
	    "formats the negative smallest subnormal as -5e-324");
	check_format(1e-310, "1e-310", "formats the subnormal 1e-310");

	/* Property: for random bit patterns (finite), the text reads back
	 * to the same double, fits DMD_VALUE_STRMAX, and uses the fewest
	 * significant digits any %.*g does. */
	for (i = 0; i < 100000; i++) {
		uint64_t bits = rnd();
		double v, back;
		int len;

		if (i % 10 == 0)	/* more subnormals and small exponents */
			bits &= 0x800fffffffffffffULL | (rnd() & 1 ?
			    0 : 0x0010000000000000ULL);
		memcpy(&v, &bits, sizeof(v));
		if (!isfinite(v))
			continue;
		n++;
		len = dmd_value_format(v, buf);
		back = strtod(buf, NULL);
		if (len <= 0 || len >= DMD_VALUE_STRMAX ||
		    len != (int)strlen(buf))
			bad_len++;
		if (!same_bits(back, v))
			bad_rt++;
		else if (sigdigits(buf) != shortest_prec(v)) {
			bad_short++;
			if (shown++ < 5)
				printf("#   %a: \"%s\" has %d digits, %.*g "
				    "has %d\n", v, buf, sigdigits(buf),
				    shortest_prec(v), v, shortest_prec(v));
		} else
			continue;
	}
	ok(bad_rt == 0, "%d random doubles read back bit for bit (%d do not)",
	    n, bad_rt);
	ok(bad_len == 0, "%d random doubles fit DMD_VALUE_STRMAX (%d do not)",
	    n, bad_len);
	ok(bad_short == 0, "%d random doubles use the fewest digits (%d do "
	    "not)", n, bad_short);

	/* Negative zero keeps its sign through a round trip. */
	dmd_value_format(-0.0, buf);
	ok(signbit(strtod(buf, NULL)) && strtod(buf, NULL) == 0,
	    "-0 reads back as -0");
}

/*
 * Samples.
 */

static int
samples_equal(const struct dmd_sample *s, size_t n,
    const struct dmd_sample *w, size_t wn)
{
	size_t i;

	if (n != wn)
		return 0;
	for (i = 0; i < n; i++)
		if (s[i].time != w[i].time || !same_bits(s[i].value, w[i].value))
			return 0;
	return 1;
}

static void
test_samples(void)
{
	struct dmd_sample s1[] = {
		{ 5, 1 }, { 3, 2 }, { 5, 3 }, { 1, 4 }, { 3, 5 }, { 5, 6 },
	};
	struct dmd_sample w1[] = { { 1, 4 }, { 3, 5 }, { 5, 6 } };
	struct dmd_sample s2[] = { { 1, 1 }, { 2, 2 }, { 3, 3 } };
	struct dmd_sample s3[] = { { 7, 1 }, { 7, 2 }, { 7, 3 } };
	struct dmd_sample w3[] = { { 7, 3 } };
	struct dmd_sample s4[] = { { 2, 1 } };
	struct dmd_sample s5[] = { { INT64_MAX, 1 }, { INT64_MIN, 2 },
	    { 0, 3 }, { INT64_MIN, 4 } };
	struct dmd_sample w5[] = { { INT64_MIN, 4 }, { 0, 3 },
	    { INT64_MAX, 1 } };
	struct dmd_sample *r, *ref;
	size_t n, i, j, rn, trial;
	int bad = 0;

	n = dmd_samples_resolve(s1, 6);
	ok(samples_equal(s1, n, w1, 3),
	    "resolves to sorted unique times, the last written winning");
	n = dmd_samples_resolve(s2, 3);
	ok(samples_equal(s2, n, s2, 3), "keeps sorted unique samples");
	n = dmd_samples_resolve(s3, 3);
	ok(samples_equal(s3, n, w3, 1),
	    "keeps the last of sorted samples with one time");
	n = dmd_samples_resolve(s4, 1);
	ok(n == 1 && s4[0].time == 2 && s4[0].value == 1,
	    "keeps a single sample");
	ok(dmd_samples_resolve(s4, 0) == 0, "resolves zero samples");
	n = dmd_samples_resolve(s5, 4);
	ok(samples_equal(s5, n, w5, 3), "sorts the int64 extremes");

	/* Random batches against a quadratic reference: for each time in
	 * ascending order, the value of its last occurrence. */
	r = malloc(2000 * sizeof(*r));
	ref = malloc(2000 * sizeof(*ref));
	for (trial = 0; trial < 300; trial++) {
		size_t cnt = rnd() % 2000, range = 1 + rnd() % 300;

		for (i = 0; i < cnt; i++) {
			r[i].time = (int64_t)(rnd() % range) - 10;
			r[i].value = (double)i;
		}
		/* reference */
		rn = 0;
		for (i = 0; i < cnt; i++) {
			for (j = 0; j < rn; j++)
				if (ref[j].time == r[i].time)
					break;
			if (j == rn)
				ref[rn++] = r[i];
			else
				ref[j].value = r[i].value;
		}
		for (i = 1; i < rn; i++)	/* insertion sort by time */
			for (j = i; j > 0 && ref[j].time < ref[j - 1].time;
			    j--) {
				struct dmd_sample t = ref[j];

				ref[j] = ref[j - 1];
				ref[j - 1] = t;
			}
		n = dmd_samples_resolve(r, cnt);
		if (!samples_equal(r, n, ref, rn))
			bad++;
	}
	ok(bad == 0, "300 random batches resolve like the reference (%d "
	    "differ)", bad);
	free(r);
	free(ref);
}

/*
 * Quoting.
 */

static void
test_quote(void)
{
	char buf[64], small[40];
	size_t sz;
	int bad = 0;

	is(dmd_quote(buf, sizeof(buf), "abc", 3), "\"abc\"", "quotes text");
	is(dmd_quote(buf, sizeof(buf), "", 0), "\"\"", "quotes nothing");
	is(dmd_quote(buf, sizeof(buf), "a\x01", 2), "\"a\\x01\"",
	    "escapes a control byte");
	is(dmd_quote(buf, sizeof(buf), "a\"b\\", 4), "\"a\\x22b\\x5c\"",
	    "escapes quote and backslash");
	is(dmd_quote(buf, sizeof(buf), "\xc3\xa9\x7f", 3),
	    "\"\\xc3\\xa9\\x7f\"", "escapes bytes past ASCII and DEL");
	is(dmd_quote(buf, sizeof(buf), "a\0b", 3), "\"a\\x00b\"",
	    "escapes a NUL byte and goes on");
	is(dmd_quote(buf, sizeof(buf), "0123456789abcdef0123456789abcdef", 32),
	    "\"0123456789abcdef0123456789abcdef\"", "keeps 32 bytes whole");
	is(dmd_quote(buf, sizeof(buf), "0123456789abcdef0123456789abcdefX",
	    33), "\"0123456789abcdef0123456789abcdef...\"",
	    "truncates past 32 bytes with an ellipsis");
	ok(dmd_quote(buf, sizeof(buf), "x", 1) == buf, "returns buf");

	/* Any buffer size: the result is a NUL-terminated string inside
	 * the buffer, and nothing is written past it. */
	for (sz = 1; sz <= sizeof(small); sz++) {
		char big[sizeof(small) + 8];
		const char *in = "\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a"
		    "\x0b\x0c\x0d\x0e\x0f\x10\x11\x12\x13\x14";

		memset(big, 'Z', sizeof(big));
		dmd_quote(big, sz, in, 20);
		if (memchr(big, '\0', sz) == NULL || big[sz] != 'Z')
			bad++;
	}
	ok(bad == 0, "writes a NUL-terminated string into buffers of 1 to "
	    "%zu bytes (%d do not)", sizeof(small), bad);
	memset(small, 'Z', sizeof(small));
	dmd_quote(small, 8, "abc", 3);
	ok(memchr(small, '\0', 8) != NULL,
	    "writes a NUL-terminated string into an 8-byte buffer");
	if (memchr(small, '\0', 8) == NULL)
		printf("#   got %.8s (no NUL)\n", small);
}

int
main(void)
{
	test_names();
	test_values();
	test_samples();
	test_quote();
	return done();
}
