/*
 * fuzz-dynamo.c - libFuzzer target for the parsing of DynamoDB's JSON
 * answers in common/table_dynamo.c (Query items and pages, BatchGetItem
 * responses, BatchWriteItem's UnprocessedItems, DescribeTable, error
 * bodies).
 *
 * The first byte picks the operation (create, names, names of one first
 * component, get, put); the rest is the list of HTTP responses the table
 * gets, as awsstub.h reads them.  Whatever they say, the table must not
 * crash, leak or loop, chunks it hands on must lie in the range asked
 * for, and a failure must say why.  Built and run by t/fuzz/run.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "awsstub.h"
#include "table.h"
#include "table_dynamo.h"
#include "url.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
on_chunk(void *arg, const struct dmd_chunk *c)
{
	size_t *n = arg;

	if (c->last < 1000 || c->first > 5000 || (c->len > 0 &&
	    c->data == NULL))
		abort();	/* out of the range asked for */
	if (c->len > 0)
		(void)((volatile const unsigned char *)c->data)[c->len - 1];
	return ++*n >= 1000;
}

static int
on_name(void *arg, const char *name, size_t len)
{
	size_t *n = arg;

	if (strlen(name) != len)
		abort();
	return ++*n >= 1000;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned char blk[] = { 1, 2, 3, 4 };
	struct dmd_chunk c[3] = {
		{ "a.b", 1000, 2000, 1, blk, sizeof(blk) },
		{ "a.c", 1000, 2000, 2, blk, sizeof(blk) },
		{ "x.y", 3000, 4000, 3, blk, sizeof(blk) },
	};
	struct dmd_url u;
	struct dmd_table *t;
	char err[256];
	size_t n = 0;
	int rv = 0;

	if (size < 1)
		return 0;
	if (dmd_url_parse("dynamodb://fuzz_table?ttl=30d", &u, err,
	    sizeof(err)) != 0 ||
	    (t = dmd_table_dynamo_open(&u, err, sizeof(err))) == NULL)
		abort();
	stub_start(data + 1, size - 1);
	switch (data[0] % 5) {
	case 0:
		rv = t->ops->create(t);
		break;
	case 1:
		rv = t->ops->names(t, NULL, 0, on_name, &n);
		break;
	case 2:
		rv = t->ops->names(t, "a", 1, on_name, &n);
		break;
	case 3:
		rv = t->ops->get(t, "a.b", 1000, 5000, on_chunk, &n);
		break;
	case 4:
		rv = t->ops->put(t, c, 3);
		break;
	}
	if (rv != 0 && (rv != -1 || t->err == 0 || t->errstr[0] == '\0'))
		abort();	/* a failure that does not say why */
	t->ops->close(t);
	return 0;
}
