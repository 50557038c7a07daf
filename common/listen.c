/*
 * listen.c - many TCP clients, one thread, poll(2) (see listen.h).
 */
#define _GNU_SOURCE	/* accept4 */
#include <sys/socket.h>
#include <netinet/in.h>

#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "listen.h"
#include "reader.h"
#include "xmalloc.h"

#define ROUND_LINES	4096	/* lines per client per round */
#define ROUND_MS	250	/* longest wait in dmd_listen_run() */
#define PAUSE_MS	100	/* no accepting after running out of fds */

struct client {
	int		 fd;
	struct dmd_reader r;
	char		 peer[NI_MAXHOST + NI_MAXSERV + 4];
	int64_t		 last_ms;	/* when it last sent something */
	int		 ready;		/* complete lines may be buffered */
	int		 gone;
};

struct dmd_listen {
	int		 lfd[DMD_LISTEN_MAX];
	int		 nl;
	struct client	**c;
	size_t		 nc, capc;
	struct pollfd	*pfd;
	size_t		 cappfd;
	int		 max_clients;
	int64_t		 idle_ms;
	int64_t		 pause_until;
	struct dmd_listen_counts n;
};

/* Split "HOST:PORT", "[V6]:PORT", "*:PORT", ":PORT" or "PORT". */
static int
split(const char *addr, char *host, size_t hostlen, char *port,
    size_t portlen)
{
	const char *colon, *h = addr;
	size_t hl;

	if ((colon = strrchr(addr, ':')) == NULL) {
		snprintf(host, hostlen, "127.0.0.1");
		snprintf(port, portlen, "%s", addr);
		return 0;
	}
	hl = (size_t)(colon - addr);
	if (hl >= 2 && addr[0] == '[' && addr[hl - 1] == ']') {
		h++;
		hl -= 2;
	}
	if (hl >= hostlen || strlen(colon + 1) >= portlen)
		return -1;
	memcpy(host, h, hl);
	host[hl] = '\0';
	if (hl == 0)
		snprintf(host, hostlen, "127.0.0.1");
	snprintf(port, portlen, "%s", colon + 1);
	return strchr(host, ':') != NULL && h == addr ? -1 : 0;
}

struct dmd_listen *
dmd_listen_add(struct dmd_listen *l, const char *addr, char *err,
    size_t errlen)
{
	struct addrinfo hints, *res, *ai;
	char host[256], port[32];
	int fd, one = 1, rc, added = 0;

	if (split(addr, host, sizeof(host), port, sizeof(port)) != 0 ||
	    port[0] == '\0' || strspn(port, "0123456789") != strlen(port) ||
	    strlen(port) > 5 || atoi(port) > 65535) {
		snprintf(err, errlen, "bad address \"%s\" (want HOST:PORT, "
		    "[V6]:PORT, *:PORT or PORT)", addr);
		return NULL;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if ((rc = getaddrinfo(strcmp(host, "*") == 0 ? NULL : host, port,
	    &hints, &res)) != 0) {
		snprintf(err, errlen, "%s: %s", addr, gai_strerror(rc));
		return NULL;
	}
	if (l == NULL) {
		l = xcalloc(1, sizeof(*l));
		l->max_clients = 1024;
		l->idle_ms = 600000;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if (l->nl == DMD_LISTEN_MAX) {
			snprintf(err, errlen, "more than %d addresses",
			    DMD_LISTEN_MAX);
			break;
		}
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0) {
			snprintf(err, errlen, "%s: socket: %s", addr,
			    strerror(errno));
			break;
		}
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (ai->ai_family == AF_INET6)
			setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one,
			    sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 ||
		    listen(fd, SOMAXCONN) != 0) {
			snprintf(err, errlen, "%s: %s", addr, strerror(errno));
			close(fd);
			break;
		}
		l->lfd[l->nl++] = fd;
		added++;
	}
	freeaddrinfo(res);
	if (ai != NULL || added == 0) {
		if (added == 0 && ai == NULL)
			snprintf(err, errlen, "%s: no address", addr);
		dmd_listen_close(l);
		return NULL;
	}
	return l;
}

void
dmd_listen_limits(struct dmd_listen *l, int max_clients, int64_t idle_ms)
{
	l->max_clients = max_clients;
	l->idle_ms = idle_ms;
}

