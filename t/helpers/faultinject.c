/*
 * faultinject.c - make the Nth write, fsync, rename, open, malloc, read
 * or connect of a process fail, for the tests (t/710-io-faults.bats).
 *
 * An LD_PRELOAD library in the spirit of jq's inject_errors.c:
 *
 *   LD_PRELOAD=t/helpers/faultinject.so DMD_FAULTS=write:3:ENOSPC prog
 *
 * DMD_FAULTS is a comma-separated list of CALL:N:ERRNO.  The Nth call
 * (from 1, counted per process over all threads) of CALL fails with
 * ERRNO (a name: ENOSPC, EIO, EINTR, EAGAIN, ENOMEM, ..., or a number);
 * CALL:N+:ERRNO fails every call from the Nth on (a full disk).  CALL is
 *
 *   write      write(2); and for a stdio stream, fflush(3) and fclose(3)
 *              when it holds buffered output, fwrite(3) when the bytes
 *              do not fit in its buffer: the calls where stdio writes
 *              (its own write is not interposable; a fault drops the
 *              buffered bytes, and fwrite's, and sets the stream's
 *              error flag, as a failed write inside stdio does)
 *   read       read(2), pread(2)
 *   fsync      fsync(2) and syncfs(2)
 *   fdatasync  fdatasync(2)
 *   rename     rename(2), renameat(2)
 *   open       open, open64, openat, openat64 (and their _2 forms),
 *              fopen, fopen64
 *   malloc     malloc, calloc, realloc: NULL, errno ERRNO (ENOMEM)
 *   connect    connect(2)
 *
 * ERRNO "short" makes the Nth write or read move only half its bytes
 * (a short count; a 1-byte call is whole).  EINTR and short apply to
 * write(2) and read(2) called directly, not to stdio streams: stdio
 * finishes short writes itself, and regular files never see EINTR.
 * ERRNO "kill" SIGKILLs the process at the Nth call, before it is made:
 * a crash at that very moment, with no chance to clean up.
 * The item "count" writes, at exit, how many calls of each kind were
 * counted: "PID count CALL TOTAL" lines.
 *
 * DMD_FAULT_PATH=PREFIX: file calls (open, rename, and write, read,
 * fsync, fdatasync on fds whose /proc/self/fd link starts with PREFIX)
 * are counted, and fail, only for paths under PREFIX; sockets, pipes and
 * the terminal are then left alone.  malloc and connect are counted
 * either way.
 *
 * DMD_FAULT_LOG=FILE: append "PID CALL N ERRNO" for each fault injected
 * (and the count lines), so a test can tell the fault fired; without
 * it, count lines go to the standard error.
 *
 * The real functions come from dlsym(RTLD_NEXT); dlsym may allocate, so
 * allocations made while resolving come from a static arena, which
 * free() ignores.
 */
#define _GNU_SOURCE
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum call {
	C_WRITE, C_READ, C_FSYNC, C_FDATASYNC, C_RENAME, C_OPEN, C_MALLOC,
	C_CONNECT, NCALLS
};

static const char *const callname[NCALLS] = {
	"write", "read", "fsync", "fdatasync", "rename", "open", "malloc",
	"connect"
};

static const struct {
	const char	*name;
	int		 num;
} errnames[] = {
	{ "EPERM", EPERM }, { "ENOENT", ENOENT }, { "EINTR", EINTR },
	{ "EIO", EIO }, { "EBADF", EBADF }, { "EAGAIN", EAGAIN },
	{ "EWOULDBLOCK", EWOULDBLOCK }, { "ENOMEM", ENOMEM },
	{ "EACCES", EACCES }, { "EBUSY", EBUSY }, { "EEXIST", EEXIST },
	{ "EXDEV", EXDEV }, { "EINVAL", EINVAL }, { "ENFILE", ENFILE },
	{ "EMFILE", EMFILE }, { "EFBIG", EFBIG }, { "ENOSPC", ENOSPC },
	{ "EROFS", EROFS }, { "EPIPE", EPIPE }, { "EDQUOT", EDQUOT },
	{ "ECONNREFUSED", ECONNREFUSED }, { "ECONNRESET", ECONNRESET },
	{ "ETIMEDOUT", ETIMEDOUT }, { "ENETUNREACH", ENETUNREACH },
	{ "EHOSTUNREACH", EHOSTUNREACH }, { "EADDRNOTAVAIL", EADDRNOTAVAIL },
	{ "ENAMETOOLONG", ENAMETOOLONG }, { "ELOOP", ELOOP },
};

