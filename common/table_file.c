/*
 * table_file.c - the table tier in a directory: file://DIR.
 *
 * One file per item, so a chunk is replaced or removed on its own and a
 * directory listing is the index:
 *
 *   DIR/HH/HOST/NAME/FIRST_LAST_SEQ   one chunk: the codec's bytes only
 *   DIR/tmp/HOST.PID.N                 a chunk being written
 *   DIR/dmd-table                      marks the directory as a table
 *
 * HOST stands for the first dot-separated component of the name (all of
 * it without a dot) and HH for its hash modulo 256 in hex.  So the series
 * of one host share a directory, and a pattern whose first component is
 * literal ("web01.*.*") lists one directory, not every name; and 100,000
 * series make 256 directories of a few hundred entries, not one of
 * 100,000.  Names are checked by dmd_name_check() ([A-Za-z0-9._:-]);
 * a leading '.' of a directory name becomes '%', which no name holds,
 * and the empty HOST of a name starting with '.' is "%": so no name
 * escapes DIR or meets another, and none grows past 255 bytes.
 * FIRST and LAST are decimal Unix seconds and SEQ 16 hex digits: a
 * reader skips chunks outside its range by name alone.
 *
 * A put writes every chunk to a temp file, syncs, renames each into
 * place, and syncs the directories: a crash leaves whole chunks or none,
 * and temp files of dead writers, which the next put of this host
 * removes.  On Linux one syncfs(2) covers a whole batch; elsewhere each
 * file and directory is fsync'd.
 */
#define _GNU_SOURCE	/* syncfs */
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "batch.h"
#include "cache_redis.h"
#include "clock.h"
#include "fsutil.h"
#include "prog.h"
#include "table.h"
#include "table_file.h"
#include "xmalloc.h"

#define DIRS		256
#define PUT_THREADS	4	/* threads of a put, at most */
#define PUT_PER_THREAD	64	/* chunks that pay for a thread */
#define MARKER		"dmd-table"
#define MARKER_TEXT	"diamond table, file layout 1\n"

struct file_table {
	struct dmd_table base;
	char		 dir[DMD_URL_MAX];
	int		 ready;		/* DIR, tmp and marker exist */
	unsigned long	 tmpseq;
	unsigned char	*buf;		/* a chunk read by get */
	size_t		 bufcap;
	char		**tmps;		/* temp paths of a put */
	size_t		 tmpcap;
	char		**dirs;		/* directories a put touched */
	size_t		 ndirs, dircap;
	pthread_mutex_t	 mu;		/* of a put's threads */
	int		 put_failed;
};

/* snprintf that truncates quietly: every path here is bounded by the
 * checks in dmd_table_file_open() and dmd_name_check(). */
static void __attribute__((format(printf, 3, 4)))
fmt(char *buf, size_t sz, const char *f, ...)
{
	va_list ap;

	va_start(ap, f);
	(void)vsnprintf(buf, sz, f, ap);
	va_end(ap);
}

static int
seterr(struct file_table *ft, const char *what, const char *path)
{
	int e = errno;

	ft->base.err = DMD_ERR_IO;
	fmt(ft->base.errstr, sizeof(ft->base.errstr), "%s %s: %s",
	    what, path, strerror(e));
	dmd_cache_stats_error(&ft->base.stats);
	errno = e;
	return -1;
}

static void
account(struct file_table *ft, double t0, size_t ncmd)
{
	dmd_cache_stats_count(&ft->base.stats, ncmd, dmd_mono_seconds() - t0);
}

/* A host or series name as a directory name: a leading '.' becomes '%',
 * which no name holds, and the empty host (of names that start with '.')
 * is "%".  One to one, never longer, never "." or "..". */
static void
dirname_of(char *out, const char *s, size_t len)
{
	memcpy(out, s, len);
	out[len] = '\0';
	if (len == 0) {
		out[0] = '%';
		out[1] = '\0';
	} else if (out[0] == '.')
		out[0] = '%';
}

