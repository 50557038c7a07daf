/*
 * dmd-stream - the durable intake log: put points in, get them out
 * again from any position, see how far readers lag.
 *
 *   dmd-stream put   points in (validated as dmd-ingest does), batched
 *                    into records per partition (a hash of the name),
 *                    acknowledged (exit 0) once durable
 *   dmd-stream get   points out, as NDJSON, from the oldest record, the
 *                    latest, a time or a checkpoint, optionally
 *                    following the log; the checkpoint is written only
 *                    after the output is flushed, or, with --marks, by
 *                    dmd-ingest --checkpoint once the points are stored
 *                    (at least once either way)
 *   dmd-stream info  per partition: records and bytes kept, and how far
 *                    a checkpoint lags, as points
 */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

#include "checkpoint.h"
#include "clock.h"
#include "fsutil.h"
#include "logrec.h"
#include "output.h"
#include "numarg.h"
#include "parse.h"
#include "point.h"
#include "prog.h"
#include "reader.h"
#include "rejects.h"
#include "stats.h"
#include "stream.h"
#include "timearg.h"
#include "writer.h"
#include "xmalloc.h"

#define FOLLOW_MAX_MS	1000	/* --follow polls back off to this */

/* put's options without a letter: -r and -s mean other things here */
enum { OPT_RETRY_FOR = 256, OPT_SPILL };

static volatile int stop_signal;

static const char synopsis[] =
    "usage: dmd-stream put [-hS] [-b n] [-d ms] [-F format] [-l url]\n"
    "                      [-n partitions] [-R file] [-r retention]\n"
    "                      [--retry-for duration] [--spill file] [file ...]\n"
    "       dmd-stream get [-fhmS] [-c file] [-l url] [-p partition]\n"
    "                      [-s oldest|latest|checkpoint|time]\n"
    "       dmd-stream info [-h] [-c file] [-l url]\n";

static const struct option longopts[] = {
	{ "batch",	required_argument,	NULL, 'b' },
	{ "checkpoint",	required_argument,	NULL, 'c' },
	{ "max-delay",	required_argument,	NULL, 'd' },
	{ "follow",	no_argument,		NULL, 'f' },
	{ "format",	required_argument,	NULL, 'F' },
	{ "from",	required_argument,	NULL, 's' },
	{ "help",	no_argument,		NULL, 'h' },
	{ "log",	required_argument,	NULL, 'l' },
	{ "marks",	no_argument,		NULL, 'm' },
	{ "partition",	required_argument,	NULL, 'p' },
	{ "partitions",	required_argument,	NULL, 'n' },
	{ "rejects",	required_argument,	NULL, 'R' },
	{ "retention",	required_argument,	NULL, 'r' },
	{ "retry-for",	required_argument,	NULL, OPT_RETRY_FOR },
	{ "spill",	required_argument,	NULL, OPT_SPILL },
	{ "stats",	no_argument,		NULL, 'S' },
	{ "version",	no_argument,		NULL, 'V' },
	{ NULL,		0,			NULL, 0 }
};

static void
on_signal(int sig)
{
	stop_signal = sig;
}

/* --- put --------------------------------------------------------- */

struct put_opts {
	enum dmd_format	 format;
	const char	*rejects;	/* --rejects, or NULL */
	const char	*spill;
	int64_t		 batch;		/* points */
	int64_t		 max_delay, retry_for, retention;	/* ms */
	int		 stats;
};

struct put {
	struct dmd_parser parser;
	struct dmd_writer writer;
	struct dmd_rejects rejects;
	int		 ioerr;
};

static void
on_notice(void *arg, const char *msg)
{
	(void)arg;
	warnx("%s", msg);
}

/* Put one input.  Returns -1 when points can no longer be appended or
 * spilled; a signal stops reading, and what was read is put. */
