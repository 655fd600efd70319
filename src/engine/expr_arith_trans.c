/*-------------------------------------------------------------------------
 *
 * expr_arith_trans.c
 *	  Decimal128 exponential, logarithms and power, with the results of
 *	  MongoDB's Intel decimal library.
 *
 * Intel computes exp, ln, log10 and log2 by converting to binary128,
 * calling a binary128 function and converting back; we follow the same
 * steps, with the binary128 function replaced by a correctly rounded
 * evaluation in a small fixed-point arithmetic of 448 bits (hp_t below;
 * 320 fraction bits), and the conversions done by libgcc, which uses
 * Intel's conversion code.  pow is exp(y * ln|x|) evaluated in that
 * arithmetic and rounded once to the full 34 digits, which is what Intel's
 * two-part algorithm approximates.
 *
 * Everything here is deterministic and allocation-free.
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <string.h>

#include "expr_arith_dec.h"

typedef unsigned __int128 u128;

#define LN2_D		0.69314718055994530942
#define LN10_D		2.30258509299404568402

/* q_bits: a binary128 from its high and low 64-bit words */
static __float128
q_bits(uint64_t hi, uint64_t lo)
{
	u128		bits = ((u128) hi << 64) | lo;
	__float128	q;

	memcpy(&q, &bits, sizeof(q));
	return q;
}

/* more constants of Intel's library, by their encodings */
#define D_10POW4464		asp_dec_bits(0x5320000000000000ULL, 1)
#define D_10POWN4464	asp_dec_bits(0x0d60000000000000ULL, 1)
#define D_10POWN6000	asp_dec_bits(0x0160000000000000ULL, 1)
#define D_15000			asp_dec_bits(0x3040000000000000ULL, 15000)
#define D_N15000		asp_dec_bits(0xb040000000000000ULL, 15000)
#define D_EXP_11000		asp_dec_bits(0x5550558ada285f8bULL, 0xd43ede775707fd0aULL)
#define D_EXP_M11000	asp_dec_bits(0x0aab1c2bbc58f8f5ULL, 0x995ab6781dd4b6f5ULL)

#define Q_INV_LN10		q_bits(0x3ffdbcb7b1526e50ULL, 0xe32a6ab7555f5a68ULL)
#define Q_4464_LN10		q_bits(0x400c4135eb3929fbULL, 0xa719f2c946d2d728ULL)
#define Q_4464_LOG2_10	q_bits(0x400ccf68b2353912ULL, 0x08f6437dd4607b55ULL)
#define Q_INV_LN2		q_bits(0x3fff71547652b82fULL, 0xe1777d0ffda0d23aULL)

/* ---------- high-precision fixed point ---------- */

#define HP_F		5			/* fraction limbs: 320 bits */
#define HP_N		7			/* plus two integer limbs */

typedef struct hp_t
{
	bool		neg;
	uint64_t	w[HP_N];		/* little-endian magnitude, scaled by 2^320 */
} hp_t;

static const hp_t HP_LN2 = {false, {UINT64_C(0xe7b876206debac98), UINT64_C(0x8a0d175b8baafa2b), UINT64_C(0x40f343267298b62d), UINT64_C(0xc9e3b39803f2f6af), UINT64_C(0xb17217f7d1cf79ab), 0, 0}};
static const hp_t HP_LN10 = {false, {UINT64_C(0x58bc0b5ec6a04173), UINT64_C(0x0f187a0807c0b5ca), UINT64_C(0x8a3fb3e76977e43a), UINT64_C(0xa95b58ae0b4c28a3), UINT64_C(0x4d763776aaa2b05b), 2, 0}};
static const hp_t HP_INV_LN2 = {false, {UINT64_C(0xbc3887eeaa2ed9ac), UINT64_C(0x164a2cd9a342648f), UINT64_C(0xd6aef551bad2b4b1), UINT64_C(0x7d0ffda0d23a7d11), UINT64_C(0x71547652b82fe177), 1, 0}};