/* DIR/HH/HOST of a first component of len bytes into out (PATH_MAX).
 * -1 for one no name can have. */
static int
host_dir(struct file_table *ft, const char *first, size_t len, char *out)
{
	char host[DMD_NAME_MAX + 2];

	if (len > DMD_NAME_MAX || memchr(first, '.', len) != NULL)
		return -1;
	dirname_of(host, first, len);
	fmt(out, PATH_MAX, "%s/%02x/%s", ft->dir,
	    (unsigned)(dmd_name_hash(first, len) % DIRS), host);
	return 0;
}

/* DIR/HH/HOST/NAME of a series into out (PATH_MAX bytes).  -1 for a name
 * that is not a valid point name: it never becomes a path. */
static int
series_dir(struct file_table *ft, const char *name, char *out)
{
	char why[DMD_REASON_MAX], host[PATH_MAX], dir[DMD_NAME_MAX + 2];
	size_t len = strlen(name);

	if (dmd_name_check(name, len, why) != 0) {
		ft->base.err = DMD_ERR_CONFIG;
		fmt(ft->base.errstr, sizeof(ft->base.errstr),
		    "bad series name: %s", why);
		return -1;
	}
	host_dir(ft, name, dmd_name_first(name, len), host);
	dirname_of(dir, name, len);
	fmt(out, PATH_MAX, "%s/%s", host, dir);
	return 0;
}

static void
chunk_file(char *out, size_t outsz, const char *dir, const struct dmd_chunk *c)
{
	fmt(out, outsz, "%s/%" PRId64 "_%" PRId64 "_%016" PRIx64, dir,
	    c->first, c->last, c->seq);
}

/* A canonical decimal: "0" or no leading zero, at most 19 digits. */
static int
parse_dec(const char *s, size_t len, int64_t *v)
{
	size_t i;

	if (len == 0 || len > 19 || (s[0] == '0' && len > 1))
		return -1;
	*v = 0;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		*v = *v * 10 + (s[i] - '0');
	}
	return 0;
}

/* Parse FIRST_LAST_SEQ exactly as chunk_file() writes it (SEQ 16 lower
 * case hex digits).  Returns 0, or -1 for anything else. */
static int
parse_chunk_file(const char *s, struct dmd_chunk *c)
{
	const char *u1 = strchr(s, '_'), *u2;
	size_t i;
	int x;

	if (u1 == NULL || (u2 = strchr(u1 + 1, '_')) == NULL ||
	    strlen(u2 + 1) != 16 ||
	    parse_dec(s, (size_t)(u1 - s), &c->first) != 0 ||
	    parse_dec(u1 + 1, (size_t)(u2 - u1 - 1), &c->last) != 0 ||
	    c->last < c->first)
		return -1;
	c->seq = 0;
	for (i = 1; i <= 16; i++) {
		x = u2[i];
		if (x >= '0' && x <= '9')
			x -= '0';
		else if (x >= 'a' && x <= 'f')
			x -= 'a' - 10;
		else
			return -1;
		c->seq = c->seq << 4 | (uint64_t)x;
	}
	return 0;
}

