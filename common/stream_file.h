/*
 * stream_file.h - the intake log in a directory, file://DIR
 * (stream_file.c).
 */
#ifndef DMD_STREAM_FILE_H
#define DMD_STREAM_FILE_H

#include <stddef.h>

#include "stream.h"
#include "url.h"

struct dmd_stream *dmd_stream_file_open(const struct dmd_url *u,
    int partitions, char *err, size_t errlen, int *why);

#endif
