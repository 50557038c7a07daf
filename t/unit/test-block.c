/*
 * test-block.c - unit tests of common/block.c: cache blocks, raw ('R')
 * and codec chunks ('Z'), the choice between them, and decoding both.
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "block.h"
#include "codec.h"
#include "tap.h"

static int
same_bits(double a, double b)
{
	return memcmp(&a, &b, sizeof(a)) == 0;
}

static int
samples_equal(const struct dmd_sample *a, const struct dmd_sample *b,
    size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (a[i].time != b[i].time || !same_bits(a[i].value, b[i].value))
			return 0;
	return 1;
}

/* n samples every step seconds from t0, values a two-decimal walk. */
static void
fill_decimal(struct dmd_sample *s, size_t n, int64_t t0, int64_t step)
{
	size_t i;

	for (i = 0; i < n; i++) {
		s[i].time = t0 + step * (int64_t)i;
		s[i].value = round((20 + 5 * sin((double)i / 3)) * 100) / 100;
	}
}

/* Decode a whole block into a new array: the count, or -1. */
static long
decode_all(const char *blk, size_t len, struct dmd_sample **out)
{
	size_t n = 0, cap = 0;

	*out = NULL;
	if (dmd_block_decode(blk, len, INT64_MIN, INT64_MAX, out, &n,
	    &cap) != 0)
		return -1;
	return (long)n;
}

/* Decode into an array already holding one sample: 1 if the block is
 * rejected and the array is left as it was. */
static int
rejected(const char *blk, size_t len)
{
	struct dmd_sample keep = { 42, 4.2 }, *out = malloc(sizeof(*out));
	size_t n = 1, cap = 1;
	int rc;

	out[0] = keep;
	rc = dmd_block_decode(blk, len, INT64_MIN, INT64_MAX, &out, &n, &cap);
	rc = rc == -1 && n == 1 && samples_equal(out, &keep, 1);
	free(out);
	return rc;
}

static void
test_layout(void)
{
	struct dmd_sample s[] = { { 0x0102030405060708LL, 1.0 } };
	unsigned char blk[17];
	static const unsigned char want[17] = {
		'R',
		0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xf0, 0x3f,
	};
	size_t n;
	int bad = 0;

	ok(dmd_block_size(0) == 1, "an empty block is one byte");
	ok(dmd_block_size(3) == 49, "three samples take 49 bytes");
	ok(dmd_block_encode_raw(s, 1, (char *)blk) == 17,
	    "encode_raw returns the block size");
	ok(memcmp(blk, want, 17) == 0,
	    "writes 'R', then little-endian time and value bits");
	for (n = 0; n <= 1000; n++)
		if (dmd_block_bound(n) < dmd_block_size(n) ||
		    (n > 0 && dmd_block_bound(n) < dmd_codec_bound(n)))
			bad++;
	ok(bad == 0, "the bound covers both a raw block and a chunk");
}

