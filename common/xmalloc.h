/*
 * xmalloc.h - allocation that never returns NULL.
 *
 * Running out of memory is the one failure common/ does not hand back to
 * the caller: like Redis' zmalloc, these wrappers print a message naming
 * the size and abort.  Everything else in common/ reports errors.
 */
#ifndef DMD_XMALLOC_H
#define DMD_XMALLOC_H

#include <stddef.h>

/* Like malloc(3) etc., but abort(3) with a message instead of returning
 * NULL.  Free the result with free(3). */
void *xmalloc(size_t size);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *ptr, size_t size);
/* Grow-by-doubling helper: realloc ptr to hold at least need elements of
 * size bytes; *cap is updated.  Checks for multiplication overflow. */
void *xgrow(void *ptr, size_t *cap, size_t need, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* Print "PROG: out of memory allocating SIZE bytes" (without the size
 * when it is 0) and abort(3): what the wrappers above do, for the
 * allocations common/ cannot make through them. */
void dmd_oom(size_t size) __attribute__((noreturn));

#endif
