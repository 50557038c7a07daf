/*
 * fuzz-codec.c - libFuzzer target for the chunk codec (common/codec.c).
 *
 * Every input is first fed to the decoder as a chunk.  It must be
 * rejected, or decode to info.count samples with strictly increasing
 * times from info.first to info.last that re-encode to a chunk which
 * decodes to the same times and value bits.  The input is copied into a
 * buffer of exactly its size and the samples go into buffers of exactly
 * info.count, so that ASan sees any read or write past either end; a
 * buffer one sample too small must be refused.
 *
 * An input whose first byte is not the codec's magic is also read as a
 * recipe for a series (see series_from()), which must survive encode and
 * decode bit for bit: NaN payloads, infinities, -0.0 and subnormals
 * included, since the float mode keeps any bits.
 *
 * Built and run by t/fuzz/run.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
same_samples(const struct dmd_sample *a, const struct dmd_sample *b,
    size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (a[i].time != b[i].time ||
		    memcmp(&a[i].value, &b[i].value, sizeof(a[i].value)) != 0)
			return 0;
	return 1;
}

/* Decode a chunk into an exact-size array; the caller frees it.  Aborts
 * on anything but a clean reject or a consistent success.  Returns the
 * samples, or NULL (*n = 0) if the chunk was rejected. */
static struct dmd_sample *
decode(const unsigned char *in, size_t len, size_t *n)
{
	struct dmd_chunk_info info;
	struct dmd_sample *out, *small;
	long got;
	size_t i;

	*n = 0;
	if (dmd_codec_info(in, len, &info) != 0) {
		/* The decoder reads the same header. */
		out = malloc(sizeof(*out));
		if (out == NULL)
			abort();
		if (dmd_codec_decode(in, len, out, 1) != -1)
			abort();
		free(out);
		return NULL;
	}
	if (info.count == 0 || info.count > DMD_CODEC_MAX_POINTS ||
	    info.first > info.last)
		abort();

	/* Room for one sample less than the header says: refused. */
	small = malloc((info.count - 1) * sizeof(*small) + 1);
	if (small == NULL)
		abort();
	if (dmd_codec_decode(in, len, small, info.count - 1) != -1)
		abort();
	free(small);

	out = malloc(info.count * sizeof(*out));
	if (out == NULL)
		abort();
	got = dmd_codec_decode(in, len, out, info.count);
	if (got == -1) {
		free(out);
		return NULL;
	}
	if (got < 0 || (size_t)got != info.count)
		abort();
	if (out[0].time != info.first || out[got - 1].time != info.last)
		abort();
	for (i = 1; i < (size_t)got; i++)
		if (out[i].time <= out[i - 1].time)
			abort();
	*n = (size_t)got;
	return out;
}

/* Encode n samples into an exact-size buffer of dmd_codec_bound(n)
 * bytes; check that the chunk decodes to them, that it is the same
 * chunk when encoded again, and that no shorter prefix of it decodes
 * (the encoder writes no byte the decoder does not need). */
static void
roundtrip(const struct dmd_sample *s, size_t n)
{
	struct dmd_chunk_info info;
	struct dmd_sample *back;
	unsigned char *enc, *again, *cut;
	size_t bound = dmd_codec_bound(n), len, n2, len2;

	enc = malloc(bound);
	again = malloc(bound);
	if (enc == NULL || again == NULL)
		abort();
	len = dmd_codec_encode(s, n, enc);
	if (len < 2 || len > bound || enc[0] != DMD_CODEC_MAGIC)
		abort();
	if (dmd_codec_info(enc, len, &info) != 0 || info.count != n ||
	    info.first != s[0].time || info.last != s[n - 1].time)
		abort();
	back = decode(enc, len, &n2);
	if (back == NULL || n2 != n || !same_samples(back, s, n))
		abort();
	len2 = dmd_codec_encode(back, n2, again);
	if (len2 != len || memcmp(again, enc, len) != 0)
		abort();
	free(back);

	/* An exact-size copy, so that ASan sees a read of the lost byte. */
	cut = malloc(len - 1);
	if (cut == NULL)
		abort();
	memcpy(cut, enc, len - 1);
	back = decode(cut, len - 1, &n2);
	if (back != NULL)
		abort();
	free(cut);
	free(again);
	free(enc);
}

/*
 * A reader of the recipe bytes: little-endian, zeros once they run out.
 */
struct recipe {
	const uint8_t	*p;
	size_t		 left;
};

static uint64_t
take(struct recipe *r, int bytes)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < bytes && r->left > 0; i++, r->left--)
		v |= (uint64_t)*r->p++ << (8 * i);
	return v;
}

static const double pow10d[] = { 1, 10, 100, 1000, 10000, 100000, 1000000 };

