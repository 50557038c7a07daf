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
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

#include "checkpoint.h"
#include "clock.h"
#include "fsutil.h"
#include "numarg.h"
#include "parse.h"
#include "point.h"
#include "prog.h"
#include "reader.h"
#include "rejects.h"
#include "stats.h"
#include "stream.h"
#include "timearg.h"
#include "xmalloc.h"

#define RECORD_TARGET	(256 * 1024)	/* a record is sent at this size */
#define PENDING_MAX	(32 * 1024 * 1024)	/* bytes before an append */
#define FOLLOW_MAX_MS	1000	/* --follow polls back off to this */

static volatile int stop_signal;

static const char synopsis[] =
    "usage: dmd-stream put [-hS] [-d ms] [-F format] [-l url] [-n partitions]\n"
    "                      [-R file] [-r retention] [file ...]\n"
    "       dmd-stream get [-fhmS] [-c file] [-l url] [-p partition]\n"
    "                      [-s oldest|latest|checkpoint|time]\n"
    "       dmd-stream info [-h] [-c file] [-l url]\n";

static const struct option longopts[] = {
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
	{ "stats",	no_argument,		NULL, 'S' },
	{ "version",	no_argument,		NULL, 'V' },
	{ NULL,		0,			NULL, 0 }
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

/* --- put --------------------------------------------------------- */

struct part {
	char		*buf;		/* NDJSON of the record being filled */
	size_t		 len, cap;
	/* records ready to append */
	unsigned char	**rec;
	size_t		*reclen;
	size_t		 nrec, caprec, caplen;
};

struct put {
	struct dmd_stream *log;
	struct dmd_parser parser;
	struct dmd_rejects rejects;
	struct part	*parts;
	size_t		 pending;	/* bytes in records not appended */
	int64_t		 first_ms;	/* first point not appended, or -1 */
	int64_t		 max_delay_ms;
	uint64_t	 points, records, bytes;
	int		 ioerr, failed;
};

/* Close the record being filled in partition p. */
static void
seal(struct put *u, int p)
{
	struct part *pt = &u->parts[p];

	if (pt->len == 0)
		return;
	pt->rec = xgrow(pt->rec, &pt->caprec, pt->nrec + 1, sizeof(*pt->rec));
	pt->reclen = xgrow(pt->reclen, &pt->caplen, pt->nrec + 1,
	    sizeof(*pt->reclen));
	pt->rec[pt->nrec] = (unsigned char *)pt->buf;
	pt->reclen[pt->nrec++] = pt->len;
	pt->buf = NULL;
	pt->len = pt->cap = 0;
}

/* Append every record ready, partition by partition (one fsync each).
 * 0, or -1 (the log failed: nothing after it is acknowledged). */
static int
append_all(struct put *u)
{
	struct part *pt;
	size_t i;
	int p, rv = 0;

	for (p = 0; p < u->log->partitions; p++)
		seal(u, p);
	for (p = 0; p < u->log->partitions; p++) {
		pt = &u->parts[p];
		if (pt->nrec == 0)
			continue;
		if (rv == 0 && dmd_stream_append(u->log, p,
		    (const unsigned char *const *)pt->rec, pt->reclen,
		    pt->nrec) != 0) {
			warnx("log: %s", u->log->errstr);
			rv = -1;
		}
		for (i = 0; i < pt->nrec; i++) {
			if (rv == 0) {
				u->records++;
				u->bytes += pt->reclen[i];
			}
			free(pt->rec[i]);
		}
		pt->nrec = 0;
	}
	u->pending = 0;
	u->first_ms = -1;
	return rv;
}

/* Append the decimal digits of v to p; returns the end. */
static char *
put_int(char *p, long long v)
{
	char tmp[24];
	unsigned long long u = v < 0 ? -(unsigned long long)v :
	    (unsigned long long)v;
	int n = 0;

	do
		tmp[n++] = (char)('0' + u % 10);
	while ((u /= 10) != 0);
	if (v < 0)
		*p++ = '-';
	while (n > 0)
		*p++ = tmp[--n];
	return p;
}

static int
put_point(struct put *u, const struct dmd_point *pt)
{
	struct part *pa;
	size_t need;
	char *o;
	int p = dmd_stream_partition(u->log, pt->name, pt->namelen);

	pa = &u->parts[p];
	need = pt->namelen + DMD_VALUE_STRMAX + 64;
	if (pa->len + need > RECORD_TARGET)
		seal(u, p);
	pa->buf = xgrow(pa->buf, &pa->cap, pa->len + need, 1);
	/* {"name":"N","time":T,"value":V}, as dmd-query prints a point */
	o = pa->buf + pa->len;
	memcpy(o, "{\"name\":\"", 9);
	o += 9;
	memcpy(o, pt->name, pt->namelen);
	o += pt->namelen;
	memcpy(o, "\",\"time\":", 9);
	o = put_int(o + 9, (long long)pt->time);
	memcpy(o, ",\"value\":", 9);
	o += 9;
	o += dmd_value_format(pt->value, o);
	*o++ = '}';
	*o++ = '\n';
	u->pending += (size_t)(o - (pa->buf + pa->len));
	pa->len = (size_t)(o - pa->buf);
	u->points++;
	if (u->first_ms < 0)
		u->first_ms = dmd_mono_ms();
	if (u->pending >= PENDING_MAX)
		return append_all(u);
	return 0;
}

static int
put_fd(struct put *u, int fd, const char *fname)
{
	struct dmd_reader r;
	const char *line;
	size_t len, i;
	int rc, rv = 0;

	dmd_reader_init(&r, fd);
	while (!stop_signal && rv == 0) {
		rc = dmd_reader_next(&r, u->first_ms < 0 ? -1 : u->first_ms +
		    u->max_delay_ms, &line, &len);
		if (rc == DMD_READ_TIMEOUT) {
			if (u->first_ms >= 0 && dmd_mono_ms() >= u->first_ms +
			    u->max_delay_ms)
				rv = append_all(u);
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
			rv = put_point(u, &u->parser.points[i]);
	}
	dmd_reader_release(&r);
	return rv;
}

static int
cmd_put(struct dmd_stream *log, int argc, char **argv, enum dmd_format fmt,
    const char *rejects, int64_t max_delay, int64_t retention, int stats)
{
	struct dmd_stats st;
	struct put u;
	uint64_t removed = 0;
	double t0 = dmd_mono_seconds();
	int i, fd, status;

	memset(&u, 0, sizeof(u));
	u.log = log;
	u.first_ms = -1;
	u.max_delay_ms = max_delay;
	u.parts = xcalloc((size_t)log->partitions, sizeof(*u.parts));
	dmd_parser_init(&u.parser, fmt);
	if (dmd_rejects_open(&u.rejects, rejects) != 0)
		err(DMD_EXIT_USAGE, "%s", rejects);
	if (argc == 0)
		u.failed = put_fd(&u, STDIN_FILENO, "stdin") != 0;
	for (i = 0; i < argc && !u.failed && !stop_signal; i++) {
		if (strcmp(argv[i], "-") == 0) {
			u.failed = put_fd(&u, STDIN_FILENO, "stdin") != 0;
			continue;
		}
		if ((fd = open(argv[i], O_RDONLY | O_CLOEXEC)) < 0) {
			warn("%s", argv[i]);
			u.ioerr = 1;
			continue;
		}
		u.failed = put_fd(&u, fd, argv[i]) != 0;
		close(fd);
	}
	/* what was read is appended, a signal or not */
	if (!u.failed && append_all(&u) != 0)
		u.failed = 1;
	if (!u.failed && retention > 0 && dmd_stream_trim(log,
	    dmd_wall_ms() - retention, &removed) != 0) {
		warnx("log: %s", log->errstr);
		u.failed = 1;
	}
	if (dmd_rejects_close(&u.rejects) != 0)
		u.ioerr = 1;
	if (stats) {
		dmd_stats_init(&st, "stream");
		dmd_stats_set(&st, "put_points", (double)u.points);
		dmd_stats_set(&st, "put_rejected", (double)u.rejects.n);
		dmd_stats_set(&st, "put_records", (double)u.records);
		dmd_stats_set(&st, "put_bytes", (double)u.bytes);
		dmd_stats_set(&st, "segments_removed", (double)removed);
		dmd_stats_backend(&st, "log", &log->stats);
		dmd_stats_set(&st, "seconds", dmd_mono_seconds() - t0);
		dmd_stats_write(&st, stdout, dmd_wall_seconds());
	}
	for (i = 0; i < log->partitions; i++) {
		free(u.parts[i].buf);
		free(u.parts[i].rec);
		free(u.parts[i].reclen);
	}
	free(u.parts);
	dmd_parser_release(&u.parser);
	if (stop_signal && !u.failed) {
		/* what was read is durable: now die of the signal, so the
		 * caller knows the rest of the input was not put */
		fflush(stdout);
		signal(stop_signal, SIG_DFL);
		raise(stop_signal);
	}
	if (u.failed)
		status = DMD_EXIT_BACKEND;
	else if (u.ioerr)
		status = DMD_EXIT_IO;
	else if (u.rejects.n > 0)
		status = DMD_EXIT_REJECTS;
	else
		status = DMD_EXIT_OK;
	return status;
}

/* --- get ---------------------------------------------------------- */

struct get {
	char		(*pos)[DMD_STREAM_POS_MAX];
	int		 part;
	int		 marks;		/* "#mark P POS" after each record */
	uint64_t	 records, bytes;
	int		 outerr;
};

static int
on_record(void *arg, const struct dmd_record *r)
{
	struct get *g = arg;

	if (fwrite(r->data, 1, r->len, stdout) != r->len) {
		g->outerr = 1;
		return 1;
	}
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

static int
cmd_get(struct dmd_stream *log, const char *from, const char *cpfile,
    int follow, int only, int marks, int stats)
{
	struct dmd_stats st;
	struct get g;
	unsigned char *mask;
	int64_t now = dmd_wall_seconds(), t, wait = 50;
	char errbuf[256];
	uint64_t before;
	double t0 = dmd_mono_seconds();
	int n = log->partitions, k, rc, status = DMD_EXIT_OK;

	memset(&g, 0, sizeof(g));
	g.marks = marks;
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
		if (dmd_checkpoint_read(cpfile, g.pos, n) < 0)
			exit(DMD_EXIT_USAGE);
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
		dmd_stats_set(&st, "get_records", (double)g.records);
		dmd_stats_set(&st, "get_bytes", (double)g.bytes);
		dmd_stats_backend(&st, "log", &log->stats);
		dmd_stats_set(&st, "seconds", dmd_mono_seconds() - t0);
		dmd_stats_write(&st, stdout, dmd_wall_seconds());
		fflush(stdout);
	}
	free(g.pos);
	free(mask);
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
	enum dmd_format fmt = DMD_FORMAT_AUTO;
	const char *url, *cmd, *from = NULL, *cpfile = NULL, *rejects = NULL;
	const char *errstr;
	char errbuf[DMD_ERRSTR_MAX];
	int64_t max_delay = 200, retention = 0, partitions = 0;
	int ch, stats = 0, follow = 0, only = -1, marks = 0, status, why;

	dmd_prog_init();
	url = dmd_env("DMD_LOG", DMD_STREAM_DEFAULT);
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
		usage();
	cmd = argv[1];
	if (strcmp(cmd, "put") != 0 && strcmp(cmd, "get") != 0 &&
	    strcmp(cmd, "info") != 0) {
		warnx("unknown command \"%s\" (want put, get or info)", cmd);
		usage();
	}
	argc--;
	argv++;
	while ((ch = getopt_long(argc, argv, "c:d:F:fhl:mn:p:R:r:Ss:V",
	    longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			cpfile = optarg;
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
			rejects = optarg;
			break;
		case 'r':
			retention = dmd_duration_arg("retention", optarg,
			    1000, 1000, 100LL * 366 * 86400000);
			break;
		case 'S':
			stats = 1;
			break;
		case 's':
			from = optarg;
			break;
		case 'V':
			printf("dmd-stream %s\n", PACKAGE_VERSION);
			exit(DMD_EXIT_OK);
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (strcmp(cmd, "put") != 0 && argc > 0)
		usage();
	/* an option of another command is a mistake, not a no-op */
	if ((strcmp(cmd, "put") == 0 && (cpfile || follow || from ||
	    only >= 0 || marks)) || (strcmp(cmd, "get") == 0 &&
	    (partitions || rejects || retention || fmt != DMD_FORMAT_AUTO ||
	    max_delay != 200)) || (strcmp(cmd, "info") == 0 && (partitions ||
	    rejects || retention || fmt != DMD_FORMAT_AUTO ||
	    max_delay != 200 || follow || from || only >= 0 || marks || stats)))
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
		status = cmd_put(log, argc, argv, fmt, rejects, max_delay,
		    retention, stats);
	else if (strcmp(cmd, "get") == 0)
		status = cmd_get(log, from, cpfile, follow, only, marks,
		    stats);
	else
		status = cmd_info(log, cpfile);
	dmd_stream_close(log);
	if (fflush(stdout) != 0 && status == DMD_EXIT_OK)
		status = DMD_EXIT_IO;
	return status;
}
