/*
 * fsutil.h - small file helpers of the file:// backends.
 */
#ifndef DMD_FSUTIL_H
#define DMD_FSUTIL_H

#include <sys/types.h>

#include <stddef.h>
#include <stdio.h>

/* Write all len bytes of p to fd (retrying short writes and EINTR).
 * Returns 0, or -1 with errno set. */
int dmd_write_all(int fd, const unsigned char *p, size_t len);

/* Read len bytes of fd at off into p (retrying short reads and EINTR).
 * Returns the bytes read, fewer only at the end of the file, or -1 with
 * errno set. */
ssize_t dmd_pread_all(int fd, void *p, size_t len, off_t off);

/* fdatasync(), again after EINTR.  0, or -1 with errno set. */
int dmd_datasync(int fd);

/* Sync directory path, so the names made or removed in it outlive a
 * crash.  Returns 0, or -1 with errno set. */
int dmd_sync_dir(const char *path);

/* Create the small file path holding text, whole or not at all: written
 * to tmp (a name on the same file system, best in a directory of temp
 * files that runs of this host clean of dead writers' files), synced
 * and linked to path; the caller then syncs path's directory.  A writer
 * killed at any moment leaves no path or all of it (and perhaps tmp, to
 * clean).  If path appeared meanwhile, it is left as it is: the first
 * writer wins.  0, or -1 with errno set, tmp removed and *failed naming
 * the file of the step that failed (tmp or path). */
int dmd_write_marker(const char *path, const char *tmp, const char *text,
    const char **failed);

/* Remove the temp files DIR/.HOST.PID.BASE that runs of this host left
 * when they died (killed by cron's timeout, say). */
void dmd_clean_tmp(const char *dir, const char *base);

/* A file replaced whole: written to a temp file beside it, synced and
 * renamed over it, so a reader sees the old file or the new one, never
 * part of one, and a writer that fails or dies leaves the old one.  The
 * temp file is DIR/.HOST.PID.NAME; opening removes those that runs of
 * this host left when they died.  The new file keeps the old one's
 * mode. */
struct dmd_replace {
	FILE		*fp;		/* write the new content here */
	char		*path;
	char		*tmp;
};

/* Start replacing path.  Returns 0, or -1 with errno set (the temp file
 * could not be made; r->tmp names it until dmd_replace_abort(r)). */
int dmd_replace_open(struct dmd_replace *r, const char *path);

/* Flush, sync, rename into place and sync the directory.  Returns 0,
 * or -1 with errno set, *what naming the file of the step that failed
 * (it points into r: call dmd_replace_abort(r) once done with it); the
 * temp file is removed either way. */
int dmd_replace_commit(struct dmd_replace *r, const char **what);

/* Give up: remove the temp file, keep the old file. */
void dmd_replace_abort(struct dmd_replace *r);

#endif
