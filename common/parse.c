/*
 * parse.c - one input line to points and rejects (see parse.h).
 *
 * Layout: line-level checks (length, NUL, UTF-8, CR), then per format:
 * the JSON fast path, the yajl callback parser, and the whitespace- and
 * tab-separated text formats.  Field evaluation (what makes a name, time
 * or value acceptable, and the exact reject reason) is shared by all of
 * them, so the formats can never disagree about a point.
 *
 * Reject reasons (stable):
 *   line longer than 65536 bytes | NUL byte | invalid UTF-8 | not JSON |
 *   trailing garbage | not a point object |
 *   name missing | name not a string | name empty |
 *   name too long (N bytes > 255) | name has bad character 'C' |
 *   time missing | time not an integer "T" | time out of range "T" |
 *   value missing | value not a number "V" | value not finite "V"
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <yajl/yajl_parse.h>

#include "parse.h"
#include "xmalloc.h"

/* Kinds of a JSON token, for field evaluation. */
enum jkind { J_NONE, J_STRING, J_NUMBER, J_NULL, J_BOOL, J_MAP, J_ARRAY };

/* How a token of each kind is shown in a reject reason. */
static const char *const jkind_text[] = {
	"", "", "", "null", "", "{}", "[]"
};

static void
reject(struct dmd_parser *p, int index, const char *reason)
{
	struct dmd_reject *r;

	p->rejects = xgrow(p->rejects, &p->caprejects, p->nrejects + 1,
	    sizeof(*p->rejects));
	r = &p->rejects[p->nrejects++];
	r->index = index;
	snprintf(r->reason, sizeof(r->reason), "%s", reason);
}

static void
rejectf(struct dmd_parser *p, int index, const char *what, const char *tok,
    size_t toklen)
{
	char q[DMD_REASON_MAX / 2], why[DMD_REASON_MAX];

	dmd_quote(q, sizeof(q), tok, toklen);
	snprintf(why, sizeof(why), "%s %s", what, q);
	reject(p, index, why);
}

static struct dmd_point *
add_point(struct dmd_parser *p)
{
	p->points = xgrow(p->points, &p->cappoints, p->npoints + 1,
	    sizeof(*p->points));
	return &p->points[p->npoints++];
}

/* Copy bytes into the per-line arena; returns their offset. */
static size_t
arena_put(struct dmd_parser *p, const char *s, size_t len)
{
	size_t off = p->arenalen;

	p->arena = xgrow(p->arena, &p->arenacap, p->arenalen + len + 1, 1);
	memcpy(p->arena + off, s, len);
	p->arena[off + len] = '\0';
	p->arenalen += len + 1;
	return off;
}

/*
 * Numbers.
 */

static const double pow10_exact[] = {
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22
};

/* strtod on a token that is not NUL-terminated.  The grammar was checked
 * by the caller, so strtod sees only decimal number text. */
static double
token_strtod(const char *s, size_t len, int *range)
{
	char buf[128], *tmp = NULL, *b = buf;
	double v;

	if (len >= sizeof(buf))
		b = tmp = xmalloc(len + 1);
	memcpy(b, s, len);
	b[len] = '\0';
	errno = 0;
	v = strtod(b, NULL);
	*range = errno == ERANGE;
	free(tmp);
	return v;
}

/*
 * Decimal number with the JSON grammar -?(0|[1-9][0-9]*)(.[0-9]+)?
 * ([eE][+-]?[0-9]+)?, or with strict == 0 the looser grammar of
 * Graphite's float(): [+-]?([0-9]+.?[0-9]*|.[0-9]+)([eE][+-]?[0-9]+)?.
 * Returns the number of bytes of the number at s (0: not a number), sets
 * *isint when it has no fraction or exponent part.
 */
static size_t
scan_number(const char *s, const char *e, int strict, int *isint)
{
	const char *q = s;
	size_t nd = 0, fd = 0;

	*isint = 1;
	if (q < e && (*q == '-' || (!strict && *q == '+')))
		q++;
	if (strict && q < e && *q == '0') {
		q++;
		nd = 1;
	} else
		for (; q < e && *q >= '0' && *q <= '9'; q++)
			nd++;
	if (strict && nd == 0)
		return 0;	/* JSON has no ".5" */
	if (q < e && *q == '.') {
		q++;
		*isint = 0;
		for (; q < e && *q >= '0' && *q <= '9'; q++)
			fd++;
		if (strict && fd == 0)
			return 0;
	}
	if (nd + fd == 0)
		return 0;
	if (q < e && (*q == 'e' || *q == 'E')) {
		q++;
		*isint = 0;
		if (q < e && (*q == '+' || *q == '-'))
			q++;
		if (q >= e || *q < '0' || *q > '9')
			return 0;
		while (q < e && *q >= '0' && *q <= '9')
			q++;
	}
	return q - s;
}

