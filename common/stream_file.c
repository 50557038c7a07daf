/*
 * stream_file.c - the intake log in a directory (file://DIR).
 *
 *   DIR/stream              "dmd-stream 1 PARTITIONS": what this is
 *   DIR/.HOST.PID.stream    it, being made by the first put
 *   DIR/pNNN/end            the partition's committed end: 8 bytes, the
 *                           offset after the last durable record; the
 *                           file writers lock (flock) while appending
 *   DIR/pNNN/OFFSET.seg     segments of the partition, named by the
 *                           offset of their first record (20 digits)
 *
 * A record is a 16-byte header - its length (4 bytes), the CRC-32 of the
 * rest (4), the time it was appended in Unix ms (8), little-endian - and
 * the bytes.  A writer, holding the lock, cuts the active segment back to
 * the committed end (a crash may have left part of a record there),
 * writes its records, syncs the segment, then writes and syncs the new
 * end: a record counts once the end covers it, and readers read only up
 * to the end, so a torn record is never read, and a reader never waits
 * for a lock.  Segments roll over at 64 MiB (or ?segment=BYTES); retention
 * removes whole segments, oldest first, by the time of their last append
 * (their mtime).  Positions are decimal offsets.
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "crc32.h"
#include "fsutil.h"
#include "numarg.h"
#include "prog.h"
#include "stream_file.h"
#include "xmalloc.h"

#define SEGMENT_MAX	(64 * 1024 * 1024)	/* default */
#define SEGMENT_MIN	(64 * 1024)
#define HEADER		16
#define PARTITIONS_MAX	1024
#define READ_BUF	(DMD_STREAM_RECORD_MAX + HEADER)

