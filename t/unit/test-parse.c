/*
 * test-parse.c - unit tests of common/parse.c: the three line formats,
 * auto-detection, every reject reason with its exact text, number
 * reading against strtod(3), and a differential test of the JSON fast
 * path against the yajl path on tricky and on random lines.
 *
 * Each line is parsed twice, with the fast path on and off, and both
 * results must equal the expected rendering (see render()).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"
#include "tap.h"

static struct dmd_parser fastp, slowp;

/*
 * Rendering a parse result as one string, so a test is one comparison:
 *   "a.b@100=12.5, c@5=-0, [1] name has bad character '/'"
 * Points first, then rejects.  Values print in the shortest %.*g form
 * that reads back to the same double (computed here, not with
 * dmd_value_format(), which test-point.c tests).
 */

static void
shortest(double v, char *buf, size_t sz)
{
	int prec;

	for (prec = 1; prec <= 17; prec++) {
		snprintf(buf, sz, "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			return;
	}
}

static void
render(const struct dmd_parser *p, char *buf, size_t sz)
{
	size_t i, o = 0;
	char num[40];

	buf[0] = '\0';
	for (i = 0; i < p->npoints && o < sz; i++) {
		shortest(p->points[i].value, num, sizeof(num));
		o += snprintf(buf + o, sz - o, "%s%.*s@%lld=%s",
		    o ? ", " : "", (int)p->points[i].namelen,
		    p->points[i].name, (long long)p->points[i].time, num);
	}
	for (i = 0; i < p->nrejects && o < sz; i++)
		o += snprintf(buf + o, sz - o, "%s[%d] %s", o ? ", " : "",
		    p->rejects[i].index, p->rejects[i].reason);
}

/* Printable copy of a line for test titles and diagnostics. */
static const char *
esc(const char *s, size_t len)
{
	static char buf[4][200];	/* 120 bytes of text and a tail */
	static int k;
	char *b = buf[k++ & 3];
	size_t i, o = 0;

	for (i = 0; i < len && o < 120; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x20 && c < 0x7f && c != '\\')
			b[o++] = c;
		else
			o += snprintf(b + o, sizeof(buf[0]) - o, "\\x%02x", c);
	}
	if (i < len)
		o += snprintf(b + o, sizeof(buf[0]) - o, "...(%zu bytes)",
		    len);
	b[o] = '\0';
	return b;
}

/* Parse line with the fast path on and off; both must render as want. */
static void
checkn(enum dmd_format fmt, const char *line, size_t len, const char *want,
    const char *what)
{
	static char gf[4096], gs[4096];
	size_t rf, rs;

	dmd_parser_release(&fastp);
	dmd_parser_release(&slowp);
	dmd_parser_init(&fastp, fmt);
	dmd_parser_init(&slowp, fmt);
	slowp.fast = 0;
	rf = dmd_parser_line(&fastp, line, len);
	rs = dmd_parser_line(&slowp, line, len);
	render(&fastp, gf, sizeof(gf));
	render(&slowp, gs, sizeof(gs));
	ok(strcmp(gf, want) == 0 && strcmp(gs, want) == 0 &&
	    rf == fastp.nrejects && rs == slowp.nrejects,
	    "%s: %s", what, esc(line, len));
	if (strcmp(gf, want) != 0 || strcmp(gs, want) != 0) {
		printf("#   fast: \"%s\"\n", gf);
		printf("#   slow: \"%s\"\n", gs);
		printf("#   want: \"%s\"\n", want);
	}
}

static void
check(enum dmd_format fmt, const char *line, const char *want,
    const char *what)
{
	checkn(fmt, line, strlen(line), want, what);
}

#define J DMD_FORMAT_JSON
#define A DMD_FORMAT_AUTO
#define G DMD_FORMAT_GRAPHITE
#define T DMD_FORMAT_TSV

/*
 * A deterministic PRNG (splitmix64) for the random tests.
 */
static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t
rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static unsigned
rndn(unsigned n)
{
	return (unsigned)(rnd() % n);
}

/* A growable byte buffer for generated lines. */
struct buf {
	char	*s;
	size_t	 len, cap;
};

