/*
 * rejects.h - what becomes of input lines the parser rejects: each
 * reason on stderr as "SOURCE:LINE: REASON" (the first
 * DMD_REJECTS_SHOWN of them), the line itself appended to a rejects file
 * if one was asked for, and a count for the exit status.  Shared by the
 * programs that read points (dmd-ingest, dmd-stream put).
 */
#ifndef DMD_REJECTS_H
#define DMD_REJECTS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "parse.h"

#define DMD_REJECTS_SHOWN	100

struct dmd_rejects {
	FILE		*fp;		/* the rejects file, or NULL */
	const char	*path;
	uint64_t	 n;		/* points and lines rejected */
	uint64_t	 shown;
	int		 err;		/* errno of the first failed write */
};

/* Start counting; with path, append rejected lines there (opened now:
 * -1 with errno set if it cannot be). */
int dmd_rejects_open(struct dmd_rejects *r, const char *path);

/* The rejects of parser p's last line, line number lineno of src. */
void dmd_rejects_line(struct dmd_rejects *r, const struct dmd_parser *p,
    const char *src, uint64_t lineno, const char *line, size_t len);

/* A line rejected whole, not by the parser. */
void dmd_rejects_one(struct dmd_rejects *r, const char *src,
    uint64_t lineno, const char *reason);

/* Say how many were not shown, close the file.  0, or -1 with a warning
 * printed if the file could not be written. */
int dmd_rejects_close(struct dmd_rejects *r);

#endif
