/*
 * numarg.h - the one checked parser for numbers given by users.
 *
 * Modelled on OpenBSD strtonum(3): a whole decimal integer in [min, max]
 * or an error string ("too small", "too large", "invalid") the caller puts
 * in its message: "batch size is 0: too small".
 */
#ifndef DMD_NUMARG_H
#define DMD_NUMARG_H

#include <stdint.h>

/* Parse s as a decimal integer in [min, max].  On success return it and
 * set *errstr to NULL; on failure return 0 and point *errstr at a static
 * reason. */
int64_t dmd_strtonum(const char *s, int64_t min, int64_t max,
    const char **errstr);

/* Parse a duration: an integer with an optional unit ms, s, m, h, d or w
 * (no unit means unit_default, given in milliseconds).  The result is in
 * milliseconds, in [0, max_ms].  Errors as for dmd_strtonum. */
int64_t dmd_duration_ms(const char *s, int64_t unit_default, int64_t max_ms,
    const char **errstr);

#endif