static void
bput(struct buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->s = realloc(b->s, b->cap);
		if (b->s == NULL)
			abort();
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void
bputs(struct buf *b, const char *s)
{
	bput(b, s, strlen(s));
}

static void
bputc(struct buf *b, char c)
{
	bput(b, &c, 1);
}

/*
 * Formats, auto-detection, whitespace.
 */

static void
test_formats(void)
{
	check(J, "{\"name\":\"web01.cpu.user\",\"time\":1732406400,"
	    "\"value\":12.5}", "web01.cpu.user@1732406400=12.5",
	    "reads the canonical JSON point");
	check(A, "{\"name\":\"web01.cpu.user\",\"time\":1732406400,"
	    "\"value\":12.5}", "web01.cpu.user@1732406400=12.5",
	    "detects JSON from '{'");
	check(A, "  \t{\"name\":\"a\",\"time\":1,\"value\":2}",
	    "a@1=2", "detects JSON after leading blanks");
	check(A, "[{\"name\":\"a\",\"time\":1,\"value\":2}]",
	    "a@1=2", "detects a JSON array from '['");
	check(J, " { \"name\" : \"a\" , \"time\" : 1 , \"value\" : 2 } ",
	    "a@1=2", "allows spaces around every JSON token");
	check(J, "\t{\t\"name\"\t:\t\"a\"\t,\t\"time\"\t:\t1\t,\t\"value\""
	    "\t:\t2\t}\t", "a@1=2", "allows tabs around every JSON token");
	check(J, "{\"name\":\"a\",\n\"time\":1,\f\"value\":2}",
	    "a@1=2", "allows other JSON whitespace");
	check(J, "{\"value\":2,\"time\":1,\"name\":\"a\"}", "a@1=2",
	    "reads JSON keys in any order");
	check(J, "{\"time\":1,\"name\":\"a\",\"value\":2}", "a@1=2",
	    "reads JSON keys in another order");

	check(A, "a.b 12.5 1732406400", "a.b@1732406400=12.5",
	    "detects Graphite plaintext");
	check(G, "a.b 12.5 1732406400", "a.b@1732406400=12.5",
	    "reads Graphite plaintext");
	check(G, "  a.b   12.5 \t 1732406400  ", "a.b@1732406400=12.5",
	    "splits Graphite on runs of blanks");
	check(G, "a.b\t12.5\t1732406400", "a.b@1732406400=12.5",
	    "splits Graphite on tabs too");
	check(A, "a.b\t12.5\t1732406400", "a.b@1732406400=12.5",
	    "detects TSV from a tab");
	check(T, "a.b\t12.5\t1732406400", "a.b@1732406400=12.5",
	    "reads TSV");
	check(T, "a b\t1\t2", "[-1] name has bad character ' '",
	    "TSV splits on tabs only, so a space is part of the name");
	check(T, "a\t\t2", "[-1] value missing",
	    "TSV treats an empty field as missing");
	check(T, "a\t1", "[-1] time missing", "rejects a TSV line without time");
	check(T, "a\t1\t2\t3", "[-1] trailing garbage",
	    "rejects a TSV line with a fourth field");
	check(T, "a.b\t1\t101.7", "[-1] time not an integer \"101.7\"",
	    "rejects a fractional time in TSV");

	check(J, "a.b 1 2", "[-1] not JSON",
	    "forced JSON rejects a Graphite line");
	check(G, "{\"name\":\"a\",\"time\":1,\"value\":2}",
	    "[-1] name has bad character '{'",
	    "forced Graphite reads a JSON line as a name");
}

static void
test_format_names(void)
{
	enum dmd_format f = DMD_FORMAT_TSV;

	ok(dmd_format_parse("auto", &f) == 0 && f == DMD_FORMAT_AUTO,
	    "format name auto");
	ok(dmd_format_parse("json", &f) == 0 && f == DMD_FORMAT_JSON,
	    "format name json");
	ok(dmd_format_parse("graphite", &f) == 0 &&
	    f == DMD_FORMAT_GRAPHITE, "format name graphite");
	ok(dmd_format_parse("tsv", &f) == 0 && f == DMD_FORMAT_TSV,
	    "format name tsv");
	ok(dmd_format_parse("JSON", &f) == -1 &&
	    dmd_format_parse("", &f) == -1 &&
	    dmd_format_parse("csv", &f) == -1,
	    "rejects unknown format names");
}

static void
test_blank_and_crlf(void)
{
	check(A, "", "", "a blank line gives nothing");
	check(A, "   ", "", "a line of spaces gives nothing");
	check(A, " \t ", "", "a line of blanks gives nothing");
	check(A, "\r", "", "a lone CR gives nothing");
	check(J, " \t\r", "", "blanks and CR give nothing in JSON");
	check(G, "", "", "a blank Graphite line gives nothing");
	check(T, "", "", "a blank TSV line gives nothing");
	check(J, "{\"name\":\"a\",\"time\":1,\"value\":2}\r", "a@1=2",
	    "accepts a CRLF JSON line");
	check(J, "[{\"name\":\"a\",\"time\":1,\"value\":2}]\r", "a@1=2",
	    "accepts a CRLF JSON array line");
	check(G, "a 2 1\r", "a@1=2", "accepts a CRLF Graphite line");
	check(A, "a\t2\t1\r", "a@1=2", "accepts a CRLF TSV line");
}

/*
 * JSON content rules.
 */

static void
test_json_fields(void)
{
	check(J, "{\"name\":\"a\",\"host\":{\"x\":[1,{\"name\":\"zz\","
	    "\"value\":\"q\"}],\"y\":{}},\"time\":1,\"tags\":[\"value\","
	    "{\"value\":\"x\"},[[[]]]],\"value\":2,\"z\":null,\"w\":true}",
	    "a@1=2", "ignores unknown fields, nested objects and arrays");
	check(J, "{\"name\":\"a\",\"time\":1,\"value\":1,\"value\":2}",
	    "a@1=2", "a repeated value key: the last counts");
	check(J, "{\"name\":\"b\",\"time\":1,\"value\":1,\"name\":\"a\"}",
	    "a@1=1", "a repeated name key: the last counts");
	check(J, "{\"name\":\"a\",\"time\":1,\"time\":5,\"value\":1}",
	    "a@5=1", "a repeated time key: the last counts");
	check(J, "{\"name\":\"a\",\"time\":1,\"value\":\"x\",\"value\":3}",
	    "a@1=3", "a bad value overridden by a later good one counts");
	check(J, "{\"name\":\"a\",\"time\":1,\"value\":3,\"value\":\"x\"}",
	    "[-1] value not a number \"\\x22x\\x22\"",
	    "a good value overridden by a later bad one is rejected");
	check(J, "{\"name\":\"a/b\",\"name\":\"a\",\"time\":1,\"value\":3}",
	    "a@1=3", "a bad name overridden by a later good one counts");
	check(J, "{\"name\":\"\\u0041.b\",\"time\":1,\"value\":2}",
	    "A.b@1=2", "decodes \\u escapes in a name");
	check(J, "{\"name\":\"a\\u002eb\\u005F\",\"time\":1,\"value\":2}",
	    "a.b_@1=2", "decodes \\u escapes of dots and underscores");
	check(J, "{\"n\\u0061me\":\"a\",\"time\":1,\"value\":2}",
	    "a@1=2", "decodes \\u escapes in keys");
	check(J, "{\"name\":\"web01\\/cpu\",\"time\":1,\"value\":2}",
	    "[-1] name has bad character '/'",
	    "an escaped slash is still a slash");
	check(J, "{\"name\":\"a\\\"b\",\"time\":1,\"value\":2}",
	    "[-1] name has bad character '\"'",
	    "rejects an escaped quote in a name");
	check(J, "{\"name\":\"a\\\\b\",\"time\":1,\"value\":2}",
	    "[-1] name has bad character '\\x5c'",
	    "rejects a backslash in a name");
	check(J, "{\"name\":\"a\\u0000b\",\"time\":1,\"value\":2}",
	    "[-1] name has bad character '\\x00'",
	    "rejects an escaped NUL in a name");
	check(J, "{\"name\":\"a\\tb\",\"time\":1,\"value\":2}",
	    "[-1] name has bad character '\\x09'",
	    "rejects an escaped tab in a name");
	check(J, "{\"name\":\"a b\",\"time\":1,\"value\":2}",
	    "[-1] name has bad character ' '",
	    "rejects a space in a name");
	check(J, "{\"name\":\"a'b\",\"time\":1,\"value\":2}",
	    "[-1] name has bad character '\\x27'",
	    "rejects a single quote in a name");
	check(J, "{\"name\":\"caf\xc3\xa9\",\"time\":1,\"value\":2}",
	    "[-1] name has bad character '\\xc3'",
	    "rejects UTF-8 in a name");
	check(J, "{\"name\":\"a\x7f\",\"time\":1,\"value\":2}",
	    "[-1] name has bad character '\\x7f'",
	    "rejects DEL in a name");
	check(J, "{\"name\":\"a\\u00e9\",\"time\":1,\"value\":2}",
	    "[-1] name has bad character '\\xc3'",
	    "rejects an escaped non-ASCII character in a name");
	check(J, "{\"name\":\"A-Z_a-z.0:9\",\"time\":1,\"value\":2}",
	    "A-Z_a-z.0:9@1=2", "accepts every kind of name character");
}

static void
test_json_rejects(void)
{
	char line[600], name[300];

	check(J, "{\"name\":\"web01/cpu\",\"time\":1,\"value\":2}",
	    "[-1] name has bad character '/'",
	    "rejects a name with a slash");
	memset(name, 'a', 255);
	name[255] = '\0';
	snprintf(line, sizeof(line),
	    "{\"name\":\"%s\",\"time\":1,\"value\":2}", name);
	{
		char want[310];

		snprintf(want, sizeof(want), "%s@1=2", name);
		check(J, line, want, "accepts a name of 255 bytes");
	}
	memset(name, 'a', 256);
	name[256] = '\0';
	snprintf(line, sizeof(line),
	    "{\"name\":\"%s\",\"time\":1,\"value\":2}", name);
	check(J, line, "[-1] name too long (256 bytes > 255)",
	    "rejects a name of 256 bytes");
	check(J, "{\"name\":\"\",\"time\":1,\"value\":2}", "[-1] name empty",
	    "rejects an empty name");
	check(J, "{\"time\":1,\"value\":2}", "[-1] name missing",
	    "rejects a point without a name");
	check(J, "{}", "[-1] name missing", "rejects an empty object");
	check(J, "{\"name\":null,\"time\":1,\"value\":2}",
	    "[-1] name not a string", "rejects a null name");
	check(J, "{\"name\":5,\"time\":1,\"value\":2}",
	    "[-1] name not a string", "rejects a numeric name");
	check(J, "{\"name\":[\"a\"],\"time\":1,\"value\":2}",
	    "[-1] name not a string", "rejects an array name");

	check(J, "{\"name\":\"a\",\"value\":2}", "[-1] time missing",
	    "rejects a point without a time");
	check(J, "{\"name\":\"a\",\"time\":\"1\",\"value\":2}",
	    "[-1] time not an integer \"\\x221\\x22\"", "rejects a string time");
	check(J, "{\"name\":\"a\",\"time\":null,\"value\":2}",
	    "[-1] time not an integer \"null\"", "rejects a null time");
	check(J, "{\"name\":\"a\",\"time\":true,\"value\":2}",
	    "[-1] time not an integer \"true\"", "rejects a boolean time");
	check(J, "{\"name\":\"a\",\"time\":{},\"value\":2}",
	    "[-1] time not an integer \"{}\"", "rejects an object time");
	check(J, "{\"name\":\"a\",\"time\":[1],\"value\":2}",
	    "[-1] time not an integer \"[]\"", "rejects an array time");
	check(J, "{\"name\":\"a\",\"time\":1.5,\"value\":2}",
	    "[-1] time not an integer \"1.5\"", "rejects a fractional time");
	check(J, "{\"name\":\"a\",\"time\":100.5,\"value\":2}",
	    "[-1] time not an integer \"100.5\"",
	    "rejects time 100.5 in JSON");
	check(J, "{\"name\":\"a\",\"time\":1e-2,\"value\":2}",
	    "[-1] time not an integer \"1e-2\"",
	    "rejects a time with a negative exponent");
	check(J, "{\"name\":\"a\",\"time\":1e2,\"value\":2}", "a@100=2",
	    "accepts time 1e2 as 100");
	check(J, "{\"name\":\"a\",\"time\":1E+2,\"value\":2}", "a@100=2",
	    "accepts time 1E+2 as 100");
	check(J, "{\"name\":\"a\",\"time\":100.0,\"value\":2}", "a@100=2",
	    "accepts time 100.0 as 100");
	check(J, "{\"name\":\"a\",\"time\":100.00000000000000001,"
	    "\"value\":2}",
	    "[-1] time not an integer \"100.00000000000000001\"",
	    "rejects a fraction too small to change the double");
	check(J, "{\"name\":\"a\",\"time\":1e-400,\"value\":2}",
	    "[-1] time not an integer \"1e-400\"",
	    "rejects a fraction that underflows to 0");
	{
		/* A JSON time is judged on its digits, not on a double. */
		static const struct {
			const char	*t, *want;
		} tt[] = {
			{ "1.5e1", "a@15=2" },
			{ "150e-1", "a@15=2" },
			{ "1.23e2", "a@123=2" },
			{ "17324064e2", "a@1732406400=2" },
			{ "2.53402300799e11", "a@253402300799=2" },
			{ "0.0", "a@0=2" },
			{ "-0.0", "a@0=2" },
			{ "0e999999999999", "a@0=2" },
			{ "0.000e-5", "a@0=2" },
			{ "1.25e1", "[-1] time not an integer \"1.25e1\"" },
			{ "1e-1", "[-1] time not an integer \"1e-1\"" },
			{ "1e-99999999999", "[-1] time not an integer "
			    "\"1e-99999999999\"" },
			{ "-1.5", "[-1] time not an integer \"-1.5\"" },
			{ "-1e0", "[-1] time out of range \"-1e0\"" },
			{ "1e12", "[-1] time out of range \"1e12\"" },
			{ "2.534023008e11", "[-1] time out of range "
			    "\"2.534023008e11\"" },
			{ "1e99999999999", "[-1] time out of range "
			    "\"1e99999999999\"" },
		};
		size_t k;

		for (k = 0; k < sizeof(tt) / sizeof(tt[0]); k++) {
			char l2[200];

			snprintf(l2, sizeof(l2), "{\"name\":\"a\",\"time\":%s,"
			    "\"value\":2}", tt[k].t);
			check(J, l2, tt[k].want,
			    "judges a JSON time by its decimal digits");
		}
	}
	check(J, "{\"name\":\"a\",\"time\":0,\"value\":2}", "a@0=2",
	    "accepts time 0");
	check(J, "{\"name\":\"a\",\"time\":-0,\"value\":2}", "a@0=2",
	    "accepts time -0 as 0");
	check(J, "{\"name\":\"a\",\"time\":-1,\"value\":2}",
	    "[-1] time out of range \"-1\"", "rejects a negative time");
	check(J, "{\"name\":\"a\",\"time\":-0.5,\"value\":2}",
	    "[-1] time not an integer \"-0.5\"",
	    "rejects a negative fractional time");
	check(J, "{\"name\":\"a\",\"time\":253402300799,\"value\":2}",
	    "a@253402300799=2", "accepts the last second of year 9999");
	check(J, "{\"name\":\"a\",\"time\":253402300800,\"value\":2}",
	    "[-1] time out of range \"253402300800\"",
	    "rejects the first second of year 10000");
	check(J, "{\"name\":\"a\",\"time\":2.534023008e11,\"value\":2}",
	    "[-1] time out of range \"2.534023008e11\"",
	    "rejects year 10000 written with an exponent");
	check(J, "{\"name\":\"a\",\"time\":1e400,\"value\":2}",
	    "[-1] time out of range \"1e400\"",
	    "rejects a time that overflows a double");
	check(J, "{\"name\":\"a\",\"time\":9223372036854775808,\"value\":2}",
	    "[-1] time out of range \"9223372036854775808\"",
	    "rejects a time past int64");
	check(J, "{\"name\":\"a\",\"time\":"
	    "123456789012345678901234567890123456789,\"value\":2}",
	    "[-1] time out of range \"12345678901234567890123456789012...\"",
	    "rejects a long time and truncates it in the reason");

	check(J, "{\"name\":\"a\",\"time\":1}", "[-1] value missing",
	    "rejects a point without a value");
	check(J, "{\"name\":\"a\",\"time\":1,\"value\":\"1\"}",
	    "[-1] value not a number \"\\x221\\x22\"",
	    "rejects a string value (shown as JSON text)");
	check(J, "{\"name\":\"a\",\"time\":1,\"value\":null}",
	    "[-1] value not a number \"null\"", "rejects a null value");
	check(J, "{\"name\":\"a\",\"time\":1,\"value\":false}",
	    "[-1] value not a number \"false\"", "rejects a boolean value");
	check(J, "{\"name\":\"a\",\"time\":1,\"value\":{\"v\":1}}",
	    "[-1] value not a number \"{}\"", "rejects an object value");
	check(J, "{\"name\":\"a\",\"time\":1,\"value\":[]}",
	    "[-1] value not a number \"[]\"", "rejects an array value");
	check(J, "{\"name\":\"a\",\"time\":1,\"value\":1e999}",
	    "[-1] value not finite \"1e999\"", "rejects value 1e999");
	check(J, "{\"name\":\"a\",\"time\":1,\"value\":-1e999}",
	    "[-1] value not finite \"-1e999\"", "rejects value -1e999");
	check(J, "{\"name\":\"a\",\"time\":1,\"value\":NaN}",
	    "[-1] value not finite \"NaN\"", "rejects a NaN literal");
	check(J, "{\"name\":\"a\",\"time\":1,\"value\": nan }",
	    "[-1] value not finite \"nan\"", "rejects a nan literal");
	check(J, "{\"name\":\"a\",\"time\":1,\"value\":Infinity}",
	    "[-1] value not finite \"Infinity\"",
	    "rejects an Infinity literal");
	check(J, "{\"name\":\"a\",\"time\":1,\"value\":-Infinity}",
	    "[-1] value not finite \"-Infinity\"",
	    "rejects a -Infinity literal");
	check(J, "{\"name\":\"a\",\"time\":1,\"value\":inf}",
	    "[-1] value not finite \"inf\"", "rejects an inf literal");
	check(J, "{\"value\":NaN,\"name\":\"a\",\"time\":1}",
	    "[-1] value not finite \"NaN\"",
	    "rejects a NaN literal before the other keys");
	check(J, "{\"name\":\"a\",\"time\":1,\"x\":NaN,\"value\":1}",
	    "[-1] not JSON", "a NaN in another field is just not JSON");
	check(J, "{\"name\":\"a\",\"time\":1,\"value\":\"x:nan",
	    "[-1] not JSON",
	    "an unterminated string value is not JSON, whatever it holds");
	check(J, "{\"name\":\"a\",\"time\":1,\"value\":tru}",
	    "[-1] not JSON", "rejects a misspelt literal");

	/* The order of judgement: name, then time, then value. */
	check(J, "{\"name\":\"a/b\",\"time\":-1,\"value\":\"x\"}",
	    "[-1] name has bad character '/'", "judges the name first");
	check(J, "{\"name\":\"a\",\"time\":-1,\"value\":\"x\"}",
	    "[-1] time out of range \"-1\"", "judges the time second");
}

static void
test_json_syntax(void)
{
	static const char *const notjson[] = {
		"{\"name\":\"a\"",
		"{\"name\":\"a\",\"time\":1,\"value\":2",
		"{name:\"a\",\"time\":1,\"value\":2}",
		"{'name':'a','time':1,'value':2}",
		"{\"name\":\"a\",\"time\":1,\"value\":01}",
		"{\"name\":\"a\",\"time\":01,\"value\":1}",
		"{\"name\":\"a\",\"time\":1,\"value\":.5}",
		"{\"name\":\"a\",\"time\":1,\"value\":1.}",
		"{\"name\":\"a\",\"time\":1,\"value\":+1}",
		"{\"name\":\"a\",\"time\":1,\"value\":1e}",
		"{\"name\":\"a\",\"time\":1,\"value\":-}",
		"{\"name\":\"a\",\"time\":1,\"value\":0x10}",
		"{\"name\":\"a\",\"time\":1,\"value\":2,}",
		"{\"name\":\"a\",\"time\":1 \"value\":2}",
		"{\"name\":\"a\" \"time\":1,\"value\":2}",
		"{\"name\":\"a\",\"time\":1,\"value\":2]",
		"[{\"name\":\"a\",\"time\":1,\"value\":2}",
		"[{\"name\":\"a\",\"time\":1,\"value\":2},]",
		"/* c */ {\"name\":\"a\",\"time\":1,\"value\":2}",
		"{\"name\":\"a\tb\",\"time\":1,\"value\":2}",
		"{\"name\":\"a\\qb\",\"time\":1,\"value\":2}",
		"{\"name\":\"a\\u00\",\"time\":1,\"value\":2}",
		"[",
		"{",
		"]",
		"}",
	};
	size_t i;

	for (i = 0; i < sizeof(notjson) / sizeof(notjson[0]); i++)
		check(J, notjson[i], "[-1] not JSON", "rejects bad JSON");
	check(A, "{\"name\":\"a\"", "[-1] not JSON",
	    "auto-detected JSON that is cut short is not JSON");

	check(J, "{\"name\":\"a\",\"time\":1,\"value\":2} x",
	    "[-1] trailing garbage", "rejects text after the object");
	check(J, "{\"name\":\"a\",\"time\":1,\"value\":2}"
	    "{\"name\":\"b\",\"time\":1,\"value\":2}",
	    "[-1] trailing garbage", "rejects two objects on a line");
	check(J, "{\"name\":\"a\",\"time\":1,\"value\":2}}",
	    "[-1] trailing garbage", "rejects an extra closing brace");
	check(J, "[{\"name\":\"a\",\"time\":1,\"value\":2}] []",
	    "[-1] trailing garbage", "rejects text after an array");
	check(J, "{\"name\":\"a\",\"time\":1,\"value\":2},",
	    "[-1] trailing garbage", "rejects a comma after the object");

	check(J, "\"abc\"", "[-1] not a point object",
	    "rejects a top-level string");
	check(J, "123", "[-1] not a point object",
	    "rejects a top-level number");
	check(J, "null", "[-1] not a point object",
	    "rejects a top-level null");
	check(J, "true", "[-1] not a point object",
	    "rejects a top-level true");
	check(J, "[]", "", "an empty array gives nothing");
	check(J, "[ ]", "", "an empty array with a space gives nothing");
	check(J, "[[{\"name\":\"a\",\"time\":1,\"value\":2}]]",
	    "[0] not a point object", "rejects a nested array element");
}

static void
test_json_arrays(void)
{
	check(J, "[{\"name\":\"a\",\"time\":1,\"value\":1},"
	    "{\"name\":\"b/c\",\"time\":1,\"value\":1},"
	    "5,"
	    "{\"name\":\"d\",\"time\":-1,\"value\":1},"
	    "{\"name\":\"e\",\"time\":2,\"value\":\"x\"},"
	    "{\"name\":\"f\",\"time\":3,\"value\":3},"
	    "[{\"name\":\"g\",\"time\":3,\"value\":3}],"
	    "null,"
	    "{},"
	    "{\"name\":\"h\",\"time\":4,\"value\":-0}]",
	    "a@1=1, f@3=3, h@4=-0, [1] name has bad character '/', "
	    "[2] not a point object, [3] time out of range \"-1\", "
	    "[4] value not a number \"\\x22x\\x22\", [6] not a point object, "
	    "[7] not a point object, [8] name missing",
	    "judges each array element alone, with its index");
	check(J, "[{\"name\":\"a\",\"time\":1,\"value\":1},"
	    "{\"name\":\"a\",\"time\":1,\"value\":2}]",
	    "a@1=1, a@1=2", "keeps both points of one series in order");
	check(J, "[{\"name\":\"a\",\"time\":1,\"value\":1},"
	    "{\"name\":\"b\",\"time\":1,\"value\":NaN}]",
	    "[-1] value not finite \"NaN\"",
	    "a NaN literal in an array rejects the whole line");
	check(J, "[{\"name\":\"a\",\"time\":1,\"value\":1},"
	    "{\"name\":\"b\",\"time\":1,\"value\":1}",
	    "[-1] not JSON", "a cut array rejects even its good points");
	check(J, "[{\"name\":\"x\",\"extra\":{\"name\":\"y\",\"time\":9},"
	    "\"time\":1,\"value\":1}]", "x@1=1",
	    "ignores keys of objects nested in an element");
}

static void
test_line_checks(void)
{
	static const struct {
		const char	*s;
		const char	*what;
	} bad[] = {
		{ "\xc0\xaf", "an overlong 2-byte slash" },
		{ "\xc1\xbf", "an overlong 2-byte DEL" },
		{ "\xe0\x80\xaf", "an overlong 3-byte slash" },
		{ "\xe0\x9f\xbf", "an overlong 3-byte U+07FF" },
		{ "\xf0\x80\x80\xaf", "an overlong 4-byte slash" },
		{ "\xf0\x8f\xbf\xbf", "an overlong 4-byte U+FFFF" },
		{ "\xed\xa0\x80", "the surrogate U+D800" },
		{ "\xed\xbf\xbf", "the surrogate U+DFFF" },
		{ "\xed\xa0\xbd\xed\xb2\xa9", "a CESU-8 surrogate pair" },
		{ "\xf4\x90\x80\x80", "U+110000" },
		{ "\xf5\x80\x80\x80", "a 0xf5 lead byte" },
		{ "\xf8\x88\x80\x80\x80", "a 5-byte sequence" },
		{ "\xff", "a 0xff byte" },
		{ "\xfe", "a 0xfe byte" },
		{ "\x80", "a lone continuation byte" },
		{ "\xbf\xbf", "two lone continuation bytes" },
		{ "\xc3", "a 2-byte sequence cut at the end" },
		{ "\xe2\x82", "a 3-byte sequence cut at the end" },
		{ "\xf0\x9d\x84", "a 4-byte sequence cut at the end" },
		{ "\xc3x", "a 2-byte sequence cut by ASCII" },
		{ "\xe2x\xac", "a 3-byte sequence cut by ASCII" },
		{ "\xc3\xc3\xa9", "a lead byte followed by a lead byte" },
	};
	static const char *const good[] = {
		"\xc3\xa9", "\xe2\x82\xac", "\xf0\x9d\x84\x9e",
		"\xf4\x8f\xbf\xbf", "\xed\x9f\xbf", "\xee\x80\x80",
		"\xc2\x80", "\xe0\xa0\x80", "\xf0\x90\x80\x80",
		"\xef\xbb\xbf",
	};
	char line[200];
	size_t i, len, pos;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char what[100];

		snprintf(line, sizeof(line), "{\"name\":\"a\",\"time\":1,"
		    "\"value\":2,\"note\":\"%s\"}", bad[i].s);
		snprintf(what, sizeof(what), "rejects %s", bad[i].what);
		check(A, line, "[-1] invalid UTF-8", what);
	}
	/* At the very end of the line (the cut sequences matter here). */
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(line, sizeof(line), "a.b 1 2 %s", bad[i].s);
		check(G, line, "[-1] invalid UTF-8",
		    "rejects invalid UTF-8 at the end of a Graphite line");
	}
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(line, sizeof(line), "{\"name\":\"a\",\"time\":1,"
		    "\"value\":2,\"note\":\"%s\"}", good[i]);
		check(J, line, "a@1=2", "accepts valid UTF-8 in another field");
	}

	/* NUL anywhere: each position in and around an 8-byte word. */
	strcpy(line, "{\"name\":\"a\",\"time\":1,\"value\":2}");
	len = strlen(line);
	for (pos = 0; pos < len; pos++) {
		char l2[200];

		memcpy(l2, line, len);
		l2[pos] = '\0';
		checkn(J, l2, len, "[-1] NUL byte", "rejects a NUL byte");
	}
	memcpy(line, "a 1 2\0", 6);
	checkn(G, line, 6, "[-1] NUL byte",
	    "rejects a NUL byte at the end of a Graphite line");
	memcpy(line, "a\x80\x80\x80\x80\x80\x80\x80\x80", 9);
	checkn(G, line, 9, "[-1] invalid UTF-8",
	    "0x80 bytes are not taken for NUL bytes");
	memcpy(line, "\x01\x01\x01\x01\x01\x01\x01\x01 1 2", 12);
	checkn(G, line, 12, "[-1] name has bad character '\\x01'",
	    "0x01 bytes are not taken for NUL bytes");
}

