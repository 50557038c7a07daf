/*
 * dmd-e2e - the end-to-end probe: write a point with a unique value
 * through the real write path (a batch put into the cache, as dmd-ingest
 * does), poll the real read path (the tiers merged, as dmd-query reads
 * them) until that exact value is visible, and print the latency and the
 * outcome as points.  Run from cron: `* * * * * dmd-e2e | dmd-ingest`.
 *
 * With --write-url and --read-url it probes another store the same way
 * (VictoriaMetrics, Graphite): POST (or send
 * over TCP) a rendered body, then GET the read URL until its body holds
 * the rendered match, so the two stores can be compared by one number.
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
#include "http.h"
#include "numarg.h"
#include "point.h"
#include "prog.h"
#include "table.h"
#include "url.h"

#define EXIT_NOT_VISIBLE	6	/* a probe not readable in time */
#define POLL_MAX_MS	50	/* polls back off from 1 ms to this */
#define HTTP_POLL_MAX_MS 250	/* ... over HTTP */
#define TEMPLATE_MAX	8192	/* a rendered template */

static const char synopsis[] =
    "usage: dmd-e2e [-hV] [-c url] [-i interval] [-l label] [-N count]\n"
    "               [-n name] [-T timeout] [-t url]\n"
    "       dmd-e2e -w url [-b template] -r url [-m template] [-i interval]\n"
    "               [-l label] [-N count] [-n name] [-T timeout]\n";

static const struct option longopts[] = {
	{ "cache",	required_argument,	NULL, 'c' },
	{ "count",	required_argument,	NULL, 'N' },
	{ "help",	no_argument,		NULL, 'h' },
	{ "interval",	required_argument,	NULL, 'i' },
	{ "label",	required_argument,	NULL, 'l' },
	{ "read-match",	required_argument,	NULL, 'm' },
	{ "read-url",	required_argument,	NULL, 'r' },
	{ "write-body",	required_argument,	NULL, 'b' },
	{ "write-url",	required_argument,	NULL, 'w' },
	{ "name",	required_argument,	NULL, 'n' },
	{ "table",	required_argument,	NULL, 't' },
	{ "timeout",	required_argument,	NULL, 'T' },
	{ "version",	no_argument,		NULL, 'V' },
	{ NULL,		0,			NULL, 0 }
};

struct probe {
	struct dmd_cache *cache;
	struct dmd_fetch fetch;
	/* another store, over HTTP: templates, and the last responses */
	const char	*write_url, *write_body, *read_url, *read_match;
	struct dmd_http	 http;
	long		 http_timeout_ms;
	const char	*name;
	double		 value;		/* the value looked for */
	double		 last;		/* ... by the previous probe */
	int64_t		 time;
	int		 seen;
};

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

/* Render template t into out (TEMPLATE_MAX bytes): {name}, {time},
 * {time_ms} and {value} are replaced, and the escapes \n, \t and \\
 * understood, so a crontab line can hold a body.  -1 if too long. */
static int
render(const struct probe *p, const char *t, char *out)
{
	char v[DMD_VALUE_STRMAX], num[32];
	const char *rep;
	size_t o = 0, n;

	dmd_value_format(p->value, v);
	while (*t != '\0') {
		rep = NULL;
		n = 1;
		if (strncmp(t, "{name}", 6) == 0) {
			rep = p->name;
			n = 6;
		} else if (strncmp(t, "{time}", 6) == 0) {
			snprintf(num, sizeof(num), "%lld", (long long)p->time);
			rep = num;
			n = 6;
		} else if (strncmp(t, "{time_ms}", 9) == 0) {
			snprintf(num, sizeof(num), "%lld000",
			    (long long)p->time);
			rep = num;
			n = 9;
		} else if (strncmp(t, "{value}", 7) == 0) {
			rep = v;
			n = 7;
		} else if (t[0] == '\\' && (t[1] == 'n' || t[1] == 't' ||
		    t[1] == '\\')) {
			rep = t[1] == 'n' ? "\n" : t[1] == 't' ? "\t" : "\\";
			n = 2;
		}
		if (rep == NULL) {
			if (o + 1 >= TEMPLATE_MAX)
				return -1;
			out[o++] = *t;
		} else {
			if (o + strlen(rep) >= TEMPLATE_MAX)
				return -1;
			memcpy(out + o, rep, strlen(rep));
			o += strlen(rep);
		}
		t += n;
	}
	out[o] = '\0';
	return 0;
}

/* Length of the first line of a response body, at most 200 bytes: the
 * part of a server's error worth a line on stderr. */
static int
first_line(const char *body)
{
	size_t n = strcspn(body, "\r\n");

	return n > 200 ? 200 : (int)n;
}

