/*
 * dmd-ingest - read points, store them in the cache tier.
 *
 * Lines from the files (or stdin) go through the parser; accepted points
 * go to the writer (batches, retries, spill), rejected lines to stderr
 * and --rejects.  The exit status says whether everything was stored.
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

#include "cache.h"
#include "clock.h"
#include "numarg.h"
#include "parse.h"
#include "prog.h"
#include "reader.h"
#include "stats.h"
#include "writer.h"

#define SHOW_REJECTS_MAX	100

static volatile int stop_signal;

static const char synopsis[] =
    "usage: dmd-ingest [-hSV] [-b n] [-c url] [-d ms] [-F format] [-R file]\n"
    "                  [-r duration] [-s file] [file ...]\n";

static const struct option longopts[] = {
	{ "batch",	required_argument,	NULL, 'b' },
	{ "cache",	required_argument,	NULL, 'c' },
	{ "max-delay",	required_argument,	NULL, 'd' },
	{ "format",	required_argument,	NULL, 'F' },
	{ "help",	no_argument,		NULL, 'h' },
	{ "rejects",	required_argument,	NULL, 'R' },
	{ "retry-for",	required_argument,	NULL, 'r' },
	{ "spill",	required_argument,	NULL, 's' },
	{ "stats",	no_argument,		NULL, 'S' },
	{ "version",	no_argument,		NULL, 'V' },
	{ NULL,		0,			NULL, 0 }
};

struct ingest {
	struct dmd_parser parser;
	struct dmd_writer writer;
	FILE		*rejects;	/* --rejects, or NULL */
	const char	*rejects_path;
	uint64_t	 nrejected;	/* points and lines rejected */
	uint64_t	 shown;
	int		 ioerr;
	int		 fatal;
};

static void __attribute__((noreturn))
usage(void)
{
	fputs(synopsis, stderr);
	exit(DMD_EXIT_USAGE);
}

static void
on_signal(int sig)
{
	stop_signal = sig;
}

static void
on_notice(void *arg, const char *msg)
{
	(void)arg;
	warnx("%s", msg);
}

static void
report_rejects(struct ingest *in, const char *fname, uint64_t lineno,
    const char *line, size_t len)
{
	const struct dmd_parser *p = &in->parser;
	size_t i;

	for (i = 0; i < p->nrejects; i++) {
		const struct dmd_reject *r = &p->rejects[i];

		in->nrejected++;
		if (in->shown++ >= SHOW_REJECTS_MAX)
			continue;
		if (r->index >= 0)
			warnx("%s:%llu[%d]: %s", fname,
			    (unsigned long long)lineno, r->index, r->reason);
		else
			warnx("%s:%llu: %s", fname, (unsigned long long)lineno,
			    r->reason);
	}
	if (in->rejects != NULL) {
		if (len > DMD_LINE_MAX)
			len = DMD_LINE_MAX;
		fwrite(line, 1, len, in->rejects);
		putc('\n', in->rejects);
	}
}

/* Ingest one input.  Returns -1 when points can no longer be stored or
 * spilled, or a signal asked us to stop. */
static int
ingest_fd(struct ingest *in, int fd, const char *fname)
{
	struct dmd_reader r;
	const char *line;
	size_t len, i;
	int rc, rv = 0;

	dmd_reader_init(&r, fd);
	for (;;) {
		if (stop_signal) {
			rv = -1;
			break;
		}
		rc = dmd_reader_next(&r, dmd_writer_deadline(&in->writer),
		    &line, &len);
		if (rc == DMD_READ_TIMEOUT) {
			if (dmd_writer_flush(&in->writer) != 0 ||
			    stop_signal) {
				rv = -1;
				break;
			}
			continue;
		}
		if (rc == DMD_READ_EOF)
			break;
		if (rc == DMD_READ_ERROR) {
			warnx("%s: %s", fname, strerror(r.err));
			in->ioerr = 1;
			break;
		}
		if (dmd_parser_line(&in->parser, line, len) > 0)
			report_rejects(in, fname, r.lineno, line, len);
		for (i = 0; i < in->parser.npoints; i++)
			if (dmd_writer_add(&in->writer,
			    &in->parser.points[i]) != 0) {
				rv = -1;
				goto out;
			}
	}
out:
	dmd_reader_release(&r);
	return rv;
}