static void
test_line_length(void)
{
	size_t max = DMD_LINE_MAX;
	char *line = malloc(max + 2);
	const char *pt = "{\"name\":\"a\",\"time\":1,\"value\":2}";
	size_t ptlen = strlen(pt);

	/* A valid point padded with leading spaces to the exact length. */
	memset(line, ' ', max + 2);
	memcpy(line + max - ptlen, pt, ptlen);
	checkn(J, line, max, "a@1=2", "accepts a line of 65536 bytes");
	memset(line, ' ', max + 2);
	memcpy(line + max + 1 - ptlen, pt, ptlen);
	checkn(J, line, max + 1, "[-1] line longer than 65536 bytes",
	    "rejects a line of 65537 bytes");

	/* The same 65536 bytes with a CRLF line end: the CR is part of
	 * the line end, not of the line. */
	memset(line, ' ', max + 2);
	memcpy(line + max - ptlen, pt, ptlen);
	line[max] = '\r';
	checkn(J, line, max + 1, "a@1=2",
	    "accepts a line of 65536 bytes ending in CRLF");

	memset(line, 'a', max + 1);
	checkn(G, line, max + 1, "[-1] line longer than 65536 bytes",
	    "rejects a long Graphite line");
	free(line);
}

/*
 * The parser across calls, and big arrays (the arena grows while names
 * are collected).
 */

