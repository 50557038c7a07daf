/*
 * logrec.c - records of the intake log (see logrec.h).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "block.h"
#include "logrec.h"
#include "varint.h"

#define MAGICLEN	4

size_t
dmd_logrec_bound(size_t namelen, size_t n)
{
	return MAGICLEN + 10 + namelen + 10 + dmd_block_bound(n);
}

void
dmd_logrec_add(unsigned char *out, size_t *len, const char *name,
    size_t namelen, const struct dmd_sample *s, size_t n)
{
	unsigned char *p, *blk;
	size_t blen, hdr;

	if (*len == 0) {
		memcpy(out, DMD_LOGREC_MAGIC, MAGICLEN);
		*len = MAGICLEN;
	}
	p = out + *len;
	p += dmd_varint_put(p, namelen);
	memcpy(p, name, namelen);
	p += namelen;
	/* the block goes after the widest length, then moves back to
	 * its own length's width */
	blk = p + 10;
	blen = dmd_block_encode(s, n, (char *)blk);
	hdr = dmd_varint_put(p, blen);
	memmove(p + hdr, blk, blen);
	*len = (size_t)(p + hdr + blen - out);
}

/* The samples of a block are what dmd-ingest would store: times in
 * range and increasing, values finite. */
static int
samples_ok(const struct dmd_sample *s, size_t n, char *why)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i].time < DMD_TIME_MIN || s[i].time > DMD_TIME_MAX) {
			snprintf(why, DMD_REASON_MAX, "time %lld out of range",
			    (long long)s[i].time);
			return -1;
		}
		if (i > 0 && s[i].time <= s[i - 1].time) {
			snprintf(why, DMD_REASON_MAX, "times out of order");
			return -1;
		}
		if (!isfinite(s[i].value)) {
			snprintf(why, DMD_REASON_MAX, "value not finite");
			return -1;
		}
	}
	return 0;
}

/* One pass over the record: check it (cb NULL) or hand it out. */
static int
walk(const unsigned char *data, size_t len, dmd_logrec_cb *cb, void *arg,
    struct dmd_sample **buf, size_t *cap, char *why)
{
	char reason[DMD_REASON_MAX];
	size_t pos = MAGICLEN, n;
	uint64_t namelen, blen;
	const char *name;
	int rv;

	while (pos < len) {
		if (dmd_varint_get(data, len, &pos, &namelen) != 0 ||
		    namelen > len - pos) {
			snprintf(why, DMD_REASON_MAX, "truncated name at byte "
			    "%zu", pos);
			return -1;
		}
		name = (const char *)data + pos;
		pos += namelen;
		if (cb == NULL && dmd_name_check(name, namelen, reason) != 0) {
			snprintf(why, DMD_REASON_MAX, "bad name: %.100s", reason);
			return -1;
		}
		if (dmd_varint_get(data, len, &pos, &blen) != 0 ||
		    blen > len - pos) {
			snprintf(why, DMD_REASON_MAX, "truncated block at byte "
			    "%zu", pos);
			return -1;
		}
		n = 0;
		if (dmd_block_decode((const char *)data + pos, blen,
		    INT64_MIN, INT64_MAX, buf, &n, cap) != 0 || n == 0) {
			snprintf(why, DMD_REASON_MAX, "bad block at byte %zu",
			    pos);
			return -1;
		}
		pos += blen;
		if (cb == NULL) {
			if (samples_ok(*buf, n, why) != 0)
				return -1;
		} else if ((rv = cb(arg, name, namelen, *buf, n)) != 0)
			return rv;
	}
	return 0;
}

int
dmd_logrec_decode(const unsigned char *data, size_t len, dmd_logrec_cb *cb,
    void *arg, char *why)
{
	struct dmd_sample *buf = NULL;
	size_t cap = 0;
	int rv;

	if (len < MAGICLEN || memcmp(data, DMD_LOGREC_MAGIC, MAGICLEN) != 0) {
		snprintf(why, DMD_REASON_MAX, "not a record of points");
		return -1;
	}
	/* whole or not at all: check it all before handing anything out */
	if ((rv = walk(data, len, NULL, NULL, &buf, &cap, why)) == 0)
		rv = walk(data, len, cb, arg, &buf, &cap, why);
	free(buf);
	return rv;
}
