/*
 * url.c - split tier URLs into parts (see url.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "url.h"

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int
decode(const char *s, size_t n, char *out, size_t outlen)
{
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		int c = (unsigned char)s[i];

		if (c == '%') {
			int h, l;

			if (i + 2 >= n)
				return -1;
			if ((h = hexval(s[i + 1])) < 0 ||
			    (l = hexval(s[i + 2])) < 0)
				return -1;
			c = h * 16 + l;
			if (c == 0)
				return -1;
			i += 2;
		}
		if (o + 1 >= outlen)
			return -1;
		out[o++] = c;
	}
	out[o] = '\0';
	return 0;
}

/* The '@' that ends the USER:PASSWORD@ of authority [auth, end), the
 * last one, or NULL. */
static const char *
userinfo(const char *auth, const char *end)
{
	const char *at = NULL, *p;

	for (p = auth; p < end; p++)
		if (*p == '@')
			at = p;
	return at;
}

const char *
dmd_url_shown(const char *url, char *buf, size_t buflen)
{
	const char *auth, *end, *at, *colon;

	snprintf(buf, buflen, "%s", url);
	if ((auth = strstr(url, "://")) == NULL)
		return buf;
	auth += 3;
	end = auth + strcspn(auth, "/?");
	if ((at = userinfo(auth, end)) == NULL ||
	    (colon = memchr(auth, ':', at - auth)) == NULL)
		return buf;
	snprintf(buf, buflen, "%.*s***%s", (int)(colon + 1 - url), url, at);
	return buf;
}

int
dmd_url_parse(const char *s, struct dmd_url *u, char *err, size_t errlen)
{
	const char *p, *auth, *end, *q, *at, *pc;
	size_t n;

	memset(u, 0, sizeof(*u));
	if (strlen(s) >= DMD_URL_MAX) {
		snprintf(err, errlen, "URL too long");
		return -1;
	}
	if ((p = strstr(s, "://")) == NULL) {
		snprintf(err, errlen, "not a URL (want SCHEME://...)");
		return -1;
	}
	n = p - s;
	if (n == 0 || n >= sizeof(u->scheme)) {
		snprintf(err, errlen, "bad scheme");
		return -1;
	}
	memcpy(u->scheme, s, n);
	auth = p + 3;
	q = strchr(auth, '?');
	if (q != NULL)
		snprintf(u->query, sizeof(u->query), "%s", q + 1);
	else
		q = auth + strlen(auth);
	end = memchr(auth, '/', q - auth);
	if (end == NULL)
		end = q;
	if ((at = userinfo(auth, end)) != NULL) {
		pc = memchr(auth, ':', at - auth);
		if (decode(auth, (pc ? pc : at) - auth, u->user,
		    sizeof(u->user)) != 0 || (pc != NULL &&
		    decode(pc + 1, at - pc - 1, u->password,
		    sizeof(u->password)) != 0)) {
			/* not quoted: it may hold the password */
			snprintf(err, errlen, "bad user or password");
			return -1;
		}
		auth = at + 1;
	}
	/* host[:port]; a list "h1:p1,h2:p2" is kept whole in host */
	n = end - auth;
	if (n >= sizeof(u->host)) {
		snprintf(err, errlen, "host too long");
		return -1;
	}
	memcpy(u->host, auth, n);
	if (memchr(u->host, ',', n) == NULL) {
		char *colon = strrchr(u->host, ':');
		char *rb = strchr(u->host, ']');

		if (colon != NULL && (rb == NULL || rb < colon)) {
			char *e;
			long port = strtol(colon + 1, &e, 10);

			if (*e != '\0' || port <= 0 || port > 65535) {
				snprintf(err, errlen, "bad port \"%s\"",
				    colon + 1);
				return -1;
			}
			u->port = (int)port;
			*colon = '\0';
		}
		if (u->host[0] == '[') {	/* [::1] */
			n = strlen(u->host);
			if (u->host[n - 1] != ']') {
				snprintf(err, errlen, "bad host");
				return -1;
			}
			memmove(u->host, u->host + 1, n - 2);
			u->host[n - 2] = '\0';
		}
	}
	if (decode(end, q - end, u->path, sizeof(u->path)) != 0) {
		snprintf(err, errlen, "bad path");
		return -1;
	}
	return 0;
}

int
dmd_url_param(const struct dmd_url *u, const char *key, char *buf,
    size_t buflen)
{
	const char *p = u->query, *amp, *eq;
	size_t klen = strlen(key);

	while (*p != '\0') {
		amp = strchr(p, '&');
		if (amp == NULL)
			amp = p + strlen(p);
		eq = memchr(p, '=', amp - p);
		if (eq != NULL && (size_t)(eq - p) == klen &&
		    memcmp(p, key, klen) == 0)
			return decode(eq + 1, amp - eq - 1, buf, buflen);
		p = *amp ? amp + 1 : amp;
	}
	return -1;
}

int
dmd_url_params_only(const struct dmd_url *u, const char *const *keys,
    char *err, size_t errlen)
{
	const char *p = u->query, *amp, *eq;
	size_t i, klen, o;

	while (*p != '\0') {
		amp = p + strcspn(p, "&");
		eq = memchr(p, '=', (size_t)(amp - p));
		klen = (size_t)((eq != NULL ? eq : amp) - p);
		for (i = 0; keys[i] != NULL; i++)
			if (strlen(keys[i]) == klen &&
			    memcmp(keys[i], p, klen) == 0)
				break;
		if (keys[i] == NULL && klen > 0) {
			o = (size_t)snprintf(err, errlen, "unknown parameter "
			    "\"%.*s\" (want", (int)(klen > 40 ? 40 : klen), p);
			for (i = 0; keys[i] != NULL && o < errlen; i++)
				o += (size_t)snprintf(err + o, errlen - o,
				    "%s %s", i ? "," : "", keys[i]);
			if (o < errlen)
				snprintf(err + o, errlen - o, ")");
			return -1;
		}
		p = *amp ? amp + 1 : amp;
	}
	return 0;
}

int
dmd_url_encode(char *out, size_t outlen, const char *s, int slash_ok)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = strlen(out), o0 = o;
	unsigned char c;

	for (; *s != '\0'; s++) {
		c = (unsigned char)*s;
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c == '~' || (slash_ok && c == '/')) {
			if (o + 1 >= outlen)
				goto full;
			out[o++] = (char)c;
		} else {
			if (o + 3 >= outlen)
				goto full;
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o] = '\0';
	return 0;
full:
	out[o0] = '\0';	/* as it was: still a string */
	return -1;
}

int
dmd_url_dir(const struct dmd_url *u, char *dir, size_t dirlen, size_t room,
    char *err, size_t errlen)
{
	int n;

	n = snprintf(dir, dirlen, "%s%s", u->host, u->path);
	if (n < 0 || (size_t)n + room >= dirlen) {
		snprintf(err, errlen, "directory name too long");
		return -1;
	}
	while (n > 1 && dir[n - 1] == '/')
		dir[--n] = '\0';
	if (n == 0) {
		snprintf(err, errlen, "file URL needs a directory: "
		    "file:///DIR");
		return -1;
	}
	return 0;
}
