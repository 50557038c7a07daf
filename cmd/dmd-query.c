/*
 * dmd-query - read points back from every tier: names or Graphite
 * patterns and a time range in, points out (NDJSON, TSV, CSV or
 * Graphite's render JSON), sorted by name then time, optionally
 * downsampled.
 *
 * Patterns without wildcards are read directly; the others are matched
 * against the names the tiers know, listed once per process.  Series are
 * read in groups (common/fetch.c), so memory holds one group at a time,
 * not the whole answer.  With "-" (or no pattern) each line of stdin is a
 * query of its own: PATTERN [FROM [UNTIL]].
 */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

#include "agg.h"
#include "archive.h"
#include "cache.h"
#include "clock.h"
#include "fetch.h"
#include "query.h"
#include "numarg.h"
#include "output.h"
#include "prog.h"
#include "table.h"
#include "reader.h"
#include "stats.h"
#include "timearg.h"
#include "url.h"
#include "xmalloc.h"

static const char synopsis[] =
    "usage: dmd-query [-ehNSV] [-A url] [-a agg] [-c url] [-f time]\n"
    "                 [-j threads] [-o format] [-s step] [-t url]\n"
    "                 [-u time] [pattern ... | -]\n"
    "       dmd-query -H [-c url]\n";

static const struct option longopts[] = {
	{ "agg",	required_argument,	NULL, 'a' },
	{ "all-tiers",	no_argument,		NULL, 'N' },
	{ "archive",	required_argument,	NULL, 'A' },
	{ "explain",	no_argument,		NULL, 'e' },
	{ "cache",	required_argument,	NULL, 'c' },
	{ "from",	required_argument,	NULL, 'f' },
	{ "health",	no_argument,		NULL, 'H' },
	{ "help",	no_argument,		NULL, 'h' },
	{ "threads",	required_argument,	NULL, 'j' },
	{ "output",	required_argument,	NULL, 'o' },
	{ "step",	required_argument,	NULL, 's' },
	{ "stats",	no_argument,		NULL, 'S' },
	{ "table",	required_argument,	NULL, 't' },
	{ "until",	required_argument,	NULL, 'u' },
	{ "version",	no_argument,		NULL, 'V' },
	{ NULL,		0,			NULL, 0 }
};

struct query {
	struct dmd_query dq;
	struct dmd_output out;
	int		 columns;	/* of the terminal, for -o chart */
	int		 outerr;	/* writing stdout failed */
	int		 epipe;		/* ... because the reader left */
};

static int
on_series(void *arg, const char *name, const struct dmd_sample *s, size_t n)
{
	struct query *q = arg;
	size_t i, len = strlen(name);

	for (i = 0; i < n; i++)
		if (dmd_output_point(&q->out, name, len, s[i].time,
		    s[i].value) != 0) {
			q->outerr = 1;
			q->epipe = errno == EPIPE;
			return -1;
		}
	return 0;
}

/* Answer one query: the series added to q->dq over [from, until]. */
static int
answer(struct query *q, int64_t from, int64_t until)
{
	dmd_output_range(&q->out, from, until, q->columns);
	if (dmd_query_answer(&q->dq, from, until, on_series, q) != 0) {
		warnx("%s: %s", q->dq.fetch.which, q->dq.fetch.errstr);
		return -1;
	}
	return 0;
}

/* Split a query line into up to 3 words.  Returns the count, or -1 for
 * more than 3. */
static int
words(char *line, char *w[3])
{
	int n = 0;
	char *p = line;

	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			return n;
		if (n == 3)
			return -1;
		w[n++] = p;
		while (*p != '\0' && *p != ' ' && *p != '\t')
			p++;
		if (*p != '\0')
			*p++ = '\0';
	}
}

/* Query lines from stdin: PATTERN [FROM [UNTIL]], answered in order.
 * A bad line is reported with its number and skipped.  Returns an exit
 * status. */
