/*
 * checkpoint.c - a log reader's positions in a file (see checkpoint.h).
 */
#include <sys/file.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "checkpoint.h"
#include "fsutil.h"
#include "xmalloc.h"

/* "PARTITION POSITION" in s (len bytes, nothing after): a partition
 * below n in plain digits, a position of 1 to DMD_STREAM_POS_MAX - 1
 * printable bytes without spaces.  0, or -1. */
static int
part_pos(const char *s, size_t len, int n, int *part, char *pos)
{
	size_t i = 0, start;
	long k = 0;

	while (i < len && s[i] >= '0' && s[i] <= '9' && i < 5)
		k = k * 10 + (s[i++] - '0');
	if (i == 0 || i == 5 || k >= n || i >= len || s[i++] != ' ')
		return -1;
	for (start = i; i < len; i++)
		if (s[i] <= ' ' || s[i] == 0x7f)
			return -1;
	if (i == start || i - start >= DMD_STREAM_POS_MAX)
		return -1;
	memcpy(pos, s + start, i - start);
	pos[i - start] = '\0';
	*part = (int)k;
	return 0;
}

int
dmd_checkpoint_read(const char *path, char (*pos)[DMD_STREAM_POS_MAX], int n)
{
	char line[DMD_STREAM_POS_MAX + 32], p[DMD_STREAM_POS_MAX];
	FILE *fp;
	int k, lineno = 0, rv = 0;

	if ((fp = fopen(path, "r")) == NULL) {
		if (errno == ENOENT)
			return 1;
		warn("%s", path);
		return -1;
	}
	while (fgets(line, sizeof(line), fp) != NULL) {
		lineno++;
		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (part_pos(line, strcspn(line, "\n"), n, &k, p) != 0) {
			warnx("%s:%d: want PARTITION POSITION", path, lineno);
			rv = -1;
			break;
		}
		snprintf(pos[k], DMD_STREAM_POS_MAX, "%s", p);
	}
	fclose(fp);
	return rv;
}

int
dmd_checkpoint_write(const char *path, char (*pos)[DMD_STREAM_POS_MAX],
    const unsigned char *mask, int n)
{
	struct dmd_replace r;
	const char *what;
	char (*old)[DMD_STREAM_POS_MAX], lock[4096];
	int k, lfd, rv = 0;

	/* readers of other partitions may share the file: one at a time
	 * reads, merges and replaces it */
	snprintf(lock, sizeof(lock), "%s.lock", path);
	if ((lfd = open(lock, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
	    0644)) < 0) {
		warn("%s", lock);
		return -1;
	}
	while (flock(lfd, LOCK_EX) != 0)
		if (errno != EINTR) {
			warn("%s", lock);
			close(lfd);
			return -1;
		}
	/* keep what other readers (other partitions) wrote */
	old = xcalloc((size_t)n, sizeof(*old));
	(void)dmd_checkpoint_read(path, old, n);
	if (dmd_replace_open(&r, path) != 0) {
		warn("%s", r.tmp);
		dmd_replace_abort(&r);
		free(old);
		close(lfd);
		return -1;
	}
	fprintf(r.fp, "# dmd-stream checkpoint: PARTITION POSITION\n");
	/* an empty position is the oldest: the same as no line */
	for (k = 0; k < n; k++)
		if ((mask[k] ? pos[k] : old[k])[0] != '\0')
			fprintf(r.fp, "%d %s\n", k, mask[k] ? pos[k] : old[k]);
	free(old);
	if (dmd_replace_commit(&r, &what) != 0) {
		warn("%s", what);
		dmd_replace_abort(&r);
		rv = -1;
	}
	close(lfd);	/* and the lock */
	return rv;
}

int
dmd_checkpoint_mark(const char *line, size_t len, int *part, char *pos)
{
	if (len < 6 || memcmp(line, "#mark ", 6) != 0)
		return 0;
	return part_pos(line + 6, len - 6, DMD_CHECKPOINT_PARTS, part,
	    pos) == 0;
}
