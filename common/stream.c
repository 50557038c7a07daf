/*
 * stream.c - picks the log backend by URL scheme (see stream.h).
 */
#include <stdio.h>
#include <string.h>

#include "batch.h"
#include "point.h"
#include "stream.h"
#include "stream_file.h"
#include "stream_kinesis.h"
#include "url.h"

struct dmd_stream *
dmd_stream_open(const char *url, int partitions, char *err, size_t errlen,
    int *why)
{
	struct dmd_url u;

	*why = DMD_ERR_CONFIG;
	if (dmd_url_parse(url, &u, err, errlen) != 0)
		return NULL;
	if (strcmp(u.scheme, "file") == 0)
		return dmd_stream_file_open(&u, partitions, err, errlen, why);
	if (strcmp(u.scheme, "kinesis") == 0)
		return dmd_stream_kinesis_open(&u, partitions, err, errlen,
		    why);
	snprintf(err, errlen, "unknown log scheme \"%s\" (want file:// or "
	    "kinesis://)", u.scheme);
	return NULL;
}

int
dmd_stream_partition(const struct dmd_stream *s, const char *name,
    size_t len)
{
	return (int)(dmd_name_hash(name, len) % (uint32_t)s->partitions);
}

int
dmd_stream_append(struct dmd_stream *s, int partition,
    const unsigned char *const *data, const size_t *len, size_t n)
{
	s->stats.op = DMD_OP_PUT;
	return s->ops->append(s, partition, data, len, n);
}

int
dmd_stream_read(struct dmd_stream *s, int partition, const char *from,
    dmd_record_cb *cb, void *arg)
{
	s->stats.op = DMD_OP_GET;
	return s->ops->read(s, partition, from, cb, arg);
}

int
dmd_stream_oldest(struct dmd_stream *s, int partition, char *pos)
{
	s->stats.op = DMD_OP_LIST;
	return s->ops->oldest(s, partition, pos);
}

int
dmd_stream_latest(struct dmd_stream *s, int partition, char *pos)
{
	s->stats.op = DMD_OP_LIST;
	return s->ops->latest(s, partition, pos);
}

int
dmd_stream_at_time(struct dmd_stream *s, int partition, int64_t ms,
    char *pos)
{
	s->stats.op = DMD_OP_LIST;
	return s->ops->at_time(s, partition, ms, pos);
}

int
dmd_stream_trim(struct dmd_stream *s, int64_t before_ms, uint64_t *removed)
{
	s->stats.op = DMD_OP_DEL;
	return s->ops->trim(s, before_ms, removed);
}

void
dmd_stream_close(struct dmd_stream *s)
{
	if (s != NULL)
		s->ops->close(s);
}
