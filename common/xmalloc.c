/*
 * xmalloc.c - allocation wrappers that abort on failure (see xmalloc.h).
 */
#include <err.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"

/* warnx(3): the message names the program, as every diagnostic does */
void
dmd_oom(size_t size)
{
	if (size > 0)
		warnx("out of memory allocating %zu bytes", size);
	else
		warnx("out of memory");
	abort();
}

void *
xmalloc(size_t size)
{
	void *p = malloc(size ? size : 1);

	if (p == NULL)
		dmd_oom(size);
	return p;
}

void *
xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);

	if (p == NULL)
		dmd_oom(nmemb * size);
	return p;
}

void *
xrealloc(void *ptr, size_t size)
{
	void *p = realloc(ptr, size ? size : 1);

	if (p == NULL)
		dmd_oom(size);
	return p;
}

void *
xgrow(void *ptr, size_t *cap, size_t need, size_t size)
{
	size_t n = *cap ? *cap : 16;

	if (need <= *cap)
		return ptr;
	while (n < need) {
		if (n > SIZE_MAX / 2)
			dmd_oom(SIZE_MAX);
		n *= 2;
	}
	if (n > SIZE_MAX / size)
		dmd_oom(SIZE_MAX);
	*cap = n;
	return xrealloc(ptr, n * size);
}

char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *
xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}
