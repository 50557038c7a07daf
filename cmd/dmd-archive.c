/*
 * dmd-archive - move old table chunks into archive objects, keep stored
 * rollups, drop data past retention.  Run from cron; quiet on success.
 * The work is in common/archiver.c.
 */
#include <err.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

#include "archive.h"
#include "archiver.h"
#include "clock.h"
#include "codec.h"
#include "numarg.h"
#include "prog.h"
#include "stats.h"
#include "table.h"

#define MAX_DURATION	(1000LL * 366 * 86400 * 1000)	/* ms */

static const char synopsis[] =
    "usage: dmd-archive [-hSV] [-a url] [-o older-than] [-p period]\n"
    "                   [-r retention] [-R rollups] [-t url]\n";

static const struct option longopts[] = {
	{ "archive",	required_argument,	NULL, 'a' },
	{ "help",	no_argument,		NULL, 'h' },
	{ "older-than",	required_argument,	NULL, 'o' },
	{ "period",	required_argument,	NULL, 'p' },
	{ "retention",	required_argument,	NULL, 'r' },
	{ "rollups",	required_argument,	NULL, 'R' },
	{ "stats",	no_argument,		NULL, 'S' },
	{ "table",	required_argument,	NULL, 't' },
	{ "version",	no_argument,		NULL, 'V' },
	{ NULL,		0,			NULL, 0 }
};

/* A duration in seconds, at least min. */
static int64_t
seconds(const char *what, const char *s, int64_t min)
{
	const char *errstr;
	int64_t ms;

	ms = dmd_duration_ms(s, 1000, MAX_DURATION, &errstr);
	if (errstr == NULL && ms % 1000 != 0)
		errstr = "not whole seconds";
	if (errstr == NULL && ms / 1000 < min)
		errstr = "too small";
	if (errstr != NULL)
		errx(DMD_EXIT_USAGE, "%s is %s: %s", what, s, errstr);
	return ms / 1000;
}

static void
parse_rollups(struct dmd_archive_opts *o, const char *list)
{
	char buf[256], *p, *tok;
	int64_t r;
	size_t i;

	if (strlen(list) >= sizeof(buf))
		errx(DMD_EXIT_USAGE, "rollups \"%.32s...\": too long", list);
	snprintf(buf, sizeof(buf), "%s", list);
	o->nrollups = 0;
	for (p = buf; (tok = strsep(&p, ",")) != NULL; ) {
		if (*tok == '\0')
			continue;
		r = seconds("a rollup", tok, 1);
		if (r > UINT32_MAX)
			errx(DMD_EXIT_USAGE, "a rollup is %s: too large", tok);
		if (o->nrollups == DMD_ROLLUPS_MAX)
			errx(DMD_EXIT_USAGE, "at most %d rollups",
			    DMD_ROLLUPS_MAX);
		for (i = o->nrollups; i > 0 && o->rollups[i - 1] > r; i--)
			o->rollups[i] = o->rollups[i - 1];
		if (i > 0 && o->rollups[i - 1] == r)
			errx(DMD_EXIT_USAGE, "rollup %s given twice", tok);
		o->rollups[i] = (uint32_t)r;
		o->nrollups++;
	}
}

/* "DUR" for everything, or "RES=DUR,...": RES "raw" or a duration: a
 * rollup's, or the raw points' own resolution (1m=460d): any RES that is
 * no rollup an object holds names the raw points. */
static void
parse_retention(struct dmd_archive_opts *o, const char *list)
{
	char buf[256], *p, *tok, *eq;
	int64_t res, d;
	size_t i;

	if (strlen(list) >= sizeof(buf))
		errx(DMD_EXIT_USAGE, "retention \"%.32s...\": too long", list);
	snprintf(buf, sizeof(buf), "%s", list);
	if (strchr(buf, '=') == NULL) {
		o->retention_all = seconds("retention", buf, 1);
		return;
	}
	for (p = buf; (tok = strsep(&p, ",")) != NULL; ) {
		if (*tok == '\0')
			continue;
		if ((eq = strchr(tok, '=')) == NULL)
			errx(DMD_EXIT_USAGE, "retention \"%s\": want RES=DUR",
			    tok);
		*eq = '\0';
		d = seconds("retention", eq + 1, 1);
		res = strcmp(tok, "raw") == 0 ? 0 : seconds("a resolution",
		    tok, 1);
		if (res > UINT32_MAX)
			errx(DMD_EXIT_USAGE, "a resolution is %s: too large",
			    tok);
		for (i = 0; i < o->nret; i++)
			if (o->ret[i].res == res)
				errx(DMD_EXIT_USAGE, "retention of %s given "
				    "twice", tok);
		if (o->nret == sizeof(o->ret) / sizeof(o->ret[0]))
			errx(DMD_EXIT_USAGE, "too many retentions");
		o->ret[o->nret].res = (uint32_t)res;
		o->ret[o->nret++].dur = d;
	}
	/* ascending, so the smallest that is no rollup names raw points */
	for (i = 1; i < o->nret; i++) {
		size_t k;

		for (k = i; k > 0 && o->ret[k - 1].res > o->ret[k].res; k--) {
			uint32_t r = o->ret[k].res;
			int64_t x = o->ret[k].dur;

			o->ret[k].res = o->ret[k - 1].res;
			o->ret[k].dur = o->ret[k - 1].dur;
			o->ret[k - 1].res = r;
			o->ret[k - 1].dur = x;
		}
	}
}

