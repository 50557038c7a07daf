/*
 * codec.c - compressed chunks of one series (see codec.h for the layout).
 *
 * The encoder tries the cheap exact representations first (a regular
 * interval; values that are exact decimals become integers) and falls
 * back to delta-of-delta times and XOR'd float bits.  The decoder treats
 * its input as hostile: every read is bounds-checked, every count and
 * width validated, and arithmetic on decoded numbers is done unsigned so
 * that garbage gives garbage numbers, never undefined behaviour; the
 * header's time bounds are checked against what was decoded.
 */
#include <math.h>
#include <string.h>

#include "codec.h"
#include "varint.h"

/*
 * Bit I/O, most significant bit first.
 */

struct bitw {
	unsigned char	*p;
	size_t		 bytes;	/* complete bytes written */
	uint64_t	 acc;	/* pending bits, right-aligned */
	int		 nacc;
};

static inline void
bw_put(struct bitw *w, uint64_t v, int n)
{
	/* n <= 64; split so that the accumulator never holds over 64 */
	if (n > 32) {
		bw_put(w, v >> 32, n - 32);
		v &= 0xffffffffu;
		n = 32;
	}
	if (n == 0)
		return;
	w->acc = (w->acc << n) | (v & ((1ULL << n) - 1));
	w->nacc += n;
	while (w->nacc >= 8) {
		w->nacc -= 8;
		w->p[w->bytes++] = (unsigned char)(w->acc >> w->nacc);
	}
}

static size_t
bw_finish(struct bitw *w)
{
	if (w->nacc > 0)
		w->p[w->bytes++] = (unsigned char)(w->acc << (8 - w->nacc));
	w->nacc = 0;
	return w->bytes;
}

struct bitr {
	const unsigned char *p;
	size_t		 len;	/* bytes */
	size_t		 pos;	/* bits consumed */
	int		 err;
};

static inline uint64_t
br_get(struct bitr *r, int n)
{
	uint64_t v = 0;
	size_t at;
	int sh;

	if (n == 0 || r->err)
		return 0;
	if (r->pos + n > r->len * 8) {
		r->err = 1;
		return 0;
	}
	at = r->pos >> 3;
	sh = r->pos & 7;
	if (at + 8 <= r->len && sh + n <= 64) {
		/* fast path: one 8-byte window holds all n bits */
		memcpy(&v, r->p + at, 8);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
		v = __builtin_bswap64(v);
#endif
		r->pos += n;
		return (v << sh) >> (64 - n);
	}
	while (n > 0) {
		size_t byte = r->pos >> 3;
		int off = r->pos & 7, take = 8 - off;

		if (take > n)
			take = n;
		v = (v << take) | ((r->p[byte] >> (8 - off - take)) &
		    ((1u << take) - 1));
		r->pos += take;
		n -= take;
	}
	return v;
}

/*
 * Packed sequences: blocks of up to 128 unsigned integers, each block
 * whichever of these is smallest, said by its header byte:
 *
 *   0..64        fixed width w
 *   0x41..0x7e   truncated binary over [0, max], w = bitwidth(max) =
 *                header - 0x40 (1..62), the low w-1 bits of max follow;
 *                then with n = max + 1, k = floor(log2 n) and
 *                lo = 2^(k+1) - n, x < lo takes k bits, others x + lo
 *                in k + 1 bits (uniform noise costs log2 n, not w bits)
 *   0x80 | k     Rice with parameter k
 */

#define BLOCK		128
#define RICE_MAXQ	64	/* longest unary quotient we write */
#define TB_MODE		0x40
#define TB_MAXW		62

static int
bitwidth(uint64_t v)
{
	return v == 0 ? 0 : 64 - __builtin_clzll(v);
}

/* Best encoding of one block: returns its cost in bits, *mode the
 * header byte. */
