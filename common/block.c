/*
 * block.c - encode and decode cache blocks (see block.h).
 */
#include <string.h>

#include "block.h"
#include "codec.h"
#include "xmalloc.h"

static void
put64(char *p, uint64_t v)
{
	int i;

	for (i = 0; i < 8; i++)
		p[i] = (char)(v >> (8 * i));
}

static uint64_t
get64(const char *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = (v << 8) | (unsigned char)p[i];
	return v;
}

size_t
dmd_block_size(size_t n)
{
	return 1 + 16 * n;
}

size_t
dmd_block_bound(size_t n)
{
	size_t c = dmd_codec_bound(n);

	return c > dmd_block_size(n) ? c : dmd_block_size(n);
}

size_t
dmd_block_encode(const struct dmd_sample *s, size_t n, char *out)
{
	size_t len;

	if (n > 0 && n <= DMD_CODEC_MAX_POINTS) {
		len = dmd_codec_encode(s, n, (unsigned char *)out);
		if (len < dmd_block_size(n))
			return len;
	}
	return dmd_block_encode_raw(s, n, out);
}

size_t
dmd_block_encode_raw(const struct dmd_sample *s, size_t n, char *out)
{
	size_t i;
	uint64_t bits;

	out[0] = DMD_BLOCK_RAW;
	for (i = 0; i < n; i++) {
		memcpy(&bits, &s[i].value, 8);
		put64(out + 1 + 16 * i, (uint64_t)s[i].time);
		put64(out + 1 + 16 * i + 8, bits);
	}
	return dmd_block_size(n);
}

int
dmd_block_decode(const char *blk, size_t len, int64_t from, int64_t until,
    struct dmd_sample **out, size_t *n, size_t *cap)
{
	struct dmd_chunk_info info;
	size_t i, cnt;
	struct dmd_sample *s;
	uint64_t bits;
	long got;

	if (len >= 1 && blk[0] == DMD_BLOCK_CODEC) {
		if (dmd_codec_info((const unsigned char *)blk, len, &info) != 0)
			return -1;
		*out = xgrow(*out, cap, *n + info.count, sizeof(**out));
		s = *out + *n;
		got = dmd_codec_decode((const unsigned char *)blk, len, s,
		    info.count);
		if (got < 0)
			return -1;
		cnt = 0;
		for (i = 0; i < (size_t)got; i++)
			if (s[i].time >= from && s[i].time <= until)
				s[cnt++] = s[i];
		*n += cnt;
		return 0;
	}
	if (len < 1 || blk[0] != DMD_BLOCK_RAW || (len - 1) % 16 != 0)
		return -1;
	if ((cnt = (len - 1) / 16) == 0)
		return 0;
	*out = xgrow(*out, cap, *n + cnt, sizeof(**out));
	s = *out + *n;
	for (i = 0; i < cnt; i++) {
		int64_t t = (int64_t)get64(blk + 1 + 16 * i);

		if (t < from || t > until)
			continue;
		bits = get64(blk + 1 + 16 * i + 8);
		s->time = t;
		memcpy(&s->value, &bits, 8);
		s++;
	}
	*n = s - *out;
	return 0;
}