static int
sync_path(struct file_table *ft, const char *path)
{
	int fd;

	if ((fd = open(path, O_RDONLY | O_DIRECTORY)) == -1)
		return seterr(ft, "cannot open", path);
	if (fsync(fd) == -1) {
		seterr(ft, "cannot sync", path);
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

static int
mkdir_p1(struct file_table *ft, const char *path, int *made)
{
	*made = 0;
	if (mkdir(path, 0777) == 0) {
		*made = 1;
		return 0;
	}
	if (errno == EEXIST)
		return 0;
	return seterr(ft, "cannot create", path);
}

/* Note a directory whose entries changed, to be synced (put threads
 * call this at once).  On Linux syncfs(2) covers them all. */
static void
note_dir(struct file_table *ft, const char *dir)
{
#ifdef __linux__
	(void)ft;
	(void)dir;
#else
	size_t i;

	pthread_mutex_lock(&ft->mu);
	for (i = ft->ndirs; i-- > 0; )
		if (strcmp(ft->dirs[i], dir) == 0)
			break;
	if (i == (size_t)-1) {
		ft->dirs = xgrow(ft->dirs, &ft->dircap, ft->ndirs + 1,
		    sizeof(*ft->dirs));
		ft->dirs[ft->ndirs++] = xstrdup(dir);
	}
	pthread_mutex_unlock(&ft->mu);
#endif
}

static void
clear_dirs(struct file_table *ft)
{
	while (ft->ndirs > 0)
		free(ft->dirs[--ft->ndirs]);
}

/* Remove temp files that writers of this host left when they died. */
static void
clean_tmp(struct file_table *ft)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d;
	long pid;

	fmt(path, sizeof(path), "%s/tmp", ft->dir);
	if ((d = opendir(path)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		pid = dmd_local_pid(de->d_name, '.', '.');
		if (pid == 0 || pid == (long)getpid() || !dmd_pid_gone(pid))
			continue;
		fmt(path, sizeof(path), "%s/tmp/%s", ft->dir, de->d_name);
		(void)unlink(path);
	}
	closedir(d);
}

/* Create DIR, DIR/tmp and the marker on the first put. */
static int
make_ready(struct file_table *ft)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	const char *failed;
	int made;

	if (ft->ready)
		return 0;
	if (mkdir_p1(ft, ft->dir, &made) != 0)
		return -1;
	fmt(path, sizeof(path), "%s/tmp", ft->dir);
	if (mkdir_p1(ft, path, &made) != 0)
		return -1;
	fmt(path, sizeof(path), "%s/" MARKER, ft->dir);
	fmt(tmp, sizeof(tmp), "%s/tmp/%s.%ld.marker", ft->dir, dmd_hostname(),
	    (long)getpid());
	if (access(path, F_OK) != 0) {
		if (dmd_write_marker(path, tmp, MARKER_TEXT, &failed) != 0)
			return seterr(ft, "cannot write", failed);
		if (sync_path(ft, ft->dir) != 0)
			return -1;
	}
	clean_tmp(ft);
	ft->ready = 1;
	return 0;
}

/* Create the series directory dir and the two above it as needed,
 * noting each parent whose entries changed, to be synced. */
static int
make_dirs(struct file_table *ft, char *dir)
{
	char *cut[2];
	int i, made;

	if (access(dir, F_OK) == 0)
		return 0;
	cut[1] = strrchr(dir, '/');		/* .../HH/HOST | /NAME */
	*cut[1] = '\0';
	cut[0] = strrchr(dir, '/');		/* .../HH | /HOST */
	*cut[0] = '\0';
	for (i = 0; i < 3; i++) {
		if (mkdir_p1(ft, dir, &made) != 0)
			return -1;
		if (made) {
			char *up = strrchr(dir, '/');

			*up = '\0';
			note_dir(ft, dir);
			*up = '/';
		}
		if (i < 2)
			*cut[i] = '/';
	}
	return 0;
}

/* Sync everything written so far: one syncfs(2) on Linux, else each temp
 * file (files) or each directory noted (dirs). */
static int
sync_batch(struct file_table *ft, size_t ntmp, int files)
{
	size_t i;
#ifdef __linux__
	int fd;

	(void)ntmp;
	(void)files;
	(void)i;
	if ((fd = open(ft->dir, O_RDONLY | O_DIRECTORY)) == -1)
		return seterr(ft, "cannot open", ft->dir);
	if (syncfs(fd) == -1) {
		seterr(ft, "cannot sync", ft->dir);
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
#else
	int fd;

	if (files) {
		for (i = 0; i < ntmp; i++) {
			if ((fd = open(ft->tmps[i], O_RDONLY)) == -1)
				return seterr(ft, "cannot open", ft->tmps[i]);
			if (fsync(fd) == -1) {
				seterr(ft, "cannot sync", ft->tmps[i]);
				close(fd);
				return -1;
			}
			close(fd);
		}
		return 0;
	}
	for (i = 0; i < ft->ndirs; i++)
		if (sync_path(ft, ft->dirs[i]) != 0)
			return -1;
	return 0;
#endif
}

/* One thread's share of a put: write its chunks to their temp files
 * (phase 0), or rename them into place (phase 1). */
struct put_job {
	struct file_table *ft;
	const struct dmd_chunk *c;
	size_t		 lo, hi;
	int		 phase;
	int		 failed;
};

static void
put_fail(struct put_job *j, const char *what, const char *path)
{
	int e = errno;

	pthread_mutex_lock(&j->ft->mu);
	if (!j->ft->put_failed) {
		errno = e;
		seterr(j->ft, what, path);
	}
	j->ft->put_failed = 1;
	pthread_mutex_unlock(&j->ft->mu);
	j->failed = 1;
}

static void *
put_worker(void *arg)
{
	struct put_job *j = arg;
	struct file_table *ft = j->ft;
	char dir[PATH_MAX], path[PATH_MAX];
	size_t i;
	int fd;

	for (i = j->lo; i < j->hi && !ft->put_failed; i++) {
		if (j->phase == 0) {
			/* no O_EXCL: a file of this name can only be left
			 * by an earlier process that had our PID */
			fd = open(ft->tmps[i], O_WRONLY | O_CREAT | O_TRUNC |
			    O_CLOEXEC, 0666);
			if (fd == -1) {
				put_fail(j, "cannot create", ft->tmps[i]);
				break;
			}
			if (dmd_write_all(fd, j->c[i].data, j->c[i].len) != 0 ||
			    close(fd) != 0) {
				put_fail(j, "cannot write", ft->tmps[i]);
				break;
			}
			continue;
		}
		series_dir(ft, j->c[i].name, dir);
		if (make_dirs(ft, dir) != 0) {
			put_fail(j, "cannot create", dir);
			break;
		}
		note_dir(ft, dir);
		chunk_file(path, sizeof(path), dir, &j->c[i]);
		if (rename(ft->tmps[i], path) != 0) {
			put_fail(j, "cannot rename to", path);
			break;
		}
		free(ft->tmps[i]);
		ft->tmps[i] = NULL;
	}
	return NULL;
}

/* Run a phase of a put over n chunks, in up to PUT_THREADS threads:
 * creating files costs more kernel time than anything else here. */
static int
put_phase(struct file_table *ft, const struct dmd_chunk *c, size_t n,
    int phase)
{
	struct put_job jobs[PUT_THREADS];
	pthread_t tid[PUT_THREADS];
	size_t per;
	int k, nt, started = 0, rv = 0;

	nt = (int)((n + PUT_PER_THREAD - 1) / PUT_PER_THREAD);
	if (nt > PUT_THREADS)
		nt = PUT_THREADS;
	per = (n + nt - 1) / nt;
	for (k = 0; k < nt; k++) {
		jobs[k].ft = ft;
		jobs[k].c = c;
		jobs[k].lo = (size_t)k * per < n ? (size_t)k * per : n;
		jobs[k].hi = jobs[k].lo + per < n ? jobs[k].lo + per : n;
		jobs[k].phase = phase;
		jobs[k].failed = 0;
	}
	for (k = 1; k < nt; k++) {
		if (pthread_create(&tid[k], NULL, put_worker, &jobs[k]) != 0)
			break;
		started++;
	}
	/* what no thread took, this one does */
	if (started < nt - 1)
		jobs[0].hi = jobs[started].hi;
	put_worker(&jobs[0]);
	for (k = 1; k <= started; k++)
		pthread_join(tid[k], NULL);
	for (k = 0; k <= started; k++)
		rv |= jobs[k].failed;
	return rv ? -1 : 0;
}

static int
file_put(struct dmd_table *t, const struct dmd_chunk *c, size_t n)
{
	struct file_table *ft = (struct file_table *)t;
	char dir[PATH_MAX], path[PATH_MAX];
	size_t i, ntmp = 0;
	int rv = -1;
	double t0 = dmd_mono_seconds();

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++)		/* every name, before any write */
		if (series_dir(ft, c[i].name, dir) != 0)
			return -1;
	if (make_ready(ft) != 0)
		return -1;
	ft->tmps = xgrow(ft->tmps, &ft->tmpcap, n, sizeof(*ft->tmps));
	clear_dirs(ft);
	ft->put_failed = 0;
	for (i = 0; i < n; i++) {
		fmt(path, sizeof(path), "%s/tmp/%s.%ld.%lu", ft->dir,
		    dmd_hostname(), (long)getpid(), ft->tmpseq++);
		ft->tmps[i] = xstrdup(path);
	}
	ntmp = n;
	if (put_phase(ft, c, n, 0) != 0 || sync_batch(ft, ntmp, 1) != 0 ||
	    put_phase(ft, c, n, 1) != 0)
		goto fail;
	ntmp = 0;
	if (sync_batch(ft, 0, 0) != 0)
		goto fail;
	rv = 0;
fail:
	for (i = 0; i < ntmp; i++) {
		if (ft->tmps[i] != NULL) {
			(void)unlink(ft->tmps[i]);
			free(ft->tmps[i]);
		}
	}
	clear_dirs(ft);
	account(ft, t0, n);
	return rv;
}

static int
read_file(struct file_table *ft, const char *path, size_t *len)
{
	struct stat st;
	ssize_t r;
	size_t off = 0;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return errno == ENOENT ? 1 : seterr(ft, "cannot open", path);
	if (fstat(fd, &st) == -1) {
		seterr(ft, "cannot stat", path);
		close(fd);
		return -1;
	}
	ft->buf = xgrow(ft->buf, &ft->bufcap, (size_t)st.st_size + 1, 1);
	while (off < (size_t)st.st_size) {
		r = read(fd, ft->buf + off, (size_t)st.st_size - off);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0) {
			seterr(ft, "cannot read", path);
			close(fd);
			return -1;
		}
		off += (size_t)r;
	}
	close(fd);
	*len = off;
	return 0;
}

