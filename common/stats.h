/*
 * stats.h - a program's own counters, printed as points.
 *
 * Every program can report on itself with --stats: its counters become
 * points named dmd.HOST.PROGRAM.COUNTER, in the NDJSON shape dmd-ingest
 * reads, so `dmd-x --stats | dmd-ingest` stores the store's own metrics.
 */
#ifndef DMD_STATS_H
#define DMD_STATS_H

#include <stdint.h>
#include <stdio.h>

#define DMD_STATS_MAX	200

struct dmd_stats {
	char		 prog[32];	/* "ingest", "query", ... */
	size_t		 n;
	struct {
		char	 name[48];
		double	 value;
	} c[DMD_STATS_MAX];
};

/* Start an empty set of counters for program prog ("ingest"). */
void dmd_stats_init(struct dmd_stats *st, const char *prog);

/* Set counter name to v (created on first use; names past
 * DMD_STATS_MAX are ignored). */
void dmd_stats_set(struct dmd_stats *st, const char *name, double v);

struct dmd_cache_stats;

/* Set the counters of a tier's backend requests: PREFIX_requests,
 * PREFIX_errors, PREFIX_seconds (summed latency), PREFIX_max_seconds,
 * and the same four per operation that made requests or failed:
 * PREFIX_OP_requests, ... (OP one of dmd_op_names: put, get, ...). */
void dmd_stats_backend(struct dmd_stats *st, const char *prefix,
    const struct dmd_cache_stats *bs);

/* Write every counter as a point stamped with time t to fp.  Returns 0,
 * or -1 if writing failed. */
int dmd_stats_write(const struct dmd_stats *st, FILE *fp, int64_t t);

#endif
