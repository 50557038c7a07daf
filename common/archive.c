/*
 * archive.c - picks the archive backend by URL scheme (see archive.h).
 */
#include <stdio.h>
#include <string.h>

#include "archive.h"
#include "archive_file.h"
#include "archive_s3.h"
#include "url.h"

struct dmd_archive *
dmd_archive_open(const char *url, char *err, size_t errlen)
{
	struct dmd_url u;

	if (dmd_url_parse(url, &u, err, errlen) != 0)
		return NULL;
	if (strcmp(u.scheme, "file") == 0)
		return dmd_archive_file_open(&u, err, errlen);
	if (strcmp(u.scheme, "s3") == 0)
		return dmd_archive_s3_open(&u, err, errlen);
	snprintf(err, errlen, "unknown archive scheme \"%s\" (want file:// "
	    "or s3://)", u.scheme);
	return NULL;
}

int
dmd_archive_key_ok(const char *key)
{
	const char *c = key;
	size_t n = strlen(key), len;

	if (n == 0 || n >= DMD_KEY_MAX)
		return 0;
	/* components of [A-Za-z0-9._-], none empty, "." or ".." */
	for (;;) {
		len = strcspn(c, "/");
		if (len == 0 || (len == 1 && c[0] == '.') ||
		    (len == 2 && c[0] == '.' && c[1] == '.') ||
		    strspn(c, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		    "0123456789._-") < len)
			return 0;
		if (c[len] == '\0')
			return 1;
		c += len + 1;
	}
}

int
dmd_archive_put(struct dmd_archive *a, const char *key,
    const unsigned char *data, size_t len)
{
	a->stats.op = DMD_OP_PUT;
	return a->ops->put(a, key, data, len);
}

int
dmd_archive_get(struct dmd_archive *a, const char *key, uint64_t off,
    size_t len, unsigned char *buf, size_t *got)
{
	a->stats.op = DMD_OP_GET;
	return a->ops->get(a, key, off, len, buf, got);
}

int
dmd_archive_list(struct dmd_archive *a, const char *prefix,
    dmd_object_cb *cb, void *arg)
{
	a->stats.op = DMD_OP_LIST;
	return a->ops->list(a, prefix, cb, arg);
}

int
dmd_archive_del(struct dmd_archive *a, const char *key)
{
	a->stats.op = DMD_OP_DEL;
	return a->ops->del(a, key);
}

int
dmd_archive_lock(struct dmd_archive *a)
{
	a->stats.op = DMD_OP_LOCK;
	return a->ops->lock(a);
}

void
dmd_archive_close(struct dmd_archive *a)
{
	if (a != NULL)
		a->ops->close(a);
}
