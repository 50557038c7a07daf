/*
 * crc32.h - CRC-32 (IEEE 802.3, as zlib and gzip), for archive objects.
 */
#ifndef DMD_CRC32_H
#define DMD_CRC32_H

#include <stddef.h>
#include <stdint.h>

/* The CRC of len bytes at p, continuing from crc (0 to start). */
uint32_t dmd_crc32(uint32_t crc, const void *p, size_t len);

#endif
