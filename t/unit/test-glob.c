/*
 * test-glob.c - unit tests of common/glob.c: Graphite name patterns.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "glob.h"
#include "tap.h"

/* Does pattern match name?  -1 if the pattern does not compile. */
static int
gmatch(const char *pattern, const char *name)
{
	struct dmd_glob g;
	char err[128];
	int m;

	if (dmd_glob_compile(&g, pattern, err, sizeof(err)) != 0)
		return -1;
	m = dmd_glob_match(&g, name, strlen(name));
	dmd_glob_free(&g);
	return m;
}

#define MATCH(p, n) \
	ok(gmatch(p, n) == 1, "'%s' matches '%s'", p, n)
#define NOMATCH(p, n) \
	ok(gmatch(p, n) == 0, "'%s' does not match '%s'", p, n)

static void
check_error(const char *pattern, const char *want)
{
	struct dmd_glob g;
	char err[128];
	int rc;

	strcpy(err, "(unset)");
	rc = dmd_glob_compile(&g, pattern, err, sizeof(err));
	ok(rc == -1 && g.nalts == 0 && g.alts == NULL,
	    "rejects pattern '%.40s'", pattern);
	is(err, want, "reason for '%.40s'", pattern);
	dmd_glob_free(&g);
}

static void
check_literal(const char *pattern, int literal, size_t nalts)
{
	struct dmd_glob g;
	char err[128];

	if (dmd_glob_compile(&g, pattern, err, sizeof(err)) != 0) {
		ok(0, "'%s' compiles (%s)", pattern, err);
		return;
	}
	ok(g.literal == literal && g.nalts == nalts,
	    "'%s' is %s with %zu alternatives", pattern,
	    literal ? "literal" : "a wildcard", nalts);
	if (g.literal != literal || g.nalts != nalts)
		printf("#   got literal %d, %zu alternatives\n", g.literal,
		    g.nalts);
	dmd_glob_free(&g);
}