int
dmd_listen_count(const struct dmd_listen *l)
{
	return l->nl;
}

const char *
dmd_listen_addr(const struct dmd_listen *l, int i, char *buf, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char h[NI_MAXHOST], s[NI_MAXSERV];

	if (i < 0 || i >= l->nl || getsockname(l->lfd[i],
	    (struct sockaddr *)&ss, &sl) != 0 || getnameinfo(
	    (struct sockaddr *)&ss, sl, h, sizeof(h), s, sizeof(s),
	    NI_NUMERICHOST | NI_NUMERICSERV) != 0)
		return "?";
	snprintf(buf, len, strchr(h, ':') ? "[%s]:%s" : "%s:%s", h, s);
	return buf;
}

static void
drop_client(struct dmd_listen *l, struct client *c)
{
	(void)l;
	close(c->fd);
	dmd_reader_release(&c->r);
	c->gone = 1;
}

static void
accept_all(struct dmd_listen *l, int lfd)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	struct client *c;
	char h[NI_MAXHOST], s[NI_MAXSERV];
	int fd;

	for (;;) {
		sl = sizeof(ss);
		fd = accept4(lfd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK |
		    SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM) {
				/* try again soon, rather than spin */
				l->pause_until = dmd_mono_ms() + PAUSE_MS;
				return;
			}
			if (errno == ECONNABORTED || errno == EPROTO)
				continue;
			return;	/* EAGAIN, EINTR */
		}
		if (l->nc >= (size_t)l->max_clients) {
			close(fd);
			l->n.refused++;
			continue;
		}
		c = xcalloc(1, sizeof(*c));
		c->fd = fd;
		dmd_reader_init_size(&c->r, fd, DMD_LISTEN_BUFSZ);
		c->last_ms = dmd_mono_ms();
		if (getnameinfo((struct sockaddr *)&ss, sl, h, sizeof(h), s,
		    sizeof(s), NI_NUMERICHOST | NI_NUMERICSERV) != 0)
			snprintf(c->peer, sizeof(c->peer), "client");
		else if (strchr(h, ':') != NULL)
			snprintf(c->peer, sizeof(c->peer), "[%s]:%s", h, s);
		else
			snprintf(c->peer, sizeof(c->peer), "%s:%s", h, s);
		l->c = xgrow(l->c, &l->capc, l->nc + 1, sizeof(*l->c));
		l->c[l->nc++] = c;
		l->n.connections++;
	}
}

/* Bytes of an unfinished line, when the client cannot finish it. */
static int
dropped(struct client *c, dmd_listen_cb *cb, void *arg, const char *why)
{
	size_t n = dmd_reader_pending(&c->r);

	if (n == 0)
		return 0;
	return cb(arg, c->peer, c->r.lineno + 1, NULL, n, why);
}

/* Hand out up to max lines of c.  Returns 0 (more may come), 1 (the
 * client is done: close it) or -1 (cb said stop). */
static int
serve(struct dmd_listen *l, struct client *c, size_t max,
    dmd_listen_cb *cb, void *arg)
{
	const char *line;
	size_t len, k;
	int rc;

	for (k = 0; k < max; k++) {
		rc = dmd_reader_next(&c->r, -1, &line, &len);
		if (rc == DMD_READ_LINE) {
			l->n.lines++;
			l->n.bytes += len + 1;
			if (cb(arg, c->peer, c->r.lineno, line, len, NULL) !=
			    0)
				return -1;
			continue;
		}
		c->ready = 0;
		if (rc == DMD_READ_TIMEOUT)
			return 0;
		if (rc == DMD_READ_ERROR) {
			l->n.errors++;
			return dropped(c, cb, arg, "the client reset the "
			    "connection") != 0 ? -1 : 1;
		}
		return 1;	/* EOF: the last line was handed out */
	}
	c->ready = 1;
	return 0;
}

/* Forget the clients that are gone. */
static void
sweep(struct dmd_listen *l)
{
	size_t i, o;

	for (i = 0, o = 0; i < l->nc; i++) {
		if (l->c[i]->gone) {
			free(l->c[i]);
			continue;
		}
		l->c[o++] = l->c[i];
	}
	l->nc = o;
	l->n.clients = (int)o;
}