int
main(int argc, char *argv[])
{
	struct dmd_archive_opts o;
	struct dmd_archive_counts n;
	struct dmd_table *table;
	struct dmd_archive *archive;
	struct dmd_stats st;
	const char *table_url, *archive_url, *which = NULL;
	const char *retention = NULL;
	char errbuf[DMD_ERRSTR_MAX], msg[2 * DMD_ERRSTR_MAX];
	int ch, stats = 0, status = DMD_EXIT_OK;
	double t0 = dmd_mono_seconds();

	dmd_prog_init();
	memset(&o, 0, sizeof(o));
	memset(&n, 0, sizeof(n));
	table_url = dmd_env("DMD_TABLE", DMD_TABLE_DEFAULT);
	archive_url = dmd_env("DMD_ARCHIVE", DMD_ARCHIVE_DEFAULT);
	o.older_than = 7 * 86400;
	o.period = 86400;

	while ((ch = getopt_long(argc, argv, "a:ho:p:r:R:St:V", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'a':
			archive_url = optarg;
			break;
		case 'h':
			fputs(synopsis, stdout);
			exit(DMD_EXIT_OK);
		case 'o':
			o.older_than = seconds("older-than", optarg, 0);
			break;
		case 'p':
			o.period = seconds("period", optarg, 60);
			break;
		case 'r':
			retention = optarg;
			break;
		case 'R':
			parse_rollups(&o, optarg);
			break;
		case 'S':
			stats = 1;
			break;
		case 't':
			table_url = optarg;
			break;
		case 'V':
			printf("dmd-archive %s\n", PACKAGE_VERSION);
			exit(DMD_EXIT_OK);
		default:
			dmd_usage(synopsis);
		}
	}
	if (optind != argc)
		dmd_usage(synopsis);
	if (retention != NULL)
		parse_retention(&o, retention);
	if (o.nrollups > 0 && o.period / o.rollups[0] > DMD_CODEC_MAX_POINTS)
		errx(DMD_EXIT_USAGE, "rollup of %us: over %d buckets a period",
		    o.rollups[0], DMD_CODEC_MAX_POINTS);

	if ((table = dmd_table_open(table_url, errbuf, sizeof(errbuf))) == NULL)
		errx(DMD_EXIT_USAGE, "table \"%s\": %s", table_url, errbuf);
	if ((archive = dmd_archive_open(archive_url, errbuf,
	    sizeof(errbuf))) == NULL)
		errx(DMD_EXIT_USAGE, "archive \"%s\": %s", archive_url, errbuf);

	o.now = dmd_wall_seconds();
	if (dmd_archiver_run(table, archive, &o, &n, &which, msg,
	    sizeof(msg)) != 0) {
		warnx("%s: %s", which ? which : "archive", msg);
		status = DMD_EXIT_BACKEND;
	}
	if (n.busy)
		warnx("another dmd-archive is writing %s: nothing done",
		    archive_url);
	if (stats) {
		dmd_stats_init(&st, "archive");
		dmd_stats_set(&st, "series", (double)n.series);
		dmd_stats_set(&st, "points", (double)n.points);
		dmd_stats_set(&st, "chunks", (double)n.chunks);
		dmd_stats_set(&st, "objects", (double)n.objects);
		dmd_stats_set(&st, "bytes", (double)n.bytes);
		dmd_stats_set(&st, "deleted", (double)n.deleted);
		dmd_stats_set(&st, "raw_blocks", (double)n.raw_blocks);
		dmd_stats_set(&st, "busy", (double)n.busy);
		dmd_stats_backend(&st, "table", &table->stats);
		dmd_stats_backend(&st, "archive", &archive->stats);
		dmd_stats_set(&st, "seconds", dmd_mono_seconds() - t0);
		if (dmd_stats_write(&st, stdout, dmd_wall_seconds()) != 0 ||
		    fflush(stdout) != 0) {
			warn("stdout");
			if (status == DMD_EXIT_OK)
				status = DMD_EXIT_IO;
		}
	}
	dmd_archive_close(archive);
	dmd_table_close(table);
	return status;
}