static int
read_queries(struct query *q, int64_t now, int64_t from, int64_t until)
{
	struct dmd_reader r;
	const char *line;
	char *buf, *w[3], err[256];
	int64_t f, u;
	size_t len;
	int rc, nw, status = DMD_EXIT_OK;

	dmd_reader_init(&r, 0);
	while (!q->outerr && (rc = dmd_reader_next(&r, -1, &line, &len)) !=
	    DMD_READ_EOF) {
		if (rc == DMD_READ_ERROR) {
			warnx("stdin: %s", strerror(r.err));
			status = DMD_EXIT_IO;
			break;
		}
		if (rc != DMD_READ_LINE)
			continue;
		buf = xstrndup(line, len);
		buf[strcspn(buf, "\r")] = '\0';
		f = from;
		u = until;
		nw = words(buf, w);
		err[0] = '\0';
		if (nw < 0)
			snprintf(err, sizeof(err), "want PATTERN [FROM "
			    "[UNTIL]]");
		else if (nw >= 2 && dmd_time_parse(w[1], now, &f, err,
		    sizeof(err)) != 0)
			;
		else if (nw == 3 && dmd_time_parse(w[2], now, &u, err,
		    sizeof(err)) != 0)
			;
		else if (nw > 0 && f > u)
			snprintf(err, sizeof(err), "from is after until");
		if (err[0] == '\0' && nw > 0 &&
		    (rc = dmd_query_add(&q->dq, w[0], err, sizeof(err))) == -2) {
			warnx("%s: %s", q->dq.fetch.which,
			    q->dq.fetch.errstr);
			free(buf);
			status = DMD_EXIT_BACKEND;
			break;
		}
		if (err[0] != '\0') {
			warnx("stdin:%llu: %s", (unsigned long long)r.lineno,
			    err);
			if (status == DMD_EXIT_OK)
				status = DMD_EXIT_REJECTS;
		} else if (nw > 0 && answer(q, f, u) != 0) {
			free(buf);
			status = DMD_EXIT_BACKEND;
			break;
		}
		/* each answer on its own, and out at once: a script may wait
		 * for it before asking the next question */
		dmd_output_break(&q->out);
		if (fflush(stdout) != 0)
			q->outerr = 1;
		free(buf);
	}
	dmd_reader_release(&r);
	return status;
}

/* --health: the cache's own figures as points, then exit. */
static int
print_health(struct dmd_cache *cache)
{
	struct dmd_cache_health h;
	struct dmd_stats st;
	int64_t now = dmd_wall_seconds();
	int status = DMD_EXIT_OK;

	if (dmd_cache_health(cache, &h) != 0) {
		warnx("cache: %s", cache->errstr);
		dmd_cache_close(cache);
		return DMD_EXIT_BACKEND;
	}
	dmd_stats_init(&st, "cache");
	dmd_stats_set(&st, "used_memory_bytes", h.used_memory);
	dmd_stats_set(&st, "ops_per_sec", h.ops_per_sec);
	dmd_stats_set(&st, "cpu_seconds", h.cpu_seconds);
	dmd_stats_set(&st, "clients", h.clients);
	dmd_stats_set(&st, "due_series", h.due_series);
	if (h.oldest != INT64_MAX)
		dmd_stats_set(&st, "oldest_point_age_seconds",
		    (double)(now - h.oldest));
	if (dmd_stats_write(&st, stdout, now) != 0 || fflush(stdout) != 0) {
		warn("stdout");
		status = DMD_EXIT_IO;
	}
	dmd_cache_close(cache);
	return status;
}

