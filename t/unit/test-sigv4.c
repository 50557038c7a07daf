/*
 * test-sigv4.c - unit tests of what signs our AWS requests: SHA-256
 * (common/sha256.c) against the FIPS 180-4 examples, dmd_url_encode()
 * (common/url.c), and the Authorization header that libcurl computes for
 * dmd_aws_request() (common/aws.c, common/http.c) against AWS's
 * published Signature Version 4 test suite (credentials AKIDEXAMPLE,
 * region us-east-1, service "service", 20150830T123600Z).
 *
 * libcurl signs, so the test captures what is actually sent: a small
 * HTTP server in a thread of this process, on 127.0.0.1, reads one
 * request, keeps it and answers 200.  The vectors' host and date reach
 * the signature as request headers (Host: example.amazonaws.com,
 * X-Amz-Date: ...), which libcurl signs as given: no change to common/
 * is needed for that.  A verifier written here from the specification
 * (HMAC-SHA256 over dmd_sha256) must agree with the published vectors
 * first; then it checks the signatures of the requests the s3://
 * archive sends (PUT, ranged GET, ListObjectsV2, DELETE, with a session
 * token), which s3rver, the tests' S3, does not check at all.
 */
#define _GNU_SOURCE	/* strcasestr */
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "archive.h"
#include "aws.h"
#include "sha256.h"
#include "tap.h"
#include "url.h"

#define N(x)	(sizeof(x) / sizeof((x)[0]))

#define KEY_ID	"AKIDEXAMPLE"
#define SECRET	"wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define DATE	"20150830T123600Z"
#define SCOPE	"20150830/us-east-1/service/aws4_request"
#define TOKEN	"AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTw" \
	"dQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMc" \
	"GdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75Y" \
	"U9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz" \
	"+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA=="

/* --- SHA-256 ---------------------------------------------------------- */

static void
hex(const unsigned char *p, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
	out[2 * n] = '\0';
}

