/*
 * writer.c - batches into the cache, with retries and spill (see writer.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "fsutil.h"
#include "output.h"
#include "writer.h"
#include "xmalloc.h"

#define BACKOFF_FIRST_MS	100
#define BACKOFF_MAX_MS		2000

static void *sender(void *);
static void
notice(struct dmd_writer *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
notice(struct dmd_writer *w, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (w->notice == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	w->notice(w->notice_arg, msg);
}

void
dmd_writer_init(struct dmd_writer *w, struct dmd_cache *cache)
{
	memset(w, 0, sizeof(*w));
	w->cache = cache;
	w->tier = "cache";
	w->batch_max = 250000;
	w->max_delay_ms = 200;
	w->retry_for_ms = 30000;
	dmd_batch_init(&w->batch[0]);
	dmd_batch_init(&w->batch[1]);
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	if (pthread_create(&w->thread, NULL, sender, w) != 0)
		dmd_oom(0);	/* like an allocation failure */
}

/* Write the batch, in arrival order, to the spill file and fsync it. */
static int
spill_batch(struct dmd_writer *w, struct dmd_batch *b)
{
	struct dmd_output out;
	FILE *m;
	char *buf = NULL;
	size_t i, len = 0;
	int fd, rv;

	if (w->spill == NULL) {
		/* never through a link planted at a name that may be
		 * guessed (TMPDIR/dmd-ingest.PID.spill) */
		fd = open(w->spill_path, O_WRONLY | O_CREAT | O_APPEND |
		    O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0 || (w->spill = fdopen(fd, "a")) == NULL) {
			snprintf(w->errstr, sizeof(w->errstr),
			    "cannot open spill file %s: %s", w->spill_path,
			    strerror(errno));
			if (fd >= 0)
				close(fd);
			return -1;
		}
		notice(w, "spilling unstored points to %s", w->spill_path);
	}
	/* the batch in one write: appends of other writers of the same
	 * file (O_APPEND) come before or after it, never inside a line */
	if ((m = open_memstream(&buf, &len)) == NULL)
		dmd_oom(0);
	dmd_output_init(&out, m, DMD_OUT_NDJSON);
	for (i = 0; i < b->npoints; i++) {
		const struct dmd_batch_point *bp = &b->points[i];

		dmd_output_point(&out, dmd_batch_name(b, bp->series),
		    b->series[bp->series].namelen, bp->time, bp->value);
	}
	rv = fclose(m) != 0 || dmd_write_all(fileno(w->spill),
	    (unsigned char *)buf, len) != 0 || fsync(fileno(w->spill)) != 0 ?
	    -1 : 0;
	if (rv != 0)
		snprintf(w->errstr, sizeof(w->errstr),
		    "cannot write spill file %s: %s", w->spill_path,
		    strerror(errno));
	else
		w->spilled += b->npoints;
	free(buf);
	return rv;
}

/* Store one batch (in the sender thread): retries, then spill. */
static int
send_batch(struct dmd_writer *w, struct dmd_batch *b)
{
	int64_t start, delay = BACKOFF_FIRST_MS, left;
	int rv = 0, warned = 0;

	if (!w->spilling) {
		start = dmd_mono_ms();
		while (dmd_cache_put(w->cache, b) != 0) {
			left = w->retry_for_ms - (dmd_mono_ms() - start);
			if (left <= 0 || (w->stop != NULL && *w->stop)) {
				notice(w, "giving up on the %s after %lld "
				    "ms: %s", w->tier,
				    (long long)(dmd_mono_ms() - start),
				    w->cache->errstr);
				w->spilling = 1;
				break;
			}
			if (!warned)
				notice(w, "%s; retrying for up to %lld ms",
				    w->cache->errstr,
				    (long long)w->retry_for_ms);
			warned = 1;
			dmd_sleep_ms(delay < left ? delay : left, w->stop);
			delay = delay * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS :
			    delay * 2;
			w->retries++;
		}
		if (!w->spilling) {
			if (warned)
				notice(w, "%s is back; batch stored",
				    w->tier);
			w->accepted += b->npoints;
			w->batches++;
		}
	}
	if (w->spilling)
		rv = spill_batch(w, b);
	dmd_batch_clear(b);
	return rv;
}

