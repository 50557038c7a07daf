/*
 * clock.h - the two clocks: monotonic for delays and latencies, wall for
 * point times.
 */
#ifndef DMD_CLOCK_H
#define DMD_CLOCK_H

#include <stdint.h>

/* Milliseconds on CLOCK_MONOTONIC. */
int64_t dmd_mono_ms(void);

/* Seconds on CLOCK_MONOTONIC, as a double. */
double dmd_mono_seconds(void);

/* Wall-clock Unix seconds. */
int64_t dmd_wall_seconds(void);
int64_t dmd_wall_ms(void);

/* Sleep ms milliseconds, or less once *stop is set (checked at least
 * every 50 ms, from any thread; stop may be NULL). */
void dmd_sleep_ms(int64_t ms, volatile int *stop);

#endif