static int
put_fd(void *arg, int fd, const char *fname)
{
	struct put *u = arg;
	struct dmd_reader r;
	const char *line;
	size_t len, i;
	int rc, rv = 0;

	dmd_reader_init(&r, fd);
	while (!stop_signal && rv == 0) {
		rc = dmd_reader_next(&r, dmd_writer_deadline(&u->writer),
		    &line, &len);
		if (rc == DMD_READ_TIMEOUT) {
			rv = dmd_writer_flush(&u->writer);
			continue;
		}
		if (rc == DMD_READ_EOF)
			break;
		if (rc == DMD_READ_ERROR) {
			warnx("%s: %s", fname, strerror(r.err));
			u->ioerr = 1;
			break;
		}
		if (dmd_parser_line(&u->parser, line, len) > 0)
			dmd_rejects_line(&u->rejects, &u->parser, fname,
			    r.lineno, line, len);
		for (i = 0; i < u->parser.npoints && rv == 0; i++)
			rv = dmd_writer_add(&u->writer, &u->parser.points[i]);
	}
	dmd_reader_release(&r);
	return rv;
}

static int
cmd_put(struct dmd_stream *log, int argc, char **argv,
    const struct put_opts *o)
{
	struct dmd_stream_sink sink;
	struct dmd_writer_counts wc;
	struct dmd_stats st;
	struct put u;
	uint64_t removed = 0;
	double t0 = dmd_mono_seconds();
	int status, trimerr = 0;

	memset(&u, 0, sizeof(u));
	dmd_parser_init(&u.parser, o->format);
	if (dmd_rejects_open(&u.rejects, o->rejects) != 0)
		err(DMD_EXIT_USAGE, "%s", o->rejects);
	dmd_stream_sink_init(&sink, log);
	dmd_writer_init(&u.writer, &sink.cache);
	u.writer.tier = "log";
	u.writer.batch_max = (size_t)o->batch;
	u.writer.max_delay_ms = o->max_delay;
	u.writer.retry_for_ms = o->retry_for;
	u.writer.notice = on_notice;
	u.writer.stop = &stop_signal;
	snprintf(u.writer.spill_path, sizeof(u.writer.spill_path), "%s",
	    o->spill);

	dmd_each_input(argc, argv, put_fd, &u, &u.ioerr, &stop_signal);
	/* what was read is appended (or spilled), a signal or not */
	if (dmd_writer_finish(&u.writer) != 0) {
		warnx("%s", u.writer.errstr);
		u.ioerr = 1;
	}
	if (u.writer.spilled > 0)
		warnx("%llu points spilled to %s; put them later with "
		    "dmd-stream put %s", (unsigned long long)u.writer.spilled,
		    u.writer.spill_path, u.writer.spill_path);
	else if (!u.ioerr && o->retention > 0 && dmd_stream_trim(log,
	    dmd_wall_ms() - o->retention, &removed) != 0) {
		warnx("log: %s", log->errstr);
		trimerr = 1;
	}
	if (dmd_rejects_close(&u.rejects) != 0)
		u.ioerr = 1;
	if (o->stats) {
		dmd_writer_take(&u.writer, &wc);
		dmd_cache_stats_move(&wc.cache, &log->stats);
		dmd_stats_init(&st, "stream");
		dmd_stats_set(&st, "put_points", (double)wc.accepted);
		dmd_stats_set(&st, "put_rejected", (double)u.rejects.n);
		dmd_stats_set(&st, "put_records", (double)sink.records);
		dmd_stats_set(&st, "put_bytes", (double)sink.bytes);
		dmd_stats_set(&st, "spilled", (double)wc.spilled);
		dmd_stats_set(&st, "retries", (double)wc.retries);
		dmd_stats_set(&st, "segments_removed", (double)removed);
		dmd_stats_backend(&st, "log", &wc.cache);
		dmd_stats_set(&st, "seconds", dmd_mono_seconds() - t0);
		dmd_stats_write(&st, stdout, dmd_wall_seconds());
	}
	dmd_stream_sink_release(&sink);
	dmd_parser_release(&u.parser);
	if (u.ioerr)
		status = DMD_EXIT_IO;
	else if (trimerr)
		status = DMD_EXIT_BACKEND;
	else if (u.writer.spilled > 0)
		status = DMD_EXIT_SPILLED;
	else if (u.rejects.n > 0)
		status = DMD_EXIT_REJECTS;
	else
		status = DMD_EXIT_OK;
	if (stop_signal) {
		/* what was read is durable (or spilled): now die of the
		 * signal, so the caller knows the rest of the input was
		 * not put */
		fflush(stdout);
		signal(stop_signal, SIG_DFL);
		raise(stop_signal);
	}
	return status;
}

