/*
 * fuzz-s3.c - libFuzzer target for the parsing of S3's answers in
 * common/archive_s3.c: ListObjectsV2's XML (keys, sizes, entities,
 * continuation), error bodies (<Code>), ranged and unranged GETs and the
 * lock object.
 *
 * The first byte picks the operation (list, list of a prefix, get at the
 * start, get past it, put, delete, lock); the rest is the list of HTTP
 * responses the archive gets, as awsstub.h reads them.  Whatever they
 * say, it must not crash, leak or loop, a listing must hand on keys in
 * order, a get no more than was asked, and a failure must say why.
 * Built and run by t/fuzz/run.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "archive.h"
#include "archive_s3.h"
#include "awsstub.h"
#include "prog.h"
#include "url.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* prog.c's, without the host's name or its processes (the last for
 * archive_file.c, which archive.c brings in). */
const char *
dmd_hostname(void)
{
	return "fuzzhost";
}

long
dmd_local_pid(const char *s, int sep, int end)
{
	(void)s;
	(void)sep;
	(void)end;
	return 0;
}

int
dmd_pid_gone(long pid)
{
	return pid % 2 == 0;
}

struct listing {
	char	 last[2 * DMD_KEY_MAX];
	size_t	 n;
};

static int
on_object(void *arg, const char *key, uint64_t size)
{
	struct listing *l = arg;

	(void)size;
	if (l->n > 0 && strcmp(key, l->last) < 0)
		abort();	/* out of order */
	snprintf(l->last, sizeof(l->last), "%s", key);
	return ++l->n >= 1000;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char buf[100];
	struct listing l;
	struct dmd_url u;
	struct dmd_archive *a;
	char err[256];
	size_t got = 0, want = 0;
	int rv = 0;

	if (size < 1)
		return 0;
	if (dmd_url_parse("s3://dmd/arch", &u, err, sizeof(err)) != 0 ||
	    (a = dmd_archive_s3_open(&u, err, sizeof(err))) == NULL)
		abort();
	stub_start(data + 1, size - 1);
	memset(&l, 0, sizeof(l));
	switch (data[0] % 7) {
	case 0:
		rv = a->ops->list(a, "", on_object, &l);
		break;
	case 1:
		rv = a->ops->list(a, "a.b/", on_object, &l);
		break;
	case 2:
		want = 64;
		rv = a->ops->get(a, "a.b/0000000001", 0, want, buf, &got);
		break;
	case 3:
		want = sizeof(buf);
		rv = a->ops->get(a, "a.b/0000000001", 20, want, buf, &got);
		break;
	case 4:
		rv = a->ops->put(a, "a.b/0000000002", (const unsigned char *)
		    "object", 6);
		break;
	case 5:
		rv = a->ops->del(a, "a.b/0000000002");
		break;
	case 6:
		rv = a->ops->lock(a);
		break;
	}
	if (got > want)
		abort();
	if (rv < 0 && (a->err == 0 || a->errstr[0] == '\0'))
		abort();	/* a failure that does not say why */
	a->ops->close(a);
	return 0;
}
