/*
 * dmd-e2e - the end-to-end probe: write a point with a unique value
 * through the real write path (a batch put into the cache, as dmd-ingest
 * does), poll the real read path (the tiers merged, as dmd-query reads
 * them) until that exact value is visible, and print the latency and the
 * outcome as points.  Run from cron: `* * * * * dmd-e2e | dmd-ingest`.
 */
#include <err.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"

#include "batch.h"
#include "cache.h"
#include "clock.h"
#include "fetch.h"
#include "numarg.h"
#include "point.h"
#include "prog.h"
#include "table.h"

#define EXIT_NOT_VISIBLE	6	/* a probe not readable in time */
#define POLL_MAX_MS	50	/* polls back off from 1 ms to this */

static const char synopsis[] =
    "usage: dmd-e2e [-hV] [-c url] [-i interval] [-N count] [-n name]\n"
    "               [-T timeout] [-t url]\n";

static const struct option longopts[] = {
	{ "cache",	required_argument,	NULL, 'c' },
	{ "count",	required_argument,	NULL, 'N' },
	{ "help",	no_argument,		NULL, 'h' },
	{ "interval",	required_argument,	NULL, 'i' },
	{ "name",	required_argument,	NULL, 'n' },
	{ "table",	required_argument,	NULL, 't' },
	{ "timeout",	required_argument,	NULL, 'T' },
	{ "version",	no_argument,		NULL, 'V' },
	{ NULL,		0,			NULL, 0 }
};

struct probe {
	struct dmd_cache *cache;
	struct dmd_fetch fetch;
	const char	*name;
	double		 value;		/* the value looked for */
	double		 last;		/* ... by the previous probe */
	int64_t		 time;
	int		 seen;
};

static void __attribute__((noreturn))
usage(void)
{
	fputs(synopsis, stderr);
	exit(DMD_EXIT_USAGE);
}

static int
on_series(void *arg, const char *name, const struct dmd_sample *s, size_t n)
{
	struct probe *p = arg;
	size_t i;

	(void)name;
	for (i = 0; i < n; i++)
		if (s[i].time == p->time && s[i].value == p->value)
			p->seen = 1;
	return 0;
}

/* One probe: its latency in ms, or -1 if not visible within timeout_ms
 * (-2 when a backend failed, with a warning). */
static double
probe_once(struct probe *p, int64_t timeout_ms, unsigned long k)
{
	struct dmd_batch b;
	struct dmd_point pt;
	struct timespec ts;
	const char *names[1];
	double t0, t, wait = 1;

	/* a value no earlier probe wrote: the wall clock in microseconds,
	 * modulo 10^12 (11.6 days: an integer that prints as one), moved
	 * on should the clock not have moved */
	clock_gettime(CLOCK_REALTIME, &ts);
	p->time = (int64_t)ts.tv_sec;
	p->value = (double)(ts.tv_sec % 1000000) * 1e6 +
	    (double)(ts.tv_nsec / 1000);
	if (p->value <= p->last)
		p->value = p->last + 1;
	p->last = p->value;
	(void)k;
	p->seen = 0;
	pt.name = p->name;
	pt.namelen = strlen(p->name);
	pt.time = p->time;
	pt.value = p->value;
	dmd_batch_init(&b);
	dmd_batch_add(&b, &pt);
	t0 = dmd_mono_seconds();
	if (dmd_cache_put(p->cache, &b) != 0) {
		warnx("cache: %s", p->cache->errstr);
		dmd_batch_release(&b);
		return -2;
	}
	dmd_batch_release(&b);
	names[0] = p->name;
	for (;;) {
		if (dmd_fetch_read(&p->fetch, names, 1, p->time, p->time,
		    on_series, p) != 0) {
			warnx("%s: %s", p->fetch.which, p->fetch.errstr);
			return -2;
		}
		t = dmd_mono_seconds();
		if (p->seen)
			return (t - t0) * 1e3;
		if ((t - t0) * 1e3 >= (double)timeout_ms)
			return -1;
		dmd_sleep_ms((int64_t)wait, NULL);
		if ((wait *= 2) > POLL_MAX_MS)
			wait = POLL_MAX_MS;
	}
}

