/*
 * timearg.c - parse user-given times (see timearg.h).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "numarg.h"
#include "point.h"
#include "timearg.h"

static int
digits(const char *s, int n, int *out)
{
	int i, v = 0;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

static int
days_in_month(int y, int m)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return days[m - 1];
}

/* YYYY-MM-DD[(T| )HH:MM[:SS[.fff]]][Z|(+|-)HH[:]MM] */
static int
iso8601(const char *s, int64_t *t)
{
	struct tm tm;
	int y, mo, d, h = 0, mi = 0, sec = 0, oh = 0, om = 0, sign = 0;
	const char *p = s;
	time_t v;

	memset(&tm, 0, sizeof(tm));
	if (strlen(s) < 10 || digits(p, 4, &y) || p[4] != '-' ||
	    digits(p + 5, 2, &mo) || p[7] != '-' || digits(p + 8, 2, &d))
		return -1;
	p += 10;
	if (*p == 'T' || *p == 't' || *p == ' ') {
		if (digits(p + 1, 2, &h) || p[3] != ':' || digits(p + 4, 2, &mi))
			return -1;
		p += 6;
		if (*p == ':') {
			if (digits(p + 1, 2, &sec))
				return -1;
			p += 3;
			if (*p == '.')
				for (p++; *p >= '0' && *p <= '9'; p++)
					;
		}
	}
	if (*p == 'Z' || *p == 'z')
		p++;
	else if (*p == '+' || *p == '-') {
		sign = *p == '-' ? -1 : 1;
		if (digits(p + 1, 2, &oh))
			return -1;
		p += 3;
		if (*p == ':')
			p++;
		if (digits(p, 2, &om))
			return -1;
		p += 2;
	}
	if (*p != '\0' || mo < 1 || mo > 12 || d < 1 ||
	    d > days_in_month(y, mo) || h > 23 || mi > 59 || sec > 60 ||
	    oh > 23 || om > 59)
		return -1;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	v = timegm(&tm);	/* a leap second :60 becomes :00 of the next minute */
	*t = (int64_t)v - sign * (oh * 3600 + om * 60);
	return 0;
}

int
dmd_time_parse(const char *s, int64_t now, int64_t *t, char *err,
    size_t errlen)
{
	const char *errstr;
	int64_t v;

	if (strcmp(s, "now") == 0) {
		*t = now;
		return 0;
	}
	if ((*s == '-' || *s == '+') && s[1] >= '0' && s[1] <= '9') {
		v = dmd_duration_ms(s + 1, 1000, DMD_TIME_MAX * 1000, &errstr);
		if (errstr == NULL) {
			*t = now + (*s == '-' ? -1 : 1) * (v / 1000);
			return 0;
		}
	} else if (*s >= '0' && *s <= '9' && strchr(s, '-') == NULL) {
		v = dmd_strtonum(s, 0, DMD_TIME_MAX, &errstr);
		if (errstr == NULL) {
			*t = v;
			return 0;
		}
		snprintf(err, errlen, "time \"%s\": %s", s, errstr);
		return -1;
	} else if (iso8601(s, &v) == 0) {
		*t = v;
		return 0;
	}
	snprintf(err, errlen, "bad time \"%s\" (want Unix seconds, "
	    "2026-11-24T10:00:00Z, now, or -30m/-1h/-7d)", s);
	return -1;
}
