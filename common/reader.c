/*
 * reader.c - buffered line reader with a length cap (see reader.h).
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "parse.h"
#include "reader.h"
#include "xmalloc.h"

#define READER_BUFSZ	(1024 * 1024)	/* > DMD_LINE_MAX: a full line fits */

void
dmd_reader_init(struct dmd_reader *r, int fd)
{
	dmd_reader_init_size(r, fd, READER_BUFSZ);
}

void
dmd_reader_init_size(struct dmd_reader *r, int fd, size_t size)
{
	memset(r, 0, sizeof(*r));
	r->fd = fd;
	r->cap = size < DMD_READER_MIN ? DMD_READER_MIN : size;
	r->buf = xmalloc(r->cap);
	r->atstart = 1;
}

size_t
dmd_reader_pending(const struct dmd_reader *r)
{
	return r->skipping ? 0 : r->end - r->start;
}

void
dmd_reader_release(struct dmd_reader *r)
{
	if (r == NULL)
		return;
	free(r->buf);
	r->buf = NULL;
}

/* Read more into the buffer.  Returns DMD_READ_LINE if bytes (or EOF)
 * arrived, DMD_READ_TIMEOUT or DMD_READ_ERROR. */
static int
fill(struct dmd_reader *r, int64_t deadline_ms)
{
	ssize_t n;

	if (r->start > 0) {
		memmove(r->buf, r->buf + r->start, r->end - r->start);
		r->end -= r->start;
		r->start = 0;
	}
	if (deadline_ms >= 0) {
		struct pollfd pfd = { r->fd, POLLIN, 0 };
		int64_t left = deadline_ms - dmd_mono_ms();

		if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
			return DMD_READ_TIMEOUT;	/* or EINTR */
	}
	n = read(r->fd, r->buf + r->end, r->cap - r->end);
	if (n < 0) {
		/* A signal: let the caller look at its flags first. */
		if (errno == EAGAIN || errno == EINTR)
			return DMD_READ_TIMEOUT;
		r->err = errno;
		return DMD_READ_ERROR;
	}
	if (n == 0)
		r->eof = 1;
	r->end += n;
	return DMD_READ_LINE;
}

int
dmd_reader_next(struct dmd_reader *r, int64_t deadline_ms, const char **line,
    size_t *len)
{
	char *nl;
	int rc;

	for (;;) {
		if (r->atstart && r->end - r->start >= 3) {
			if (memcmp(r->buf + r->start, "\xef\xbb\xbf", 3) == 0)
				r->start += 3;
			r->atstart = 0;
		}
		nl = memchr(r->buf + r->start, '\n', r->end - r->start);
		if (r->skipping) {
			/* the tail of an overlong line: drop it */
			if (nl == NULL) {
				r->start = r->end;
			} else {
				r->start = nl + 1 - r->buf;
				r->skipping = 0;
				continue;
			}
		} else if (nl != NULL) {
			*line = r->buf + r->start;
			*len = nl - *line;
			r->start = nl + 1 - r->buf;
			r->lineno++;
			r->atstart = 0;
			return DMD_READ_LINE;
		} else if (r->end - r->start > DMD_LINE_MAX + 1) {
			/* + 2: still too long after a CR is dropped */
			*line = r->buf + r->start;
			*len = DMD_LINE_MAX + 2;
			r->start = r->end;
			r->skipping = 1;
			r->lineno++;
			return DMD_READ_LINE;
		} else if (r->eof) {
			if (r->end == r->start)
				return DMD_READ_EOF;
			*line = r->buf + r->start;
			*len = r->end - r->start;
			r->start = r->end;
			r->lineno++;
			r->atstart = 0;
			return DMD_READ_LINE;
		}
		if (r->eof)
			return DMD_READ_EOF;
		if ((rc = fill(r, deadline_ms)) != DMD_READ_LINE)
			return rc;
	}
}

int
dmd_each_input(int argc, char *const *argv,
    int (*fn)(void *arg, int fd, const char *name), void *arg, int *ioerr,
    volatile int *stop)
{
	static char *const dash[] = { (char *)"-" };
	int i, fd, rv;

	if (argc == 0) {	/* no names: standard input */
		argc = 1;
		argv = dash;
	}
	for (i = 0; i < argc; i++) {
		if (*stop)
			return -1;
		if (strcmp(argv[i], "-") == 0) {
			if (fn(arg, STDIN_FILENO, "stdin") != 0)
				return -1;
			continue;
		}
		if ((fd = open(argv[i], O_RDONLY | O_CLOEXEC)) < 0) {
			warn("%s", argv[i]);
			*ioerr = 1;
			continue;
		}
		rv = fn(arg, fd, argv[i]);
		close(fd);
		if (rv != 0)
			return -1;
	}
	return 0;
}
