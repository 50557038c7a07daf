/*
 * prog.h - the start every dmd-* program shares.
 *
 * Programs print their own diagnostics with err(3)/warnx(3), which prefix
 * the program name; this module only prepares the process and reads the
 * settings every program has (flags > DMD_* environment > defaults).
 */
#ifndef DMD_PROG_H
#define DMD_PROG_H

#include <stdint.h>

/* Exit statuses shared by all programs (documented in dmd(7)). */
#define DMD_EXIT_OK		0	/* everything stored / done */
#define DMD_EXIT_REJECTS	1	/* some input rejected, the rest stored */
#define DMD_EXIT_USAGE		2	/* usage or configuration error */
#define DMD_EXIT_SPILLED	3	/* backend unavailable, points spilled */
#define DMD_EXIT_BACKEND	4	/* backend failed, nothing to spill */
#define DMD_EXIT_IO		5	/* local I/O error (input, output, spill) */

/* Make sure fds 0-2 are open (so a later open(2) never becomes stdout)
 * and ignore SIGPIPE (a closed pipe is seen as EPIPE from write). */
void dmd_prog_init(void);

/* A usage error: the synopsis on the standard error, and exit 2. */
void dmd_usage(const char *synopsis) __attribute__((noreturn));

/* Return getenv(name) if set and non-empty, else def. */
const char *dmd_env(const char *name, const char *def);

/* Short host name made safe for a metric name component: characters
 * outside [A-Za-z0-9_-] become '_'.  Returns a static buffer. */
const char *dmd_hostname(void);

/* The process ID in s when s names a process of this host: the host
 * name, sep, a decimal ID, then end (a character, or '\0' for the end
 * of s), as temp files (HOST.PID) and claims ("HOST PID ...") spell
 * them.  0 when s does not. */
long dmd_local_pid(const char *s, int sep, int end);

/* 1 if process pid no longer runs. */
int dmd_pid_gone(long pid);

/* A duration given on the command line (numarg.h: dmd_duration_ms(),
 * unit_ms for a bare number), in milliseconds from min_ms to max_ms;
 * anything else exits 2 with "WHAT is S: REASON". */
int64_t dmd_duration_arg(const char *what, const char *s, int64_t unit_ms,
    int64_t min_ms, int64_t max_ms);

#endif