static int
cmpd(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void
point(const char *what, int64_t t, double v)
{
	char buf[DMD_VALUE_STRMAX];

	dmd_value_format(v, buf);
	printf("{\"name\":\"dmd.e2e.%s.%s\",\"time\":%lld,\"value\":%s}\n",
	    dmd_hostname(), what, (long long)t, buf);
}

int
main(int argc, char *argv[])
{
	struct probe p;
	const char *cache_url, *table_url, *errstr;
	char errbuf[DMD_ERRSTR_MAX], defname[DMD_NAME_MAX + 1];
	char why[DMD_REASON_MAX];
	int64_t timeout_ms = 10000, interval_ms = 1000, count = 1, i;
	double *lat, ms;
	size_t nok = 0;
	int ch, status = DMD_EXIT_OK, failed = 0, broken = 0;

	dmd_prog_init();
	memset(&p, 0, sizeof(p));
	cache_url = dmd_env("DMD_CACHE", "redis://127.0.0.1:6379");
	if ((table_url = getenv("DMD_TABLE")) == NULL)
		table_url = DMD_TABLE_DEFAULT;
	snprintf(defname, sizeof(defname), "dmd.e2e.%s.probe", dmd_hostname());
	p.name = defname;

	while ((ch = getopt_long(argc, argv, "c:hi:N:n:T:t:V", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'c':
			cache_url = optarg;
			break;
		case 'h':
			fputs(synopsis, stdout);
			exit(DMD_EXIT_OK);
		case 'i':
			interval_ms = dmd_duration_arg("interval", optarg,
			    1000, 0, 3600000);
			break;
		case 'N':
			count = dmd_strtonum(optarg, 1, 1000000, &errstr);
			if (errstr != NULL)
				errx(DMD_EXIT_USAGE, "count is %s: %s", optarg,
				    errstr);
			break;
		case 'n':
			if (dmd_name_check(optarg, strlen(optarg), why) != 0)
				errx(DMD_EXIT_USAGE, "name \"%s\": %s", optarg,
				    why);
			p.name = optarg;
			break;
		case 'T':
			timeout_ms = dmd_duration_arg("timeout", optarg, 1000,
			    1, 3600000);
			break;
		case 't':
			table_url = optarg;
			break;
		case 'V':
			printf("dmd-e2e %s\n", PACKAGE_VERSION);
			exit(DMD_EXIT_OK);
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	if ((p.cache = dmd_cache_open(cache_url, errbuf,
	    sizeof(errbuf))) == NULL)
		errx(DMD_EXIT_USAGE, "cache \"%s\": %s", cache_url, errbuf);
	/* the probe is fresh: it never reaches the archive */
	if (dmd_fetch_init(&p.fetch, p.cache, *table_url ? table_url : NULL,
	    NULL, 1, errbuf, sizeof(errbuf)) != 0)
		errx(DMD_EXIT_USAGE, "table \"%s\": %s", table_url, errbuf);

	lat = calloc((size_t)count, sizeof(*lat));
	if (lat == NULL)
		err(DMD_EXIT_IO, NULL);
	for (i = 0; i < count; i++) {
		if (i > 0)
			dmd_sleep_ms(interval_ms, NULL);
		ms = probe_once(&p, timeout_ms, (unsigned long)i);
		if (ms == -2) {
			broken = 1;
			failed++;
			break;
		}
		if (ms < 0) {
			warnx("probe %lld: %s not readable within %lld ms",
			    (long long)i + 1, p.name, (long long)timeout_ms);
			failed++;
		} else
			lat[nok++] = ms;
	}
	if (nok > 0) {
		int64_t now = dmd_wall_seconds();

		qsort(lat, nok, sizeof(*lat), cmpd);
		point("latency_ms", now, lat[(nok - 1) / 2]);
		if (count > 1) {
			point("latency_ms_p99", now,
			    lat[(size_t)ceil(0.99 * (double)nok) - 1]);
			point("latency_ms_max", now, lat[nok - 1]);
		}
	}
	point("success", dmd_wall_seconds(), !broken && failed == 0);
	if (count > 1)
		point("failures", dmd_wall_seconds(), (double)failed);
	if (broken)
		status = DMD_EXIT_BACKEND;
	else if (failed > 0)
		status = EXIT_NOT_VISIBLE;
	free(lat);
	dmd_fetch_release(&p.fetch);
	dmd_cache_close(p.cache);
	if (fflush(stdout) != 0 && status == DMD_EXIT_OK) {
		warn("stdout");
		status = DMD_EXIT_IO;
	}
	return status;
}
