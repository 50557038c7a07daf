/*
 * stream_kinesis.h - the intake log in Kinesis Data Streams or a store
 * with its API: kinesis://STREAM[?region=R][&endpoint=URL]
 * (stream_kinesis.c).
 */
#ifndef DMD_STREAM_KINESIS_H
#define DMD_STREAM_KINESIS_H

#include <stddef.h>

#include "stream.h"
#include "url.h"

/* Open the stream; with partitions > 0, create it with that many shards
 * if it does not exist.  NULL with a message in err and *why set. */
struct dmd_stream *dmd_stream_kinesis_open(const struct dmd_url *u,
    int partitions, char *err, size_t errlen, int *why);

#endif