static void
test_state(void)
{
	struct dmd_parser p;
	struct buf b = { NULL, 0, 0 };
	char item[128];
	const char *arr = "[{\"name\":\"a\",\"time\":1,\"value\":1},5,"
	    "{\"name\":\"b\",\"time\":2,\"value\":2}]";
	size_t i, r, bad = 0;
	const size_t n = 1000;

	dmd_parser_release(NULL);
	ok(1, "dmd_parser_release accepts NULL");

	dmd_parser_init(&p, A);
	ok(p.fast == 1 && p.npoints == 0 && p.nrejects == 0,
	    "a new parser uses the fast path and holds nothing");
	r = dmd_parser_line(&p, arr, strlen(arr));
	ok(r == 1 && p.npoints == 2 && p.nrejects == 1,
	    "returns the number of rejects");
	r = dmd_parser_line(&p, "", 0);
	ok(r == 0 && p.npoints == 0 && p.nrejects == 0,
	    "a blank line clears the previous results");
	r = dmd_parser_line(&p, "x/y 1 2", 7);
	ok(r == 1 && p.npoints == 0 && p.nrejects == 1,
	    "a reject replaces the previous results");

	/* 1000 points with distinct names: every name must survive the
	 * arena's growth. */
	bputc(&b, '[');
	for (i = 0; i < n; i++) {
		snprintf(item, sizeof(item), "%s{\"name\":\"s%zu.%0*zu\","
		    "\"time\":%zu,\"value\":%zu.5}", i ? "," : "", i,
		    (int)(i % 16), i, i, i);
		bputs(&b, item);
	}
	bputc(&b, ']');
	r = dmd_parser_line(&p, b.s, b.len);
	ok(b.len <= DMD_LINE_MAX && r == 0 && p.npoints == n,
	    "reads an array of %zu points in %zu bytes", n, b.len);
	for (i = 0; i < p.npoints && i < n; i++) {
		char want[64];

		snprintf(want, sizeof(want), "s%zu.%0*zu", i, (int)(i % 16), i);
		if (p.points[i].namelen != strlen(want) ||
		    memcmp(p.points[i].name, want, strlen(want)) != 0 ||
		    p.points[i].time != (int64_t)i ||
		    p.points[i].value != (double)i + 0.5)
			bad++;
	}
	ok(bad == 0, "every point of the big array is intact (%zu not)", bad);
	dmd_parser_release(&p);
	ok(p.points == NULL && p.rejects == NULL && p.npoints == 0,
	    "dmd_parser_release clears the parser");
	free(b.s);
}

