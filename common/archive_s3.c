/*
 * archive_s3.c - the archive tier in S3 (s3://BUCKET/PREFIX), or in
 * anything that speaks its API.
 *
 * An object is one S3 object at PREFIX/KEY: PUT whole (S3 stores it
 * whole or not at all, as put must), ranged GET with an explicit
 * "bytes=first-last" (never a suffix range, which some stand-ins serve
 * wrongly), ListObjectsV2 with a delimiter so a prefix lists one level,
 * as the file backend does, DELETE.  Every request is signed (aws.c)
 * and retried on 5xx and throttling.
 *
 * The lock is an object, PREFIX/lock, holding an owner token and an
 * expiry: PUT with If-None-Match: * (atomic on S3), then read back to
 * check the token won (for stores that ignore the condition); an
 * expired lock, or one whose owner was a process of this host that is
 * gone (killed), is taken over.  Close deletes it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "archive_s3.h"
#include "aws.h"
#include "clock.h"
#include "prog.h"
#include "sha256.h"
#include "url.h"
#include "xmalloc.h"

#define LOCK_LEASE_S	(6 * 3600)	/* longest archive run */
#define LIST_PAGE	1000

struct s3_archive {
	struct dmd_archive base;
	struct dmd_aws	 aws;
	char		 base_url[DMD_URL_MAX];	/* ENDPOINT/BUCKET or virtual */
	char		 prefix[DMD_KEY_MAX];	/* "" or "PREFIX/" */
	char		 token[64];		/* ours, in the lock */
	int		 locked;
};

static int
fail(struct s3_archive *s, int err, const char *what, const char *detail)
{
	s->base.err = err;
	snprintf(s->base.errstr, sizeof(s->base.errstr), "%.60s: %.190s", what,
	    detail);
	return -1;
}

/* A response with a status other than the ones wanted: say which, with
 * the service's error code (never a header: they may hold a token). */
static int
fail_status(struct s3_archive *s, const char *what)
{
	const struct dmd_http *h = &s->aws.http;
	const char *c = h->body ? strstr(h->body, "<Code>") : NULL;
	char detail[160];
	size_t n = 0;

	if (h->status != 404)	/* "no such object" is an answer */
		dmd_cache_stats_error(&s->base.stats);

	if (c != NULL) {
		c += 6;
		n = strcspn(c, "<");
		if (n > 100)
			n = 100;
	}
	snprintf(detail, sizeof(detail), "HTTP status %ld%s%.*s", h->status,
	    n ? " " : "", (int)n, c ? c : "");
	return fail(s, h->status == 404 ? DMD_ERR_GONE : DMD_ERR_REPLY, what,
	    detail);
}

static int
object_url(struct s3_archive *s, const char *key, char *url, size_t len)
{
	if (!dmd_archive_key_ok(key) && strcmp(key, "lock") != 0)
		return fail(s, DMD_ERR_CONFIG, "bad object key", key);
	if ((size_t)snprintf(url, len, "%s/%s%s", s->base_url, s->prefix,
	    key) >= len)
		return fail(s, DMD_ERR_CONFIG, "object key too long", key);
	return 0;
}

static int
request(struct s3_archive *s, const char *method, const char *url,
    const char *const *headers, const void *body, size_t len)
{
	char err[DMD_ERRSTR_MAX];

	if (dmd_aws_request(&s->aws, method, url, headers, body, len, err,
	    sizeof(err)) != 0)
		return fail(s, DMD_ERR_IO, "s3", err);
	return 0;
}

static int
s3_put(struct dmd_archive *a, const char *key, const unsigned char *data,
    size_t len)
{
	struct s3_archive *s = (struct s3_archive *)a;
	char url[DMD_URL_MAX + DMD_KEY_MAX], sha[65], hdr[96];
	const char *h[3] = { hdr, "Content-Type: application/octet-stream",
	    NULL };

	if (object_url(s, key, url, sizeof(url)) != 0)
		return -1;
	/* the payload's hash, signed: S3 checks what it got */
	dmd_sha256_hex(data, len, sha);
	snprintf(hdr, sizeof(hdr), "x-amz-content-sha256: %s", sha);
	if (request(s, "PUT", url, h, data ? (const void *)data : "",
	    len) != 0)
		return -1;
	if (s->aws.http.status != 200)
		return fail_status(s, key);
	return 0;
}

