/*
 * glob.h - Graphite name patterns.
 *
 * '*' matches any run of characters and '?' any one character within one
 * dot-separated component; '[a-z]' (or '[!a-z]', '[^a-z]') a character
 * class within a component; '{a,b}' picks alternatives (nestable, and may
 * span dots).  A pattern with no wildcard left after expanding braces is
 * a list of literal names, which a reader looks up directly instead of
 * scanning every name.
 */
#ifndef DMD_GLOB_H
#define DMD_GLOB_H

#include <stddef.h>

#define DMD_GLOB_MAX_ALTS	4096	/* alternatives after brace expansion */

struct dmd_glob {
	char		**alts;		/* brace-expanded patterns */
	size_t		 nalts;
	int		 literal;	/* no * ? [ in any alternative */
};

/* Compile pattern into g.  Returns 0, or -1 with a reason in err (errlen
 * bytes): unbalanced braces or brackets, too many alternatives.  Free
 * with dmd_glob_free(). */
int dmd_glob_compile(struct dmd_glob *g, const char *pattern, char *err,
    size_t errlen);

/* Free what g holds.  Accepts NULL. */
void dmd_glob_free(struct dmd_glob *g);

/* As dmd_glob_compile(), and a pattern without wildcards must name only
 * valid names (point.h): a query takes it all or not at all. */
int dmd_glob_compile_names(struct dmd_glob *g, const char *pattern,
    char *err, size_t errlen);

/* 0 if pattern is one a query takes (dmd_glob_compile_names()), or -1
 * with a message in err. */
int dmd_glob_check(const char *pattern, char *err, size_t errlen);

/* The first dot-separated component of alternative i of g if it holds
 * no wildcard (its length in *len), else NULL: every name the
 * alternative matches starts with it, so a reader lists only the names
 * of that first component. */
const char *dmd_glob_first(const struct dmd_glob *g, size_t i, size_t *len);

/* 1 if name (len bytes) matches g, else 0. */
int dmd_glob_match(const struct dmd_glob *g, const char *name, size_t len);

#endif
