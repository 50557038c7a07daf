/*
 * archive_file.c - the archive tier in a directory: file://DIR.
 *
 *   DIR/KEY            an object (KEY's '/' are directories)
 *   DIR/tmp/HOST.PID   an object being written
 *   DIR/lock           flock(2)ed by the one writer
 *   DIR/dmd-archive    marks the directory as an archive
 *
 * A put writes the temp file, fsyncs it, renames it into place and
 * fsyncs the directory: a crash leaves the old object or the new one.
 * Keys are checked (dmd_archive_key_ok()), so no key leaves DIR.
 */
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "archive.h"
#include "archive_file.h"
#include "clock.h"
#include "fsutil.h"
#include "prog.h"
#include "xmalloc.h"

#define MARKER_TEXT	"diamond archive, file layout 1\n"

struct file_archive {
	struct dmd_archive base;
	char		 dir[DMD_URL_MAX];
	int		 lockfd;
	int		 ready;
	int		 getfd;		/* the object last read */
	char		 getkey[DMD_KEY_MAX];
};

static void __attribute__((format(printf, 3, 4)))
fmt(char *buf, size_t sz, const char *f, ...)
{
	va_list ap;

	va_start(ap, f);
	(void)vsnprintf(buf, sz, f, ap);
	va_end(ap);
}

static int
seterr(struct file_archive *fa, const char *what, const char *path)
{
	int e = errno;

	fa->base.err = DMD_ERR_IO;
	fmt(fa->base.errstr, sizeof(fa->base.errstr), "%s %s: %s", what,
	    path, strerror(e));
	dmd_cache_stats_error(&fa->base.stats);
	errno = e;
	return -1;
}

static int
badkey(struct file_archive *fa, const char *key)
{
	fa->base.err = DMD_ERR_CONFIG;
	fmt(fa->base.errstr, sizeof(fa->base.errstr), "bad object key \"%.64s\"",
	    key);
	return -1;
}

static void
account(struct file_archive *fa, double t0)
{
	dmd_cache_stats_count(&fa->base.stats, 1, dmd_mono_seconds() - t0);
}

static int
sync_dir(struct file_archive *fa, const char *path)
{
	if (dmd_sync_dir(path) != 0)
		return seterr(fa, "cannot sync", path);
	return 0;
}

static int
mkdir_one(struct file_archive *fa, const char *path)
{
	char parent[PATH_MAX], *slash;

	if (mkdir(path, 0777) == 0) {
		fmt(parent, sizeof(parent), "%s", path);
		if ((slash = strrchr(parent, '/')) != NULL && slash != parent) {
			*slash = '\0';
			return sync_dir(fa, parent);
		}
		return 0;
	}
	return errno == EEXIST ? 0 : seterr(fa, "cannot create", path);
}

/* Create DIR, DIR/tmp and the marker; remove temp files of dead writers
 * of this host. */
static int
make_ready(struct file_archive *fa)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	const char *failed;
	struct dirent *de;
	DIR *d;
	long pid;

	if (fa->ready)
		return 0;
	if (mkdir_one(fa, fa->dir) != 0)
		return -1;
	fmt(path, sizeof(path), "%s/tmp", fa->dir);
	if (mkdir_one(fa, path) != 0)
		return -1;
	fmt(path, sizeof(path), "%s/dmd-archive", fa->dir);
	/* the temp name of this run's objects, not in use yet */
	fmt(tmp, sizeof(tmp), "%s/tmp/%s.%ld", fa->dir, dmd_hostname(),
	    (long)getpid());
	if (access(path, F_OK) != 0) {
		if (dmd_write_marker(path, tmp, MARKER_TEXT, &failed) != 0)
			return seterr(fa, "cannot write", failed);
		if (dmd_sync_dir(fa->dir) != 0)
			return seterr(fa, "cannot sync", fa->dir);
	}
	fmt(path, sizeof(path), "%s/tmp", fa->dir);
	if ((d = opendir(path)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			/* HOST.PID, ours (from a run before) or a dead one */
			pid = dmd_local_pid(de->d_name, '.', '\0');
			if (pid == 0 || (pid != (long)getpid() &&
			    !dmd_pid_gone(pid)))
				continue;
			fmt(path, sizeof(path), "%s/tmp/%s", fa->dir,
			    de->d_name);
			(void)unlink(path);
		}
		closedir(d);
	}
	fa->ready = 1;
	return 0;
}