static int
s3_get(struct dmd_archive *a, const char *key, uint64_t off, size_t len,
    unsigned char *buf, size_t *got)
{
	struct s3_archive *s = (struct s3_archive *)a;
	char url[DMD_URL_MAX + DMD_KEY_MAX], range[80];
	const char *h[3] = { "x-amz-content-sha256: UNSIGNED-PAYLOAD", range,
	    NULL };
	const struct dmd_http *r = &s->aws.http;

	*got = 0;
	if (object_url(s, key, url, sizeof(url)) != 0)
		return -1;
	if (len == 0)
		return 0;
	snprintf(range, sizeof(range), "Range: bytes=%llu-%llu",
	    (unsigned long long)off, (unsigned long long)(off + len - 1));
	if (request(s, "GET", url, h, NULL, 0) != 0)
		return -1;
	if (r->status == 416)	/* all of it past the end */
		return 0;
	if (r->status != 206 && r->status != 200)
		return fail_status(s, key);
	if (r->status == 200) {
		/* a server that ignores ranges: take our part */
		if (off >= r->len)
			return 0;
		*got = r->len - off < len ? r->len - off : len;
		memcpy(buf, r->body + off, *got);
	} else {
		*got = r->len < len ? r->len : len;
		memcpy(buf, r->body, *got);
	}
	s->base.bytes_read += *got;
	return 0;
}

/* The text of the next <tag>...</tag> at or after *p, unescaped into
 * out; *p moves past it.  NULL when there is none. */
static char *
xml_next(const char **p, const char *tag, char *out, size_t outlen)
{
	char open[40], close[40];
	const char *a, *b, *c;
	size_t o = 0;

	snprintf(open, sizeof(open), "<%s>", tag);
	snprintf(close, sizeof(close), "</%s>", tag);
	if ((a = strstr(*p, open)) == NULL)
		return NULL;
	a += strlen(open);
	if ((b = strstr(a, close)) == NULL)
		return NULL;
	*p = b + strlen(close);
	for (c = a; c < b && o + 1 < outlen; c++) {
		if (*c == '&') {
			static const struct { const char *e; char c; } ent[] = {
				{ "&amp;", '&' }, { "&lt;", '<' },
				{ "&gt;", '>' }, { "&quot;", '"' },
				{ "&apos;", '\'' }
			};
			size_t i;

			for (i = 0; i < 5; i++)
				if (strncmp(c, ent[i].e, strlen(ent[i].e)) ==
				    0)
					break;
			if (i < 5) {
				out[o++] = ent[i].c;
				c += strlen(ent[i].e) - 1;
				continue;
			}
		}
		out[o++] = *c;
	}
	out[o] = '\0';
	return out;
}

struct entry {
	char	*key;
	uint64_t size;
};

static int
cmpentry(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->key,
	    ((const struct entry *)b)->key);
}

