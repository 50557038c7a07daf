/*
 * aobj.c - archive objects (see aobj.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aobj.h"
#include "crc32.h"
#include "varint.h"
#include "xmalloc.h"

static void
room(struct dmd_aobj *o, size_t more)
{
	o->buf = xgrow(o->buf, &o->cap, o->len + more, 1);
}

static void
put_varint(struct dmd_aobj *o, uint64_t v)
{
	room(o, 10);
	o->len += dmd_varint_put(o->buf + o->len, v);
}

static void
put_le(struct dmd_aobj *o, uint64_t v, int bytes)
{
	int i;

	room(o, (size_t)bytes);
	for (i = 0; i < bytes; i++)
		o->buf[o->len++] = (unsigned char)(v >> (8 * i));
}

static uint64_t
get_le(const unsigned char *p, int bytes)
{
	uint64_t v = 0;
	int i;

	for (i = bytes - 1; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

void
dmd_aobj_init(struct dmd_aobj *o)
{
	memset(o, 0, sizeof(*o));
}

void
dmd_aobj_add(struct dmd_aobj *o, const char *name, uint32_t res,
    int64_t first, int64_t last, uint64_t count, uint64_t seq,
    const unsigned char *blk, size_t len)
{
	struct dmd_aobj_entry *e;

	o->e = xgrow(o->e, &o->ecap, o->n + 1, sizeof(*o->e));
	e = &o->e[o->n++];
	snprintf(e->name, sizeof(e->name), "%s", name);
	e->res = res;
	e->first = first;
	e->last = last;
	e->count = count;
	e->seq = seq;
	e->off = o->len;
	e->len = len;
	e->crc = dmd_crc32(0, blk, len);
	room(o, len);
	memcpy(o->buf + o->len, blk, len);
	o->len += len;
}

void
dmd_aobj_finish(struct dmd_aobj *o)
{
	size_t i, ioff = o->len, iend, nl;
	uint32_t icrc;

	for (i = 0; i < o->n; i++) {
		const struct dmd_aobj_entry *e = &o->e[i];

		nl = strlen(e->name);
		room(o, 1 + nl);
		o->buf[o->len++] = (unsigned char)nl;
		memcpy(o->buf + o->len, e->name, nl);
		o->len += nl;
		put_varint(o, e->res);
		put_varint(o, dmd_zigzag(e->first));
		put_varint(o, dmd_zigzag(e->last));
		put_varint(o, e->count);
		put_varint(o, e->off);
		put_varint(o, e->len);
		put_varint(o, e->seq);
		put_le(o, e->crc, 4);
	}
	iend = o->len;
	icrc = dmd_crc32(0, o->buf + ioff, iend - ioff);
	room(o, DMD_AOBJ_FOOTER);
	memcpy(o->buf + o->len, "DMDA", 4);
	o->len += 4;
	put_le(o, DMD_AOBJ_VERSION, 4);
	put_le(o, ioff, 8);
	put_le(o, iend - ioff, 4);
	put_le(o, icrc, 4);
	put_le(o, o->n, 4);
}

void
dmd_aobj_release(struct dmd_aobj *o)
{
	free(o->buf);
	free(o->e);
	memset(o, 0, sizeof(*o));
}

int
dmd_aobj_index(struct dmd_aobj *o, const unsigned char *tail, size_t taillen,
    uint64_t total, uint64_t *need, char *err, size_t errlen)
{
	const unsigned char *f, *ix;
	uint64_t ioff, ilen, n, v[7];
	size_t pos, i, nl;
	uint32_t icrc;
	int k;

	o->n = 0;
	if (taillen < DMD_AOBJ_FOOTER || taillen > total) {
		snprintf(err, errlen, "too short to be an archive object");
		return -1;
	}
	f = tail + taillen - DMD_AOBJ_FOOTER;
	if (memcmp(f, "DMDA", 4) != 0 || get_le(f + 4, 4) != DMD_AOBJ_VERSION) {
		snprintf(err, errlen, "not an archive object (bad footer)");
		return -1;
	}
	ioff = get_le(f + 8, 8);
	ilen = get_le(f + 16, 4);
	icrc = (uint32_t)get_le(f + 20, 4);
	n = get_le(f + 24, 4);
	if (ioff > total || ilen != total - DMD_AOBJ_FOOTER - ioff) {
		snprintf(err, errlen, "bad index bounds in the footer");
		return -1;
	}
	if (ioff < total - taillen) {
		*need = ioff;
		return 1;
	}
	ix = tail + (ioff - (total - taillen));
	if (dmd_crc32(0, ix, (size_t)ilen) != icrc) {
		snprintf(err, errlen, "index checksum mismatch");
		return -1;
	}
	if (n > ilen / 8 + 1) {
		snprintf(err, errlen, "bad entry count in the footer");
		return -1;
	}
	o->e = xgrow(o->e, &o->ecap, (size_t)n, sizeof(*o->e));
	for (pos = 0, i = 0; i < n; i++) {
		struct dmd_aobj_entry *e = &o->e[i];

		if (pos >= ilen || (nl = ix[pos++]) == 0 || pos + nl > ilen)
			goto bad;
		memcpy(e->name, ix + pos, nl);
		e->name[nl] = '\0';
		pos += nl;
		for (k = 0; k < 7; k++)
			if (dmd_varint_get(ix, (size_t)ilen, &pos, &v[k]) != 0)
				goto bad;
		if (pos + 4 > ilen || v[0] > UINT32_MAX || v[4] > ioff ||
		    v[5] > ioff - v[4])
			goto bad;
		e->res = (uint32_t)v[0];
		e->first = dmd_unzigzag(v[1]);
		e->last = dmd_unzigzag(v[2]);
		e->count = v[3];
		e->off = v[4];
		e->len = v[5];
		e->seq = v[6];
		e->crc = (uint32_t)get_le(ix + pos, 4);
		pos += 4;
		if (e->first > e->last)
			goto bad;
	}
	if (pos != ilen)
		goto bad;
	o->n = (size_t)n;
	return 0;
bad:
	snprintf(err, errlen, "malformed index entry %zu", i);
	return -1;
}

const struct dmd_aobj_entry *
dmd_aobj_find(const struct dmd_aobj *o, const char *name, uint32_t res)
{
	size_t lo = 0, hi = o->n, mid;
	int c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = strcmp(o->e[mid].name, name);
		if (c == 0)
			c = o->e[mid].res < res ? -1 : o->e[mid].res > res;
		if (c == 0)
			return &o->e[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

int
dmd_aobj_check(const struct dmd_aobj_entry *e, const unsigned char *blk,
    size_t len)
{
	return len == e->len && dmd_crc32(0, blk, len) == e->crc;
}
