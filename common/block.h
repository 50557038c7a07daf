/*
 * block.h - the bytes of one block of one series in the cache.
 *
 * A block is what one batch wrote for one series: a type byte, then the
 * points.  Type 'R' (raw, v1) is 16-byte records, each a little-endian
 * int64 time and the little-endian bits of an IEEE-754 double, in time
 * order with unique times.  The type byte leaves room for compressed
 * block types, which decoders will accept alongside raw ones.
 */
#ifndef DMD_BLOCK_H
#define DMD_BLOCK_H

#include <stddef.h>
#include <stdint.h>

#include "point.h"

#define DMD_BLOCK_RAW	'R'

/* Bytes dmd_block_encode() writes for n samples. */
size_t dmd_block_size(size_t n);

/* Encode n samples as a raw block into out (dmd_block_size(n) bytes).
 * Returns the number of bytes written. */
size_t dmd_block_encode(const struct dmd_sample *s, size_t n, char *out);

/* Decode a block of len bytes, appending the samples with from <= time
 * <= until to *out (grown with xgrow; *n and *cap updated).  Returns 0,
 * or -1 if the block is malformed (nothing appended). */
int dmd_block_decode(const char *blk, size_t len, int64_t from,
    int64_t until, struct dmd_sample **out, size_t *n, size_t *cap);

#endif