static int
s3_list(struct dmd_archive *a, const char *prefix, dmd_object_cb *cb,
    void *arg)
{
	struct s3_archive *s = (struct s3_archive *)a;
	char url[4 * DMD_URL_MAX], full[2 * DMD_KEY_MAX], token[1024];
	char key[2 * DMD_KEY_MAX], size[32];
	const char *h[2] = { "x-amz-content-sha256: UNSIGNED-PAYLOAD", NULL };
	const char *p, *c;
	struct entry *v = NULL;
	size_t n = 0, cap = 0, i, plen = strlen(s->prefix);
	int rv = 0, more = 1;

	snprintf(full, sizeof(full), "%s%s", s->prefix, prefix);
	token[0] = '\0';
	while (more && rv == 0) {
		/* the query canonical already: names sorted, values encoded
		 * (libcurl signs it as written) */
		snprintf(url, sizeof(url), "%s?", s->base_url);
		if (token[0] != '\0') {
			strcat(url, "continuation-token=");
			if (dmd_url_encode(url, sizeof(url), token, 0) != 0)
				return fail(s, DMD_ERR_REPLY, "list",
				    "continuation token too long");
			strcat(url, "&");
		}
		snprintf(url + strlen(url), sizeof(url) - strlen(url),
		    "delimiter=%%2F&list-type=2&max-keys=%d&prefix=",
		    LIST_PAGE);
		if (dmd_url_encode(url, sizeof(url), full, 0) != 0)
			return fail(s, DMD_ERR_CONFIG, "list", "prefix too long");
		if (request(s, "GET", url, h, NULL, 0) != 0) {
			rv = -1;
			break;
		}
		if (s->aws.http.status != 200) {
			rv = fail_status(s, "list");
			break;
		}
		p = s->aws.http.body;
		while ((c = strstr(p, "<Contents>")) != NULL) {
			p = c;
			if (xml_next(&p, "Key", key, sizeof(key)) == NULL ||
			    xml_next(&p, "Size", size, sizeof(size)) == NULL)
				break;
			if (strncmp(key, s->prefix, plen) != 0)
				continue;
			if (strcmp(key + plen, "lock") == 0)
				continue;	/* ours, not an object */
			v = xgrow(v, &cap, n + 1, sizeof(*v));
			v[n].key = xstrdup(key + plen);
			v[n++].size = strtoull(size, NULL, 10);
		}
		p = s->aws.http.body;
		more = xml_next(&p, "IsTruncated", key, sizeof(key)) != NULL &&
		    strcmp(key, "true") == 0;
		p = s->aws.http.body;
		if (more && xml_next(&p, "NextContinuationToken", token,
		    sizeof(token)) == NULL)
			rv = fail(s, DMD_ERR_REPLY, "list",
			    "truncated answer without a continuation token");
	}
	if (n > 0)
		qsort(v, n, sizeof(*v), cmpentry);
	for (i = 0; i < n; i++) {
		if (rv == 0 && cb(arg, v[i].key, v[i].size) != 0)
			rv = 1;
		free(v[i].key);
	}
	free(v);
	return rv < 0 ? -1 : 0;
}

static int
s3_del(struct dmd_archive *a, const char *key)
{
	struct s3_archive *s = (struct s3_archive *)a;
	char url[DMD_URL_MAX + DMD_KEY_MAX];
	const char *h[2] = { "x-amz-content-sha256: UNSIGNED-PAYLOAD", NULL };

	if (object_url(s, key, url, sizeof(url)) != 0 ||
	    request(s, "DELETE", url, h, NULL, 0) != 0)
		return -1;
	if (s->aws.http.status != 204 && s->aws.http.status != 200 &&
	    s->aws.http.status != 404)
		return fail_status(s, key);
	return 0;
}

static int
s3_lock(struct dmd_archive *a)
{
	struct s3_archive *s = (struct s3_archive *)a;
	char url[DMD_URL_MAX + DMD_KEY_MAX], body[400], sha[65], hdr[96];
	char owner[256];
	const char *hg[2] = { "x-amz-content-sha256: UNSIGNED-PAYLOAD", NULL };
	const char *hp[3] = { hdr, "If-None-Match: *", NULL };
	long long expiry;
	long pid;
	int try;

	if (object_url(s, "lock", url, sizeof(url)) != 0)
		return -1;
	for (try = 0; try < 2; try++) {
		if (request(s, "GET", url, hg, NULL, 0) != 0)
			return -1;
		if (s->aws.http.status == 200) {
			owner[0] = '\0';
			pid = 0;
			if (sscanf(s->aws.http.body, "%*s %lld %255s %ld",
			    &expiry, owner, &pid) >= 1 &&
			    expiry > (long long)time(NULL) &&
			    !(strcmp(owner, dmd_hostname()) == 0 && pid > 0 &&
			    pid != (long)getpid() && dmd_pid_gone(pid)))
				return 1;	/* another writer's */
			/* its lease ran out, or its owner on this host died:
			 * take it over */
			if (s3_del(a, "lock") != 0)
				return -1;
			continue;
		}
		if (s->aws.http.status != 404)
			return fail_status(s, "lock");
		snprintf(body, sizeof(body), "%s %lld %s %ld\n", s->token,
		    (long long)time(NULL) + LOCK_LEASE_S, dmd_hostname(),
		    (long)getpid());
		dmd_sha256_hex(body, strlen(body), sha);
		snprintf(hdr, sizeof(hdr), "x-amz-content-sha256: %s", sha);
		if (request(s, "PUT", url, hp, body, strlen(body)) != 0)
			return -1;
		if (s->aws.http.status == 412 || s->aws.http.status == 409)
			return 1;	/* someone was quicker */
		if (s->aws.http.status != 200)
			return fail_status(s, "lock");
		/* a store that ignores If-None-Match: the last PUT wins;
		 * read back whose that was */
		if (request(s, "GET", url, hg, NULL, 0) != 0)
			return -1;
		if (s->aws.http.status != 200 ||
		    strncmp(s->aws.http.body, s->token, strlen(s->token)) != 0)
			return 1;
		s->locked = 1;
		return 0;
	}
	return 1;
}

