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

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

#include "archive.h"
#include "board.h"
#include "cache.h"
#include "clock.h"
#include "fsutil.h"
#include "prog.h"
#include "query.h"
#include "reader.h"
#include "svg.h"
#include "table.h"
#include "url.h"
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

/* The page being written: stdout, or a file replaced whole. */
struct page {
	struct dmd_replace r;		/* r.path NULL: stdout */
	FILE		*fp;
};

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

/* Open the page: stdout, or a file replaced whole.  Exits 5 on
 * failure. */
static void
page_open(struct page *pg, const char *path)
{
	memset(pg, 0, sizeof(*pg));
	if (path == NULL || strcmp(path, "-") == 0) {
		pg->fp = stdout;
		setvbuf(stdout, NULL, _IOFBF, 1 << 16);
		return;
	}
	if (dmd_replace_open(&pg->r, path) != 0)
		err(DMD_EXIT_IO, "%s", pg->r.tmp);
	pg->fp = pg->r.fp;
	setvbuf(pg->fp, NULL, _IOFBF, 1 << 16);
}

/* Close the page: keep it (commit 1) or drop it.  Returns 0, or -1 with
 * a warning if it could not be written. */
static int
page_close(struct page *pg, int commit)
{
	const char *what;

	if (pg->r.path == NULL) {
		if (fflush(stdout) != 0 || ferror(stdout) ||
		    fclose(stdout) != 0) {
			if (errno != EPIPE)
				warn("stdout");
			return -1;
		}
		return 0;
	}
	if (!commit) {
		dmd_replace_abort(&pg->r);
		return 0;
	}
	if (dmd_replace_commit(&pg->r, &what) != 0) {
		warn("%s", what);
		dmd_replace_abort(&pg->r);
		return -1;
	}
	return 0;
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
	char shown[DMD_URL_SHOWN_MAX];
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
			dmd_usage(synopsis);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc > 1)
		dmd_usage(synopsis);

	read_board(&b, argc == 1 ? argv[0] : NULL, now);
	if ((cache = dmd_cache_open(cache_url, errbuf, sizeof(errbuf))) == NULL)
		errx(DMD_EXIT_USAGE, "cache \"%s\": %s",
		    dmd_url_shown(cache_url, shown, sizeof(shown)), errbuf);
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
			if (pg.r.path != NULL)
				break;
			g.error = msg;
		}
		outerr = dmd_svg_panel(&g, pg.fp) != 0;
	}
	if (!failed || pg.r.path == NULL)
		outerr |= dmd_svg_page_end(pg.fp, now, "dmd-board "
		    PACKAGE_VERSION) != 0;
	if (outerr && pg.r.path != NULL)
		warn("%s", pg.r.tmp);
	outerr |= page_close(&pg, !failed && !outerr) != 0;

	dmd_svg_release(&g);
	dmd_query_release(&q);
	dmd_cache_close(cache);
	dmd_board_release(&b);
	if (outerr)
		return DMD_EXIT_IO;
	return failed ? DMD_EXIT_BACKEND : DMD_EXIT_OK;
}