static uint64_t
block_plan(const uint64_t *u, size_t m, int *mode)
{
	uint64_t best, cost, max = 0, sum;
	size_t i;
	int w, k, k0;

	for (i = 0; i < m; i++)
		if (u[i] > max)
			max = u[i];
	w = bitwidth(max);
	best = (uint64_t)w * m;
	*mode = w;
	if (w >= 1 && w <= TB_MAXW) {
		/* truncated binary over [0, max]: header byte, then the
		 * low w-1 bits of max (its top bit is 1) */
		uint64_t nv = max + 1, lo;

		k = bitwidth(nv) - 1;
		lo = (2ULL << k) - nv;
		cost = (uint64_t)(w - 1);
		for (i = 0; i < m; i++)
			cost += (uint64_t)k + (u[i] >= lo);
		if (cost < best) {
			best = cost;
			*mode = TB_MODE + w;
		}
	}
	/* Rice: the best k is near log2 of the mean; try around it */
	for (i = 0, sum = 0; i < m; i++)
		sum += u[i] >> 8 > (1ULL << 48) ? (1ULL << 56) : u[i];
	k0 = bitwidth(sum / (m ? m : 1));
	for (k = k0 > 2 ? k0 - 2 : 0; k < w && k <= k0 + 1; k++) {
		cost = 0;
		for (i = 0; i < m; i++) {
			uint64_t q = u[i] >> k;

			if (q > RICE_MAXQ)
				break;
			cost += q + 1 + k;
		}
		if (i == m && cost < best) {
			best = cost;
			*mode = 0x80 | k;
		}
	}
	return best + 8;
}

static uint64_t
packed_cost(const uint64_t *u, size_t n)
{
	uint64_t bits = 0;
	size_t i;
	int mode;

	for (i = 0; i < n; i += BLOCK)
		bits += block_plan(u + i, n - i < BLOCK ? n - i : BLOCK, &mode);
	return bits;
}

static void
packed_write(struct bitw *w, const uint64_t *u, size_t n)
{
	size_t i, j, m;
	int mode, k;

	for (i = 0; i < n; i += BLOCK) {
		m = n - i < BLOCK ? n - i : BLOCK;
		block_plan(u + i, m, &mode);
		bw_put(w, (uint64_t)mode, 8);
		if (mode > TB_MODE && mode < 0x80) {
			uint64_t max = 0, nv, lo;
			int bw = mode - TB_MODE;

			for (j = 0; j < m; j++)
				if (u[i + j] > max)
					max = u[i + j];
			bw_put(w, max, bw - 1);
			nv = max + 1;
			k = bitwidth(nv) - 1;
			lo = (2ULL << k) - nv;
			for (j = 0; j < m; j++)
				if (u[i + j] < lo)
					bw_put(w, u[i + j], k);
				else
					bw_put(w, u[i + j] + lo, k + 1);
		} else if (mode & 0x80) {
			k = mode & 0x7f;
			for (j = 0; j < m; j++) {
				uint64_t q = u[i + j] >> k;

				while (q-- > 0)
					bw_put(w, 1, 1);
				bw_put(w, 0, 1);
				bw_put(w, u[i + j], k);
			}
		} else
			for (j = 0; j < m; j++)
				bw_put(w, u[i + j], mode);
	}
}

static int
packed_read(struct bitr *r, uint64_t *u, size_t n)
{
	size_t i, j, m;
	int mode, k;

	for (i = 0; i < n; i += BLOCK) {
		m = n - i < BLOCK ? n - i : BLOCK;
		mode = (int)br_get(r, 8);
		if (mode > TB_MODE && mode < 0x80) {
			int bw = mode - TB_MODE;
			uint64_t max, nv, lo, y;

			if (bw > TB_MAXW)
				return -1;
			max = br_get(r, bw - 1) | (1ULL << (bw - 1));
			nv = max + 1;
			k = bitwidth(nv) - 1;
			lo = (2ULL << k) - nv;
			for (j = 0; j < m; j++) {
				y = br_get(r, k);
				if (y >= lo)
					y = ((y << 1) | br_get(r, 1)) - lo;
				u[i + j] = y;
			}
		} else if (mode & 0x80) {
			k = mode & 0x7f;
			if (k > 63)
				return -1;
			for (j = 0; j < m; j++) {
				uint64_t q = 0;

				while (br_get(r, 1) == 1)
					if (++q > RICE_MAXQ || r->err)
						return -1;
				u[i + j] = (q << k) | br_get(r, k);
			}
		} else {
			if (mode > 64)
				return -1;
			for (j = 0; j < m; j++)
				u[i + j] = br_get(r, mode);
		}
		if (r->err)
			return -1;
	}
	return 0;
}