/*
 * Graphite values and times.
 */

static void
test_graphite(void)
{
	check(G, "a.b 1 101.7", "a.b@101=1",
	    "truncates a fractional Graphite time");
	check(G, "a.b 1 101.2e0", "a.b@101=1",
	    "truncates a Graphite time with an exponent");
	check(G, "a.b 1 1e2", "a.b@100=1", "accepts Graphite time 1e2");
	check(G, "a.b 1 253402300799.9", "a.b@253402300799=1",
	    "truncates a fractional time in the last second of 9999");
	check(G, "a.b 1 253402300800", "[-1] time out of range \"253402300800\"",
	    "rejects a Graphite time in year 10000");
	check(G, "a.b 1 -1", "[-1] time out of range \"-1\"",
	    "rejects a negative Graphite time");
	check(G, "a.b 1 1e400", "[-1] time out of range \"1e400\"",
	    "rejects a Graphite time that overflows a double");
	check(G, "a.b 1 abc", "[-1] time not an integer \"abc\"",
	    "rejects a Graphite time that is not a number");
	check(G, "a.b 1 nan", "[-1] time not an integer \"nan\"",
	    "rejects a nan Graphite time");
	check(G, "a.b nan 1", "[-1] value not finite \"nan\"",
	    "rejects a nan Graphite value as not finite");
	check(G, "a.b NaN 1", "[-1] value not finite \"NaN\"",
	    "rejects NaN as not finite");
	check(G, "a.b -nan 1", "[-1] value not finite \"-nan\"",
	    "rejects -nan as not finite");
	check(G, "a.b inf 1", "[-1] value not finite \"inf\"",
	    "rejects inf as not finite");
	check(G, "a.b -Inf 1", "[-1] value not finite \"-Inf\"",
	    "rejects -Inf as not finite");
	check(G, "a.b +Infinity 1", "[-1] value not finite \"+Infinity\"",
	    "rejects +Infinity as not finite");
	check(G, "a.b 1e999 1", "[-1] value not finite \"1e999\"",
	    "rejects 1e999 as not finite");
	check(G, "a.b nanx 1", "[-1] value not a number \"nanx\"",
	    "nanx is not a number");
	check(G, "a.b abc 1", "[-1] value not a number \"abc\"",
	    "rejects a Graphite value that is not a number");
	check(G, "a.b 0x10 1", "[-1] value not a number \"0x10\"",
	    "rejects a hexadecimal value");
	check(G, "a.b 1,5 1", "[-1] value not a number \"1,5\"",
	    "rejects a decimal comma");
	check(G, "a.b \"1\" 1", "[-1] value not a number \"\\x221\\x22\"",
	    "quotes a quote in a reason as an escape");
	check(G, "a.b .5 1", "a.b@1=0.5", "accepts Graphite value .5");
	check(G, "a.b 5. 1", "a.b@1=5", "accepts Graphite value 5.");
	check(G, "a.b +1 1", "a.b@1=1", "accepts Graphite value +1");
	check(G, "a.b -0 1", "a.b@1=-0", "keeps the sign of Graphite -0");
	check(G, "a.b 1E3 1", "a.b@1=1e+03", "accepts Graphite value 1E3");
	check(G, "a.b 007 1", "a.b@1=7", "accepts leading zeros in Graphite");
	check(G, "a.b", "[-1] value missing",
	    "rejects a Graphite line without a value");
	check(G, "a.b 1", "[-1] time missing",
	    "rejects a Graphite line without a time");
	check(G, "a.b 1 2 3", "[-1] trailing garbage",
	    "rejects a fourth Graphite field");
	check(G, "a/b 1 2", "[-1] name has bad character '/'",
	    "rejects a Graphite name with a slash");
	check(G, "a/b", "[-1] name has bad character '/'",
	    "judges a Graphite name before a missing value");
}

/*
 * Values: every reading equals strtod(3) of the text, bit for bit.
 */

static int
same_bits(double a, double b)
{
	return memcmp(&a, &b, sizeof(a)) == 0;
}

static int
value_of(enum dmd_format fmt, int fast, const char *line, double *v)
{
	struct dmd_parser *p = fast ? &fastp : &slowp;

	dmd_parser_release(p);
	dmd_parser_init(p, fmt);
	p->fast = fast;
	dmd_parser_line(p, line, strlen(line));
	if (p->npoints != 1)
		return -1;
	*v = p->points[0].value;
	return 0;
}

static void
check_value(const char *text, double want, const char *what)
{
	char line[600];
	double vf = 0, vs = 0, vg = 0;
	int rf, rs, rg;

	snprintf(line, sizeof(line),
	    "{\"name\":\"a\",\"time\":1,\"value\":%s}", text);
	rf = value_of(J, 1, line, &vf);
	rs = value_of(J, 0, line, &vs);
	snprintf(line, sizeof(line), "a %s 1", text);
	rg = value_of(G, 1, line, &vg);
	ok(rf == 0 && rs == 0 && rg == 0 && same_bits(vf, want) &&
	    same_bits(vs, want) && same_bits(vg, want), "%s: %s", what, text);
	if (!(rf == 0 && rs == 0 && rg == 0 && same_bits(vf, want) &&
	    same_bits(vs, want) && same_bits(vg, want)))
		printf("#   fast %a slow %a graphite %a want %a\n", vf, vs, vg,
		    want);
}

