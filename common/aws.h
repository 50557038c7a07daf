/*
 * aws.h - requests to AWS APIs (S3, DynamoDB, Kinesis) or their local
 * stand-ins: credentials, signing, retries.
 *
 * Credentials come from the environment only (AWS_ACCESS_KEY_ID,
 * AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), never from a URL or a
 * command line, and are never printed: error messages name the request,
 * not the headers.  libcurl signs each request (signature version 4);
 * the caller sends x-amz-content-sha256 where the service wants it.
 *
 * A request that fails in a way worth retrying (no connection, a
 * timeout, 5xx, 429, or a throttling error code in the body) is retried
 * with exponential backoff and full jitter, 50 ms doubling to 2 s, up to
 * DMD_AWS_TRIES times in all.  Each try is counted in *stats.
 */
#ifndef DMD_AWS_H
#define DMD_AWS_H

#include <stddef.h>

#include "cache.h"
#include "http.h"

#define DMD_AWS_TRIES	8

struct dmd_aws {
	struct dmd_http	 http;		/* the last response */
	struct dmd_cache_stats *stats;	/* requests counted here, or NULL */
	unsigned long	 retries;
	long		 timeout_ms;	/* of one try; 0: 60 s */
	int		 tries;		/* 0: DMD_AWS_TRIES */
	/* private */
	char		 sigv4[128];
	char		 userpwd[512];
	char		 token[2100];	/* "x-amz-security-token: ..." */
};

/* Set up a for service ("s3", "dynamodb", "kinesis") in region.  -1
 * with a message in err when the credentials are missing. */
int dmd_aws_init(struct dmd_aws *a, const char *service, const char *region,
    char *err, size_t errlen);

void dmd_aws_release(struct dmd_aws *a);

/* Send a signed request, retrying as above; headers as dmd_http_do().
 * Returns 0 when a response came that is not worth retrying (or the
 * last try's), whatever its status (a->http.status), or -1 with a
 * message in err when no response came. */
int dmd_aws_request(struct dmd_aws *a, const char *method, const char *url,
    const char *const *headers, const void *body, size_t len,
    char *err, size_t errlen);

struct dmd_url;

/* The region and endpoint of an AWS URL: ?region= (else AWS_REGION,
 * else us-east-1) into region (64 bytes), ?endpoint= (else
 * https://SERVICE.REGION.amazonaws.com) into endpoint (DMD_URL_MAX
 * bytes), which must be http:// or https://.  *given says whether the
 * URL named the endpoint.  0, or -1 with a message in err. */
int dmd_aws_where(const struct dmd_url *u, const char *service,
    char *region, char *endpoint, int *given, char *err, size_t errlen);

#endif