/* hp_is_zero: a zero magnitude */
static bool
hp_is_zero(const hp_t *a)
{
	int			i;

	for (i = 0; i < HP_N; i++)
		if (a->w[i] != 0)
			return false;
	return true;
}

/* hp_from_u128: an integer */
static void
hp_from_u128(hp_t *r, u128 v)
{
	memset(r, 0, sizeof(*r));
	r->w[HP_F] = (uint64_t) v;
	r->w[HP_F + 1] = (uint64_t) (v >> 64);
}

/* hp_cmp_mag: compare magnitudes (-1, 0, 1) */
static int
hp_cmp_mag(const hp_t *a, const hp_t *b)
{
	int			i;

	for (i = HP_N - 1; i >= 0; i--)
		if (a->w[i] != b->w[i])
			return a->w[i] < b->w[i] ? -1 : 1;
	return 0;
}

/* hp_add: r = a + b (signed) */
static void
hp_add(hp_t *r, const hp_t *a, const hp_t *b)
{
	const hp_t *big = a,
			   *small = b;
	hp_t		t;
	int			i;

	if (a->neg == b->neg)
	{
		u128		carry = 0;

		for (i = 0; i < HP_N; i++)
		{
			carry += (u128) a->w[i] + b->w[i];
			t.w[i] = (uint64_t) carry;
			carry >>= 64;
		}
		t.neg = a->neg;
	}
	else
	{
		uint64_t	borrow = 0;

		if (hp_cmp_mag(a, b) < 0)
		{
			big = b;
			small = a;
		}
		for (i = 0; i < HP_N; i++)
		{
			u128		d = (u128) big->w[i] - small->w[i] - borrow;

			t.w[i] = (uint64_t) d;
			borrow = (d >> 64) != 0 ? 1 : 0;
		}
		t.neg = big->neg;
	}
	if (hp_is_zero(&t))
		t.neg = false;
	*r = t;
}

/* hp_sub: r = a - b */
static void
hp_sub(hp_t *r, const hp_t *a, const hp_t *b)
{
	hp_t		nb = *b;

	nb.neg = !nb.neg;
	hp_add(r, a, &nb);
}

/* hp_mul: r = a * b (truncated to 320 fraction bits) */
static void
hp_mul(hp_t *r, const hp_t *a, const hp_t *b)
{
	uint64_t	p[2 * HP_N];
	int			i,
				j;

	memset(p, 0, sizeof(p));
	for (i = 0; i < HP_N; i++)
	{
		u128		carry = 0;

		if (a->w[i] == 0)
			continue;
		for (j = 0; j < HP_N; j++)
		{
			carry += (u128) a->w[i] * b->w[j] + p[i + j];
			p[i + j] = (uint64_t) carry;
			carry >>= 64;
		}
		p[i + HP_N] = (uint64_t) carry;
	}
	for (i = 0; i < HP_N; i++)
		r->w[i] = p[i + HP_F];
	r->neg = a->neg != b->neg;
	if (hp_is_zero(r))
		r->neg = false;
}

/* hp_mul_u64: r = a * m */
static void
hp_mul_u64(hp_t *r, const hp_t *a, uint64_t m)
{
	u128		carry = 0;
	int			i;

	for (i = 0; i < HP_N; i++)
	{
		carry += (u128) a->w[i] * m;
		r->w[i] = (uint64_t) carry;
		carry >>= 64;
	}
	r->neg = a->neg && !hp_is_zero(r);
}

/* hp_div_u64: r = a / d (truncated) */
static void
hp_div_u64(hp_t *r, const hp_t *a, uint64_t d)
{
	u128		rem = 0;
	int			i;

	for (i = HP_N - 1; i >= 0; i--)
	{
		rem = (rem << 64) | a->w[i];
		r->w[i] = (uint64_t) (rem / d);
		rem %= d;
	}
	r->neg = a->neg && !hp_is_zero(r);
}

