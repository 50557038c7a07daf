/*
 * stream.h - the durable intake log: records of points, in partitions,
 * kept after they are read so they can be read again (replayed).
 *
 * A record is an opaque byte string to the backends (dmd-stream puts
 * compressed blocks of points in it, logrec.h); each partition is an ordered
 * sequence of records, each at a position, a string that orders the
 * records of its partition and that a reader keeps as its checkpoint
 * ("FILE" offsets, Kinesis sequence numbers).  Every backend keeps:
 *
 *  - append returns only once its records are durable (a file backend:
 *    written and fsync'd; Kinesis: PutRecords answered), and a record is
 *    read whole or not at all: a record torn by a crash is never read;
 *  - read hands out records from a position, in order, with the
 *    position after each, up to what was durable when it started;
 *  - records stay until retention removes them, oldest first.
 *
 * Errors as the other tiers (cache.h): err and errstr in the struct,
 * never printed by the backend.
 */
#ifndef DMD_STREAM_H
#define DMD_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include "cache.h"

#define DMD_STREAM_POS_MAX	128	/* bytes of a position, with NUL */
#define DMD_STREAM_PARTITIONS	4	/* default of a new log */
#define DMD_STREAM_RECORD_MAX	(1024 * 1024)	/* as a Kinesis record */

/* The log of the programs' embedded default. */
#define DMD_STREAM_DEFAULT	"file:///var/lib/dmd/stream"

/* A record read: data (len bytes, valid during the callback), the time
 * it was appended (Unix ms), and the position of the next record. */
struct dmd_record {
	const unsigned char *data;
	size_t		 len;
	int64_t		 time_ms;
	const char	*next;
};

/* Return 0 to go on, nonzero to stop reading (quietly). */
typedef int dmd_record_cb(void *arg, const struct dmd_record *r);

struct dmd_stream;

struct dmd_stream_ops {
	int	(*append)(struct dmd_stream *, int partition,
		    const unsigned char *const *data, const size_t *len,
		    size_t n);
	int	(*read)(struct dmd_stream *, int partition, const char *from,
		    dmd_record_cb *, void *);
	int	(*oldest)(struct dmd_stream *, int partition, char *pos);
	int	(*latest)(struct dmd_stream *, int partition, char *pos);
	int	(*at_time)(struct dmd_stream *, int partition, int64_t ms,
		    char *pos);
	int	(*trim)(struct dmd_stream *, int64_t before_ms,
		    uint64_t *removed);
	void	(*close)(struct dmd_stream *);
};

struct dmd_stream {
	const struct dmd_stream_ops *ops;
	int		 partitions;
	int		 err;
	char		 errstr[DMD_ERRSTR_MAX];
	struct dmd_cache_stats stats;
};

/* Open the log at url (file://DIR or kinesis://STREAM?...); a new log is
 * made with partitions partitions (file: 0 means DMD_STREAM_PARTITIONS;
 * Kinesis: only when partitions > 0), an existing one keeps its own;
 * partitions < 0: the log must exist.
 * NULL with a message in err and *why set: DMD_ERR_CONFIG for a bad URL
 * or settings, DMD_ERR_IO when the log could not be reached. */
struct dmd_stream *dmd_stream_open(const char *url, int partitions,
    char *err, size_t errlen, int *why);

/* The partition of a series: a hash of its name. */
int dmd_stream_partition(const struct dmd_stream *s, const char *name,
    size_t len);

/* Append n records to partition, durably, in order.  0 or -1. */
int dmd_stream_append(struct dmd_stream *s, int partition,
    const unsigned char *const *data, const size_t *len, size_t n);

/* Call cb for each record of partition from position from ("" or NULL:
 * the oldest) to the end as it was when the call started.  0, or -1;
 * a position older than the oldest record kept starts there. */
int dmd_stream_read(struct dmd_stream *s, int partition, const char *from,
    dmd_record_cb *cb, void *arg);

/* Positions: of the oldest record kept, of the end (where the next
 * record will be), of the first record appended at or after ms. */
int dmd_stream_oldest(struct dmd_stream *s, int partition, char *pos);
int dmd_stream_latest(struct dmd_stream *s, int partition, char *pos);
int dmd_stream_at_time(struct dmd_stream *s, int partition, int64_t ms,
    char *pos);

/* Remove the records appended before before_ms, whole segments at a
 * time (a backend with its own retention does nothing).  0 or -1. */
int dmd_stream_trim(struct dmd_stream *s, int64_t before_ms,
    uint64_t *removed);

void dmd_stream_close(struct dmd_stream *s);

/*
 * The way points go into the log: a cache (cache.h) whose put appends a
 * batch as records (logrec.h) to the partitions of its series, so the
 * writer (writer.h) batches, overlaps parsing with appending, retries
 * and spills for dmd-stream put as it does for dmd-ingest.  It has no
 * other operation.  A batch retried after a failure is not appended
 * again to the partitions that already took it.
 */
struct dmd_stream_sink {
	struct dmd_cache cache;		/* first: the writer's handle */
	struct dmd_stream *log;		/* not owned */
	uint64_t	 records, bytes;	/* appended */
	/* private */
	struct dmd_sink_part *parts;
	const void	*retry;		/* the batch that failed */
	size_t		 retry_n;
};

void dmd_stream_sink_init(struct dmd_stream_sink *k, struct dmd_stream *s);
void dmd_stream_sink_release(struct dmd_stream_sink *k);

#endif
