/*
 * tap.h - the smallest TAP producer for the C unit tests: ok(), is(),
 * done().  Automake's tap-driver.sh counts each line.
 */
#ifndef DMD_TAP_H
#define DMD_TAP_H

#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

/* cond is evaluated once: it may have side effects (a call under test). */
#define ok(cond, ...) do {						\
	int tap_ok_ = (cond) ? 1 : 0;					\
	tap_n++;							\
	if (!tap_ok_)							\
		tap_failed++;						\
	printf("%s %d - ", tap_ok_ ? "ok" : "not ok", tap_n);		\
	printf(__VA_ARGS__);						\
	printf("\n");							\
	if (!tap_ok_)							\
		printf("#   at %s:%d\n", __FILE__, __LINE__);		\
} while (0)

#define is(got, want, ...) do {						\
	const char *g_ = (got), *w_ = (want);				\
	int c_ = g_ != NULL && w_ != NULL && strcmp(g_, w_) == 0;	\
	ok(c_, __VA_ARGS__);						\
	if (!c_)							\
		printf("#   got:  \"%s\"\n#   want: \"%s\"\n",		\
		    g_ ? g_ : "(null)", w_ ? w_ : "(null)");		\
} while (0)

static inline int
done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif
