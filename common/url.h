/*
 * url.h - tier URLs.
 *
 * Every tier is chosen by a URL: redis://HOST:PORT[/DB] and
 * unix:///PATH[?db=N] for the cache today; file://, dynamodb://, s3://,
 * kinesis:// and redis-cluster:// as later tiers arrive.  This module only
 * splits a URL into parts; each backend checks what it needs.
 *
 * A URL may carry USER:PASSWORD@ (or :PASSWORD@) before the host, for
 * Redis's AUTH: they go to user and password, never into host, and no
 * message of this module quotes them.
 */
#ifndef DMD_URL_H
#define DMD_URL_H

#include <stddef.h>

#define DMD_URL_MAX	1024

struct dmd_url {
	char	 scheme[32];
	char	 host[256];	/* may hold a comma-separated list */
	int	 port;		/* 0 if none given */
	char	 path[DMD_URL_MAX];	/* decoded; starts with '/' if any */
	char	 query[DMD_URL_MAX];	/* raw text after '?' */
	char	 user[128];	/* decoded; "" if none given */
	char	 password[256];	/* decoded; "" if none given */
};

/* Split s into u.  Returns 0, or -1 with a reason in err (errlen bytes). */
int dmd_url_parse(const char *s, struct dmd_url *u, char *err, size_t errlen);

/* url as it may be printed: the password of its USER:PASSWORD@, if any,
 * replaced by "***", in buf (buflen bytes, DMD_URL_SHOWN_MAX is enough);
 * returns buf. */
#define DMD_URL_SHOWN_MAX	(DMD_URL_MAX + 8)
const char *dmd_url_shown(const char *url, char *buf, size_t buflen);

/* Value of parameter key in the query part, copied to buf (buflen
 * bytes).  Returns 0 if present, -1 if not. */
int dmd_url_param(const struct dmd_url *u, const char *key, char *buf,
    size_t buflen);

/* 0 if every parameter of u's query is one of the NULL-terminated
 * keys, or -1 with "unknown parameter \"x\" (want a, b)" in err: a
 * misspelt endpoint= must not send requests elsewhere. */
int dmd_url_params_only(const struct dmd_url *u, const char *const *keys,
    char *err, size_t errlen);

/* Append s to out (outlen bytes, a string) encoded as RFC 3986 wants,
 * as SigV4's canonical query string does too: unreserved characters as
 * they are, the rest as %XX; with slash_ok, '/' too (for paths).  -1,
 * with out as it was, if it does not fit. */
int dmd_url_encode(char *out, size_t outlen, const char *s, int slash_ok);

/* The directory of a file:// URL, host and path together (file:///abs,
 * or file://rel/dir relative to the working directory), its trailing
 * slashes dropped, into dir (dirlen bytes) with room bytes or more to
 * spare for the names a backend adds under it.  0, or -1 with "file URL
 * needs a directory: file:///DIR" or "directory name too long" in err. */
int dmd_url_dir(const struct dmd_url *u, char *dir, size_t dirlen,
    size_t room, char *err, size_t errlen);

#endif