/* Value of a number token already checked by scan_number(): the exact
 * fast path of Clinger (mantissa < 2^53, power of ten <= 22) or strtod. */
static double
number_value(const char *s, size_t len, int *range)
{
	const char *q = s, *e = s + len;
	uint64_t m = 0;
	int neg = 0, digits = 0, scale = 0;

	*range = 0;
	if (*q == '-' || *q == '+')
		neg = *q++ == '-';
	for (; q < e && *q >= '0' && *q <= '9'; q++, digits++)
		m = m * 10 + (*q - '0');
	if (q < e && *q == '.')
		for (q++; q < e && *q >= '0' && *q <= '9'; q++, digits++) {
			m = m * 10 + (*q - '0');
			scale++;
		}
	if (q == e && digits <= 15 && scale <= 22) {
		double v = (double)m / pow10_exact[scale];

		return neg ? -v : v;
	}
	return token_strtod(s, len, range);
}

/* Evaluate a value token: 0 and *v, or -1 with a reject. */
static int
eval_value(struct dmd_parser *p, int index, const char *t, size_t len,
    int strict, double *v)
{
	int isint, range;

	if (len == 0) {
		reject(p, index, "value missing");
		return -1;
	}
	if (scan_number(t, t + len, strict, &isint) != len) {
		size_t o = (*t == '-' || *t == '+') ? 1 : 0;
		static const char *const inf[] = { "nan", "inf", "infinity" };
		size_t i;

		for (i = 0; i < 3; i++)
			if (len - o == strlen(inf[i]) &&
			    strncasecmp(t + o, inf[i], len - o) == 0) {
				rejectf(p, index, "value not finite", t, len);
				return -1;
			}
		rejectf(p, index, "value not a number", t, len);
		return -1;
	}
	*v = number_value(t, len, &range);
	if (!isfinite(*v)) {
		rejectf(p, index, "value not finite", t, len);
		return -1;
	}
	return 0;
}

/* The integer a JSON number token denotes, judged on its digits, since
 * a double can hide a fraction (100.00000000000000001) or invent one.
 * Returns 0 and *v, 1 if it has a fraction, 2 if it is out of range. */
static int
decimal_integer(const char *s, size_t len, int64_t *v)
{
	const char *q = s, *e = s + len;
	char *dig = xmalloc(len + 1);
	size_t nd = 0, b = 0, i;
	long x = 0, ex = 0;
	int neg = 0, eneg = 0, rv = 0;

	if (q < e && (*q == '-' || *q == '+'))
		neg = *q++ == '-';
	for (; q < e && *q >= '0' && *q <= '9'; q++)
		dig[nd++] = *q;
	if (q < e && *q == '.')
		for (q++; q < e && *q >= '0' && *q <= '9'; q++, x--)
			dig[nd++] = *q;
	if (q < e && (*q == 'e' || *q == 'E')) {
		q++;
		if (q < e && (*q == '-' || *q == '+'))
			eneg = *q++ == '-';
		for (; q < e && *q >= '0' && *q <= '9'; q++)
			if (ex < 100000000)
				ex = ex * 10 + (*q - '0');
	}
	x += eneg ? -ex : ex;
	while (b < nd && dig[b] == '0')
		b++;
	while (nd > b && dig[nd - 1] == '0') {
		nd--;
		x++;
	}
	*v = 0;
	if (nd == b)
		rv = 0;				/* zero, whatever its form */
	else if (x < 0)
		rv = 1;				/* a nonzero digit after the point */
	else if (neg || (long)(nd - b) + x > 12)
		rv = 2;
	else {
		for (i = b; i < nd; i++)
			*v = *v * 10 + (dig[i] - '0');
		for (; x > 0; x--)
			*v *= 10;
		if (*v > DMD_TIME_MAX)
			rv = 2;
	}
	free(dig);
	return rv;
}