static void
test_star(void)
{
	MATCH("*", "web01");
	MATCH("*", "");
	NOMATCH("*", "a.b");
	MATCH("*.*", "a.b");
	MATCH("servers.*.cpu.*", "servers.web01.cpu.user");
	NOMATCH("servers.*.cpu.*", "servers.web01.rack1.cpu.user");
	NOMATCH("servers.*.cpu.*", "servers.web01.cpu");
	NOMATCH("servers.*.cpu.*", "servers.web01.cpu.user.x");
	MATCH("web*", "web01");
	MATCH("web*", "web");
	MATCH("*01", "web01");
	MATCH("w*b*1", "web01");
	MATCH("*b*", "web01");
	NOMATCH("*x*", "web01");
	NOMATCH("web*", "web01.cpu");
	NOMATCH("*", "a.");
	MATCH("a.*", "a.");
	MATCH("*.*.*", "..");
	MATCH("a**b", "axxb");
	MATCH("*a*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaab");
	NOMATCH("*a*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	MATCH("a.b", "a.b");
	NOMATCH("a.b", "a.bc");
	NOMATCH("a.b", "a");
	NOMATCH("a", "a.b");
	NOMATCH("a.b", "A.b");
}

static void
test_question(void)
{
	MATCH("web0?", "web01");
	NOMATCH("web0?", "web0");
	NOMATCH("web0?", "web012");
	NOMATCH("a?b", "a.b");
	MATCH("???", "abc");
	MATCH("?*", "a");
	NOMATCH("?*", "");
	MATCH("*?", "ab");
}

static void
test_class(void)
{
	MATCH("web0[1-3]", "web02");
	NOMATCH("web0[1-3]", "web04");
	MATCH("web0[!1-3]", "web04");
	NOMATCH("web0[!1-3]", "web02");
	MATCH("web0[^1-3]", "web04");
	NOMATCH("web0[^1-3]", "web01");
	MATCH("[a-z]", "q");
	NOMATCH("[a-z]", "Q");
	MATCH("[a-zA-Z0-9]x", "Qx");
	MATCH("[abc]", "b");
	NOMATCH("[abc]", "d");
	MATCH("[a-]", "-");
	MATCH("[a-]", "a");
	NOMATCH("[a-]", "b");
	MATCH("[_:]", ":");
	NOMATCH("[a-z]", "ab");
	MATCH("[a-z]*", "ab");
	MATCH("*[0-9]", "web9");
	NOMATCH("[a-z].x", "a");
	MATCH("x.[a-c].[0-9]", "x.b.7");
	NOMATCH("x.[a-c].[0-9]", "x.d.7");
	NOMATCH("[.]", ".");
	NOMATCH("a[.]b", "a.b");
}

static void
test_braces(void)
{
	MATCH("{web,db}01", "web01");
	MATCH("{web,db}01", "db01");
	NOMATCH("{web,db}01", "app01");
	MATCH("a.{b,c}.d", "a.c.d");
	MATCH("a.{b.x,c}.d", "a.b.x.d");
	MATCH("a.{b.x,c}.d", "a.c.d");
	NOMATCH("a.{b.x,c}.d", "a.b.d");
	MATCH("{a,b{c,d}}e", "bde");
	MATCH("{a,b{c,d}}e", "ae");
	NOMATCH("{a,b{c,d}}e", "be");
	MATCH("{a,{b,{c,d}}}", "d");
	MATCH("x{,y}", "x");
	MATCH("x{,y}", "xy");
	MATCH("{a,b}{c,d}", "bc");
	MATCH("{*.cpu,mem}.user", "web01.cpu.user");
	MATCH("{*.cpu,mem}.user", "mem.user");
	MATCH("servers.{web,db}*.cpu.{user,system}",
	    "servers.db02.cpu.system");
	NOMATCH("servers.{web,db}*.cpu.{user,system}",
	    "servers.db02.cpu.idle");
	MATCH("{web0[1-2],db?}", "dbx");
	MATCH("{web0[1-2],db?}", "web02");
}

static void
test_literal(void)
{
	check_literal("a.b.c", 1, 1);
	check_literal("a.{b,c}.d", 1, 2);
	check_literal("{a,b}{c,d}{e,f}", 1, 8);
	check_literal("{a,{b,{c,d}}}", 1, 4);
	check_literal("a.*", 0, 1);
	check_literal("a.?", 0, 1);
	check_literal("a.[bc]", 0, 1);
	check_literal("{a,b*}", 0, 2);
	check_literal("{a,b?}.c", 0, 2);
	check_literal("x{,y}", 1, 2);
}

static void
test_errors(void)
{
	char *p;
	size_t i;

	check_error("", "empty pattern");
	check_error("{a,b", "unbalanced '{'");
	check_error("a.{b,{c,d}", "unbalanced '{'");
	check_error("a}", "unbalanced '}'");
	check_error("{a,b}}", "unbalanced '}'");
	check_error("a,b}", "unbalanced '}'");
	check_error("[a-z", "unbalanced '['");
	check_error("a.[bc.d", "unbalanced '['");
	check_error("{a,[b}", "unbalanced '['");

	/* 2^12 = 4096 alternatives are allowed, 2^13 are not. */
	p = malloc(13 * 5 + 1);
	for (i = 0; i < 12; i++)
		memcpy(p + 5 * i, "{a,b}", 5);
	p[60] = '\0';
	check_literal(p, 1, 4096);
	memcpy(p + 60, "{a,b}", 6);
	check_error(p, "more than 4096 alternatives");
	free(p);
	check_error("{0,1,2,3,4,5,6,7,8,9}{0,1,2,3,4,5,6,7,8,9}"
	    "{0,1,2,3,4,5,6,7,8,9}{0,1,2,3,4,5,6,7,8,9}{x,y}",
	    "more than 4096 alternatives");
}

static void
test_api(void)
{
	struct dmd_glob g;
	char err[64];

	dmd_glob_free(NULL);
	ok(1, "dmd_glob_free accepts NULL");
	ok(dmd_glob_compile(&g, "a.*", err, sizeof(err)) == 0,
	    "compiles a.*");
	ok(dmd_glob_match(&g, "a.bc", 3) == 1,
	    "matches only the len bytes given");
	ok(dmd_glob_match(&g, "a.bc", 1) == 0,
	    "does not read past the len bytes given");
	dmd_glob_free(&g);
	ok(g.alts == NULL && g.nalts == 0, "dmd_glob_free clears g");
	dmd_glob_free(&g);
	ok(1, "dmd_glob_free twice is harmless");
}

int
main(void)
{
	test_star();
	test_question();
	test_class();
	test_braces();
	test_literal();
	test_errors();
	test_api();
	return done();
}