#define SHORT		(-1)	/* rule errno: a short count */
#define KILL		(-2)	/* rule errno: SIGKILL before the call */
#define MAXRULES	64

struct rule {
	int		 call;
	unsigned long	 n;
	int		 plus;	/* N+: every call from the Nth on */
	int		 err;	/* errno, or SHORT */
};

static struct rule rules[MAXRULES];
static int nrules;
static int counting;
static char prefix[PATH_MAX];
static size_t prefixlen;
static char logpath[PATH_MAX];
static unsigned long counts[NCALLS];

/* 0: not started, 1: resolving, 2: ready */
static int state;
static __thread int resolving __attribute__((tls_model("initial-exec")));

static ssize_t (*real_write)(int, const void *, size_t);
static ssize_t (*real_read)(int, void *, size_t);
static ssize_t (*real_pread)(int, void *, size_t, off_t);
static ssize_t (*real_pread64)(int, void *, size_t, off64_t);
static int (*real_fsync)(int);
static int (*real_syncfs)(int);
static int (*real_fdatasync)(int);
static int (*real_rename)(const char *, const char *);
static int (*real_renameat)(int, const char *, int, const char *);
static int (*real_open)(const char *, int, ...);
static int (*real_open64)(const char *, int, ...);
static int (*real_openat)(int, const char *, int, ...);
static int (*real_openat64)(int, const char *, int, ...);
static int (*real_open_2)(const char *, int);
static int (*real_open64_2)(const char *, int);
static int (*real_openat_2)(int, const char *, int);
static int (*real_openat64_2)(int, const char *, int);
static FILE *(*real_fopen)(const char *, const char *);
static FILE *(*real_fopen64)(const char *, const char *);
static int (*real_fflush)(FILE *);
static int (*real_fclose)(FILE *);
static size_t (*real_fwrite)(const void *, size_t, size_t, FILE *);
static void *(*real_malloc)(size_t);
static void *(*real_calloc)(size_t, size_t);
static void *(*real_realloc)(void *, size_t);
static void (*real_free)(void *);
static int (*real_connect)(int, const struct sockaddr *, socklen_t);

/* The arena of allocations made while dlsym() runs. */
static _Alignas(16) unsigned char arena[64 * 1024];
static size_t arena_used;

static void *
arena_alloc(size_t size)
{
	size_t off;

	size = (size + 15) & ~(size_t)15;
	off = __atomic_fetch_add(&arena_used, size, __ATOMIC_RELAXED);
	if (off + size > sizeof(arena))
		return NULL;
	return arena + off;
}

static int
in_arena(const void *p)
{
	return (const unsigned char *)p >= arena &&
	    (const unsigned char *)p < arena + sizeof(arena);
}

/* Write a message with the real write(2), never stdio. */
static void
say(int fd, const char *msg)
{
	size_t len = strlen(msg);
	ssize_t w;

	while (len > 0 && (w = real_write != NULL ?
	    real_write(fd, msg, len) : -1) > 0) {
		msg += w;
		len -= (size_t)w;
	}
}

static void __attribute__((noreturn))
bad_spec(const char *item)
{
	char msg[512];

	snprintf(msg, sizeof(msg), "faultinject: bad DMD_FAULTS item \"%s\" "
	    "(want CALL:N[+]:ERRNO, or count)\n", item);
	say(2, msg);
	_exit(97);
}

static int
errno_of(const char *s)
{
	size_t i;
	char *end;
	long v;

	if (strcmp(s, "short") == 0)
		return SHORT;
	if (strcmp(s, "kill") == 0)
		return KILL;
	for (i = 0; i < sizeof(errnames) / sizeof(errnames[0]); i++)
		if (strcmp(s, errnames[i].name) == 0)
			return errnames[i].num;
	v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || v <= 0 || v > 4095)
		return 0;
	return (int)v;
}

