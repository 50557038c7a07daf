/*
 * rejects.c - rejected input, reported and kept (see rejects.h).
 */
#include <err.h>
#include <string.h>

#include "rejects.h"

int
dmd_rejects_open(struct dmd_rejects *r, const char *path)
{
	memset(r, 0, sizeof(*r));
	r->path = path;
	if (path != NULL && (r->fp = fopen(path, "a")) == NULL)
		return -1;
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
	if (r->fp != NULL && fclose(r->fp) != 0) {
		warn("%s", r->path);
		rv = -1;
	}
	r->fp = NULL;
	return rv;
}