int
main(int argc, char *argv[])
{
	struct ingest in;
	struct dmd_cache *cache;
	struct dmd_stats st;
	struct sigaction sa;
	enum dmd_format fmt = DMD_FORMAT_AUTO;
	const char *cache_url, *spill, *errstr;
	char errbuf[DMD_ERRSTR_MAX], defspill[PATH_MAX];
	int64_t batch = 250000, max_delay = 200, retry_for = 30000;
	int ch, i, stats = 0, status;
	double t0 = dmd_mono_seconds();

	dmd_prog_init();
	memset(&in, 0, sizeof(in));
	cache_url = dmd_env("DMD_CACHE", "redis://127.0.0.1:6379");
	snprintf(defspill, sizeof(defspill), "%s/dmd-ingest.%ld.spill",
	    dmd_env("TMPDIR", "/var/tmp"), (long)getpid());
	spill = dmd_env("DMD_SPILL", defspill);

	while ((ch = getopt_long(argc, argv, "b:c:d:F:hR:r:s:SV", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'b':
			batch = dmd_strtonum(optarg, 1, 10000000, &errstr);
			if (errstr != NULL)
				errx(DMD_EXIT_USAGE, "batch size is %s: %s",
				    optarg, errstr);
			break;
		case 'c':
			cache_url = optarg;
			break;
		case 'd':
			max_delay = dmd_duration_arg("max delay", optarg, 1,
			    0, 3600000);
			break;
		case 'F':
			if (dmd_format_parse(optarg, &fmt) != 0)
				errx(DMD_EXIT_USAGE, "unknown format \"%s\" "
				    "(want auto, json, graphite or tsv)",
				    optarg);
			break;
		case 'h':
			fputs(synopsis, stdout);
			exit(DMD_EXIT_OK);
		case 'R':
			in.rejects_path = optarg;
			break;
		case 'r':
			retry_for = dmd_duration_arg("retry time", optarg,
			    1000, 0, 7 * 86400000LL);
			break;
		case 's':
			spill = optarg;
			break;
		case 'S':
			stats = 1;
			break;
		case 'V':
			printf("dmd-ingest %s\n", PACKAGE_VERSION);
			exit(DMD_EXIT_OK);
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;

	if ((cache = dmd_cache_open(cache_url, errbuf, sizeof(errbuf))) == NULL)
		errx(DMD_EXIT_USAGE, "cache \"%s\": %s", cache_url, errbuf);
	if (in.rejects_path != NULL && (in.rejects = fopen(in.rejects_path,
	    "a")) == NULL)
		err(DMD_EXIT_USAGE, "%s", in.rejects_path);

	/* SIGINT/SIGTERM: stop reading, store (or spill) what was read. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	dmd_parser_init(&in.parser, fmt);
	dmd_writer_init(&in.writer, cache);
	in.writer.batch_max = (size_t)batch;
	in.writer.max_delay_ms = max_delay;
	in.writer.retry_for_ms = retry_for;
	in.writer.notice = on_notice;
	in.writer.stop = &stop_signal;
	snprintf(in.writer.spill_path, sizeof(in.writer.spill_path), "%s",
	    spill);

	if (argc == 0)
		in.fatal = ingest_fd(&in, STDIN_FILENO, "stdin") != 0;
	for (i = 0; i < argc && !in.fatal; i++) {
		int fd;

		if (strcmp(argv[i], "-") == 0) {
			in.fatal = ingest_fd(&in, STDIN_FILENO, "stdin") != 0;
			continue;
		}
		if ((fd = open(argv[i], O_RDONLY | O_CLOEXEC)) < 0) {
			warn("%s", argv[i]);
			in.ioerr = 1;
			continue;
		}
		in.fatal = ingest_fd(&in, fd, argv[i]) != 0;
		close(fd);
	}
	if (dmd_writer_finish(&in.writer) != 0) {
		warnx("%s", in.writer.errstr);
		in.ioerr = 1;
	}
	if (in.shown > SHOW_REJECTS_MAX)
		warnx("%llu more rejects not shown",
		    (unsigned long long)(in.shown - SHOW_REJECTS_MAX));
	if (in.writer.spilled > 0)
		warnx("%llu points spilled to %s; store them later with "
		    "dmd-ingest < %s", (unsigned long long)in.writer.spilled,
		    in.writer.spill_path, in.writer.spill_path);
	if (in.rejects != NULL && fclose(in.rejects) != 0) {
		warn("%s", in.rejects_path);
		in.ioerr = 1;
	}

	if (stats) {
		dmd_stats_init(&st, "ingest");
		dmd_stats_set(&st, "accepted", (double)in.writer.accepted);
		dmd_stats_set(&st, "rejected", (double)in.nrejected);
		dmd_stats_set(&st, "spilled", (double)in.writer.spilled);
		dmd_stats_set(&st, "batches", (double)in.writer.batches);
		dmd_stats_set(&st, "retries", (double)in.writer.retries);
		dmd_stats_backend(&st, "cache", &cache->stats);
		dmd_stats_set(&st, "seconds", dmd_mono_seconds() - t0);
		dmd_stats_write(&st, stdout, dmd_wall_seconds());
	}
	dmd_parser_release(&in.parser);
	dmd_cache_close(cache);

	if (fflush(stdout) != 0 || ferror(stdout) || fclose(stdout) != 0) {
		warn("stdout");
		in.ioerr = 1;
	}
	if (in.ioerr)
		status = DMD_EXIT_IO;
	else if (in.writer.spilled > 0)
		status = DMD_EXIT_SPILLED;
	else if (in.nrejected > 0)
		status = DMD_EXIT_REJECTS;
	else
		status = DMD_EXIT_OK;
	if (stop_signal) {
		/* Everything read is stored or spilled: now die of the
		 * signal, so the caller sees it. */
		signal(stop_signal, SIG_DFL);
		raise(stop_signal);
	}
	return status;
}