/* hp_shift: r = a * 2^bits (bits may be negative; truncates) */
static void
hp_shift(hp_t *r, const hp_t *a, int bits)
{
	uint64_t	w[HP_N];
	int			i;

	memset(w, 0, sizeof(w));
	if (bits >= 0)
	{
		int			limbs = bits / 64,
					sh = bits % 64;

		for (i = HP_N - 1; i >= limbs; i--)
		{
			w[i] = a->w[i - limbs] << sh;
			if (sh != 0 && i - limbs - 1 >= 0)
				w[i] |= a->w[i - limbs - 1] >> (64 - sh);
		}
	}
	else
	{
		int			limbs = -bits / 64,
					sh = -bits % 64;

		for (i = 0; i + limbs < HP_N; i++)
		{
			w[i] = a->w[i + limbs] >> sh;
			if (sh != 0 && i + limbs + 1 < HP_N)
				w[i] |= a->w[i + limbs + 1] << (64 - sh);
		}
	}
	memcpy(r->w, w, sizeof(w));
	r->neg = a->neg && !hp_is_zero(r);
}

/* hp_msb: index of the highest set bit of the magnitude, or -1 */
static int
hp_msb(const hp_t *a)
{
	int			i;

	for (i = HP_N - 1; i >= 0; i--)
		if (a->w[i] != 0)
			return i * 64 + 63 - __builtin_clzll(a->w[i]);
	return -1;
}

/* hp_bit: bit i of the magnitude (0 below the lowest limb) */
static int
hp_bit(const hp_t *a, int i)
{
	if (i < 0)
		return 0;
	return (int) ((a->w[i / 64] >> (i % 64)) & 1);
}

/* hp_any_below: any bit below bit i set */
static bool
hp_any_below(const hp_t *a, int i)
{
	int			l;

	if (i <= 0)
		return false;
	for (l = 0; l < i / 64; l++)
		if (a->w[l] != 0)
			return true;
	return (i % 64) != 0 && (a->w[i / 64] & ((1ULL << (i % 64)) - 1)) != 0;
}

/* hp_to_double: an approximation, for seeds and range reduction */
static double
hp_to_double(const hp_t *a)
{
	double		d = 0;
	int			i;

	for (i = HP_N - 1; i >= 0; i--)
		d += ldexp((double) a->w[i], 64 * (i - HP_F));
	return a->neg ? -d : d;
}

/* hp_from_double: exact conversion of a finite double below 2^100 */
static void
hp_from_double(hp_t *r, double d)
{
	int			e;
	double		m = frexp(fabs(d), &e);
	uint64_t	mant = (uint64_t) ldexp(m, 64);
	hp_t		t;

	hp_from_u128(&t, mant);
	hp_shift(r, &t, e - 64);
	r->neg = d < 0 && !hp_is_zero(r);
}

/*
 * hp_from_dec: coef * 10^exp; false if the value reaches 2^127.  Tiny
 * values lose their low bits (they only ever feed exp() near 0).
 */
static bool
hp_from_dec(hp_t *r, u128 coef, int exp)
{
	hp_from_u128(r, coef);
	if (exp >= 0)
	{
		while (exp-- > 0)
		{
			if (hp_is_zero(r))
				break;
			if (r->w[HP_N - 1] >= (1ULL << 59))
				return false;
			hp_mul_u64(r, r, 10);
		}
		return r->w[HP_N - 1] < (1ULL << 63);
	}
	exp = -exp;
	while (exp > 0 && !hp_is_zero(r))
	{
		int			s = exp > 19 ? 19 : exp;
		uint64_t	d = 1;
		int			i;

		for (i = 0; i < s; i++)
			d *= 10;
		hp_div_u64(r, r, d);
		exp -= s;
	}
	return true;
}

/*
 * hp_to_f128: round a * 2^k to the nearest binary128 (ties to even),
 * including the subnormal range and overflow to infinity.
 */
