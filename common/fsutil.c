/*
 * fsutil.c - small file helpers of the file:// backends (fsutil.h).
 */
#include <errno.h>
#include <unistd.h>

#include "fsutil.h"

int
dmd_write_all(int fd, const unsigned char *p, size_t len)
{
	ssize_t w;

	while (len > 0) {
		if ((w = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}
