/*
 * test-url.c - unit tests of common/url.c: USER:PASSWORD@ kept out of
 * the host and out of messages, and dmd_url_shown().
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
	return done();
}
