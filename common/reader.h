/*
 * reader.h - lines from a file descriptor, in large blocks.
 *
 * The reader hands out lines without their newline from an internal
 * buffer (no copy), strips a UTF-8 byte order mark at the start of the
 * input, and bounds memory: a line longer than DMD_LINE_MAX is handed out
 * truncated to DMD_LINE_MAX + 2 bytes (so the parser rejects it even
 * after dropping a CR) and the
 * rest of it is skipped.  With a deadline it returns early when no
 * complete line has arrived by then, so a caller can flush work on time
 * while input trickles; it also returns early when a signal interrupts
 * a read, so the caller can look at its flags.
 */
#ifndef DMD_READER_H
#define DMD_READER_H

#include <stddef.h>
#include <stdint.h>

#include "parse.h"

enum {
	DMD_READ_ERROR = -1,	/* read(2) failed; errno kept in r->err */
	DMD_READ_EOF = 0,	/* no more lines */
	DMD_READ_LINE = 1,	/* *line, *len set */
	DMD_READ_TIMEOUT = 2	/* deadline passed, or a signal arrived */
};

struct dmd_reader {
	int		 fd;
	int		 err;		/* errno of a failed read */
	uint64_t	 lineno;	/* number of the line last returned */
	/* private */
	char		*buf;
	size_t		 cap, start, end;
	int		 eof, skipping, atstart;
};

/* Start reading fd (not closed by the reader).  Release with
 * dmd_reader_release(). */
void dmd_reader_init(struct dmd_reader *r, int fd);

/* The same with a buffer of size bytes (at least DMD_READER_MIN, so a
 * whole line fits), for many small inputs at once: the buffer bounds
 * the reader's memory.  With a non-blocking fd, dmd_reader_next()
 * returns DMD_READ_TIMEOUT when no complete line is buffered and the fd
 * has nothing more to read. */
#define DMD_READER_MIN	(DMD_LINE_MAX + 4096)
void dmd_reader_init_size(struct dmd_reader *r, int fd, size_t size);

/* Bytes read but not handed out: a line without its newline yet. */
size_t dmd_reader_pending(const struct dmd_reader *r);

/* Free the buffer.  Accepts NULL. */
void dmd_reader_release(struct dmd_reader *r);

/* Next line.  deadline_ms < 0 blocks; otherwise it is a dmd_mono_ms()
 * time after which no more waiting for input is done.  The line stays
 * valid until the next call. */
int dmd_reader_next(struct dmd_reader *r, int64_t deadline_ms,
    const char **line, size_t *len);

/* The inputs of a filter: call fn(arg, fd, name) for each file named in
 * the argc names of argv, where "-" (and no names at all) is standard
 * input, named "stdin".  A file that cannot be opened is warned of, sets
 * *ioerr and is passed over, as cat(1) does.  Returns 0 when every input
 * was read, or -1 as soon as fn returns non-zero (points can no longer
 * be stored) or *stop is set (a signal: the rest is not read). */
int dmd_each_input(int argc, char *const *argv,
    int (*fn)(void *arg, int fd, const char *name), void *arg, int *ioerr,
    volatile int *stop);

#endif
