/*
 * test-logrec.c - unit tests of common/logrec.c: records of the intake
 * log, written and read back, and every kind of damage refused whole.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "logrec.h"
#include "tap.h"
#include "varint.h"

struct seen {
	char		 names[8][64];
	size_t		 counts[8];
	struct dmd_sample first[8], last[8];
	int		 n;
	int		 stop_at;	/* return 1 at this entry, or -1 */
};

static int
on_entry(void *arg, const char *name, size_t namelen,
    const struct dmd_sample *s, size_t n)
{
	struct seen *v = arg;

	if (v->n == v->stop_at)
		return 1;
	if (v->n < 8) {
		snprintf(v->names[v->n], sizeof(v->names[0]), "%.*s",
		    (int)namelen, name);
		v->counts[v->n] = n;
		v->first[v->n] = s[0];
		v->last[v->n] = s[n - 1];
	}
	v->n++;
	return 0;
}

static int
decode(const unsigned char *rec, size_t len, struct seen *v, char *why)
{
	memset(v, 0, sizeof(*v));
	v->stop_at = -1;
	why[0] = '\0';
	return dmd_logrec_decode(rec, len, on_entry, v, why);
}

/* A record of one entry whose block is a raw block of the given
 * samples (as block.h lays it out), to plant bad samples. */
static size_t
raw_record(unsigned char *out, const char *name, const struct dmd_sample *s,
    size_t n)
{
	size_t len = 4, i, j;
	uint64_t bits;

	memcpy(out, DMD_LOGREC_MAGIC, 4);
	len += dmd_varint_put(out + len, strlen(name));
	memcpy(out + len, name, strlen(name));
	len += strlen(name);
	len += dmd_varint_put(out + len, 1 + 16 * n);
	out[len++] = 'R';
	for (i = 0; i < n; i++) {
		for (j = 0; j < 8; j++)
			out[len++] = (unsigned char)((uint64_t)s[i].time >>
			    (8 * j));
		memcpy(&bits, &s[i].value, 8);
		for (j = 0; j < 8; j++)
			out[len++] = (unsigned char)(bits >> (8 * j));
	}
	return len;
}

