/*
 * dmd-board - a board of charts as one static HTML page: a board file
 * (common/board.c) says which queries to draw; each panel is read from
 * every tier through common/query.c and drawn as an inline SVG chart
 * (common/svg.c) before the next is read, so memory holds one panel.
 * Without a board file it draws the store's own health.
 *
 * Made for cron: with -o the page goes to a temp file in the target's
 * directory, is synced and renamed over the old page, so a web server
 * serves the old page or the new one, never half of one, and a run that
 * fails leaves the old page where it was.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

#include "archive.h"
#include "board.h"
#include "cache.h"
#include "clock.h"
#include "prog.h"
#include "query.h"
#include "reader.h"
#include "svg.h"
#include "table.h"
#include "xmalloc.h"

#define THREADS	4	/* as dmd-query's default */

static const char synopsis[] =
    "usage: dmd-board [-hV] [-A url] [-c url] [-o file] [-t url]\n"
    "                 [board-file | -]\n";

static const struct option longopts[] = {
	{ "archive",	required_argument,	NULL, 'A' },
	{ "cache",	required_argument,	NULL, 'c' },
	{ "help",	no_argument,		NULL, 'h' },
	{ "output",	required_argument,	NULL, 'o' },
	{ "table",	required_argument,	NULL, 't' },
	{ "version",	no_argument,		NULL, 'V' },
	{ NULL,		0,			NULL, 0 }
};

/* The page being written: stdout, or a temp file renamed to path. */
struct page {
	const char	*path;		/* NULL: stdout */
	char		*tmp;
	FILE		*fp;
};

static void __attribute__((noreturn))
usage(void)
{
	fputs(synopsis, stderr);
	exit(DMD_EXIT_USAGE);
}

/* Read the board in path ("-": stdin; NULL: the default board) into b;
 * exits 5 if it cannot be read, 2 if it is not a valid board. */
static void
read_board(struct dmd_board *b, const char *path, int64_t now)
{
	struct dmd_reader r;
	const char *line;
	size_t len;
	int fd, rc;

	if (path == NULL) {
		dmd_board_init(b, "default board", now);
		if (dmd_board_parse(b, dmd_board_default,
		    strlen(dmd_board_default)) != 0)
			errx(DMD_EXIT_USAGE, "%s", b->errstr);
		return;
	}
	if (strcmp(path, "-") == 0)
		fd = STDIN_FILENO;
	else if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		err(DMD_EXIT_IO, "%s", path);
	dmd_board_init(b, fd == STDIN_FILENO ? "stdin" : path, now);
	dmd_reader_init(&r, fd);
	while ((rc = dmd_reader_next(&r, -1, &line, &len)) != DMD_READ_EOF) {
		if (rc == DMD_READ_ERROR) {
			errno = r.err;
			err(DMD_EXIT_IO, "%s", fd == STDIN_FILENO ? "stdin" :
			    path);
		}
		if (rc == DMD_READ_LINE && dmd_board_line(b, line, len) != 0)
			errx(DMD_EXIT_USAGE, "%s", b->errstr);
	}
	if (dmd_board_finish(b) != 0)
		errx(DMD_EXIT_USAGE, "%s", b->errstr);
	dmd_reader_release(&r);
	if (fd != STDIN_FILENO)
		close(fd);
}

/* Remove temp files .HOST.PID.BASE in dir that runs of this host left
 * when they died (killed by cron's timeout, say). */
static void
clean_tmp(const char *dir, const char *base)
{
	char path[4096];
	struct dirent *de;
	const char *rest;
	DIR *d;
	long pid;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] != '.' ||
		    (pid = dmd_local_pid(de->d_name + 1, '.', '.')) == 0 ||
		    pid == (long)getpid() || !dmd_pid_gone(pid))
			continue;
		rest = strchr(de->d_name + 1 + strlen(dmd_hostname()) + 1, '.');
		if (rest == NULL || strcmp(rest + 1, base) != 0)
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) <
		    (int)sizeof(path))
			(void)unlink(path);
	}
	closedir(d);
}

