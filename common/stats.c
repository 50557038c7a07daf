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

static void
set_op(struct dmd_stats *st, const char *prefix, const char *op,
    const char *what, double v)
{
	char name[sizeof(st->c[0].name)];

	if (op != NULL)
		snprintf(name, sizeof(name), "%s_%s_%s", prefix, op, what);
	else
		snprintf(name, sizeof(name), "%s_%s", prefix, what);
	dmd_stats_set(st, name, v);
}

void
dmd_stats_backend(struct dmd_stats *st, const char *prefix,
    const struct dmd_cache_stats *bs)
{
	const struct dmd_op_stats *o;
	int i;

	set_op(st, prefix, NULL, "requests", (double)bs->requests);
	set_op(st, prefix, NULL, "errors", (double)bs->errors);
	set_op(st, prefix, NULL, "seconds", bs->seconds);
	set_op(st, prefix, NULL, "max_seconds", bs->max_seconds);
	/* a backend that bills by the request unit */
	if (bs->write_units > 0 || bs->read_units > 0) {
		set_op(st, prefix, NULL, "write_units", bs->write_units);
		set_op(st, prefix, NULL, "read_units", bs->read_units);
	}
	for (i = 0; i < DMD_OP_NUM; i++) {
		o = &bs->ops[i];
		if (o->requests == 0 && o->errors == 0)
			continue;
		set_op(st, prefix, dmd_op_names[i], "requests",
		    (double)o->requests);
		set_op(st, prefix, dmd_op_names[i], "errors",
		    (double)o->errors);
		set_op(st, prefix, dmd_op_names[i], "seconds", o->seconds);
		set_op(st, prefix, dmd_op_names[i], "max_seconds",
		    o->max_seconds);
	}
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
