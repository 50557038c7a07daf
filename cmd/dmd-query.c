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
#include "aread.h"
#include "cache.h"
#include "clock.h"
#include "fetch.h"
#include "glob.h"
#include "numarg.h"
#include "output.h"
#include "prog.h"
#include "table.h"
#include "reader.h"
#include "stats.h"
#include "timearg.h"
#include "xmalloc.h"

#define READ_GROUP	256	/* series per group read */

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
	struct dmd_fetch fetch;
	char		**known;	/* names the tiers know, once listed */
	size_t		 nknown, capknown;
	int		 listed;
	const struct dmd_glob *match;	/* of on_match() */
	char		**names;	/* series of the current query */
	size_t		 nnames, capnames;
	int64_t		 step;		/* 0: no downsampling */
	enum dmd_agg	 agg;
	struct dmd_output out;
	uint64_t	 points, series, queries;
	int		 columns;	/* of the terminal, for -o chart */
	int64_t		 horizon;	/* of the archive */
	int		 has_horizon, all_tiers;
	int		 outerr;	/* writing stdout failed */
	int		 epipe;		/* ... because the reader left */
};

static void __attribute__((noreturn))
usage(void)
{
	fputs(synopsis, stderr);
	exit(DMD_EXIT_USAGE);
}

static void
push(char ***v, size_t *n, size_t *cap, const char *s, size_t len)
{
	*v = xgrow(*v, cap, *n + 1, sizeof(**v));
	(*v)[(*n)++] = xstrndup(s, len);
}

static int
on_known(void *arg, const char *name, size_t len)
{
	struct query *q = arg;

	push(&q->known, &q->nknown, &q->capknown, name, len);
	return 0;
}

static int
on_match(void *arg, const char *name, size_t len)
{
	struct query *q = arg;

	if (dmd_glob_match(q->match, name, len))
		push(&q->names, &q->nnames, &q->capnames, name, len);
	return 0;
}

static int
cmpstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sort v and drop repeats. */
static void
uniq(char **v, size_t *n)
{
	size_t i, o;

	if (*n == 0)	/* qsort(NULL, 0, ...) is undefined */
		return;
	qsort(v, *n, sizeof(*v), cmpstr);
	for (i = 0, o = 0; i < *n; i++) {
		if (o > 0 && strcmp(v[o - 1], v[i]) == 0) {
			free(v[i]);
			continue;
		}
		v[o++] = v[i];
	}
	*n = o;
}

/* Add the series pattern pat names to q->names.  Returns 0, -1 with a
 * message in err for a bad pattern, -2 if listing names failed. */
static int
resolve(struct query *q, const char *pat, char *err, size_t errlen)
{
	char why[DMD_REASON_MAX];
	struct dmd_glob g;
	const char *first;
	size_t i, flen;

	if (dmd_glob_compile(&g, pat, err, errlen) != 0)
		return -1;
	if (g.literal) {
		/* all or nothing: a bad name rejects the whole pattern */
		for (i = 0; i < g.nalts; i++)
			if (dmd_name_check(g.alts[i], strlen(g.alts[i]),
			    why) != 0) {
				snprintf(err, errlen, "%s", why);
				dmd_glob_free(&g);
				return -1;
			}
		for (i = 0; i < g.nalts; i++)
			push(&q->names, &q->nnames, &q->capnames, g.alts[i],
			    strlen(g.alts[i]));
		dmd_glob_free(&g);
		return 0;
	}
	/* Every alternative starts with a literal component ("web01.*"):
	 * list only the names of those first components. */
	for (i = 0; i < g.nalts && dmd_glob_first(&g, i, &flen) != NULL; i++)
		;
	if (i == g.nalts && !q->listed) {
		q->match = &g;
		for (i = 0; i < g.nalts; i++) {
			first = dmd_glob_first(&g, i, &flen);
			if (dmd_fetch_names(&q->fetch, first, flen, on_match,
			    q) != 0) {
				dmd_glob_free(&g);
				return -2;
			}
		}
		dmd_glob_free(&g);
		return 0;
	}
	if (!q->listed) {
		if (dmd_fetch_names(&q->fetch, NULL, 0, on_known, q) != 0) {
			dmd_glob_free(&g);
			return -2;
		}
		uniq(q->known, &q->nknown);
		q->listed = 1;
	}
	for (i = 0; i < q->nknown; i++)
		if (dmd_glob_match(&g, q->known[i], strlen(q->known[i])))
			push(&q->names, &q->nnames, &q->capnames, q->known[i],
			    strlen(q->known[i]));
	dmd_glob_free(&g);
	return 0;
}