int
dmd_listen_run(struct dmd_listen *l, int64_t deadline_ms, dmd_listen_cb *cb,
    void *arg)
{
	struct client *c;
	int64_t now = dmd_mono_ms(), wait = ROUND_MS;
	uint64_t lines;
	size_t i, np = 0, polled;
	int accepting, rc, rv = 0;

	accepting = now >= l->pause_until;
	if (deadline_ms >= 0 && deadline_ms - now < wait)
		wait = deadline_ms - now < 0 ? 0 : deadline_ms - now;
	l->pfd = xgrow(l->pfd, &l->cappfd, (size_t)l->nl + l->nc,
	    sizeof(*l->pfd));
	for (i = 0; accepting && i < (size_t)l->nl; i++) {
		l->pfd[np].fd = l->lfd[i];
		l->pfd[np].events = POLLIN;
		l->pfd[np++].revents = 0;
	}
	for (i = 0; i < l->nc; i++) {
		l->pfd[np].fd = l->c[i]->fd;
		l->pfd[np].events = POLLIN;
		l->pfd[np++].revents = 0;
		if (l->c[i]->ready)
			wait = 0;
	}
	if (!accepting && l->pause_until - now < wait)
		wait = l->pause_until - now;
	polled = l->nc;
	if (poll(l->pfd, np, (int)wait) < 0)
		return 0;	/* EINTR: the caller looks at its flags */
	now = dmd_mono_ms();
	np = 0;
	for (i = 0; accepting && i < (size_t)l->nl; i++, np++)
		if (l->pfd[np].revents & POLLIN)
			accept_all(l, l->lfd[i]);
	/* the clients as they were when polled; new ones wait a round */
	for (i = 0; i < polled && rv == 0; i++, np++) {
		c = l->c[i];
		if (c->ready || (l->pfd[np].revents &
		    (POLLIN | POLLHUP | POLLERR))) {
			lines = c->r.lineno;
			if ((rc = serve(l, c, ROUND_LINES, cb, arg)) < 0) {
				rv = -1;
				continue;
			}
			if (rc == 1) {
				drop_client(l, c);
				continue;
			}
			/* idle is without a whole line: a client that
			 * trickles a byte at a time (slow loris) or an
			 * endless line is not busy */
			if (c->r.lineno != lines)
				c->last_ms = now;
		}
		if (l->idle_ms > 0 && now - c->last_ms > l->idle_ms) {
			l->n.timeouts++;
			if (dropped(c, cb, arg, "the client idled past "
			    "the idle timeout") != 0)
				rv = -1;
			drop_client(l, c);
		}
	}
	sweep(l);
	return rv;
}

int
dmd_listen_drain(struct dmd_listen *l, dmd_listen_cb *cb, void *arg)
{
	struct client *c;
	size_t i;
	int rc, rv = 0;

	/* clients the system accepted for us have sent data that must not
	 * be lost: take them, over the cap too, then stop listening */
	l->max_clients = INT_MAX;
	for (i = 0; i < (size_t)l->nl; i++) {
		accept_all(l, l->lfd[i]);
		close(l->lfd[i]);
	}
	l->nl = 0;
	for (i = 0; i < l->nc; i++) {
		c = l->c[i];
		if (rv == 0) {
			while ((rc = serve(l, c, ROUND_LINES, cb, arg)) == 0 &&
			    c->ready)
				;
			if (rc < 0 || (rc == 0 && dropped(c, cb, arg,
			    "the listener stopped before its newline came") !=
			    0))
				rv = -1;
		}
		drop_client(l, c);
	}
	sweep(l);
	return rv;
}

void
dmd_listen_take(struct dmd_listen *l, struct dmd_listen_counts *c)
{
	*c = l->n;
	memset(&l->n, 0, sizeof(l->n));
	l->n.clients = c->clients = (int)l->nc;
}

void
dmd_listen_close(struct dmd_listen *l)
{
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < (size_t)l->nl; i++)
		close(l->lfd[i]);
	for (i = 0; i < l->nc; i++) {
		drop_client(l, l->c[i]);
		free(l->c[i]);
	}
	free(l->c);
	free(l->pfd);
	free(l);
}