/* Close the kept descriptor of key: it is about to change. */
static void
forget(struct file_archive *fa, const char *key)
{
	if (fa->getfd != -1 && strcmp(fa->getkey, key) == 0) {
		close(fa->getfd);
		fa->getfd = -1;
	}
}

static int
file_put(struct dmd_archive *a, const char *key, const unsigned char *data,
    size_t len)
{
	struct file_archive *fa = (struct file_archive *)a;
	char tmp[PATH_MAX], path[PATH_MAX], *slash;
	int fd, rv = -1;
	double t0 = dmd_mono_seconds();

	if (!dmd_archive_key_ok(key))
		return badkey(fa, key);
	if (make_ready(fa) != 0)
		return -1;
	forget(fa, key);
	fmt(path, sizeof(path), "%s/%s", fa->dir, key);
	for (slash = path + strlen(fa->dir) + 1;
	    (slash = strchr(slash, '/')) != NULL; slash++) {
		*slash = '\0';
		if (mkdir_one(fa, path) != 0)
			return -1;
		*slash = '/';
	}
	fmt(tmp, sizeof(tmp), "%s/tmp/%s.%ld", fa->dir, dmd_hostname(),
	    (long)getpid());
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0666)) == -1)
		return seterr(fa, "cannot create", tmp);
	if (dmd_write_all(fd, data, len) != 0 || fsync(fd) != 0) {
		seterr(fa, "cannot write", tmp);
		close(fd);
		goto out;
	}
	if (close(fd) != 0) {
		seterr(fa, "cannot write", tmp);
		goto out;
	}
	if (rename(tmp, path) != 0) {
		seterr(fa, "cannot rename to", path);
		goto out;
	}
	*strrchr(path, '/') = '\0';
	rv = sync_dir(fa, path);
out:
	if (rv != 0)
		(void)unlink(tmp);
	account(fa, t0);
	return rv;
}

static int
file_get(struct dmd_archive *a, const char *key, uint64_t off, size_t len,
    unsigned char *buf, size_t *got)
{
	struct file_archive *fa = (struct file_archive *)a;
	char path[PATH_MAX];
	ssize_t r;
	size_t n = 0;
	int fd;
	double t0 = dmd_mono_seconds();

	*got = 0;
	if (!dmd_archive_key_ok(key))
		return badkey(fa, key);
	fmt(path, sizeof(path), "%s/%s", fa->dir, key);
	/* a reader asks for an object's index, then its blocks: keep the
	 * last object open (a file, unlike an S3 object, stays readable
	 * after it is deleted; a reader that sees the old object reads it
	 * whole, which is what it listed) */
	if (fa->getfd != -1 && strcmp(fa->getkey, key) == 0)
		fd = fa->getfd;
	else {
		if (fa->getfd != -1)
			close(fa->getfd);
		fa->getfd = -1;
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
			if (errno != ENOENT)
				return seterr(fa, "cannot open", path);
			/* an answer, not a failure: no such object */
			fa->base.err = DMD_ERR_GONE;
			fmt(fa->base.errstr, sizeof(fa->base.errstr),
			    "no object %s", path);
			account(fa, t0);
			return -1;
		}
		fa->getfd = fd;
		fmt(fa->getkey, sizeof(fa->getkey), "%s", key);
	}
	if ((r = dmd_pread_all(fd, buf, len, (off_t)off)) == -1)
		return seterr(fa, "cannot read", path);
	n = (size_t)r;
	*got = n;
	fa->base.bytes_read += n;
	account(fa, t0);
	return 0;
}

struct entry {
	char	*name;
	uint64_t size;
};

static int
cmpentry(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->name,
	    ((const struct entry *)b)->name);
}

static int
file_list(struct dmd_archive *a, const char *prefix, dmd_object_cb *cb,
    void *arg)
{
	struct file_archive *fa = (struct file_archive *)a;
	char dir[PATH_MAX], path[PATH_MAX], key[PATH_MAX];
	const char *slash = strrchr(prefix, '/'), *np;
	struct entry *v = NULL;
	size_t n = 0, cap = 0, i, dlen;
	struct dirent *de;
	struct stat st;
	DIR *d;
	int rv = 0;
	double t0 = dmd_mono_seconds();

	/* the directory part of the prefix, and the name part */
	dlen = slash != NULL ? (size_t)(slash - prefix) : 0;
	np = slash != NULL ? slash + 1 : prefix;
	fmt(dir, sizeof(dir), "%s%s%.*s", fa->dir, dlen ? "/" : "", (int)dlen,
	    prefix);
	if (dlen > 0) {
		fmt(key, sizeof(key), "%.*s", (int)dlen, prefix);
		if (!dmd_archive_key_ok(key))
			return 0;
	}
	if ((d = opendir(dir)) == NULL) {
		account(fa, t0);
		return errno == ENOENT ? 0 : seterr(fa, "cannot open", dir);
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || strncmp(de->d_name, np,
		    strlen(np)) != 0)
			continue;
		if (dlen == 0 && (strcmp(de->d_name, "tmp") == 0 ||
		    strcmp(de->d_name, "lock") == 0 ||
		    strcmp(de->d_name, "dmd-archive") == 0))
			continue;
		fmt(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
			continue;	/* directories: not objects */
		v = xgrow(v, &cap, n + 1, sizeof(*v));
		fmt(key, sizeof(key), "%.*s%s%s", (int)dlen, prefix,
		    dlen ? "/" : "", de->d_name);
		v[n].name = xstrdup(key);
		v[n++].size = (uint64_t)st.st_size;
	}
	closedir(d);
	account(fa, t0);
	if (n > 0)
		qsort(v, n, sizeof(*v), cmpentry);
	for (i = 0; i < n; i++) {
		if (rv == 0 && cb(arg, v[i].name, v[i].size) != 0)
			rv = 1;
		free(v[i].name);
	}
	free(v);
	return 0;
}

static int
file_del(struct dmd_archive *a, const char *key)
{
	struct file_archive *fa = (struct file_archive *)a;
	char path[PATH_MAX];
	int rv;
	double t0 = dmd_mono_seconds();

	if (!dmd_archive_key_ok(key))
		return badkey(fa, key);
	forget(fa, key);
	fmt(path, sizeof(path), "%s/%s", fa->dir, key);
	if (unlink(path) != 0) {
		account(fa, t0);
		return errno == ENOENT ? 0 : seterr(fa, "cannot remove", path);
	}
	*strrchr(path, '/') = '\0';
	rv = sync_dir(fa, path);
	account(fa, t0);
	return rv;
}

static int
file_lock(struct dmd_archive *a)
{
	struct file_archive *fa = (struct file_archive *)a;
	char path[PATH_MAX];

	if (fa->lockfd != -1)
		return 0;
	if (make_ready(fa) != 0)
		return -1;
	fmt(path, sizeof(path), "%s/lock", fa->dir);
	if ((fa->lockfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0666)) == -1)
		return seterr(fa, "cannot open", path);
	if (flock(fa->lockfd, LOCK_EX | LOCK_NB) != 0) {
		int busy = errno == EWOULDBLOCK;

		if (!busy)
			seterr(fa, "cannot lock", path);
		close(fa->lockfd);
		fa->lockfd = -1;
		return busy ? 1 : -1;
	}
	return 0;
}

static void
file_close(struct dmd_archive *a)
{
	struct file_archive *fa = (struct file_archive *)a;

	if (fa->lockfd != -1)
		close(fa->lockfd);
	if (fa->getfd != -1)
		close(fa->getfd);
	free(fa);
}

static const struct dmd_archive_ops file_ops = {
	file_put, file_get, file_list, file_del, file_lock, file_close
};

struct dmd_archive *
dmd_archive_file_open(const struct dmd_url *u, char *err, size_t errlen)
{
	struct file_archive *fa;

	if (u->query[0] != '\0') {
		snprintf(err, errlen, "file URL takes no parameters");
		return NULL;
	}
	fa = xcalloc(1, sizeof(*fa));
	fa->base.ops = &file_ops;
	fa->lockfd = -1;
	fa->getfd = -1;
	if (dmd_url_dir(u, fa->dir, sizeof(fa->dir), DMD_KEY_MAX + 64, err,
	    errlen) != 0) {
		free(fa);
		return NULL;
	}
	return &fa->base;
}
