/*
 * block.h - the bytes of one block of one series in the cache.
 *
 * A block is what one batch wrote for one series: a type byte, then the
 * points, in time order with unique times.  A block is complete when it
 * is written, so it is sealed compressed at once:
 *
 *   'Z'  a chunk of the codec (codec.h), whose magic is the type byte
 *   'R'  raw: 16-byte records, each a little-endian int64 time and the
 *        little-endian bits of an IEEE-754 double; written only when it
 *        is smaller than the chunk (typically a single point)
 *
 * Decoders accept both, and blocks of both types mix in one series.
 */
#ifndef DMD_BLOCK_H
#define DMD_BLOCK_H

#include <stddef.h>
#include <stdint.h>

#include "point.h"

#define DMD_BLOCK_RAW	'R'
#define DMD_BLOCK_CODEC	'Z'	/* == DMD_CODEC_MAGIC */

/* Bytes of a raw block of n samples. */
size_t dmd_block_size(size_t n);

/* Room dmd_block_encode() needs for n samples (at least the raw size). */
size_t dmd_block_bound(size_t n);

/* Encode n samples (sorted, unique times) as the smaller of a codec and
 * a raw block into out, which has dmd_block_bound(n) bytes.  Returns the
 * number of bytes written. */
size_t dmd_block_encode(const struct dmd_sample *s, size_t n, char *out);

/* Encode n samples as a raw block (dmd_block_size(n) bytes). */
size_t dmd_block_encode_raw(const struct dmd_sample *s, size_t n,
    char *out);

/* Decode a block of len bytes, appending the samples with from <= time
 * <= until to *out (grown with xgrow; *n and *cap updated).  Returns 0,
 * or -1 if the block is malformed (nothing appended). */
int dmd_block_decode(const char *blk, size_t len, int64_t from,
    int64_t until, struct dmd_sample **out, size_t *n, size_t *cap);

#endif