/* Values the decimal and float modes must keep apart. */
static const uint64_t special[] = {
	0x0000000000000000ULL,	/* 0.0 */
	0x8000000000000000ULL,	/* -0.0 */
	0x0000000000000001ULL,	/* smallest subnormal */
	0x8000000000000001ULL,
	0x000fffffffffffffULL,	/* largest subnormal */
	0x0010000000000000ULL,	/* DBL_MIN */
	0x7fefffffffffffffULL,	/* DBL_MAX */
	0xffefffffffffffffULL,
	0x7ff0000000000000ULL,	/* inf */
	0xfff0000000000000ULL,
	0x7ff8000000000000ULL,	/* NaN */
	0x7ff0000000000001ULL,	/* signalling NaN */
	0xfff8000000000123ULL,	/* NaN with sign and payload */
	0x4340000000000000ULL,	/* 2^53 */
	0x433fffffffffffffULL,	/* 2^53 - 1 */
	0xc33fffffffffffffULL,	/* -(2^53 - 1) */
	0x3fb999999999999aULL,	/* 0.1 */
	0x3fd5555555555555ULL,	/* 1/3 */
};

/*
 * Build a series from the recipe: byte 0 (the input's first, not the
 * magic) picks the time style (low two bits), the value style (next
 * two), a decimal scale (next three) and a time near now (top bit);
 * then an 8-byte first time and a 2-byte step; then per sample a time
 * part and a value part as the styles say.  Times grow strictly and
 * never past INT64_MAX.  Returns the number of samples.
 */
static size_t
series_from(struct recipe *r, struct dmd_sample *s, size_t max)
{
	unsigned style = (unsigned)take(r, 1);
	unsigned tstyle = style & 3, vstyle = (style >> 2) & 3;
	int scale = (int)((style >> 4) & 7) % 7;
	uint64_t step = 1 + take(r, 2), d, bits;
	int64_t t = (int64_t)take(r, 8), k = 0, inc = 0;
	double v = 0;
	size_t n;
	unsigned c;

	if (style & 0x80)	/* often a plausible Unix time */
		t = (int64_t)((uint64_t)t % 253402300800ULL);
	for (n = 0; n < max && r->left > 0; n++) {
		if (n > 0) {
			switch (tstyle) {
			case 0:	/* regular */
				d = step;
				break;
			case 1:	/* small irregular steps */
				d = 1 + take(r, 1);
				break;
			case 2:	/* a regular step with jitter */
				c = (unsigned)take(r, 1);
				d = step + (c & 0x80 ? (c & 0x7f) :
				    -(uint64_t)(c & 0x7f));
				if (d == 0 || d > step + 0x7f)
					d = 1;
				break;
			default: /* anything */
				d = 1 + take(r, 8);
				if (d == 0)
					d = 1;
				break;
			}
			/* INT64_MAX - t, exact in unsigned arithmetic */
			if (d > (uint64_t)INT64_MAX - (uint64_t)t)
				break;
			t = (int64_t)((uint64_t)t + d);
		}
		switch (vstyle) {
		case 0:	/* any bits */
			bits = take(r, 8);
			memcpy(&v, &bits, 8);
			break;
		case 1:	/* a decimal random walk */
			k += (int8_t)take(r, 1);
			v = (double)k / pow10d[scale];
			break;
		case 2:	/* a counter */
			inc += (int8_t)take(r, 1);
			k += inc;
			v = (double)k / pow10d[scale];
			break;
		default: /* a mix */
			c = (unsigned)take(r, 1);
			switch (c & 3) {
			case 0:	/* the same again */
				break;
			case 1:
				bits = special[(c >> 2) %
				    (sizeof(special) / sizeof(special[0]))];
				memcpy(&v, &bits, 8);
				break;
			case 2:
				v = (double)(int32_t)take(r, 4) /
				    pow10d[(c >> 2) % 7];
				break;
			default:
				bits = take(r, 8);
				memcpy(&v, &bits, 8);
				break;
			}
			break;
		}
		s[n].time = t;
		s[n].value = v;
	}
	return n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dmd_sample *out, *s;
	struct recipe r;
	unsigned char *in;
	size_t n;

	in = malloc(size ? size : 1);
	if (in == NULL)
		return 0;
	memcpy(in, data, size);
	out = decode(in, size, &n);
	if (out != NULL) {
		roundtrip(out, n);
		free(out);
	}
	free(in);

	if (size >= 1 && data[0] != DMD_CODEC_MAGIC) {
		r.p = data;
		r.left = size;
		s = malloc(size * sizeof(*s));
		if (s == NULL)
			abort();
		n = series_from(&r, s, size);
		if (n > 0)
			roundtrip(s, n);
		free(s);
	}
	return 0;
}
