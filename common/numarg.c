/*
 * numarg.c - checked parsing of numbers and durations from users.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "numarg.h"

int64_t
dmd_strtonum(const char *s, int64_t min, int64_t max, const char **errstr)
{
	long long v;
	char *end;

	*errstr = "invalid";
	if (s == NULL || *s == '\0' || isspace((unsigned char)*s))
		return 0;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (*end != '\0')
		return 0;
	if ((errno == ERANGE && v == LLONG_MIN) || v < min) {
		*errstr = "too small";
		return 0;
	}
	if ((errno == ERANGE && v == LLONG_MAX) || v > max) {
		*errstr = "too large";
		return 0;
	}
	*errstr = NULL;
	return v;
}

int64_t
dmd_duration_ms(const char *s, int64_t unit_default, int64_t max_ms,
    const char **errstr)
{
	static const struct { const char *suffix; int64_t ms; } units[] = {
		{ "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 },
		{ "d", 86400000 }, { "w", 604800000 },
	};
	char num[32];
	int64_t unit = unit_default, v;
	size_t n, i;

	*errstr = "invalid";
	if (s == NULL)
		return 0;
	for (n = 0; s[n] >= '0' && s[n] <= '9'; n++)
		;
	if (n == 0 || n >= sizeof(num))
		return 0;
	if (s[n] != '\0') {
		for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
			if (strcmp(s + n, units[i].suffix) == 0)
				break;
		if (i == sizeof(units) / sizeof(units[0]))
			return 0;
		unit = units[i].ms;
	}
	memcpy(num, s, n);
	num[n] = '\0';
	v = dmd_strtonum(num, 0, max_ms / unit, errstr);
	return *errstr ? 0 : v * unit;
}