int
main(void)
{
	static struct dmd_sample s[40000];
	struct dmd_sample bad[2];
	unsigned char *rec, small[256];
	struct seen v;
	char why[DMD_REASON_MAX];
	size_t len = 0, len1, len2, i, cut, n;
	int rc, all;

	for (i = 0; i < 40000; i++) {
		s[i].time = 1700000000 + 60 * (int64_t)i;
		s[i].value = round(sin((double)i / 7) * 1000) / 100;
	}
	rec = malloc(dmd_logrec_bound(9, 1) + dmd_logrec_bound(9,
	    DMD_LOGREC_SAMPLES) + dmd_logrec_bound(255, 3));

	/* written and read back: entries in order, samples exact */
	dmd_logrec_add(rec, &len, "cpu.host1", 9, s, 1);
	len1 = len;
	ok(len > 4 && memcmp(rec, "DMR1", 4) == 0, "a record starts with "
	    "its magic");
	dmd_logrec_add(rec, &len, "cpu.host2", 9, s + 1, DMD_LOGREC_SAMPLES);
	len2 = len;
	{
		char longname[256];

		memset(longname, 'x', 255);
		longname[255] = '\0';
		dmd_logrec_add(rec, &len, longname, 255, s + 20000, 3);
	}
	rc = decode(rec, len, &v, why);
	ok(rc == 0 && v.n == 3, "three entries read back (rc %d, %d)", rc,
	    v.n);
	is(v.names[0], "cpu.host1", "first name");
	is(v.names[1], "cpu.host2", "second name");
	ok(strlen(v.names[2]) == 63, "a 255-byte name (cut to 63 here)");
	ok(v.counts[0] == 1 && v.counts[1] == DMD_LOGREC_SAMPLES &&
	    v.counts[2] == 3, "counts 1, %d, 3", DMD_LOGREC_SAMPLES);
	ok(v.first[1].time == s[1].time && v.last[1].time ==
	    s[DMD_LOGREC_SAMPLES].time && v.last[1].value ==
	    s[DMD_LOGREC_SAMPLES].value, "samples exact");
	ok(len < 12 * DMD_LOGREC_SAMPLES, "compressed: %zu bytes for %d "
	    "points, raw 16 a point", len, DMD_LOGREC_SAMPLES + 4);

	/* a callback stops the walk with its own value */
	memset(&v, 0, sizeof(v));
	v.stop_at = 1;
	ok(dmd_logrec_decode(rec, len, on_entry, &v, why) == 1 && v.n == 1,
	    "a callback's nonzero return stops the walk and is returned");

	/* every cut of the record is refused, before any entry is seen */
	all = 1;
	for (cut = 0; cut < len && all; cut += (cut < 64 ? 1 : 997)) {
		if (cut == 4 || cut == len1 || cut == len2)
			continue;	/* cuts between entries are records */
		rc = decode(rec, cut, &v, why);
		if (rc != -1 || v.n != 0 || why[0] == '\0') {
			all = 0;
			printf("# cut at %zu: rc %d, %d entries, \"%s\"\n",
			    cut, rc, v.n, why);
		}
	}
	ok(all, "a record cut short anywhere inside an entry is refused "
	    "whole");

	rc = decode((const unsigned char *)"{\"name\":\"a\"}", 12, &v, why);
	ok(rc == -1 && strcmp(why, "not a record of points") == 0,
	    "NDJSON is not a record: %s", why);
	ok(decode(rec, 4, &v, why) == 0 && v.n == 0, "the magic alone is "
	    "an empty record");

	/* a bad name */
	n = raw_record(small, "a/b", s, 1);
	ok(decode(small, n, &v, why) == -1 && strncmp(why, "bad name", 8) ==
	    0 && v.n == 0, "a name with '/': %s", why);
	n = raw_record(small, "", s, 1);
	ok(decode(small, n, &v, why) == -1 && v.n == 0, "an empty name: %s",
	    why);

	/* bad samples */
	bad[0] = s[1];
	bad[1] = s[0];
	n = raw_record(small, "ok.name", bad, 2);
	ok(decode(small, n, &v, why) == -1 && strcmp(why,
	    "times out of order") == 0, "times out of order: %s", why);
	bad[1] = s[1];
	n = raw_record(small, "ok.name", bad, 2);
	ok(decode(small, n, &v, why) == -1, "a time twice: %s", why);
	bad[0].time = -1;
	n = raw_record(small, "ok.name", bad, 1);
	ok(decode(small, n, &v, why) == -1 && strstr(why, "out of range") !=
	    NULL, "a negative time: %s", why);
	bad[0].time = 1700000000;
	bad[0].value = NAN;
	n = raw_record(small, "ok.name", bad, 1);
	ok(decode(small, n, &v, why) == -1 && strcmp(why, "value not "
	    "finite") == 0, "NaN: %s", why);
	bad[0].value = INFINITY;
	n = raw_record(small, "ok.name", bad, 1);
	ok(decode(small, n, &v, why) == -1, "Infinity: %s", why);
	n = raw_record(small, "ok.name", s, 0);
	ok(decode(small, n, &v, why) == -1 && v.n == 0, "an empty block: %s",
	    why);

	/* a good entry then a bad one: nothing handed out */
	len = 0;
	dmd_logrec_add(rec, &len, "good.one", 8, s, 5);
	n = raw_record(small, "x", s, 1);
	small[4 + 1 + 1 + 1] = 'Q';	/* the type byte of the block */
	memcpy(rec + len, small + 4, n - 4);
	len += n - 4;
	ok(decode(rec, len, &v, why) == -1 && v.n == 0 && strncmp(why,
	    "bad block", 9) == 0, "a good entry before a bad block is not "
	    "handed out: %s", why);
	/* a length past the end */
	len = 4;
	len += dmd_varint_put(rec + len, 1000);
	ok(decode(rec, len, &v, why) == -1 && strncmp(why, "truncated name",
	    14) == 0, "a name length past the end: %s", why);
	len = 4;
	memset(rec + len, 0xff, 11);
	len += 11;
	ok(decode(rec, len, &v, why) == -1, "an overlong varint: %s", why);
	free(rec);
	return done();
}