/*
 * Values.
 */

static const double pow10d[] = { 1, 10, 100, 1000, 10000, 100000, 1000000 };

/* Smallest scale d making every value an exact decimal, or -1. */
static int
decimal_scale(const struct dmd_sample *s, size_t n)
{
	size_t i;
	int d;

	for (d = 0; d <= 6; d++) {
		for (i = 0; i < n; i++) {
			double v = s[i].value, r = nearbyint(v * pow10d[d]), b;

			if ((v == 0 && signbit(v)) || !(fabs(r) < 9007199254740992.0))
				return -1;
			b = r / pow10d[d];
			if (memcmp(&b, &v, sizeof(v)) != 0)
				break;
		}
		if (i == n)
			return d;
	}
	return -1;
}

/* Value modes. */
#define VM_DELTA	0	/* dmd_zigzag(a[i] - a[i-1]) */
#define VM_DOD		1	/* zigzag of deltas-of-deltas */
#define VM_FLOAT	2	/* XOR'd IEEE-754 bits */
#define VM_DELTA_MIN	3	/* a[i] - a[i-1] - base, base = least delta */
#define VM_RAW		4	/* a[i] - base, base = least integer */

static int64_t
scaled(double v, int scale)
{
	return (int64_t)nearbyint(v * pow10d[scale]);
}

/* The packed integer of a value in mode c: a the integer, d its delta,
 * pd the previous delta. */
static uint64_t
vm_map(int c, int64_t a, int64_t d, int64_t pd, int64_t mind, int64_t mina)
{
	switch (c) {
	case VM_DELTA:
		return dmd_zigzag(d);
	case VM_DOD:
		return dmd_zigzag(d - pd);
	case VM_DELTA_MIN:
		return (uint64_t)d - (uint64_t)mind;
	default:
		return (uint64_t)a - (uint64_t)mina;
	}
}

/* a - b, wrapping: any two times, even INT64_MIN and INT64_MAX, have a
 * difference the decoder's unsigned sums undo exactly. */
static int64_t
tdiff(int64_t a, int64_t b)
{
	return (int64_t)((uint64_t)a - (uint64_t)b);
}

size_t
dmd_codec_bound(size_t n)
{
	/* header, then worst cases: 64-bit times and 77-bit XOR values,
	 * plus a header byte per block of each sequence */
	return 64 + n * 18 + (n / BLOCK + 1) * 4;
}