static void
test_values(void)
{
	char big[400];
	int i;

	check_value("12.5", 12.5, "reads a simple value");
	check_value("0.1", 0.1, "reads 0.1 correctly rounded");
	check_value("0.3", 0.3, "reads 0.3 correctly rounded");
	check_value("25.58", 25.58, "reads 25.58 correctly rounded");
	check_value("1e30", 1e30, "reads 1e30");
	check_value("123456789012345678901234567890",
	    strtod("123456789012345678901234567890", NULL),
	    "reads an integer beyond 64 bits like strtod");
	check_value("18446744073709551616", 18446744073709551616.0,
	    "reads 2^64");
	check_value("9007199254740993", 9007199254740992.0,
	    "reads 2^53+1 rounded to even");
	check_value("-0", -0.0, "keeps the sign of -0");
	check_value("-0.0", -0.0, "keeps the sign of -0.0");
	check_value("-0e5", -0.0, "keeps the sign of -0e5");
	check_value("0", 0.0, "reads 0 as +0");
	check_value("4.9e-324", 4.9e-324, "reads the smallest subnormal");
	check_value("2.2250738585072011e-308", 2.2250738585072011e-308,
	    "reads a subnormal near the normal range");
	check_value("1e-400", 0.0, "reads an underflowing value as 0");
	check_value("1.7976931348623157e308", 1.7976931348623157e308,
	    "reads the largest double");
	check_value("0.000000000000000000000000000001", 1e-30,
	    "reads many leading zeros");
	check_value("123456789012345.6", 123456789012345.6,
	    "reads 16 significant digits");
	check_value("0.1234567890123456789", 0.1234567890123456789,
	    "reads 19 significant digits");
	check_value("9007199254740991.0", 9007199254740991.0,
	    "reads 2^53-1 with a fraction");
	check_value("1e22", 1e22, "reads 1e22");
	check_value("1e23", 1e23, "reads 1e23");
	check_value("8.41e21", 8.41e21, "reads 8.41e21");
	check_value("3.14159265358979", 3.14159265358979,
	    "reads 15 digits of pi");
	check_value("2.718281828459045", 2.718281828459045,
	    "reads 16 digits of e");

	/* 300 digits, then a fraction. */
	for (i = 0; i < 300; i++)
		big[i] = '1' + i % 9;
	strcpy(big + 300, ".5");
	check_value(big, strtod(big, NULL), "reads a 300-digit value");
	{
		double v = 1;

		ok(value_of(J, 1, "{\"name\":\"a\",\"time\":1,\"value\":-0}",
		    &v) == 0 && v == 0 && signbit(v),
		    "a JSON -0 value has its sign bit set (fast path)");
		ok(value_of(J, 0, "{\"name\":\"a\",\"time\":1,\"value\":-0}",
		    &v) == 0 && v == 0 && signbit(v),
		    "a JSON -0 value has its sign bit set (yajl path)");
	}
}

/*
 * Random number texts.  strict: the JSON grammar; else Graphite's looser
 * one (sign +, ".5", "5.", leading zeros).
 */
static void
gen_digits(struct buf *b, unsigned n, int nonzero_first)
{
	unsigned i;

	for (i = 0; i < n; i++)
		bputc(b, (char)((i == 0 && nonzero_first ? '1' + rndn(9) :
		    '0' + rndn(10))));
}

static void
gen_number(struct buf *b, int strict)
{
	unsigned r = rndn(100), nd, fd;

	if (rndn(4) == 0)
		bputc(b, '-');
	else if (!strict && rndn(10) == 0)
		bputc(b, '+');
	/* Mostly short numbers (the exact fast path), some long ones. */
	if (r < 60) {
		nd = 1 + rndn(8);
		fd = rndn(16 - nd);
	} else if (r < 85) {
		nd = 1 + rndn(20);
		fd = rndn(20);
	} else {
		nd = 1 + rndn(40);
		fd = rndn(400) == 0 ? 300 + rndn(100) : rndn(40);
	}
	if (!strict && rndn(20) == 0)
		nd = 0;			/* ".5" */
	if (nd > 0) {
		if (rndn(5) == 0 || (!strict && rndn(10) == 0)) {
			bputc(b, '0');	/* "0.xxx" (or "00x" loosely) */
			if (!strict)
				gen_digits(b, nd - 1, 0);
		} else
			gen_digits(b, nd, 1);
	}
	if (fd > 0 || nd == 0) {
		bputc(b, '.');
		gen_digits(b, fd ? fd : 1, 0);
	} else if (!strict && rndn(20) == 0)
		bputc(b, '.');		/* "5." */
	if (rndn(4) == 0) {
		unsigned e = rndn(10) == 0 ? rndn(400) : rndn(30);
		char eb[16];

		bputc(b, rndn(2) ? 'e' : 'E');
		r = rndn(3);
		if (r == 1)
			bputc(b, '-');
		else if (r == 2)
			bputc(b, '+');
		snprintf(eb, sizeof(eb), rndn(10) == 0 ? "%03u" : "%u", e);
		bputs(b, eb);
	}
}

static void
test_random_values(void)
{
	struct buf num = { NULL, 0, 0 }, line = { NULL, 0, 0 };
	int i, strict, bad = 0, shown = 0, n = 0;

	for (i = 0; i < 100000; i++) {
		double want, vf = 0, vs = 0;
		int rf, rs, finite;

		strict = i % 4 != 0;
		num.len = 0;
		gen_number(&num, strict);
		want = strtod(num.s, NULL);
		finite = isfinite(want);
		line.len = 0;
		if (strict) {
			bputs(&line, "{\"name\":\"a\",\"time\":1,\"value\":");
			bputs(&line, num.s);
			bputs(&line, "}");
			rf = value_of(J, 1, line.s, &vf);
			rs = value_of(J, 0, line.s, &vs);
		} else {
			bputs(&line, "a ");
			bputs(&line, num.s);
			bputs(&line, " 1");
			rf = value_of(G, 1, line.s, &vf);
			rs = rf;
			vs = vf;
		}
		n++;
		if (finite ? rf == 0 && rs == 0 && same_bits(vf, want) &&
		    same_bits(vs, want) : rf != 0 && rs != 0)
			continue;
		bad++;
		if (shown++ < 10)
			printf("#   %s: fast %a slow %a strtod %a\n",
			    esc(line.s, line.len), vf, vs, want);
	}
	ok(bad == 0, "every one of %d random decimal values reads as strtod "
	    "does, bit for bit (%d differ)", n, bad);
	free(num.s);
	free(line.s);
}

/*
 * The differential test: the JSON fast path against the yajl path.
 */

static int
same_result(const struct dmd_parser *a, const struct dmd_parser *b,
    char *why, size_t whylen)
{
	size_t i;

	if (a->npoints != b->npoints || a->nrejects != b->nrejects) {
		snprintf(why, whylen, "%zu points %zu rejects vs %zu points "
		    "%zu rejects", a->npoints, a->nrejects, b->npoints,
		    b->nrejects);
		return 0;
	}
	for (i = 0; i < a->npoints; i++) {
		const struct dmd_point *x = &a->points[i], *y = &b->points[i];

		if (x->namelen != y->namelen ||
		    memcmp(x->name, y->name, x->namelen) != 0 ||
		    x->time != y->time || !same_bits(x->value, y->value)) {
			snprintf(why, whylen, "point %zu: %.*s@%lld=%a vs "
			    "%.*s@%lld=%a", i, (int)x->namelen, x->name,
			    (long long)x->time, x->value, (int)y->namelen,
			    y->name, (long long)y->time, y->value);
			return 0;
		}
	}
	for (i = 0; i < a->nrejects; i++) {
		const struct dmd_reject *x = &a->rejects[i],
		    *y = &b->rejects[i];

		if (x->index != y->index || strcmp(x->reason, y->reason) != 0) {
			snprintf(why, whylen, "reject %zu: [%d] %s vs [%d] %s",
			    i, x->index, x->reason, y->index, y->reason);
			return 0;
		}
	}
	return 1;
}