/* --- get ---------------------------------------------------------- */

struct get {
	char		(*pos)[DMD_STREAM_POS_MAX];
	int		 part;
	int		 marks;		/* "#mark P POS" after each record */
	struct dmd_output out;
	uint64_t	 records, bytes, points, bad;
	uint64_t	 lost;		/* partitions read past retention */
	int		 outerr;
};

static int
on_entry(void *arg, const char *name, size_t namelen,
    const struct dmd_sample *s, size_t n)
{
	struct get *g = arg;
	size_t i;

	for (i = 0; i < n; i++)
		if (dmd_output_point(&g->out, name, namelen, s[i].time,
		    s[i].value) != 0)
			return g->outerr = 1;
	g->points += n;
	return 0;
}

static int
on_record(void *arg, const struct dmd_record *r)
{
	struct get *g = arg;
	char why[DMD_REASON_MAX];
	int rc;

	if ((rc = dmd_logrec_decode(r->data, r->len, on_entry, g, why)) < 0) {
		/* not ours, or damaged past its checksum: say so, go on */
		warnx("log: partition %d, the record at %s: %s; skipped",
		    g->part, g->pos[g->part], why);
		g->bad++;
	} else if (rc != 0)
		return 1;
	snprintf(g->pos[g->part], DMD_STREAM_POS_MAX, "%s", r->next);
	/* for dmd-ingest --checkpoint: it stores the points above, then
	 * records the position (checkpoint.h) */
	if (g->marks && printf("#mark %d %s\n", g->part, r->next) < 0) {
		g->outerr = 1;
		return 1;
	}
	g->records++;
	g->bytes += r->len;
	return 0;
}

/* A checkpoint's position before the oldest record kept: records it had
 * not read are gone.  Positions that are not both decimal (Kinesis's
 * oldest is "") are never before. */
static int
before_oldest(const char *pos, const char *oldest)
{
	size_t a = strlen(pos), b = strlen(oldest);

	if (a == 0 || b == 0 || strspn(pos, "0123456789") != a ||
	    strspn(oldest, "0123456789") != b)
		return 0;
	return a < b || (a == b && strcmp(pos, oldest) < 0);
}

