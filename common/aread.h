/*
 * aread.h - read series back from archive objects (archiver.h, aobj.h).
 *
 * For a series and a range: list its group's objects once, keep the
 * current object of each period that overlaps the range, fetch each
 * one's index (the object's tail; kept for the next series of the same
 * object) and then the byte range of the series' block: two requests per
 * series and period, fewer when series share objects.  An object that
 * vanished between listing and reading (a writer superseded it) is
 * listed again, once.  Not thread-safe: one reader per thread.
 */
#ifndef DMD_AREAD_H
#define DMD_AREAD_H

#include <stddef.h>
#include <stdint.h>

#include "archive.h"
#include "point.h"
#include "rollup.h"

/* Text that grows: the lines of dmd-query --explain. */
struct dmd_text {
	char	*p;
	size_t	 len, cap;
};

void dmd_text_printf(struct dmd_text *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

struct dmd_aread;

struct dmd_aread *dmd_aread_new(struct dmd_archive *a);
void dmd_aread_free(struct dmd_aread *r);

/* The points of one archive block among those appended: s[off, off + n),
 * with the newest flush sequence they carry (aobj.h). */
struct dmd_aseg {
	uint64_t	 seq;
	size_t		 off, n;
};

/*
 * Append what the archive holds of name in [from, until]: raw points to
 * *s (*n, *cap; xgrow'd), in time order, a segment per block to *seg.  With step > 0, a period that
 * lies wholly inside the range, has none of the newer points (newer[0..
 * nnewer), sorted) and has a rollup whose resolution divides step is
 * read as that rollup's buckets instead, appended to *ru (*nru, *capru):
 * its buckets are exact for any step they divide.  With ex not NULL, a
 * line per request goes there.  Returns 0, or -1 with a message naming
 * the object in err.
 */
int dmd_aread_series(struct dmd_aread *r, const char *name, int64_t from,
    int64_t until, int64_t step, const struct dmd_sample *newer,
    size_t nnewer, struct dmd_sample **s, size_t *n, size_t *cap,
    struct dmd_aseg **seg, size_t *nseg, size_t *capseg,
    struct dmd_rollup **ru, size_t *nru, size_t *capru,
    struct dmd_text *ex, char *err, size_t errlen);

/* Forget the listings: the next read lists each group again (objects
 * come and go between the queries of one process). */
void dmd_aread_relist(struct dmd_aread *r);

/* The archive's horizon: every point before it that was in the table
 * when dmd-archive last ran is archived.  0 and *h, or 1 if none. */
int dmd_aread_horizon(struct dmd_archive *a, int64_t *h);

#endif