static int diff_bad, diff_shown;
static long diff_n;

static void
diff_line(enum dmd_format fmt, const char *line, size_t len)
{
	char why[400];

	fastp.format = slowp.format = fmt;
	fastp.fast = 1;
	slowp.fast = 0;
	dmd_parser_line(&fastp, line, len);
	dmd_parser_line(&slowp, line, len);
	diff_n++;
	if (same_result(&fastp, &slowp, why, sizeof(why)))
		return;
	diff_bad++;
	if (diff_shown++ < 10)
		printf("#   fast/slow differ on %s: %s\n", esc(line, len), why);
}

static const char *const name_pool[] = {
	"a", "web01.cpu.user", "a.b-c_d:e", "a/b", "", "a b", "\\u0041",
	"a\\\"b", "caf\xc3\xa9", "a\x7f", "\\/", "a\\\\", "x..y", ":", "-",
	"\\ud800", "\\ud83d\\ude00", "a\\u0000", "\t", "Z9",
};

static void
gen_ws(struct buf *b)
{
	static const char *const ws[] = {
		" ", "\t", "  ", " \t", "\n", "\r", "\f", "\v", "\r\n"
	};

	if (rndn(4) == 0)
		bputs(b, ws[rndn(sizeof(ws) / sizeof(ws[0]))]);
}

static void
gen_name(struct buf *b)
{
	unsigned r = rndn(40);

	bputc(b, '"');
	if (r == 0) {
		unsigned n = 250 + rndn(10), i;

		for (i = 0; i < n; i++)
			bputc(b, 'a' + i % 26);
	} else if (r < 20)
		bputs(b, name_pool[rndn(sizeof(name_pool) /
		    sizeof(name_pool[0]))]);
	else {
		unsigned n = 1 + rndn(20), i;

		for (i = 0; i < n; i++)
			bputc(b, "abcxyz019.-_:"[rndn(13)]);
	}
	bputc(b, '"');
}

static void
gen_time(struct buf *b)
{
	static const char *const times[] = {
		"0", "-0", "1", "-1", "1732406400", "253402300799",
		"253402300800", "999999999999", "1000000000000",
		"99999999999", "123456789012345678", "1234567890123456789",
		"9223372036854775807", "9223372036854775808", "1e2", "1.0",
		"1.5", "100.0", "1E+2", "2.534023008e11", "01", "00", "-",
		"1.", ".1", "+1", "1e", "0.0", "-0.0", "1e400", "1e-400",
	};
	char tb[32];
	unsigned r = rndn(10);

	if (r < 5) {
		snprintf(tb, sizeof(tb), "%llu", (unsigned long long)(rnd() %
		    (r < 3 ? 2000000000ULL : 300000000000ULL)));
		bputs(b, tb);
	} else if (r < 9)
		bputs(b, times[rndn(sizeof(times) / sizeof(times[0]))]);
	else
		gen_number(b, rndn(4) != 0);
}

static void gen_value(struct buf *b, int depth);

static void
gen_scalar(struct buf *b)
{
	static const char *const lits[] = {
		"null", "true", "false", "NaN", "nan", "-NaN", "Infinity",
		"-Infinity", "inf", "-inf", "\"1\"", "\"x\"", "\"\"", "tru",
		"nul", "1e999", "-1e999", "-0", "0", "-0.0",
	};
	unsigned r = rndn(10);

	if (r < 6)
		gen_number(b, rndn(8) != 0);
	else if (r < 8)
		bputs(b, lits[rndn(sizeof(lits) / sizeof(lits[0]))]);
	else
		gen_name(b);
}

static void
gen_object(struct buf *b, int depth, int pointy)
{
	static const char *const keys[] = {
		"\"name\"", "\"time\"", "\"value\"", "\"x\"", "\"Name\"",
		"\"n\\u0061me\"", "\"name \"", "\"valu\"", "\"values\"",
		"\"\"", "\"tags\"",
	};
	unsigned n, i;

	bputc(b, '{');
	gen_ws(b);
	if (pointy && rndn(2) == 0) {
		/* The canonical shape, the fast path's. */
		bputs(b, "\"name\"");
		gen_ws(b);
		bputc(b, ':');
		gen_ws(b);
		gen_name(b);
		gen_ws(b);
		bputc(b, ',');
		gen_ws(b);
		bputs(b, "\"time\"");
		gen_ws(b);
		bputc(b, ':');
		gen_ws(b);
		gen_time(b);
		gen_ws(b);
		bputc(b, ',');
		gen_ws(b);
		bputs(b, "\"value\"");
		gen_ws(b);
		bputc(b, ':');
		gen_ws(b);
		if (rndn(6) == 0)
			gen_scalar(b);
		else
			gen_number(b, 1);
		gen_ws(b);
		bputc(b, '}');
		return;
	}
	n = rndn(6);
	for (i = 0; i < n; i++) {
		unsigned k = rndn(pointy ? 8 : sizeof(keys) / sizeof(keys[0]));

		if (i > 0) {
			bputc(b, ',');
			gen_ws(b);
		}
		if (k < 3 && pointy)
			k = i % 3;
		bputs(b, keys[k]);
		gen_ws(b);
		bputc(b, ':');
		gen_ws(b);
		if (k == 0 && rndn(4) != 0)
			gen_name(b);
		else if (k == 1 && rndn(4) != 0)
			gen_time(b);
		else
			gen_value(b, depth + 1);
		gen_ws(b);
	}
	bputc(b, '}');
}

static void
gen_value(struct buf *b, int depth)
{
	unsigned r = rndn(depth > 3 ? 8 : 12), n, i;

	if (r < 8) {
		gen_scalar(b);
		return;
	}
	if (r < 10) {
		gen_object(b, depth, r == 8);
		return;
	}
	bputc(b, '[');
	n = rndn(4);
	for (i = 0; i < n; i++) {
		if (i > 0)
			bputc(b, ',');
		gen_ws(b);
		gen_value(b, depth + 1);
		gen_ws(b);
	}
	bputc(b, ']');
}

static void
gen_line(struct buf *b)
{
	unsigned r = rndn(100), n, i;

	gen_ws(b);
	if (r < 70)
		gen_object(b, 0, 1);
	else if (r < 95) {
		bputc(b, '[');
		n = rndn(5);
		for (i = 0; i < n; i++) {
			if (i > 0)
				bputc(b, ',');
			gen_ws(b);
			if (rndn(5) == 0)
				gen_value(b, 1);
			else
				gen_object(b, 1, 1);
			gen_ws(b);
		}
		bputc(b, ']');
	} else
		gen_value(b, 0);
	gen_ws(b);
	if (rndn(30) == 0)
		bputs(b, rndn(2) ? "x" : "}");
	if (rndn(10) == 0)
		bputc(b, '\r');
}

static void
mutate(struct buf *b)
{
	static const char alpha[] = "{}[]\":,.-+0123456789eE \t\\untaNIfl/x";
	unsigned n = 1 + rndn(3), i, pos;
	char c;

	for (i = 0; i < n && b->len > 0; i++) {
		pos = rndn((unsigned)b->len);
		c = rndn(20) == 0 ? (char)rndn(256) :
		    alpha[rndn(sizeof(alpha) - 1)];
		switch (rndn(5)) {
		case 0:		/* replace */
			b->s[pos] = c;
			break;
		case 1:		/* insert */
			bputc(b, 0);
			memmove(b->s + pos + 1, b->s + pos, b->len - pos - 1);
			b->s[pos] = c;
			break;
		case 2:		/* delete */
			memmove(b->s + pos, b->s + pos + 1, b->len - pos - 1);
			b->len--;
			break;
		case 3: {	/* duplicate a slice */
			unsigned k = 1 + rndn(8);
			char tmp[8];

			if (pos + k > b->len)
				k = (unsigned)(b->len - pos);
			memcpy(tmp, b->s + pos, k);
			bput(b, tmp, k);
			break;
		}
		default:	/* truncate */
			b->len = pos;
			break;
		}
	}
}