static void
test_roundtrip(void)
{
	struct dmd_sample in[] = {
		{ INT64_MIN, -0.0 },
		{ -1, 0.0 },
		{ 0, 5e-324 },
		{ 1, -5e-324 },
		{ 2, DBL_MIN },
		{ 3, 2.2250738585072009e-308 },
		{ 4, DBL_MAX },
		{ 5, -DBL_MAX },
		{ 6, 0.1 },
		{ 1732406400, 12.5 },
		{ DMD_TIME_MAX, 1e300 },
		{ INT64_MAX, -1 },
	};
	size_t n = sizeof(in) / sizeof(in[0]), len;
	char *blk = malloc(dmd_block_bound(n));
	struct dmd_sample *out = NULL;
	size_t nout = 0, cap = 0;

	dmd_block_encode_raw(in, n, blk);
	ok(dmd_block_decode(blk, dmd_block_size(n), INT64_MIN, INT64_MAX,
	    &out, &nout, &cap) == 0, "decodes the raw block it encoded");
	ok(nout == n && samples_equal(out, in, n),
	    "raw round trip is bit-exact (-0, subnormals, int64 extremes)");
	ok(out != NULL && signbit(out[0].value) && out[0].value == 0,
	    "-0 keeps its sign");
	ok(cap >= nout, "cap covers the samples");

	/* Decoding appends. */
	ok(dmd_block_decode(blk, dmd_block_size(n), INT64_MIN, INT64_MAX,
	    &out, &nout, &cap) == 0 && nout == 2 * n &&
	    samples_equal(out + n, in, n), "a second decode appends");
	free(out);

	/* The same samples through the choice of block type. */
	len = dmd_block_encode(in, n, blk);
	ok(len <= dmd_block_size(n) && decode_all(blk, len, &out) ==
	    (long)n && samples_equal(out, in, n),
	    "the extremes round trip through dmd_block_encode ('%c', %zu "
	    "bytes)", blk[0], len);
	free(out);

	/* Empty block. */
	ok(dmd_block_encode(in, 0, blk) == 1 && blk[0] == DMD_BLOCK_RAW,
	    "no samples make an empty raw block");
	out = NULL;
	nout = cap = 0;
	ok(dmd_block_decode(blk, 1, INT64_MIN, INT64_MAX, &out, &nout,
	    &cap) == 0 && nout == 0, "decodes an empty block");
	free(out);
	free(blk);
}

static void
test_range(void)
{
	struct dmd_sample in[10];
	char blk[1 + 16 * 10];
	struct dmd_sample *out = NULL;
	size_t nout = 0, cap = 0, i;

	for (i = 0; i < 10; i++) {
		in[i].time = 100 + 10 * (int64_t)i;	/* 100 .. 190 */
		in[i].value = (double)i;
	}
	dmd_block_encode_raw(in, 10, blk);

	ok(dmd_block_decode(blk, sizeof(blk), 120, 150, &out, &nout, &cap)
	    == 0 && nout == 4 && samples_equal(out, in + 2, 4),
	    "keeps times in [from, until], both ends included");
	nout = 0;
	ok(dmd_block_decode(blk, sizeof(blk), 121, 149, &out, &nout, &cap)
	    == 0 && nout == 2 && samples_equal(out, in + 3, 2),
	    "keeps times strictly inside a range");
	nout = 0;
	ok(dmd_block_decode(blk, sizeof(blk), 200, 300, &out, &nout, &cap)
	    == 0 && nout == 0, "keeps nothing after the block");
	nout = 0;
	ok(dmd_block_decode(blk, sizeof(blk), 0, 99, &out, &nout, &cap)
	    == 0 && nout == 0, "keeps nothing before the block");
	nout = 0;
	ok(dmd_block_decode(blk, sizeof(blk), 150, 120, &out, &nout, &cap)
	    == 0 && nout == 0, "keeps nothing of an empty range");
	nout = 0;
	ok(dmd_block_decode(blk, sizeof(blk), 190, 190, &out, &nout, &cap)
	    == 0 && nout == 1 && samples_equal(out, in + 9, 1),
	    "keeps the one sample of a one-second range");
	free(out);
}

