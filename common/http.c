/*
 * http.c - HTTP through libcurl, TCP lines (see http.h).
 */
#include <sys/socket.h>

#include <curl/curl.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "http.h"
#include "xmalloc.h"

static pthread_once_t global_once = PTHREAD_ONCE_INIT;

static void
global_init(void)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
		abort();	/* like an allocation failure */
}

void
dmd_http_init(struct dmd_http *h)
{
	pthread_once(&global_once, global_init);
	memset(h, 0, sizeof(*h));
	if ((h->curl = curl_easy_init()) == NULL)
		abort();
}

void
dmd_http_release(struct dmd_http *h)
{
	if (h->curl != NULL)
		curl_easy_cleanup(h->curl);
	free(h->body);
	memset(h, 0, sizeof(*h));
}

static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
	struct dmd_http *h = arg;

	n *= size;
	if (h->len + n + 1 > DMD_HTTP_BODY_MAX) {
		h->toobig = 1;
		return 0;	/* curl stops with CURLE_WRITE_ERROR */
	}
	h->body = xgrow(h->body, &h->cap, h->len + n + 1, 1);
	memcpy(h->body + h->len, p, n);
	h->len += n;
	h->body[h->len] = '\0';
	return n;
}

int
dmd_http_do(struct dmd_http *h, const char *method, const char *url,
    const char *const *headers, const void *body, size_t len,
    long timeout_ms, char *err, size_t errlen)
{
	char cerr[CURL_ERROR_SIZE];
	struct curl_slist *hl = NULL, *t;
	CURL *c = h->curl;
	CURLcode rc;
	size_t i;

	h->status = 0;
	h->len = 0;
	h->toobig = 0;
	if (h->body != NULL)
		h->body[0] = '\0';
	for (i = 0; headers != NULL && headers[i] != NULL; i++) {
		if ((t = curl_slist_append(hl, headers[i])) == NULL) {
			curl_slist_free_all(hl);
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		hl = t;
	}
	cerr[0] = '\0';
	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
	/* a server that is not there is known in seconds, not minutes */
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms < 3000 ?
	    timeout_ms : 3000L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, h);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	/* only what the URL names: no redirects to elsewhere, no proxies
	 * from the environment for a server we were told to talk to */
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_PROXY, "");
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	if (h->sigv4 != NULL) {
		curl_easy_setopt(c, CURLOPT_AWS_SIGV4, h->sigv4);
		curl_easy_setopt(c, CURLOPT_USERPWD, h->userpwd);
	}
	if (body != NULL || strcmp(method, "POST") == 0) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : "");
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)(body ? len : 0));
	}
	if (strcmp(method, "GET") != 0 && strcmp(method, "POST") != 0)
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	else if (strcmp(method, "GET") == 0 && body != NULL)
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "GET");
	rc = curl_easy_perform(c);
	curl_slist_free_all(hl);
	if (rc != CURLE_OK) {
		/* the URL without its query: shorter, and the reason fits */
		snprintf(err, errlen, "%s %.*s: %s", method,
		    (int)strcspn(url, "?"), url, h->toobig ?
		    "response body too big" : cerr[0] ? cerr :
		    curl_easy_strerror(rc));
		return -1;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &h->status);
	if (h->body == NULL)
		on_body("", 1, 0, h);	/* an empty body is "" */
	return 0;
}

int
dmd_tcp_send(const char *hostport, const void *data, size_t len,
    long timeout_ms, char *err, size_t errlen)
{
	struct addrinfo hints, *res, *ai;
	struct pollfd pfd;
	const char *colon = strrchr(hostport, ':');
	const char *p = data;
	char host[256];
	int64_t deadline = dmd_mono_ms() + timeout_ms;
	socklen_t sl;
	ssize_t n;
	int fd = -1, rc, e;

	if (colon == NULL || colon == hostport ||
	    (size_t)(colon - hostport) >= sizeof(host)) {
		snprintf(err, errlen, "bad address \"%s\" (want HOST:PORT)",
		    hostport);
		return -1;
	}
	memcpy(host, hostport, (size_t)(colon - hostport));
	host[colon - hostport] = '\0';
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		memmove(host, host + 1, strlen(host));
		host[strlen(host) - 1] = '\0';
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if ((rc = getaddrinfo(host, colon + 1, &hints, &res)) != 0) {
		snprintf(err, errlen, "%s: %s", hostport, gai_strerror(rc));
		return -1;
	}
	e = ECONNREFUSED;
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0) {
			e = errno;
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0 ||
		    errno == EINPROGRESS)
			break;
		e = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	while (fd >= 0) {
		pfd.fd = fd;
		pfd.events = POLLOUT;
		rc = poll(&pfd, 1, (int)(deadline - dmd_mono_ms() > 0 ?
		    deadline - dmd_mono_ms() : 0));
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc <= 0) {
			e = rc == 0 ? ETIMEDOUT : errno;
			break;
		}
		sl = sizeof(e);
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &sl) != 0 ||
		    e != 0)
			break;
		if (len == 0) {
			close(fd);
			return 0;
		}
		n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n < 0) {
			e = errno;
			break;
		}
		p += n;
		len -= (size_t)n;
	}
	snprintf(err, errlen, "%s: %s", hostport, strerror(e));
	if (fd >= 0)
		close(fd);
	return -1;
}
