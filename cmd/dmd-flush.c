/*
 * dmd-flush - move cached points into the table tier as compressed
 * chunks.  Run from cron (or a loop); quiet on success.  The work is in
 * common/flush.c.
 */
#include <err.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

#include "cache.h"
#include "clock.h"
#include "flush.h"
#include "numarg.h"
#include "prog.h"
#include "stats.h"
#include "table.h"
#include "url.h"

#define MAX_DURATION	(100LL * 366 * 86400 * 1000)	/* ms */

static const char synopsis[] =
    "usage: dmd-flush [-ChSV] [-a max-age] [-c url] [-k keep] [-l limit]\n"
    "                 [-n min-points] [-t url]\n";

static const struct option longopts[] = {
	{ "cache",	required_argument,	NULL, 'c' },
	{ "create-table", no_argument,		NULL, 'C' },
	{ "help",	no_argument,		NULL, 'h' },
	{ "keep",	required_argument,	NULL, 'k' },
	{ "limit",	required_argument,	NULL, 'l' },
	{ "max-age",	required_argument,	NULL, 'a' },
	{ "min-points",	required_argument,	NULL, 'n' },
	{ "stats",	no_argument,		NULL, 'S' },
	{ "table",	required_argument,	NULL, 't' },
	{ "version",	no_argument,		NULL, 'V' },
	{ NULL,		0,			NULL, 0 }
};

int
main(int argc, char *argv[])
{
	struct dmd_flush_opts o;
	struct dmd_flush_counts n;
	struct dmd_cache *cache;
	struct dmd_table *table;
	struct dmd_stats st;
	const char *cache_url, *table_url, *errstr, *which = NULL;
	char errbuf[DMD_ERRSTR_MAX], msg[2 * DMD_ERRSTR_MAX];
	char shown[DMD_URL_SHOWN_MAX];
	int ch, stats = 0, status = DMD_EXIT_OK, create = 0;
	double t0 = dmd_mono_seconds();

	dmd_prog_init();
	memset(&o, 0, sizeof(o));
	memset(&n, 0, sizeof(n));
	cache_url = dmd_env("DMD_CACHE", "redis://127.0.0.1:6379");
	table_url = dmd_env("DMD_TABLE", DMD_TABLE_DEFAULT);
	o.policy.min_points = 720;
	o.policy.max_age = 6 * 3600;

	while ((ch = getopt_long(argc, argv, "a:Cc:hk:l:n:St:V", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'a':
			o.policy.max_age = dmd_duration_arg("max age", optarg,
			    1000, 0, MAX_DURATION) / 1000;
			break;
		case 'C':
			create = 1;
			break;
		case 'c':
			cache_url = optarg;
			break;
		case 'h':
			fputs(synopsis, stdout);
			exit(DMD_EXIT_OK);
		case 'k':
			o.policy.keep = dmd_duration_arg("keep", optarg, 1000,
			    0, MAX_DURATION) / 1000;
			break;
		case 'l':
			o.limit = (uint64_t)dmd_strtonum(optarg, 1, INT64_MAX,
			    &errstr);
			if (errstr != NULL)
				errx(DMD_EXIT_USAGE, "limit is %s: %s", optarg,
				    errstr);
			break;
		case 'n':
			o.policy.min_points = (uint64_t)dmd_strtonum(optarg, 1,
			    INT64_MAX, &errstr);
			if (errstr != NULL)
				errx(DMD_EXIT_USAGE, "min points is %s: %s",
				    optarg, errstr);
			break;
		case 'S':
			stats = 1;
			break;
		case 't':
			table_url = optarg;
			break;
		case 'V':
			printf("dmd-flush %s\n", PACKAGE_VERSION);
			exit(DMD_EXIT_OK);
		default:
			dmd_usage(synopsis);
		}
	}
	if (optind != argc)
		dmd_usage(synopsis);

	if ((cache = dmd_cache_open(cache_url, errbuf, sizeof(errbuf))) == NULL)
		errx(DMD_EXIT_USAGE, "cache \"%s\": %s",
		    dmd_url_shown(cache_url, shown, sizeof(shown)), errbuf);
	if ((table = dmd_table_open(table_url, errbuf, sizeof(errbuf))) == NULL)
		errx(DMD_EXIT_USAGE, "table \"%s\": %s", table_url, errbuf);

	if (create && dmd_table_create(table) != 0) {
		warnx("table: %s", table->errstr);
		status = DMD_EXIT_BACKEND;
		goto out;
	}
	o.policy.now = dmd_wall_seconds();
	if (dmd_flush_run(cache, table, &o, &n, &which, msg,
	    sizeof(msg)) != 0) {
		warnx("%s: %s", which, msg);
		status = DMD_EXIT_BACKEND;
	}
	if (n.raw_chunks > 0)
		warnx("%llu chunks failed the codec's check and were stored "
		    "raw: please report this", (unsigned long long)n.raw_chunks);
	if (stats) {
		dmd_stats_init(&st, "flush");
		dmd_stats_set(&st, "series", (double)n.series);
		dmd_stats_set(&st, "resumed", (double)n.resumed);
		dmd_stats_set(&st, "points", (double)n.points);
		dmd_stats_set(&st, "kept", (double)n.kept);
		dmd_stats_set(&st, "chunks", (double)n.chunks);
		dmd_stats_set(&st, "bytes", (double)n.bytes);
		dmd_stats_set(&st, "shards_busy", (double)n.shards_busy);
		dmd_stats_set(&st, "raw_chunks", (double)n.raw_chunks);
		dmd_stats_backend(&st, "cache", &cache->stats);
		dmd_stats_backend(&st, "table", &table->stats);
		dmd_stats_set(&st, "seconds", dmd_mono_seconds() - t0);
		if (dmd_stats_write(&st, stdout, dmd_wall_seconds()) != 0 ||
		    fflush(stdout) != 0) {
			warn("stdout");
			if (status == DMD_EXIT_OK)
				status = DMD_EXIT_IO;
		}
	}
out:
	dmd_table_close(table);
	dmd_cache_close(cache);
	return status;
}
