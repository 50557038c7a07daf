/*
 * archive_file.h - the archive tier in a directory (file://DIR): one file
 * per object at DIR/KEY, written crash-safe (archive_file.c).
 */
#ifndef DMD_ARCHIVE_FILE_H
#define DMD_ARCHIVE_FILE_H

#include <stddef.h>

#include "archive.h"
#include "url.h"

struct dmd_archive *dmd_archive_file_open(const struct dmd_url *u,
    char *err, size_t errlen);

#endif
