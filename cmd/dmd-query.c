/*
 * dmd-query - read points back: names or Graphite patterns and a time
 * range in, points out (NDJSON, TSV or CSV), sorted by name then time.
 *
 * Patterns without wildcards are read directly; the others are matched
 * against the names the cache knows.  Series are read in groups, so
 * memory holds one group at a time, not the whole answer.
 */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

#include "cache.h"
#include "clock.h"
#include "glob.h"
#include "output.h"
#include "prog.h"
#include "reader.h"
#include "stats.h"
#include "timearg.h"
#include "xmalloc.h"

#define READ_GROUP	256	/* series per pipelined read */

static const char synopsis[] =
    "usage: dmd-query [-hSV] [-c url] [-f time] [-o format] [-u time]\n"
    "                 [pattern ...]\n";

static const struct option longopts[] = {
	{ "cache",	required_argument,	NULL, 'c' },
	{ "from",	required_argument,	NULL, 'f' },
	{ "help",	no_argument,		NULL, 'h' },
	{ "output",	required_argument,	NULL, 'o' },
	{ "stats",	no_argument,		NULL, 'S' },
	{ "until",	required_argument,	NULL, 'u' },
	{ "version",	no_argument,		NULL, 'V' },
	{ NULL,		0,			NULL, 0 }
};

struct query {
	struct dmd_glob	*globs;
	size_t		 nglobs, capglobs;
	char		**names;	/* series to read */
	size_t		 nnames, capnames;
	int		 any_wild;
	struct dmd_output out;
	uint64_t	 points, series;
	int		 outerr;		/* writing stdout failed */
	int		 epipe;		/* ... because the reader left */
};

static void __attribute__((noreturn))
usage(void)
{
	fputs(synopsis, stderr);
	exit(DMD_EXIT_USAGE);
}

static void
add_name(struct query *q, const char *name, size_t len)
{
	q->names = xgrow(q->names, &q->capnames, q->nnames + 1,
	    sizeof(*q->names));
	q->names[q->nnames++] = xstrndup(name, len);
}

static void
add_pattern(struct query *q, const char *pat)
{
	char why[DMD_REASON_MAX], errbuf[256];
	struct dmd_glob *g;
	size_t i;

	q->globs = xgrow(q->globs, &q->capglobs, q->nglobs + 1,
	    sizeof(*q->globs));
	g = &q->globs[q->nglobs];
	if (dmd_glob_compile(g, pat, errbuf, sizeof(errbuf)) != 0)
		errx(DMD_EXIT_USAGE, "pattern \"%s\": %s", pat, errbuf);
	if (!g->literal) {
		q->any_wild = 1;
		q->nglobs++;
		return;
	}
	for (i = 0; i < g->nalts; i++) {
		if (dmd_name_check(g->alts[i], strlen(g->alts[i]), why) != 0)
			errx(DMD_EXIT_USAGE, "pattern \"%s\": %s", pat, why);
		add_name(q, g->alts[i], strlen(g->alts[i]));
	}
	dmd_glob_free(g);
}

static int
on_name(void *arg, const char *name, size_t len)
{
	struct query *q = arg;
	size_t i;

	for (i = 0; i < q->nglobs; i++)
		if (dmd_glob_match(&q->globs[i], name, len)) {
			add_name(q, name, len);
			break;
		}
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

static int
cmpstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Patterns from stdin, one per line (blank lines skipped). */
static void
read_patterns(struct query *q)
{
	struct dmd_reader r;
	const char *line;
	size_t len;
	char *pat;
	int rc;

	dmd_reader_init(&r, 0);
	while ((rc = dmd_reader_next(&r, -1, &line, &len)) != DMD_READ_EOF) {
		if (rc == DMD_READ_ERROR)
			errx(DMD_EXIT_IO, "stdin: %s", strerror(r.err));
		if (rc != DMD_READ_LINE)
			continue;
		while (len > 0 && (line[len - 1] == '\r' ||
		    line[len - 1] == ' ' || line[len - 1] == '\t'))
			len--;
		if (len == 0)
			continue;
		pat = xstrndup(line, len);
		add_pattern(q, pat);
		free(pat);
	}
	dmd_reader_release(&r);
}

int
main(int argc, char *argv[])
{
	struct query q;
	struct dmd_cache *cache;
	struct dmd_stats st;
	enum dmd_output_format ofmt = DMD_OUT_NDJSON;
	const char *cache_url, *from_s = "-1h", *until_s = "now";
	char errbuf[DMD_ERRSTR_MAX];
	int64_t now = dmd_wall_seconds(), from, until;
	size_t i, o;
	int ch, stats = 0, status = DMD_EXIT_OK;
	double t0 = dmd_mono_seconds();

	dmd_prog_init();
	memset(&q, 0, sizeof(q));
	cache_url = dmd_env("DMD_CACHE", "redis://127.0.0.1:6379");

	while ((ch = getopt_long(argc, argv, "c:f:ho:Su:V", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'c':
			cache_url = optarg;
			break;
		case 'f':
			from_s = optarg;
			break;
		case 'h':
			fputs(synopsis, stdout);
			exit(DMD_EXIT_OK);
		case 'o':
			if (dmd_output_format_parse(optarg, &ofmt) != 0)
				errx(DMD_EXIT_USAGE, "unknown output format "
				    "\"%s\" (want ndjson, tsv or csv)", optarg);
			break;
		case 'S':
			stats = 1;
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
	if ((cache = dmd_cache_open(cache_url, errbuf, sizeof(errbuf))) == NULL)
		errx(DMD_EXIT_USAGE, "cache \"%s\": %s", cache_url, errbuf);

	for (i = 0; i < (size_t)argc; i++)
		add_pattern(&q, argv[i]);
	if (argc == 0)
		read_patterns(&q);

	if (q.any_wild && dmd_cache_names(cache, on_name, &q) != 0) {
		warnx("%s", cache->errstr);
		status = DMD_EXIT_BACKEND;
		goto done;
	}
	if (q.nnames > 0)	/* qsort(NULL, 0, ...) is undefined */
		qsort(q.names, q.nnames, sizeof(*q.names), cmpstr);
	for (i = 0, o = 0; i < q.nnames; i++) {
		if (o > 0 && strcmp(q.names[o - 1], q.names[i]) == 0) {
			free(q.names[i]);
			continue;
		}
		q.names[o++] = q.names[i];
	}
	q.nnames = o;

	dmd_output_init(&q.out, stdout, ofmt);
	for (i = 0; i < q.nnames && !q.outerr; i += READ_GROUP) {
		size_t n = q.nnames - i < READ_GROUP ? q.nnames - i :
		    READ_GROUP;

		if (dmd_cache_read(cache, (const char *const *)q.names + i, n,
		    from, until, on_series, &q) != 0) {
			warnx("%s", cache->errstr);
			status = DMD_EXIT_BACKEND;
			break;
		}
	}
	if (status == DMD_EXIT_OK && dmd_output_finish(&q.out) != 0)
		q.outerr = 1;
done:
	if (stats) {
		dmd_stats_init(&st, "query");
		dmd_stats_set(&st, "series", (double)q.series);
		dmd_stats_set(&st, "points", (double)q.points);
		dmd_stats_backend(&st, "cache", &cache->stats);
		dmd_stats_set(&st, "seconds", dmd_mono_seconds() - t0);
		dmd_stats_write(&st, stdout, dmd_wall_seconds());
	}
	for (i = 0; i < q.nnames; i++)
		free(q.names[i]);
	free(q.names);
	for (i = 0; i < q.nglobs; i++)
		dmd_glob_free(&q.globs[i]);
	free(q.globs);
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
