/*
 * prog.c - process set-up shared by every program (see prog.h).
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "numarg.h"
#include "prog.h"

void
dmd_prog_init(void)
{
	int fd;

	/* curl's tool_main.c: a closed 0, 1 or 2 would be reused by the
	 * next open() and data would go where diagnostics should. */
	do {
		fd = open("/dev/null", O_RDWR);
	} while (fd >= 0 && fd <= 2);
	if (fd > 2)
		close(fd);
	signal(SIGPIPE, SIG_IGN);
}

void
dmd_usage(const char *synopsis)
{
	fputs(synopsis, stderr);
	exit(DMD_EXIT_USAGE);
}

const char *
dmd_env(const char *name, const char *def)
{
	const char *v = getenv(name);

	return v != NULL && *v != '\0' ? v : def;
}

const char *
dmd_hostname(void)
{
	static char host[64];
	char *p;

	if (host[0] != '\0')
		return host;
	if (gethostname(host, sizeof(host) - 1) != 0 || host[0] == '\0')
		strcpy(host, "localhost");
	host[sizeof(host) - 1] = '\0';
	if ((p = strchr(host, '.')) != NULL)
		*p = '\0';
	for (p = host; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'))
			*p = '_';
	return host;
}

long
dmd_local_pid(const char *s, int sep, int end)
{
	const char *host = dmd_hostname();
	size_t hl = strlen(host);
	char *e;
	long pid;

	if (strncmp(s, host, hl) != 0 || s[hl] != sep ||
	    s[hl + 1] < '0' || s[hl + 1] > '9')
		return 0;
	pid = strtol(s + hl + 1, &e, 10);
	return *e == end && pid > 0 ? pid : 0;
}

int
dmd_pid_gone(long pid)
{
	return kill((pid_t)pid, 0) == -1 && errno == ESRCH;
}

int64_t
dmd_duration_arg(const char *what, const char *s, int64_t unit_ms,
    int64_t min_ms, int64_t max_ms)
{
	const char *errstr;
	int64_t ms;

	ms = dmd_duration_ms(s, unit_ms, max_ms, &errstr);
	if (errstr == NULL && ms < min_ms)
		errstr = "too small";
	if (errstr != NULL)
		errx(DMD_EXIT_USAGE, "%s is %s: %s", what, s, errstr);
	return ms;
}
