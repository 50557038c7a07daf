/*
 * test-aobj.c - unit tests of archive objects (common/aobj.c), stored
 * rollups (common/rollup.c) and archive object keys (dmd_akey_make(),
 * dmd_akey_parse(), common/archiver.c): objects built with
 * dmd_aobj_add()/dmd_aobj_finish() and read back with dmd_aobj_index()
 * from the whole buffer and from a short tail, dmd_aobj_find() hits and
 * misses, every truncation and every single-byte change of the index and
 * footer rejected, every changed block byte caught by dmd_aobj_check();
 * rollups made, encoded, decoded, folded and merged against buckets
 * worked out by hand; keys round trip and non-canonical spellings are
 * rejected.
 */
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aobj.h"
#include "archiver.h"
#include "crc32.h"
#include "rollup.h"
#include "tap.h"
#include "xmalloc.h"

#define N(x)	(sizeof(x) / sizeof((x)[0]))

/* --- objects ---------------------------------------------------------- */

struct blk {
	const char	*name;
	uint32_t	 res;
	int64_t		 first, last;
	uint64_t	 count;
	uint64_t	 seq;
	const char	*bytes;
};

/* Sorted by (name, res), as dmd_aobj_add() wants them. */
static const struct blk blks[] = {
	{ "a.x", 0, -5, 1732406400, 3, 0x0006611b4c03c44bULL,
	    "raw points of a.x" },
	{ "a.x", 3600, 1732402800, 1732406400, 2, 0x0006611b4c03c44bULL,
	    "a.x by the hour" },
	{ "a.x", 86400, 1732320000, 1732320000, 1, 1, "a.x by the day" },
	{ "b.y", 0, 0, 0, 1, 0, "b" },
	{ "c.z.long.name-with:punct_", 0, 1732406400, 1732492799, 1440,
	    UINT64_MAX,
	    "c.z: a longer block, long enough to span several varint bytes" },
};

static void
build(struct dmd_aobj *o)
{
	size_t i;

	dmd_aobj_init(o);
	for (i = 0; i < N(blks); i++)
		dmd_aobj_add(o, blks[i].name, blks[i].res, blks[i].first,
		    blks[i].last, blks[i].count, blks[i].seq,
		    (const unsigned char *)blks[i].bytes,
		    strlen(blks[i].bytes));
	dmd_aobj_finish(o);
}

/* Offset of the index: from the footer. */
static uint64_t
index_off(const struct dmd_aobj *o)
{
	const unsigned char *f = o->buf + o->len - DMD_AOBJ_FOOTER;
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = (v << 8) | f[8 + i];
	return v;
}

static int
entries_match(const struct dmd_aobj *r, const struct dmd_aobj *o)
{
	size_t i, blkoff = 0;

	if (r->n != N(blks))
		return 0;
	for (i = 0; i < N(blks); i++) {
		const struct dmd_aobj_entry *e = &r->e[i];
		size_t len = strlen(blks[i].bytes);

		if (strcmp(e->name, blks[i].name) != 0 ||
		    e->res != blks[i].res || e->first != blks[i].first ||
		    e->last != blks[i].last || e->count != blks[i].count ||
		    e->seq != blks[i].seq || e->off != blkoff || e->len != len ||
		    e->crc != dmd_crc32(0, blks[i].bytes, len) ||
		    memcmp(o->buf + e->off, blks[i].bytes, len) != 0)
			return 0;
		blkoff += len;
	}
	return 1;
}

