/*
 * fuzz-block.c - libFuzzer target for dmd_block_decode() (common/block.c).
 *
 * The first 16 bytes of the input (when there are that many) give the
 * time range, the rest is the block.  A rejected block must append
 * nothing; an accepted one has the raw layout, appends only samples in
 * the range, and over the whole range re-encodes to the same bytes.
 * Built and run by t/fuzz/run.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "block.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int64_t from = INT64_MIN, until = INT64_MAX;
	struct dmd_sample *out = NULL;
	size_t n = 0, cap = 0, i, len;
	char *blk, *again;
	int rc;

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
	} else {
		if (len < 1 || (len - 1) % 16 != 0 || n - 1 > (len - 1) / 16)
			abort();
		for (i = 1; i < n; i++)
			if (out[i].time < from || out[i].time > until)
				abort();
		if (from == INT64_MIN && until == INT64_MAX) {
			if (n - 1 != (len - 1) / 16)
				abort();
			again = malloc(dmd_block_size(n - 1));
			if (dmd_block_encode(out + 1, n - 1, again) != len ||
			    memcmp(again, blk, len) != 0)
				abort();
			free(again);
		}
	}
	free(out);
	free(blk);
	return 0;
}