/* Evaluate a time token.  JSON (truncate == 0): an integer, or a number
 * whose value is integral; Graphite (truncate == 1): any number,
 * truncated toward zero.  0 and *t, or -1 with a reject. */
static int
eval_time(struct dmd_parser *p, int index, const char *tok, size_t len,
    int strict, int truncate, int64_t *t)
{
	int isint, range;
	double d;

	if (len == 0) {
		reject(p, index, "time missing");
		return -1;
	}
	if (scan_number(tok, tok + len, strict, &isint) != len) {
		rejectf(p, index, "time not an integer", tok, len);
		return -1;
	}
	if (isint) {
		const char *q = tok;
		int neg = 0;
		int64_t v = 0;

		if (*q == '-' || *q == '+')
			neg = *q++ == '-';
		for (; q < tok + len; q++) {
			if (v > DMD_TIME_MAX)
				break;
			v = v * 10 + (*q - '0');
		}
		if (q < tok + len || v > DMD_TIME_MAX || (neg && v != 0)) {
			rejectf(p, index, "time out of range", tok, len);
			return -1;
		}
		*t = v;
		return 0;
	}
	if (!truncate) {
		switch (decimal_integer(tok, len, t)) {
		case 0:
			return 0;
		case 1:
			rejectf(p, index, "time not an integer", tok, len);
			return -1;
		default:
			rejectf(p, index, "time out of range", tok, len);
			return -1;
		}
	}
	d = token_strtod(tok, len, &range);
	if (!isfinite(d) || d <= -1.0 || d >= (double)DMD_TIME_MAX + 1.0) {
		rejectf(p, index, "time out of range", tok, len);
		return -1;
	}
	*t = (int64_t)d;	/* truncates toward zero, like carbon's int() */
	return 0;
}

static int
eval_name(struct dmd_parser *p, int index, const char *name, size_t len)
{
	char why[DMD_REASON_MAX];

	if (dmd_name_check(name, len, why) != 0) {
		reject(p, index, why);
		return -1;
	}
	return 0;
}

/*
 * Line-level checks: NUL bytes and UTF-8.  Word at a time, because every
 * line passes here.
 */

static int
utf8_valid(const unsigned char *s, size_t len)
{
	size_t i = 0, n, k;
	uint32_t cp;
	unsigned char c;

	while (i < len) {
		c = s[i];
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			cp = c & 0x07;
		} else
			return 0;
		if (len - i - 1 < n)
			return 0;
		for (k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		/* overlong forms, surrogates and code points past U+10FFFF */
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += n + 1;
	}
	return 1;
}

/* Returns NULL if the line is clean, else the reason. */
static const char *
line_check(const char *s, size_t len)
{
	const uint64_t hi = 0x8080808080808080ULL, lo = 0x0101010101010101ULL;
	uint64_t acc = 0, w;
	size_t i = 0;
	int high = 0;

	for (; i + 8 <= len; i += 8) {
		memcpy(&w, s + i, 8);
		acc |= (w - lo) & ~w & hi;	/* nonzero if a byte is 0 */
		high |= (w & hi) != 0;
	}
	for (; i < len; i++) {
		acc |= s[i] == '\0';
		high |= (unsigned char)s[i] >= 0x80;
	}
	/* (w - lo) & ~w & hi can also flag a 0x80 byte after a borrow, so
	 * confirm with memchr before calling it a NUL. */
	if (acc && memchr(s, '\0', len) != NULL)
		return "NUL byte";
	if (high && !utf8_valid((const unsigned char *)s, len))
		return "invalid UTF-8";
	return NULL;
}

/*
 * The JSON fast path: exactly {"name":"N","time":T,"value":V} with
 * optional spaces, no escapes, no repeated keys.  Returns 1 when it
 * produced the line's result, 0 to let yajl decide.
 */

#define WS(q, e) while ((q) < (e) && (*(q) == ' ' || *(q) == '\t')) (q)++

static int
lit(const char **qp, const char *e, const char *s, size_t n)
{
	if ((size_t)(e - *qp) < n || memcmp(*qp, s, n) != 0)
		return 0;
	*qp += n;
	return 1;
}

/* Digits of a time in the canonical shape: 1-12 digits, no sign, no
 * leading zero, followed by a byte that ends a JSON number.  Returns the
 * length, or 0 when the general path must judge it. */
