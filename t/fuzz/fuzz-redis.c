/*
 * fuzz-redis.c - libFuzzer target for what the Redis cache makes of
 * Redis's replies (common/cache_redis*.c): name sets (SMEMBERS), series
 * reads (the block lists of the read script, decoded by block.c, which
 * fuzz-block covers on its own), the flush records of due, freeze and
 * take, INFO for health, and on a cluster the slot map (CLUSTER SLOTS)
 * and MOVED / ASK / TRYAGAIN redirections.
 *
 * The first byte picks the operation; the rest is the byte stream the
 * server sends back, in RESP, read by hiredis as from a real server:
 * connecting is replaced by a socketpair whose other end has the input
 * written and is then shut for writing, so the cache reads the input and
 * then end of file.  Every further connection (other cluster nodes) gets
 * an empty stream.  Whatever the replies, the cache must not crash, leak
 * or loop, and a failure must say why; a reply that announces a huge
 * array ("*800000000") must be refused before hiredis allocates for it
 * (libFuzzer's -rss_limit_mb fails the run if it is not).  Built and run
 * by t/fuzz/run.
 */
#include <sys/socket.h>
#include <sys/time.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#define FAKECLOCK_STEP_MS	7

#include "cache.h"
#include "fakeclock.h"
#include "prog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t	*in;		/* the server's replies */
static size_t		 inlen;
static int		 peers[16];	/* our ends of the socketpairs */
static size_t		 npeers;

/* A connection to "the server": the input the first time, then empty
 * streams (and a failure when too many were made). */
static redisContext *
fake_connect(void)
{
	redisContext *c;
	int sv[2];

	if (npeers == sizeof(peers) / sizeof(peers[0]) ||
	    socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) {
		c = redisConnectFd(-1);
		return c;
	}
	if (inlen > 0 && write(sv[1], in, inlen) != (ssize_t)inlen)
		abort();	/* -max_len keeps it under the buffer */
	inlen = 0;
	shutdown(sv[1], SHUT_WR);
	peers[npeers++] = sv[1];
	return redisConnectFd(sv[0]);
}

redisContext *
redisConnectWithTimeout(const char *ip, int port, const struct timeval tv)
{
	(void)ip;
	(void)port;
	(void)tv;
	return fake_connect();
}

redisContext *
redisConnectUnixWithTimeout(const char *path, const struct timeval tv)
{
	(void)path;
	(void)tv;
	return fake_connect();
}

/* prog.c's without the host's processes. */
const char *
dmd_hostname(void)
{
	return "fuzzhost";
}

long
dmd_local_pid(const char *s, int sep, int end)
{
	size_t hl = strlen("fuzzhost");
	char *e;
	long pid;

	if (strncmp(s, "fuzzhost", hl) != 0 || s[hl] != sep ||
	    s[hl + 1] < '0' || s[hl + 1] > '9')
		return 0;
	pid = strtol(s + hl + 1, &e, 10);
	return *e == end && pid > 0 ? pid : 0;
}

int
dmd_pid_gone(long pid)
{
	return pid % 2 == 0;
}

static int
on_name(void *arg, const char *name, size_t len)
{
	size_t *n = arg;

	if (len > 0)
		(void)((volatile const char *)name)[len - 1];
	return ++*n >= 100000;
}

static int
on_series(void *arg, const char *name, const struct dmd_sample *s,
    size_t n)
{
	size_t i;

	(void)arg;
	(void)name;
	for (i = 0; i < n; i++)
		if (s[i].time < 1000 || s[i].time > 5000)
			abort();	/* out of the range asked for */
	return 0;
}

static int
on_due(void *arg, const struct dmd_flush_item *it)
{
	size_t *n = arg;

	if (memchr(it->name, '\0', sizeof(it->name)) == NULL)
		abort();
	return ++*n >= 100000;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[2] = { "a.b", "a.c" };
	struct dmd_flush_policy pol = { 1800000000, 100, 600, 0 };
	struct dmd_flush_item it[2];
	struct dmd_cache_health h;
	unsigned char got[4] = { 1, 1, 1, 1 };
	struct dmd_cache *c;
	char err[256];
	size_t i, n = 0;
	int rv = 0, op;

	if (size < 1)
		return 0;
	op = data[0] % 11;
	in = data + 1;
	inlen = size - 1;
	c = dmd_cache_open(op >= 9 ? "redis-cluster://127.0.0.1:7000" :
	    "unix:///nonexistent/fuzz.sock", err, sizeof(err));
	if (c == NULL)
		abort();
	memset(it, 0, sizeof(it));
	snprintf(it[0].name, sizeof(it[0].name), "a.b");
	snprintf(it[1].name, sizeof(it[1].name), "x.y");
	it[0].shard = 1;
	it[1].shard = 2;
	it[0].cutoff = it[1].cutoff = 3000;
	switch (op) {
	case 0:
		rv = c->ops->names(c, NULL, 0, on_name, &n);
		break;
	case 1:
	case 9:
		rv = c->ops->names(c, "a", 1, on_name, &n);
		break;
	case 2:
	case 10:
		rv = c->ops->read(c, names, 2, 1000, 5000, on_series, NULL);
		break;
	case 3:
		rv = c->ops->health(c, &h);
		break;
	case 4:
		rv = c->ops->claim(c, 0, 4, got);
		break;
	case 5:
		rv = c->ops->due(c, 0, 2, got, &pol, on_due, &n);
		break;
	case 6:
		rv = c->ops->freeze(c, it, 2, 3000);
		break;
	case 7:
		if ((rv = c->ops->take(c, it, 2)) == 0)
			rv = c->ops->finish(c, it, 2);
		break;
	case 8:
		rv = c->ops->release(c, 0, 4, got);
		break;
	}
	if (rv < 0 && (c->err == 0 || c->errstr[0] == '\0'))
		abort();	/* a failure that does not say why */
	for (i = 0; i < 2; i++)
		free(it[i].samples);
	c->ops->close(c);
	for (i = 0; i < npeers; i++)
		close(peers[i]);
	npeers = 0;
	return 0;
}