static void
test_choice(void)
{
	struct dmd_sample s[300];
	size_t len, clen, n;
	char *blk = malloc(dmd_block_bound(300));
	unsigned char *chunk = malloc(dmd_codec_bound(300));
	int bad = 0;

	/* A typical series: a chunk, much smaller than raw. */
	fill_decimal(s, 50, 1732406400, 60);
	len = dmd_block_encode(s, 50, blk);
	ok(blk[0] == DMD_BLOCK_CODEC,
	    "50 two-decimal points at 60 s make a 'Z' block");
	ok(len < dmd_block_size(50) / 4 && len <= dmd_block_bound(50),
	    "it is under a quarter of the raw size (%zu < %zu bytes)", len,
	    dmd_block_size(50));
	clen = dmd_codec_encode(s, 50, chunk);
	ok(len == clen && memcmp(blk, chunk, len) == 0,
	    "the 'Z' block is the codec chunk itself");

	/* One point of a noisy double: the chunk's header and 64 value
	 * bits are bigger than a raw record. */
	s[0].time = 1732406400;
	s[0].value = 1.0 / 3;
	len = dmd_block_encode(s, 1, blk);
	clen = dmd_codec_encode(s, 1, chunk);
	ok(blk[0] == DMD_BLOCK_RAW && len == 17 && clen > 17,
	    "one noisy point makes a raw block (chunk %zu bytes)", clen);

	/* One point of an exact decimal still has two 5-byte times. */
	s[0].value = 12.5;
	len = dmd_block_encode(s, 1, blk);
	ok(blk[0] == DMD_BLOCK_RAW && len == 17,
	    "one decimal point at a Unix time makes a raw block");

	/* The rule, over series from 1 to 300 points of both kinds: the
	 * chunk when strictly smaller, else raw. */
	for (n = 1; n <= 300; n += n < 10 ? 1 : 37) {
		size_t i;
		int k;

		for (k = 0; k < 2; k++) {
			fill_decimal(s, n, 1732406400, 15);
			if (k)
				for (i = 0; i < n; i++)
					s[i].value = sqrt((double)i + 2);
			len = dmd_block_encode(s, n, blk);
			clen = dmd_codec_encode(s, n, chunk);
			if (clen < dmd_block_size(n) ?
			    blk[0] != DMD_BLOCK_CODEC || len != clen ||
			    memcmp(blk, chunk, len) != 0 :
			    blk[0] != DMD_BLOCK_RAW || len != dmd_block_size(n))
				bad++;
		}
	}
	ok(bad == 0, "picks the chunk exactly when it is smaller (%d not)",
	    bad);
	free(chunk);
	free(blk);
}

static void
test_codec_range(void)
{
	struct dmd_sample in[50], *out = NULL;
	char *blk = malloc(dmd_block_bound(50));
	size_t len, nout = 0, cap = 0;
	long n;

	fill_decimal(in, 50, 1732406400, 60);
	len = dmd_block_encode(in, 50, blk);
	n = decode_all(blk, len, &out);
	ok(blk[0] == DMD_BLOCK_CODEC && n == 50 && samples_equal(out, in, 50),
	    "a 'Z' block decodes to its samples bit for bit");
	free(out);
	out = NULL;

	ok(dmd_block_decode(blk, len, in[10].time, in[20].time, &out, &nout,
	    &cap) == 0 && nout == 11 && samples_equal(out, in + 10, 11),
	    "a 'Z' block keeps times in [from, until], both ends included");
	nout = 0;
	ok(dmd_block_decode(blk, len, in[10].time + 1, in[20].time - 1, &out,
	    &nout, &cap) == 0 && nout == 9 && samples_equal(out, in + 11, 9),
	    "a 'Z' block keeps times strictly inside a range");
	nout = 0;
	ok(dmd_block_decode(blk, len, in[49].time + 1, INT64_MAX, &out,
	    &nout, &cap) == 0 && nout == 0,
	    "a 'Z' block keeps nothing after it");
	nout = 0;
	ok(dmd_block_decode(blk, len, INT64_MIN, in[0].time - 1, &out,
	    &nout, &cap) == 0 && nout == 0,
	    "a 'Z' block keeps nothing before it");
	nout = 0;
	ok(dmd_block_decode(blk, len, in[20].time, in[10].time, &out, &nout,
	    &cap) == 0 && nout == 0, "a 'Z' block keeps nothing of an "
	    "empty range");
	nout = 0;
	ok(dmd_block_decode(blk, len, in[49].time, in[49].time, &out, &nout,
	    &cap) == 0 && nout == 1 && samples_equal(out, in + 49, 1),
	    "a 'Z' block keeps the one sample of a one-second range");
	free(out);
	free(blk);
}

