/*
 * test-output.c - unit tests of common/output.c: the exact bytes of every
 * format for no points, one series and two series; the CSV header once;
 * the brackets and commas of Graphite's render JSON.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "output.h"
#include "point.h"
#include "tap.h"

struct pt {
	const char	*name;
	int64_t		 time;
	double		 value;
};

#define N(x)	(sizeof(x) / sizeof((x)[0]))

static char out[8192];

/*
 * Write the n points at p in format f, then call dmd_output_finish()
 * finishes times; return what was written (in out), or "(error)".
 */
static const char *
render(enum dmd_output_format f, const struct pt *p, size_t n, int finishes)
{
	struct dmd_output o;
	FILE *fp;
	size_t i, len;
	int rc = 0;

	if ((fp = tmpfile()) == NULL)
		return "(tmpfile failed)";
	dmd_output_init(&o, fp, f);
	for (i = 0; i < n; i++)
		rc |= dmd_output_point(&o, p[i].name, strlen(p[i].name),
		    p[i].time, p[i].value);
	while (finishes-- > 0)
		rc |= dmd_output_finish(&o);
	rewind(fp);
	len = fread(out, 1, sizeof(out) - 1, fp);
	out[len] = '\0';
	fclose(fp);
	return rc == 0 ? out : "(error)";
}

static const struct pt one[] = {
	{ "web01.cpu.user", 1732406400, 12.5 },
	{ "web01.cpu.user", 1732406460, -0.0 },
	{ "web01.cpu.user", 1732406520, 25.58 },
};

static const struct pt two[] = {
	{ "a.b", 60, 1.5 },
	{ "a.b", 120, 1e300 },
	{ "c:d-e_f", 0, -0.1 },
};

static void
test_parse(void)
{
	static const struct {
		const char *s;
		enum dmd_output_format f;
	} good[] = {
		{ "ndjson", DMD_OUT_NDJSON }, { "json", DMD_OUT_NDJSON },
		{ "tsv", DMD_OUT_TSV }, { "csv", DMD_OUT_CSV },
		{ "graphite", DMD_OUT_GRAPHITE },
	};
	static const char *bad[] = {
		"", "GRAPHITE", "render", "graphite-json", "xml", "ndjson "
	};
	enum dmd_output_format f;
	size_t i;

	for (i = 0; i < N(good); i++) {
		f = (enum dmd_output_format)99;
		ok(dmd_output_format_parse(good[i].s, &f) == 0 &&
		    f == good[i].f, "parses \"%s\"", good[i].s);
	}
	for (i = 0; i < N(bad); i++) {
		f = DMD_OUT_TSV;
		ok(dmd_output_format_parse(bad[i], &f) == -1 &&
		    f == DMD_OUT_TSV, "rejects \"%s\"", bad[i]);
	}
}

static void
test_ndjson(void)
{
	is(render(DMD_OUT_NDJSON, NULL, 0, 1), "",
	    "ndjson: no points, no bytes");
	is(render(DMD_OUT_NDJSON, one, N(one), 1),
	    "{\"name\":\"web01.cpu.user\",\"time\":1732406400,\"value\":12.5}\n"
	    "{\"name\":\"web01.cpu.user\",\"time\":1732406460,\"value\":-0}\n"
	    "{\"name\":\"web01.cpu.user\",\"time\":1732406520,"
	    "\"value\":25.58}\n",
	    "ndjson: one series");
	is(render(DMD_OUT_NDJSON, two, N(two), 2),
	    "{\"name\":\"a.b\",\"time\":60,\"value\":1.5}\n"
	    "{\"name\":\"a.b\",\"time\":120,\"value\":1e+300}\n"
	    "{\"name\":\"c:d-e_f\",\"time\":0,\"value\":-0.1}\n",
	    "ndjson: two series");
}

static void
test_tsv(void)
{
	is(render(DMD_OUT_TSV, NULL, 0, 1), "", "tsv: no points, no bytes");
	is(render(DMD_OUT_TSV, one, N(one), 1),
	    "web01.cpu.user\t12.5\t1732406400\n"
	    "web01.cpu.user\t-0\t1732406460\n"
	    "web01.cpu.user\t25.58\t1732406520\n",
	    "tsv: one series");
	is(render(DMD_OUT_TSV, two, N(two), 2),
	    "a.b\t1.5\t60\n"
	    "a.b\t1e+300\t120\n"
	    "c:d-e_f\t-0.1\t0\n",
	    "tsv: two series");
}

static void
test_csv(void)
{
	is(render(DMD_OUT_CSV, NULL, 0, 1), "name,time,value\n",
	    "csv: no points, the header alone");
	is(render(DMD_OUT_CSV, NULL, 0, 3), "name,time,value\n",
	    "csv: finishing three times writes the header once");
	is(render(DMD_OUT_CSV, one, N(one), 1),
	    "name,time,value\n"
	    "web01.cpu.user,1732406400,12.5\n"
	    "web01.cpu.user,1732406460,-0\n"
	    "web01.cpu.user,1732406520,25.58\n",
	    "csv: one series under one header");
	is(render(DMD_OUT_CSV, two, N(two), 2),
	    "name,time,value\n"
	    "a.b,60,1.5\n"
	    "a.b,120,1e+300\n"
	    "c:d-e_f,0,-0.1\n",
	    "csv: two series under one header");
}

