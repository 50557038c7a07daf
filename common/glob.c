/*
 * glob.c - Graphite name patterns (see glob.h).
 *
 * Braces are expanded first; then, since no wildcard crosses a dot, an
 * alternative matches when it has as many components as the name and
 * each component matches on its own.  Within a component the classic
 * one-backtrack-point algorithm keeps '*' linear instead of exponential.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "glob.h"
#include "point.h"
#include "xmalloc.h"

struct strlist {
	char		**v;
	size_t		 n, cap;
};

static void
sl_push(struct strlist *l, char *s)
{
	l->v = xgrow(l->v, &l->cap, l->n + 1, sizeof(*l->v));
	l->v[l->n++] = s;
}

static void
sl_free(struct strlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/* Find the brace closing the one at p[0]; NULL if unbalanced. */
static const char *
brace_end(const char *p)
{
	int depth = 0;

	for (; *p; p++) {
		if (*p == '{')
			depth++;
		else if (*p == '}' && --depth == 0)
			return p;
	}
	return NULL;
}

/* Expand the first brace group of s (recursively) into out. */
static int
expand(const char *s, struct strlist *out, char *err, size_t errlen)
{
	const char *open = strchr(s, '{'), *close, *a, *q;
	int depth;

	if (open == NULL) {
		if (strchr(s, '}') != NULL) {
			snprintf(err, errlen, "unbalanced '}'");
			return -1;
		}
		if (out->n >= DMD_GLOB_MAX_ALTS) {
			snprintf(err, errlen, "more than %d alternatives",
			    DMD_GLOB_MAX_ALTS);
			return -1;
		}
		sl_push(out, xstrdup(s));
		return 0;
	}
	if ((close = brace_end(open)) == NULL) {
		snprintf(err, errlen, "unbalanced '{'");
		return -1;
	}
	for (a = q = open + 1, depth = 0; q <= close; q++) {
		if (*q == '{')
			depth++;
		else if (*q == '}' && depth > 0)
			depth--;
		else if ((*q == ',' && depth == 0) || q == close) {
			size_t pre = open - s, alt = q - a;
			char *t = xmalloc(pre + alt + strlen(close + 1) + 1);
			int rc;

			memcpy(t, s, pre);
			memcpy(t + pre, a, alt);
			strcpy(t + pre + alt, close + 1);
			rc = expand(t, out, err, errlen);
			free(t);
			if (rc != 0)
				return -1;
			a = q + 1;
		}
	}
	return 0;
}

int
dmd_glob_compile(struct dmd_glob *g, const char *pattern, char *err,
    size_t errlen)
{
	struct strlist l = { NULL, 0, 0 };
	size_t i;
	const char *p;

	memset(g, 0, sizeof(*g));
	if (*pattern == '\0') {
		snprintf(err, errlen, "empty pattern");
		return -1;
	}
	if (expand(pattern, &l, err, errlen) != 0) {
		sl_free(&l);
		return -1;
	}
	g->literal = 1;
	for (i = 0; i < l.n; i++) {
		int inclass = 0;

		for (p = l.v[i]; *p; p++) {
			if (*p == '*' || *p == '?')
				g->literal = 0;
			else if (*p == '[') {
				g->literal = 0;
				inclass = 1;
			} else if (*p == ']')
				inclass = 0;
		}
		if (inclass) {
			snprintf(err, errlen, "unbalanced '['");
			sl_free(&l);
			return -1;
		}
	}
	g->alts = l.v;
	g->nalts = l.n;
	return 0;
}

void
dmd_glob_free(struct dmd_glob *g)
{
	size_t i;

	if (g == NULL)
		return;
	for (i = 0; i < g->nalts; i++)
		free(g->alts[i]);
	free(g->alts);
	memset(g, 0, sizeof(*g));
}

/* Does class at p (just after '[') match c?  *end gets the byte after
 * the closing ']'. */
static int
class_match(const char *p, char c, const char **end)
{
	int neg = 0, hit = 0;

	if (*p == '!' || *p == '^') {
		neg = 1;
		p++;
	}
	do {
		if (p[1] == '-' && p[2] != ']' && p[2] != '\0') {
			if (c >= p[0] && c <= p[2])
				hit = 1;
			p += 3;
		} else {
			if (c == *p)
				hit = 1;
			p++;
		}
	} while (*p != ']' && *p != '\0');
	*end = *p ? p + 1 : p;
	return hit != neg;
}

/* Match one component: pattern [p, pe) against [s, se). */
static int
comp_match(const char *p, const char *pe, const char *s, const char *se)
{
	const char *star = NULL, *ss = NULL, *next;

	while (s < se) {
		if (p < pe && *p == '*') {
			star = ++p;
			ss = s;
			continue;
		}
		if (p < pe && *p == '?') {
			p++;
			s++;
			continue;
		}
		if (p < pe && *p == '[') {
			if (class_match(p + 1, *s, &next) && next <= pe) {
				p = next;
				s++;
				continue;
			}
		} else if (p < pe && *p == *s) {
			p++;
			s++;
			continue;
		}
		if (star == NULL)
			return 0;
		p = star;
		s = ++ss;
	}
	while (p < pe && *p == '*')
		p++;
	return p == pe;
}

/* End of the component starting at p: the next '.' not inside [...]. */
static const char *
comp_end(const char *p)
{
	int inclass = 0;

	for (; *p; p++) {
		if (*p == '[')
			inclass = 1;
		else if (*p == ']')
			inclass = 0;
		else if (*p == '.' && !inclass)
			break;
	}
	return p;
}

static int
alt_match(const char *p, const char *s, const char *se)
{
	for (;;) {
		const char *pe = comp_end(p);
		const char *dot = memchr(s, '.', se - s);
		const char *ce = dot ? dot : se;

		if (!comp_match(p, pe, s, ce))
			return 0;
		if (*pe == '\0' || dot == NULL)
			return *pe == '\0' && dot == NULL;
		p = pe + 1;
		s = dot + 1;
	}
}

int
dmd_glob_match(const struct dmd_glob *g, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < g->nalts; i++)
		if (alt_match(g->alts[i], name, name + len))
			return 1;
	return 0;
}

const char *
dmd_glob_first(const struct dmd_glob *g, size_t i, size_t *len)
{
	const char *a = g->alts[i];
	size_t n = strcspn(a, ".");

	if (strcspn(a, "*?[") < n)
		return NULL;
	*len = n;
	return a;
}

int
dmd_glob_compile_names(struct dmd_glob *g, const char *pat, char *err,
    size_t errlen)
{
	char why[DMD_REASON_MAX];
	size_t i;

	if (dmd_glob_compile(g, pat, err, errlen) != 0)
		return -1;
	for (i = 0; g->literal && i < g->nalts; i++)
		if (dmd_name_check(g->alts[i], strlen(g->alts[i]), why) != 0) {
			snprintf(err, errlen, "%s", why);
			dmd_glob_free(g);
			return -1;
		}
	return 0;
}

int
dmd_glob_check(const char *pat, char *err, size_t errlen)
{
	struct dmd_glob g;

	if (dmd_glob_compile_names(&g, pat, err, errlen) != 0)
		return -1;
	dmd_glob_free(&g);
	return 0;
}
