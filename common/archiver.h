/*
 * archiver.h - move table chunks into archive objects, and expire them.
 *
 * Series are split into DMD_AGROUPS groups by their first name component
 * (the host: one host's series share objects, as they share a table
 * directory).  Each (group, period) has one current object, key
 *
 *   gGG/START-LEN-SEQ      START: period start, 12 digits; LEN: period
 *                          seconds; SEQ: 16 hex digits
 *
 * holding every archived point of the group's series in the period (raw
 * points and rollups).  Adding late points rewrites it: the new object
 * holds the old one's points and the new ones and has a higher SEQ, so a
 * reader reads only the object of highest SEQ of each (group, period),
 * and the writer deletes the others once the new one is verified.  One
 * archive has one writer at a time (dmd_archive_lock()).
 *
 * A run: for each group, the table chunks older than the cutoff (a period
 * boundary --older-than before now) are read, merged by period with the
 * current object's points, written as a new object, read back and
 * checked, then the superseded object and the chunks are deleted, oldest
 * chunk first (so a crash leaves only chunks at least as new as what the
 * object holds).  A crash leaves chunks, an object, or both; never
 * neither.
 */
#ifndef DMD_ARCHIVER_H
#define DMD_ARCHIVER_H

#include <stddef.h>
#include <stdint.h>

#include "archive.h"
#include "table.h"

#define DMD_AGROUPS		64
#define DMD_ROLLUPS_MAX		8

struct dmd_archive_opts {
	int64_t		 now;
	int64_t		 older_than;	/* seconds */
	int64_t		 period;	/* seconds */
	uint32_t	 rollups[DMD_ROLLUPS_MAX];	/* ascending seconds */
	size_t		 nrollups;
	/* retention (0 = forever): a bare DUR for everything, or per
	 * resolution: res 0 is "raw"; a res that is no rollup an object
	 * holds names its raw points (1m=460d); see retention_of() */
	int64_t		 retention_all;
	struct {
		uint32_t res;
		int64_t	 dur;
	}		 ret[2 * DMD_ROLLUPS_MAX];
	size_t		 nret;
};

struct dmd_archive_counts {
	uint64_t	 series;	/* series with points moved */
	uint64_t	 points;	/* points in the objects written */
	uint64_t	 chunks;	/* table chunks moved */
	uint64_t	 objects;	/* objects written */
	uint64_t	 bytes;		/* ... their bytes */
	uint64_t	 deleted;	/* objects superseded or expired */
	uint64_t	 raw_blocks;	/* stored raw: the codec failed its check */
	int		 busy;		/* another writer held the archive */
};

/* Object keys. */
int dmd_akey_parse(const char *key, unsigned *group, int64_t *start,
    int64_t *len, uint64_t *seq);
void dmd_akey_make(char *out, size_t outsz, unsigned group, int64_t start,
    int64_t len, uint64_t seq);
/* The group of a series. */
unsigned dmd_agroup(const char *name);

/* Run.  0, or -1 with the failing tier in *which and a message in err. */
int dmd_archiver_run(struct dmd_table *t, struct dmd_archive *a,
    const struct dmd_archive_opts *o, struct dmd_archive_counts *n,
    const char **which, char *err, size_t errlen);

#endif