/* Write the probe point into diamond: a batch put into the cache. */
static int
diamond_write(struct probe *p)
{
	struct dmd_batch b;
	struct dmd_point pt;
	int rv = 0;

	pt.name = p->name;
	pt.namelen = strlen(p->name);
	pt.time = p->time;
	pt.value = p->value;
	dmd_batch_init(&b);
	dmd_batch_add(&b, &pt);
	if (dmd_cache_put(p->cache, &b) != 0) {
		warnx("cache: %s", p->cache->errstr);
		rv = -1;
	}
	dmd_batch_release(&b);
	return rv;
}

/* Read it back through every tier: sets p->seen. */
static int
diamond_read(struct probe *p)
{
	const char *names[1] = { p->name };

	if (dmd_fetch_read(&p->fetch, names, 1, p->time, p->time,
	    on_series, p) != 0) {
		warnx("%s: %s", p->fetch.which, p->fetch.errstr);
		return -1;
	}
	return 0;
}

/* The other store: POST the body (or send it over TCP). */
static int
http_write(struct probe *p)
{
	char url[TEMPLATE_MAX], body[TEMPLATE_MAX], err[DMD_ERRSTR_MAX];
	size_t len;

	if (render(p, p->write_url, url) != 0 ||
	    render(p, p->write_body, body) != 0) {
		warnx("a rendered template is longer than %d bytes",
		    TEMPLATE_MAX - 1);
		return -1;
	}
	len = strlen(body);
	if (strncmp(url, "tcp://", 6) == 0) {
		/* carbon's plaintext protocol: lines */
		if (len == 0 || body[len - 1] != '\n') {
			if (len + 1 >= sizeof(body)) {
				warnx("a rendered template is longer than %d "
				    "bytes", TEMPLATE_MAX - 1);
				return -1;
			}
			body[len++] = '\n';
			body[len] = '\0';
		}
		if (dmd_tcp_send(url + 6, body, len, p->http_timeout_ms, err,
		    sizeof(err)) != 0) {
			warnx("write: %s", err);
			return -1;
		}
		return 0;
	}
	if (dmd_http_do(&p->http, "POST", url, NULL, body, len,
	    p->http_timeout_ms, err, sizeof(err)) != 0) {
		warnx("write: %s", err);
		return -1;
	}
	if (p->http.status < 200 || p->http.status > 299) {
		warnx("write: POST %s: HTTP status %ld: %.*s", url,
		    p->http.status, first_line(p->http.body), p->http.body);
		return -1;
	}
	return 0;
}

/* GET the read URL: seen when the body holds the rendered match. */
static int
http_read(struct probe *p)
{
	char url[TEMPLATE_MAX], match[TEMPLATE_MAX], err[DMD_ERRSTR_MAX];

	if (render(p, p->read_url, url) != 0 ||
	    render(p, p->read_match, match) != 0) {
		warnx("a rendered template is longer than %d bytes",
		    TEMPLATE_MAX - 1);
		return -1;
	}
	if (dmd_http_do(&p->http, "GET", url, NULL, NULL, 0,
	    p->http_timeout_ms, err, sizeof(err)) != 0) {
		warnx("read: %s", err);
		return -1;
	}
	if (p->http.status < 200 || p->http.status > 299) {
		warnx("read: GET %s: HTTP status %ld: %.*s", url,
		    p->http.status, first_line(p->http.body), p->http.body);
		return -1;
	}
	p->seen = strstr(p->http.body, match) != NULL;
	return 0;
}

/* One probe: its latency in ms, or -1 if not visible within timeout_ms
 * (-2 when a backend failed, with a warning). */
static double
probe_once(struct probe *p, int64_t timeout_ms)
{
	struct timespec ts;
	double t0, t, wait = 1;
	int http = p->write_url != NULL;
	int64_t maxwait = http ? HTTP_POLL_MAX_MS : POLL_MAX_MS;

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
	p->seen = 0;
	/* a request may not outlast the probe */
	p->http_timeout_ms = timeout_ms;
	t0 = dmd_mono_seconds();
	if ((http ? http_write(p) : diamond_write(p)) != 0)
		return -2;
	for (;;) {
		if ((http ? http_read(p) : diamond_read(p)) != 0)
			return -2;
		t = dmd_mono_seconds();
		if (p->seen)
			return (t - t0) * 1e3;
		if ((t - t0) * 1e3 >= (double)timeout_ms)
			return -1;
		dmd_sleep_ms((int64_t)wait, NULL);
		if ((wait *= 2) > maxwait)
			wait = (double)maxwait;
	}
}

