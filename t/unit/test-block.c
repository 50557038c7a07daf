/*
 * test-block.c - unit tests of common/block.c: raw cache blocks.
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "block.h"
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

	ok(dmd_block_size(0) == 1, "an empty block is one byte");
	ok(dmd_block_size(3) == 49, "three samples take 49 bytes");
	ok(dmd_block_encode(s, 1, (char *)blk) == 17,
	    "encode returns the block size");
	ok(memcmp(blk, want, 17) == 0,
	    "writes 'R', then little-endian time and value bits");
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
	size_t n = sizeof(in) / sizeof(in[0]);
	char *blk = malloc(dmd_block_size(n));
	struct dmd_sample *out = NULL;
	size_t nout = 0, cap = 0;

	dmd_block_encode(in, n, blk);
	ok(dmd_block_decode(blk, dmd_block_size(n), INT64_MIN, INT64_MAX,
	    &out, &nout, &cap) == 0, "decodes what it encoded");
	ok(nout == n && samples_equal(out, in, n),
	    "round trip is bit-exact (-0, subnormals, int64 extremes)");
	ok(out != NULL && signbit(out[0].value) && out[0].value == 0,
	    "-0 keeps its sign");
	ok(cap >= nout, "cap covers the samples");

	/* Decoding appends. */
	ok(dmd_block_decode(blk, dmd_block_size(n), INT64_MIN, INT64_MAX,
	    &out, &nout, &cap) == 0 && nout == 2 * n &&
	    samples_equal(out + n, in, n), "a second decode appends");
	free(out);
	out = NULL;
	nout = cap = 0;

	/* Empty block. */
	dmd_block_encode(in, 0, blk);
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
	dmd_block_encode(in, 10, blk);

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
test_malformed(void)
{
	struct dmd_sample in[2] = { { 1, 1.5 }, { 2, 2.5 } };
	struct dmd_sample keep = { 42, 4.2 };
	char blk[64];
	struct dmd_sample *out;
	size_t nout, cap, len;
	int bad = 0;

	dmd_block_encode(in, 2, blk);

	/* Every length that is not 1 + 16k. */
	for (len = 0; len < sizeof(blk); len++) {
		int rc;

		if (len >= 1 && (len - 1) % 16 == 0)
			continue;
		out = malloc(sizeof(*out));
		out[0] = keep;
		nout = cap = 1;
		rc = dmd_block_decode(blk, len, INT64_MIN, INT64_MAX, &out,
		    &nout, &cap);
		if (rc != -1 || nout != 1 || !samples_equal(out, &keep, 1))
			bad++;
		free(out);
	}
	ok(bad == 0, "rejects every bad length, appending nothing (%d not)",
	    bad);

	bad = 0;
	{
		static const char types[] = { 0, 'r', 'C', 'Z', 'S', '\xff' };
		size_t i;

		for (i = 0; i < sizeof(types); i++) {
			int rc;

			blk[0] = types[i];
			out = malloc(sizeof(*out));
			out[0] = keep;
			nout = cap = 1;
			rc = dmd_block_decode(blk, 33, INT64_MIN, INT64_MAX,
			    &out, &nout, &cap);
			if (rc != -1 || nout != 1 ||
			    !samples_equal(out, &keep, 1))
				bad++;
			free(out);
		}
	}
	ok(bad == 0, "rejects unknown type bytes, appending nothing (%d not)",
	    bad);

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
	test_malformed();
	return done();
}
