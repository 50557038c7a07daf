/*
 * clock.c - monotonic and wall clocks (see clock.h).
 */
#include <errno.h>
#include <time.h>

#include "clock.h"

int64_t
dmd_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

double
dmd_mono_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int64_t
dmd_wall_seconds(void)
{
	return (int64_t)time(NULL);
}

int64_t
dmd_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
dmd_sleep_ms(int64_t ms, volatile int *stop)
{
	struct timespec ts;
	int64_t slice;

	/* In slices: the signal that sets *stop may be delivered to
	 * another thread, so EINTR alone cannot be relied on. */
	while (ms > 0 && (stop == NULL || !*stop)) {
		slice = ms < 50 ? ms : 50;
		ts.tv_sec = 0;
		ts.tv_nsec = slice * 1000000;
		while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
			if (stop != NULL && *stop)
				return;
		ms -= slice;
	}
}