static int
file_get(struct dmd_table *t, const char *name, int64_t from, int64_t until,
    dmd_chunk_cb *cb, void *arg)
{
	struct file_table *ft = (struct file_table *)t;
	char dir[PATH_MAX], path[PATH_MAX];
	struct dmd_chunk c;
	struct dirent *de;
	DIR *d;
	int rv = 0, rc;
	double t0 = dmd_mono_seconds();

	if (series_dir(ft, name, dir) != 0)
		return -1;
	if ((d = opendir(dir)) == NULL) {
		account(ft, t0, 1);
		return errno == ENOENT ? 0 : seterr(ft, "cannot open", dir);
	}
	while (rv == 0 && (de = readdir(d)) != NULL) {
		if (parse_chunk_file(de->d_name, &c) != 0 || c.first > until ||
		    c.last < from)
			continue;
		fmt(path, sizeof(path), "%s/%s", dir, de->d_name);
		if ((rc = read_file(ft, path, &c.len)) == 1)
			continue;	/* deleted meanwhile */
		if (rc != 0) {
			rv = -1;
			break;
		}
		c.name = name;
		c.data = ft->buf;
		if (cb(arg, &c) != 0)
			rv = 1;
	}
	closedir(d);
	account(ft, t0, 1);
	return rv < 0 ? -1 : 0;
}