/* Open the page: stdout, or a new temp file beside path with the mode
 * of the page it replaces.  Exits 5 on failure. */
static void
page_open(struct page *pg, const char *path)
{
	char *d, *b, *dir, *base;
	struct stat st;
	size_t len;
	int fd;

	memset(pg, 0, sizeof(*pg));
	if (path == NULL || strcmp(path, "-") == 0) {
		pg->fp = stdout;
		setvbuf(stdout, NULL, _IOFBF, 1 << 16);
		return;
	}
	pg->path = path;
	d = xstrdup(path);
	b = xstrdup(path);
	dir = dirname(d);
	base = basename(b);
	clean_tmp(dir, base);
	len = strlen(dir) + strlen(dmd_hostname()) + strlen(base) + 32;
	pg->tmp = xmalloc(len);
	snprintf(pg->tmp, len, "%s/.%s.%ld.%s", dir, dmd_hostname(),
	    (long)getpid(), base);
	free(d);
	free(b);
	if ((fd = open(pg->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0666)) == -1)
		err(DMD_EXIT_IO, "%s", pg->tmp);
	if (stat(path, &st) == 0)
		(void)fchmod(fd, st.st_mode & 07777);
	if ((pg->fp = fdopen(fd, "w")) == NULL)
		err(DMD_EXIT_IO, "%s", pg->tmp);
	setvbuf(pg->fp, NULL, _IOFBF, 1 << 16);
}

/* Close the page: keep it (commit 1) or drop it.  Returns 0, or -1 with
 * a warning if it could not be written. */
static int
page_close(struct page *pg, int commit)
{
	char *d;
	int fd, rv = 0;

	if (pg->path == NULL) {
		if (fflush(stdout) != 0 || ferror(stdout) ||
		    fclose(stdout) != 0) {
			if (errno != EPIPE)
				warn("stdout");
			return -1;
		}
		return 0;
	}
	if (commit && (fflush(pg->fp) != 0 || ferror(pg->fp) ||
	    fsync(fileno(pg->fp)) != 0)) {
		warn("%s", pg->tmp);
		rv = -1;
	}
	if (fclose(pg->fp) != 0 && commit && rv == 0) {
		warn("%s", pg->tmp);
		rv = -1;
	}
	if (commit && rv == 0 && rename(pg->tmp, pg->path) != 0) {
		warn("%s", pg->path);
		rv = -1;
	}
	if (!commit || rv != 0)
		(void)unlink(pg->tmp);
	else {
		/* the rename itself outlives a crash */
		d = xstrdup(pg->path);
		if ((fd = open(dirname(d), O_RDONLY | O_DIRECTORY)) != -1) {
			(void)fsync(fd);
			close(fd);
		}
		free(d);
	}
	free(pg->tmp);
	return rv;
}

static int
on_series(void *arg, const char *name, const struct dmd_sample *s, size_t n)
{
	dmd_svg_add(arg, name, s, n);
	return 0;
}

/* Read the series of panel p into g.  Returns 0, or -1 with a message
 * in msg when a tier failed. */
static int
read_panel(struct dmd_query *q, struct dmd_svg *g, const struct dmd_panel *p,
    char *msg, size_t msglen)
{
	char err[DMD_ERRSTR_MAX];
	size_t i;
	int rc;

	dmd_fetch_set_step(&q->fetch, p->step, (int)p->agg);
	for (i = 0; i < p->nqueries; i++) {
		rc = dmd_query_add(q, p->queries[i], err, sizeof(err));
		if (rc == -1) {
			/* the board's parser checked it: not reached */
			snprintf(msg, msglen, "pattern \"%s\": %s",
			    p->queries[i], err);
			return -1;
		}
		if (rc == -2)
			break;
	}
	if (i < p->nqueries || dmd_query_answer(q, p->from, p->until,
	    on_series, g) != 0) {
		snprintf(msg, msglen, "%s: %s", q->fetch.which,
		    q->fetch.errstr);
		return -1;
	}
	return 0;
}