int
main(int argc, char *argv[])
{
	struct query q;
	struct dmd_cache *cache;
	struct dmd_stats st;
	enum dmd_output_format ofmt = DMD_OUT_NDJSON;
	const char *cache_url, *table_url, *archive_url, *from_s = "-1h";
	const char *until_s = "now";
	const char *errstr;
	char errbuf[DMD_ERRSTR_MAX];
	char shown[DMD_URL_SHOWN_MAX];
	int64_t now = dmd_wall_seconds(), from, until, threads = 4;
	size_t i;
	int64_t step = 0;
	enum dmd_agg agg = DMD_AGG_AVG;
	int ch, stats = 0, status = DMD_EXIT_OK, rc, explain = 0, health = 0;
	int all_tiers = 0;
	double t0 = dmd_mono_seconds();

	dmd_prog_init();
	memset(&q, 0, sizeof(q));
	cache_url = dmd_env("DMD_CACHE", "redis://127.0.0.1:6379");
	/* set but empty: no table (dmd_env() would take the default) */
	if ((table_url = getenv("DMD_TABLE")) == NULL)
		table_url = DMD_TABLE_DEFAULT;
	if ((archive_url = getenv("DMD_ARCHIVE")) == NULL)
		archive_url = DMD_ARCHIVE_DEFAULT;

	while ((ch = getopt_long(argc, argv, "A:a:c:ef:Hhj:No:s:St:u:V",
	    longopts, NULL)) != -1) {
		switch (ch) {
		case 'H':
			health = 1;
			break;
		case 'A':
			archive_url = optarg;
			break;
		case 'e':
			explain = 1;
			break;
		case 'N':
			all_tiers = 1;
			break;
		case 'a':
			if (dmd_agg_parse(optarg, &agg) != 0)
				errx(DMD_EXIT_USAGE, "unknown aggregate \"%s\" "
				    "(want avg, min, max, sum, count, last or "
				    "first)", optarg);
			break;
		case 'c':
			cache_url = optarg;
			break;
		case 'f':
			from_s = optarg;
			break;
		case 'h':
			fputs(synopsis, stdout);
			exit(DMD_EXIT_OK);
		case 'j':
			threads = dmd_strtonum(optarg, 1, DMD_FETCH_THREADS,
			    &errstr);
			if (errstr != NULL)
				errx(DMD_EXIT_USAGE, "threads is %s: %s",
				    optarg, errstr);
			break;
		case 'o':
			if (dmd_output_format_parse(optarg, &ofmt) != 0)
				errx(DMD_EXIT_USAGE, "unknown output format "
				    "\"%s\" (want ndjson, tsv, csv, graphite or "
				    "chart)", optarg);
			break;
		case 's':
			step = dmd_duration_arg("step", optarg, 1000, 1000,
			    100LL * 366 * 86400 * 1000) / 1000;
			break;
		case 'S':
			stats = 1;
			break;
		case 't':
			table_url = optarg;
			break;
		case 'u':
			until_s = optarg;
			break;
		case 'V':
			printf("dmd-query %s\n", PACKAGE_VERSION);
			exit(DMD_EXIT_OK);
		default:
			dmd_usage(synopsis);
		}
	}
	argc -= optind;
	argv += optind;

	if (dmd_time_parse(from_s, now, &from, errbuf, sizeof(errbuf)) != 0 ||
	    dmd_time_parse(until_s, now, &until, errbuf, sizeof(errbuf)) != 0)
		errx(DMD_EXIT_USAGE, "%s", errbuf);
	if (from > until)
		errx(DMD_EXIT_USAGE, "from (%s) is after until (%s)", from_s,
		    until_s);
	for (i = 0; i < (size_t)argc; i++)
		if (strcmp(argv[i], "-") == 0 && argc > 1)
			errx(DMD_EXIT_USAGE, "\"-\" reads queries from stdin: "
			    "give it alone");
	if ((cache = dmd_cache_open(cache_url, errbuf, sizeof(errbuf))) == NULL)
		errx(DMD_EXIT_USAGE, "cache \"%s\": %s",
		    dmd_url_shown(cache_url, shown, sizeof(shown)), errbuf);
	if (health) {
		if (argc > 0)
			dmd_usage(synopsis);
		return print_health(cache);
	}
	if ((rc = dmd_query_init(&q.dq, cache, *table_url ? table_url :
	    NULL, *archive_url ? archive_url : NULL, (int)threads, errbuf,
	    sizeof(errbuf))) != 0)
		errx(DMD_EXIT_USAGE, "%s \"%s\": %s", rc == -1 ? "table" :
		    "archive", rc == -1 ? table_url : archive_url, errbuf);
	dmd_fetch_set_step(&q.dq.fetch, step, (int)agg);
	q.dq.fetch.explain = explain;
	q.dq.all_tiers = all_tiers;

	/* big writes; stdin queries flush after each answer */
	setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	dmd_output_init(&q.out, stdout, ofmt);
	q.columns = (int)dmd_strtonum(dmd_env("COLUMNS", "80"), 20, 10000,
	    &errstr);
	if (errstr != NULL)
		q.columns = 80;
	if (argc == 0 || strcmp(argv[0], "-") == 0)
		status = read_queries(&q, now, from, until);
	else {
		for (i = 0; i < (size_t)argc; i++) {
			rc = dmd_query_add(&q.dq, argv[i], errbuf,
			    sizeof(errbuf));
			if (rc == -1)
				errx(DMD_EXIT_USAGE, "pattern \"%s\": %s",
				    argv[i], errbuf);
			if (rc == -2) {
				warnx("%s: %s", q.dq.fetch.which,
				    q.dq.fetch.errstr);
				status = DMD_EXIT_BACKEND;
				break;
			}
		}
		if (status == DMD_EXIT_OK && answer(&q, from, until) != 0)
			status = DMD_EXIT_BACKEND;
	}
	/* close what the format opened, even after a failure, so the
	 * output stays well-formed */
	if (!q.outerr && dmd_output_finish(&q.out) != 0)
		q.outerr = 1;
	if (stats) {
		dmd_stats_init(&st, "query");
		dmd_stats_set(&st, "queries", (double)q.dq.queries);
		dmd_stats_set(&st, "series", (double)q.dq.series);
		dmd_stats_set(&st, "points", (double)q.dq.points);
		dmd_stats_backend(&st, "cache", &cache->stats);
		dmd_stats_backend(&st, "table", &q.dq.fetch.table_stats);
		dmd_stats_backend(&st, "archive", &q.dq.fetch.archive_stats);
		dmd_stats_set(&st, "seconds", dmd_mono_seconds() - t0);
		dmd_stats_write(&st, stdout, dmd_wall_seconds());
	}
	dmd_query_release(&q.dq);
	dmd_cache_close(cache);
	if (fflush(stdout) != 0 || ferror(stdout) || fclose(stdout) != 0 ||
	    q.outerr) {
		/* `dmd-query ... | head` is normal use, not worth a word */
		if (!q.epipe && errno != EPIPE)
			warn("stdout");
		status = DMD_EXIT_IO;
	}
	return status;
}
