/*
 * fakeclock.h - clock.h for the fuzz targets that replace common/clock.c
 * (fuzz-redis, and fuzz-dynamo, fuzz-kinesis and fuzz-s3 through
 * awsstub.h): every look at the clock moves it FAKECLOCK_STEP_MS
 * milliseconds on, and a sleep moves it by the time asked and returns
 * at once, so retry and wait loops end in a bounded number of looks
 * without ever waiting.  Included by one target file only: it defines
 * the functions.
 */
#include <stdint.h>

#include "clock.h"

#ifndef FAKECLOCK_STEP_MS
#define FAKECLOCK_STEP_MS	1000
#endif

static int64_t fakeclock_ms = 1800000000000LL;

int64_t
dmd_mono_ms(void)
{
	return fakeclock_ms += FAKECLOCK_STEP_MS;
}

double
dmd_mono_seconds(void)
{
	return (double)dmd_mono_ms() / 1e3;
}

int64_t
dmd_wall_ms(void)
{
	return dmd_mono_ms();
}

int64_t
dmd_wall_seconds(void)
{
	return dmd_mono_ms() / 1000;
}

void
dmd_sleep_ms(int64_t ms, volatile int *stop)
{
	(void)stop;
	fakeclock_ms += ms;
}