static size_t
fast_time(const char *q, const char *e, int64_t *t)
{
	const char *b = q;
	int64_t v = 0;

	if (q < e && *q == '0')
		return 0;
	for (; q < e && *q >= '0' && *q <= '9' && q - b < 12; q++)
		v = v * 10 + (*q - '0');
	if (q == b || q == e || (*q >= '0' && *q <= '9') || *q == '.' ||
	    *q == 'e' || *q == 'E' || v > DMD_TIME_MAX)
		return 0;
	*t = v;
	return q - b;
}

/* A value of the form -?D+(.D+)? with at most 15 digits: exact by
 * Clinger's fast path.  Returns the length, or 0 when the general path
 * must judge it. */
static size_t
fast_value(const char *q, const char *e, double *v)
{
	const char *b = q;
	uint64_t m = 0;
	int neg = 0, digits = 0, scale = 0;

	if (q < e && *q == '-') {
		neg = 1;
		q++;
	}
	if (q < e && *q == '0' && q + 1 < e && q[1] >= '0' && q[1] <= '9')
		return 0;
	for (; q < e && *q >= '0' && *q <= '9'; q++, digits++)
		m = m * 10 + (*q - '0');
	if (digits == 0)
		return 0;
	if (q < e && *q == '.') {
		q++;
		if (q == e || *q < '0' || *q > '9')
			return 0;
		for (; q < e && *q >= '0' && *q <= '9'; q++, scale++)
			m = m * 10 + (*q - '0');
	}
	if (digits + scale > 15 || (q < e && (*q == 'e' || *q == 'E')))
		return 0;
	*v = (double)m / pow10_exact[scale];
	if (neg)
		*v = -*v;
	return q - b;
}

static int
json_fast(struct dmd_parser *p, const char *q, const char *e)
{
	const char *name, *tt, *vt;
	size_t namelen, tlen, vlen;
	int isint, clean = 1;
	int64_t t;
	double v;
	struct dmd_point *pt;

	WS(q, e);
	if (!lit(&q, e, "{", 1))
		return 0;
	WS(q, e);
	if (!lit(&q, e, "\"name\"", 6))
		return 0;
	WS(q, e);
	if (!lit(&q, e, ":", 1))
		return 0;
	WS(q, e);
	if (!lit(&q, e, "\"", 1))
		return 0;
	name = q;
	while (q < e && dmd_name_chars[(unsigned char)*q])
		q++;
	if (q < e && *q != '"') {
		clean = 0;	/* a bad character: let eval_name say which */
		for (; q < e && *q != '"'; q++)
			if (*q == '\\' || (unsigned char)*q < 0x20 ||
			    (unsigned char)*q >= 0x80)
				return 0;
	}
	if (q == e)
		return 0;
	namelen = q++ - name;
	WS(q, e);
	if (!lit(&q, e, ",", 1))
		return 0;
	WS(q, e);
	if (!lit(&q, e, "\"time\"", 6))
		return 0;
	WS(q, e);
	if (!lit(&q, e, ":", 1))
		return 0;
	WS(q, e);
	tt = q;
	if ((tlen = fast_time(q, e, &t)) == 0) {
		tlen = scan_number(q, e, 1, &isint);
		if (tlen == 0 || !isint || tlen > 18)
			return 0;
		clean = 0;
	}
	q += tlen;
	WS(q, e);
	if (!lit(&q, e, ",", 1))
		return 0;
	WS(q, e);
	if (!lit(&q, e, "\"value\"", 7))
		return 0;
	WS(q, e);
	if (!lit(&q, e, ":", 1))
		return 0;
	WS(q, e);
	vt = q;
	if ((vlen = fast_value(q, e, &v)) == 0) {
		vlen = scan_number(q, e, 1, &isint);
		if (vlen == 0)
			return 0;
		clean = 0;
	}
	q += vlen;
	WS(q, e);
	if (!lit(&q, e, "}", 1))
		return 0;
	WS(q, e);
	if (q != e)
		return 0;

	if (!clean || namelen == 0 || namelen > DMD_NAME_MAX) {
		if (eval_name(p, -1, name, namelen) != 0 ||
		    eval_time(p, -1, tt, tlen, 1, 0, &t) != 0 ||
		    eval_value(p, -1, vt, vlen, 1, &v) != 0)
			return 1;
	}
	pt = add_point(p);
	pt->name = name;
	pt->namelen = namelen;
	pt->time = t;
	pt->value = v;
	return 1;
}

