/*
 * archive_s3.h - the archive tier in S3 or a store with its API:
 * s3://BUCKET[/PREFIX][?region=R][&endpoint=URL][&style=path|virtual]
 * (archive_s3.c).
 */
#ifndef DMD_ARCHIVE_S3_H
#define DMD_ARCHIVE_S3_H

#include <stddef.h>

#include "archive.h"
#include "url.h"

struct dmd_archive *dmd_archive_s3_open(const struct dmd_url *u,
    char *err, size_t errlen);

#endif
