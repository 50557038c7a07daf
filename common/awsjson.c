/*
 * awsjson.c - the JSON APIs of AWS.  See awsjson.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "awsjson.h"
#include "cache.h"
#include "xmalloc.h"

yajl_gen
dmd_json_gen(void)
{
	yajl_gen g = yajl_gen_alloc(NULL);

	if (g == NULL)
		dmd_oom(0);
	return g;
}

void
dmd_json_str(yajl_gen g, const char *s)
{
	yajl_gen_string(g, (const unsigned char *)s, strlen(s));
}

yajl_val
dmd_json_get(yajl_val v, const char *a, const char *b)
{
	const char *path[3] = { a, b, NULL };

	return yajl_tree_get(v, path, yajl_t_any);
}

int
dmd_awsjson_post(struct dmd_aws *a, const char *url, const char *api,
    const char *version, const char *op, yajl_gen g, char *err,
    size_t errlen)
{
	char ctype[64], target[128];
	const char *h[3] = { ctype, target, NULL };
	const unsigned char *buf;
	size_t len;
	int rc;

	snprintf(ctype, sizeof(ctype), "Content-Type: application/"
	    "x-amz-json-%s", version);
	snprintf(target, sizeof(target), "X-Amz-Target: %s.%s", api, op);
	yajl_gen_get_buf(g, &buf, &len);
	rc = dmd_aws_request(a, "POST", url, h, buf, len, err, errlen);
	yajl_gen_free(g);
	return rc;
}

int
dmd_awsjson_failure(struct dmd_aws *a, char *detail, size_t len)
{
	const struct dmd_http *h = &a->http;
	const char *t = h->body ? strstr(h->body, "\"__type\"") : NULL;
	const char *hash;
	size_t n = 0;

	if (a->stats != NULL)
		dmd_cache_stats_error(a->stats);
	if (t != NULL && (t = strchr(t + 8, '"')) != NULL) {
		t++;
		n = strcspn(t, "\"");
		/* "com.amazonaws.dynamodb.v20120810#ResourceNotFound..." */
		if ((hash = memchr(t, '#', n)) != NULL) {
			n -= (size_t)(hash + 1 - t);
			t = hash + 1;
		}
	}
	snprintf(detail, len, "HTTP status %ld%s%.*s", h->status,
	    n ? " " : "", (int)(n > 100 ? 100 : n), t ? t : "");
	return n > 0 && strstr(detail, "ResourceNotFound") != NULL ?
	    DMD_ERR_CONFIG : DMD_ERR_REPLY;
}

yajl_val
dmd_awsjson_object(const struct dmd_aws *a)
{
	yajl_val v;

	if (a->http.body == NULL)
		return NULL;
	v = yajl_tree_parse(a->http.body, NULL, 0);
	if (v != NULL && !YAJL_IS_OBJECT(v)) {
		yajl_tree_free(v);
		v = NULL;
	}
	return v;
}