/*
 * The yajl path.  Callbacks track where we are (top level, array element,
 * inside a point object, inside a container we skip) and record the last
 * token seen for each of the three keys; a point is judged when its
 * object closes.  A syntax error anywhere rejects the whole line and
 * drops whatever it had produced.
 */

enum { K_NAME, K_TIME, K_VALUE, K_OTHER };

struct jfield {
	enum jkind	 kind;
	size_t		 off, len;	/* text in the arena */
};

struct jstate {
	struct dmd_parser *p;
	int		 depth;
	int		 array;		/* the line is an array of points */
	int		 elem;		/* next array element index */
	int		 inpoint, pdepth, pindex;
	int		 key;
	int		 want_value;	/* a point key was read, its value not */
	int		 skipping, skipdepth;
	int		 complete;	/* the top-level value has ended */
	int		 notpoint;	/* top-level value is a scalar */
	struct jfield	 f[3];
};

/* Reject a field of the wrong JSON type, showing it as JSON text: null,
 * true, "a string", {} or [] (containers are not reproduced). */
static void
field_reject(struct dmd_parser *p, int idx, const char *what,
    const struct jfield *f)
{
	char *tmp;

	switch (f->kind) {
	case J_STRING:
		tmp = xmalloc(f->len + 2);
		tmp[0] = '"';
		memcpy(tmp + 1, p->arena + f->off, f->len);
		tmp[f->len + 1] = '"';
		rejectf(p, idx, what, tmp, f->len + 2);
		free(tmp);
		break;
	case J_BOOL:
		rejectf(p, idx, what, p->arena + f->off, f->len);
		break;
	default:
		rejectf(p, idx, what, jkind_text[f->kind],
		    strlen(jkind_text[f->kind]));
		break;
	}
}

static void
point_begin(struct jstate *st, int index)
{
	st->inpoint = 1;
	st->pdepth = st->depth;
	st->pindex = index;
	st->key = K_OTHER;
	memset(st->f, 0, sizeof(st->f));
}

static void
point_end(struct jstate *st)
{
	struct dmd_parser *p = st->p;
	struct jfield *f = st->f;
	struct dmd_point *pt;
	int idx = st->pindex;
	int64_t t;
	double v;

	st->inpoint = 0;
	if (f[K_NAME].kind == J_NONE) {
		reject(p, idx, "name missing");
		return;
	}
	if (f[K_NAME].kind != J_STRING) {
		reject(p, idx, "name not a string");
		return;
	}
	if (eval_name(p, idx, p->arena + f[K_NAME].off, f[K_NAME].len) != 0)
		return;
	if (f[K_TIME].kind == J_NONE) {
		reject(p, idx, "time missing");
		return;
	}
	if (f[K_TIME].kind != J_NUMBER) {
		field_reject(p, idx, "time not an integer", &f[K_TIME]);
		return;
	}
	if (eval_time(p, idx, p->arena + f[K_TIME].off, f[K_TIME].len, 1, 0,
	    &t) != 0)
		return;
	if (f[K_VALUE].kind == J_NONE) {
		reject(p, idx, "value missing");
		return;
	}
	if (f[K_VALUE].kind != J_NUMBER) {
		field_reject(p, idx, "value not a number", &f[K_VALUE]);
		return;
	}
	if (eval_value(p, idx, p->arena + f[K_VALUE].off, f[K_VALUE].len, 1,
	    &v) != 0)
		return;
	pt = add_point(p);
	/* The arena may move until the line is done: keep the offset now,
	 * make it a pointer in json_slow(). */
	pt->name = (const char *)(uintptr_t)f[K_NAME].off;
	pt->namelen = f[K_NAME].len;
	pt->time = t;
	pt->value = v;
}

static int
jvalue(struct jstate *st, enum jkind kind, const char *t, size_t len)
{
	int container = kind == J_MAP || kind == J_ARRAY;

	if (st->skipping)
		return 1;
	st->want_value = 0;
	if (st->depth == 0) {
		if (kind == J_MAP)
			point_begin(st, -1);
		else if (kind == J_ARRAY)
			st->array = 1;
		else {
			st->notpoint = 1;
			st->complete = 1;
		}
	} else if (st->array && st->depth == 1) {
		int idx = st->elem++;

		if (kind == J_MAP)
			point_begin(st, idx);
		else {
			reject(st->p, idx, "not a point object");
			if (container) {
				st->skipping = 1;
				st->skipdepth = st->depth;
			}
		}
	} else if (st->inpoint && st->depth == st->pdepth + 1) {
		if (st->key != K_OTHER) {
			struct jfield *f = &st->f[st->key];

			f->kind = kind;
			f->len = len;
			f->off = t != NULL ? arena_put(st->p, t, len) : 0;
		}
		if (container) {
			st->skipping = 1;
			st->skipdepth = st->depth;
		}
	}
	return 1;
}