static int
cmd_get(struct dmd_stream *log, const char *from, const char *cpfile,
    int follow, int only, int marks, int stats)
{
	struct dmd_stats st;
	struct get g;
	char (*oldest)[DMD_STREAM_POS_MAX];
	unsigned char *mask;
	int64_t now = dmd_wall_seconds(), t, wait = 50;
	char errbuf[256];
	uint64_t before;
	double t0 = dmd_mono_seconds();
	int n = log->partitions, k, rc, status = DMD_EXIT_OK;

	memset(&g, 0, sizeof(g));
	g.marks = marks;
	dmd_output_init(&g.out, stdout, DMD_OUT_NDJSON);
	g.pos = xcalloc((size_t)n, sizeof(*g.pos));
	mask = xcalloc((size_t)n, 1);
	for (k = 0; k < n; k++)
		mask[k] = only < 0 || k == only;
	if (from == NULL)
		from = cpfile != NULL ? "checkpoint" : "oldest";
	for (k = 0; k < n; k++) {
		if (!mask[k])
			continue;
		if (strcmp(from, "oldest") == 0 || strcmp(from,
		    "checkpoint") == 0)
			rc = dmd_stream_oldest(log, k, g.pos[k]);
		else if (strcmp(from, "latest") == 0)
			rc = dmd_stream_latest(log, k, g.pos[k]);
		else if (dmd_time_parse(from, now, &t, errbuf,
		    sizeof(errbuf)) != 0)
			errx(DMD_EXIT_USAGE, "--from: %s (want oldest, latest, "
			    "checkpoint or a time)", errbuf);
		else
			rc = dmd_stream_at_time(log, k, t * 1000, g.pos[k]);
		if (rc != 0)
			errx(DMD_EXIT_BACKEND, "log: %s", log->errstr);
	}
	if (strcmp(from, "checkpoint") == 0) {
		if (cpfile == NULL)
			errx(DMD_EXIT_USAGE, "--from checkpoint needs "
			    "--checkpoint FILE");
		/* partitions without a checkpoint start at the oldest */
		oldest = xcalloc((size_t)n, sizeof(*oldest));
		memcpy(oldest, g.pos, (size_t)n * sizeof(*oldest));
		if (dmd_checkpoint_read(cpfile, g.pos, n) < 0)
			exit(DMD_EXIT_USAGE);
		for (k = 0; k < n; k++)
			if (mask[k] && before_oldest(g.pos[k], oldest[k])) {
				warnx("log: partition %d: the records from %s "
				    "to %s were removed by retention before "
				    "this reader read them", k, g.pos[k],
				    oldest[k]);
				g.lost++;
			}
		free(oldest);
	}
	/* where this reader starts is where a rerun starts too, even if
	 * it reads nothing (--from latest, a time) */
	if (cpfile != NULL && !marks && strcmp(from, "checkpoint") != 0 &&
	    dmd_checkpoint_write(cpfile, g.pos, mask, n) != 0)
		exit(DMD_EXIT_IO);
	setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	for (;;) {
		before = g.records;
		for (k = 0; k < n && !stop_signal; k++) {
			if (!mask[k])
				continue;
			g.part = k;
			if (dmd_stream_read(log, k, g.pos[k], on_record,
			    &g) != 0) {
				warnx("log: %s", log->errstr);
				status = DMD_EXIT_BACKEND;
				break;
			}
			if (g.outerr)
				break;
		}
		/* out first, the checkpoint after: at least once */
		if (fflush(stdout) != 0 || g.outerr) {
			if (errno != EPIPE)
				warn("stdout");
			status = DMD_EXIT_IO;
			break;
		}
		/* with marks, the checkpoint is the consumer's to write */
		if (cpfile != NULL && !marks && g.records > before &&
		    dmd_checkpoint_write(cpfile, g.pos, mask, n) != 0) {
			status = DMD_EXIT_IO;
			break;
		}
		if (!follow || stop_signal || status != DMD_EXIT_OK)
			break;
		if (g.records > before)
			wait = 50;
		else {
			dmd_sleep_ms(wait, &stop_signal);
			if ((wait *= 2) > FOLLOW_MAX_MS)
				wait = FOLLOW_MAX_MS;
		}
	}
	if (stats) {
		dmd_stats_init(&st, "stream");
		dmd_stats_set(&st, "get_points", (double)g.points);
		dmd_stats_set(&st, "get_records", (double)g.records);
		dmd_stats_set(&st, "get_bad_records", (double)g.bad);
		dmd_stats_set(&st, "get_bytes", (double)g.bytes);
		dmd_stats_backend(&st, "log", &log->stats);
		dmd_stats_set(&st, "seconds", dmd_mono_seconds() - t0);
		dmd_stats_write(&st, stdout, dmd_wall_seconds());
		fflush(stdout);
	}
	free(g.pos);
	free(mask);
	/* every point of a readable record was written: a skipped one, or
	 * records retention took first, still fail the run */
	if (status == DMD_EXIT_OK && (g.bad > 0 || g.lost > 0))
		status = DMD_EXIT_BACKEND;
	return status;
}

/* --- info --------------------------------------------------------- */

struct lag {
	uint64_t	 records, bytes;
	int64_t		 oldest_ms;	/* of the first record, or -1 */
};

