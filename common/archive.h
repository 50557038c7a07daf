/*
 * archive.h - the archive tier: an object store, the shape of S3.
 *
 * Objects are byte strings under keys of [A-Za-z0-9._-] components
 * separated by '/'.  What they hold is aobj.h's business; this interface
 * only stores them, and every backend keeps:
 *
 *  - put stores an object whole and durably, or not at all; putting a
 *    key again replaces the object.
 *  - get reads len bytes at off of an object (a ranged GET); asking past
 *    the end gives what there is.
 *  - list calls back with the key and size of every object whose key
 *    starts with prefix, in key order.
 *  - del removes an object; a missing one is not an error.
 *  - lock makes this process the archive's only writer until close (a
 *    second writer gets 1 back and leaves the archive alone).
 *
 * Errors as the other tiers (cache.h): err and errstr in the struct,
 * never printed by the backend.  A handle is not thread-safe.
 */
#ifndef DMD_ARCHIVE_H
#define DMD_ARCHIVE_H

#include <stddef.h>
#include <stdint.h>

#include "cache.h"

#define DMD_KEY_MAX	256

/* The archive of the programs' embedded default. */
#define DMD_ARCHIVE_DEFAULT	"file:///var/lib/dmd/archive"

typedef int dmd_object_cb(void *arg, const char *key, uint64_t size);

struct dmd_archive;

struct dmd_archive_ops {
	int	(*put)(struct dmd_archive *, const char *key,
		    const unsigned char *data, size_t len);
	int	(*get)(struct dmd_archive *, const char *key, uint64_t off,
		    size_t len, unsigned char *buf, size_t *got);
	int	(*list)(struct dmd_archive *, const char *prefix,
		    dmd_object_cb *, void *);
	int	(*del)(struct dmd_archive *, const char *key);
	int	(*lock)(struct dmd_archive *);
	void	(*close)(struct dmd_archive *);
};

struct dmd_archive {
	const struct dmd_archive_ops *ops;
	int		 err;
	char		 errstr[DMD_ERRSTR_MAX];
	struct dmd_cache_stats stats;	/* requests = storage calls */
	uint64_t	 bytes_read;
};

/* Open the archive at url (file://DIR).  NULL with a message in err for a
 * bad URL. */
struct dmd_archive *dmd_archive_open(const char *url, char *err,
    size_t errlen);

int dmd_archive_put(struct dmd_archive *a, const char *key,
    const unsigned char *data, size_t len);
int dmd_archive_get(struct dmd_archive *a, const char *key, uint64_t off,
    size_t len, unsigned char *buf, size_t *got);
int dmd_archive_list(struct dmd_archive *a, const char *prefix,
    dmd_object_cb *cb, void *arg);
int dmd_archive_del(struct dmd_archive *a, const char *key);
/* 0 locked, 1 another writer holds it, -1 error. */
int dmd_archive_lock(struct dmd_archive *a);
void dmd_archive_close(struct dmd_archive *a);

/* 1 if key is a valid object key. */
int dmd_archive_key_ok(const char *key);

#endif
