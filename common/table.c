/*
 * table.c - picks the table backend by URL scheme (see table.h).
 */
#include <stdio.h>
#include <string.h>

#include "table.h"
#include "table_dynamo.h"
#include "table_file.h"
#include "url.h"

struct dmd_table *
dmd_table_open(const char *url, char *err, size_t errlen)
{
	struct dmd_url u;

	if (dmd_url_parse(url, &u, err, errlen) != 0)
		return NULL;
	if (strcmp(u.scheme, "file") == 0)
		return dmd_table_file_open(&u, err, errlen);
	if (strcmp(u.scheme, "dynamodb") == 0)
		return dmd_table_dynamo_open(&u, err, errlen);
	snprintf(err, errlen, "unknown table scheme \"%s\" (want file:// or "
	    "dynamodb://)", u.scheme);
	return NULL;
}

int
dmd_table_put(struct dmd_table *t, const struct dmd_chunk *c, size_t n)
{
	t->stats.op = DMD_OP_PUT;
	return t->ops->put(t, c, n);
}

int
dmd_table_get(struct dmd_table *t, const char *name, int64_t from,
    int64_t until, dmd_chunk_cb *cb, void *arg)
{
	t->stats.op = DMD_OP_GET;
	return t->ops->get(t, name, from, until, cb, arg);
}

int
dmd_table_del(struct dmd_table *t, const struct dmd_chunk *c, size_t n)
{
	t->stats.op = DMD_OP_DEL;
	return t->ops->del(t, c, n);
}

int
dmd_table_names(struct dmd_table *t, const char *first, size_t firstlen,
    dmd_name_cb *cb, void *arg)
{
	t->stats.op = DMD_OP_NAMES;
	return t->ops->names(t, first, firstlen, cb, arg);
}

int
dmd_table_create(struct dmd_table *t)
{
	if (t->ops->create == NULL)
		return 0;
	t->stats.op = DMD_OP_PUT;
	return t->ops->create(t);
}

void
dmd_table_close(struct dmd_table *t)
{
	if (t != NULL)
		t->ops->close(t);
}