static int
file_del(struct dmd_table *t, const struct dmd_chunk *c, size_t n)
{
	struct file_table *ft = (struct file_table *)t;
	char dir[PATH_MAX], path[PATH_MAX];
	size_t i;
	int rv = -1;
	double t0 = dmd_mono_seconds();

	clear_dirs(ft);
	for (i = 0; i < n; i++) {
		if (series_dir(ft, c[i].name, dir) != 0)
			goto done;
		chunk_file(path, sizeof(path), dir, &c[i]);
		if (unlink(path) != 0 && errno != ENOENT) {
			seterr(ft, "cannot remove", path);
			goto done;
		}
		note_dir(ft, dir);
	}
	for (i = 0; i < ft->ndirs; i++)
		if (sync_path(ft, ft->dirs[i]) != 0 && errno != ENOENT)
			goto done;
	rv = 0;
done:
	clear_dirs(ft);
	account(ft, t0, n);
	return rv;
}

/* Call cb for each series directory in the HOST directory path. */
static int
names_in(struct file_table *ft, const char *path, dmd_name_cb *cb, void *arg)
{
	char why[DMD_REASON_MAX], name[DMD_NAME_MAX + 2];
	struct dirent *de;
	DIR *d;
	int rv = 0;

	if ((d = opendir(path)) == NULL)
		return errno == ENOENT || errno == ENOTDIR ? 0 :
		    seterr(ft, "cannot open", path);
	while (rv == 0 && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;	/* ".", "..", not ours */
		snprintf(name, sizeof(name), "%s", de->d_name);
		if (name[0] == '%')
			name[0] = '.';
		if (dmd_name_check(name, strlen(name), why) != 0)
			continue;
		if (cb(arg, name, strlen(name)) != 0)
			rv = 1;
	}
	closedir(d);
	return rv;
}

