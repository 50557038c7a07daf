/*
 * awsjson.h - the JSON APIs of AWS (DynamoDB, Kinesis): a request is a
 * JSON object built with yajl_gen and POSTed with an X-Amz-Target naming
 * the operation; the answer is a JSON object, and an answer that is not
 * 200 names its error by "__type".  The backends (table_dynamo.c,
 * stream_kinesis.c) keep their own messages; this module only speaks
 * the protocol.
 */
#ifndef DMD_AWSJSON_H
#define DMD_AWSJSON_H

#include <stddef.h>

#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "aws.h"

/* A new generator; out of memory ends the program as xmalloc() does. */
yajl_gen dmd_json_gen(void);

/* s, a C string, as a JSON string (or object key). */
void dmd_json_str(yajl_gen g, const char *s);

/* v's member a, or its member a's member b when b is not NULL; NULL if
 * there is none. */
yajl_val dmd_json_get(yajl_val v, const char *a, const char *b);

/* POST the JSON g holds (g is freed) to url as operation op of API api
 * ("DynamoDB_20120810"), content type application/x-amz-json-VERSION.
 * 0 with the answer in a->http, whatever its status, or -1 with a
 * message in err when none came. */
int dmd_awsjson_post(struct dmd_aws *a, const char *url, const char *api,
    const char *version, const char *op, yajl_gen g, char *err,
    size_t errlen);

/* For an answer that is not 200: "HTTP status 400 TYPE" in detail
 * (len bytes), TYPE its __type without the namespace before '#' and
 * cut at 100 bytes.  Counts an error in a->stats.  Returns DMD_ERR_CONFIG
 * when TYPE says the table or stream is not there (ResourceNotFound),
 * else DMD_ERR_REPLY. */
int dmd_awsjson_failure(struct dmd_aws *a, char *detail, size_t len);

/* The answer parsed, if it is a JSON object (free with yajl_tree_free);
 * else NULL. */
yajl_val dmd_awsjson_object(const struct dmd_aws *a);

#endif
