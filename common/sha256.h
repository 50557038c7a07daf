/*
 * sha256.h - SHA-256 (FIPS 180-4), for the payload hashes AWS's
 * signature version 4 wants (x-amz-content-sha256).
 */
#ifndef DMD_SHA256_H
#define DMD_SHA256_H

#include <stddef.h>
#include <stdint.h>

struct dmd_sha256 {
	uint32_t	 h[8];
	uint64_t	 len;		/* bytes hashed */
	unsigned char	 buf[64];
	size_t		 nbuf;
};

void dmd_sha256_init(struct dmd_sha256 *s);
void dmd_sha256_update(struct dmd_sha256 *s, const void *p, size_t n);
void dmd_sha256_final(struct dmd_sha256 *s, unsigned char out[32]);

/* The hash of p[0..n) as 64 lowercase hex digits and a NUL. */
void dmd_sha256_hex(const void *p, size_t n, char out[65]);

#endif