static int
cb_null(void *ctx)
{
	return jvalue(ctx, J_NULL, NULL, 0);
}

static int
cb_bool(void *ctx, int b)
{
	return jvalue(ctx, J_BOOL, b ? "true" : "false", b ? 4 : 5);
}

static int
cb_number(void *ctx, const char *s, size_t len)
{
	return jvalue(ctx, J_NUMBER, s, len);
}

static int
cb_string(void *ctx, const unsigned char *s, size_t len)
{
	return jvalue(ctx, J_STRING, (const char *)s, len);
}

static int
cb_start(struct jstate *st, enum jkind kind)
{
	jvalue(st, kind, NULL, 0);
	st->depth++;
	return 1;
}

static int
cb_end(struct jstate *st)
{
	st->depth--;
	if (st->skipping) {
		if (st->depth == st->skipdepth)
			st->skipping = 0;
	} else if (st->inpoint && st->depth == st->pdepth)
		point_end(st);
	if (st->depth == 0)
		st->complete = 1;
	return 1;
}

static int
cb_start_map(void *ctx)
{
	return cb_start(ctx, J_MAP);
}

static int
cb_start_array(void *ctx)
{
	return cb_start(ctx, J_ARRAY);
}

static int
cb_end_container(void *ctx)
{
	return cb_end(ctx);
}

static int
cb_map_key(void *ctx, const unsigned char *k, size_t len)
{
	struct jstate *st = ctx;

	if (st->skipping || !st->inpoint || st->depth != st->pdepth + 1)
		return 1;
	if (len == 4 && memcmp(k, "name", 4) == 0)
		st->key = K_NAME;
	else if (len == 4 && memcmp(k, "time", 4) == 0)
		st->key = K_TIME;
	else if (len == 5 && memcmp(k, "value", 5) == 0)
		st->key = K_VALUE;
	else
		st->key = K_OTHER;
	st->want_value = st->key == K_VALUE;
	return 1;
}

static const yajl_callbacks jcallbacks = {
	cb_null, cb_bool, NULL, NULL, cb_number, cb_string,
	cb_start_map, cb_map_key, cb_end_container,
	cb_start_array, cb_end_container
};

/* After a syntax error while a point's "value" was expected: was it a
 * NaN or Infinity literal (not JSON, but a clearer reason)?  Look back
 * from the error for the ':' and read the token after it. */
static int
nonfinite_literal(const char *s, size_t len, size_t at, const char **tok,
    size_t *toklen)
{
	static const char *const lits[] = {
		"nan", "-nan", "inf", "-inf", "infinity", "-infinity", "+inf",
		"+infinity"
	};
	const char *q, *e = s + len;
	size_t i, n;

	if (at > len)
		at = len;
	for (q = s + at; q > s && q[-1] != ':'; q--)
		;
	if (q == s)
		return 0;
	WS(q, e);
	for (n = 0; q + n < e && (q[n] == '-' || q[n] == '+' ||
	    (q[n] >= 'a' && q[n] <= 'z') || (q[n] >= 'A' && q[n] <= 'Z')); n++)
		;
	for (i = 0; i < sizeof(lits) / sizeof(lits[0]); i++)
		if (n == strlen(lits[i]) && strncasecmp(q, lits[i], n) == 0) {
			*tok = q;
			*toklen = n;
			return 1;
		}
	return 0;
}

