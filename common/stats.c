/*
 * stats.c - counters as points (see stats.h).
 */
#include <string.h>

#include "cache.h"
#include "point.h"
#include "prog.h"
#include "stats.h"

void
dmd_stats_init(struct dmd_stats *st, const char *prog)
{
	memset(st, 0, sizeof(*st));
	snprintf(st->prog, sizeof(st->prog), "%s", prog);
}

void
dmd_stats_set(struct dmd_stats *st, const char *name, double v)
{
	size_t i;

	for (i = 0; i < st->n; i++)
		if (strcmp(st->c[i].name, name) == 0)
			break;
	if (i == st->n) {
		if (st->n == DMD_STATS_MAX)
			return;
		snprintf(st->c[i].name, sizeof(st->c[i].name), "%s", name);
		st->n++;
	}
	st->c[i].value = v;
}

void
dmd_stats_backend(struct dmd_stats *st, const char *prefix,
    const struct dmd_cache_stats *bs)
{
	char name[48];

	snprintf(name, sizeof(name), "%s_requests", prefix);
	dmd_stats_set(st, name, (double)bs->requests);
	snprintf(name, sizeof(name), "%s_seconds", prefix);
	dmd_stats_set(st, name, bs->seconds);
	snprintf(name, sizeof(name), "%s_max_seconds", prefix);
	dmd_stats_set(st, name, bs->max_seconds);
}

int
dmd_stats_write(const struct dmd_stats *st, FILE *fp, int64_t t)
{
	char v[DMD_VALUE_STRMAX];
	size_t i;

	for (i = 0; i < st->n; i++) {
		dmd_value_format(st->c[i].value, v);
		fprintf(fp, "{\"name\":\"dmd.%s.%s.%s\",\"time\":%lld,"
		    "\"value\":%s}\n", dmd_hostname(), st->prog,
		    st->c[i].name, (long long)t, v);
	}
	return ferror(fp) ? -1 : 0;
}