static int
on_lag(void *arg, const struct dmd_record *r)
{
	struct lag *l = arg;

	if (l->oldest_ms < 0)
		l->oldest_ms = r->time_ms;
	l->records++;
	l->bytes += r->len;
	return 0;
}

static int
cmd_info(struct dmd_stream *log, const char *cpfile)
{
	char (*pos)[DMD_STREAM_POS_MAX], name[64];
	struct lag kept, lag;
	int64_t now = dmd_wall_seconds(), nowms = dmd_wall_ms();
	int n = log->partitions, k;

	pos = xcalloc((size_t)n, sizeof(*pos));
	if (cpfile != NULL && dmd_checkpoint_read(cpfile, pos, n) < 0)
		return DMD_EXIT_USAGE;
	for (k = 0; k < n; k++) {
		struct dmd_stats st;

		memset(&kept, 0, sizeof(kept));
		memset(&lag, 0, sizeof(lag));
		kept.oldest_ms = lag.oldest_ms = -1;
		if (dmd_stream_read(log, k, NULL, on_lag, &kept) != 0 ||
		    dmd_stream_read(log, k, pos[k], on_lag, &lag) != 0) {
			warnx("log: %s", log->errstr);
			free(pos);
			return DMD_EXIT_BACKEND;
		}
		snprintf(name, sizeof(name), "stream.p%03d", k);
		dmd_stats_init(&st, name);
		dmd_stats_set(&st, "records", (double)kept.records);
		dmd_stats_set(&st, "bytes", (double)kept.bytes);
		dmd_stats_set(&st, "lag_records", (double)lag.records);
		dmd_stats_set(&st, "lag_bytes", (double)lag.bytes);
		/* Kinesis's iterator age: how old the oldest unread is */
		dmd_stats_set(&st, "lag_seconds", lag.oldest_ms < 0 ? 0 :
		    (double)(nowms - lag.oldest_ms) / 1e3);
		if (dmd_stats_write(&st, stdout, now) != 0)
			break;
	}
	free(pos);
	if (fflush(stdout) != 0) {
		warn("stdout");
		return DMD_EXIT_IO;
	}
	return DMD_EXIT_OK;
}

