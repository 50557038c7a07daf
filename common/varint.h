/*
 * varint.h - LEB128 varints and zigzag, the integers of every stored
 * format (codec.h, aobj.h, rollup.h).
 */
#ifndef DMD_VARINT_H
#define DMD_VARINT_H

#include <stddef.h>
#include <stdint.h>

/* Write v at p (at most 10 bytes).  Returns the bytes written. */
static inline size_t
dmd_varint_put(unsigned char *p, uint64_t v)
{
	size_t n = 0;

	while (v >= 0x80) {
		p[n++] = (unsigned char)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (unsigned char)v;
	return n;
}

/* Read a varint at p[*pos] (len bytes in all) into *v, advancing *pos.
 * Returns 0, or -1 for one that runs past len or 64 bits. */
static inline int
dmd_varint_get(const unsigned char *p, size_t len, size_t *pos, uint64_t *v)
{
	int shift = 0;

	*v = 0;
	while (*pos < len && shift < 64) {
		unsigned char c = p[(*pos)++];

		*v |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80))
			return 0;
		shift += 7;
	}
	return -1;
}

static inline uint64_t
dmd_zigzag(int64_t v)
{
	return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static inline int64_t
dmd_unzigzag(uint64_t u)
{
	return (int64_t)((u >> 1) ^ (~(u & 1) + 1));
}

#endif
