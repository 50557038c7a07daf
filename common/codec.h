/*
 * codec.h - compressed chunks of one series.
 *
 * A chunk holds the points of one series, sorted by time with unique
 * times (any int64 times), and decodes to exactly the same times and
 * value bits (any bits: NaN and infinities take the float mode).  Layout
 * (all integers LEB128 varints, signed ones zigzag'd):
 *
 *   'Z' version(2)  count  first_time  last_time
 *   time mode:  0 regular: interval              (one varint for all)
 *               1 irregular: first delta, then packed deltas-of-deltas
 *   value mode: 0 decimal: scale d (0..6), first scaled integer, then
 *                 packed zigzag'd deltas of the integers v * 10^d
 *               1 decimal, zigzag'd deltas-of-deltas (counters)
 *               2 float: Gorilla-style XOR of the IEEE-754 bits
 *               3 decimal, deltas less the least delta (a base varint
 *                 follows the first integer)
 *               4 decimal, the integers less the least (base follows)
 *
 * Packed integer sequences go in blocks of 128, each block fixed-width,
 * truncated binary or Rice-coded, whichever is smallest (codec.c).  A value
 * sequence is "decimal" when every value v satisfies
 * round(v * 10^d) / 10^d == v bit for bit for one d <= 6 (and none is
 * -0.0, whose sign an integer cannot keep).  The header's count and time
 * bounds let a reader skip a chunk without decoding it.
 */
#ifndef DMD_CODEC_H
#define DMD_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "point.h"

#define DMD_CODEC_MAGIC		'Z'
#define DMD_CODEC_VERSION	2	/* 1: blocks of 64, no truncated binary */
#define DMD_CODEC_MAX_POINTS	(1 << 20)

/* Header fields, readable without decoding the points. */
struct dmd_chunk_info {
	size_t		 count;
	int64_t		 first, last;
};

/* Upper bound of the encoded size of n samples. */
size_t dmd_codec_bound(size_t n);

/* Encode n samples (1 <= n <= DMD_CODEC_MAX_POINTS, sorted, unique
 * times) into out, which has room for dmd_codec_bound(n) bytes.  Returns
 * the number of bytes written. */
size_t dmd_codec_encode(const struct dmd_sample *s, size_t n, unsigned char *out);

/* Read the header of a chunk.  Returns 0, or -1 if it is malformed. */
int dmd_codec_info(const unsigned char *in, size_t len,
    struct dmd_chunk_info *info);

/* Decode a chunk of len bytes into out, which has room for info.count
 * samples (see dmd_codec_info).  Returns the number of samples, or -1 if
 * the chunk is malformed or truncated (never reads past len). */
long dmd_codec_decode(const unsigned char *in, size_t len,
    struct dmd_sample *out, size_t outcap);

#endif