static __float128
hp_to_f128(const hp_t *a, int k)
{
	int			msb = hp_msb(a);
	int			e,
				prec,
				low;
	u128		mant,
				bits;
	hp_t		t;
	__float128	q;

	if (msb < 0)
		return a->neg ? -(__float128) 0 : (__float128) 0;
	e = msb - 64 * HP_F + k;	/* exponent of the leading bit */
	prec = 113;
	if (e < -16382)
		prec = 113 - (-16382 - e);
	if (prec <= 0)
		return a->neg ? -(__float128) 0 : (__float128) 0;
	low = msb - prec + 1;		/* position of the last kept bit */
	hp_shift(&t, a, -low);
	mant = ((u128) t.w[1] << 64) | t.w[0];
	if (low > 0 && hp_bit(a, low - 1) &&
		(hp_any_below(a, low - 1) || (mant & 1) != 0))
		mant++;
	if (prec == 113 && (mant >> 113) != 0)
	{
		mant >>= 1;
		e++;
	}
	if (prec == 113)
	{
		if (e > 16383)
			bits = (u128) 0x7fff << 112;
		else
			bits = ((u128) (e + 16383) << 112) | (mant & ((((u128) 1) << 112) - 1));
	}
	else
		bits = mant;			/* subnormal; a carry makes it the least normal */
	if (a->neg)
		bits |= ((u128) 1) << 127;
	memcpy(&q, &bits, sizeof(q));
	return q;
}

/*
 * f128_decode: q = mant * 2^exp2 with 2^112 <= mant < 2^113 for a finite
 * nonzero q (subnormals are normalized); false for zero, inf, NaN.
 */
static bool
f128_decode(__float128 q, bool *neg, u128 *mant, int *exp2)
{
	u128		bits;
	int			be;

	memcpy(&bits, &q, sizeof(bits));
	*neg = (bits >> 127) != 0;
	be = (int) ((bits >> 112) & 0x7fff);
	*mant = bits & ((((u128) 1) << 112) - 1);
	if (be == 0x7fff)
		return false;
	if (be == 0)
	{
		if (*mant == 0)
			return false;
		*exp2 = 1 - 16383 - 112;
		while ((*mant >> 112) == 0)
		{
			*mant <<= 1;
			(*exp2)--;
		}
	}
	else
	{
		*mant |= ((u128) 1) << 112;
		*exp2 = be - 16383 - 112;
	}
	return true;
}

/*
 * hp_exp: exp(x) = m * 2^k for |x| < 2^15.  Range reduction by ln 2 and
 * 2^12, a Taylor series, then 12 squarings: about 300 correct bits.
 */
static void
hp_exp(const hp_t *x, hp_t *m, int *k)
{
	long		n = lround(hp_to_double(x) / LN2_D);
	hp_t		t,
				r,
				s,
				term,
				sum;
	int			i;

	hp_mul_u64(&t, &HP_LN2, (uint64_t) labs(n));
	t.neg = n < 0;
	hp_sub(&r, x, &t);
	hp_shift(&s, &r, -12);
	hp_from_u128(&sum, 1);
	hp_add(&sum, &sum, &s);
	term = s;
	for (i = 2; i < 80; i++)
	{
		hp_mul(&term, &term, &s);
		hp_div_u64(&term, &term, (uint64_t) i);
		if (hp_is_zero(&term))
			break;
		hp_add(&sum, &sum, &term);
	}
	for (i = 0; i < 12; i++)
		hp_mul(&sum, &sum, &sum);
	*m = sum;
	*k = (int) n;
}

/* hp_ln_unit: ln(m) for 1 <= m < 2, by Newton's iteration on exp */
static void
hp_ln_unit(const hp_t *m, hp_t *y)
{
	hp_t		one,
				ny,
				e,
				t;
	int			k,
				iter;

	hp_from_u128(&one, 1);
	hp_from_double(y, log(hp_to_double(m)));
	for (iter = 0; iter < 4; iter++)
	{
		/* y += m * exp(-y) - 1 */
		ny = *y;
		ny.neg = !ny.neg && !hp_is_zero(&ny);
		hp_exp(&ny, &e, &k);
		hp_shift(&e, &e, k);
		hp_mul(&t, m, &e);
		hp_sub(&t, &t, &one);
		hp_add(y, y, &t);
	}
}