static void
test_build_and_read(void)
{
	struct dmd_aobj o, r;
	uint64_t need = 12345, ioff, blkbytes = 0;
	char err[128];
	size_t i, k;
	int rc, good;

	build(&o);
	for (i = 0; i < N(blks); i++)
		blkbytes += strlen(blks[i].bytes);
	ioff = index_off(&o);
	ok(ioff == blkbytes, "the index follows the blocks (at %" PRIu64 ")",
	    ioff);
	ok(memcmp(o.buf + o.len - DMD_AOBJ_FOOTER, "DMDA", 4) == 0 &&
	    o.buf[o.len - DMD_AOBJ_FOOTER + 4] == DMD_AOBJ_VERSION &&
	    memcmp(o.buf + o.len - DMD_AOBJ_FOOTER + 5, "\0\0\0", 3) == 0,
	    "the footer starts with DMDA, version %d", DMD_AOBJ_VERSION);

	dmd_aobj_init(&r);
	rc = dmd_aobj_index(&r, o.buf, o.len, o.len, &need, err, sizeof(err));
	ok(rc == 0, "the whole object parses (rc %d)", rc);
	ok(entries_match(&r, &o), "every entry reads back as added, "
	    "negative first time and the largest seq included");
	for (i = 0, good = 1; i < r.n; i++)
		good &= dmd_aobj_check(&r.e[i], o.buf + r.e[i].off,
		    (size_t)r.e[i].len);
	ok(good, "dmd_aobj_check accepts every block");

	/* the tail exactly from the index on */
	rc = dmd_aobj_index(&r, o.buf + ioff, o.len - ioff, o.len, &need, err,
	    sizeof(err));
	ok(rc == 0 && entries_match(&r, &o),
	    "a tail of exactly index and footer parses");

	/* a tail too short: 1 and where to start, then the rest works */
	for (k = DMD_AOBJ_FOOTER, good = 1; k < o.len - ioff; k++) {
		need = 0;
		rc = dmd_aobj_index(&r, o.buf + o.len - k, k, o.len, &need,
		    err, sizeof(err));
		if (rc != 1 || need != ioff)
			good = 0;
		else if (dmd_aobj_index(&r, o.buf + need, o.len - need,
		    o.len, &need, err, sizeof(err)) != 0 ||
		    !entries_match(&r, &o))
			good = 0;
	}
	ok(good, "every tail shorter than the index asks for more from the "
	    "index's offset, and then parses");
	rc = dmd_aobj_index(&r, o.buf + o.len - (DMD_AOBJ_FOOTER - 1),
	    DMD_AOBJ_FOOTER - 1, o.len, &need, err, sizeof(err));
	ok(rc == -1, "a tail shorter than the footer is an error");
	rc = dmd_aobj_index(&r, o.buf, o.len, o.len - 1, &need, err,
	    sizeof(err));
	ok(rc == -1 && r.n == 0, "a tail longer than the object is an error");

	dmd_aobj_release(&r);
	dmd_aobj_release(&o);
}

static void
test_find_check(void)
{
	struct dmd_aobj o, r;
	const struct dmd_aobj_entry *e;
	uint64_t need;
	char err[128];
	unsigned char *copy;
	size_t i;
	int good;

	build(&o);
	dmd_aobj_init(&r);
	if (dmd_aobj_index(&r, o.buf, o.len, o.len, &need, err,
	    sizeof(err)) != 0) {
		ok(0, "parse for find: %s", err);
		return;
	}
	for (i = 0, good = 1; i < N(blks); i++) {
		e = dmd_aobj_find(&r, blks[i].name, blks[i].res);
		good &= e == &r.e[i];
	}
	ok(good, "dmd_aobj_find finds every (name, res)");
	ok(dmd_aobj_find(&r, "a.x", 60) == NULL, "miss: a resolution "
	    "the series has not");
	ok(dmd_aobj_find(&r, "b.y", 3600) == NULL, "miss: b.y has no rollup");
	ok(dmd_aobj_find(&r, "a", 0) == NULL, "miss: a prefix of a name");
	ok(dmd_aobj_find(&r, "a.xx", 0) == NULL, "miss: a longer name");
	ok(dmd_aobj_find(&r, "", 0) == NULL, "miss: the empty name");
	ok(dmd_aobj_find(&r, "zz", 0) == NULL, "miss: after the last");
	ok(dmd_aobj_find(&r, "0", 0) == NULL, "miss: before the first");

	e = &r.e[4];
	copy = xmalloc((size_t)e->len);
	memcpy(copy, o.buf + e->off, (size_t)e->len);
	ok(dmd_aobj_check(e, copy, (size_t)e->len), "check: the block itself");
	ok(!dmd_aobj_check(e, copy, (size_t)e->len - 1),
	    "check: one byte short");
	ok(!dmd_aobj_check(e, o.buf + e->off, (size_t)e->len + 1),
	    "check: one byte long");
	ok(!dmd_aobj_check(e, o.buf + r.e[3].off, (size_t)e->len),
	    "check: another block's bytes");
	copy[e->len / 2] ^= 0x10;
	ok(!dmd_aobj_check(e, copy, (size_t)e->len), "check: a changed bit");
	free(copy);

	dmd_aobj_release(&r);
	dmd_aobj_release(&o);
}

