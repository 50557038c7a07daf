/*
 * aws.c - signed requests with retries (see aws.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "aws.h"
#include "clock.h"
#include "url.h"

#define BACKOFF_FIRST_MS	50
#define BACKOFF_MAX_MS		2000
#define REQUEST_TIMEOUT_MS	60000

int
dmd_aws_init(struct dmd_aws *a, const char *service, const char *region,
    char *err, size_t errlen)
{
	const char *id = getenv("AWS_ACCESS_KEY_ID");
	const char *secret = getenv("AWS_SECRET_ACCESS_KEY");
	const char *token = getenv("AWS_SESSION_TOKEN");

	memset(a, 0, sizeof(*a));
	if (id == NULL || *id == '\0' || secret == NULL || *secret == '\0') {
		snprintf(err, errlen, "no credentials: set AWS_ACCESS_KEY_ID "
		    "and AWS_SECRET_ACCESS_KEY");
		return -1;
	}
	if (strchr(id, ':') != NULL || (size_t)snprintf(a->userpwd,
	    sizeof(a->userpwd), "%s:%s", id, secret) >= sizeof(a->userpwd) ||
	    (token != NULL && (size_t)snprintf(a->token, sizeof(a->token),
	    "x-amz-security-token: %s", token) >= sizeof(a->token))) {
		memset(a->userpwd, 0, sizeof(a->userpwd));
		snprintf(err, errlen, "credentials in the environment are "
		    "malformed or too long");
		return -1;
	}
	snprintf(a->sigv4, sizeof(a->sigv4), "aws:amz:%s:%s", region,
	    service);
	dmd_http_init(&a->http);
	a->http.sigv4 = a->sigv4;
	a->http.userpwd = a->userpwd;
	srandom((unsigned)(time(NULL) ^ getpid()));
	return 0;
}

void
dmd_aws_release(struct dmd_aws *a)
{
	dmd_http_release(&a->http);
	/* no secret left behind in freed memory */
	memset(a->userpwd, 0, sizeof(a->userpwd));
	memset(a->token, 0, sizeof(a->token));
}

/* Worth another try: the service is busy or broken for now. */
static int
retryable(const struct dmd_http *h)
{
	if (h->status >= 500 || h->status == 429)
		return 1;
	if (h->status == 400 && h->body != NULL &&
	    (strstr(h->body, "Throttling") != NULL ||
	    strstr(h->body, "ProvisionedThroughputExceeded") != NULL ||
	    strstr(h->body, "RequestLimitExceeded") != NULL ||
	    strstr(h->body, "SlowDown") != NULL))
		return 1;
	return 0;
}

int
dmd_aws_request(struct dmd_aws *a, const char *method, const char *url,
    const char *const *headers, const void *body, size_t len, char *err,
    size_t errlen)
{
	const char *hl[16];
	int64_t cap = BACKOFF_FIRST_MS;
	double t0;
	size_t n = 0;
	int try, rc;

	for (; headers != NULL && headers[n] != NULL && n < 14; n++)
		hl[n] = headers[n];
	if (a->token[0] != '\0')
		hl[n++] = a->token;
	hl[n] = NULL;
	for (try = 1;; try++) {
		t0 = dmd_mono_seconds();
		rc = dmd_http_do(&a->http, method, url, hl, body, len,
		    a->timeout_ms > 0 ? a->timeout_ms : REQUEST_TIMEOUT_MS,
		    err, errlen);
		/* a failed try counts as an error; an answer the caller did
		 * not want is the caller's to count */
		if (a->stats != NULL) {
			dmd_cache_stats_count(a->stats, 1,
			    dmd_mono_seconds() - t0);
			if (rc != 0 || retryable(&a->http))
				dmd_cache_stats_error(a->stats);
		}
		if ((rc == 0 && !retryable(&a->http)) ||
		    try == (a->tries > 0 ? a->tries : DMD_AWS_TRIES))
			return rc;
		/* a caller's own short timeout ran out: its call */
		if (rc != 0 && a->timeout_ms > 0 && strstr(err,
		    "timed out") != NULL)
			return rc;
		/* full jitter: a herd of clients spreads out */
		dmd_sleep_ms(random() % cap + 1, NULL);
		if ((cap *= 2) > BACKOFF_MAX_MS)
			cap = BACKOFF_MAX_MS;
		a->retries++;
	}
}

int
dmd_aws_where(const struct dmd_url *u, const char *service, char *region,
    char *endpoint, int *given, char *err, size_t errlen)
{
	const char *r;

	if (dmd_url_param(u, "region", region, 64) != 0 || *region == '\0') {
		r = getenv("AWS_REGION");
		snprintf(region, 64, "%s", r && *r ? r : "us-east-1");
	}
	*given = dmd_url_param(u, "endpoint", endpoint, DMD_URL_MAX) == 0;
	if (!*given)
		snprintf(endpoint, DMD_URL_MAX, "https://%s.%s.amazonaws.com",
		    service, region);
	if (strncmp(endpoint, "http://", 7) != 0 &&
	    strncmp(endpoint, "https://", 8) != 0) {
		snprintf(err, errlen, "endpoint \"%.200s\": want http:// or "
		    "https://", endpoint);
		return -1;
	}
	return 0;
}
