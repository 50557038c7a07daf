/*
 * fuzz-logrec.c - libFuzzer target for dmd_logrec_decode() (common/
 * logrec.c), the reader of the intake log's records.
 *
 * A record is accepted or refused whole: a refused one hands out no
 * entry and says why.  An accepted one hands out valid names and
 * samples in strictly increasing time, in range, finite; written again
 * entry by entry with dmd_logrec_add(), it reads back to the same
 * entries.  Built and run by t/fuzz/run.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "logrec.h"
#include "xmalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct entries {
	unsigned char	*rec;		/* the entries written again */
	size_t		 len, cap;
	size_t		 n, points;
	int		 split;		/* an entry written as several */
	int		 compare;	/* 1: check against the first pass */
	size_t		 at, cpoints;
	char		 names[64][DMD_NAME_MAX + 1];
	size_t		 counts[64];
};

static int
on_entry(void *arg, const char *name, size_t namelen,
    const struct dmd_sample *s, size_t n)
{
	struct entries *e = arg;
	char why[DMD_REASON_MAX];
	size_t i;

	if (dmd_name_check(name, namelen, why) != 0 || n == 0)
		abort();
	for (i = 0; i < n; i++)
		if (s[i].time < DMD_TIME_MIN || s[i].time > DMD_TIME_MAX ||
		    !isfinite(s[i].value) || (i > 0 && s[i].time <=
		    s[i - 1].time))
			abort();
	if (e->compare) {
		e->cpoints += n;
		if (!e->split && e->at < 64 && (strlen(e->names[e->at]) != namelen ||
		    memcmp(e->names[e->at], name, namelen) != 0 ||
		    e->counts[e->at] != n))
			abort();
		e->at++;
		return 0;
	}
	if (e->n < 64) {
		memcpy(e->names[e->n], name, namelen);
		e->names[e->n][namelen] = '\0';
		e->counts[e->n] = n;
	}
	e->n++;
	e->points += n;
	e->split |= n > DMD_LOGREC_SAMPLES;
	for (i = 0; i < n; i += DMD_LOGREC_SAMPLES) {
		size_t k = n - i < DMD_LOGREC_SAMPLES ? n - i :
		    DMD_LOGREC_SAMPLES;

		e->rec = xgrow(e->rec, &e->cap, e->len + dmd_logrec_bound(
		    namelen, k), 1);
		dmd_logrec_add(e->rec, &e->len, name, namelen, s + i, k);
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct entries *e = calloc(1, sizeof(*e));
	char why[DMD_REASON_MAX];
	int rc;

	why[0] = '\0';
	rc = dmd_logrec_decode(data, size, on_entry, e, why);
	if (rc != 0 && (rc != -1 || e->n != 0 || why[0] == '\0'))
		abort();
	if (rc == 0 && e->n > 0) {
		/* written again, it reads back the same: the same entries
		 * unless one had to be split, the same points anyway */
		e->compare = 1;
		if (dmd_logrec_decode(e->rec, e->len, on_entry, e, why) != 0)
			abort();
		if (e->cpoints != e->points || (!e->split && e->at != e->n))
			abort();
	}
	free(e->rec);
	free(e);
	return 0;
}