/* hp_ln_scaled: ln(mant * 2^exp2) + dexp * ln(10), for mant >= 1 */
static void
hp_ln_scaled(u128 mant, int exp2, int dexp, hp_t *y)
{
	int			b = 127 - (mant >> 64 ? __builtin_clzll((uint64_t) (mant >> 64)) :
						   64 + __builtin_clzll((uint64_t) mant));
	hp_t		m,
				t;

	hp_from_u128(&m, mant);
	hp_shift(&m, &m, -b);
	hp_ln_unit(&m, y);
	exp2 += b;
	hp_mul_u64(&t, &HP_LN2, (uint64_t) (exp2 < 0 ? -exp2 : exp2));
	t.neg = exp2 < 0 && !hp_is_zero(&t);
	hp_add(y, y, &t);
	hp_mul_u64(&t, &HP_LN10, (uint64_t) (dexp < 0 ? -dexp : dexp));
	t.neg = dexp < 0 && !hp_is_zero(&t);
	hp_add(y, y, &t);
}

/* f128_log: correctly rounded natural logarithm of a positive binary128 */
static __float128
f128_log(__float128 q, bool base2)
{
	bool		neg;
	u128		mant;
	int			exp2;
	hp_t		y;

	if (q == 1)
		return 0;
	if (!f128_decode(q, &neg, &mant, &exp2))
		return q == 0 ? -(__float128) INFINITY : q;
	hp_ln_scaled(mant, exp2, 0, &y);
	if (base2)
		hp_mul(&y, &y, &HP_INV_LN2);
	return hp_to_f128(&y, 0);
}

/* f128_exp: correctly rounded exp of x (|x| < 2^15) as a binary128 */
static __float128
f128_exp(const hp_t *x)
{
	hp_t		m;
	int			k;

	hp_exp(x, &m, &k);
	return hp_to_f128(&m, k);
}

/* ---------- transcendental functions ---------- */

#define LOG_E	0
#define LOG_10	1
#define LOG_2	2

/*
 * dec_log: Intel's bid128_log, bid128_log10 and bid128_log2: binary128
 * evaluation, with a correction from the exact decimal x - 1 near 1 and
 * a scaling by 10^4464 outside the binary128 range.
 */
static asp_dec128
dec_log(asp_dec128 x, int base)
{
	asp_dec_parts	p;
	__float128	xq,
				rq,
				e_bin,
				tmp,
				rt;

	asp_dec_unpack(x, &p);
	if (p.kind == ASP_DEC_NAN)
		return asp_dec_nan();
	if (p.kind == ASP_DEC_FINITE && p.coef == 0)
		return ASP_D_NEG_INF;
	if (p.neg)
		return asp_dec_nan();
	if (p.kind == ASP_DEC_INF)
		return ASP_D_INF;
	if (x > D_10POW4464 || x < D_10POWN4464)
	{
		bool		big = x > D_10POW4464;

		xq = (__float128) (x * (big ? D_10POWN4464 : D_10POW4464));
		rq = f128_log(xq, base == LOG_2);
		if (base == LOG_E)
			rq = big ? rq + Q_4464_LN10 : rq - Q_4464_LN10;
		else if (base == LOG_2)
			rq = big ? rq + Q_4464_LOG2_10 : rq - Q_4464_LOG2_10;
		else
		{
			rq = rq * Q_INV_LN10;
			rq = big ? rq + 4464 : rq - 4464;
		}
		return (asp_dec128) rq;
	}
	xq = (__float128) x;
	rq = f128_log(xq, base == LOG_2);
	e_bin = xq - 1;
	if ((e_bin < 0 ? -e_bin : e_bin) < (__float128) 0.5)
	{
		tmp = (__float128) (x - (asp_dec128) 1);
		rt = e_bin - tmp;
		if (base == LOG_2)
			rt = Q_INV_LN2 * rt;
		rt = rt / xq;
		rq = rq - rt;
	}
	if (base == LOG_10)
		rq = rq * Q_INV_LN10;
	return (asp_dec128) rq;
}

