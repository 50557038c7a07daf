/*
 * aobj.h - archive objects: the chunks of many series for one period, with
 * an index at a known place.
 *
 *   block ...            one per (series, resolution): a codec chunk of
 *                        the raw points (resolution 0), or a rollup block
 *                        (rollup.h)
 *   index                one entry per block, sorted by (name, resolution):
 *                        namelen(1) name  res  first  last  count  off  len
 *                        seq  crc32(4, LE) of the block (varints; first and
 *                        last zigzag'd; seq: the newest flush sequence of
 *                        the points, which orders the block among table
 *                        chunks)
 *   footer (28 bytes)    "DMDA" version(1) 0 0 0  index_off(8)  index_len(4)
 *                        index_crc(4)  entries(4), little-endian
 *
 * A reader fetches the object's tail (DMD_AOBJ_TAIL bytes hold the index
 * of a few thousand series), then only the byte ranges of the blocks it
 * needs: two requests per series and period.  Checksums cover the index
 * and every block: a damaged object is an error naming it, never wrong
 * data.
 */
#ifndef DMD_AOBJ_H
#define DMD_AOBJ_H

#include <stddef.h>
#include <stdint.h>

#include "point.h"

#define DMD_AOBJ_VERSION	2
#define DMD_AOBJ_FOOTER		28
#define DMD_AOBJ_TAIL		(8 * 1024)

struct dmd_aobj_entry {
	char		 name[DMD_NAME_MAX + 1];
	uint32_t	 res;		/* 0: raw points; else rollup seconds */
	int64_t		 first, last;	/* times of the first, last point */
	uint64_t	 count;		/* points or buckets */
	uint64_t	 off, len;	/* the block's bytes in the object */
	uint64_t	 seq;		/* newest flush sequence of its points */
	uint32_t	 crc;
};

struct dmd_aobj {
	unsigned char	*buf;		/* blocks, then index and footer */
	size_t		 len, cap;
	struct dmd_aobj_entry *e;
	size_t		 n, ecap;
};

/* Building: add blocks sorted by (name, res), then finish. */
void dmd_aobj_init(struct dmd_aobj *o);
void dmd_aobj_add(struct dmd_aobj *o, const char *name, uint32_t res,
    int64_t first, int64_t last, uint64_t count, uint64_t seq,
    const unsigned char *blk, size_t len);
/* Append index and footer; the object is o->buf, o->len bytes. */
void dmd_aobj_finish(struct dmd_aobj *o);
void dmd_aobj_release(struct dmd_aobj *o);

/* Reading: parse the index from the last taillen bytes of an object of
 * total bytes into o->e (o->n entries).  Returns 0; 1 when the index
 * starts before the tail (fetch from *need and call again with more);
 * -1 when the object is damaged, the reason in err. */
int dmd_aobj_index(struct dmd_aobj *o, const unsigned char *tail,
    size_t taillen, uint64_t total, uint64_t *need, char *err,
    size_t errlen);

/* The entry of (name, res), or NULL. */
const struct dmd_aobj_entry *dmd_aobj_find(const struct dmd_aobj *o,
    const char *name, uint32_t res);

/* 1 if blk (len bytes) is the block of e, by length and checksum. */
int dmd_aobj_check(const struct dmd_aobj_entry *e, const unsigned char *blk,
    size_t len);

#endif