static void
test_sha256(void)
{
	static const struct {
		const char *msg;
		const char *want;
	} fips[] = {
		{ "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
		{ "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
		{ "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
		    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
		{ "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
		  "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
		    "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1" },
	};
	/* lengths about the 64-byte block and its 55/56-byte padding edge,
	 * of 'a's (hashes by an independent implementation) */
	static const struct {
		size_t n;
		const char *want;
	} as[] = {
		{ 55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318" },
		{ 56, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a" },
		{ 63, "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34" },
		{ 64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb" },
		{ 65, "635361c48bb9eab14198e76ea8ab7f1a41685d6ad62aa9146d301d4f17eb0ae0" },
		{ 119, "31eba51c313a5c08226adf18d4a359cfdfd8d2e816b13f4af952f7ea6584dcfb" },
		{ 120, "2f3d335432c70b580af0e8e1b3674a7c020d683aa5f73aaaedfdc55af904c21c" },
		{ 128, "6836cf13bac400e9105071cd6af47084dfacad4e5e302c94bfed24e013afb73e" },
	};
	static const size_t chunks[] = { 1, 3, 55, 63, 64, 65, 1000, 4096 };
	const char *million =
	    "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";
	struct dmd_sha256 s;
	unsigned char md[32], a[1000];
	char got[65], buf[200];
	size_t i, k, done_n;

	for (i = 0; i < N(fips); i++) {
		dmd_sha256_hex(fips[i].msg, strlen(fips[i].msg), got);
		is(got, fips[i].want, "sha256 of the %zu-byte FIPS 180-4 message",
		    strlen(fips[i].msg));
		/* one byte at a time */
		dmd_sha256_init(&s);
		for (k = 0; fips[i].msg[k] != '\0'; k++)
			dmd_sha256_update(&s, fips[i].msg + k, 1);
		dmd_sha256_final(&s, md);
		hex(md, 32, got);
		is(got, fips[i].want, "... and fed one byte at a time");
	}
	memset(buf, 'a', sizeof(buf));
	for (i = 0; i < N(as); i++) {
		dmd_sha256_hex(buf, as[i].n, got);
		is(got, as[i].want, "sha256 of %zu 'a's", as[i].n);
	}
	/* a million 'a's, in chunks of every size here */
	memset(a, 'a', sizeof(a));
	for (i = 0; i < N(chunks); i++) {
		dmd_sha256_init(&s);
		for (done_n = 0; done_n < 1000000; done_n += k) {
			k = 1000000 - done_n;
			if (k > chunks[i])
				k = chunks[i];
			while (k > sizeof(a))
				k = sizeof(a);
			dmd_sha256_update(&s, a, k);
		}
		dmd_sha256_final(&s, md);
		hex(md, 32, got);
		is(got, million, "sha256 of a million 'a's in chunks of %zu",
		    chunks[i]);
	}
	/* the NULL pointer of an empty body */
	dmd_sha256_hex(NULL, 0, got);
	is(got, fips[0].want, "sha256 of (NULL, 0) is that of \"\"");
}

/* --- dmd_url_encode() ------------------------------------------------ */

static void
test_encode(void)
{
	static const struct {
		const char *in;
		int slash_ok;
		const char *want;
	} v[] = {
		{ "AZaz09-._~", 0, "AZaz09-._~" },
		{ "a b", 0, "a%20b" },
		{ "arch/g01/", 0, "arch%2Fg01%2F" },
		{ "arch/g01/", 1, "arch/g01/" },
		{ "+=&?#%*!'()$,;:@[]", 0,
		    "%2B%3D%26%3F%23%25%2A%21%27%28%29%24%2C%3B%3A%40%5B%5D" },
		{ "\xc3\xa9\xff\x01\x7f", 0, "%C3%A9%FF%01%7F" },
		{ "", 0, "" },
		/* a continuation token as S3 hands them out */
		{ "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=", 0,
		    "1ueGcxLPRx1Tr%2FXYExHnhbYLgveDs2J%2Fwm36Hy4vbOwM%3D" },
	};
	char out[128], small[8];
	size_t i;
	int rc;

	for (i = 0; i < N(v); i++) {
		out[0] = '\0';
		rc = dmd_url_encode(out, sizeof(out), v[i].in, v[i].slash_ok);
		ok(rc == 0, "encode \"%s\"%s: fits", v[i].want,
		    v[i].slash_ok ? " (a path)" : "");
		is(out, v[i].want, "encode \"%s\"%s", v[i].want,
		    v[i].slash_ok ? " (a path)" : "");
	}
	/* appends */
	strcpy(out, "prefix=");
	ok(dmd_url_encode(out, sizeof(out), "a/b c", 0) == 0 &&
	    strcmp(out, "prefix=a%2Fb%20c") == 0, "appends to what is there");
	/* exactly full, and one byte short */
	small[0] = '\0';
	ok(dmd_url_encode(small, sizeof(small), "abcdefg", 0) == 0 &&
	    strcmp(small, "abcdefg") == 0, "7 bytes and the NUL fit in 8");
	small[0] = '\0';
	ok(dmd_url_encode(small, sizeof(small), "abcdefgh", 0) == -1,
	    "8 bytes do not fit in 8");
	small[0] = '\0';
	ok(dmd_url_encode(small, sizeof(small), "abcd ", 0) == 0 &&
	    strcmp(small, "abcd%20") == 0, "an escape that ends at the NUL fits");
	small[0] = '\0';
	ok(dmd_url_encode(small, sizeof(small), "abcde ", 0) == -1,
	    "an escape one byte past does not");
	/* what is left after a failure: the string as it was */
	memset(small, 'X', sizeof(small));
	small[0] = '\0';
	rc = dmd_url_encode(small, sizeof(small), "abcdefghij", 0);
	ok(rc == -1 && small[0] == '\0',
	    "after -1 the buffer holds the string it held before");
}

/* --- a server that keeps one request ------------------------------- */

struct capture {
	int		 lfd;
	int		 port;
	pthread_t	 thread;
	char		 req[65536];	/* request line, headers, body */
	size_t		 len;
	size_t		 head;		/* bytes of request line and headers */
	const char	*reply;		/* the response, whole */
	const char	*reply2;	/* a second one, or NULL */
	char		 first[4096];	/* then the first request's head */
};

static void
capture_open(struct capture *c)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	int one = 1;

	memset(c, 0, sizeof(*c));
	c->lfd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(c->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (c->lfd < 0 || bind(c->lfd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    listen(c->lfd, 4) != 0 ||
	    getsockname(c->lfd, (struct sockaddr *)&sa, &sl) != 0) {
		perror("test-sigv4: listen");
		exit(1);
	}
	c->port = ntohs(sa.sin_port);
}

static void
serve_one(struct capture *c, const char *reply)
{
	const char *end, *cl;
	size_t want = 0;
	ssize_t n;
	int fd;

	c->len = c->head = 0;
	c->req[0] = '\0';
	if ((fd = accept(c->lfd, NULL, NULL)) < 0)
		return;
	for (;;) {
		n = read(fd, c->req + c->len, sizeof(c->req) - 1 - c->len);
		if (n <= 0)
			break;
		c->len += (size_t)n;
		c->req[c->len] = '\0';
		if (c->head == 0 && (end = strstr(c->req, "\r\n\r\n")) != NULL) {
			c->head = (size_t)(end - c->req) + 4;
			cl = strcasestr(c->req, "\r\ncontent-length:");
			if (cl != NULL && cl < end)
				want = strtoul(cl + 17, NULL, 10);
		}
		if (c->head != 0 && c->len >= c->head + want)
			break;
	}
	n = write(fd, reply, strlen(reply));
	(void)n;
	close(fd);
}

static void *
serve(void *arg)
{
	struct capture *c = arg;

	serve_one(c, c->reply);
	if (c->reply2 != NULL) {
		snprintf(c->first, sizeof(c->first), "%.*s", (int)c->head,
		    c->req);
		serve_one(c, c->reply2);
	}
	return NULL;
}

/* Answer the next request with reply (NULL: an empty 200), and the one
 * after it with reply2 if that is not NULL. */
static void
capture_start2(struct capture *c, const char *reply, const char *reply2)
{
	c->reply = reply ? reply :
	    "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
	c->reply2 = reply2;
	pthread_create(&c->thread, NULL, serve, c);
}

static void
capture_start(struct capture *c, const char *reply)
{
	capture_start2(c, reply, NULL);
}

static void
capture_wait(struct capture *c)
{
	pthread_join(c->thread, NULL);
}

/* The value of header name in the captured request, into out. */
static const char *
header(const struct capture *c, const char *name, char *out, size_t outlen)
{
	const char *p = strstr(c->req, "\r\n"), *e;
	size_t nl = strlen(name), vl;

	out[0] = '\0';
	while (p != NULL && p < c->req + c->head - 2) {
		p += 2;
		e = strstr(p, "\r\n");
		if (e == NULL)
			break;
		if ((size_t)(e - p) > nl && strncasecmp(p, name, nl) == 0 &&
		    p[nl] == ':') {
			p += nl + 1;
			while (*p == ' ' || *p == '\t')
				p++;
			vl = (size_t)(e - p);
			while (vl > 0 && (p[vl - 1] == ' ' || p[vl - 1] == '\t'))
				vl--;
			if (vl >= outlen)
				vl = outlen - 1;
			memcpy(out, p, vl);
			out[vl] = '\0';
			return out;
		}
		p = e;
	}
	return NULL;
}

/* --- a verifier, from the specification ------------------------------ */

static void
hmac(const unsigned char *key, size_t klen, const void *msg, size_t mlen,
    unsigned char out[32])
{
	unsigned char k[64], pad[64], inner[32];
	struct dmd_sha256 s;
	size_t i;

	memset(k, 0, sizeof(k));
	if (klen > 64) {
		dmd_sha256_init(&s);
		dmd_sha256_update(&s, key, klen);
		dmd_sha256_final(&s, k);
	} else
		memcpy(k, key, klen);
	for (i = 0; i < 64; i++)
		pad[i] = k[i] ^ 0x36;
	dmd_sha256_init(&s);
	dmd_sha256_update(&s, pad, 64);
	dmd_sha256_update(&s, msg, mlen);
	dmd_sha256_final(&s, inner);
	for (i = 0; i < 64; i++)
		pad[i] = k[i] ^ 0x5c;
	dmd_sha256_init(&s);
	dmd_sha256_update(&s, pad, 64);
	dmd_sha256_update(&s, inner, 32);
	dmd_sha256_final(&s, out);
}

/* 1 if q is a canonical query string as written: pairs sorted by name,
 * every byte unreserved or a %XX escape in upper case. */
static int
query_canonical(const char *q)
{
	char prev[1024] = "", name[1024];
	const char *p = q;
	size_t n;

	while (*p != '\0') {
		n = strcspn(p, "=&");
		if (n >= sizeof(name))
			return 0;
		memcpy(name, p, n);
		name[n] = '\0';
		if (prev[0] != '\0' && strcmp(prev, name) > 0)
			return 0;
		strcpy(prev, name);
		for (; *p != '\0' && *p != '&'; p++) {
			if (*p == '%') {
				if (!strchr("0123456789ABCDEF", p[1]) || !p[1] ||
				    !strchr("0123456789ABCDEF", p[2]) || !p[2])
					return 0;
				p += 2;
			} else if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			    "0123456789-._~=", *p))
				return 0;
		}
		if (*p == '&')
			p++;
	}
	return 1;
}

/* The signature AWS would compute for the captured request, from its
 * Authorization header's scope and signed headers, into sig (65 bytes).
 * 0, or -1 when the request lacks what it needs. */
static int
verify(const struct capture *c, const char *secret, char *sig)
{
	char auth[1024], creq[16384], sts[640], date[64], v[4096], crh[65];
	char scope[256], signed_h[512], method[16], target[4096], name[128];
	char payload[65], k0[128];
	unsigned char kd[32], kr[32], ks[32], kk[32], md[32];
	const char *p, *q, *h;
	size_t o = 0, n;

	if (header(c, "Authorization", auth, sizeof(auth)) == NULL ||
	    header(c, "X-Amz-Date", date, sizeof(date)) == NULL ||
	    sscanf(c->req, "%15s %4095s", method, target) != 2)
		return -1;
	if ((p = strstr(auth, "Credential=")) == NULL ||
	    (p = strchr(p, '/')) == NULL)
		return -1;
	n = strcspn(++p, ",");
	snprintf(scope, sizeof(scope), "%.*s", (int)n, p);
	if ((p = strstr(auth, "SignedHeaders=")) == NULL)
		return -1;
	n = strcspn(p += 14, ",");
	snprintf(signed_h, sizeof(signed_h), "%.*s", (int)n, p);

	q = strchr(target, '?');
	o += (size_t)snprintf(creq + o, sizeof(creq) - o, "%s\n%.*s\n%s\n",
	    method, (int)(q ? (size_t)(q - target) : strlen(target)), target,
	    q ? q + 1 : "");
	for (h = signed_h; *h != '\0'; h += n + (h[n] == ';')) {
		n = strcspn(h, ";");
		snprintf(name, sizeof(name), "%.*s", (int)n, h);
		if (header(c, name, v, sizeof(v)) == NULL)
			return -1;
		o += (size_t)snprintf(creq + o, sizeof(creq) - o, "%s:%s\n",
		    name, v);
	}
	if (header(c, "x-amz-content-sha256", payload, sizeof(payload)) ==
	    NULL)
		dmd_sha256_hex(c->req + c->head, c->len - c->head, payload);
	o += (size_t)snprintf(creq + o, sizeof(creq) - o, "\n%s\n%s",
	    signed_h, payload);
	if (o >= sizeof(creq))
		return -1;
	dmd_sha256_hex(creq, o, crh);
	snprintf(sts, sizeof(sts), "AWS4-HMAC-SHA256\n%.63s\n%.255s\n%s",
	    date, scope, crh);
	/* scope: DATE/REGION/SERVICE/aws4_request */
	snprintf(k0, sizeof(k0), "AWS4%s", secret);
	p = scope;
	n = strcspn(p, "/");
	hmac((unsigned char *)k0, strlen(k0), p, n, kd);
	p += n + 1;
	n = strcspn(p, "/");
	hmac(kd, 32, p, n, kr);
	p += n + 1;
	n = strcspn(p, "/");
	hmac(kr, 32, p, n, ks);
	hmac(ks, 32, "aws4_request", 12, kk);
	hmac(kk, 32, sts, strlen(sts), md);
	hex(md, 32, sig);
	return 0;
}

/* The Signature= of the captured Authorization header. */
static const char *
sent_signature(const struct capture *c, char *out, size_t outlen)
{
	char auth[1024];
	const char *p;

	if (header(c, "Authorization", auth, sizeof(auth)) == NULL ||
	    (p = strstr(auth, "Signature=")) == NULL)
		return "";
	snprintf(out, outlen, "%s", p + 10);
	return out;
}

/* --- the AWS test suite ---------------------------------------------- */

struct vector {
	const char	*name;
	const char	*method;
	const char	*target;	/* path and query, as sent */
	const char	*headers[3];	/* besides Host and X-Amz-Date */
	const char	*body;		/* NULL: none */
	int		 token;		/* with AWS_SESSION_TOKEN */
	const char	*signed_h;
	const char	*sig;
};

/*
 * From aws-sig-v4-test-suite (each NAME/NAME.authz).  Left out: the cases
 * libcurl cannot express (duplicate header names, multi-line values,
 * dot segments and slashes in paths, which it passes on unnormalised),
 * and get-vanilla-query-order-key-case as the suite writes it,
 * ?Param2=value2&Param1=value1: libcurl (7.88) signs the query as
 * written, not sorted, so callers must write it sorted (archive_s3.c
 * does); sorted it is the case below.
 */
static const struct vector vectors[] = {
	{ "get-vanilla", "GET", "/", { NULL }, NULL, 0, "host;x-amz-date",
	    "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31" },
	{ "get-vanilla-query-order-key-case (sorted)", "GET",
	    "/?Param1=value1&Param2=value2", { NULL }, NULL, 0,
	    "host;x-amz-date",
	    "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500" },
	{ "normalize-path/get-space", "GET", "/example%20space/", { NULL },
	    NULL, 0, "host;x-amz-date",
	    "652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741" },
	{ "post-vanilla", "POST", "/", { NULL }, "", 0, "host;x-amz-date",
	    "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b" },
	{ "post-vanilla-query", "POST", "/?Param1=value1", { NULL }, "", 0,
	    "host;x-amz-date",
	    "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11" },
	{ "post-header-key-sort", "POST", "/", { "My-Header1: value1", NULL },
	    "", 0, "host;my-header1;x-amz-date",
	    "c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c" },
	{ "post-header-value-case", "POST", "/", { "My-Header1: VALUE1", NULL },
	    "", 0, "host;my-header1;x-amz-date",
	    "cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d" },
	{ "post-x-www-form-urlencoded", "POST", "/",
	    { "Content-Type: application/x-www-form-urlencoded", NULL },
	    "Param1=value1", 0, "content-type;host;x-amz-date",
	    "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a" },
	{ "post-x-www-form-urlencoded-parameters", "POST", "/",
	    { "Content-Type: application/x-www-form-urlencoded; charset=utf8",
	    NULL }, "Param1=value1", 0, "content-type;host;x-amz-date",
	    "1a72ec8f64bd914b0e42e42607c7fbce7fb2c7465f63e3092b3b0d39fa77a6fe" },
	{ "post-sts-token/post-sts-header-before", "POST", "/", { NULL }, "",
	    1, "host;x-amz-date;x-amz-security-token",
	    "85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead" },
};

static void
test_vectors(struct capture *c)
{
	struct dmd_aws a;
	const char *hl[8];
	char url[4200], err[256], auth[1024], mine[65], want[512];
	char line[256];
	size_t i, k, n;
	int rc;

	for (i = 0; i < N(vectors); i++) {
		const struct vector *v = &vectors[i];

		setenv("AWS_ACCESS_KEY_ID", KEY_ID, 1);
		setenv("AWS_SECRET_ACCESS_KEY", SECRET, 1);
		if (v->token)
			setenv("AWS_SESSION_TOKEN", TOKEN, 1);
		else
			unsetenv("AWS_SESSION_TOKEN");
		ok(dmd_aws_init(&a, "service", "us-east-1", err,
		    sizeof(err)) == 0, "%s: credentials from the environment",
		    v->name);
		n = 0;
		hl[n++] = "Host: example.amazonaws.com";
		hl[n++] = "X-Amz-Date: " DATE;
		for (k = 0; v->headers[k] != NULL; k++)
			hl[n++] = v->headers[k];
		hl[n] = NULL;
		snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", c->port,
		    v->target);
		capture_start(c, NULL);
		rc = dmd_aws_request(&a, v->method, url, hl, v->body,
		    v->body ? strlen(v->body) : 0, err, sizeof(err));
		capture_wait(c);
		ok(rc == 0 && a.http.status == 200, "%s: sent", v->name);
		snprintf(line, sizeof(line), "%s %s HTTP/1.1\r\n", v->method,
		    v->target);
		ok(strncmp(c->req, line, strlen(line)) == 0,
		    "%s: request line \"%s %s\"", v->name, v->method, v->target);
		snprintf(want, sizeof(want), "AWS4-HMAC-SHA256 Credential="
		    KEY_ID "/" SCOPE ", SignedHeaders=%s, Signature=%s",
		    v->signed_h, v->sig);
		is(header(c, "Authorization", auth, sizeof(auth)), want,
		    "%s: the suite's Authorization", v->name);
		ok(verify(c, SECRET, mine) == 0 && strcmp(mine, v->sig) == 0,
		    "%s: the verifier agrees", v->name);
		ok(strstr(c->req, SECRET) == NULL &&
		    strcasestr(c->req, "Basic ") == NULL,
		    "%s: neither the secret nor Basic auth on the wire", v->name);
		dmd_aws_release(&a);
	}
	unsetenv("AWS_SESSION_TOKEN");

	/*
	 * "POST" with no body (NULL) goes out as a GET: dmd_http_do() sets
	 * CURLOPT_CUSTOMREQUEST for methods other than GET and POST and
	 * CURLOPT_POSTFIELDS only with a body, so libcurl, told nothing,
	 * sends GET.  No caller does this today.
	 */
	setenv("AWS_ACCESS_KEY_ID", KEY_ID, 1);
	setenv("AWS_SECRET_ACCESS_KEY", SECRET, 1);
	dmd_aws_init(&a, "service", "us-east-1", err, sizeof(err));
	hl[0] = "Host: example.amazonaws.com";
	hl[1] = "X-Amz-Date: " DATE;
	hl[2] = NULL;
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", c->port);
	capture_start(c, NULL);
	rc = dmd_aws_request(&a, "POST", url, hl, NULL, 0, err, sizeof(err));
	capture_wait(c);
	ok(rc == 0 && strncmp(c->req, "POST / ", 7) == 0,
	    "POST with a NULL body goes out as POST");
	dmd_aws_release(&a);
}

/* --- the requests of the s3:// archive -------------------------------- */

static int
count_cb(void *arg, const char *key, uint64_t size)
{
	(void)key;
	(void)size;
	(*(int *)arg)++;
	return 0;
}

static void
test_s3_requests(struct capture *c)
{
	static const unsigned char obj[] = "an archive object\0with a NUL";
	const char *key = "g3f/001732406400-86400-00066208bc4b4ca2";
	const char *list_body =
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<ListBucketResult><Name>dmd-bucket</Name>"
	    "<Prefix>arch/g3f/</Prefix><KeyCount>1</KeyCount>"
	    "<MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>"
	    "<Contents><Key>arch/g3f/001732406400-86400-00066208bc4b4ca2</Key>"
	    "<Size>29</Size></Contents></ListBucketResult>";
	struct dmd_archive *a;
	char url[512], err[256], v[4096], sig[80], mine[65], sha[65];
	const char *page1_body =
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<ListBucketResult><Name>dmd-bucket</Name>"
	    "<IsTruncated>true</IsTruncated>"
	    "<Contents><Key>arch/g3f/001732320000-86400-00066208bc4b4ca2</Key>"
	    "<Size>12</Size></Contents>"
	    "<NextContinuationToken>1/x+y==&amp;z</NextContinuationToken>"
	    "</ListBucketResult>";
	char path[512], list_reply[1024], list_page[1024], target[1024];
	unsigned char buf[64];
	size_t got;
	int pass, n;

	snprintf(list_reply, sizeof(list_reply), "HTTP/1.1 200 OK\r\n"
	    "Content-Type: application/xml\r\nConnection: close\r\n"
	    "Content-Length: %zu\r\n\r\n%s", strlen(list_body), list_body);

	setenv("AWS_ACCESS_KEY_ID", KEY_ID, 1);
	setenv("AWS_SECRET_ACCESS_KEY", SECRET, 1);
	for (pass = 0; pass < 2; pass++) {
		if (pass)
			setenv("AWS_SESSION_TOKEN", TOKEN, 1);
		else
			unsetenv("AWS_SESSION_TOKEN");
		snprintf(url, sizeof(url), "s3://dmd-bucket/arch?endpoint="
		    "http://127.0.0.1:%d&region=eu-west-1", c->port);
		a = dmd_archive_open(url, err, sizeof(err));
		ok(a != NULL, "s3 archive opened%s", pass ? " (token)" : "");
		if (a == NULL)
			continue;

		/* PUT */
		capture_start(c, NULL);
		ok(dmd_archive_put(a, key, obj, sizeof(obj)) == 0,
		    "put sent");
		capture_wait(c);
		snprintf(path, sizeof(path), "PUT /dmd-bucket/arch/%s HTTP/1.1",
		    key);
		ok(strncmp(c->req, path, strlen(path)) == 0,
		    "put: path style, prefix and key");
		ok(c->len - c->head == sizeof(obj) &&
		    memcmp(c->req + c->head, obj, sizeof(obj)) == 0,
		    "put: the body, NUL and all");
		dmd_sha256_hex(obj, sizeof(obj), sha);
		is(header(c, "x-amz-content-sha256", v, sizeof(v)), sha,
		    "put: x-amz-content-sha256 is the body's hash");
		header(c, "Authorization", v, sizeof(v));
		ok(strstr(v, "/eu-west-1/s3/aws4_request,") != NULL,
		    "put: region and service in the scope");
		ok(strstr(v, pass ? "SignedHeaders=content-type;host;"
		    "x-amz-content-sha256;x-amz-date;x-amz-security-token," :
		    "SignedHeaders=content-type;host;x-amz-content-sha256;"
		    "x-amz-date,") != NULL,
		    "put: content-type, host, hash, date%s signed",
		    pass ? ", token" : "");
		ok(verify(c, SECRET, mine) == 0 &&
		    strcmp(mine, sent_signature(c, sig, sizeof(sig))) == 0,
		    "put: the signature checks out");
		ok(strstr(c->req, SECRET) == NULL, "put: no secret sent");

		/* ranged GET */
		capture_start(c, "HTTP/1.1 206 Partial Content\r\n"
		    "Content-Range: bytes 3-9/29\r\nContent-Length: 7\r\n"
		    "Connection: close\r\n\r\narchive");
		ok(dmd_archive_get(a, key, 3, 7, buf, &got) == 0 && got == 7 &&
		    memcmp(buf, "archive", 7) == 0, "get: 7 bytes at 3");
		capture_wait(c);
		is(header(c, "Range", v, sizeof(v)), "bytes=3-9",
		    "get: Range bytes=3-9");
		ok(verify(c, SECRET, mine) == 0 &&
		    strcmp(mine, sent_signature(c, sig, sizeof(sig))) == 0,
		    "get: the signature checks out");

		/* ListObjectsV2: a canonical query, as libcurl signs it */
		capture_start(c, list_reply);
		n = 0;
		ok(dmd_archive_list(a, "g3f/", count_cb, &n) == 0 && n == 1,
		    "list: the one object of the answer");
		capture_wait(c);
		snprintf(path, sizeof(path), "GET /dmd-bucket?delimiter=%%2F&"
		    "list-type=2&max-keys=1000&prefix=arch%%2Fg3f%%2F HTTP/1.1");
		ok(strncmp(c->req, path, strlen(path)) == 0,
		    "list: ListObjectsV2 of arch/g3f/ by delimiter");
		ok(sscanf(c->req, "%*s %1023s", target) == 1 &&
		    strchr(target, '?') != NULL &&
		    query_canonical(strchr(target, '?') + 1),
		    "list: the query is canonical as written");
		ok(verify(c, SECRET, mine) == 0 &&
		    strcmp(mine, sent_signature(c, sig, sizeof(sig))) == 0,
		    "list: the signature checks out");

		/* a truncated listing: the next page by its continuation
		 * token, encoded, the query still canonical */
		snprintf(list_page, sizeof(list_page), "HTTP/1.1 200 OK\r\n"
		    "Connection: close\r\nContent-Length: %zu\r\n\r\n%s",
		    strlen(page1_body), page1_body);
		capture_start2(c, list_page, list_reply);
		n = 0;
		ok(dmd_archive_list(a, "g3f/", count_cb, &n) == 0 && n == 2,
		    "list: two pages, an object each");
		capture_wait(c);
		ok(strncmp(c->first, "GET /dmd-bucket?delimiter=", 26) == 0,
		    "list: the first page without a token");
		snprintf(path, sizeof(path), "GET /dmd-bucket?continuation-token="
		    "1%%2Fx%%2By%%3D%%3D%%26z&delimiter=%%2F&list-type=2&"
		    "max-keys=1000&prefix=arch%%2Fg3f%%2F HTTP/1.1");
		ok(strncmp(c->req, path, strlen(path)) == 0,
		    "list: the second by the token, its / + = & encoded");
		ok(sscanf(c->req, "%*s %1023s", target) == 1 &&
		    strchr(target, '?') != NULL &&
		    query_canonical(strchr(target, '?') + 1),
		    "list: that query is canonical as written");
		ok(verify(c, SECRET, mine) == 0 &&
		    strcmp(mine, sent_signature(c, sig, sizeof(sig))) == 0,
		    "list: its signature checks out");

		/* DELETE */
		capture_start(c, "HTTP/1.1 204 No Content\r\n"
		    "Connection: close\r\n\r\n");
		ok(dmd_archive_del(a, key) == 0, "del sent");
		capture_wait(c);
		snprintf(path, sizeof(path), "DELETE /dmd-bucket/arch/%s "
		    "HTTP/1.1", key);
		ok(strncmp(c->req, path, strlen(path)) == 0, "del: the key");
		ok(verify(c, SECRET, mine) == 0 &&
		    strcmp(mine, sent_signature(c, sig, sizeof(sig))) == 0,
		    "del: the signature checks out");
		dmd_archive_close(a);
	}
	unsetenv("AWS_SESSION_TOKEN");
}

int
main(void)
{
	struct capture *c;

	/* a request that never comes back must not hang make check */
	alarm(120);
	test_sha256();
	test_encode();
	c = calloc(1, sizeof(*c));
	capture_open(c);
	test_vectors(c);
	test_s3_requests(c);
	close(c->lfd);
	free(c);
	return done();
}
