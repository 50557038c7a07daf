/*
 * awsstub.h - aws.h and clock.h for the fuzz targets of the AWS backends
 * (fuzz-dynamo, fuzz-kinesis, fuzz-s3): every request is answered with
 * the next response of the fuzzer's input instead of going out.
 *
 * The input is a list of responses separated by NUL bytes.  A response
 * that starts with three digits and a space has that HTTP status (the
 * rest is its body); any other has status 200 and is all body.  When the
 * responses run out, a request fails as a lost connection does.  The
 * clock is fakeclock.h's, a second per look, so wait loops end at once.
 * Included by one target file only: it defines the functions
 * (and the two of common/cache.c the backends call, which would bring
 * all of the cache in).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws.h"
#include "fakeclock.h"
#include "url.h"

static const char	*stub_in;	/* what is left of the input */
static size_t		 stub_left;
static int		 stub_out;	/* 1: the input is used up */

static void
stub_start(const uint8_t *data, size_t size)
{
	stub_in = (const char *)data;
	stub_left = size;
	stub_out = 0;
}

void
dmd_cache_stats_count(struct dmd_cache_stats *s, size_t ncmd,
    double seconds)
{
	if (s->op < 0 || s->op >= DMD_OP_NUM)
		abort();
	s->requests++;
	s->commands += ncmd;
	s->seconds += seconds;
	s->ops[s->op].requests++;
}

void
dmd_cache_stats_error(struct dmd_cache_stats *s)
{
	if (s->op < 0 || s->op >= DMD_OP_NUM)
		abort();
	s->errors++;
	s->ops[s->op].errors++;
}

int
dmd_aws_init(struct dmd_aws *a, const char *service, const char *region,
    char *err, size_t errlen)
{
	(void)service;
	(void)region;
	(void)err;
	(void)errlen;
	memset(a, 0, sizeof(*a));
	return 0;
}

void
dmd_aws_release(struct dmd_aws *a)
{
	free(a->http.body);
	a->http.body = NULL;
}

int
dmd_aws_request(struct dmd_aws *a, const char *method, const char *url,
    const char *const *headers, const void *body, size_t len,
    char *err, size_t errlen)
{
	const char *p, *nul;
	size_t n;

	(void)method;
	(void)url;
	(void)headers;
	(void)body;
	(void)len;
	if (a->stats != NULL)
		dmd_cache_stats_count(a->stats, 1, 0.001);
	if (stub_out) {
		snprintf(err, errlen, "connection lost");
		return -1;
	}
	p = stub_in;
	nul = memchr(p, '\0', stub_left);
	n = nul != NULL ? (size_t)(nul - p) : stub_left;
	if (nul != NULL) {
		stub_in = nul + 1;
		stub_left -= n + 1;
	} else
		stub_out = 1;
	a->http.status = 200;
	if (n >= 4 && p[0] >= '1' && p[0] <= '5' && p[1] >= '0' &&
	    p[1] <= '9' && p[2] >= '0' && p[2] <= '9' && p[3] == ' ') {
		a->http.status = (p[0] - '0') * 100 + (p[1] - '0') * 10 +
		    (p[2] - '0');
		p += 4;
		n -= 4;
	}
	free(a->http.body);
	a->http.body = malloc(n + 1);	/* exact size: ASan sees overruns */
	if (a->http.body == NULL)
		abort();
	memcpy(a->http.body, p, n);
	a->http.body[n] = '\0';
	a->http.len = n;
	return 0;
}

int
dmd_aws_where(const struct dmd_url *u, const char *service, char *region,
    char *endpoint, int *given, char *err, size_t errlen)
{
	(void)u;
	(void)service;
	(void)err;
	(void)errlen;
	snprintf(region, 64, "us-east-1");
	snprintf(endpoint, DMD_URL_MAX, "http://127.0.0.1:9");
	*given = 1;
	return 0;
}