static void
parse_item(char *item)
{
	struct rule r;
	char *n, *e, *end;
	int i;

	if (strcmp(item, "count") == 0) {
		counting = 1;
		return;
	}
	if ((n = strchr(item, ':')) == NULL ||
	    (e = strchr(n + 1, ':')) == NULL || nrules == MAXRULES)
		bad_spec(item);
	*n++ = '\0';
	*e++ = '\0';
	memset(&r, 0, sizeof(r));
	r.call = -1;
	for (i = 0; i < NCALLS; i++)
		if (strcmp(item, callname[i]) == 0)
			r.call = i;
	r.n = strtoul(n, &end, 10);
	if (*end == '+') {
		r.plus = 1;
		end++;
	}
	r.err = errno_of(e);
	if (r.call < 0 || end == n || *end != '\0' || r.n == 0 || r.err == 0 ||
	    (r.err == SHORT && r.call != C_WRITE && r.call != C_READ)) {
		n[-1] = ':';
		e[-1] = ':';
		bad_spec(item);
	}
	rules[nrules++] = r;
}

static void
parse_env(void)
{
	char buf[4096], *item, *save;
	const char *s;

	if ((s = getenv("DMD_FAULT_PATH")) != NULL && *s != '\0') {
		snprintf(prefix, sizeof(prefix), "%s", s);
		prefixlen = strlen(prefix);
	}
	if ((s = getenv("DMD_FAULT_LOG")) != NULL && *s != '\0')
		snprintf(logpath, sizeof(logpath), "%s", s);
	if ((s = getenv("DMD_FAULTS")) == NULL || *s == '\0')
		return;
	snprintf(buf, sizeof(buf), "%s", s);
	for (item = strtok_r(buf, ",", &save); item != NULL;
	    item = strtok_r(NULL, ",", &save))
		parse_item(item);
}

#define RESOLVE(v, name)	(*(void **)&(v) = dlsym(RTLD_NEXT, name))

static void
resolve(void)
{
	/* the allocator first: dlsym() may call it */
	RESOLVE(real_malloc, "malloc");
	RESOLVE(real_calloc, "calloc");
	RESOLVE(real_realloc, "realloc");
	RESOLVE(real_free, "free");
	RESOLVE(real_write, "write");
	RESOLVE(real_read, "read");
	RESOLVE(real_pread, "pread");
	RESOLVE(real_pread64, "pread64");
	RESOLVE(real_fsync, "fsync");
	RESOLVE(real_syncfs, "syncfs");
	RESOLVE(real_fdatasync, "fdatasync");
	RESOLVE(real_rename, "rename");
	RESOLVE(real_renameat, "renameat");
	RESOLVE(real_open, "open");
	RESOLVE(real_open64, "open64");
	RESOLVE(real_openat, "openat");
	RESOLVE(real_openat64, "openat64");
	RESOLVE(real_open_2, "__open_2");
	RESOLVE(real_open64_2, "__open64_2");
	RESOLVE(real_openat_2, "__openat_2");
	RESOLVE(real_openat64_2, "__openat64_2");
	RESOLVE(real_fopen, "fopen");
	RESOLVE(real_fopen64, "fopen64");
	RESOLVE(real_fflush, "fflush");
	RESOLVE(real_fclose, "fclose");
	RESOLVE(real_fwrite, "fwrite");
	RESOLVE(real_connect, "connect");
}

/* Resolve and read the environment once.  Returns 0 when the caller
 * may use the real functions, -1 while this thread is resolving them
 * (dlsym calling malloc). */