static const char *const tricky[] = {
	"{\"name\":\"a\",\"time\":999999999999,\"value\":1}",
	"{\"name\":\"a\",\"time\":1000000000000,\"value\":1}",
	"{\"name\":\"a\",\"time\":253402300799,\"value\":1}",
	"{\"name\":\"a\",\"time\":253402300800,\"value\":1}",
	"{\"name\":\"a\",\"time\":123456789012345678,\"value\":1}",
	"{\"name\":\"a\",\"time\":1234567890123456789,\"value\":1}",
	"{\"name\":\"a\",\"time\":0,\"value\":1}",
	"{\"name\":\"a\",\"time\":-0,\"value\":1}",
	"{\"name\":\"a\",\"time\":00,\"value\":1}",
	"{\"name\":\"a\",\"time\":1.,\"value\":1}",
	"{\"name\":\"a\",\"time\":1e,\"value\":1}",
	"{\"name\":\"a\",\"time\":1,\"value\":123456789012345}",
	"{\"name\":\"a\",\"time\":1,\"value\":1234567890123456}",
	"{\"name\":\"a\",\"time\":1,\"value\":12345678.1234567}",
	"{\"name\":\"a\",\"time\":1,\"value\":12345678.12345678}",
	"{\"name\":\"a\",\"time\":1,\"value\":0.000000000000001}",
	"{\"name\":\"a\",\"time\":1,\"value\":0.00000000000001}",
	"{\"name\":\"a\",\"time\":1,\"value\":-0}",
	"{\"name\":\"a\",\"time\":1,\"value\":-00}",
	"{\"name\":\"a\",\"time\":1,\"value\":-.5}",
	"{\"name\":\"a\",\"time\":1,\"value\":1.e5}",
	"{\"name\":\"a\",\"time\":1,\"value\":0e0}",
	"{\"name\":\"a\",\"time\":1,\"value\":0.0e-0}",
	"{\"name\":\"a\",\"time\":1,\"value\":1}x",
	"{\"name\":\"a\",\"time\":1,\"value\":1}\v",
	"{\"name\":\"a\",\"time\":1,\"value\":1}\f",
	"{\"name\":\"a\",\"time\":1,\"value\":1}\r\r",
	"{\"name\":\"a\",\"time\":1,\"value\":1}\n",
	"\v{\"name\":\"a\",\"time\":1,\"value\":1}",
	"{\"name\":\"a\",\"time\":1 ,\"value\":1 }",
	"{\"name\":\"a\",\"time\":1\t,\"value\":1\t}",
	"{\"name\":\"a\",\"time\":1\n,\"value\":1\n}",
	"{\"name\" :\"a\",\"time\":1,\"value\":1,}",
	"{\"name\":\"a\",\"time\":1,\"value\":1,\"x\":1}",
	"{\"name\":\"a\",\"time\":1,\"value\":1e5}",
	"{\"name\":\"a\",\"time\":1,\"value\":1.5E-5}",
	"{\"name\":\"a\",\"time\":1,\"value\":NaN}",
	"{\"name\":\"a\",\"time\":1,\"value\":-}",
	"{\"name\":\"a\",\"time\":1,\"value\":\"1\"}",
	"{\"name\":\"a\",\"time\":\"1\",\"value\":1}",
	"{\"name\":\"\",\"time\":1,\"value\":1}",
	"{\"name\":\"a/b\",\"time\":1,\"value\":1}",
	"{\"name\":\"a\x7f\",\"time\":1,\"value\":1}",
	"{\"name\":\"a\x01\",\"time\":1,\"value\":1}",
	"{\"name\":\"a\\\"\",\"time\":1,\"value\":1}",
	"{\"name\":\"a\"\",\"time\":1,\"value\":1}",
	"{\"name\":\"a,\"time\":1,\"value\":1}",
	"{\"name\":\"a/b\",\"time\":-1,\"value\":1}",
	"{\"name\":\"a/b\",\"time\":1,\"value\":1e999}",
	"{\"name\":\"a\",\"time\":-1,\"value\":1e999}",
	"{\"name\":\"a\",\"time\":1.5,\"value\":1}",
	"{\"name\":\"a\",\"time\":01,\"value\":1}",
	"{\"name\":\"a\",\"time\":1,\"value\":01}",
	"{\"Name\":\"a\",\"time\":1,\"value\":1}",
	"{\"name\":\"a\",\"Time\":1,\"value\":1}",
	"{\"name\":\"a\",\"time\":1,\"Value\":1}",
	"{ \"name\":\"a\",\"time\":1,\"value\":1}",
	"{\"name\":\"a\",\"time\":1,\"value\":1}}",
	"{{\"name\":\"a\",\"time\":1,\"value\":1}",
	"{\"name\":\"a\",\"time\":1,\"value\":1]",
	"[{\"name\":\"a\",\"time\":1,\"value\":1}]",
	"{\"name\":\"a\",\"time\":1,\"value\":1,\"name\":\"b\"}",
	"{\"name\":\"a\",\"time\":12345678901,\"value\":1}",
	"{\"name\":\"a\",\"time\":123456789012,\"value\":1}",
	"{\"name\":\"a\",\"time\":1,\"value\":-1234567890.12345}",
	"{\"name\":\"a\",\"time\":1,\"value\":99999999999999.9}",
	"{\"name\":\"a\",\"time\":1,\"value\":999999999999999}",
	"{\"name\":\"a\",\"time\":1,\"value\":9999999999999999}",
	"{\"name\":\"a\",\"time\":1,\"value\":0.1}",
	"{\"name\":\"a\",\"time\":1,\"value\":0.}",
	"{\"name\":\"a\",\"time\":1,\"value\":0}",
	"{\"name\":\"a\",\"time\":1,\"value\":0 }",
	"{\"name\":\"a\",\"time\":1,\"value\":00}",
	"{\"name\":\"a\",\"time\":1,\"value\":0.0}",
	"{\"name\":\"a\",\"time\":1,\"value\":1.0}",
	"{\"name\":\"a\",\"time\":1,\"value\":-1.0}",
	"{\"name\":\"a\",\"time\":1,\"value\":-0.000}",
	"{\"name\":\"a\",\"time\":1,\"value\":12.50}",
	"{\"name\":\"a\",\"time\":1,\"value\":1e-7}",
	"{\"name\":\"a\",\"time\":1,\"value\":1}",
	"{\"name\":\"a\",\"time\":1,\"value\":1",
	"{\"name\":\"a\",\"time\":1,\"value\":",
	"{\"name\":\"a\",\"time\":1,\"value\"",
	"{\"name\":\"a\",\"time\":1,",
	"{\"name\":\"a\",\"time\":1",
	"{\"name\":\"a\",\"time\":",
	"{\"name\":\"a\",",
	"{\"name\":\"a",
	"{\"name\":",
	"{\"name\"",
	"{\"",
	"{",
};

static void
test_differential(void)
{
	struct buf b = { NULL, 0, 0 };
	size_t i;
	int k;
	char name[300];

	dmd_parser_release(&fastp);
	dmd_parser_release(&slowp);
	dmd_parser_init(&fastp, J);
	dmd_parser_init(&slowp, J);

	diff_bad = diff_shown = 0;
	diff_n = 0;
	for (i = 0; i < sizeof(tricky) / sizeof(tricky[0]); i++) {
		diff_line(J, tricky[i], strlen(tricky[i]));
		diff_line(A, tricky[i], strlen(tricky[i]));
	}
	/* Names around the length limit. */
	for (k = 250; k <= 260; k++) {
		memset(name, 'n', (size_t)k);
		name[k] = '\0';
		b.len = 0;
		bputs(&b, "{\"name\":\"");
		bputs(&b, name);
		bputs(&b, "\",\"time\":1,\"value\":1}");
		diff_line(J, b.s, b.len);
	}
	ok(diff_bad == 0, "fast and slow JSON paths agree on %ld tricky lines "
	    "(%d differ)", diff_n, diff_bad);

	diff_bad = diff_shown = 0;
	diff_n = 0;
	for (k = 0; k < 200000; k++) {
		b.len = 0;
		gen_line(&b);
		if (k % 3 == 0)
			mutate(&b);
		diff_line(k % 16 == 0 ? A : J, b.s, b.len);
	}
	ok(diff_bad == 0, "fast and slow JSON paths agree on %ld random lines "
	    "(%d differ)", diff_n, diff_bad);
	free(b.s);
}

int
main(void)
{
	test_formats();
	test_format_names();
	test_blank_and_crlf();
	test_json_fields();
	test_json_rejects();
	test_json_syntax();
	test_json_arrays();
	test_line_checks();
	test_line_length();
	test_state();
	test_graphite();
	test_values();
	test_random_values();
	test_differential();
	dmd_parser_release(&fastp);
	dmd_parser_release(&slowp);
	return done();
}
