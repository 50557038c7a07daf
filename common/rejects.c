/*
 * rejects.c - rejected input, reported and kept (see rejects.h).
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "rejects.h"

int
dmd_rejects_open(struct dmd_rejects *r, const char *path)
{
	int fd, e;

	memset(r, 0, sizeof(*r));
	r->path = path;
	if (path == NULL)
		return 0;
	/* as fopen(path, "a"), but never through a planted link */
	if ((fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW |
	    O_CLOEXEC, 0666)) == -1)
		return -1;
	if ((r->fp = fdopen(fd, "a")) == NULL) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return 0;
}

void
dmd_rejects_line(struct dmd_rejects *r, const struct dmd_parser *p,
    const char *src, uint64_t lineno, const char *line, size_t len)
{
	size_t i;

	for (i = 0; i < p->nrejects; i++) {
		const struct dmd_reject *x = &p->rejects[i];

		r->n++;
		if (r->shown++ >= DMD_REJECTS_SHOWN)
			continue;
		if (x->index >= 0)
			warnx("%s:%llu[%d]: %s", src, (unsigned long long)lineno,
			    x->index, x->reason);
		else
			warnx("%s:%llu: %s", src, (unsigned long long)lineno,
			    x->reason);
	}
	if (r->fp != NULL && p->nrejects > 0) {
		if (len > DMD_LINE_MAX)
			len = DMD_LINE_MAX;
		fwrite(line, 1, len, r->fp);
		putc('\n', r->fp);
		/* stdio writes when its buffer fills: a failure then is
		 * not seen by fclose() */
		if (ferror(r->fp) && r->err == 0)
			r->err = errno ? errno : EIO;
	}
}

void
dmd_rejects_one(struct dmd_rejects *r, const char *src, uint64_t lineno,
    const char *reason)
{
	r->n++;
	if (r->shown++ < DMD_REJECTS_SHOWN)
		warnx("%s:%llu: %s", src, (unsigned long long)lineno, reason);
}

int
dmd_rejects_close(struct dmd_rejects *r)
{
	int rv = 0;

	if (r->shown > DMD_REJECTS_SHOWN)
		warnx("%llu more rejects not shown",
		    (unsigned long long)(r->shown - DMD_REJECTS_SHOWN));
	if (r->fp != NULL && fclose(r->fp) != 0 && r->err == 0)
		r->err = errno;
	if (r->err != 0) {
		errno = r->err;
		warn("%s", r->path);
		rv = -1;
	}
	r->fp = NULL;
	return rv;
}
