/*
 * dmd-ingest - read points, store them in the cache tier.
 *
 * Lines from the files (or stdin, or TCP clients with --listen) go
 * through the parser; accepted points go to the writer (batches,
 * retries, spill), rejected lines to stderr and --rejects.  The exit
 * status says whether everything was stored.
 */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

#include "cache.h"
#include "checkpoint.h"
#include "clock.h"
#include "listen.h"
#include "numarg.h"
#include "parse.h"
#include "prog.h"
#include "reader.h"
#include "rejects.h"
#include "stats.h"
#include "url.h"
#include "writer.h"
#include "xmalloc.h"

static volatile int stop_signal;

static const char synopsis[] =
    "usage: dmd-ingest [-hSV] [-b n] [-C file] [-c url] [-d ms] [-F format]\n"
    "                  [-i interval] [-R file] [-r duration] [-s file]\n"
    "                  [file ...]\n"
    "       dmd-ingest -L address [-L address ...] [-I idle] [-m clients]\n"
    "                  [options]\n";

static const struct option longopts[] = {
	{ "batch",	required_argument,	NULL, 'b' },
	{ "cache",	required_argument,	NULL, 'c' },
	{ "checkpoint",	required_argument,	NULL, 'C' },
	{ "max-delay",	required_argument,	NULL, 'd' },
	{ "format",	required_argument,	NULL, 'F' },
	{ "help",	no_argument,		NULL, 'h' },
	{ "idle-timeout", required_argument,	NULL, 'I' },
	{ "stats-interval", required_argument,	NULL, 'i' },
	{ "listen",	required_argument,	NULL, 'L' },
	{ "max-clients", required_argument,	NULL, 'm' },
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
	struct dmd_rejects rejects;
	const char	*rejects_path;	/* --rejects, or NULL */
	int		 ioerr;
	int		 fatal;
	struct dmd_listen *listen;	/* --listen, or NULL */
	/* --stats, --stats-interval */
	int		 stats;
	int64_t		 interval_ms;	/* 0: one report, at the end */
	int64_t		 next_report;	/* dmd_mono_ms() */
	double		 report_t0;	/* start of the interval */
	uint64_t	 rejected_reported;
	int64_t		 last_report;	/* time of the last report */
	/* --checkpoint: the marks of dmd-stream get --marks */
	const char	*cpfile;
	char		(*cppos)[DMD_STREAM_POS_MAX];
	unsigned char	*cpmask;
	int		 cpdirty;
	int64_t		 cpsince;	/* dmd_mono_ms() of the first mark
					 * not recorded */
	uint64_t	 lines;
};

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

/* Report the counters of the interval since the last report (the whole
 * run without --stats-interval): the reports add up to the run. */
static void
report(struct ingest *in)
{
	struct dmd_writer_counts wc;
	struct dmd_listen_counts lc;
	struct dmd_stats st;
	double now = dmd_mono_seconds();
	int64_t t;

	dmd_writer_take(&in->writer, &wc);
	dmd_stats_init(&st, "ingest");
	dmd_stats_set(&st, "accepted", (double)wc.accepted);
	dmd_stats_set(&st, "rejected", (double)(in->rejects.n -
	    in->rejected_reported));
	in->rejected_reported = in->rejects.n;
	dmd_stats_set(&st, "spilled", (double)wc.spilled);
	dmd_stats_set(&st, "batches", (double)wc.batches);
	dmd_stats_set(&st, "retries", (double)wc.retries);
	if (in->listen != NULL) {
		dmd_listen_take(in->listen, &lc);
		dmd_stats_set(&st, "connections", (double)lc.connections);
		dmd_stats_set(&st, "clients", (double)lc.clients);
		dmd_stats_set(&st, "refused", (double)lc.refused);
		dmd_stats_set(&st, "idle_closed", (double)lc.timeouts);
		dmd_stats_set(&st, "resets", (double)lc.errors);
		dmd_stats_set(&st, "lines", (double)lc.lines);
		dmd_stats_set(&st, "bytes", (double)lc.bytes);
	}
	dmd_stats_backend(&st, "cache", &wc.cache);
	dmd_stats_set(&st, "seconds", now - in->report_t0);
	in->report_t0 = now;
	/* two reports in one second would be one point stored, the later
	 * overwriting: the reports must add up */
	t = dmd_wall_seconds();
	if (t <= in->last_report)
		t = in->last_report + 1;
	in->last_report = t;
	if (dmd_stats_write(&st, stdout, t) != 0 || fflush(stdout) != 0) {
		/* the points matter more than their counters: go on */
		if (!in->ioerr)
			warn("stdout");
		in->ioerr = 1;
		clearerr(stdout);
	}
}

/* Store what was read, then record the marks read with it: a mark
 * stands for the points before it.  0, or -1 (points can no longer be
 * stored, or the checkpoint not written). */
static int
checkpoint(struct ingest *in)
{
	if (!in->cpdirty)
		return 0;
	if (dmd_writer_sync(&in->writer) != 0)
		return -1;
	if (in->writer.spilled > 0)
		return 0;	/* spilled is not stored: replay it all */
	if (dmd_checkpoint_write(in->cpfile, in->cppos, in->cpmask,
	    DMD_CHECKPOINT_PARTS) != 0) {
		in->ioerr = 1;
		return -1;
	}
	in->cpdirty = 0;
	return 0;
}

