/*
 * fsutil.h - small file helpers of the file:// backends.
 */
#ifndef DMD_FSUTIL_H
#define DMD_FSUTIL_H

#include <stddef.h>

/* Write all len bytes of p to fd (retrying short writes and EINTR).
 * Returns 0, or -1 with errno set. */
int dmd_write_all(int fd, const unsigned char *p, size_t len);

#endif