/* Every truncation, and every single-byte change of index and footer
 * fails to parse; every single-byte change of a block parses but fails
 * dmd_aobj_check for that block (and only that one). */
static void
test_damage(void)
{
	static const unsigned char flips[] = { 0x01, 0x80, 0xff };
	struct dmd_aobj o, r;
	uint64_t need, ioff;
	char err[128];
	size_t k, i, f, bad_trunc = 0, bad_meta = 0, bad_blk = 0, nmeta = 0;
	int rc;

	build(&o);
	ioff = index_off(&o);
	dmd_aobj_init(&r);

	for (k = 0; k < o.len; k++) {
		/* the object cut to k bytes, read as a whole object */
		need = 0;
		rc = dmd_aobj_index(&r, o.buf, k, k, &need, err, sizeof(err));
		if (rc != -1 || r.n != 0)
			bad_trunc++;
	}
	ok(bad_trunc == 0, "every truncation (%zu) is rejected; %zu "
	    "were not", o.len, bad_trunc);

	for (k = 0; k < o.len; k++)
		for (f = 0; f < N(flips); f++) {
			o.buf[k] ^= flips[f];
			need = 0;
			rc = dmd_aobj_index(&r, o.buf, o.len, o.len, &need,
			    err, sizeof(err));
			if (k >= ioff) {
				nmeta++;
				if (rc != -1)
					bad_meta++;
			} else {
				/* a block byte: the index is fine, the
				 * block that holds k fails its check */
				int caught = 0, others = 1;

				if (rc != 0 || r.n != N(blks))
					bad_blk++;
				else {
					for (i = 0; i < r.n; i++) {
						const struct dmd_aobj_entry
						    *e = &r.e[i];
						int in = k >= e->off &&
						    k < e->off + e->len;
						int c = dmd_aobj_check(e,
						    o.buf + e->off,
						    (size_t)e->len);

						if (in)
							caught = !c;
						else
							others &= c;
					}
					if (!caught || !others)
						bad_blk++;
				}
			}
			o.buf[k] ^= flips[f];
		}
	ok(nmeta == 3 * (o.len - ioff) && bad_meta == 0,
	    "every change of one byte of the index or footer (%zu) is "
	    "rejected; %zu were not", nmeta, bad_meta);
	ok(bad_blk == 0, "every change of one block byte (%" PRIu64 ") is "
	    "caught by dmd_aobj_check of its block alone; %zu were not",
	    3 * ioff, bad_blk);
	rc = dmd_aobj_index(&r, o.buf, o.len, o.len, &need, err, sizeof(err));
	ok(rc == 0 && entries_match(&r, &o), "the object is whole again");

	/* garbage after the object, or before it */
	{
		unsigned char *g = xmalloc(o.len + 1);

		memcpy(g, o.buf, o.len);
		g[o.len] = 0;
		rc = dmd_aobj_index(&r, g, o.len + 1, o.len + 1, &need, err,
		    sizeof(err));
		ok(rc == -1, "a byte appended is rejected");
		g[0] = 'x';
		memcpy(g + 1, o.buf, o.len);
		rc = dmd_aobj_index(&r, g, o.len + 1, o.len + 1, &need, err,
		    sizeof(err));
		ok(rc == -1, "a byte prepended is rejected (index bounds)");
		free(g);
	}
	dmd_aobj_release(&r);
	dmd_aobj_release(&o);
}