/* When something is due: the batch's deadline or the next report. */
static int64_t
deadline(const struct ingest *in)
{
	int64_t d = dmd_writer_deadline(&in->writer);

	if (in->interval_ms > 0 && (d < 0 || in->next_report < d))
		d = in->next_report;
	if (in->cpdirty && (d < 0 || in->cpsince + in->writer.max_delay_ms <
	    d))
		d = in->cpsince + in->writer.max_delay_ms;
	return d;
}

/* Do what is due.  Returns -1 when points can no longer be stored. */
static int
tick(struct ingest *in)
{
	int64_t now = dmd_mono_ms(), d = dmd_writer_deadline(&in->writer);

	if (d >= 0 && now >= d && dmd_writer_flush(&in->writer) != 0)
		return -1;
	if (in->cpdirty && now >= in->cpsince + in->writer.max_delay_ms &&
	    checkpoint(in) != 0)
		return -1;
	if (in->interval_ms > 0 && now >= in->next_report) {
		report(in);
		in->next_report += in->interval_ms;
		if (in->next_report <= now)	/* stalled: skip, not burst */
			in->next_report = now + in->interval_ms;
	}
	return 0;
}

/* One input line.  Returns -1 when points can no longer be stored or
 * spilled. */
static int
take_line(struct ingest *in, const char *src, uint64_t lineno,
    const char *line, size_t len)
{
	size_t i;
	int part;
	char pos[DMD_STREAM_POS_MAX];

	if (in->cpfile != NULL && dmd_checkpoint_mark(line, len, &part,
	    pos)) {
		snprintf(in->cppos[part], DMD_STREAM_POS_MAX, "%s", pos);
		in->cpmask[part] = 1;
		if (!in->cpdirty)
			in->cpsince = dmd_mono_ms();
		in->cpdirty = 1;
		return 0;
	}
	if (dmd_parser_line(&in->parser, line, len) > 0)
		dmd_rejects_line(&in->rejects, &in->parser, src, lineno, line,
		    len);
	for (i = 0; i < in->parser.npoints; i++)
		if (dmd_writer_add(&in->writer, &in->parser.points[i]) != 0)
			return -1;
	/* a steady stream never times the reader out: look at the clock
	 * now and then */
	if ((++in->lines & 1023) == 0 && in->interval_ms > 0 &&
	    dmd_mono_ms() >= in->next_report)
		return tick(in);
	return 0;
}

static int
on_client_line(void *arg, const char *peer, uint64_t lineno,
    const char *line, size_t len, const char *why)
{
	struct ingest *in = arg;
	char reason[160];

	if (line == NULL) {
		snprintf(reason, sizeof(reason), "unfinished line of %zu "
		    "bytes dropped: %s", len, why);
		dmd_rejects_one(&in->rejects, peer, lineno, reason);
		return 0;
	}
	return take_line(in, peer, lineno, line, len);
}

/* --listen: serve clients until a signal, then store what they sent. */
static int
ingest_clients(struct ingest *in)
{
	int rv = 0;

	while (!stop_signal) {
		if (dmd_listen_run(in->listen, deadline(in), on_client_line,
		    in) != 0 || tick(in) != 0) {
			rv = -1;
			break;
		}
	}
	if (rv == 0 && dmd_listen_drain(in->listen, on_client_line, in) != 0)
		rv = -1;
	return rv;
}

/* Ingest one input.  Returns -1 when points can no longer be stored or
 * spilled, or a signal asked us to stop. */