struct file_stream {
	struct dmd_stream base;
	char		 dir[PATH_MAX / 2];
	uint64_t	 segment;	/* roll over past this many bytes */
	unsigned char	*buf;		/* a record read */
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
seterr(struct file_stream *fs, int err, const char *what, const char *path)
{
	int e = errno;

	fs->base.err = err;
	if (err == DMD_ERR_IO)
		fmt(fs->base.errstr, sizeof(fs->base.errstr), "%s %s: %s",
		    what, path, strerror(e));
	else
		fmt(fs->base.errstr, sizeof(fs->base.errstr), "%s %s", what,
		    path);
	dmd_cache_stats_error(&fs->base.stats);
	errno = e;
	return -1;
}

static void
put_le(unsigned char *p, uint64_t v, int n)
{
	int i;

	for (i = 0; i < n; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t
get_le(const unsigned char *p, int n)
{
	uint64_t v = 0;
	int i;

	for (i = n - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* The segments of partition p, sorted by base offset. */
static int
segments(struct file_stream *fs, int p, uint64_t **bases, size_t *n)
{
	char dir[PATH_MAX];
	struct dirent *de;
	size_t cap = 0;
	uint64_t b;
	char *end;
	DIR *d;
	size_t i, j;

	*bases = NULL;
	*n = 0;
	fmt(dir, sizeof(dir), "%s/p%03d", fs->dir, p);
	if ((d = opendir(dir)) == NULL)
		return errno == ENOENT ? 0 : seterr(fs, DMD_ERR_IO,
		    "cannot open", dir);
	while ((de = readdir(d)) != NULL) {
		if (strlen(de->d_name) != 24 ||
		    strcmp(de->d_name + 20, ".seg") != 0)
			continue;
		b = strtoull(de->d_name, &end, 10);
		if (end != de->d_name + 20)
			continue;
		*bases = xgrow(*bases, &cap, *n + 1, sizeof(**bases));
		(*bases)[(*n)++] = b;
	}
	closedir(d);
	for (i = 1; i < *n; i++)	/* few: insertion sort */
		for (j = i; j > 0 && (*bases)[j - 1] > (*bases)[j]; j--) {
			b = (*bases)[j];
			(*bases)[j] = (*bases)[j - 1];
			(*bases)[j - 1] = b;
		}
	return 0;
}

static void
seg_path(struct file_stream *fs, int p, uint64_t base, char *out,
    size_t len)
{
	fmt(out, len, "%s/p%03d/%020" PRIu64 ".seg", fs->dir, p, base);
}

/* Write the 8 bytes of an end in place, again after EINTR. */
static int
pwrite_all(int fd, const unsigned char *b, size_t len)
{
	size_t done = 0;
	ssize_t w;

	while (done < len) {
		if ((w = pwrite(fd, b + done, len - done, (off_t)done)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		done += (size_t)w;
	}
	return 0;
}

/* The committed end of partition p, read from its open end file. */
static int
read_end(struct file_stream *fs, int fd, const char *path, uint64_t *end)
{
	unsigned char b[8];
	ssize_t r;

	r = dmd_pread_all(fd, b, sizeof(b), 0);
	if (r < 0)
		return seterr(fs, DMD_ERR_IO, "cannot read", path);
	*end = r == (ssize_t)sizeof(b) ? get_le(b, 8) : 0;
	return 0;
}

static int
open_end(struct file_stream *fs, int p, int flags, char *path, size_t len)
{
	int fd;

	fmt(path, len, "%s/p%03d/end", fs->dir, p);
	if ((fd = open(path, flags | O_NOFOLLOW | O_CLOEXEC, 0644)) < 0)
		seterr(fs, DMD_ERR_IO, "cannot open", path);
	return fd;
}

static int
file_append(struct dmd_stream *s, int p, const unsigned char *const *data,
    const size_t *len, size_t n)
{
	struct file_stream *fs = (struct file_stream *)s;
	char epath[PATH_MAX], spath[PATH_MAX], dpath[PATH_MAX];
	unsigned char hdr[HEADER], e8[8];
	uint64_t end, *bases = NULL, base;
	size_t nb = 0, i;
	struct stat st;
	int efd, sfd = -1, rv = -1, newseg;
	int64_t now = dmd_wall_ms();
	double t0 = dmd_mono_seconds();

	if ((efd = open_end(fs, p, O_RDWR | O_CREAT, epath,
	    sizeof(epath))) < 0)
		return -1;
	while (flock(efd, LOCK_EX) != 0)
		if (errno != EINTR) {
			seterr(fs, DMD_ERR_IO, "cannot lock", epath);
			goto out;
		}
	if (read_end(fs, efd, epath, &end) != 0 ||
	    segments(fs, p, &bases, &nb) != 0)
		goto out;
	base = nb > 0 ? bases[nb - 1] : 0;
	if (nb > 0 && base > end) {
		errno = 0;
		seterr(fs, DMD_ERR_DATA, "segment past the committed end in",
		    epath);
		goto out;
	}
	if (nb == 0 || end - base >= fs->segment)
		base = end;	/* a new segment */
	newseg = nb == 0 || base != bases[nb - 1];
	seg_path(fs, p, base, spath, sizeof(spath));
	if ((sfd = open(spath, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
	    0644)) < 0 ||
	    fstat(sfd, &st) != 0) {
		seterr(fs, DMD_ERR_IO, "cannot open", spath);
		goto out;
	}
	if ((uint64_t)st.st_size < end - base) {
		errno = 0;
		seterr(fs, DMD_ERR_DATA, "segment shorter than the committed "
		    "end:", spath);
		goto out;
	}
	/* what a crash left past the end was never acknowledged */
	if ((uint64_t)st.st_size > end - base &&
	    ftruncate(sfd, (off_t)(end - base)) != 0) {
		seterr(fs, DMD_ERR_IO, "cannot truncate", spath);
		goto out;
	}
	if (lseek(sfd, (off_t)(end - base), SEEK_SET) < 0) {
		seterr(fs, DMD_ERR_IO, "cannot seek", spath);
		goto out;
	}
	for (i = 0; i < n; i++) {
		uint32_t crc;

		put_le(hdr, len[i], 4);
		put_le(hdr + 8, (uint64_t)now, 8);
		crc = dmd_crc32(0, hdr + 8, 8);
		crc = dmd_crc32(crc, data[i], len[i]);
		put_le(hdr + 4, crc, 4);
		if (dmd_write_all(sfd, hdr, HEADER) != 0 ||
		    dmd_write_all(sfd, data[i], len[i]) != 0) {
			seterr(fs, DMD_ERR_IO, "cannot write", spath);
			goto out;
		}
		end += HEADER + len[i];
	}
	/* data and size, not times: fdatasync (retention's mtime of an
	 * active segment matters to no one) */
	if (dmd_datasync(sfd) != 0) {
		seterr(fs, DMD_ERR_IO, "cannot sync", spath);
		goto out;
	}
	if (newseg) {
		/* a new segment: its name must outlive a crash too */
		fmt(dpath, sizeof(dpath), "%s/p%03d", fs->dir, p);
		if (dmd_sync_dir(dpath) != 0) {
			/* the end stays: the next append cuts what this
			 * one wrote */
			seterr(fs, DMD_ERR_IO, "cannot sync", dpath);
			goto out;
		}
	}
	put_le(e8, end, 8);
	/* 8 bytes in place: no metadata to journal */
	if (pwrite_all(efd, e8, 8) != 0 || dmd_datasync(efd) != 0) {
		seterr(fs, DMD_ERR_IO, "cannot write", epath);
		goto out;
	}
	rv = 0;
out:
	if (sfd >= 0)
		close(sfd);
	close(efd);	/* and the lock */
	free(bases);
	dmd_cache_stats_count(&s->stats, n, dmd_mono_seconds() - t0);
	return rv;
}

/* The committed end of p (0 for a partition never written). */
static int
committed(struct file_stream *fs, int p, uint64_t *end)
{
	char path[PATH_MAX];
	int fd, rv;

	fmt(path, sizeof(path), "%s/p%03d/end", fs->dir, p);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		*end = 0;
		return errno == ENOENT ? 0 : seterr(fs, DMD_ERR_IO,
		    "cannot open", path);
	}
	rv = read_end(fs, fd, path, end);
	close(fd);
	return rv;
}

static int
parse_pos(struct file_stream *fs, const char *pos, uint64_t *off)
{
	char *e;

	if (pos == NULL || *pos == '\0') {
		*off = 0;
		return 0;
	}
	errno = 0;
	*off = strtoull(pos, &e, 10);
	if (*e != '\0' || errno != 0 || *pos == '-') {
		errno = 0;
		return seterr(fs, DMD_ERR_CONFIG, "bad position", pos);
	}
	return 0;
}

/* Read records of p from off up to the committed end; cb may be NULL
 * for a scan that stops at the first record at or after stop_ms
 * (stop_ms < 0: never), setting *found to its offset. */
static int
scan(struct file_stream *fs, int p, uint64_t off, int64_t stop_ms,
    dmd_record_cb *cb, void *arg, uint64_t *found)
{
	char path[PATH_MAX], next[32];
	uint64_t end, *bases = NULL, len;
	size_t nb = 0, i;
	struct dmd_record r;
	unsigned char *hdr = fs->buf;
	uint32_t crc;
	ssize_t got;
	int fd = -1, rv = 0;
	double t0 = dmd_mono_seconds();

	if (committed(fs, p, &end) != 0 || segments(fs, p, &bases, &nb) != 0)
		return -1;
	if (found != NULL)
		*found = end;
	if (nb > 0 && off < bases[0])
		off = bases[0];	/* trimmed away: from the oldest kept */
	for (i = 0; i < nb && rv == 0 && off < end; i++) {
		uint64_t base = bases[i];
		uint64_t stop = i + 1 < nb ? bases[i + 1] : end;

		if (off >= stop)
			continue;
		seg_path(fs, p, base, path, sizeof(path));
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
			if (errno == ENOENT)	/* trimmed meanwhile */
				continue;
			rv = seterr(fs, DMD_ERR_IO, "cannot open", path);
			break;
		}
		if (off < base)
			off = base;
		while (off < stop && off < end) {
			got = dmd_pread_all(fd, hdr, HEADER,
			    (off_t)(off - base));
			if (got != HEADER) {
				errno = got < 0 ? errno : 0;
				rv = seterr(fs, got < 0 ? DMD_ERR_IO :
				    DMD_ERR_DATA, "short record in", path);
				break;
			}
			len = get_le(hdr, 4);
			if (len > DMD_STREAM_RECORD_MAX ||
			    off + HEADER + len > end) {
				errno = 0;
				rv = seterr(fs, DMD_ERR_DATA, "bad record "
				    "length in", path);
				break;
			}
			r.time_ms = (int64_t)get_le(hdr + 8, 8);
			if (stop_ms >= 0 && r.time_ms >= stop_ms) {
				*found = off;
				rv = 1;
				break;
			}
			if (cb == NULL) {
				off += HEADER + len;
				continue;
			}
			got = dmd_pread_all(fd, fs->buf + HEADER, len,
			    (off_t)(off - base + HEADER));
			crc = dmd_crc32(0, hdr + 8, 8);
			crc = dmd_crc32(crc, fs->buf + HEADER, (size_t)len);
			if (got != (ssize_t)len || crc != get_le(hdr + 4, 4)) {
				errno = got < 0 ? errno : 0;
				rv = seterr(fs, got < 0 ? DMD_ERR_IO :
				    DMD_ERR_DATA, "damaged record in", path);
				break;
			}
			off += HEADER + len;
			fmt(next, sizeof(next), "%" PRIu64, off);
			r.data = fs->buf + HEADER;
			r.len = (size_t)len;
			r.next = next;
			if (cb(arg, &r) != 0) {
				rv = 1;
				break;
			}
		}
		close(fd);
	}
	free(bases);
	dmd_cache_stats_count(&fs->base.stats, 1, dmd_mono_seconds() - t0);
	return rv < 0 ? -1 : 0;
}

static int
file_read(struct dmd_stream *s, int p, const char *from, dmd_record_cb *cb,
    void *arg)
{
	struct file_stream *fs = (struct file_stream *)s;
	uint64_t off;

	if (parse_pos(fs, from, &off) != 0)
		return -1;
	return scan(fs, p, off, -1, cb, arg, NULL);
}

static int
file_oldest(struct dmd_stream *s, int p, char *pos)
{
	struct file_stream *fs = (struct file_stream *)s;
	uint64_t *bases, end;
	size_t nb;

	if (committed(fs, p, &end) != 0 || segments(fs, p, &bases, &nb) != 0)
		return -1;
	fmt(pos, DMD_STREAM_POS_MAX, "%" PRIu64, nb > 0 && bases[0] < end ?
	    bases[0] : end);
	free(bases);
	return 0;
}

static int
file_latest(struct dmd_stream *s, int p, char *pos)
{
	struct file_stream *fs = (struct file_stream *)s;
	uint64_t end;

	if (committed(fs, p, &end) != 0)
		return -1;
	fmt(pos, DMD_STREAM_POS_MAX, "%" PRIu64, end);
	return 0;
}

static int
file_at_time(struct dmd_stream *s, int p, int64_t ms, char *pos)
{
	struct file_stream *fs = (struct file_stream *)s;
	uint64_t found;

	if (scan(fs, p, 0, ms < 0 ? 0 : ms, NULL, NULL, &found) != 0)
		return -1;
	fmt(pos, DMD_STREAM_POS_MAX, "%" PRIu64, found);
	return 0;
}

static int
file_trim(struct dmd_stream *s, int64_t before_ms, uint64_t *removed)
{
	struct file_stream *fs = (struct file_stream *)s;
	char path[PATH_MAX], epath[PATH_MAX];
	uint64_t *bases;
	size_t nb, i;
	struct stat st;
	int p, efd;

	*removed = 0;
	for (p = 0; p < s->partitions; p++) {
		/* under the writers' lock: the active segment is the last
		 * one, and it is never removed */
		if ((efd = open_end(fs, p, O_RDWR | O_CREAT, epath,
		    sizeof(epath))) < 0)
			return -1;
		while (flock(efd, LOCK_EX) != 0 && errno == EINTR)
			;
		if (segments(fs, p, &bases, &nb) != 0) {
			close(efd);
			return -1;
		}
		for (i = 0; i + 1 < nb; i++) {
			seg_path(fs, p, bases[i], path, sizeof(path));
			if (stat(path, &st) != 0 || (int64_t)st.st_mtime *
			    1000 >= before_ms)
				break;	/* oldest first: stop at a young one */
			if (unlink(path) != 0) {
				seterr(fs, DMD_ERR_IO, "cannot remove", path);
				free(bases);
				close(efd);
				return -1;
			}
			(*removed)++;
		}
		free(bases);
		close(efd);
	}
	return 0;
}

static void
file_close(struct dmd_stream *s)
{
	struct file_stream *fs = (struct file_stream *)s;

	free(fs->buf);
	free(fs);
}

static const struct dmd_stream_ops file_ops = {
	file_append, file_read, file_oldest, file_latest, file_at_time,
	file_trim, file_close
};

/* Read DIR/stream, or make it (and the partitions' directories). */
static int
setup(struct file_stream *fs, int partitions, char *err, size_t errlen,
    int *why)
{
	char path[PATH_MAX], tmp[PATH_MAX], line[64];
	const char *failed;
	int fd, n = 0, p, e, made = 0;
	ssize_t r;

	if (partitions < 0) {
		/* a reader: the log must be there */
		fmt(path, sizeof(path), "%s/stream", fs->dir);
		if (access(path, F_OK) != 0) {
			fmt(err, errlen, "no log at %s (dmd-stream put makes "
			    "one)", fs->dir);
			return -1;
		}
	} else if (mkdir(fs->dir, 0755) == 0) {
		/* and the log's own name, in its parent */
		fmt(path, sizeof(path), "%s/..", fs->dir);
		if (dmd_sync_dir(path) != 0) {
			fmt(err, errlen, "cannot sync %s: %s", path,
			    strerror(errno));
			*why = DMD_ERR_IO;
			return -1;
		}
	} else if (errno != EEXIST) {
		fmt(err, errlen, "cannot make %s: %s", fs->dir,
		    strerror(errno));
		*why = DMD_ERR_IO;
		return -1;
	}
	if (partitions >= 0)
		dmd_clean_tmp(fs->dir, "stream");
	fmt(path, sizeof(path), "%s/stream", fs->dir);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 && errno == ENOENT) {
		/* first open: write it whole, then link it into place, so
		 * two first opens agree on one count */
		fmt(tmp, sizeof(tmp), "%s/.%s.%ld.stream", fs->dir,
		    dmd_hostname(), (long)getpid());
		fmt(line, sizeof(line), "dmd-stream 1 %d\n", partitions);
		if (dmd_write_marker(path, tmp, line, &failed) != 0) {
			fmt(err, errlen, "cannot %s %s: %s", failed == tmp ?
			    "write" : "make", failed, strerror(errno));
			*why = DMD_ERR_IO;
			return -1;
		}
		made = 1;
		fd = open(path, O_RDONLY | O_CLOEXEC);
	}
	if (fd < 0) {
		fmt(err, errlen, "cannot open %s: %s", path, strerror(errno));
		*why = DMD_ERR_IO;
		return -1;
	}
	r = dmd_pread_all(fd, line, sizeof(line) - 1, 0);
	e = errno;
	close(fd);
	if (r < 0) {
		fmt(err, errlen, "cannot read %s: %s", path, strerror(e));
		*why = DMD_ERR_IO;
		return -1;
	}
	line[r] = '\0';
	if (sscanf(line, "dmd-stream 1 %d", &n) != 1 || n < 1 ||
	    n > PARTITIONS_MAX) {
		fmt(err, errlen, "%s is not a dmd-stream log", path);
		return -1;
	}
	fs->base.partitions = n;
	for (p = 0; p < n; p++) {
		fmt(path, sizeof(path), "%s/p%03d", fs->dir, p);
		if (mkdir(path, 0755) == 0)
			made = 1;
		else if (errno != EEXIST) {
			fmt(err, errlen, "cannot make %s: %s", path,
			    strerror(errno));
			*why = DMD_ERR_IO;
			return -1;
		}
	}
	/* the names made here outlive a crash before the first append */
	if (made && dmd_sync_dir(fs->dir) != 0) {
		fmt(err, errlen, "cannot sync %s: %s", fs->dir,
		    strerror(errno));
		*why = DMD_ERR_IO;
		return -1;
	}
	return 0;
}

struct dmd_stream *
dmd_stream_file_open(const struct dmd_url *u, int partitions, char *err,
    size_t errlen, int *why)
{
	static const char *const params[] = { "segment", NULL };
	struct file_stream *fs;
	const char *errstr;
	char val[32];
	int64_t segment = SEGMENT_MAX;

	if (dmd_url_params_only(u, params, err, errlen) != 0)
		return NULL;
	if (dmd_url_param(u, "segment", val, sizeof(val)) == 0) {
		segment = dmd_strtonum(val, SEGMENT_MIN, INT64_C(1) << 40,
		    &errstr);
		if (errstr != NULL) {
			fmt(err, errlen, "segment=%s: %s (want bytes, at least "
			    "%d)", val, errstr, SEGMENT_MIN);
			return NULL;
		}
	}
	if (partitions > PARTITIONS_MAX) {
		fmt(err, errlen, "partitions must be 1 to %d", PARTITIONS_MAX);
		return NULL;
	}
	fs = xcalloc(1, sizeof(*fs));
	fs->base.ops = &file_ops;
	fs->segment = (uint64_t)segment;
	if (dmd_url_dir(u, fs->dir, sizeof(fs->dir), 64, err, errlen) != 0 ||
	    setup(fs, partitions == 0 ? DMD_STREAM_PARTITIONS : partitions,
	    err, errlen, why) != 0) {
		free(fs);
		return NULL;
	}
	fs->buf = xmalloc(READ_BUF);
	return &fs->base;
}