static void
test_mixed(void)
{
	struct dmd_sample a[50], b[1] = { { 1732409400, 1.0 / 3 } }, c[40];
	struct dmd_sample all[91], *out = NULL;
	char *za = malloc(dmd_block_bound(50));
	char *rb = malloc(dmd_block_bound(1));
	char *zc = malloc(dmd_block_bound(40));
	size_t la, lb, lc, nout = 0, cap = 0;
	int rc;

	fill_decimal(a, 50, 1732406400, 60);		/* .. 1732409340 */
	fill_decimal(c, 40, 1732409460, 60);
	la = dmd_block_encode(a, 50, za);
	lb = dmd_block_encode(b, 1, rb);
	lc = dmd_block_encode(c, 40, zc);
	ok(za[0] == DMD_BLOCK_CODEC && rb[0] == DMD_BLOCK_RAW &&
	    zc[0] == DMD_BLOCK_CODEC, "the blocks are 'Z', 'R', 'Z'");

	rc = dmd_block_decode(za, la, INT64_MIN, INT64_MAX, &out, &nout, &cap);
	rc |= dmd_block_decode(rb, lb, INT64_MIN, INT64_MAX, &out, &nout,
	    &cap);
	rc |= dmd_block_decode(zc, lc, INT64_MIN, INT64_MAX, &out, &nout,
	    &cap);
	memcpy(all, a, sizeof(a));
	all[50] = b[0];
	memcpy(all + 51, c, sizeof(c));
	ok(rc == 0 && nout == 91 && samples_equal(out, all, 91),
	    "'Z', 'R' and 'Z' blocks append in order into one array");

	/* A range across the block boundaries. */
	nout = 0;
	rc = dmd_block_decode(za, la, a[45].time, c[4].time, &out, &nout,
	    &cap);
	rc |= dmd_block_decode(rb, lb, a[45].time, c[4].time, &out, &nout,
	    &cap);
	rc |= dmd_block_decode(zc, lc, a[45].time, c[4].time, &out, &nout,
	    &cap);
	ok(rc == 0 && nout == 11 && samples_equal(out, all + 45, 11),
	    "a range across mixed blocks keeps just its samples");
	free(out);
	free(za);
	free(rb);
	free(zc);
}

static void
test_bits(void)
{
	static const double special[] = {
		-0.0, 0.0, 5e-324, -5e-324, 2.2250738585072009e-308,
		-2.2250738585072009e-308, DBL_MIN, -DBL_MIN, DBL_MAX, -DBL_MAX,
		-0.0, 1e-310, 0.1, -0.0,
	};
	struct dmd_sample in[14], *out;
	size_t n = sizeof(special) / sizeof(special[0]), i, len;
	char *blk = malloc(dmd_block_bound(n));
	int minus = 0;

	for (i = 0; i < n; i++) {
		in[i].time = 1732406400 + 60 * (int64_t)i;
		in[i].value = special[i];
	}
	len = dmd_block_encode(in, n, blk);
	ok(blk[0] == DMD_BLOCK_CODEC && decode_all(blk, len, &out) ==
	    (long)n && samples_equal(out, in, n),
	    "-0.0 and subnormals round trip a 'Z' block bit for bit");
	for (i = 0; i < n; i++)
		if (out[i].value == 0 && signbit(out[i].value))
			minus++;
	ok(minus == 3, "the three -0.0 keep their sign");
	free(out);

	/* All -0.0: not a decimal series, since integers lose the sign. */
	for (i = 0; i < n; i++)
		in[i].value = -0.0;
	len = dmd_block_encode(in, n, blk);
	ok(decode_all(blk, len, &out) == (long)n && samples_equal(out, in, n),
	    "a series of -0.0 round trips bit for bit ('%c')", blk[0]);
	free(out);

	/* One subnormal point: raw, and bit-exact there too. */
	in[0].value = -5e-324;
	len = dmd_block_encode(in, 1, blk);
	ok(decode_all(blk, len, &out) == 1 && samples_equal(out, in, 1),
	    "one subnormal point round trips ('%c')", blk[0]);
	free(out);
	free(blk);
}

/* Offset just past the varint at pos. */
static size_t
skip_varint(const char *p, size_t pos)
{
	while ((unsigned char)p[pos] & 0x80)
		pos++;
	return pos + 1;
}

