/*
 * test-timearg.c - unit tests of common/timearg.c: times given by users.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "point.h"
#include "tap.h"
#include "timearg.h"

#define NOW	1795514400LL	/* 2026-11-24T10:00:00Z */

static void
check_time(const char *s, int64_t want)
{
	char err[200];
	int64_t t = -12345;
	int rc;

	strcpy(err, "(unset)");
	rc = dmd_time_parse(s, NOW, &t, err, sizeof(err));
	ok(rc == 0 && t == want, "'%s' is %lld", s, (long long)want);
	if (rc != 0 || t != want)
		printf("#   rc %d, t %lld, err %s\n", rc, (long long)t, err);
}

static void
check_bad(const char *s, const char *want)
{
	char err[200];
	int64_t t = -12345;
	int rc;

	strcpy(err, "(unset)");
	rc = dmd_time_parse(s, NOW, &t, err, sizeof(err));
	ok(rc == -1 && t == -12345, "rejects '%s'", s);
	if (rc != -1)
		printf("#   rc %d, t %lld\n", rc, (long long)t);
	if (want != NULL)
		is(err, want, "reason for '%s'", s);
	else
		ok(strstr(err, s) != NULL && strncmp(err, "bad time \"", 10) == 0,
		    "reason for '%s' names it", s);
}

static void
test_unix(void)
{
	check_time("0", 0);
	check_time("1", 1);
	check_time("1732406400", 1732406400);
	check_time("253402300799", DMD_TIME_MAX);
	check_time("20261124", 20261124);
	check_bad("253402300800", "time \"253402300800\": too large");
	check_bad("99999999999999999999", "time \"99999999999999999999\": "
	    "too large");
	check_bad("123abc", "time \"123abc\": invalid");
	check_bad("1.5", "time \"1.5\": invalid");
	check_bad("1 ", "time \"1 \": invalid");
}

static void
test_relative(void)
{
	check_time("now", NOW);
	check_time("-30s", NOW - 30);
	check_time("-30m", NOW - 30 * 60);
	check_time("-1h", NOW - 3600);
	check_time("-7d", NOW - 7 * 86400);
	check_time("-2w", NOW - 14 * 86400);
	check_time("+1h", NOW + 3600);
	check_time("-0s", NOW);
	check_time("-90", NOW - 90);
	check_time("-1500ms", NOW - 1);
	check_bad("-1y", NULL);
	check_bad("-h", NULL);
	check_bad("-1.5h", NULL);
	check_bad("-1hh", NULL);
	check_bad("--1h", NULL);
	check_bad("Now", NULL);
	check_bad("now ", NULL);
}

static void
test_iso(void)
{
	check_time("2026-11-24T10:00:00Z", 1795514400);
	check_time("2026-11-24T10:00Z", 1795514400);
	check_time("2026-11-24T10:00:30Z", 1795514430);
	check_time("2026-11-24T10:00:30.250Z", 1795514430);
	check_time("2026-11-24", 1795478400);
	check_time("2026-11-24T10:00:00", 1795514400);
	check_time("2026-11-24 10:00:00Z", 1795514400);
	check_time("2026-11-24t10:00:00z", 1795514400);
	check_time("2026-11-24T10:00:00+02:00", 1795507200);
	check_time("2026-11-24T10:00:00+0200", 1795507200);
	check_time("2026-11-24T10:00:00-05:30", 1795534200);
	check_time("2026-11-24T10:00+02:00", 1795507200);
	check_time("1970-01-01T00:00:00Z", 0);
	check_time("2024-02-29T12:00:00Z", 1709208000);
	check_time("9999-12-31T23:59:59Z", DMD_TIME_MAX);
	check_time("2016-12-31T23:59:59Z", 1483228799);
	/* A leap second (the only kind of :60 there is) reads as the
	 * next second, as POSIX time has it. */
	check_time("2016-12-31T23:59:60Z", 1483228800);

	check_bad("2026-02-30", NULL);
	check_bad("2026-02-29", NULL);
	check_bad("2026-04-31T00:00:00Z", NULL);
	check_bad("2026-13-01", NULL);
	check_bad("2026-00-10", NULL);
	check_bad("2026-11-00", NULL);
	check_bad("2026-11-32", NULL);
	check_bad("2026-11-24T24:00:00Z", NULL);
	check_bad("2026-11-24T10:60:00Z", NULL);
	check_bad("2026-11-24T10:00:61Z", NULL);
	check_bad("2026-11-24T10:00:00+24:00", NULL);
	check_bad("2026-11-24T10:00:00+02:60", NULL);
	check_bad("2026-11-24T10:00:00+2", NULL);
	check_bad("2026-11-24T10", NULL);
	check_bad("2026-11-24T", NULL);
	check_bad("2026-11-24T10:00:00ZZ", NULL);
	check_bad("2026-11-24x", NULL);
	check_bad("2026-1-24", NULL);
	check_bad("26-11-24", NULL);
	check_bad("2026/11/24", "time \"2026/11/24\": invalid");
	check_bad("", NULL);
	check_bad("yesterday", NULL);
	check_bad("T10:00", NULL);
}

int
main(void)
{
	test_unix();
	test_relative();
	test_iso();
	return done();
}
