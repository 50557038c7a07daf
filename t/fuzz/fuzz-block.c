/*
 * fuzz-block.c - libFuzzer target for dmd_block_decode() (common/block.c).
 *
 * The first 16 bytes of the input (when there are that many) give the
 * time range, the rest is the block.  A rejected block must append
 * nothing, and must be one that neither the raw layout nor the codec
 * accepts.  An accepted one is raw ('R') or a codec chunk ('Z'), appends
 * after what *out held, appends only samples in the range, and appends
 * exactly the in-range samples of a decode over the whole range.  Over
 * the whole range, a raw block re-encodes (dmd_block_encode_raw) to the
 * same bytes, and samples in strictly increasing time order (all of a
 * chunk's) go through dmd_block_encode and back bit for bit.
 * Built and run by t/fuzz/run.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "block.h"
#include "codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
same_sample(const struct dmd_sample *a, const struct dmd_sample *b)
{
	return a->time == b->time &&
	    memcmp(&a->value, &b->value, sizeof(a->value)) == 0;
}

/* Decode a block over the whole range into a new array.  Returns the
 * array (NULL for none) and the count in *n, or aborts if rejected. */
static struct dmd_sample *
decode_all(const char *blk, size_t len, size_t *n)
{
	struct dmd_sample *s = NULL;
	size_t cap = 0;

	*n = 0;
	if (dmd_block_decode(blk, len, INT64_MIN, INT64_MAX, &s, n, &cap) != 0)
		abort();
	return s;
}

/* 1 if the codec decodes the chunk. */
static int
codec_accepts(const char *blk, size_t len)
{
	struct dmd_chunk_info info;
	struct dmd_sample *s;
	long got;

	if (dmd_codec_info((const unsigned char *)blk, len, &info) != 0)
		return 0;
	s = malloc(info.count * sizeof(*s));
	if (s == NULL)
		abort();
	got = dmd_codec_decode((const unsigned char *)blk, len, s, info.count);
	free(s);
	return got >= 0;
}

/* Encode samples of strictly increasing times with dmd_block_encode()
 * into exactly dmd_block_bound(n) bytes; decode them back. */
static void
reencode(const struct dmd_sample *s, size_t n)
{
	struct dmd_sample *back;
	size_t bound = dmd_block_bound(n), len, nback, i;
	char *enc;

	enc = malloc(bound);
	if (enc == NULL)
		abort();
	len = dmd_block_encode(s, n, enc);
	if (len > bound || len > dmd_block_size(n))
		abort();
	if (enc[0] == DMD_BLOCK_RAW) {
		if (len != dmd_block_size(n))
			abort();
	} else if (enc[0] != DMD_BLOCK_CODEC || n == 0)
		abort();
	back = decode_all(enc, len, &nback);
	if (nback != n)
		abort();
	for (i = 0; i < n; i++)
		if (!same_sample(&back[i], &s[i]))
			abort();
	free(back);
	free(enc);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int64_t from = INT64_MIN, until = INT64_MAX;
	struct dmd_sample *out = NULL, *all;
	struct dmd_chunk_info info;
	size_t n = 0, cap = 0, i, j, len, nall;
	char *blk, *again;
	int rc, sorted;

	if (size >= 16) {
		memcpy(&from, data, 8);
		memcpy(&until, data + 8, 8);
		data += 16;
		size -= 16;
		if (from % 4 == 0) {	/* often the whole range */
			from = INT64_MIN;
			until = INT64_MAX;
		}
	}
	blk = malloc(size ? size : 1);
	if (blk == NULL)
		return 0;
	memcpy(blk, data, size);
	len = size;

	/* Start with one sample in *out: decoding must append after it. */
	out = malloc(sizeof(*out));
	out[0].time = 7;
	out[0].value = 7.5;
	n = cap = 1;
	rc = dmd_block_decode(blk, len, from, until, &out, &n, &cap);
	if (out[0].time != 7 || out[0].value != 7.5 || cap < n)
		abort();
	if (rc != 0) {
		if (rc != -1 || n != 1)
			abort();
		if (len >= 1 && blk[0] == DMD_BLOCK_RAW && (len - 1) % 16 == 0)
			abort();	/* a well-formed raw block */
		if (len >= 1 && blk[0] == DMD_BLOCK_CODEC &&
		    codec_accepts(blk, len))
			abort();	/* a chunk the codec decodes */
		free(out);
		free(blk);
		return 0;
	}

	/* The ranged decode is the whole decode, filtered, in order. */
	all = decode_all(blk, len, &nall);
	for (i = 0, j = 1; i < nall; i++) {
		if (all[i].time < from || all[i].time > until)
			continue;
		if (j >= n || !same_sample(&out[j], &all[i]))
			abort();
		j++;
	}
	if (j != n)
		abort();

	sorted = 1;
	for (i = 1; i < nall; i++)
		if (all[i].time <= all[i - 1].time)
			sorted = 0;
	if (blk[0] == DMD_BLOCK_RAW) {
		if ((len - 1) % 16 != 0 || nall != (len - 1) / 16)
			abort();
		again = malloc(dmd_block_size(nall));
		if (dmd_block_encode_raw(all, nall, again) != len ||
		    memcmp(again, blk, len) != 0)
			abort();
		free(again);
	} else if (blk[0] == DMD_BLOCK_CODEC) {
		if (dmd_codec_info((const unsigned char *)blk, len,
		    &info) != 0 || nall != info.count || !sorted)
			abort();
	} else
		abort();
	if (sorted)
		reencode(all, nall);
	free(all);
	free(out);
	free(blk);
	return 0;
}