/* asp_dec_ln: natural logarithm */
asp_dec128
asp_dec_ln(asp_dec128 x)
{
	return dec_log(x, LOG_E);
}

/* asp_dec_log10: base-10 logarithm */
asp_dec128
asp_dec_log10(asp_dec128 x)
{
	return dec_log(x, LOG_10);
}

/* asp_dec_log2: base-2 logarithm */
asp_dec128
asp_dec_log2(asp_dec128 x)
{
	return dec_log(x, LOG_2);
}

/* asp_dec_exp: Intel's bid128_exp */
asp_dec128
asp_dec_exp(asp_dec128 x)
{
	asp_dec_parts	p;
	hp_t		h,
				shift;
	__float128	nq;

	asp_dec_unpack(x, &p);
	if (p.kind == ASP_DEC_NAN)
		return asp_dec_nan();
	if (p.kind == ASP_DEC_INF)
		return p.neg ? ASP_D_ZERO : ASP_D_INF;
	if (p.coef == 0)
		return ASP_D_ONE;
	if (x > D_15000)
		return D_EXP_11000 * D_EXP_11000;	/* overflows to infinity */
	if (x < D_N15000)
		return D_10POWN6000 * D_10POWN6000;	/* underflows to zero */
	hp_from_dec(&h, p.coef, p.exp);
	h.neg = p.neg && !hp_is_zero(&h);
	nq = (__float128) x;
	hp_from_u128(&shift, 11000);
	if (nq > 11000)
	{
		hp_sub(&h, &h, &shift);
		return (asp_dec128) f128_exp(&h) * D_EXP_11000;
	}
	if (nq < -11000)
	{
		hp_add(&h, &h, &shift);
		return (asp_dec128) f128_exp(&h) * D_EXP_M11000;
	}
	return (asp_dec128) f128_exp(&h);
}

/*
 * exp_to_dec: exp(l), with the given sign, rounded once to 34 digits (the
 * full coefficient, as Intel's pow returns it); +Infinity on overflow and
 * +0E-6176 on underflow, as Intel's pow.
 */
static asp_dec128
exp_to_dec(const hp_t *l, bool neg)
{
	long		n = (long) floor(hp_to_double(l) / LN10_D);
	hp_t		r,
				t,
				v;
	int			k,
				q,
				digits,
				i;
	u128		coef;

	if (n > 6200)
		return ASP_D_INF;
	if (n < -6300)
		return ASP_D_ZERO_MIN;
	hp_mul_u64(&t, &HP_LN10, (uint64_t) labs(n));
	t.neg = n < 0 && !hp_is_zero(&t);
	hp_sub(&r, l, &t);
	while (r.neg)
	{
		n--;
		hp_add(&r, &r, &HP_LN10);
	}
	while (hp_cmp_mag(&r, &HP_LN10) >= 0)
	{
		n++;
		hp_sub(&r, &r, &HP_LN10);
	}
	hp_exp(&r, &v, &k);
	hp_shift(&v, &v, k);
	/* v is in [1, 10) up to the last bits */
	if (v.w[HP_F] == 0 && v.w[HP_F + 1] == 0)
	{
		hp_mul_u64(&v, &v, 10);
		n--;
	}
	else if (v.w[HP_F] >= 10)
	{
		hp_div_u64(&v, &v, 10);
		n++;
	}
	q = (int) n - 33;
	digits = 34;
	if (q > ASP_DEC_EMAX)
		return ASP_D_INF;
	if (q < ASP_DEC_EMIN)
	{
		digits -= ASP_DEC_EMIN - q;
		q = ASP_DEC_EMIN;
	}
	if (digits <= 0)
	{
		/* below half of the least subnormal, unless exactly at it */
		coef = (digits == 0 && (v.w[HP_F] > 5 ||
								(v.w[HP_F] == 5 && hp_any_below(&v, 64 * HP_F)))) ? 1 : 0;
	}
	else
	{
		bool		above_half,
					at_half;

		coef = v.w[HP_F];
		v.w[HP_F] = 0;
		v.w[HP_F + 1] = 0;
		for (i = 1; i < digits; i++)
		{
			hp_mul_u64(&v, &v, 10);
			coef = coef * 10 + v.w[HP_F];
			v.w[HP_F] = 0;
		}
		/* round half to even on the remaining fraction */
		at_half = hp_bit(&v, 64 * HP_F - 1) && !hp_any_below(&v, 64 * HP_F - 1);
		above_half = hp_bit(&v, 64 * HP_F - 1) && !at_half;
		if (above_half || (at_half && (coef & 1) != 0))
			coef++;
		if (coef == ASP_DEC_TEN34)
		{
			coef /= 10;
			q++;
			if (q > ASP_DEC_EMAX)
				return ASP_D_INF;
		}
	}
	if (coef == 0)
		return ASP_D_ZERO_MIN;
	return asp_dec_pack(neg, q, coef);
}

