/*
 * test-table.c - unit tests of the table tier's file backend
 * (common/table.c, common/table_file.c): URLs, put/get/del by key and
 * time range, names and their first-component listing, the on-disk
 * layout, junk in a series directory, temp files of dead writers,
 * counters and write errors.  Each group works in its own mkdtemp
 * directory and removes it afterwards.
 */
#define _GNU_SOURCE	/* mkdtemp, nftw */
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "batch.h"
#include "block.h"
#include "point.h"
#include "prog.h"
#include "table.h"
#include "tap.h"

#define N(x)	(sizeof(x) / sizeof((x)[0]))

/* snprintf that truncates quietly: the paths here are short. */
static void __attribute__((format(printf, 3, 4)))
fmt(char *buf, size_t sz, const char *f, ...)
{
	va_list ap;

	va_start(ap, f);
	(void)vsnprintf(buf, sz, f, ap);
	va_end(ap);
}

/* tap.h has no skip: count one test as passed with the TAP directive. */
static void
skip(const char *why)
{
	tap_n++;
	printf("ok %d # SKIP %s\n", tap_n, why);
}

/* --- a temp directory per group --- */

static char group[PATH_MAX];

static void
group_make(void)
{
	const char *tmp = getenv("TMPDIR");

	fmt(group, sizeof(group), "%s/test-table.XXXXXX",
	    tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
	if (mkdtemp(group) == NULL) {
		perror(group);
		exit(99);
	}
}

static int
rm_one(const char *path, const struct stat *st, int type, struct FTW *f)
{
	(void)st;
	(void)type;
	(void)f;
	return remove(path);
}

static void
group_remove(void)
{
	if (nftw(group, rm_one, 16, FTW_DEPTH | FTW_PHYS) != 0)
		printf("# cannot remove %s: %s\n", group, strerror(errno));
}

/* group/sub into buf (PATH_MAX). */
static char *
gpath(char *buf, const char *sub)
{
	fmt(buf, PATH_MAX, "%s/%s", group, sub);
	return buf;
}

static struct dmd_table *
open_dir(const char *dir)
{
	char url[PATH_MAX + 16], err[256];
	struct dmd_table *t;

	fmt(url, sizeof(url), "file://%s", dir);
	if ((t = dmd_table_open(url, err, sizeof(err))) == NULL) {
		printf("# cannot open %s: %s\n", url, err);
		exit(99);
	}
	return t;
}

static int
exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

static int
is_dir(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Entries of dir other than "." and "..", or -1 if it cannot be read. */
static int
count_entries(const char *dir)
{
	struct dirent *de;
	DIR *d;
	int n = 0;

	if ((d = opendir(dir)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

static int
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f == NULL)
		return -1;
	fputs(text, f);
	return fclose(f);
}

static int
put1(struct dmd_table *t, const char *name, int64_t first, int64_t last,
    uint64_t seq, const char *data)
{
	struct dmd_chunk c = { name, first, last, seq,
	    (const unsigned char *)data, strlen(data) };

	return dmd_table_put(t, &c, 1);
}

static int
del1(struct dmd_table *t, const char *name, int64_t first, int64_t last,
    uint64_t seq)
{
	struct dmd_chunk c = { name, first, last, seq, NULL, 0 };

	return dmd_table_del(t, &c, 1);
}

/* --- what get and names call back with --- */

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Strings collected by a callback, joined sorted into text. */
struct strs {
	char		*v[64];
	size_t		 n;
	size_t		 calls;
	size_t		 stop_after;	/* return 1 after this many calls */
	const char	*want_name;	/* get: the name of every chunk */
	char		 text[4096];
};

static void
strs_add(struct strs *s, const char *str)
{
	if (s->n < N(s->v))
		s->v[s->n++] = strdup(str);
}

static const char *
strs_join(struct strs *s, int rc)
{
	size_t i, off = 0;

	qsort(s->v, s->n, sizeof(s->v[0]), cmp_str);
	s->text[0] = '\0';
	if (rc != 0)
		off = (size_t)snprintf(s->text, sizeof(s->text), "(rc %d)", rc);
	for (i = 0; i < s->n; i++) {
		if (off < sizeof(s->text))
			off += (size_t)snprintf(s->text + off,
			    sizeof(s->text) - off, "%s%s", i || rc ? " " : "",
			    s->v[i]);
		free(s->v[i]);
	}
	s->n = 0;
	return s->text;
}

/* "FIRST-LAST/SEQ=DATA" for each chunk; DATA as text when printable. */
static int
on_chunk(void *arg, const struct dmd_chunk *c)
{
	struct strs *s = arg;
	char buf[512], data[300];
	size_t i;
	int text = c->len < sizeof(data);

	for (i = 0; text && i < c->len; i++)
		if (c->data[i] < 0x20 || c->data[i] >= 0x7f)
			text = 0;
	if (text) {
		memcpy(data, c->data, c->len);
		data[c->len] = '\0';
	} else
		fmt(data, sizeof(data), "<%zu bytes>", c->len);
	fmt(buf, sizeof(buf), "%s%" PRId64 "-%" PRId64 "/%" PRIx64 "=%s",
	    s->want_name != NULL && strcmp(c->name, s->want_name) != 0 ?
	    "WRONG-NAME:" : "", c->first, c->last, c->seq, data);
	strs_add(s, buf);
	return ++s->calls == s->stop_after;
}

static const char *
get_text(struct dmd_table *t, const char *name, int64_t from, int64_t until)
{
	static struct strs s;
	int rc;

	s.want_name = name;
	s.stop_after = 0;
	rc = dmd_table_get(t, name, from, until, on_chunk, &s);
	return strs_join(&s, rc);
}

static int
on_name(void *arg, const char *name, size_t len)
{
	struct strs *s = arg;
	char buf[DMD_NAME_MAX + 1];

	fmt(buf, sizeof(buf), "%.*s", (int)len, name);
	strs_add(s, buf);
	return ++s->calls == s->stop_after;
}

static const char *
names_text(struct dmd_table *t, const char *first, size_t firstlen)
{
	static struct strs s;
	int rc;

	s.stop_after = 0;
	rc = dmd_table_names(t, first, firstlen, on_name, &s);
	return strs_join(&s, rc);
}

/* dir/HH/HOST/NAME of a series, by the layout comment of table_file.c. */
static void
series_path(char *out, const char *dir, const char *name)
{
	size_t flen = dmd_name_first(name, strlen(name));

	/* a leading '.' becomes '%'; the empty HOST is "%" */
	fmt(out, PATH_MAX, "%s/%02x/%.*s%s/%s%s", dir,
	    (unsigned)(dmd_name_hash(name, flen) % 256),
	    (int)flen, name, flen == 0 ? "%" : "",
	    name[0] == '.' ? "%" : "", name + (name[0] == '.'));
}

/* --- URLs --- */

/* Open url: "" if it opens, else the message. */
static const char *
open_err(const char *url)
{
	static char err[256];
	struct dmd_table *t;

	err[0] = '\0';
	if ((t = dmd_table_open(url, err, sizeof(err))) != NULL) {
		dmd_table_close(t);
		return "";
	}
	return err[0] != '\0' ? err : "(no message)";
}

static void
test_url(void)
{
	char cwd[PATH_MAX], path[PATH_MAX], url[2048], err[256];
	struct dmd_table *t;
	size_t len;

	group_make();

	t = open_dir(gpath(path, "abs"));
	ok(!exists(path), "file:///abs/dir creates nothing on open");
	ok(put1(t, "a.b", 1, 2, 1, "x") == 0 && is_dir(path) &&
	    exists(gpath(path, "abs/dmd-table")),
	    "file:///abs/dir puts into that directory");
	dmd_table_close(t);

	fmt(url, sizeof(url), "file://%s/slash///", group);
	t = dmd_table_open(url, err, sizeof(err));
	ok(t != NULL && put1(t, "a.b", 1, 2, 1, "x") == 0 &&
	    exists(gpath(path, "slash/dmd-table")),
	    "file:///abs/dir/// puts into the directory");
	dmd_table_close(t);
	t = open_dir(gpath(path, "slash"));
	is(get_text(t, "a.b", 0, 10), "1-2/1=x",
	    "the same table opened without the slashes reads the chunk");
	dmd_table_close(t);

	/* An error names the directory without its trailing slashes. */
	fmt(url, sizeof(url), "file://%s/missing/table//", group);
	t = dmd_table_open(url, err, sizeof(err));
	ok(t != NULL && put1(t, "a.b", 1, 2, 1, "x") == -1 &&
	    t->err == DMD_ERR_IO &&
	    strstr(t->errstr, "/missing/table: ") != NULL,
	    "a put under a missing parent fails, naming the directory "
	    "without trailing slashes (%s)", t != NULL ? t->errstr : err);
	ok(!exists(gpath(path, "missing")), "and creates no parent");
	dmd_table_close(t);

	/* Relative to the working directory. */
	if (getcwd(cwd, sizeof(cwd)) == NULL || chdir(group) != 0) {
		perror("chdir");
		exit(99);
	}
	(void)mkdir("rel", 0777);
	t = dmd_table_open("file://rel/dir", err, sizeof(err));
	ok(t != NULL && put1(t, "a.b", 1, 2, 1, "x") == 0 &&
	    exists("rel/dir/dmd-table"),
	    "file://rel/dir puts into rel/dir of the working directory");
	dmd_table_close(t);
	t = dmd_table_open("file://rel1", err, sizeof(err));
	ok(t != NULL && put1(t, "a.b", 1, 2, 1, "x") == 0 &&
	    exists("rel1/dmd-table"), "file://rel puts into rel");
	dmd_table_close(t);
	t = dmd_table_open("file://rel/dir2//", err, sizeof(err));
	ok(t != NULL && put1(t, "a.b", 1, 2, 1, "x") == 0 &&
	    exists("rel/dir2/dmd-table"),
	    "file://rel/dir2// puts into rel/dir2");
	dmd_table_close(t);
	if (chdir(cwd) != 0) {
		perror(cwd);
		exit(99);
	}

	fmt(url, sizeof(url), "file://%s/q?x=1", group);
	is(open_err(url), "file URL takes no parameters",
	    "rejects a query string");
	ok(!exists(gpath(path, "q")), "and creates nothing");
	is(open_err("s3://bucket/prefix"),
	    "unknown table scheme \"s3\" (want file:// or dynamodb://)",
	    "rejects the s3:// scheme");
	is(open_err("redis://127.0.0.1:6379"),
	    "unknown table scheme \"redis\" (want file:// or dynamodb://)",
	    "rejects the redis:// scheme");
	is(open_err("dynamodb://t?region=x"),
	    "bad table name \"t\" (want dynamodb://TABLE?...)",
	    "rejects a DynamoDB table name too short");
	ok(*open_err("/var/lib/dmd/table") != '\0', "rejects a bare path");
	ok(*open_err("file://") != '\0', "rejects file:// without a directory");

	/* Long paths: the directory leaves room for HH/HOST/NAME/FILE. */
	fmt(url, sizeof(url), "file:///");
	len = strlen(url);
	memset(url + len, 'd', 600);
	url[len + 600] = '\0';
	is(open_err(url), "", "accepts a 600-byte directory");
	memset(url + len, 'd', 800);
	url[len + 800] = '\0';
	is(open_err(url), "directory name too long",
	    "rejects an 800-byte directory");
	memset(url + len, 'd', 1100);
	url[len + 1100] = '\0';
	ok(*open_err(url) != '\0', "rejects a URL over 1 KB (%s)",
	    open_err(url));
	dmd_table_close(NULL);
	ok(1, "closing NULL does nothing");

	group_remove();
}

/* --- put, get, del --- */

static int
on_block(void *arg, const struct dmd_chunk *c)
{
	struct dmd_sample **out = arg;
	size_t n = 0, cap = 0;

	if (dmd_block_decode((const char *)c->data, c->len, INT64_MIN,
	    INT64_MAX, out, &n, &cap) != 0)
		return 1;
	return 0;
}

struct bytes {
	size_t		 calls;
	int		 same;
	const unsigned char *want;
	size_t		 len;
};

static int
on_bytes(void *arg, const struct dmd_chunk *c)
{
	struct bytes *b = arg;

	b->calls++;
	b->same = c->len == b->len && memcmp(c->data, b->want, b->len) == 0;
	return 0;
}

static void
test_roundtrip(void)
{
	struct dmd_sample s[50], *out = NULL;
	char dir[PATH_MAX], *blk = malloc(dmd_block_bound(50));
	unsigned char bin[256], *big;
	struct dmd_chunk c[3];
	struct dmd_table *t;
	struct bytes b;
	size_t len, i;

	group_make();
	t = open_dir(gpath(dir, "t"));

	for (i = 0; i < 50; i++) {
		s[i].time = 1732406400 + 60 * (int64_t)i;
		s[i].value = (double)(i % 7) / 4;
	}
	len = dmd_block_encode(s, 50, blk);
	c[0] = (struct dmd_chunk){ "web01.cpu", s[0].time, s[49].time, 1,
	    (const unsigned char *)blk, len };
	ok(dmd_table_put(t, c, 1) == 0, "puts a block");
	b = (struct bytes){ 0, 0, (const unsigned char *)blk, len };
	ok(dmd_table_get(t, "web01.cpu", INT64_MIN, INT64_MAX, on_bytes, &b)
	    == 0 && b.calls == 1 && b.same,
	    "get calls back once with the exact bytes (%zu)", len);
	ok(dmd_table_get(t, "web01.cpu", 0, INT64_MAX, on_block, &out) == 0 &&
	    out != NULL && memcmp(out, s, sizeof(s)) == 0,
	    "the bytes decode to the samples");
	free(out);

	/* Every byte value, an empty chunk and a big one, in one batch. */
	for (i = 0; i < 256; i++)
		bin[i] = (unsigned char)(255 - i);
	big = malloc(1 << 20);
	for (i = 0; i < 1 << 20; i++)
		big[i] = (unsigned char)(i * 7 + (i >> 11));
	c[0] = (struct dmd_chunk){ "bin.all", 5, 6, 1, bin, sizeof(bin) };
	c[1] = (struct dmd_chunk){ "bin.empty", 5, 6, 1, bin, 0 };
	c[2] = (struct dmd_chunk){ "bin.big", 5, 6, 1, big, 1 << 20 };
	ok(dmd_table_put(t, c, 3) == 0, "puts three chunks in one call");
	b = (struct bytes){ 0, 0, bin, sizeof(bin) };
	ok(dmd_table_get(t, "bin.all", 5, 5, on_bytes, &b) == 0 &&
	    b.calls == 1 && b.same, "every byte value comes back");
	b = (struct bytes){ 0, 0, bin, 0 };
	ok(dmd_table_get(t, "bin.empty", 6, 6, on_bytes, &b) == 0 &&
	    b.calls == 1 && b.same, "an empty chunk comes back empty");
	b = (struct bytes){ 0, 0, big, 1 << 20 };
	ok(dmd_table_get(t, "bin.big", 0, 10, on_bytes, &b) == 0 &&
	    b.calls == 1 && b.same, "a 1 MB chunk comes back");
	/* The big read leaves a big buffer: a short chunk after it must not
	 * come back with the big one's length. */
	b = (struct bytes){ 0, 0, bin, sizeof(bin) };
	ok(dmd_table_get(t, "bin.all", 0, 10, on_bytes, &b) == 0 &&
	    b.calls == 1 && b.same, "a short chunk after a big one is short");
	free(big);
	ok(dmd_table_put(t, c, 0) == 0, "a put of no chunks is 0");

	/* The extremes of key fields. */
	ok(put1(t, "ext.max", DMD_TIME_MAX, DMD_TIME_MAX, UINT64_MAX,
	    "max") == 0 && put1(t, "ext.max", 0, 0, 0, "zero") == 0,
	    "puts chunks at times 0 and 9999-12-31, seq 0 and 2^64-1");
	is(get_text(t, "ext.max", INT64_MIN, INT64_MAX),
	    "0-0/0=zero 253402300799-253402300799/ffffffffffffffff=max",
	    "both come back with their keys");

	dmd_table_close(t);
	free(blk);
	group_remove();
}

static void
test_range(void)
{
	char dir[PATH_MAX], path[PATH_MAX];
	struct strs s = { .stop_after = 1 };
	struct dmd_table *t;
	int rc;

	group_make();
	t = open_dir(gpath(dir, "t"));

	ok(put1(t, "s.a", 100, 200, 1, "A") == 0 &&
	    put1(t, "s.a", 300, 400, 2, "B") == 0 &&
	    put1(t, "s.a", 500, 500, 3, "C") == 0 &&
	    put1(t, "s.b", 100, 200, 1, "b-A") == 0 &&
	    put1(t, "s.b", 300, 400, 2, "b-B") == 0 &&
	    put1(t, "s", 100, 500, 9, "s") == 0 &&
	    put1(t, "s.a.x", 100, 500, 9, "s.a.x") == 0,
	    "puts chunks of five series");

	is(get_text(t, "s.a", INT64_MIN, INT64_MAX),
	    "100-200/1=A 300-400/2=B 500-500/3=C",
	    "the whole range gets the series' chunks only");
	is(get_text(t, "s.a", 200, 300), "100-200/1=A 300-400/2=B",
	    "both edges count: last == from and first == until");
	is(get_text(t, "s.a", 201, 299), "", "the gap between gets nothing");
	is(get_text(t, "s.a", 0, 99), "", "before the first chunk: nothing");
	is(get_text(t, "s.a", 501, INT64_MAX), "",
	    "after the last chunk: nothing");
	is(get_text(t, "s.a", 150, 150), "100-200/1=A",
	    "a point inside a chunk gets that chunk");
	is(get_text(t, "s.a", 500, 500), "500-500/3=C",
	    "a one-second chunk is got at its second");
	is(get_text(t, "s.a", 401, 499), "",
	    "just outside two chunks: nothing");
	is(get_text(t, "s.a", 50, 600), "100-200/1=A 300-400/2=B 500-500/3=C",
	    "a range around all chunks gets them all");
	is(get_text(t, "s.a", 400, 100), "", "an empty range gets nothing");
	is(get_text(t, "s.b", 0, 1000), "100-200/1=b-A 300-400/2=b-B",
	    "the other series gets its own chunks");
	is(get_text(t, "s", 0, 1000), "100-500/9=s",
	    "a series named like the first component gets its own");

	is(get_text(t, "s.c", INT64_MIN, INT64_MAX), "",
	    "an unknown series gets nothing, with 0");
	is(get_text(t, "nohost.x", INT64_MIN, INT64_MAX), "",
	    "a series of an unknown first component gets nothing");

	rc = dmd_table_get(t, "s.a", 0, 1000, on_chunk, &s);
	ok(rc == 0 && s.calls == 1, "get stops with 0 when the callback "
	    "returns nonzero (%zu calls)", s.calls);
	strs_join(&s, 0);

	s.calls = 0;
	s.stop_after = 0;
	t->err = DMD_ERR_NONE;
	rc = dmd_table_get(t, "s/a", 0, 1000, on_chunk, &s);
	ok(rc == -1 && s.calls == 0 && t->err == DMD_ERR_CONFIG &&
	    t->errstr[0] != '\0',
	    "get of a bad name fails without a callback (%s)", t->errstr);
	dmd_table_close(t);

	t = open_dir(gpath(path, "none"));
	is(get_text(t, "s.a", INT64_MIN, INT64_MAX), "",
	    "get in a table directory that does not exist is 0, nothing");
	is(names_text(t, NULL, 0), "", "and so is names");
	is(names_text(t, "s", 1), "", "and names of a first component");
	ok(!exists(path), "neither creates the directory");
	dmd_table_close(t);

	group_remove();
}

static void
test_keys(void)
{
	char dir[PATH_MAX], path[PATH_MAX];
	struct dmd_chunk c[2];
	struct dmd_table *t;

	group_make();
	t = open_dir(gpath(dir, "t"));

	ok(put1(t, "k.a", 100, 200, 1, "one") == 0 &&
	    put1(t, "k.a", 100, 200, 2, "two") == 0,
	    "puts two chunks of one series and first time, seq 1 and 2");
	is(get_text(t, "k.a", 0, 1000), "100-200/1=one 100-200/2=two",
	    "both are kept");
	ok(put1(t, "k.a", 100, 200, 1, "ONE-AGAIN") == 0,
	    "puts seq 1 again");
	is(get_text(t, "k.a", 0, 1000), "100-200/1=ONE-AGAIN 100-200/2=two",
	    "the same key put again replaces the chunk");
	series_path(path, dir, "k.a");
	ok(count_entries(path) == 2, "the series holds two files (%d)",
	    count_entries(path));

	c[0] = (struct dmd_chunk){ "k.a", 100, 200, 3, (const unsigned char *)
	    "first", 5 };
	c[1] = (struct dmd_chunk){ "k.a", 100, 200, 3, (const unsigned char *)
	    "second", 6 };
	ok(dmd_table_put(t, c, 2) == 0, "puts one key twice in one batch");
	is(get_text(t, "k.a", 100, 100),
	    "100-200/1=ONE-AGAIN 100-200/2=two 100-200/3=second",
	    "the later one of the batch wins");

	ok(del1(t, "k.a", 100, 200, 1) == 0, "deletes seq 1");
	is(get_text(t, "k.a", 0, 1000), "100-200/2=two 100-200/3=second",
	    "get no longer returns it");
	ok(del1(t, "k.a", 100, 200, 1) == 0, "deleting it again is 0");
	ok(del1(t, "k.a", 100, 200, 99) == 0 && del1(t, "k.a", 7, 8, 2) == 0,
	    "deleting a missing seq or first time is 0");
	ok(del1(t, "k.zz", 100, 200, 2) == 0 && del1(t, "zz", 1, 2, 3) == 0,
	    "deleting from an unknown series is 0");
	is(get_text(t, "k.a", 0, 1000), "100-200/2=two 100-200/3=second",
	    "and the others stay");
	ok(dmd_table_del(t, c, 0) == 0, "a del of no keys is 0");

	c[0] = (struct dmd_chunk){ "k.a", 100, 200, 2, NULL, 0 };
	c[1] = (struct dmd_chunk){ "k.a", 100, 200, 3, NULL, 0 };
	ok(dmd_table_del(t, c, 2) == 0, "deletes two keys in one call");
	is(get_text(t, "k.a", 0, 1000), "", "the series is empty");
	ok(count_entries(path) == 0, "its directory is empty");

	t->err = DMD_ERR_NONE;
	ok(del1(t, "k/a", 100, 200, 2) == -1 && t->err == DMD_ERR_CONFIG,
	    "del of a bad name fails (%s)", t->errstr);

	dmd_table_close(t);
	group_remove();
}

/* --- names and the layout --- */

static const char *walk_root;		/* realpath of the table */
static size_t walk_bad, walk_files;
static char walk_why[PATH_MAX + 64];

static void
walk_fail(const char *why, const char *path)
{
	if (walk_bad++ == 0)
		fmt(walk_why, sizeof(walk_why), "%s: %s", why, path);
}

/* Undo the layout's escape: a leading '%' stands for '.', except that
 * "%" alone as a HOST is the empty first component. */
static const char *
unescape(const char *c, int host)
{
	static char buf[2][PATH_MAX];

	if (c[0] != '%')
		return c;
	if (host && c[1] == '\0')
		return "";
	fmt(buf[host], sizeof(buf[host]), ".%s", c + 1);
	return buf[host];
}

/* Every entry under the table: inside it by realpath, and in its place:
 * dmd-table, tmp/FILE, HH/HOST/NAME/FILE, HH the hash of HOST, HOST the
 * first component of NAME. */
static int
walk_cb(const char *path, const struct stat *st, int type, struct FTW *f)
{
	char real[PATH_MAX], comp[4][PATH_MAX];
	const char *rel, *p, *slash, *host, *name;
	size_t rlen = strlen(walk_root), n, flen;
	char hh[3];
	int depth = 0;

	(void)type;
	if (realpath(path, real) == NULL) {
		walk_fail("no realpath", path);
		return 0;
	}
	if (f->level == 0)
		return 0;
	if (strncmp(real, walk_root, rlen) != 0 || real[rlen] != '/') {
		walk_fail("outside the table", real);
		return 0;
	}
	rel = real + rlen + 1;
	for (p = rel; *p != '\0'; p = *slash ? slash + 1 : slash) {
		slash = p + strcspn(p, "/");
		if (depth == 4) {
			walk_fail("too deep", rel);
			return 0;
		}
		n = (size_t)(slash - p);
		memcpy(comp[depth], p, n);
		comp[depth++][n] = '\0';
	}
	if (S_ISREG(st->st_mode))
		walk_files++;
	if (depth == 1) {
		if (strcmp(comp[0], "dmd-table") == 0 ? !S_ISREG(st->st_mode) :
		    strcmp(comp[0], "tmp") == 0 ? !S_ISDIR(st->st_mode) :
		    strlen(comp[0]) != 2 || strspn(comp[0],
		    "0123456789abcdef") != 2 || !S_ISDIR(st->st_mode))
			walk_fail("not dmd-table, tmp or HH", rel);
		return 0;
	}
	if (strcmp(comp[0], "tmp") == 0) {
		if (depth != 2 || !S_ISREG(st->st_mode))
			walk_fail("not a temp file", rel);
		return 0;
	}
	if (depth < 4 ? !S_ISDIR(st->st_mode) : !S_ISREG(st->st_mode)) {
		walk_fail("not HH/HOST/NAME/FILE", rel);
		return 0;
	}
	host = unescape(comp[1], 1);
	fmt(hh, sizeof(hh), "%02x",
	    (unsigned)(dmd_name_hash(host, strlen(host)) % 256));
	if (strcmp(hh, comp[0]) != 0)
		walk_fail("HH is not the hash of HOST", rel);
	if ((comp[1][0] == '%') != (host[0] == '\0'))
		walk_fail("HOST escaped wrongly", rel);
	if (depth >= 3) {
		name = unescape(comp[2], 0);
		flen = dmd_name_first(name, strlen(name));
		if (flen != strlen(host) || strncmp(name, host, flen) != 0)
			walk_fail("HOST is not NAME's first component", rel);
		if ((comp[2][0] == '%') != (name[0] == '.'))
			walk_fail("NAME escaped wrongly", rel);
	}
	return 0;
}

/* 1 if everything under dir is in its place (walk_why says why not). */
static int
layout_ok(const char *dir)
{
	static char root[PATH_MAX];

	walk_bad = walk_files = 0;
	walk_why[0] = '\0';
	if (realpath(dir, root) == NULL) {
		fmt(walk_why, sizeof(walk_why), "no table %s", dir);
		return 0;
	}
	walk_root = root;
	if (nftw(dir, walk_cb, 16, FTW_PHYS) != 0) {
		fmt(walk_why, sizeof(walk_why), "cannot walk %s", dir);
		return 0;
	}
	return walk_bad == 0;
}

static void
test_names(void)
{
	static const char *const names[] = {
		"web01", "web01.cpu", "web01.mem.free", "web01..x",
		"web010.cpu", "web01x.y", "db:1.disk-io_ms",
		".hidden", ".", "..", "...", "..x", ".a.b", "a..b", "x..",
		"x.", "x.y.",
	};
	char dir[PATH_MAX], path[PATH_MAX], data[64], name[DMD_NAME_MAX + 2];
	const char *got;
	struct strs s = { .stop_after = 1 };
	struct dmd_table *t;
	size_t i, bad;

	group_make();
	t = open_dir(gpath(dir, "t"));

	bad = 0;
	for (i = 0; i < N(names); i++)
		if (put1(t, names[i], 10, 20, 1, names[i]) != 0) {
			printf("# put %s: %s\n", names[i], t->errstr);
			bad++;
		}
	ok(bad == 0, "puts series named web01, .hidden, ., .., a..b, x. and "
	    "others (%zu failed)", bad);
	bad = 0;
	for (i = 0; i < N(names); i++) {
		fmt(data, sizeof(data), "10-20/1=%s", names[i]);
		got = get_text(t, names[i], 0, 100);
		if (strcmp(got, data) != 0) {
			printf("# get %s: %s\n", names[i], got);
			bad++;
		}
	}
	ok(bad == 0, "each gets back its own chunk (%zu did not)", bad);

	is(names_text(t, NULL, 0), ". .. ... ..x .a.b .hidden a..b "
	    "db:1.disk-io_ms web01 web01..x web01.cpu web01.mem.free "
	    "web010.cpu web01x.y x. x.. x.y.",
	    "names lists every series once");
	is(names_text(t, "web01", 5), "web01 web01..x web01.cpu "
	    "web01.mem.free", "names of web01 lists web01 and web01.*, not "
	    "web010.cpu or web01x.y");
	is(names_text(t, "web01.cpu", 5), "web01 web01..x web01.cpu "
	    "web01.mem.free", "names reads only firstlen bytes of first");
	is(names_text(t, "web010", 6), "web010.cpu", "names of web010");
	is(names_text(t, "", 0), ". .. ... ..x .a.b .hidden",
	    "names of the empty first component lists the names that "
	    "start with a dot");
	is(names_text(t, "x", 1), "x. x.. x.y.", "names of x");
	is(names_text(t, "db:1", 4), "db:1.disk-io_ms", "names of db:1");
	is(names_text(t, "web02", 5), "", "names of an unknown first "
	    "component lists nothing, with 0");
	ok(dmd_table_names(t, NULL, 0, on_name, &s) == 0 && s.calls == 1,
	    "names stops with 0 when the callback returns nonzero");
	strs_join(&s, 0);
	s.calls = 0;
	ok(dmd_table_names(t, "web01", 5, on_name, &s) == 0 && s.calls == 1,
	    "and so does names of a first component");
	strs_join(&s, 0);

	ok(layout_ok(dir) && walk_files == N(names) + 1,
	    "every file is inside the table, at DIR/HH/HOST/NAME/FILE "
	    "(%zu files) %s", walk_files, walk_why);
	ok(count_entries(group) == 1, "nothing was created beside the table");
	fmt(path, sizeof(path), "%s/%02x/%%/%%.", dir,
	    (unsigned)(dmd_name_hash("", 0) % 256));
	ok(is_dir(path), "\"..\" lives in HH/%%/%%.");

	/* The longest names. */
	memset(name, 'n', DMD_NAME_MAX);
	name[DMD_NAME_MAX] = '\0';
	ok(put1(t, name, 1, 2, 3, "long") == 0, "puts a 255-byte name with "
	    "no dot (%s)", t->errstr);
	name[100] = '.';
	ok(put1(t, name, 1, 2, 3, "long") == 0, "puts a 255-byte name with "
	    "a dot (%s)", t->errstr);
	name[100] = 'n';
	name[0] = '.';
	name[DMD_NAME_MAX - 1] = '\0';
	ok(put1(t, name, 1, 2, 3, "long") == 0, "puts a 254-byte name "
	    "starting with a dot (%s)", t->errstr);
	is(get_text(t, name, 0, 10), "1-2/3=long", "and gets it back");
	memset(name, 'n', DMD_NAME_MAX);
	name[DMD_NAME_MAX] = '\0';
	is(names_text(t, name, DMD_NAME_MAX), name,
	    "names of a 255-byte first component");
	ok(layout_ok(dir), "the long names keep the layout %s", walk_why);
	dmd_table_close(t);

	group_remove();
}

static void
test_bad_names(void)
{
	static const char *const bad[] = {
		"a/b", "../x", "/abs", "a b", "a%b", "a\nb", "", "a*b",
		"web01/../../x",
	};
	char dir[PATH_MAX], path[PATH_MAX], name[DMD_NAME_MAX + 2];
	struct dmd_chunk c[2];
	struct dmd_table *t;
	size_t i, nbad = 0;

	group_make();
	t = open_dir(gpath(dir, "t"));
	for (i = 0; i < N(bad); i++) {
		t->err = DMD_ERR_NONE;
		t->errstr[0] = '\0';
		if (put1(t, bad[i], 1, 2, 3, "x") != -1 ||
		    t->err != DMD_ERR_CONFIG || t->errstr[0] == '\0') {
			printf("# put of bad name \"%s\" was not rejected\n",
			    bad[i]);
			nbad++;
		}
	}
	ok(nbad == 0, "put rejects names with '/', \"..\" and a '/', ' ', "
	    "'%%', a newline, '*', and the empty name, with err set");
	is(t->errstr, "bad series name: name has bad character '/'",
	    "the message names the character");
	memset(name, 'n', DMD_NAME_MAX + 1);
	name[DMD_NAME_MAX + 1] = '\0';
	ok(put1(t, name, 1, 2, 3, "x") == -1 && t->err == DMD_ERR_CONFIG,
	    "put rejects a 256-byte name (%s)", t->errstr);

	c[0] = (struct dmd_chunk){ "ok.one", 1, 2, 3,
	    (const unsigned char *)"x", 1 };
	c[1] = (struct dmd_chunk){ "bad/one", 1, 2, 3,
	    (const unsigned char *)"x", 1 };
	ok(dmd_table_put(t, c, 2) == -1 && t->err == DMD_ERR_CONFIG,
	    "a batch with one bad name fails");
	is(get_text(t, "ok.one", 0, 10), "",
	    "and stores none of its chunks");
	ok(count_entries(gpath(path, "t/tmp")) <= 0,
	    "and leaves no temp file");
	ok(!exists(dir), "names are checked before anything is created: "
	    "not even the table directory exists");
	ok(count_entries(group) == 0,
	    "nothing was created beside the table");
	dmd_table_close(t);
	group_remove();
}

static void
test_layout(void)
{
	char dir[PATH_MAX], path[PATH_MAX], text[64];
	unsigned char buf[64];
	struct dmd_table *t;
	struct stat st;
	FILE *f;
	size_t n;
	int fd;

	group_make();
	t = open_dir(gpath(dir, "t"));
	ok(!exists(dir), "the directory does not exist before the first put");
	ok(put1(t, "web01.cpu.user", 1732406400, 1732410000, 0x1234abcdULL,
	    "chunk-bytes") == 0, "puts a chunk");
	ok(is_dir(dir) && is_dir(gpath(path, "t/tmp")) &&
	    count_entries(path) == 0,
	    "DIR and an empty DIR/tmp exist after the first put");
	text[0] = '\0';
	if ((f = fopen(gpath(path, "t/dmd-table"), "r")) != NULL) {
		if (fgets(text, sizeof(text), f) == NULL)
			text[0] = '\0';
		fclose(f);
	}
	is(text, "diamond table, file layout 1\n", "DIR/dmd-table is the "
	    "marker line");

	fmt(path, sizeof(path),
	    "%s/%02x/web01/web01.cpu.user/1732406400_1732410000_"
	    "000000001234abcd", dir,
	    (unsigned)(dmd_name_hash("web01", 5) % 256));
	ok(lstat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 11,
	    "the chunk is DIR/HH/web01/web01.cpu.user/FIRST_LAST_SEQ");
	n = 0;
	if ((fd = open(path, O_RDONLY)) != -1) {
		ssize_t r = read(fd, buf, sizeof(buf));

		n = r > 0 ? (size_t)r : 0;
		close(fd);
	}
	ok(n == 11 && memcmp(buf, "chunk-bytes", 11) == 0,
	    "and holds the bytes only");

	ok(put1(t, "solo", 7, 8, 255, "s") == 0 &&
	    put1(t, ".hidden.x", 7, 8, 256, "h") == 0, "puts solo and "
	    ".hidden.x");
	fmt(path, sizeof(path), "%s/%02x/solo/solo/7_8_00000000000000ff",
	    dir, (unsigned)(dmd_name_hash("solo", 4) % 256));
	ok(exists(path), "a name without a dot is its own HOST: %s",
	    path + strlen(dir));
	fmt(path, sizeof(path),
	    "%s/%02x/%%/%%hidden.x/7_8_0000000000000100", dir,
	    (unsigned)(dmd_name_hash("", 0) % 256));
	ok(exists(path), "a name's leading dot becomes '%%', and its empty "
	    "HOST is '%%': %s", path + strlen(dir));
	series_path(path, dir, ".hidden.x");
	ok(is_dir(path), "(the helper of these tests agrees)");
	ok(layout_ok(dir) && walk_files == 4, "nothing else is there %s",
	    walk_why);
	dmd_table_close(t);
	group_remove();
}

static void
test_junk(void)
{
	static const char *const junk[] = {
		"README", "1_2", "1_2_zz", "5_3_0000000000000001",
		"1_2_000000000000001", "1_2_00000000000000001",
		"x1_2_0000000000000001", "1_x2_0000000000000001",
		"1_2_000000000000000g", "1_2_0000000000000001.tmp",
		".1_2_0000000000000001", "1__2_0000000000000001",
		"1_2__000000000000001",
	};
	char dir[PATH_MAX], sdir[PATH_MAX], path[PATH_MAX];
	struct dmd_table *t;
	size_t i;
	int made = 1;

	group_make();
	t = open_dir(gpath(dir, "t"));
	ok(put1(t, "j.a", 1, 2, 1, "good") == 0, "puts a chunk");
	series_path(sdir, dir, "j.a");
	for (i = 0; i < N(junk); i++) {
		fmt(path, sizeof(path), "%s/%s", sdir, junk[i]);
		if (write_file(path, "junk") != 0)
			made = 0;
	}
	ok(made, "writes %zu junk files beside it", N(junk));
	is(get_text(t, "j.a", INT64_MIN, INT64_MAX), "1-2/1=good",
	    "get ignores README, 1_2, 1_2_zz, last < first, a short or "
	    "long SEQ and other junk");
	ok(del1(t, "j.a", 1, 2, 1) == 0 && count_entries(sdir) ==
	    (int)N(junk), "del removes the chunk and leaves the junk");
	dmd_table_close(t);
	group_remove();
}

/* --- temp files of dead writers --- */

static void
test_tmp(void)
{
	char dir[PATH_MAX], dead[PATH_MAX], live[PATH_MAX], other[PATH_MAX];
	char odd[PATH_MAX], mine[PATH_MAX];
	struct dmd_table *t;
	pid_t dpid, lpid;
	int status;

	group_make();
	t = open_dir(gpath(dir, "t"));
	ok(put1(t, "a.b", 1, 2, 1, "x") == 0, "puts a chunk");
	dmd_table_close(t);

	fflush(stdout);
	if ((dpid = fork()) == 0)
		_exit(0);
	if (dpid == -1 || waitpid(dpid, &status, 0) != dpid) {
		perror("fork");
		exit(99);
	}
	if ((lpid = fork()) == 0) {
		for (;;)
			pause();
	}
	if (lpid == -1) {
		perror("fork");
		exit(99);
	}
	fmt(dead, sizeof(dead), "%s/tmp/%s.%ld.0", dir, dmd_hostname(),
	    (long)dpid);
	fmt(live, sizeof(live), "%s/tmp/%s.%ld.3", dir, dmd_hostname(),
	    (long)lpid);
	fmt(other, sizeof(other), "%s/tmp/%sx.%ld.0", dir,
	    dmd_hostname(), (long)dpid);
	fmt(odd, sizeof(odd), "%s/tmp/%s.notapid", dir, dmd_hostname());
	/* A high N: a new handle of this process writes N = 0, 1, ... */
	fmt(mine, sizeof(mine), "%s/tmp/%s.%ld.999", dir, dmd_hostname(),
	    (long)getpid());
	ok(write_file(dead, "d") == 0 && write_file(live, "l") == 0 &&
	    write_file(other, "o") == 0 && write_file(odd, "?") == 0 &&
	    write_file(mine, "m") == 0,
	    "leaves temp files of a dead and a live process of this host, "
	    "of this process, and of another host");

	t = open_dir(dir);
	ok(put1(t, "a.b", 3, 4, 2, "y") == 0, "a new handle puts a chunk");
	ok(!exists(dead), "the temp file of the dead process is removed");
	ok(exists(live), "the temp file of the live process is kept");
	ok(exists(other), "the temp file of another host is kept");
	ok(exists(odd), "a temp file without a pid is kept");
	ok(exists(mine), "a temp file of this process is kept (another "
	    "handle may be writing it)");
	is(get_text(t, "a.b", 0, 10), "1-2/1=x 3-4/2=y",
	    "the chunks are untouched");
	dmd_table_close(t);

	kill(lpid, SIGKILL);
	waitpid(lpid, &status, 0);
	t = open_dir(dir);
	ok(put1(t, "a.b", 5, 6, 3, "z") == 0 && !exists(live),
	    "once that process is dead, the next new handle's put removes "
	    "its file");
	dmd_table_close(t);
	group_remove();
}

/* --- counters and errors --- */

static void
test_stats(void)
{
	char dir[PATH_MAX];
	struct dmd_chunk c[3];
	struct dmd_table *t;
	uint64_t r, n;

	group_make();
	t = open_dir(gpath(dir, "t"));
	ok(t->stats.requests == 0 && t->stats.commands == 0 &&
	    t->stats.errors == 0 && t->err == DMD_ERR_NONE,
	    "a new handle has zero counters and no error");
	c[0] = (struct dmd_chunk){ "st.a", 1, 2, 1,
	    (const unsigned char *)"a", 1 };
	c[1] = (struct dmd_chunk){ "st.b", 1, 2, 1,
	    (const unsigned char *)"b", 1 };
	c[2] = (struct dmd_chunk){ "st.c", 1, 2, 1,
	    (const unsigned char *)"c", 1 };
	ok(dmd_table_put(t, c, 3) == 0 && t->stats.requests == 1 &&
	    t->stats.commands == 3,
	    "a put of 3 chunks counts 1 request and 3 commands (%" PRIu64
	    ", %" PRIu64 ")", t->stats.requests, t->stats.commands);
	r = t->stats.requests;
	n = t->stats.commands;
	is(get_text(t, "st.a", 0, 10), "1-2/1=a", "gets a chunk");
	ok(t->stats.requests == r + 1 && t->stats.commands == n + 1,
	    "a get counts 1 request and 1 command");
	is(get_text(t, "st.zz", 0, 10), "", "gets an unknown series");
	ok(t->stats.requests == r + 2 && t->stats.commands == n + 2,
	    "a get of an unknown series counts too");
	ok(dmd_table_put(t, c + 1, 2) == 0 && t->stats.requests == r + 3 &&
	    t->stats.commands == n + 4, "a second put adds 1 and 2");
	ok(t->stats.errors == 0 && t->stats.seconds >= 0 &&
	    t->stats.max_seconds <= t->stats.seconds,
	    "no errors; max_seconds is at most the total");
	dmd_table_close(t);
	group_remove();
}

static void
test_unwritable(void)
{
	char dir[PATH_MAX], path[PATH_MAX];
	struct dmd_table *t;

	group_make();

	/* A table under a regular file: fails even for root. */
	if (write_file(gpath(path, "file"), "x") != 0) {
		perror(path);
		exit(99);
	}
	t = open_dir(gpath(dir, "file/t"));
	ok(put1(t, "a.b", 1, 2, 1, "x") == -1 && t->err == DMD_ERR_IO &&
	    strstr(t->errstr, dir) != NULL && t->stats.errors == 1,
	    "a put under a regular file fails with err set (%s)", t->errstr);
	dmd_table_close(t);

	if (geteuid() == 0) {
		skip("a put into a read-only (0500) directory fails: running "
		    "as root, which ignores permissions");
		skip("and creates nothing: running as root");
	} else {
		if (mkdir(gpath(dir, "ro"), 0700) != 0 || chmod(dir, 0500)
		    != 0) {
			perror(dir);
			exit(99);
		}
		t = open_dir(dir);
		ok(put1(t, "a.b", 1, 2, 1, "x") == -1 &&
		    t->err == DMD_ERR_IO && t->errstr[0] != '\0',
		    "a put into a read-only (0500) directory fails with err "
		    "set (%s)", t->errstr);
		ok(count_entries(dir) == 0, "and creates nothing");
		dmd_table_close(t);
		(void)chmod(dir, 0700);
	}
	group_remove();
}

/* Cases found in review: each was a bug once. */
static void
test_regressions(void)
{
	char dir[PATH_MAX], path[PATH_MAX], name[DMD_NAME_MAX + 1];
	char first[300];
	struct dmd_table *t;
	int fd;

	group_make();
	t = open_dir(gpath(dir, "t"));
	ok(put1(t, "web01.cpu", 1, 2, 1, "x") == 0, "puts a chunk");

	/* a first component longer than any name: nothing, no overflow */
	memset(first, 'w', sizeof(first));
	is(names_text(t, first, sizeof(first)), "",
	    "names of a 300-byte first component: none, and no overflow");
	is(names_text(t, "web01.cpu", 9), "",
	    "names of a \"first component\" with a dot: none");

	/* a 255-byte name that starts with '.': its escape is no longer */
	memset(name, 'n', DMD_NAME_MAX);
	name[0] = '.';
	name[DMD_NAME_MAX] = '\0';
	ok(put1(t, name, 1, 2, 1, "dot") == 0,
	    "puts a 255-byte name that starts with '.'");
	is(get_text(t, name, 0, 10), "1-2/1=dot", "and reads it back");

	/* a temp file left by an earlier process with our PID */
	fmt(path, sizeof(path), "%s/tmp/%s.%ld.0", dir, dmd_hostname(),
	    (long)getpid());
	dmd_table_close(t);
	t = open_dir(dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0666);
	if (fd != -1)
		close(fd);
	ok(fd != -1 && put1(t, "web01.cpu", 3, 4, 1, "y") == 0,
	    "puts although a stale temp file has this process's name");

	/* file names that are not canonical are not chunks */
	{
		static const char *const junk[] = { "01_2_0000000000000001",
		    "1_2_-000000000000001", "1_2_000000000000000A",
		    "+1_2_0000000000000001", "1_02_0000000000000001" };
		char sdir[PATH_MAX], jp[PATH_MAX + 32];
		size_t i;
		int okw = 1;

		series_path(sdir, dir, "web01.cpu");
		for (i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
			fmt(jp, sizeof(jp), "%s/%s", sdir, junk[i]);
			okw &= write_file(jp, "junk") == 0;
		}
		ok(okw, "writes files whose numbers are not canonical");
	}
	is(get_text(t, "web01.cpu", 0, 10), "1-2/1=x 3-4/1=y",
	    "get ignores them");
	dmd_table_close(t);
	group_remove();
}

int
main(void)
{
	test_url();
	test_roundtrip();
	test_range();
	test_keys();
	test_names();
	test_bad_names();
	test_layout();
	test_junk();
	test_tmp();
	test_stats();
	test_unwritable();
	test_regressions();
	return done();
}