static void
s3_close(struct dmd_archive *a)
{
	struct s3_archive *s = (struct s3_archive *)a;

	if (s->locked)
		s3_del(a, "lock");
	dmd_aws_release(&s->aws);
	free(s);
}

static const struct dmd_archive_ops s3_ops = {
	s3_put, s3_get, s3_list, s3_del, s3_lock, s3_close
};

struct dmd_archive *
dmd_archive_s3_open(const struct dmd_url *u, char *err, size_t errlen)
{
	struct s3_archive *s;
	char region[64], endpoint[DMD_URL_MAX], style[16];
	const char *prefix = u->path[0] == '/' ? u->path + 1 : u->path;
	const char *host;
	struct timespec ts;
	size_t plen;
	int virt, given;

	static const char *const params[] = { "region", "endpoint", "style",
	    NULL };

	if (dmd_url_params_only(u, params, err, errlen) != 0)
		return NULL;
	if (u->port != 0) {
		snprintf(err, errlen, "a bucket has no port: want "
		    "s3://BUCKET/PREFIX?endpoint=URL");
		return NULL;
	}
	if (u->host[0] == '\0' || strspn(u->host,
	    "abcdefghijklmnopqrstuvwxyz0123456789.-") != strlen(u->host) ||
	    strlen(u->host) < 3 || strlen(u->host) > 63) {
		snprintf(err, errlen, "bad bucket name \"%s\"", u->host);
		return NULL;
	}
	plen = strlen(prefix);
	while (plen > 0 && prefix[plen - 1] == '/')
		plen--;
	if (plen >= DMD_KEY_MAX / 2) {
		snprintf(err, errlen, "prefix too long");
		return NULL;
	}
	if (dmd_url_param(u, "style", style, sizeof(style)) != 0)
		style[0] = '\0';
	if (style[0] != '\0' && strcmp(style, "path") != 0 &&
	    strcmp(style, "virtual") != 0) {
		snprintf(err, errlen, "style is \"%s\" (want path or "
		    "virtual)", style);
		return NULL;
	}
	if (dmd_aws_where(u, "s3", region, endpoint, &given, err,
	    errlen) != 0)
		return NULL;
	/* AWS's own endpoint: virtual hosts; a named one: paths */
	virt = given ? strcmp(style, "virtual") == 0 :
	    strcmp(style, "path") != 0;
	while (endpoint[0] && endpoint[strlen(endpoint) - 1] == '/')
		endpoint[strlen(endpoint) - 1] = '\0';

	s = xcalloc(1, sizeof(*s));
	s->base.ops = &s3_ops;
	if (dmd_aws_init(&s->aws, "s3", region, err, errlen) != 0) {
		free(s);
		return NULL;
	}
	s->aws.stats = &s->base.stats;
	host = strstr(endpoint, "://") + 3;
	if (virt)
		snprintf(s->base_url, sizeof(s->base_url), "%.*s%s.%s",
		    (int)(host - endpoint), endpoint, u->host, host);
	else
		snprintf(s->base_url, sizeof(s->base_url), "%s/%s", endpoint,
		    u->host);
	if (plen > 0)
		snprintf(s->prefix, sizeof(s->prefix), "%.*s/", (int)plen,
		    prefix);
	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(s->token, sizeof(s->token), "%s.%ld.%lld.%ld",
	    dmd_hostname(), (long)getpid(), (long long)ts.tv_sec,
	    ts.tv_nsec);
	return &s->base;
}