static int
ingest_fd(void *arg, int fd, const char *fname)
{
	struct ingest *in = arg;
	struct dmd_reader r;
	const char *line;
	size_t len;
	int rc, rv = 0;

	dmd_reader_init(&r, fd);
	for (;;) {
		if (stop_signal) {
			rv = -1;
			break;
		}
		rc = dmd_reader_next(&r, deadline(in), &line, &len);
		if (rc == DMD_READ_TIMEOUT) {
			if (tick(in) != 0 || stop_signal) {
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
		if (take_line(in, fname, r.lineno, line, len) != 0) {
			rv = -1;
			break;
		}
	}
	dmd_reader_release(&r);
	return rv;
}

int
main(int argc, char *argv[])
{
	struct ingest in;
	struct dmd_cache *cache;
	struct sigaction sa;
	enum dmd_format fmt = DMD_FORMAT_AUTO;
	const char *cache_url, *spill, *errstr;
	char errbuf[DMD_ERRSTR_MAX], defspill[PATH_MAX];
	char shown[DMD_URL_SHOWN_MAX];
	int64_t batch = 250000, max_delay = 200, retry_for = 30000;
	int64_t max_clients = 1024, idle = 600000;
	int ch, i, status;
	char errbuf2[DMD_ERRSTR_MAX];

	dmd_prog_init();
	memset(&in, 0, sizeof(in));
	in.report_t0 = dmd_mono_seconds();
	cache_url = dmd_env("DMD_CACHE", "redis://127.0.0.1:6379");
	snprintf(defspill, sizeof(defspill), "%s/dmd-ingest.%ld.spill",
	    dmd_env("TMPDIR", "/var/tmp"), (long)getpid());
	spill = dmd_env("DMD_SPILL", defspill);

	while ((ch = getopt_long(argc, argv, "b:C:c:d:F:hI:i:L:m:R:r:s:SV", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'b':
			batch = dmd_strtonum(optarg, 1, 10000000, &errstr);
			if (errstr != NULL)
				errx(DMD_EXIT_USAGE, "batch size is %s: %s",
				    optarg, errstr);
			break;
		case 'C':
			in.cpfile = optarg;
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
		case 'I':
			idle = dmd_duration_arg("idle timeout", optarg, 1000,
			    0, 7 * 86400000LL);
			break;
		case 'i':
			in.interval_ms = dmd_duration_arg("stats interval",
			    optarg, 1000, 1000, 86400000LL);
			in.stats = 1;
			break;
		case 'L':
			if ((in.listen = dmd_listen_add(in.listen, optarg,
			    errbuf2, sizeof(errbuf2))) == NULL)
				errx(DMD_EXIT_USAGE, "listen: %s", errbuf2);
			break;
		case 'm':
			max_clients = dmd_strtonum(optarg, 1, 1000000, &errstr);
			if (errstr != NULL)
				errx(DMD_EXIT_USAGE, "max clients is %s: %s",
				    optarg, errstr);
			break;
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
			in.stats = 1;
			break;
		case 'V':
			printf("dmd-ingest %s\n", PACKAGE_VERSION);
			exit(DMD_EXIT_OK);
		default:
			dmd_usage(synopsis);
		}
	}
	argc -= optind;
	argv += optind;
	if (in.listen != NULL && argc > 0)
		errx(DMD_EXIT_USAGE, "--listen reads clients, not files");
	if (in.cpfile != NULL) {
		in.cppos = xcalloc(DMD_CHECKPOINT_PARTS, sizeof(*in.cppos));
		in.cpmask = xcalloc(DMD_CHECKPOINT_PARTS, 1);
	}

	if ((cache = dmd_cache_open(cache_url, errbuf, sizeof(errbuf))) == NULL)
		errx(DMD_EXIT_USAGE, "cache \"%s\": %s",
		    dmd_url_shown(cache_url, shown, sizeof(shown)), errbuf);
	if (dmd_rejects_open(&in.rejects, in.rejects_path) != 0)
		err(DMD_EXIT_USAGE, "%s", in.rejects_path);

	/* SIGINT/SIGTERM: stop reading, store (or spill) what was read. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* a reader of --stats that goes away costs counters, not points */
	signal(SIGPIPE, SIG_IGN);

	dmd_parser_init(&in.parser, fmt);
	dmd_writer_init(&in.writer, cache);
	in.writer.batch_max = (size_t)batch;
	in.writer.max_delay_ms = max_delay;
	in.writer.retry_for_ms = retry_for;
	in.writer.notice = on_notice;
	in.writer.stop = &stop_signal;
	snprintf(in.writer.spill_path, sizeof(in.writer.spill_path), "%s",
	    spill);

	in.next_report = dmd_mono_ms() + in.interval_ms;
	if (in.listen != NULL) {
		char addr[NI_MAXHOST + NI_MAXSERV + 4];

		dmd_listen_limits(in.listen, (int)max_clients, idle);
		for (i = 0; i < dmd_listen_count(in.listen); i++)
			warnx("listening on %s", dmd_listen_addr(in.listen, i,
			    addr, sizeof(addr)));
		in.fatal = ingest_clients(&in) != 0;
	} else
		in.fatal = dmd_each_input(argc, argv, ingest_fd, &in,
		    &in.ioerr, &stop_signal) != 0;
	/* the last marks: everything read is stored by now, or spilled */
	if (in.cpfile != NULL && !in.fatal && checkpoint(&in) != 0)
		in.fatal = 1;
	if (dmd_writer_finish(&in.writer) != 0) {
		warnx("%s", in.writer.errstr);
		in.ioerr = 1;
	}
	if (in.writer.spilled > 0)
		warnx("%llu points spilled to %s; store them later with "
		    "dmd-ingest < %s", (unsigned long long)in.writer.spilled,
		    in.writer.spill_path, in.writer.spill_path);
	if (dmd_rejects_close(&in.rejects) != 0)
		in.ioerr = 1;

	if (in.stats)
		report(&in);
	dmd_listen_close(in.listen);
	free(in.cppos);
	free(in.cpmask);
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
	else if (in.rejects.n > 0)
		status = DMD_EXIT_REJECTS;
	else
		status = DMD_EXIT_OK;
	if (stop_signal && in.listen == NULL) {
		/* Everything read is stored or spilled: now die of the
		 * signal, so the caller sees it.  (A listener's normal end
		 * is SIGTERM: its status says how the drain went.) */
		signal(stop_signal, SIG_DFL);
		raise(stop_signal);
	}
	return status;
}
