/*
 * query.h - answer Graphite-style queries from every tier.
 *
 * A query is one or more series patterns ("web01.cpu.*", "{a,b}.load")
 * and a time range.  Patterns without wildcards name their series
 * directly; the others are matched against the names the tiers know,
 * listed once per dmd_query (or, when every alternative starts with a
 * literal component, only the names under those components).  The
 * series are then read in groups of DMD_QUERY_GROUP through
 * common/fetch.c, so memory holds one group at a time, not the whole
 * answer.  dmd-query and dmd-board are both built on this.
 */
#ifndef DMD_QUERY_H
#define DMD_QUERY_H

#include <stddef.h>
#include <stdint.h>

#include "cache.h"
#include "fetch.h"
#include "glob.h"

#define DMD_QUERY_GROUP	256	/* series per group read */

struct dmd_query {
	struct dmd_fetch fetch;		/* settings: step, agg, explain */
	int		 all_tiers;	/* read the cache even below the
					 * archive's horizon */
	/* counters */
	uint64_t	 points, series, queries;

	/* private */
	char		**known;	/* names the tiers know, once listed */
	size_t		 nknown, capknown;
	int		 listed;
	const struct dmd_glob *match;
	char		**names;	/* series of the current query */
	size_t		 nnames, capnames;
	int64_t		 horizon;	/* of the archive */
	int		 has_horizon;
	dmd_series_cb	*cb;
	void		*cbarg;
	int		 stopped;
};

/* Read through cache c (owned by the caller), the table and archive at
 * table_url and archive_url (NULL: none) with up to threads threads.
 * Returns 0, or -1 (table) or -2 (archive) with a message in err for a
 * bad URL. */
int dmd_query_init(struct dmd_query *q, struct dmd_cache *c,
    const char *table_url, const char *archive_url, int threads, char *err,
    size_t errlen);

/* Add the series of pattern pat to the next answer.  Returns 0, -1 with
 * a message in err for a bad pattern (see dmd_glob_check()), -2 if listing names failed
 * (q->fetch.which and q->fetch.errstr say why; the patterns added so
 * far are dropped too). */
int dmd_query_add(struct dmd_query *q, const char *pat, char *err,
    size_t errlen);

/* Read the series added since the last answer, points in [from,
 * until], and call cb for each one that has points, sorted by name.
 * cb returning non-zero stops quietly.  Returns 0, or -1 when a tier
 * failed (q->fetch.which, q->fetch.errstr). */
int dmd_query_answer(struct dmd_query *q, int64_t from, int64_t until,
    dmd_series_cb *cb, void *arg);

/* Free what q holds (not the cache). */
void dmd_query_release(struct dmd_query *q);

#endif