size_t
dmd_codec_encode(const struct dmd_sample *s, size_t n, unsigned char *out)
{
	uint64_t tmp[BLOCK * 4], *u;
	struct bitw w;
	size_t h = 0, i, j;
	int64_t base = 0;
	int regular = 1, scale, vmode;
	int64_t iv = n > 1 ? tdiff(s[1].time, s[0].time) : 0;

	out[h++] = DMD_CODEC_MAGIC;
	out[h++] = DMD_CODEC_VERSION;
	h += dmd_varint_put(out + h, n);
	h += dmd_varint_put(out + h, dmd_zigzag(s[0].time));
	h += dmd_varint_put(out + h, dmd_zigzag(s[n - 1].time));
	for (i = 2; i < n && regular; i++)
		if (tdiff(s[i].time, s[i - 1].time) != iv)
			regular = 0;
	scale = decimal_scale(s, n);
	out[h++] = (unsigned char)(regular ? 0 : 1);
	if (regular)
		h += dmd_varint_put(out + h, (uint64_t)iv);
	else
		h += dmd_varint_put(out + h, dmd_zigzag(iv));

	/* The integers as deltas, deltas-of-deltas, deltas less their
	 * least, or themselves less their least: whichever packs smallest,
	 * estimated on the first blocks.  Less the least, uniform noise
	 * stays a contiguous range (zigzag would double positive runs). */
	vmode = VM_FLOAT;
	if (scale >= 0) {
		size_t m = n - 1 < BLOCK * 4 ? n - 1 : BLOCK * 4;
		int64_t pd = 0, a, b, mind = INT64_MAX, mina = INT64_MAX;
		uint64_t cost, best = UINT64_MAX;
		int c;

		for (i = 1; i < n; i++) {
			a = scaled(s[i].value, scale);
			b = scaled(s[i - 1].value, scale);
			if (a - b < mind)
				mind = a - b;
			if (a < mina)
				mina = a;
		}
		for (c = VM_DELTA; c <= VM_RAW; c++) {
			if (c == VM_FLOAT)
				continue;
			pd = 0;
			for (i = 1; i <= m; i++) {
				a = scaled(s[i].value, scale);
				b = scaled(s[i - 1].value, scale);
				tmp[i - 1] = vm_map(c, a, a - b, pd, mind, mina);
				pd = a - b;
			}
			if ((cost = packed_cost(tmp, m)) < best) {
				best = cost;
				vmode = c;
			}
		}
		base = vmode == VM_DELTA_MIN ? mind : mina;
		out[h++] = (unsigned char)vmode;
		out[h++] = (unsigned char)scale;
		h += dmd_varint_put(out + h, dmd_zigzag(scaled(s[0].value, scale)));
		if (vmode == VM_DELTA_MIN || vmode == VM_RAW)
			h += dmd_varint_put(out + h, dmd_zigzag(base));
	} else
		out[h++] = VM_FLOAT;

	memset(&w, 0, sizeof(w));
	w.p = out + h;

	/* times: deltas-of-deltas, in chunks of one block */
	if (!regular) {
		int64_t pd = iv;

		for (i = 2; i < n; i += BLOCK) {
			size_t m = n - i < BLOCK ? n - i : BLOCK;

			for (j = 0; j < m; j++) {
				int64_t d = tdiff(s[i + j].time,
				    s[i + j - 1].time);

				tmp[j] = dmd_zigzag(tdiff(d, pd));
				pd = d;
			}
			packed_write(&w, tmp, m);
		}
	}

	/* values */
	if (vmode == VM_FLOAT) {
		uint64_t prev;

		memcpy(&prev, &s[0].value, 8);
		bw_put(&w, prev, 64);
		for (i = 1; i < n; i++) {
			uint64_t bits, x;
			int lz, tz, len;

			memcpy(&bits, &s[i].value, 8);
			x = bits ^ prev;
			prev = bits;
			if (x == 0) {
				bw_put(&w, 0, 1);
				continue;
			}
			lz = __builtin_clzll(x);
			tz = __builtin_ctzll(x);
			len = 64 - lz - tz;
			bw_put(&w, 1, 1);
			bw_put(&w, (uint64_t)lz, 6);
			bw_put(&w, (uint64_t)(len - 1), 6);
			bw_put(&w, x >> tz, len);
		}
	} else {
		int64_t prev = scaled(s[0].value, scale);
		int64_t pd = 0;

		u = tmp;
		for (i = 1; i < n; i += BLOCK) {
			size_t m = n - i < BLOCK ? n - i : BLOCK;

			for (j = 0; j < m; j++) {
				int64_t a = scaled(s[i + j].value, scale);

				u[j] = vm_map(vmode, a, a - prev, pd, base,
				    base);
				pd = a - prev;
				prev = a;
			}
			packed_write(&w, u, m);
		}
	}
	return h + bw_finish(&w);
}

int
dmd_codec_info(const unsigned char *in, size_t len,
    struct dmd_chunk_info *info)
{
	size_t pos = 2;
	uint64_t n, a, b;

	if (len < 2 || in[0] != DMD_CODEC_MAGIC || in[1] != DMD_CODEC_VERSION)
		return -1;
	if (dmd_varint_get(in, len, &pos, &n) != 0 || n == 0 ||
	    n > DMD_CODEC_MAX_POINTS ||
	    dmd_varint_get(in, len, &pos, &a) != 0 ||
	    dmd_varint_get(in, len, &pos, &b) != 0)
		return -1;
	info->count = (size_t)n;
	info->first = dmd_unzigzag(a);
	info->last = dmd_unzigzag(b);
	if (info->first > info->last || (n == 1 && info->first != info->last))
		return -1;
	return 0;
}