static void
test_odd_objects(void)
{
	struct dmd_aobj o, r;
	uint64_t need;
	char err[128];
	int rc;

	dmd_aobj_init(&o);
	dmd_aobj_finish(&o);
	ok(o.len == DMD_AOBJ_FOOTER, "an empty object is its footer");
	dmd_aobj_init(&r);
	rc = dmd_aobj_index(&r, o.buf, o.len, o.len, &need, err, sizeof(err));
	ok(rc == 0 && r.n == 0, "an empty object parses, no entries");
	dmd_aobj_release(&o);

	/* an entry whose first time is after its last: well checksummed,
	 * still refused */
	dmd_aobj_init(&o);
	dmd_aobj_add(&o, "a.b", 0, 10, 5, 1, 7, (const unsigned char *)"x",
	    1);
	dmd_aobj_finish(&o);
	err[0] = '\0';
	rc = dmd_aobj_index(&r, o.buf, o.len, o.len, &need, err, sizeof(err));
	ok(rc == -1 && err[0] != '\0', "first after last is refused (%s)",
	    err);
	dmd_aobj_release(&o);

	/* not an object at all */
	{
		unsigned char junk[64];

		memset(junk, 'D', sizeof(junk));
		rc = dmd_aobj_index(&r, junk, sizeof(junk), sizeof(junk),
		    &need, err, sizeof(err));
		ok(rc == -1, "64 bytes of junk are no object");
	}
	dmd_aobj_release(&r);
}

/* An index bigger than DMD_AOBJ_TAIL: the reader's first fetch asks for
 * more, exactly once. */
static void
test_big_index(void)
{
	struct dmd_aobj o, r;
	char name[64], err[128];
	uint64_t need = 0;
	size_t i, n = 3000, tail;
	int rc, good = 1;

	dmd_aobj_init(&o);
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "host.some.rather.long.metric."
		    "name.%06zu", i);
		dmd_aobj_add(&o, name, 0, (int64_t)i, (int64_t)i + 59, 2,
		    (uint64_t)i * 1000003, (const unsigned char *)name,
		    strlen(name));
	}
	dmd_aobj_finish(&o);
	tail = o.len < DMD_AOBJ_TAIL ? o.len : DMD_AOBJ_TAIL;
	ok(o.len - index_off(&o) > DMD_AOBJ_TAIL, "%zu entries make an "
	    "index of %" PRIu64 " bytes, more than the tail", n,
	    o.len - index_off(&o));
	dmd_aobj_init(&r);
	rc = dmd_aobj_index(&r, o.buf + o.len - tail, tail, o.len, &need, err,
	    sizeof(err));
	ok(rc == 1 && need == index_off(&o), "the tail asks for more (rc %d)",
	    rc);
	rc = dmd_aobj_index(&r, o.buf + need, o.len - need, o.len, &need, err,
	    sizeof(err));
	ok(rc == 0 && r.n == n, "and parses with it (%zu entries)", r.n);
	for (i = 0; i < n && good; i++) {
		snprintf(name, sizeof(name), "host.some.rather.long.metric."
		    "name.%06zu", i);
		good = dmd_aobj_find(&r, name, 0) == &r.e[i] &&
		    r.e[i].first == (int64_t)i &&
		    r.e[i].seq == (uint64_t)i * 1000003 &&
		    dmd_aobj_check(&r.e[i], o.buf + r.e[i].off,
		    (size_t)r.e[i].len);
	}
	ok(good, "every one of them is found and checks");
	dmd_aobj_release(&r);
	dmd_aobj_release(&o);
}

/* --- rollups ---------------------------------------------------------- */

static int
same_bucket(const struct dmd_rollup *b, int64_t t, double min, double max,
    double sum, uint64_t count)
{
	return b->t == t && b->min == min && b->max == max &&
	    dmd_rollup_sum(b) == sum && b->count == count;
}

