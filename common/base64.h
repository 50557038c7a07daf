/*
 * base64.h - RFC 4648 base64, for binary values in JSON (DynamoDB's B
 * attributes, Kinesis records).
 */
#ifndef DMD_BASE64_H
#define DMD_BASE64_H

#include <stddef.h>

/* Bytes the encoding of n bytes takes, without a NUL. */
#define DMD_BASE64_LEN(n)	(((n) + 2) / 3 * 4)

/* Encode n bytes of in into out (DMD_BASE64_LEN(n) + 1 bytes, NUL-
 * terminated).  Returns the length. */
size_t dmd_base64_encode(const unsigned char *in, size_t n, char *out);

/* Decode n characters of in (padding optional) into out (at least
 * n / 4 * 3 + 3 bytes).  Returns the number of bytes, or -1 for a
 * character outside the alphabet or a bad length. */
long dmd_base64_decode(const char *in, size_t n, unsigned char *out);

#endif
