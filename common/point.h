/*
 * point.h - the point: one (name, time, value) of one series.
 *
 * DESIGN.md section 3 is the contract: a name is 1-255 bytes of
 * [A-Za-z0-9._:-], a time is an integer of Unix seconds in
 * [0, 9999-12-31T23:59:59Z], a value is a finite double.  This module owns
 * those rules and the canonical text forms, so parsers, backends and
 * writers never disagree about what a valid point looks like.
 */
#ifndef DMD_POINT_H
#define DMD_POINT_H

#include <stddef.h>
#include <stdint.h>

#define DMD_NAME_MAX	255
#define DMD_TIME_MIN	0
#define DMD_TIME_MAX	253402300799LL	/* 9999-12-31T23:59:59Z */
#define DMD_REASON_MAX	128		/* reject reasons fit in this */
#define DMD_VALUE_STRMAX 32		/* dmd_value_format() output */

/* A point.  name is not NUL-terminated in general; its owner is stated by
 * whoever hands the point out. */
struct dmd_point {
	const char	*name;
	size_t		 namelen;
	int64_t		 time;
	double		 value;
};

/* One sample of a series: what a backend stores per point. */
struct dmd_sample {
	int64_t		 time;
	double		 value;
};

/* 1 for the bytes allowed in a name, 0 otherwise. */
extern const unsigned char dmd_name_chars[256];

/* Check a name.  Return 0 if valid; else -1 with a reason such as
 * "name has bad character '/'" written to why (DMD_REASON_MAX bytes). */
int dmd_name_check(const char *name, size_t len, char *why);

/* Write the shortest decimal text that reads back (strtod) to exactly v,
 * NUL-terminated, into buf (DMD_VALUE_STRMAX bytes); -0 keeps its sign.
 * Returns the length.  v must be finite. */
int dmd_value_format(double v, char *buf);

/* Append a quoted, truncated, escaped copy of s (for messages) to buf of
 * size bufsz: "abc", "\x01", "aaaa...".  Returns buf. */
char *dmd_quote(char *buf, size_t bufsz, const char *s, size_t len);

/* Length of the first dot-separated component of a name (all of it
 * when it has no dot). */
size_t dmd_name_first(const char *name, size_t len);

/* 1 if the n samples of a and b have the same times and value bits. */
int dmd_samples_same(const struct dmd_sample *a, const struct dmd_sample *b,
    size_t n);

/* Stable sort samples by time, then keep only the last sample of each
 * time (the value written last wins).  Returns the new count. */
size_t dmd_samples_resolve(struct dmd_sample *s, size_t n);

#endif