int
main(int argc, char *argv[])
{
	struct dmd_board b;
	struct dmd_cache *cache;
	struct dmd_query q;
	struct dmd_svg g;
	struct page pg;
	const struct dmd_panel *p;
	const char *cache_url, *table_url, *archive_url, *out = NULL;
	char errbuf[DMD_ERRSTR_MAX], msg[2 * DMD_ERRSTR_MAX];
	int64_t now = dmd_wall_seconds();
	int ch, rc, failed = 0, outerr = 0;
	size_t i;

	dmd_prog_init();
	cache_url = dmd_env("DMD_CACHE", "redis://127.0.0.1:6379");
	/* set but empty: no table (dmd_env() would take the default) */
	if ((table_url = getenv("DMD_TABLE")) == NULL)
		table_url = DMD_TABLE_DEFAULT;
	if ((archive_url = getenv("DMD_ARCHIVE")) == NULL)
		archive_url = DMD_ARCHIVE_DEFAULT;

	while ((ch = getopt_long(argc, argv, "A:c:ho:t:V", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'A':
			archive_url = optarg;
			break;
		case 'c':
			cache_url = optarg;
			break;
		case 'h':
			fputs(synopsis, stdout);
			exit(DMD_EXIT_OK);
		case 'o':
			out = optarg;
			break;
		case 't':
			table_url = optarg;
			break;
		case 'V':
			printf("dmd-board %s\n", PACKAGE_VERSION);
			exit(DMD_EXIT_OK);
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc > 1)
		usage();

	read_board(&b, argc == 1 ? argv[0] : NULL, now);
	if ((cache = dmd_cache_open(cache_url, errbuf, sizeof(errbuf))) == NULL)
		errx(DMD_EXIT_USAGE, "cache \"%s\": %s", cache_url, errbuf);
	if ((rc = dmd_query_init(&q, cache, *table_url ? table_url : NULL,
	    *archive_url ? archive_url : NULL, THREADS, errbuf,
	    sizeof(errbuf))) != 0)
		errx(DMD_EXIT_USAGE, "%s \"%s\": %s", rc == -1 ? "table" :
		    "archive", rc == -1 ? table_url : archive_url, errbuf);

	page_open(&pg, out);
	dmd_svg_init(&g);
	outerr = dmd_svg_page_begin(pg.fp, b.title, b.refresh) != 0;
	for (i = 0; i < b.npanels && !outerr; i++) {
		p = &b.panels[i];
		dmd_svg_reset(&g);
		g.title = p->title;
		g.unit = p->unit;
		g.from = p->from;
		g.until = p->until;
		g.step = p->step;
		g.agg = p->agg;
		if (failed)
			g.error = "not read: a tier failed for a panel above";
		else if (read_panel(&q, &g, p, msg, sizeof(msg)) != 0) {
			warnx("%s", msg);
			failed = 1;
			/* -o keeps the old page: no use going on */
			if (pg.path != NULL)
				break;
			g.error = msg;
		}
		outerr = dmd_svg_panel(&g, pg.fp) != 0;
	}
	if (!failed || pg.path == NULL)
		outerr |= dmd_svg_page_end(pg.fp, now, "dmd-board "
		    PACKAGE_VERSION) != 0;
	if (outerr && pg.path != NULL)
		warn("%s", pg.tmp);
	outerr |= page_close(&pg, !failed && !outerr) != 0;

	dmd_svg_release(&g);
	dmd_query_release(&q);
	dmd_cache_close(cache);
	dmd_board_release(&b);
	if (outerr)
		return DMD_EXIT_IO;
	return failed ? DMD_EXIT_BACKEND : DMD_EXIT_OK;
}