static void
test_rollups(void)
{
	/* times around the hour; integer values */
	static const int64_t T = 1732406400;	/* a multiple of 86400 */
	struct dmd_sample s[] = {
		{ T - 3600, 4 },	/* bucket T-3600 */
		{ T - 1, -2 },
		{ T, 7 },		/* bucket T */
		{ T + 60, 1 },
		{ T + 3599, 10 },
		{ T + 3600, 5 },	/* bucket T+3600 */
		{ T + 7200 + 1800, -3 },	/* bucket T+7200 */
		{ T + 7200 + 1860, -3 },
	};
	struct dmd_rollup r[N(s)], d[N(s) + 2], m;
	unsigned char *enc;
	size_t n, len, i;
	long got;
	int good;

	n = dmd_rollup_make(s, N(s), 3600, r);
	ok(n == 4, "8 points make 4 hourly buckets (%zu)", n);
	ok(same_bucket(&r[0], T - 3600, -2, 4, 2, 2),
	    "bucket T-1h: min -2 max 4 sum 2 count 2");
	ok(same_bucket(&r[1], T, 1, 10, 18, 3),
	    "bucket T: min 1 max 10 sum 18 count 3");
	ok(same_bucket(&r[2], T + 3600, 5, 5, 5, 1),
	    "bucket T+1h: 5 5 5 1");
	ok(same_bucket(&r[3], T + 7200, -3, -3, -6, 2),
	    "bucket T+2h: -3 -3 -6 2");

	enc = xmalloc(dmd_rollup_bound(n));
	len = dmd_rollup_encode(r, n, enc);
	ok(len > 0 && len <= dmd_rollup_bound(n), "encodes in %zu bytes, "
	    "within the bound", len);
	got = dmd_rollup_decode(enc, len, d, N(d));
	for (i = 0, good = got == (long)n; good && i < n; i++)
		good = same_bucket(&d[i], r[i].t, r[i].min, r[i].max,
		    dmd_rollup_sum(&r[i]), r[i].count);
	ok(good, "decodes to the same buckets (%ld)", got);
	ok(dmd_rollup_decode(enc, len, d, n - 1) == -1,
	    "decoding into too little room fails");
	for (i = 0, good = 1; i < len; i++)
		good &= dmd_rollup_decode(enc, i, d, N(d)) == -1;
	ok(good, "every truncation of the block fails to decode");
	{
		unsigned char *longer = xmalloc(len + 1);

		memcpy(longer, enc, len);
		longer[len] = 0;
		ok(dmd_rollup_decode(longer, len + 1, d, N(d)) == -1,
		    "a byte after the block fails to decode");
		free(longer);
	}

	/* fold to 2h: [T-7200, T) [T, T+7200) [T+7200, ...) */
	memcpy(d, r, n * sizeof(*r));
	got = (long)dmd_rollup_fold(d, n, 7200);
	ok(got == 3 && same_bucket(&d[0], T - 7200, -2, 4, 2, 2) &&
	    same_bucket(&d[1], T, 1, 10, 23, 4) &&
	    same_bucket(&d[2], T + 7200, -3, -3, -6, 2),
	    "folded to 2h: (-2 4 2 2) (1 10 23 4) (-3 -3 -6 2)");
	memcpy(d, r, n * sizeof(*r));
	got = (long)dmd_rollup_fold(d, n, 86400);
	ok(got == 2 && same_bucket(&d[0], T - 86400, -2, 4, 2, 2) &&
	    same_bucket(&d[1], T, -3, 10, 17, 6),
	    "folded to 1d: (-2 4 2 2) (-3 10 17 6)");
	/* the fold of the rollup is the rollup of the points */
	{
		struct dmd_rollup p[N(s)];
		size_t np;

		memcpy(d, r, n * sizeof(*r));
		got = (long)dmd_rollup_fold(d, n, 10800);
		np = dmd_rollup_make(s, N(s), 10800, p);
		for (i = 0, good = got == (long)np; good && i < np; i++)
			good = same_bucket(&d[i], p[i].t, p[i].min, p[i].max,
			    dmd_rollup_sum(&p[i]), p[i].count);
		ok(good, "folded to 3h equals the 3h rollup of the points");
	}

	/* merge */
	m = r[1];
	dmd_rollup_merge(&m, &r[2]);
	ok(m.min == 1 && m.max == 10 && dmd_rollup_sum(&m) == 23 && m.count == 4,
	    "merge: (1 10 18 3) + (5 5 5 1) = (1 10 23 4)");
	memset(&d[0], 0, sizeof(d[0]));
	dmd_rollup_merge(&d[0], &r[3]);
	ok(same_bucket(&d[0], r[3].t, -3, -3, -6, 2),
	    "merge into an empty bucket copies");
	memset(&d[1], 0, sizeof(d[1]));
	m = r[0];
	dmd_rollup_merge(&m, &d[1]);
	ok(same_bucket(&m, r[0].t, -2, 4, 2, 2),
	    "merging an empty bucket changes nothing");

	/* add, and a sum that needs its compensation */
	memset(&m, 0, sizeof(m));
	dmd_rollup_add(&m, 1e16);
	dmd_rollup_add(&m, 1);
	dmd_rollup_add(&m, -1e16);
	ok(m.count == 3 && m.min == -1e16 && m.max == 1e16 &&
	    dmd_rollup_sum(&m) == 1, "add: 1e16 + 1 - 1e16 sums to 1");
	{
		struct dmd_sample c[] = { { 0, 0.1 }, { 1, 0.2 }, { 2, 0.3 },
		    { 3, 0.6 } };
		struct dmd_rollup one[4];

		n = dmd_rollup_make(c, 4, 60, one);
		ok(n == 1 && dmd_rollup_sum(&one[0]) == 1.2,
		    "0.1 + 0.2 + 0.3 + 0.6 is 1.2, not 1.2000000000000002");
		len = dmd_rollup_encode(one, n, enc);
		ok(dmd_rollup_decode(enc, len, d, N(d)) == 1 && dmd_rollup_sum(&d[0]) == 1.2,
		    "and is stored as 1.2");
	}
	/* decimal sums stay exact through make, encode, decode and fold:
	 * 0.1 ten times is 1 (summed as doubles, 0.9999999999999999);
	 * minute buckets (0.1) (0.2) (0.3) (0.7 0.05) fold to 1.35 */
	{
		struct dmd_sample c[10], e[] = { { 0, 0.1 }, { 60, 0.2 },
		    { 120, 0.3 }, { 180, 0.7 }, { 200, 0.05 } };
		struct dmd_rollup one[10], dd[4];
		double naive = 0;

		for (i = 0; i < 10; i++) {
			c[i].time = (int64_t)i;
			c[i].value = 0.1;
			naive += 0.1;
		}
		n = dmd_rollup_make(c, 10, 60, one);
		ok(naive != 1 && n == 1 && dmd_rollup_sum(&one[0]) == 1,
		    "0.1 ten times sums to 1 (as doubles: %.17g)", naive);
		n = dmd_rollup_make(e, N(e), 60, one);
		ok(n == 4, "five decimals make 4 minute buckets");
		len = dmd_rollup_encode(one, n, enc);
		got = dmd_rollup_decode(enc, len, dd, N(dd));
		ok(got == 4, "decoded");
		n = dmd_rollup_fold(dd, (size_t)got, 3600);
		ok(n == 1 && dmd_rollup_sum(&dd[0]) == 1.35 &&
		    dd[0].count == 5 && dd[0].min == 0.05 && dd[0].max == 0.7,
		    "folded from decoded buckets: sum 1.35 exactly, count 5, "
		    "min 0.05, max 0.7 (got %.17g)", dmd_rollup_sum(&dd[0]));
	}
	/* values not decimals of 6 places: the compensated sum */
	{
		struct dmd_sample c[] = { { 0, 1e-7 }, { 1, 1 }, { 2, -1 },
		    { 3, 1e-7 } };
		struct dmd_rollup one[4];

		n = dmd_rollup_make(c, 4, 60, one);
		ok(n == 1 && dmd_rollup_sum(&one[0]) == 2e-7,
		    "1e-7 + 1 - 1 + 1e-7 is 2e-7 (got %.17g)",
		    dmd_rollup_sum(&one[0]));
	}
	/* negative times: buckets floor towards minus infinity */
	{
		struct dmd_sample ng[] = { { -3601, 1 }, { -3600, 2 },
		    { -1, 3 }, { 0, 4 } };
		struct dmd_rollup b[4];

		n = dmd_rollup_make(ng, 4, 3600, b);
		ok(n == 3 && b[0].t == -7200 && b[0].count == 1 &&
		    b[1].t == -3600 && b[1].count == 2 && dmd_rollup_sum(&b[1]) == 5 &&
		    b[2].t == 0 && b[2].count == 1,
		    "negative times: buckets -7200 (1), -3600 (2, 3), 0 (4)");
	}
	free(enc);
}

