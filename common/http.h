/*
 * http.h - requests to other servers: HTTP(S) through libcurl, and
 * plain TCP lines for carbon-style listeners.
 *
 * One struct dmd_http keeps one curl handle, so its connections are
 * reused between requests (keep-alive), the way a probe or a backend
 * talks to the same server again and again.  The response body is kept
 * in the struct up to DMD_HTTP_BODY_MAX bytes; more is an error, so a
 * runaway server cannot grow our memory.
 */
#ifndef DMD_HTTP_H
#define DMD_HTTP_H

#include <stddef.h>

#define DMD_HTTP_BODY_MAX	(64 * 1024 * 1024)

struct dmd_http {
	long		 status;	/* HTTP status of the last response */
	char		*body;		/* its body, NUL-terminated */
	size_t		 len;
	/* AWS signature version 4 for every request, if set: sigv4 is
	 * "aws:amz:REGION:SERVICE", userpwd "KEY_ID:SECRET" (see aws.h) */
	const char	*sigv4;
	const char	*userpwd;
	/* private */
	size_t		 cap;
	void		*curl;
	int		 toobig;
};

/* Set up h.  Release with dmd_http_release(). */
void dmd_http_init(struct dmd_http *h);

/* Free what h holds.  Accepts a zeroed h. */
void dmd_http_release(struct dmd_http *h);

/* Send method ("GET", "POST", "PUT", ...) to url with headers (a NULL-
 * terminated list of "Name: value", or NULL) and body (len bytes; NULL
 * for none), waiting at most timeout_ms in all.  Returns 0 when a
 * response came (whatever its status: see h->status), or -1 with a
 * message in err when none did. */
int dmd_http_do(struct dmd_http *h, const char *method, const char *url,
    const char *const *headers, const void *body, size_t len,
    long timeout_ms, char *err, size_t errlen);

/* Connect to "HOST:PORT", send len bytes and close, within timeout_ms.
 * Returns 0, or -1 with a message in err. */
int dmd_tcp_send(const char *hostport, const void *data, size_t len,
    long timeout_ms, char *err, size_t errlen);

#endif