/* asp_dec_pow: x^y with the special cases of Intel's bid128_pow */
asp_dec128
asp_dec_pow(asp_dec128 x, asp_dec128 y)
{
	asp_dec_parts	px,
				py;
	bool		is_int = false,
				is_odd = false,
				neg_result;
	hp_t		lnx,
				yh,
				l;

	asp_dec_unpack(x, &px);
	asp_dec_unpack(y, &py);
	if (py.kind == ASP_DEC_FINITE && py.coef == 0)
		return ASP_D_ONE;
	if (px.kind == ASP_DEC_FINITE && !px.neg && x == (asp_dec128) 1)
		return ASP_D_ONE;
	if (px.kind == ASP_DEC_NAN || py.kind == ASP_DEC_NAN)
		return asp_dec_nan();
	if (py.kind == ASP_DEC_INF)
	{
		asp_dec128	a = asp_dec_abs(x);

		if (a == (asp_dec128) 1)
			return ASP_D_ONE;
		if (a < (asp_dec128) 1)
			return py.neg ? ASP_D_INF : ASP_D_ZERO;
		return py.neg ? ASP_D_ZERO : ASP_D_INF;
	}

	/* is y an integer, and is it odd? */
	if (py.exp >= 0)
	{
		is_int = true;
		is_odd = py.exp == 0 && (py.coef & 1) != 0;
	}
	else if (-py.exp <= 38 && py.coef % asp_pow10_128(-py.exp) == 0)
	{
		is_int = true;
		is_odd = ((py.coef / asp_pow10_128(-py.exp)) & 1) != 0;
	}
	neg_result = is_odd && px.neg;

	if (px.kind == ASP_DEC_INF || px.coef == 0)
	{
		bool		inf = (px.kind == ASP_DEC_INF) != py.neg;
		asp_dec128	r = inf ? ASP_D_INF : ASP_D_ZERO;

		return neg_result ? -r : r;
	}
	if (px.neg && !is_int)
		return asp_dec_nan();

	/* exp(y * ln|x|), rounded once */
	hp_ln_scaled(px.coef, 0, px.exp, &lnx);
	if (hp_is_zero(&lnx))
		return exp_to_dec(&lnx, neg_result);
	if (!hp_from_dec(&yh, py.coef, py.exp))
		return py.neg != lnx.neg ? ASP_D_ZERO_MIN : ASP_D_INF;
	yh.neg = py.neg && !hp_is_zero(&yh);
	if (hp_msb(&yh) + hp_msb(&lnx) - 2 * 64 * HP_F >= 15)
		return py.neg != lnx.neg ? ASP_D_ZERO_MIN : ASP_D_INF;
	hp_mul(&l, &yh, &lnx);
	return exp_to_dec(&l, neg_result);
}