/* Make what the sender counted since last time takeable (under mu). */
static void
publish(struct dmd_writer *w)
{
	struct dmd_writer_counts *p = &w->pub, *l = &w->last;

	p->accepted += w->accepted - l->accepted;
	p->spilled += w->spilled - l->spilled;
	p->batches += w->batches - l->batches;
	p->retries += w->retries - l->retries;
	l->accepted = w->accepted;
	l->spilled = w->spilled;
	l->batches = w->batches;
	l->retries = w->retries;
	dmd_cache_stats_move(&p->cache, &w->cache->stats);
}

void
dmd_writer_take(struct dmd_writer *w, struct dmd_writer_counts *c)
{
	pthread_mutex_lock(&w->mu);
	*c = w->pub;
	memset(&w->pub, 0, sizeof(w->pub));
	pthread_mutex_unlock(&w->mu);
}

/*
 * Two batches: the caller fills one while the sender thread stores the
 * other, so parsing and the backend's round trips overlap.  The sender
 * alone touches the cache, the spill file and the counters until
 * dmd_writer_finish() joins it.
 */
static void *
sender(void *arg)
{
	struct dmd_writer *w = arg;
	struct dmd_batch *b;
	int rv;

	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (w->pending == NULL && !w->quit)
			pthread_cond_wait(&w->cv, &w->mu);
		if (w->pending == NULL)
			break;
		b = w->pending;
		pthread_mutex_unlock(&w->mu);
		rv = send_batch(w, b);
		pthread_mutex_lock(&w->mu);
		if (rv != 0)
			w->failed = 1;
		publish(w);
		w->pending = NULL;
		pthread_cond_broadcast(&w->cv);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

/* Wait until the sender is idle.  Returns -1 if a batch failed. */
static int
wait_idle(struct dmd_writer *w)
{
	int rv;

	pthread_mutex_lock(&w->mu);
	while (w->pending != NULL)
		pthread_cond_wait(&w->cv, &w->mu);
	rv = w->failed ? -1 : 0;
	pthread_mutex_unlock(&w->mu);
	return rv;
}

int
dmd_writer_flush(struct dmd_writer *w)
{
	struct dmd_batch *b = &w->batch[w->cur];

	if (wait_idle(w) != 0)
		return -1;
	if (b->npoints == 0)
		return 0;
	pthread_mutex_lock(&w->mu);
	w->pending = b;
	w->cur ^= 1;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	return 0;
}

int
dmd_writer_sync(struct dmd_writer *w)
{
	if (dmd_writer_flush(w) != 0)
		return -1;
	return wait_idle(w);
}

int
dmd_writer_add(struct dmd_writer *w, const struct dmd_point *p)
{
	struct dmd_batch *b = &w->batch[w->cur];

	if (b->npoints == 0)
		w->first_ms = dmd_mono_ms();
	dmd_batch_add(b, p);
	if (b->npoints >= w->batch_max)
		return dmd_writer_flush(w);
	return 0;
}

int64_t
dmd_writer_deadline(const struct dmd_writer *w)
{
	if (w->batch[w->cur].npoints == 0)
		return -1;
	return w->first_ms + w->max_delay_ms;
}

int
dmd_writer_finish(struct dmd_writer *w)
{
	int rv = dmd_writer_sync(w);

	pthread_mutex_lock(&w->mu);
	w->quit = 1;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
	if (w->spill != NULL) {
		if (fclose(w->spill) != 0 && rv == 0) {
			snprintf(w->errstr, sizeof(w->errstr),
			    "cannot write spill file %s: %s", w->spill_path,
			    strerror(errno));
			rv = -1;
		}
		w->spill = NULL;
	}
	dmd_batch_release(&w->batch[0]);
	dmd_batch_release(&w->batch[1]);
	return rv;
}