static int
init(void)
{
	int expect = 0;

	if (__atomic_load_n(&state, __ATOMIC_ACQUIRE) == 2)
		return 0;
	if (resolving)
		return -1;
	if (__atomic_compare_exchange_n(&state, &expect, 1, 0,
	    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		resolving = 1;
		resolve();
		parse_env();
		resolving = 0;
		__atomic_store_n(&state, 2, __ATOMIC_RELEASE);
		return 0;
	}
	while (__atomic_load_n(&state, __ATOMIC_ACQUIRE) != 2)
		sched_yield();
	return 0;
}

static void
log_line(const char *line)
{
	int fd;

	if (logpath[0] == '\0') {
		say(2, line);
		return;
	}
	if ((fd = real_open(logpath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
	    0644)) == -1)
		return;
	say(fd, line);	/* one write(2), O_APPEND: lines never mix */
	close(fd);
}

static const char *
errname(int e)
{
	static __thread char num[16] __attribute__((tls_model("initial-exec")));
	size_t i;

	if (e == SHORT)
		return "short";
	if (e == KILL)
		return "kill";
	for (i = 0; i < sizeof(errnames) / sizeof(errnames[0]); i++)
		if (errnames[i].num == e)
			return errnames[i].name;
	snprintf(num, sizeof(num), "%d", e);
	return num;
}

static int
under_prefix(const char *path)
{
	return strncmp(path, prefix, prefixlen) == 0;
}

/* Whether fd is a file under the prefix. */
static int
fd_under_prefix(int fd)
{
	char link[64], path[PATH_MAX];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	if ((n = readlink(link, path, sizeof(path) - 1)) <= 0)
		return 0;
	path[n] = '\0';
	return under_prefix(path);
}

/* Whether path, relative to dirfd, is under the prefix. */
static int
path_under_prefix(int dirfd, const char *path)
{
	char base[PATH_MAX], link[64], full[PATH_MAX * 2];
	ssize_t n;

	if (path == NULL)
		return 0;
	if (path[0] == '/')
		return under_prefix(path);
	if (dirfd == AT_FDCWD) {
		if (getcwd(base, sizeof(base)) == NULL)
			return 0;
	} else {
		snprintf(link, sizeof(link), "/proc/self/fd/%d", dirfd);
		if ((n = readlink(link, base, sizeof(base) - 1)) <= 0)
			return 0;
		base[n] = '\0';
	}
	snprintf(full, sizeof(full), "%s/%s", base, path);
	return under_prefix(full);
}

#define ANY_FD		(-2)	/* no fd to look at */
#define STDIO		1	/* a stdio stream: EINTR and short never apply */

/*
 * Count a call and say whether it fails: the rule that fires, or NULL.
 * A file call (path, or fd >= 0) is counted only under the prefix, when
 * there is one.
 */
static const struct rule *
hit(int call, int dirfd, const char *path, int fd, int flags)
{
	const struct rule *r;
	unsigned long n;
	char line[128];
	int i;

	if (nrules == 0 && !counting)
		return NULL;
	if (prefixlen > 0) {
		if (path != NULL && !path_under_prefix(dirfd, path))
			return NULL;
		if (path == NULL && fd != ANY_FD && !fd_under_prefix(fd))
			return NULL;
	}
	n = __atomic_add_fetch(&counts[call], 1, __ATOMIC_RELAXED);
	for (i = 0; i < nrules; i++) {
		r = &rules[i];
		if (r->call != call || n < r->n || (!r->plus && n != r->n))
			continue;
		if ((flags & STDIO) && (r->err == SHORT || r->err == EINTR))
			continue;
		snprintf(line, sizeof(line), "%ld %s %lu %s\n", (long)getpid(),
		    callname[call], n, errname(r->err));
		log_line(line);
		if (r->err == KILL)
			kill(getpid(), SIGKILL);
		return r;
	}
	return NULL;
}

static void __attribute__((destructor))
report_counts(void)
{
	char line[128];
	int i;

	if (!counting || __atomic_load_n(&state, __ATOMIC_ACQUIRE) != 2)
		return;
	for (i = 0; i < NCALLS; i++) {
		snprintf(line, sizeof(line), "%ld count %s %lu\n",
		    (long)getpid(), callname[i],
		    __atomic_load_n(&counts[i], __ATOMIC_RELAXED));
		log_line(line);
	}
}

static void __attribute__((constructor))
start(void)
{
	(void)init();
}

/* --- the allocator ---------------------------------------------------- */

void *
malloc(size_t size)
{
	const struct rule *r;

	if (init() != 0 || real_malloc == NULL)
		return arena_alloc(size);
	if ((r = hit(C_MALLOC, AT_FDCWD, NULL, ANY_FD, 0)) != NULL) {
		errno = r->err;
		return NULL;
	}
	return real_malloc(size);
}

void *
calloc(size_t nmemb, size_t size)
{
	const struct rule *r;

	if (init() != 0 || real_calloc == NULL) {
		/* the arena is zero and never reused */
		if (size != 0 && nmemb > SIZE_MAX / size)
			return NULL;
		return arena_alloc(nmemb * size);
	}
	if ((r = hit(C_MALLOC, AT_FDCWD, NULL, ANY_FD, 0)) != NULL) {
		errno = r->err;
		return NULL;
	}
	return real_calloc(nmemb, size);
}

void *
realloc(void *p, size_t size)
{
	const struct rule *r;
	void *q;

	if (in_arena(p)) {
		/* rare: grow out of the arena (its blocks' sizes are lost,
		 * so copy what may be there) */
		if ((q = malloc(size)) != NULL && p != NULL) {
			size_t max = (size_t)(arena + sizeof(arena) -
			    (unsigned char *)p);

			memcpy(q, p, size < max ? size : max);
		}
		return q;
	}
	if (init() != 0 || real_realloc == NULL)
		return arena_alloc(size);
	if ((r = hit(C_MALLOC, AT_FDCWD, NULL, ANY_FD, 0)) != NULL) {
		errno = r->err;
		return NULL;
	}
	return real_realloc(p, size);
}

void
free(void *p)
{
	if (p == NULL || in_arena(p))
		return;
	if (init() != 0 || real_free == NULL)
		return;	/* cannot happen: only the arena gave out memory */
	real_free(p);
}

/*
 * Whether a call of a wrapper below fails (counting it, as hit() does):
 * 1 with errno set by the rule that fires; for a read or write (len not
 * NULL) a short count halves *len instead, and the call goes on.
 */
static int
fails(int call, int dirfd, const char *path, int fd, size_t *len)
{
	const struct rule *r;

	if ((r = hit(call, dirfd, path, fd, 0)) == NULL)
		return 0;
	if (r->err == SHORT && len != NULL) {
		if (*len > 1)
			*len /= 2;
		return 0;
	}
	errno = r->err;
	return 1;
}

/* --- file descriptors -------------------------------------------------- */

ssize_t
write(int fd, const void *buf, size_t len)
{
	(void)init();
	if (fails(C_WRITE, AT_FDCWD, NULL, fd, &len))
		return -1;
	return real_write(fd, buf, len);
}

ssize_t
read(int fd, void *buf, size_t len)
{
	(void)init();
	if (fails(C_READ, AT_FDCWD, NULL, fd, &len))
		return -1;
	return real_read(fd, buf, len);
}

ssize_t
pread(int fd, void *buf, size_t len, off_t off)
{
	(void)init();
	if (fails(C_READ, AT_FDCWD, NULL, fd, &len))
		return -1;
	return real_pread(fd, buf, len, off);
}

ssize_t
pread64(int fd, void *buf, size_t len, off64_t off)
{
	(void)init();
	if (fails(C_READ, AT_FDCWD, NULL, fd, &len))
		return -1;
	return real_pread64(fd, buf, len, off);
}

int
fsync(int fd)
{
	(void)init();
	if (fails(C_FSYNC, AT_FDCWD, NULL, fd, NULL))
		return -1;
	return real_fsync(fd);
}

int
syncfs(int fd)
{
	(void)init();
	if (fails(C_FSYNC, AT_FDCWD, NULL, fd, NULL))
		return -1;
	return real_syncfs(fd);
}

int
fdatasync(int fd)
{
	(void)init();
	if (fails(C_FDATASYNC, AT_FDCWD, NULL, fd, NULL))
		return -1;
	return real_fdatasync(fd);
}

int
rename(const char *from, const char *to)
{
	(void)init();
	/* under the prefix if either end is: count it once */
	if (fails(C_RENAME, AT_FDCWD, prefixlen > 0 &&
	    !path_under_prefix(AT_FDCWD, from) ? to : from, ANY_FD, NULL))
		return -1;
	return real_rename(from, to);
}

int
renameat(int fromfd, const char *from, int tofd, const char *to)
{
	int use_to;

	(void)init();
	use_to = prefixlen > 0 && !path_under_prefix(fromfd, from);
	if (fails(C_RENAME, use_to ? tofd : fromfd, use_to ? to : from,
	    ANY_FD, NULL))
		return -1;
	return real_renameat(fromfd, from, tofd, to);
}


static mode_t
mode_arg(int flags, va_list ap)
{
	if ((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE)
		return (mode_t)va_arg(ap, int);
	return 0;
}

int
open(const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = mode_arg(flags, ap);
	va_end(ap);
	(void)init();
	if (fails(C_OPEN, AT_FDCWD, path, ANY_FD, NULL))
		return -1;
	return real_open(path, flags, mode);
}

int
open64(const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = mode_arg(flags, ap);
	va_end(ap);
	(void)init();
	if (fails(C_OPEN, AT_FDCWD, path, ANY_FD, NULL))
		return -1;
	return real_open64(path, flags, mode);
}

int
openat(int dirfd, const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = mode_arg(flags, ap);
	va_end(ap);
	(void)init();
	if (fails(C_OPEN, dirfd, path, ANY_FD, NULL))
		return -1;
	return real_openat(dirfd, path, flags, mode);
}

int
openat64(int dirfd, const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = mode_arg(flags, ap);
	va_end(ap);
	(void)init();
	if (fails(C_OPEN, dirfd, path, ANY_FD, NULL))
		return -1;
	return real_openat64(dirfd, path, flags, mode);
}

int __open_2(const char *, int);
int __open64_2(const char *, int);
int __openat_2(int, const char *, int);
int __openat64_2(int, const char *, int);

int
__open_2(const char *path, int flags)
{
	(void)init();
	if (fails(C_OPEN, AT_FDCWD, path, ANY_FD, NULL))
		return -1;
	return real_open_2(path, flags);
}

int
__open64_2(const char *path, int flags)
{
	(void)init();
	if (fails(C_OPEN, AT_FDCWD, path, ANY_FD, NULL))
		return -1;
	return real_open64_2(path, flags);
}

int
__openat_2(int dirfd, const char *path, int flags)
{
	(void)init();
	if (fails(C_OPEN, dirfd, path, ANY_FD, NULL))
		return -1;
	return real_openat_2(dirfd, path, flags);
}

int
__openat64_2(int dirfd, const char *path, int flags)
{
	(void)init();
	if (fails(C_OPEN, dirfd, path, ANY_FD, NULL))
		return -1;
	return real_openat64_2(dirfd, path, flags);
}

int
connect(int fd, const struct sockaddr *sa, socklen_t len)
{
	(void)init();
	if (fails(C_CONNECT, AT_FDCWD, NULL, ANY_FD, NULL))
		return -1;
	return real_connect(fd, sa, len);
}

/* --- stdio ------------------------------------------------------------- */

FILE *
fopen(const char *path, const char *mode)
{
	(void)init();
	if (fails(C_OPEN, AT_FDCWD, path, ANY_FD, NULL))
		return NULL;
	return real_fopen(path, mode);
}

FILE *
fopen64(const char *path, const char *mode)
{
	(void)init();
	if (fails(C_OPEN, AT_FDCWD, path, ANY_FD, NULL))
		return NULL;
	return real_fopen64(path, mode);
}

/* The write stdio is about to make of fp's buffered bytes (and of add
 * more, which do not fit) fails: drop them and flag the stream, as a
 * failed write(2) inside stdio does.  Returns the errno, or 0. */
static int
stdio_write_fails(FILE *fp, size_t add)
{
	const struct rule *r;
	int e = 0, writes;

	flockfile(fp);
	if (add == 0)
		writes = fp->_IO_write_ptr > fp->_IO_write_base;
	else
		writes = fp->_IO_buf_base != NULL &&
		    (size_t)(fp->_IO_buf_end - fp->_IO_write_ptr) < add;
	if (writes &&
	    (r = hit(C_WRITE, AT_FDCWD, NULL, fileno(fp), STDIO)) != NULL) {
		fp->_IO_write_ptr = fp->_IO_write_base;
		fp->_flags |= _IO_ERR_SEEN;
		e = r->err;
	}
	funlockfile(fp);
	return e;
}

int
fflush(FILE *fp)
{
	int e;

	(void)init();
	if (fp != NULL && (e = stdio_write_fails(fp, 0)) != 0) {
		errno = e;
		return EOF;
	}
	return real_fflush(fp);
}

int
fclose(FILE *fp)
{
	int e;

	(void)init();
	if ((e = stdio_write_fails(fp, 0)) != 0) {
		(void)real_fclose(fp);
		errno = e;
		return EOF;
	}
	return real_fclose(fp);
}

size_t
fwrite(const void *p, size_t size, size_t n, FILE *fp)
{
	int e;

	(void)init();
	if (size > 0 && n > 0 && n <= SIZE_MAX / size &&
	    (e = stdio_write_fails(fp, size * n)) != 0) {
		errno = e;
		return 0;
	}
	return real_fwrite(p, size, n, fp);
}
