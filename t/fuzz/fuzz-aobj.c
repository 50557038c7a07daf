/*
 * fuzz-aobj.c - libFuzzer target for archive objects (common/aobj.c) and
 * rollup blocks (common/rollup.c) fed arbitrary bytes.
 *
 * The input, copied to an exact-size buffer, is parsed as a whole object
 * and as the tail of a longer one; every entry of an index that parses
 * must lie inside the blocks, its block is checked and, when the check
 * passes, decoded (points or rollup) without reading past it.  The input
 * is also decoded as a rollup block on its own.  Built and run by
 * t/fuzz/run.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aobj.h"
#include "block.h"
#include "rollup.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
entries(const struct dmd_aobj *o, const unsigned char *buf, uint64_t base,
    size_t size)
{
	struct dmd_sample *s = NULL;
	struct dmd_rollup *r;
	size_t i, n, cap = 0;
	long got;

	for (i = 0; i < o->n; i++) {
		const struct dmd_aobj_entry *e = &o->e[i];
		const unsigned char *b;

		if (e->off > size || e->len > size - e->off)
			abort();	/* the parser let it out */
		if (e->off < base)
			continue;	/* not in this buffer */
		b = buf + (e->off - base);
		if (e->off - base + e->len > size - base)
			continue;
		if (!dmd_aobj_check(e, b, (size_t)e->len))
			continue;
		if (e->res == 0) {
			n = 0;
			(void)dmd_block_decode((const char *)b, (size_t)e->len,
			    INT64_MIN, INT64_MAX, &s, &n, &cap);
		} else if (e->count <= 4096) {
			r = malloc(((size_t)e->count + 1) * sizeof(*r));
			got = dmd_rollup_decode(b, (size_t)e->len, r,
			    (size_t)e->count);
			if (got > (long)e->count)
				abort();
			free(r);
		}
	}
	free(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dmd_aobj o;
	struct dmd_rollup *r;
	unsigned char *buf;
	uint64_t need;
	char err[128];
	long got;
	int rc;

	buf = malloc(size ? size : 1);
	memcpy(buf, data, size);
	dmd_aobj_init(&o);
	rc = dmd_aobj_index(&o, buf, size, size, &need, err, sizeof(err));
	if (rc == 1)
		abort();	/* the whole object was there */
	if (rc == 0)
		entries(&o, buf, 0, size);
	/* as the tail of an object 1000 bytes longer */
	rc = dmd_aobj_index(&o, buf, size, (uint64_t)size + 1000, &need, err,
	    sizeof(err));
	if (rc == 1 && need >= (uint64_t)size + 1000 - size)
		abort();	/* asked for what it had */
	dmd_aobj_release(&o);

	r = malloc(64 * sizeof(*r));
	got = dmd_rollup_decode(buf, size, r, 64);
	if (got > 64)
		abort();
	free(r);
	free(buf);
	return 0;
}