static int
file_names(struct dmd_table *t, const char *first, size_t firstlen,
    dmd_name_cb *cb, void *arg)
{
	struct file_table *ft = (struct file_table *)t;
	char path[PATH_MAX], host[PATH_MAX];
	struct dirent *de;
	unsigned h;
	DIR *d;
	int rv = 0;
	double t0 = dmd_mono_seconds();

	if (first != NULL) {
		if (host_dir(ft, first, firstlen, host) != 0)
			return 0;	/* no name has that first component */
		rv = names_in(ft, host, cb, arg);
		account(ft, t0, 1);
		return rv < 0 ? -1 : 0;
	}
	for (h = 0; h < DIRS && rv == 0; h++) {
		fmt(path, sizeof(path), "%s/%02x", ft->dir, h);
		if ((d = opendir(path)) == NULL) {
			if (errno == ENOENT)
				continue;
			rv = seterr(ft, "cannot open", path);
			break;
		}
		while (rv == 0 && (de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0)
				continue;
			fmt(host, sizeof(host), "%s/%s", path, de->d_name);
			rv = names_in(ft, host, cb, arg);
		}
		closedir(d);
	}
	account(ft, t0, 1);
	return rv < 0 ? -1 : 0;
}

static void
file_close(struct dmd_table *t)
{
	struct file_table *ft = (struct file_table *)t;

	clear_dirs(ft);
	free(ft->dirs);
	free(ft->tmps);
	free(ft->buf);
	pthread_mutex_destroy(&ft->mu);
	free(ft);
}

static const struct dmd_table_ops file_ops = {
	file_put, file_get, file_del, file_names, file_close, NULL
};

struct dmd_table *
dmd_table_file_open(const struct dmd_url *u, char *err, size_t errlen)
{
	struct file_table *ft;

	if (u->query[0] != '\0') {
		snprintf(err, errlen, "file URL takes no parameters");
		return NULL;
	}
	ft = xcalloc(1, sizeof(*ft));
	ft->base.ops = &file_ops;
	pthread_mutex_init(&ft->mu, NULL);
	if (dmd_url_dir(u, ft->dir, sizeof(ft->dir), 300, err, errlen) != 0) {
		pthread_mutex_destroy(&ft->mu);
		free(ft);
		return NULL;
	}
	return &ft->base;
}
