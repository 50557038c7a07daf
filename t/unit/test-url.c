/*
 * test-url.c - unit tests of common/url.c: USER:PASSWORD@ kept out of
 * the host and out of messages, dmd_url_shown(), and the directory of a
 * file:// URL (dmd_url_dir()).
 */
#include <stdio.h>
#include <string.h>

#include "tap.h"
#include "url.h"

static void
check(const char *s, const char *user, const char *password,
    const char *host, int port, const char *path)
{
	struct dmd_url u;
	char err[200];
	int rc;

	rc = dmd_url_parse(s, &u, err, sizeof(err));
	ok(rc == 0, "parses %s", s);
	if (rc != 0) {
		printf("#   err %s\n", err);
		return;
	}
	is(u.user, user, "%s: user", s);
	is(u.password, password, "%s: password", s);
	is(u.host, host, "%s: host", s);
	ok(u.port == port, "%s: port %d", s, port);
	is(u.path, path, "%s: path", s);
}

/* s is refused, and the message does not quote secret. */
static void
check_bad(const char *s, const char *secret)
{
	struct dmd_url u;
	char err[200];

	strcpy(err, "(unset)");
	ok(dmd_url_parse(s, &u, err, sizeof(err)) == -1, "refuses %s", s);
	ok(strstr(err, secret) == NULL, "%s: \"%s\" does not quote it", s,
	    err);
}

/* url as shown */
static const char *
shown(const char *url)
{
	static char buf[DMD_URL_SHOWN_MAX];

	return dmd_url_shown(url, buf, sizeof(buf));
}

/* The directory of url with room bytes to spare in a 64-byte buffer:
 * the directory, or the message. */
static const char *
dir_of(const char *url, size_t room)
{
	static char dir[64], err[200];
	struct dmd_url u;

	if (dmd_url_parse(url, &u, err, sizeof(err)) != 0)
		return err;
	return dmd_url_dir(&u, dir, sizeof(dir), room, err, sizeof(err)) == 0 ?
	    dir : err;
}

int
main(void)
{
	check("redis://127.0.0.1:6379", "", "", "127.0.0.1", 6379, "");
	check("redis://:s3cret@127.0.0.1:6379", "", "s3cret", "127.0.0.1",
	    6379, "");
	check("redis://dmd:s3cret@[::1]:7000/2", "dmd", "s3cret", "::1", 7000,
	    "/2");
	check("redis://dmd@host", "dmd", "", "host", 0, "");
	check("redis://:p%40ss%3Aw%2Fd@h:1", "", "p@ss:w/d", "h", 1, "");
	check("redis://:a@b@h:1", "", "a@b", "h", 1, "");
	check("unix://:pw@/run/redis.sock", "", "pw", "", 0,
	    "/run/redis.sock");
	check("redis-cluster://:pw@h1:1,h2:2", "", "pw", "h1:1,h2:2", 0, "");
	check("file:///var/lib/dmd/x@y", "", "", "", 0, "/var/lib/dmd/x@y");
	check("s3://b/p?endpoint=http://u@h", "", "", "b", 0, "/p");
	check_bad("redis://:bad%zzSECRET@h:1", "SECRET");
	check_bad("redis://:SECRET@h:99999", "SECRET");
	check_bad("redis://:SECRET%00@h:1", "SECRET");

	is(shown("redis://:s3cret@127.0.0.1:6379/1"),
	    "redis://:***@127.0.0.1:6379/1", "shown: password hidden");
	is(shown("redis://dmd:s3cret@h:1"), "redis://dmd:***@h:1",
	    "shown: user kept, password hidden");
	is(shown("redis://:a@b@h:1"), "redis://:***@h:1",
	    "shown: a password with @ hidden whole");
	is(shown("redis://dmd@h:1"), "redis://dmd@h:1",
	    "shown: a user alone as it is");
	is(shown("redis://h:1/x?a=b@c"), "redis://h:1/x?a=b@c",
	    "shown: an @ after the host is not a password");
	is(shown("redis-cluster://:pw@h1:1,h2:2"),
	    "redis-cluster://:***@h1:1,h2:2", "shown: a cluster's");
	is(shown("not a url"), "not a url", "shown: not a URL");

	is(dir_of("file:///var/lib/dmd", 0), "/var/lib/dmd", "dir: absolute");
	is(dir_of("file://rel/dir", 0), "rel/dir", "dir: relative");
	is(dir_of("file:///var/lib/dmd///", 0), "/var/lib/dmd",
	    "dir: trailing slashes dropped");
	is(dir_of("file:///", 0), "/", "dir: the root stays /");
	is(dir_of("file://", 0), "file URL needs a directory: file:///DIR",
	    "dir: none given");
	is(dir_of("file:///0123456789/0123456789/0123456789", 20),
	    "/0123456789/0123456789/0123456789", "dir: 33 bytes, 20 to spare");
	is(dir_of("file:///0123456789/0123456789/0123456789", 30),
	    "/0123456789/0123456789/0123456789", "dir: 33 bytes, NUL and 30 "
	    "to spare fill 64");
	is(dir_of("file:///0123456789/0123456789/0123456789", 31),
	    "directory name too long", "dir: 33 bytes, NUL and 31 to spare "
	    "do not");
	is(dir_of("file:///0123456789/0123456789/0123456789/0123456789/"
	    "0123456789/0123456789", 0), "directory name too long",
	    "dir: longer than the buffer");
	return done();
}