/* --- keys ------------------------------------------------------------- */

static void
test_keys(void)
{
	static const char *const bad[] = {
		"",
		"horizon",
		"g05",
		"g05/",
		"g40/001732406400-86400-0000000000001234",	/* group 64 */
		"gff/001732406400-86400-0000000000001234",
		"g5/001732406400-86400-0000000000001234",
		"G05/001732406400-86400-0000000000001234",
		"g0A/001732406400-86400-0000000000001234",
		"g05/1732406400-86400-0000000000001234",	/* 10 digits */
		"g05/0001732406400-86400-0000000000001234",	/* 13 */
		"g05/001732406400-086400-0000000000001234",
		"g05/001732406400-+86400-0000000000001234",
		"g05/001732406400-0-0000000000001234",
		"g05/001732406400--86400-0000000000001234",
		"g05/001732406400-86400-1234",
		"g05/001732406400-86400-000000000000001234",
		"g05/001732406400-86400-00000000000ABCDE",
		"g05/001732406400-86400-0x00000000001234",
		"g05/001732406400-86400-0000000000001234x",
		"g05/001732406400-86400-0000000000001234/",
		"g05/ 01732406400-86400-0000000000001234",
		"g05/001732406400-86400",
		"x05/001732406400-86400-0000000000001234",
		"g05/001732406400_86400_0000000000001234",
	};
	char key[DMD_KEY_MAX];
	unsigned g = 99;
	int64_t st = -1, ln = -1;
	uint64_t seq = 1;
	size_t i, nbad = 0;
	int good = 1;

	dmd_akey_make(key, sizeof(key), 5, 1732406400, 86400, 0x1234);
	is(key, "g05/001732406400-86400-0000000000001234", "a key");
	ok(dmd_akey_parse(key, &g, &st, &ln, &seq) == 0 && g == 5 &&
	    st == 1732406400 && ln == 86400 && seq == 0x1234,
	    "parses back to its parts");
	ok(dmd_archive_key_ok(key), "and is a valid object key");
	dmd_akey_make(key, sizeof(key), 63, 0, 60, UINT64_MAX);
	is(key, "g3f/000000000000-60-ffffffffffffffff", "the extremes");
	ok(dmd_akey_parse(key, &g, &st, &ln, &seq) == 0 && g == 63 &&
	    st == 0 && ln == 60 && seq == UINT64_MAX, "parse back");
	dmd_akey_make(key, sizeof(key), 0, -86400, 86400, 0);
	is(key, "g00/-00000086400-86400-0000000000000000",
	    "a period before 1970");
	ok(dmd_akey_parse(key, &g, &st, &ln, &seq) == 0 && st == -86400,
	    "parses back");

	/* round trips of many */
	for (i = 0; i < 2000 && good; i++) {
		unsigned gi = (unsigned)(i % DMD_AGROUPS), g2;
		int64_t s = 1600000000 + (int64_t)i * 3600 * 7, l = 60 + i * 61,
		    s2, l2;
		uint64_t q = 0x9e3779b97f4a7c15ULL * i, q2;

		dmd_akey_make(key, sizeof(key), gi, s, l, q);
		good = dmd_akey_parse(key, &g2, &s2, &l2, &q2) == 0 &&
		    g2 == gi && s2 == s && l2 == l && q2 == q &&
		    dmd_archive_key_ok(key);
	}
	ok(good, "2000 keys round trip");

	for (i = 0; i < N(bad); i++)
		if (dmd_akey_parse(bad[i], &g, &st, &ln, &seq) == 0) {
			printf("# accepted: \"%s\"\n", bad[i]);
			nbad++;
		}
	ok(nbad == 0, "%zu non-canonical keys are all rejected", N(bad));

	/* groups: by the first name component */
	ok(dmd_agroup("web01.cpu") == dmd_agroup("web01.mem.free") &&
	    dmd_agroup("web01") == dmd_agroup("web01.x"),
	    "one host's series share a group");
	for (i = 0, good = 1; i < 1000; i++) {
		char nm[32];

		snprintf(nm, sizeof(nm), "host%zu.cpu", i);
		good &= dmd_agroup(nm) < DMD_AGROUPS;
	}
	ok(good, "groups are below DMD_AGROUPS");
}

int
main(void)
{
	test_build_and_read();
	test_find_check();
	test_damage();
	test_odd_objects();
	test_big_index();
	test_rollups();
	test_keys();
	return done();
}
