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
		if (sscanf(line, "%d %127s", &k, p) != 2 || k < 0 || k >= n) {
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
	if ((lfd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644)) < 0) {
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
		rv = -1;
	}
	close(lfd);	/* and the lock */
	return rv;
}

int
dmd_checkpoint_mark(const char *line, size_t len, int *part, char *pos)
{
	char buf[DMD_STREAM_POS_MAX + 32];

	if (len < 7 || memcmp(line, "#mark ", 6) != 0 || len >= sizeof(buf))
		return 0;
	memcpy(buf, line, len);
	buf[len] = '\0';
	if (sscanf(buf, "#mark %d %127s", part, pos) != 2 || *part < 0 ||
	    *part >= DMD_CHECKPOINT_PARTS)
		return 0;
	return 1;
}