static void
test_graphite(void)
{
	static const struct pt single[] = { { "x", 5, 0 } };
	static const struct pt prefix[] = {
		{ "a", 1, 1 }, { "ab", 1, 2 }, { "ab", 2, 3 }, { "b", 1, 4 },
	};
	static const struct pt back[] = {
		{ "a", 1, 1 }, { "b", 1, 2 }, { "a", 2, 3 },
	};
	struct pt lng[2];
	char name[DMD_NAME_MAX + 1], want[600];
	struct dmd_output o;
	FILE *fp;

	is(render(DMD_OUT_GRAPHITE, NULL, 0, 1), "[]\n",
	    "graphite: no points, an empty array");
	is(render(DMD_OUT_GRAPHITE, NULL, 0, 2), "[]\n",
	    "graphite: finishing twice with no points writes [] once");
	is(render(DMD_OUT_GRAPHITE, NULL, 0, 0), "",
	    "graphite: nothing before the finish with no points");
	is(render(DMD_OUT_GRAPHITE, single, 1, 1),
	    "[{\"target\":\"x\",\"datapoints\":[[0,5]]}]\n",
	    "graphite: one point");
	is(render(DMD_OUT_GRAPHITE, one, N(one), 1),
	    "[{\"target\":\"web01.cpu.user\",\"datapoints\":"
	    "[[12.5,1732406400],[-0,1732406460],[25.58,1732406520]]}]\n",
	    "graphite: one series, value before time, -0 kept");
	is(render(DMD_OUT_GRAPHITE, two, N(two), 1),
	    "[{\"target\":\"a.b\",\"datapoints\":[[1.5,60],[1e+300,120]]},"
	    "{\"target\":\"c:d-e_f\",\"datapoints\":"
	    "[[-0.1,0]]}]\n",
	    "graphite: two series, separated by a comma");
	is(render(DMD_OUT_GRAPHITE, two, N(two), 3),
	    "[{\"target\":\"a.b\",\"datapoints\":[[1.5,60],[1e+300,120]]},"
	    "{\"target\":\"c:d-e_f\",\"datapoints\":"
	    "[[-0.1,0]]}]\n",
	    "graphite: finishing three times closes once");
	is(render(DMD_OUT_GRAPHITE, prefix, N(prefix), 1),
	    "[{\"target\":\"a\",\"datapoints\":[[1,1]]},"
	    "{\"target\":\"ab\",\"datapoints\":[[2,1],[3,2]]},"
	    "{\"target\":\"b\",\"datapoints\":[[4,1]]}]\n",
	    "graphite: a name and its prefix are two series");
	is(render(DMD_OUT_GRAPHITE, back, N(back), 1),
	    "[{\"target\":\"a\",\"datapoints\":[[1,1]]},"
	    "{\"target\":\"b\",\"datapoints\":[[2,1]]},"
	    "{\"target\":\"a\",\"datapoints\":[[3,2]]}]\n",
	    "graphite: a name that comes back opens a new object");

	memset(name, 'n', DMD_NAME_MAX);
	name[DMD_NAME_MAX] = '\0';
	lng[0].name = lng[1].name = name;
	lng[0].time = 1;
	lng[1].time = 2;
	lng[0].value = lng[1].value = 7;
	snprintf(want, sizeof(want),
	    "[{\"target\":\"%s\",\"datapoints\":[[7,1],[7,2]]}]\n", name);
	is(render(DMD_OUT_GRAPHITE, lng, 2, 1), want,
	    "graphite: a name of 255 bytes stays one series");

	/* a point after the finish opens a second array */
	if ((fp = tmpfile()) == NULL) {
		ok(0, "tmpfile");
		return;
	}
	dmd_output_init(&o, fp, DMD_OUT_GRAPHITE);
	dmd_output_finish(&o);
	dmd_output_point(&o, "a", 1, 1, 2);
	dmd_output_finish(&o);
	dmd_output_finish(&o);
	rewind(fp);
	out[fread(out, 1, sizeof(out) - 1, fp)] = '\0';
	fclose(fp);
	is(out, "[]\n[{\"target\":\"a\",\"datapoints\":[[2,1]]}]\n",
	    "graphite: a point after the finish starts a new array");
}

/* A stream in error: every call says so. */
static void
test_errors(void)
{
	struct dmd_output o;
	FILE *fp;
	enum dmd_output_format f;

	for (f = DMD_OUT_NDJSON; f <= DMD_OUT_GRAPHITE; f++) {
		if ((fp = fopen("/dev/null", "r")) == NULL) {
			ok(0, "open /dev/null");
			return;
		}
		dmd_output_init(&o, fp, f);
		ok(dmd_output_point(&o, "a", 1, 1, 2) == -1 &&
		    dmd_output_finish(&o) == -1,
		    "format %d: a write error is reported", (int)f);
		fclose(fp);
	}
}

int
main(void)
{
	test_parse();
	test_ndjson();
	test_tsv();
	test_csv();
	test_graphite();
	test_errors();
	return done();
}