int
main(int argc, char *argv[])
{
	struct dmd_stream *log;
	struct sigaction sa;
	struct put_opts po;
	const char *url, *cmd, *from = NULL, *cpfile = NULL;
	const char *errstr;
	char errbuf[DMD_ERRSTR_MAX], defspill[PATH_MAX];
	int64_t partitions = 0;
	int ch, follow = 0, only = -1, marks = 0, status, why, putopt = 0;

	dmd_prog_init();
	url = dmd_env("DMD_LOG", DMD_STREAM_DEFAULT);
	memset(&po, 0, sizeof(po));
	po.format = DMD_FORMAT_AUTO;
	po.batch = 250000;
	po.max_delay = 200;
	po.retry_for = 30000;
	snprintf(defspill, sizeof(defspill), "%s/dmd-stream.%ld.spill",
	    dmd_env("TMPDIR", "/var/tmp"), (long)getpid());
	/* not DMD_SPILL: dmd-ingest's, and two writers of one spill file
	 * could mix their lines */
	po.spill = defspill;
	if (argc > 1 && (strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "--help") == 0)) {
		fputs(synopsis, stdout);
		return DMD_EXIT_OK;
	}
	if (argc > 1 && (strcmp(argv[1], "-V") == 0 ||
	    strcmp(argv[1], "--version") == 0)) {
		printf("dmd-stream %s\n", PACKAGE_VERSION);
		return DMD_EXIT_OK;
	}
	if (argc < 2)
		dmd_usage(synopsis);
	cmd = argv[1];
	if (strcmp(cmd, "put") != 0 && strcmp(cmd, "get") != 0 &&
	    strcmp(cmd, "info") != 0) {
		warnx("unknown command \"%s\" (want put, get or info)", cmd);
		dmd_usage(synopsis);
	}
	argc--;
	argv++;
	while ((ch = getopt_long(argc, argv, "b:c:d:F:fhl:mn:p:R:r:Ss:V",
	    longopts, NULL)) != -1) {
		switch (ch) {
		case 'b':
			po.batch = dmd_strtonum(optarg, 1, 10000000, &errstr);
			if (errstr != NULL)
				errx(DMD_EXIT_USAGE, "batch size is %s: %s",
				    optarg, errstr);
			putopt = 1;
			break;
		case 'c':
			cpfile = optarg;
			break;
		case 'd':
			po.max_delay = dmd_duration_arg("max delay", optarg, 1,
			    0, 3600000);
			putopt = 1;
			break;
		case 'F':
			putopt = 1;
			if (dmd_format_parse(optarg, &po.format) != 0)
				errx(DMD_EXIT_USAGE, "unknown format \"%s\" "
				    "(want auto, json, graphite or tsv)",
				    optarg);
			break;
		case 'f':
			follow = 1;
			break;
		case 'h':
			fputs(synopsis, stdout);
			exit(DMD_EXIT_OK);
		case 'l':
			url = optarg;
			break;
		case 'm':
			marks = 1;
			break;
		case 'n':
			partitions = dmd_strtonum(optarg, 1, 1024, &errstr);
			if (errstr != NULL)
				errx(DMD_EXIT_USAGE, "partitions is %s: %s",
				    optarg, errstr);
			break;
		case 'p':
			only = (int)dmd_strtonum(optarg, 0, 1023, &errstr);
			if (errstr != NULL)
				errx(DMD_EXIT_USAGE, "partition is %s: %s",
				    optarg, errstr);
			break;
		case 'R':
			po.rejects = optarg;
			putopt = 1;
			break;
		case 'r':
			po.retention = dmd_duration_arg("retention", optarg,
			    1000, 1000, 100LL * 366 * 86400000);
			putopt = 1;
			break;
		case OPT_RETRY_FOR:
			po.retry_for = dmd_duration_arg("retry time", optarg,
			    1000, 0, 7 * 86400000LL);
			putopt = 1;
			break;
		case OPT_SPILL:
			po.spill = optarg;
			putopt = 1;
			break;
		case 'S':
			po.stats = 1;
			break;
		case 's':
			from = optarg;
			break;
		case 'V':
			printf("dmd-stream %s\n", PACKAGE_VERSION);
			exit(DMD_EXIT_OK);
		default:
			dmd_usage(synopsis);
		}
	}
	argc -= optind;
	argv += optind;
	if (strcmp(cmd, "put") != 0 && argc > 0)
		dmd_usage(synopsis);
	/* an option of another command is a mistake, not a no-op */
	if ((strcmp(cmd, "put") == 0 && (cpfile || follow || from ||
	    only >= 0 || marks)) || (strcmp(cmd, "get") == 0 &&
	    (partitions || putopt)) || (strcmp(cmd, "info") == 0 &&
	    (partitions || putopt || follow || from || only >= 0 || marks ||
	    po.stats)))
		errx(DMD_EXIT_USAGE, "an option that %s does not take (see "
		    "--help)", cmd);
	/* only put makes a log: a reader of a mistyped one must not wait
	 * forever on a new empty one */
	if ((log = dmd_stream_open(url, strcmp(cmd, "put") == 0 ?
	    (int)partitions : -1, errbuf, sizeof(errbuf), &why)) == NULL)
		errx(why == DMD_ERR_CONFIG ? DMD_EXIT_USAGE : DMD_EXIT_BACKEND,
		    "log \"%s\": %s", url, errbuf);
	if (only >= log->partitions)
		errx(DMD_EXIT_USAGE, "partition %d: the log has %d", only,
		    log->partitions);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (strcmp(cmd, "put") == 0)
		status = cmd_put(log, argc, argv, &po);
	else if (strcmp(cmd, "get") == 0)
		status = cmd_get(log, from, cpfile, follow, only, marks,
		    po.stats);
	else
		status = cmd_info(log, cpfile);
	dmd_stream_close(log);
	if (fflush(stdout) != 0 && status == DMD_EXIT_OK)
		status = DMD_EXIT_IO;
	return status;
}
