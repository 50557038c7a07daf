/*
 * fsutil.c - small file helpers of the file:// backends (fsutil.h).
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"
#include "prog.h"
#include "xmalloc.h"

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

ssize_t
dmd_pread_all(int fd, void *p, size_t len, off_t off)
{
	size_t got = 0;
	ssize_t r;

	while (got < len) {
		r = pread(fd, (char *)p + got, len - got, off + (off_t)got);
		if (r == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

int
dmd_datasync(int fd)
{
	while (fdatasync(fd) == -1)
		if (errno != EINTR)
			return -1;
	return 0;
}

int
dmd_sync_dir(const char *path)
{
	int fd, rv = 0, e;

	if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	/* EINVAL: a file system that cannot sync a directory (and has
	 * nothing to sync) */
	while (fsync(fd) == -1 && errno != EINVAL)
		if (errno != EINTR) {
			rv = -1;
			break;
		}
	e = errno;
	close(fd);
	errno = e;
	return rv;
}

int
dmd_write_marker(const char *path, const char *tmp, const char *text,
    const char **failed)
{
	int fd, rv, e;

	*failed = tmp;
	(void)unlink(tmp);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC |
	    O_NOFOLLOW, 0666)) == -1)
		return -1;
	rv = dmd_write_all(fd, (const unsigned char *)text, strlen(text));
	if (rv == 0)
		rv = dmd_datasync(fd);
	e = errno;
	close(fd);
	/* link(2), not rename(2): of two first writers, the first wins and
	 * both then read what it wrote */
	if (rv == 0 && link(tmp, path) == -1 && errno != EEXIST) {
		rv = -1;
		e = errno;
		*failed = path;
	}
	(void)unlink(tmp);
	errno = e;
	return rv;
}

void
dmd_clean_tmp(const char *dir, const char *base)
{
	char path[4096];
	struct dirent *de;
	const char *rest;
	DIR *d;
	long pid;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] != '.' ||
		    (pid = dmd_local_pid(de->d_name + 1, '.', '.')) == 0 ||
		    pid == (long)getpid() || !dmd_pid_gone(pid))
			continue;
		rest = strchr(de->d_name + 1 + strlen(dmd_hostname()) + 1, '.');
		if (rest == NULL || strcmp(rest + 1, base) != 0)
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) <
		    (int)sizeof(path))
			(void)unlink(path);
	}
	closedir(d);
}

int
dmd_replace_open(struct dmd_replace *r, const char *path)
{
	char *d = xstrdup(path), *b = xstrdup(path), *dir, *base;
	struct stat st;
	size_t len;
	int fd, e;

	memset(r, 0, sizeof(*r));
	r->path = xstrdup(path);
	dir = dirname(d);
	base = basename(b);
	dmd_clean_tmp(dir, base);
	len = strlen(dir) + strlen(dmd_hostname()) + strlen(base) + 32;
	r->tmp = xmalloc(len);
	snprintf(r->tmp, len, "%s/.%s.%ld.%s", dir, dmd_hostname(),
	    (long)getpid(), base);
	free(d);
	free(b);
	/* a new file, never one planted at the name: a link (symbolic or
	 * hard) there would be written through */
	(void)unlink(r->tmp);
	if ((fd = open(r->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC |
	    O_NOFOLLOW, 0666)) == -1)
		return -1;
	if (stat(path, &st) == 0)
		(void)fchmod(fd, st.st_mode & 07777);
	if ((r->fp = fdopen(fd, "w")) == NULL) {
		e = errno;
		close(fd);
		(void)unlink(r->tmp);
		errno = e;
		return -1;
	}
	return 0;
}

static void
replace_free(struct dmd_replace *r)
{
	free(r->path);
	free(r->tmp);
	r->path = r->tmp = NULL;
	r->fp = NULL;
}

int
dmd_replace_commit(struct dmd_replace *r, const char **what)
{
	char *d;
	int e = 0;

	*what = r->tmp;
	if (fflush(r->fp) != 0 || ferror(r->fp) || fsync(fileno(r->fp)) != 0)
		e = errno ? errno : EIO;
	if (fclose(r->fp) != 0 && e == 0)
		e = errno;
	if (e == 0 && rename(r->tmp, r->path) != 0) {
		e = errno;
		*what = r->path;
	}
	if (e != 0) {
		/* *what points into r: dmd_replace_abort() frees it */
		(void)unlink(r->tmp);
		r->fp = NULL;
		errno = e;
		return -1;
	}
	/* the rename itself outlives a crash, or the caller hears of it
	 * (the new file is in place, maybe not durably) */
	d = xstrdup(r->path);
	if (dmd_sync_dir(dirname(d)) != 0) {
		e = errno;
		free(d);
		*what = r->path;
		r->fp = NULL;
		errno = e;
		return -1;
	}
	free(d);
	replace_free(r);
	return 0;
}

void
dmd_replace_abort(struct dmd_replace *r)
{
	if (r->fp != NULL)
		fclose(r->fp);
	if (r->tmp != NULL)
		(void)unlink(r->tmp);
	replace_free(r);
}
