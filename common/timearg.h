/*
 * timearg.h - times given by users: Unix seconds, ISO 8601, "now", or
 * relative to now (-30s, -30m, -1h, -7d, -2w).
 */
#ifndef DMD_TIMEARG_H
#define DMD_TIMEARG_H

#include <stddef.h>
#include <stdint.h>

/* Parse s relative to now into *t (Unix seconds).  Returns 0, or -1 with
 * a reason in err (errlen bytes). */
int dmd_time_parse(const char *s, int64_t now, int64_t *t, char *err,
    size_t errlen);

#endif
