/*
 * listen.h - lines from many TCP clients at once, the way carbon-cache
 * takes them.
 *
 * One thread, poll(2) over the listening sockets and the clients; each
 * client has its own line reader with a fixed buffer (DMD_LISTEN_BUFSZ),
 * so memory is bounded by the number of clients, which is capped.  A
 * client's lines are handed out in order; a client that sends garbage
 * only gets its own lines rejected.  Fairness: each round hands out at
 * most a bounded number of lines per client.
 *
 * A line is handed out when its newline arrives, or at end of input
 * when the client closes its side cleanly.  Bytes of an unfinished line
 * are never handed out as a line when a client resets the connection or
 * when the listener drains at shutdown: they are reported through the
 * same callback with line == NULL, so the caller can count and show
 * them rather than store a cut number.
 */
#ifndef DMD_LISTEN_H
#define DMD_LISTEN_H

#include <stddef.h>
#include <stdint.h>

#define DMD_LISTEN_MAX		8		/* listening addresses */
#define DMD_LISTEN_BUFSZ	(128 * 1024)	/* per client */

/* A line from client peer ("127.0.0.1:40312"), its number on that
 * connection; line NULL with len bytes: an unfinished line dropped, why
 * says why ("the client reset the connection", ...).  Return 0 to go
 * on, -1 to stop (dmd_listen_run() returns -1). */
typedef int dmd_listen_cb(void *arg, const char *peer, uint64_t lineno,
    const char *line, size_t len, const char *why);

struct dmd_listen_counts {
	uint64_t	 connections;	/* accepted */
	uint64_t	 refused;	/* over the cap, closed at once */
	uint64_t	 timeouts;	/* closed for idling */
	uint64_t	 errors;	/* read errors (resets) */
	uint64_t	 lines;
	uint64_t	 bytes;
	int		 clients;	/* connected now */
};

struct dmd_listen;

/* Listen on addr, "HOST:PORT", "[V6]:PORT", "*:PORT" (every address)
 * or "PORT" and ":PORT" (127.0.0.1), in addition to what l already
 * listens on (l NULL: a new listener).  Returns the listener, or NULL
 * with a message in err. */
struct dmd_listen *dmd_listen_add(struct dmd_listen *l, const char *addr,
    char *err, size_t errlen);

/* Settings: clients connected at once (default 1024), milliseconds a
 * client may send nothing before it is closed (default 600000, 0:
 * never). */
void dmd_listen_limits(struct dmd_listen *l, int max_clients,
    int64_t idle_ms);

/* The number of sockets listened on, and the address of the i-th as
 * "127.0.0.1:2003" or "[::1]:2003" in buf (for port 0: the port the
 * system chose).  Returns buf, or "?" if unknown. */
int dmd_listen_count(const struct dmd_listen *l);
const char *dmd_listen_addr(const struct dmd_listen *l, int i, char *buf,
    size_t len);

/* Accept clients and hand out their lines until deadline_ms
 * (dmd_mono_ms(); -1: no deadline) or for at most 250 ms, so a caller's
 * signal flags are looked at often.  Returns 0, or -1 if cb did. */
int dmd_listen_run(struct dmd_listen *l, int64_t deadline_ms,
    dmd_listen_cb *cb, void *arg);

/* Shutting down: accept the connections the system has completed, stop
 * listening, read what every client has sent so far, hand out its
 * complete lines (and unfinished ones as dropped), and close every
 * client.  Returns 0, or -1 if cb did. */
int dmd_listen_drain(struct dmd_listen *l, dmd_listen_cb *cb, void *arg);

/* Counters since the last call, moved into *c (clients is a gauge). */
void dmd_listen_take(struct dmd_listen *l, struct dmd_listen_counts *c);

/* Close everything and free l.  Accepts NULL. */
void dmd_listen_close(struct dmd_listen *l);

#endif
