/*
 * checkpoint.h - how far a reader of the intake log got: a file of
 * "PARTITION POSITION" lines, replaced whole (fsutil.h), so a crash
 * leaves the old checkpoint or the new one.  dmd-stream get writes it
 * after its output is flushed; dmd-ingest --checkpoint writes it from
 * the marks in its input once the points before them are stored, which
 * is what makes `dmd-stream get --marks | dmd-ingest --checkpoint` at
 * least once even when dmd-ingest is the one that dies.
 */
#ifndef DMD_CHECKPOINT_H
#define DMD_CHECKPOINT_H

#include "stream.h"

#define DMD_CHECKPOINT_PARTS	1024

/* Read path into pos[0..n) (partitions without a line are left as they
 * are).  0, 1 if there is no such file, -1 with a warning printed. */
int dmd_checkpoint_read(const char *path, char (*pos)[DMD_STREAM_POS_MAX],
    int n);

/* Replace path with the positions of the partitions in mask, keeping
 * the lines of the others.  0, or -1 with a warning printed. */
int dmd_checkpoint_write(const char *path, char (*pos)[DMD_STREAM_POS_MAX],
    const unsigned char *mask, int n);

/* A mark line of dmd-stream get --marks: "#mark PARTITION POSITION".
 * Returns 1 and sets *part and pos for one, 0 for any other line. */
int dmd_checkpoint_mark(const char *line, size_t len, int *part,
    char *pos);

#endif