static int
on_series(void *arg, const char *name, const struct dmd_sample *s, size_t n)
{
	struct query *q = arg;
	size_t i, len = strlen(name);

	q->series++;
	for (i = 0; i < n; i++)
		if (dmd_output_point(&q->out, name, len, s[i].time,
		    s[i].value) != 0) {
			q->outerr = 1;
			q->epipe = errno == EPIPE;
			return -1;
		}
	q->points += n;
	return 0;
}

/* Answer one query: the series in q->names over [from, until]. */
static int
answer(struct query *q, int64_t from, int64_t until)
{
	size_t i, n;
	int rv = 0;

	q->queries++;
	uniq(q->names, &q->nnames);
	dmd_output_range(&q->out, from, until, q->columns);
	/* below the archive's horizon the cache holds nothing of the range
	 * that a flush has not already put in the table (man dmd-query) */
	q->fetch.skip_cache = q->has_horizon && !q->all_tiers &&
	    until < q->horizon;
	for (i = 0; i < q->nnames && !q->outerr && rv == 0; i += n) {
		n = q->nnames - i < READ_GROUP ? q->nnames - i : READ_GROUP;
		if (dmd_fetch_read(&q->fetch, (const char *const *)q->names + i,
		    n, from, until, on_series, q) != 0) {
			warnx("%s: %s", q->fetch.which, q->fetch.errstr);
			rv = -1;
		}
	}
	for (i = 0; i < q->nnames; i++)
		free(q->names[i]);
	q->nnames = 0;
	return rv;
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
		    (rc = resolve(q, w[0], err, sizeof(err))) == -2) {
			warnx("%s: %s", q->fetch.which, q->fetch.errstr);
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
	int64_t now = dmd_wall_seconds(), from, until, threads = 4;
	size_t i;
	int ch, stats = 0, status = DMD_EXIT_OK, rc, explain = 0, health = 0;
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
			q.all_tiers = 1;
			break;
		case 'a':
			if (dmd_agg_parse(optarg, &q.agg) != 0)
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
			q.step = dmd_duration_arg("step", optarg, 1000, 1000,
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
			usage();
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
		errx(DMD_EXIT_USAGE, "cache \"%s\": %s", cache_url, errbuf);
	if (health) {
		if (argc > 0)
			usage();
		return print_health(cache);
	}
	if ((rc = dmd_fetch_init(&q.fetch, cache, *table_url ? table_url :
	    NULL, *archive_url ? archive_url : NULL, (int)threads, errbuf,
	    sizeof(errbuf))) != 0)
		errx(DMD_EXIT_USAGE, "%s \"%s\": %s", rc == -1 ? "table" :
		    "archive", rc == -1 ? table_url : archive_url, errbuf);
	dmd_fetch_set_step(&q.fetch, q.step, (int)q.agg);
	q.fetch.explain = explain;
	if (q.fetch.archives[0] != NULL)
		q.has_horizon = dmd_aread_horizon(q.fetch.archives[0],
		    &q.horizon) == 0;

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
			rc = resolve(&q, argv[i], errbuf, sizeof(errbuf));
			if (rc == -1)
				errx(DMD_EXIT_USAGE, "pattern \"%s\": %s",
				    argv[i], errbuf);
			if (rc == -2) {
				warnx("%s: %s", q.fetch.which,
				    q.fetch.errstr);
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
		dmd_stats_set(&st, "queries", (double)q.queries);
		dmd_stats_set(&st, "series", (double)q.series);
		dmd_stats_set(&st, "points", (double)q.points);
		dmd_stats_backend(&st, "cache", &cache->stats);
		dmd_stats_backend(&st, "table", &q.fetch.table_stats);
		dmd_stats_backend(&st, "archive", &q.fetch.archive_stats);
		dmd_stats_set(&st, "seconds", dmd_mono_seconds() - t0);
		dmd_stats_write(&st, stdout, dmd_wall_seconds());
	}
	for (i = 0; i < q.nnames; i++)
		free(q.names[i]);
	free(q.names);
	for (i = 0; i < q.nknown; i++)
		free(q.known[i]);
	free(q.known);
	dmd_fetch_release(&q.fetch);
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