static void
test_bad_codec(void)
{
	struct dmd_sample in[50];
	char *blk = malloc(dmd_block_bound(50)), *cut, *bad;
	size_t len, l, pos_last, pos_tmode, pos_vmode;
	int nbad = 0;

	fill_decimal(in, 50, 1732406400, 60);
	len = dmd_block_encode(in, 50, blk);
	/* 'Z' version count first last tmode interval vmode scale ... */
	pos_last = skip_varint(blk, skip_varint(blk, 2));
	pos_tmode = skip_varint(blk, pos_last);
	pos_vmode = skip_varint(blk, pos_tmode + 1);
	ok(pos_last - 3 == pos_tmode - pos_last,
	    "the first and last times take as many bytes");

	/* Every truncation, each in a buffer of its exact size. */
	for (l = 0; l < len; l++) {
		cut = malloc(l ? l : 1);
		memcpy(cut, blk, l);
		if (!rejected(cut, l))
			nbad++;
		free(cut);
	}
	ok(nbad == 0, "rejects every truncated 'Z' block, appending "
	    "nothing (%d not)", nbad);

	bad = malloc(len);
#define CORRUPT(what, edit) do {				\
	memcpy(bad, blk, len);					\
	edit;							\
	ok(rejected(bad, len), "rejects a 'Z' block with %s, "	\
	    "appending nothing", what);				\
} while (0)
	CORRUPT("the next version", bad[1] = DMD_CODEC_VERSION + 1);
	CORRUPT("version 1 (blocks of 64)", bad[1] = 1);
	CORRUPT("version 0", bad[1] = 0);
	CORRUPT("a count of 0", bad[2] = 0);
	CORRUPT("a count one too many", bad[2] = 51);
	CORRUPT("a count one too few", bad[2] = 49);
	CORRUPT("a last time off by one", bad[pos_last] ^= 2);
	CORRUPT("a first time off by 32", bad[3] ^= 0x40);
	CORRUPT("the first and last times swapped",
	    memcpy(bad + 3, blk + pos_last, pos_last - 3);
	    memcpy(bad + pos_last, blk + 3, pos_last - 3));
	CORRUPT("time mode 2", bad[pos_tmode] = 2);
	CORRUPT("value mode 5", bad[pos_vmode] = 5);
	CORRUPT("decimal scale 7", bad[pos_vmode + 1] = 7);
	CORRUPT("a varint that never ends", memset(bad + 2, 0xff, len - 2));
#undef CORRUPT
	free(bad);
	free(blk);
}

static void
test_malformed(void)
{
	struct dmd_sample in[2] = { { 1, 1.5 }, { 2, 2.5 } };
	char blk[64];
	struct dmd_sample *out;
	size_t nout, cap, len;
	int bad = 0;

	dmd_block_encode_raw(in, 2, blk);

	/* Every length that is not 1 + 16k. */
	for (len = 0; len < sizeof(blk); len++) {
		if (len >= 1 && (len - 1) % 16 == 0)
			continue;
		if (!rejected(blk, len))
			bad++;
	}
	ok(bad == 0, "rejects every bad length, appending nothing (%d not)",
	    bad);

	bad = 0;
	{
		static const char types[] = { 0, 'r', 'C', 'z', 'S', '\xff' };
		size_t i;

		for (i = 0; i < sizeof(types); i++) {
			blk[0] = types[i];
			if (!rejected(blk, 33))
				bad++;
		}
	}
	ok(bad == 0, "rejects unknown type bytes, appending nothing (%d not)",
	    bad);

	/* Raw records behind a 'Z' are no chunk: version 1 (the low byte
	 * of time 1), but a count of 0. */
	blk[0] = DMD_BLOCK_CODEC;
	ok(rejected(blk, 33), "rejects raw records behind a 'Z'");

	out = NULL;
	nout = cap = 0;
	ok(dmd_block_decode("", 0, 0, 1, &out, &nout, &cap) == -1 &&
	    nout == 0, "rejects a block of no bytes");
	free(out);
}

int
main(void)
{
	test_layout();
	test_roundtrip();
	test_range();
	test_choice();
	test_codec_range();
	test_mixed();
	test_bits();
	test_bad_codec();
	test_malformed();
	return done();
}
