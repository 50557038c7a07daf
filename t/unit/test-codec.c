/*
 * test-codec.c - chunks decode to exactly what was encoded, hostile
 * chunks are rejected, and sizes stay near the design figures.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "tap.h"

static uint64_t rng = 88172645463325252ULL;

static uint64_t
next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* Encode, decode, compare bit for bit.  Returns the encoded size or 0. */
static size_t
roundtrip(const struct dmd_sample *s, size_t n)
{
	unsigned char *buf = malloc(dmd_codec_bound(n));
	struct dmd_sample *out = malloc(n * sizeof(*out));
	struct dmd_chunk_info info;
	size_t len = dmd_codec_encode(s, n, buf);
	long got = dmd_codec_decode(buf, len, out, n);
	int same = got == (long)n && memcmp(out, s, n * sizeof(*s)) == 0 &&
	    len <= dmd_codec_bound(n) && dmd_codec_info(buf, len, &info) == 0 &&
	    info.count == n && info.first == s[0].time &&
	    info.last == s[n - 1].time;

	free(buf);
	free(out);
	return same ? len : 0;
}

static void
fill(struct dmd_sample *s, size_t n, int64_t t0, int64_t step, int jitter)
{
	size_t i;

	/* strictly increasing, as the codec requires */
	for (i = 0; i < n; i++)
		s[i].time = (i == 0 ? t0 : s[i - 1].time + step) +
		    (jitter ? (int64_t)(next() % jitter) : 0);
}

int
main(void)
{
	static struct dmd_sample s[5000];
	unsigned char buf[256];
	size_t i, len, n;
	double special[] = { 0.0, -0.0, 5e-324, -5e-324, 2.2250738585072014e-308,
	    1.7976931348623157e308, -1.7976931348623157e308, 0.1, 1.0 / 3 };
	int k;

	/* one point, two points, a regular interval */
	s[0].time = 1732406400;
	s[0].value = 12.5;
	ok(roundtrip(s, 1) > 0, "one point");
	s[1].time = 1732406460;
	s[1].value = 13.25;
	ok(roundtrip(s, 2) > 0, "two points");

	/* exact decimals at a regular 60 s interval: about a byte a point */
	fill(s, 720, 1732406400, 60, 0);
	s[0].value = 25.5;
	for (i = 1; i < 720; i++)
		s[i].value = round((s[i - 1].value + (double)((int)(next() % 201) - 100) / 100) * 100) / 100;
	len = roundtrip(s, 720);
	ok(len > 0 && len < 720 * 2, "two-decimal random walk: %zu bytes for 720 points", len);

	/* a counter: deltas-of-deltas of integers */
	for (i = 0; i < 720; i++)
		s[i].value = 1e9 + (double)i * 1000 + (double)(next() % 10);
	len = roundtrip(s, 720);
	ok(len > 0 && len < 720 * 2, "counter: %zu bytes for 720 points", len);

	/* a constant */
	for (i = 0; i < 720; i++)
		s[i].value = 16777216;
	len = roundtrip(s, 720);
	ok(len > 0 && len < 120, "constant: %zu bytes for 720 points", len);

	/* irregular times: jitter and gaps */
	fill(s, 720, 1732406400, 60, 7);
	for (i = 400; i < 720; i++)
		s[i].time += 86400;
	ok(roundtrip(s, 720) > 0, "jittered times with a day-long gap");

	/* values that are not decimals: XOR floats, every special value */
	fill(s, 64, 0, 1, 0);
	for (k = 0; k < 64; k++)
		s[k].value = special[k % 9];
	ok(roundtrip(s, 64) > 0, "-0.0, subnormals, extremes and 1/3 exact");
	for (k = 0; k < 9; k++) {
		s[0].value = special[k];
		ok(roundtrip(s, 1) > 0, "single special value %d", k);
	}

	/* time extremes */
	s[0].time = 0;
	s[1].time = 253402300799LL;
	s[0].value = s[1].value = 1;
	ok(roundtrip(s, 2) > 0, "times 0 and 9999-12-31");

	/* property: random series of random shapes */
	for (k = 0; k < 2000; k++) {
		n = 1 + next() % 2000;
		fill(s, n, (int64_t)(next() % 2000000000), 1 + next() % 300,
		    (int)(next() % 3) == 0 ? 1 + (int)(next() % 100) : 0);
		for (i = 0; i < n; i++) {
			uint64_t bits = next();
			switch (k % 4) {
			case 0:
				s[i].value = (double)(int64_t)(next() % 100000) / 100;
				break;
			case 1:
				memcpy(&s[i].value, &bits, 8);
				if (!isfinite(s[i].value))
					s[i].value = 1;
				break;
			case 2:
				s[i].value = (double)(next() % 1000000) * 1e-6;
				break;
			default:
				s[i].value = (double)(int64_t)next();
				break;
			}
		}
		if (roundtrip(s, n) == 0)
			break;
	}
	ok(k == 2000, "2000 random series round-trip exactly (stopped at %d)", k);

	/* hostile input: truncations and bit flips are rejected or decode
	 * within bounds; never crash (ASan/UBSan build checks that) */
	fill(s, 100, 1732406400, 60, 3);
	for (i = 0; i < 100; i++)
		s[i].value = (double)(i * 7 % 13) / 4;
	len = dmd_codec_encode(s, 100, buf);
	{
		struct dmd_sample out[100];
		int rejected = 0;

		for (i = 0; i < len; i++)
			rejected += dmd_codec_decode(buf, i, out, 100) < 0;
		ok(rejected == (int)len, "every truncation is rejected (%d of %zu)", rejected, len);
		for (i = 0; i < len * 8; i++) {
			buf[i / 8] ^= 1 << (i % 8);
			(void)dmd_codec_decode(buf, len, out, 100);
			buf[i / 8] ^= 1 << (i % 8);
		}
		ok(dmd_codec_decode(buf, len, out, 100) == 100, "bit flips survived, original still decodes");
		ok(dmd_codec_decode(buf, len, out, 99) < 0, "too small an output buffer is refused");
		buf[0] = 'R';
		ok(dmd_codec_decode(buf, len, out, 100) < 0, "wrong magic is refused");
	}
	return done();
}
