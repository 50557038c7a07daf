/*
 * logrec.h - the bytes of a record of the intake log (stream.h).
 *
 * A record holds points of the series of one partition, compressed as
 * the cache holds them (block.h):
 *
 *   "DMR1"                      magic
 *   then, until the end:
 *     varint namelen, name      a valid point name
 *     varint blocklen, block    its samples: sorted, unique times
 *
 * One series may appear in several entries of a record and of later
 * records; entries keep the order the points were put in, so a reader
 * that stores them in order stores the last value put for each time.
 */
#ifndef DMD_LOGREC_H
#define DMD_LOGREC_H

#include <stddef.h>
#include <stdint.h>

#include "point.h"

#define DMD_LOGREC_MAGIC	"DMR1"
#define DMD_LOGREC_SAMPLES	16384	/* most samples of one entry */

/* Room an entry of n samples (n <= DMD_LOGREC_SAMPLES) of a name of
 * namelen bytes needs. */
size_t dmd_logrec_bound(size_t namelen, size_t n);

/* Write the magic (if len is 0) and one entry at out + *len, which has
 * room for dmd_logrec_bound() more bytes; *len grows. */
void dmd_logrec_add(unsigned char *out, size_t *len, const char *name,
    size_t namelen, const struct dmd_sample *s, size_t n);

/* Called for each entry of a record: samples valid during the call. */
typedef int dmd_logrec_cb(void *arg, const char *name, size_t namelen,
    const struct dmd_sample *s, size_t n);

/* Decode a record, calling cb for each entry in order.  Returns 0, a
 * callback's nonzero return, or -1 for a malformed record, with why
 * (DMD_REASON_MAX bytes) set; no entry has then been passed to cb (a
 * record is checked whole first: it is read whole or not at all). */
int dmd_logrec_decode(const unsigned char *data, size_t len,
    dmd_logrec_cb *cb, void *arg, char *why);

#endif