long
dmd_codec_decode(const unsigned char *in, size_t len,
    struct dmd_sample *out, size_t outcap)
{
	struct dmd_chunk_info info;
	struct bitr r;
	uint64_t u[BLOCK], x, iv, first_int = 0, base = 0;
	size_t pos, i, j, n;
	int tmode, vmode, scale = 0;

	if (dmd_codec_info(in, len, &info) != 0 || info.count > outcap)
		return -1;
	n = info.count;
	pos = 2;
	dmd_varint_get(in, len, &pos, &x);
	dmd_varint_get(in, len, &pos, &x);
	dmd_varint_get(in, len, &pos, &x);
	if (pos >= len)
		return -1;
	tmode = in[pos++];
	if (tmode > 1 || dmd_varint_get(in, len, &pos, &iv) != 0 || pos >= len)
		return -1;
	vmode = in[pos++];
	if (vmode > VM_RAW)
		return -1;
	if (vmode != VM_FLOAT) {
		if (pos >= len)
			return -1;
		scale = in[pos++];
		if (scale > 6 || dmd_varint_get(in, len, &pos, &first_int) != 0)
			return -1;
		if ((vmode == VM_DELTA_MIN || vmode == VM_RAW) &&
		    dmd_varint_get(in, len, &pos, &base) != 0)
			return -1;
		base = (uint64_t)dmd_unzigzag(base);
	}
	memset(&r, 0, sizeof(r));
	r.p = in + pos;
	r.len = len - pos;

	/* times, in unsigned arithmetic: garbage must not be UB */
	out[0].time = info.first;
	if (tmode == 0) {
		for (i = 1; i < n; i++)
			out[i].time = (int64_t)((uint64_t)out[i - 1].time + iv);
	} else {
		uint64_t d = (uint64_t)dmd_unzigzag(iv);

		if (n > 1)
			out[1].time = (int64_t)((uint64_t)out[0].time + d);
		for (i = 2; i < n; i += BLOCK) {
			size_t m = n - i < BLOCK ? n - i : BLOCK;

			if (packed_read(&r, u, m) != 0)
				return -1;
			for (j = 0; j < m; j++) {
				d += (uint64_t)dmd_unzigzag(u[j]);
				out[i + j].time = (int64_t)((uint64_t)
				    out[i + j - 1].time + d);
			}
		}
	}
	for (i = 1; i < n; i++)
		if (out[i].time <= out[i - 1].time)
			return -1;
	if (out[n - 1].time != info.last)
		return -1;

	/* values */
	if (vmode == VM_FLOAT) {
		uint64_t prev = br_get(&r, 64);

		memcpy(&out[0].value, &prev, 8);
		for (i = 1; i < n; i++) {
			if (br_get(&r, 1) == 1) {
				int lz = (int)br_get(&r, 6);
				int l = (int)br_get(&r, 6) + 1;

				if (lz + l > 64)
					return -1;
				prev ^= br_get(&r, l) << (64 - lz - l);
			}
			memcpy(&out[i].value, &prev, 8);
		}
	} else {
		uint64_t a = (uint64_t)dmd_unzigzag(first_int), d = 0;

		out[0].value = (double)(int64_t)a / pow10d[scale];
		for (i = 1; i < n; i += BLOCK) {
			size_t m = n - i < BLOCK ? n - i : BLOCK;

			if (packed_read(&r, u, m) != 0)
				return -1;
			for (j = 0; j < m; j++) {
				if (vmode == VM_DELTA)
					d = (uint64_t)dmd_unzigzag(u[j]);
				else if (vmode == VM_DOD)
					d += (uint64_t)dmd_unzigzag(u[j]);
				else if (vmode == VM_DELTA_MIN)
					d = u[j] + base;
				else
					d = u[j] + base - a;
				a += d;
				out[i + j].value = (double)(int64_t)a /
				    pow10d[scale];
			}
		}
	}
	if (r.err)
		return -1;
	return (long)n;
}
