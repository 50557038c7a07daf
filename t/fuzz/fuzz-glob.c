/*
 * fuzz-glob.c - libFuzzer target for common/glob.c.
 *
 * The input is a pattern, a NUL byte, then a name (each cut to 256 bytes,
 * which keeps brace expansion and matching bounded).  A compiled pattern
 * must have 1 to DMD_GLOB_MAX_ALTS alternatives with no brace left, its
 * literal flag must agree with them, and the match must agree with a
 * reference: a literal alternative matches only its own text, and one
 * with '*' and '?' (no classes) as a dynamic-programming matcher where
 * neither crosses a dot.  Built and run by t/fuzz/run.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "glob.h"

#define PART_MAX	256
#define REF_ALTS	64	/* the reference is quadratic: few alternatives */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Does p (pl bytes of literals, '*' and '?') match s (sl bytes)? */
static int
ref_match(const char *p, size_t pl, const char *s, size_t sl)
{
	static unsigned char dp[PART_MAX + 2][PART_MAX + 2];
	size_t i, j;

	for (i = pl + 1; i-- > 0; )
		for (j = sl + 1; j-- > 0; ) {
			int m;

			if (i == pl)
				m = j == sl;
			else if (p[i] == '*')
				m = dp[i + 1][j] || (j < sl && s[j] != '.' &&
				    dp[i][j + 1]);
			else if (p[i] == '?')
				m = j < sl && s[j] != '.' && dp[i + 1][j + 1];
			else
				m = j < sl && p[i] == s[j] && dp[i + 1][j + 1];
			dp[i][j] = (unsigned char)m;
		}
	return dp[0][0];
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char pattern[PART_MAX + 1], *name;
	const uint8_t *nul = memchr(data, '\0', size);
	size_t plen = nul ? (size_t)(nul - data) : size, nlen = 0, i;
	struct dmd_glob g;
	char err[128];
	int m, want = 0, literal = 1, known = 1;

	if (plen > PART_MAX)
		plen = PART_MAX;
	memcpy(pattern, data, plen);
	pattern[plen] = '\0';
	if (nul != NULL) {
		nlen = size - (size_t)(nul - data) - 1;
		if (nlen > PART_MAX)
			nlen = PART_MAX;
	}
	/* Exact size, no NUL: the matcher must not read past len. */
	name = malloc(nlen ? nlen : 1);
	if (name == NULL)
		return 0;
	if (nlen)
		memcpy(name, nul + 1, nlen);

	err[0] = '\0';
	if (dmd_glob_compile(&g, pattern, err, sizeof(err)) != 0) {
		if (err[0] == '\0' || g.nalts != 0 || g.alts != NULL)
			abort();
		free(name);
		return 0;
	}
	if (g.nalts < 1 || g.nalts > DMD_GLOB_MAX_ALTS)
		abort();
	for (i = 0; i < g.nalts; i++) {
		const char *a = g.alts[i];
		size_t alen = strlen(a);

		if (alen > plen || strpbrk(a, "{}") != NULL)
			abort();	/* expansion only removes bytes */
		if (strpbrk(a, "*?[") != NULL)
			literal = 0;
		if (strpbrk(a, "*?[]") == NULL) {
			if (alen == nlen && memcmp(a, name, nlen) == 0)
				want = 1;
		} else if (strpbrk(a, "[]") == NULL && g.nalts <= REF_ALTS) {
			if (ref_match(a, alen, name, nlen))
				want = 1;
		} else
			known = 0;
	}
	if (g.literal != literal)
		abort();
	m = dmd_glob_match(&g, name, nlen);
	if (m != 0 && m != 1)
		abort();
	if (want && !m)
		abort();	/* an alternative matches by the reference */
	if (known && m != want)
		abort();
	dmd_glob_free(&g);
	free(name);
	return 0;
}