static int
cmpd(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static const char *label;	/* --label: dmd.e2e.HOST.LABEL.x */

/* Templates too long even for the longest values: a usage error now,
 * not a failed probe later. */
static void
check_templates(struct probe *p)
{
	const char *t[4] = { p->write_url, p->write_body, p->read_url,
	    p->read_match };
	char out[TEMPLATE_MAX];
	int i;

	p->value = 999999999999;
	p->time = 253402300799;
	for (i = 0; i < 4; i++)
		if (render(p, t[i], out) != 0 || (i == 1 &&
		    strlen(out) + 1 >= sizeof(out)))
			errx(DMD_EXIT_USAGE, "a template rendered is longer "
			    "than %d bytes", TEMPLATE_MAX - 2);
	p->value = p->last = 0;
	p->time = 0;
}

static void
point(const char *what, int64_t t, double v)
{
	char buf[DMD_VALUE_STRMAX];

	dmd_value_format(v, buf);
	printf("{\"name\":\"dmd.e2e.%s.%s%s%s\",\"time\":%lld,"
	    "\"value\":%s}\n", dmd_hostname(), label ? label : "",
	    label ? "." : "", what, (long long)t, buf);
}

int
main(int argc, char *argv[])
{
	struct probe p;
	const char *cache_url, *table_url, *errstr;
	char errbuf[DMD_ERRSTR_MAX], defname[DMD_NAME_MAX + 1];
	char shown[DMD_URL_SHOWN_MAX];
	char why[DMD_REASON_MAX];
	int64_t timeout_ms = -1, interval_ms = 1000, count = 1, i;
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

	while ((ch = getopt_long(argc, argv, "b:c:hi:l:m:N:n:r:T:t:Vw:", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'b':
			p.write_body = optarg;
			break;
		case 'c':
			cache_url = optarg;
			break;
		case 'l':
			if (dmd_name_check(optarg, strlen(optarg), why) != 0)
				errx(DMD_EXIT_USAGE, "label \"%s\": %s", optarg,
				    why);
			label = optarg;
			break;
		case 'm':
			p.read_match = optarg;
			break;
		case 'r':
			p.read_url = optarg;
			break;
		case 'w':
			p.write_url = optarg;
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
			dmd_usage(synopsis);
		}
	}
	if (optind != argc)
		dmd_usage(synopsis);
	if ((p.write_url == NULL) != (p.read_url == NULL))
		errx(DMD_EXIT_USAGE, "--write-url and --read-url go together");
	if (p.write_url == NULL && (p.write_body || p.read_match))
		errx(DMD_EXIT_USAGE, "--write-body and --read-match need "
		    "--write-url and --read-url");
	if (p.write_url != NULL) {
		if (strncmp(p.write_url, "http://", 7) != 0 &&
		    strncmp(p.write_url, "https://", 8) != 0 &&
		    strncmp(p.write_url, "tcp://", 6) != 0)
			errx(DMD_EXIT_USAGE, "write URL \"%s\": want http://, "
			    "https:// or tcp://", p.write_url);
		if (strncmp(p.read_url, "http://", 7) != 0 &&
		    strncmp(p.read_url, "https://", 8) != 0)
			errx(DMD_EXIT_USAGE, "read URL \"%s\": want http:// "
			    "or https://", p.read_url);
		if (p.write_body == NULL)	/* carbon's plaintext line */
			p.write_body = "{name} {value} {time}\\n";
		if (p.read_match == NULL)
			p.read_match = "{value}";
		if (*p.read_match == '\0')
			errx(DMD_EXIT_USAGE, "an empty --read-match matches "
			    "anything");
		check_templates(&p);
		/* other stores may take seconds to show a point */
		if (timeout_ms < 0)
			timeout_ms = 60000;
		dmd_http_init(&p.http);
	} else {
		if (timeout_ms < 0)
			timeout_ms = 10000;
		if ((p.cache = dmd_cache_open(cache_url, errbuf,
		    sizeof(errbuf))) == NULL)
			errx(DMD_EXIT_USAGE, "cache \"%s\": %s",
			    dmd_url_shown(cache_url, shown, sizeof(shown)),
			    errbuf);
		/* the probe is fresh: it never reaches the archive */
		if (dmd_fetch_init(&p.fetch, p.cache, *table_url ? table_url :
		    NULL, NULL, 1, errbuf, sizeof(errbuf)) != 0)
			errx(DMD_EXIT_USAGE, "table \"%s\": %s", table_url,
			    errbuf);
	}

	lat = calloc((size_t)count, sizeof(*lat));
	if (lat == NULL)
		err(DMD_EXIT_IO, NULL);
	for (i = 0; i < count; i++) {
		if (i > 0)
			dmd_sleep_ms(interval_ms, NULL);
		ms = probe_once(&p, timeout_ms);
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
	if (p.write_url != NULL)
		dmd_http_release(&p.http);
	else {
		dmd_fetch_release(&p.fetch);
		dmd_cache_close(p.cache);
	}
	if (fflush(stdout) != 0 && status == DMD_EXIT_OK) {
		warn("stdout");
		status = DMD_EXIT_IO;
	}
	return status;
}
