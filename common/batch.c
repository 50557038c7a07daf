/*
 * batch.c - points grouped per series (see batch.h).
 */
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "xmalloc.h"

uint32_t
dmd_name_hash(const char *name, size_t len)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)name[i];
		h *= 16777619u;
	}
	return h;
}

/* The in-memory table's hash: a word at a time, unlike FNV-1a, since it
 * runs for every point added.  Not stored anywhere, free to change. */
static uint64_t
table_hash(const char *s, size_t len)
{
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ len, w;

	for (; len >= 8; s += 8, len -= 8) {
		memcpy(&w, s, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdULL;
		h ^= h >> 32;
	}
	if (len > 0) {
		w = 0;
		memcpy(&w, s, len);
		h = (h ^ w) * 0xc4ceb9fe1a85ec53ULL;
	}
	h ^= h >> 29;
	return h;
}

void
dmd_batch_init(struct dmd_batch *b)
{
	memset(b, 0, sizeof(*b));
	b->tablemask = 1023;
	b->table = xcalloc(b->tablemask + 1, sizeof(*b->table));
}

void
dmd_batch_release(struct dmd_batch *b)
{
	if (b == NULL)
		return;
	free(b->series);
	free(b->points);
	free(b->table);
	free(b->names);
	free(b->samples);
	memset(b, 0, sizeof(*b));
}

static void
table_grow(struct dmd_batch *b)
{
	size_t i, j, size = (b->tablemask + 1) * 2;

	free(b->table);
	b->table = xcalloc(size, sizeof(*b->table));
	b->tablemask = size - 1;
	for (i = 0; i < b->nseries; i++) {
		j = b->series[i].thash & b->tablemask;
		while (b->table[j] != 0)
			j = (j + 1) & b->tablemask;
		b->table[j] = i + 1;
	}
}

static uint32_t
series_find(struct dmd_batch *b, const char *name, size_t len)
{
	uint64_t h = table_hash(name, len);
	size_t j = h & b->tablemask;
	uint32_t idx;
	struct dmd_batch_series *s;

	while ((idx = b->table[j]) != 0) {
		s = &b->series[idx - 1];
		if (s->thash == h && s->namelen == len &&
		    memcmp(b->names + s->nameoff, name, len) == 0)
			return idx - 1;
		j = (j + 1) & b->tablemask;
	}
	b->series = xgrow(b->series, &b->capseries, b->nseries + 1,
	    sizeof(*b->series));
	s = &b->series[b->nseries];
	memset(s, 0, sizeof(*s));
	s->thash = h;
	s->hash = dmd_name_hash(name, len);
	s->namelen = len;
	s->nameoff = b->nameslen;
	b->names = xgrow(b->names, &b->namescap, b->nameslen + len + 1, 1);
	memcpy(b->names + b->nameslen, name, len);
	b->names[b->nameslen + len] = '\0';
	b->nameslen += len + 1;
	b->table[j] = ++b->nseries;
	if (b->nseries * 2 > b->tablemask)
		table_grow(b);
	return b->nseries - 1;
}

void
dmd_batch_add(struct dmd_batch *b, const struct dmd_point *p)
{
	struct dmd_batch_point *bp;
	uint32_t si = series_find(b, p->name, p->namelen);

	b->points = xgrow(b->points, &b->cappoints, b->npoints + 1,
	    sizeof(*b->points));
	bp = &b->points[b->npoints++];
	bp->series = si;
	bp->time = p->time;
	bp->value = p->value;
	b->series[si].count++;
	b->sealed = 0;
}

void
dmd_batch_seal(struct dmd_batch *b)
{
	size_t i, off = 0;
	struct dmd_batch_series *s;

	if (b->sealed)
		return;
	b->samples = xgrow(b->samples, &b->capsamples, b->npoints,
	    sizeof(*b->samples));
	for (i = 0; i < b->nseries; i++) {
		s = &b->series[i];
		s->name = b->names + s->nameoff;
		s->samples = b->samples + off;
		s->n = 0;
		off += s->count;
	}
	/* counting sort: stable, so arrival order survives within a series */
	for (i = 0; i < b->npoints; i++) {
		const struct dmd_batch_point *bp = &b->points[i];

		s = &b->series[bp->series];
		s->samples[s->n].time = bp->time;
		s->samples[s->n].value = bp->value;
		s->n++;
	}
	for (i = 0; i < b->nseries; i++) {
		s = &b->series[i];
		s->n = dmd_samples_resolve(s->samples, s->n);
		s->tmin = s->samples[0].time;
		s->tmax = s->samples[s->n - 1].time;
	}
	b->sealed = 1;
}

void
dmd_batch_clear(struct dmd_batch *b)
{
	if (b->nseries > 0)
		memset(b->table, 0, (b->tablemask + 1) * sizeof(*b->table));
	b->nseries = 0;
	b->npoints = 0;
	b->nameslen = 0;
	b->sealed = 0;
}

const char *
dmd_batch_name(const struct dmd_batch *b, uint32_t series)
{
	return b->names + b->series[series].nameoff;
}