static void
json_slow(struct dmd_parser *p, const char *s, size_t len)
{
	struct jstate st;
	yajl_handle h;
	yajl_status rc;
	size_t i;

	memset(&st, 0, sizeof(st));
	st.p = p;
	h = yajl_alloc(&jcallbacks, NULL, &st);
	if (h == NULL) {
		reject(p, -1, "not JSON");
		return;
	}
	rc = yajl_parse(h, (const unsigned char *)s, len);
	if (rc == yajl_status_ok)
		rc = yajl_complete_parse(h);
	if (rc != yajl_status_ok) {
		const char *tok;
		size_t toklen;
		size_t at = yajl_get_bytes_consumed(h);

		p->npoints = 0;
		p->nrejects = 0;
		if (st.complete)
			reject(p, -1, "trailing garbage");
		else if (st.want_value &&
		    nonfinite_literal(s, len, at, &tok, &toklen))
			rejectf(p, -1, "value not finite", tok, toklen);
		else
			reject(p, -1, "not JSON");
	} else if (st.notpoint)
		reject(p, -1, "not a point object");
	yajl_free(h);
	for (i = 0; i < p->npoints; i++)
		p->points[i].name = p->arena + (uintptr_t)p->points[i].name;
}

/*
 * Text formats.  Graphite splits on runs of blanks like carbon's
 * str.split(); TSV on single tabs.
 */

static void
text_line(struct dmd_parser *p, const char *s, const char *e, int tsv)
{
	const char *tok[3];
	size_t len[3];
	int n = 0;
	const char *q = s;
	int64_t t;
	double v;
	struct dmd_point *pt;

	while (q < e) {
		const char *b;

		if (!tsv)
			while (q < e && (*q == ' ' || *q == '\t'))
				q++;
		if (q >= e)
			break;
		b = q;
		if (tsv)
			while (q < e && *q != '\t')
				q++;
		else
			while (q < e && *q != ' ' && *q != '\t')
				q++;
		if (n == 3) {
			reject(p, -1, "trailing garbage");
			return;
		}
		tok[n] = b;
		len[n++] = q - b;
		if (tsv && q < e)
			q++;	/* the tab */
	}
	if (n == 0)
		return;
	if (eval_name(p, -1, tok[0], len[0]) != 0)
		return;
	if (n < 2) {
		reject(p, -1, "value missing");
		return;
	}
	if (eval_value(p, -1, tok[1], len[1], 0, &v) != 0)
		return;
	if (n < 3) {
		reject(p, -1, "time missing");
		return;
	}
	if (eval_time(p, -1, tok[2], len[2], 0, !tsv, &t) != 0)
		return;
	pt = add_point(p);
	pt->name = tok[0];
	pt->namelen = len[0];
	pt->time = t;
	pt->value = v;
}

/*
 * Entry points.
 */

void
dmd_parser_init(struct dmd_parser *p, enum dmd_format fmt)
{
	memset(p, 0, sizeof(*p));
	p->format = fmt;
	p->fast = 1;
}

void
dmd_parser_release(struct dmd_parser *p)
{
	if (p == NULL)
		return;
	free(p->points);
	free(p->rejects);
	free(p->arena);
	memset(p, 0, sizeof(*p));
}

size_t
dmd_parser_line(struct dmd_parser *p, const char *line, size_t len)
{
	const char *q, *e, *why;
	enum dmd_format fmt = p->format;

	p->npoints = 0;
	p->nrejects = 0;
	p->arenalen = 0;
	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (len > DMD_LINE_MAX) {
		reject(p, -1, "line longer than 65536 bytes");
		return p->nrejects;
	}
	if ((why = line_check(line, len)) != NULL) {
		reject(p, -1, why);
		return p->nrejects;
	}
	q = line;
	e = line + len;
	while (q < e && (*q == ' ' || *q == '\t'))
		q++;
	if (q == e)
		return 0;	/* blank line */
	if (fmt == DMD_FORMAT_AUTO) {
		if (*q == '{' || *q == '[')
			fmt = DMD_FORMAT_JSON;
		else if (memchr(q, '\t', e - q) != NULL)
			fmt = DMD_FORMAT_TSV;
		else
			fmt = DMD_FORMAT_GRAPHITE;
	}
	switch (fmt) {
	case DMD_FORMAT_JSON:
		if (!p->fast || !json_fast(p, line, e))
			json_slow(p, line, len);
		break;
	case DMD_FORMAT_TSV:
		text_line(p, line, e, 1);
		break;
	default:
		text_line(p, line, e, 0);
		break;
	}
	return p->nrejects;
}

int
dmd_format_parse(const char *s, enum dmd_format *fmt)
{
	static const char *const names[] = { "auto", "json", "graphite", "tsv" };
	int i;

	for (i = 0; i < 4; i++)
		if (strcmp(s, names[i]) == 0) {
			*fmt = (enum dmd_format)i;
			return 0;
		}
	return -1;
}
