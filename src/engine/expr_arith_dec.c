/*-------------------------------------------------------------------------
 *
 * expr_arith_dec.c
 *	  Decimal128 encoding, quantize, integer conversions, remainder and
 *	  square root: the exact IEEE 754 operations that MongoDB's Intel
 *	  decimal library provides and the compiler's _Decimal128 lacks.
 *
 * They work on the unpacked BID encoding with 128- and 256-bit integers;
 * exp, the logarithms and pow are in expr_arith_trans.c.  Everything here
 * is deterministic and allocation-free.
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <string.h>

#include "expr_arith_dec.h"

typedef unsigned __int128 u128;

/* ---------- BID128 encoding ---------- */

/* asp_dec_bits: a decimal from its high and low 64-bit words */
asp_dec128
asp_dec_bits(uint64_t hi, uint64_t lo)
{
	uint64_t	w[2];
	asp_dec128	r;

	w[0] = lo;
	w[1] = hi;
	memcpy(&r, w, sizeof(r));
	return r;
}

/* asp_dec_unpack: split a decimal into sign, kind, exponent and coefficient */
void
asp_dec_unpack(asp_dec128 d, asp_dec_parts *p)
{
	uint64_t	w[2];

	memcpy(w, &d, sizeof(w));
	p->neg = (w[1] >> 63) != 0;
	p->exp = 0;
	p->coef = 0;
	if ((w[1] & 0x7c00000000000000ULL) == 0x7c00000000000000ULL)
	{
		p->kind = ASP_DEC_NAN;
		return;
	}
	if ((w[1] & 0x7c00000000000000ULL) == 0x7800000000000000ULL)
	{
		p->kind = ASP_DEC_INF;
		return;
	}
	p->kind = ASP_DEC_FINITE;
	if ((w[1] & 0x6000000000000000ULL) == 0x6000000000000000ULL)
	{
		/* the "large coefficient" form is never canonical: zero */
		p->exp = (int) ((w[1] >> 47) & 0x3fff) - ASP_DEC_BIAS;
		return;
	}
	p->exp = (int) ((w[1] >> 49) & 0x3fff) - ASP_DEC_BIAS;
	p->coef = ((u128) (w[1] & 0x1ffffffffffffULL) << 64) | w[0];
	if (p->coef >= ASP_DEC_TEN34)
		p->coef = 0;
}

/* asp_dec_pack: encode a finite decimal (coef < 10^34, exponent in range) */
asp_dec128
asp_dec_pack(bool neg, int exp, u128 coef)
{
	return asp_dec_bits(((uint64_t) neg << 63) |
					((uint64_t) (exp + ASP_DEC_BIAS) << 49) |
					(uint64_t) (coef >> 64),
					(uint64_t) coef);
}

/* asp_pow10_128: 10^k for 0 <= k <= 38 */
u128
asp_pow10_128(int k)
{
	u128		r = 1;

	while (k-- > 0)
		r *= 10;
	return r;
}

/*
 * div_round: coef / 10^k rounded with mode (neg is the sign of the
 * number, for the directed modes).
 */
static u128
div_round(u128 coef, int k, bool neg, asp_dec_rounding mode)
{
	u128		q,
				r,
				d;
	bool		up = false;

	if (k <= 0)
		return coef;
	if (k > 38)
	{
		/* every digit goes; the remainder is below half a unit */
		q = 0;
		r = coef;
		d = 0;
	}
	else
	{
		d = asp_pow10_128(k);
		q = coef / d;
		r = coef % d;
	}
	switch (mode)
	{
		case ASP_DEC_HALF_EVEN:
			up = d != 0 && (r > d - r || (r == d - r && (q & 1) != 0));
			break;
		case ASP_DEC_TOWARD_ZERO:
			up = false;
			break;
		case ASP_DEC_CEILING:
			up = r != 0 && !neg;
			break;
		case ASP_DEC_FLOOR:
			up = r != 0 && neg;
			break;
	}
	return q + (up ? 1 : 0);
}

/* dec_make: encode, folding or rounding an out-of-range exponent */
static asp_dec128
dec_make(bool neg, int exp, u128 coef)
{
	if (exp > ASP_DEC_EMAX)
	{
		while (exp > ASP_DEC_EMAX && coef != 0 && coef < ASP_DEC_TEN34 / 10)
		{
			coef *= 10;
			exp--;
		}
		if (coef == 0)
			exp = ASP_DEC_EMAX;
		else if (exp > ASP_DEC_EMAX)
			return neg ? ASP_D_NEG_INF : ASP_D_INF;
	}
	if (exp < ASP_DEC_EMIN)
	{
		coef = div_round(coef, ASP_DEC_EMIN - exp, neg, ASP_DEC_HALF_EVEN);
		exp = ASP_DEC_EMIN;
	}
	return asp_dec_pack(neg, exp, coef);
}

/* asp_dec_nan: a quiet NaN */
asp_dec128
asp_dec_nan(void)
{
	return asp_dec_bits(0x7c00000000000000ULL, 0);
}

/* asp_dec_is_zero: finite with a zero coefficient */
bool
asp_dec_is_zero(asp_dec128 x)
{
	asp_dec_parts	p;

	asp_dec_unpack(x, &p);
	return p.kind == ASP_DEC_FINITE && p.coef == 0;
}

/* asp_dec_is_negative: the sign bit */
bool
asp_dec_is_negative(asp_dec128 x)
{
	asp_dec_parts	p;

	asp_dec_unpack(x, &p);
	return p.neg;
}

/* asp_dec_abs: clear the sign bit */
asp_dec128
asp_dec_abs(asp_dec128 x)
{
	uint64_t	w[2];
	asp_dec128	r;

	memcpy(w, &x, sizeof(w));
	w[1] &= ~(1ULL << 63);
	memcpy(&r, w, sizeof(r));
	return r;
}

/* asp_dec_quantize: IEEE 754 quantize to an exponent */
asp_dec128
asp_dec_quantize(asp_dec128 x, int exponent, asp_dec_rounding mode)
{
	asp_dec_parts	p;
	int			k;

	asp_dec_unpack(x, &p);
	if (p.kind != ASP_DEC_FINITE)
		return asp_dec_nan();
	if (p.exp >= exponent)
	{
		k = p.exp - exponent;
		if (p.coef == 0)
			return asp_dec_pack(p.neg, exponent, 0);
		if (k > 33 || p.coef > (ASP_DEC_TEN34 - 1) / asp_pow10_128(k))
			return asp_dec_nan();
		return asp_dec_pack(p.neg, exponent, p.coef * asp_pow10_128(k));
	}
	return asp_dec_pack(p.neg, exponent, div_round(p.coef, exponent - p.exp, p.neg, mode));
}

/* dec_integer_mag: |x| rounded half-even to an integer; false if >= 2^64 */
static bool
dec_integer_mag(const asp_dec_parts *p, u128 *mag)
{
	if (p->exp >= 0)
	{
		u128		m;

		if (p->coef == 0)
		{
			*mag = 0;
			return true;
		}
		if (p->exp > 19)
			return false;
		m = asp_pow10_128(p->exp);
		if (p->coef > (((u128) 1) << 64) / m)
			return false;
		*mag = p->coef * m;
		return true;
	}
	*mag = div_round(p->coef, -p->exp, p->neg, ASP_DEC_HALF_EVEN);
	return true;
}

/* asp_dec_to_int64: round half to even to an int64 */
bool
asp_dec_to_int64(asp_dec128 x, int64_t *out)
{
	asp_dec_parts	p;
	u128		mag;

	asp_dec_unpack(x, &p);
	if (p.kind != ASP_DEC_FINITE || !dec_integer_mag(&p, &mag))
		return false;
	if (p.neg)
	{
		if (mag > ((u128) 1) << 63)
			return false;
		*out = mag == 0 ? 0 : -(int64_t) (mag - 1) - 1;
	}
	else
	{
		if (mag > (u128) INT64_MAX)
			return false;
		*out = (int64_t) mag;
	}
	return true;
}

/* asp_number_to_int64: coerceToLong of a number */
bool
asp_number_to_int64(const bson_value_t *v, int64_t *out)
{
	switch (v->value_type)
	{
		case BSON_TYPE_INT32:
			*out = v->value.v_int32;
			return true;
		case BSON_TYPE_INT64:
			*out = v->value.v_int64;
			return true;
		case BSON_TYPE_DOUBLE:
			if (!(v->value.v_double >= -9223372036854775808.0 &&
				  v->value.v_double < 9223372036854775808.0))
				return false;
			*out = (int64_t) v->value.v_double;
			return true;
		case BSON_TYPE_DECIMAL128:
			return asp_dec_to_int64(asp_dec_from_bson(&v->value.v_decimal128), out);
		default:
			return false;
	}
}

/* asp_dec_to_int32_exact: an integer in the int32 range, exactly */
bool
asp_dec_to_int32_exact(asp_dec128 x, int32_t *out)
{
	asp_dec_parts	p;
	u128		mag;
	int64_t		v;

	asp_dec_unpack(x, &p);
	if (p.kind != ASP_DEC_FINITE)
		return false;
	if (p.exp < 0 && p.coef != 0)
	{
		if (-p.exp > 38 || p.coef % asp_pow10_128(-p.exp) != 0)
			return false;
	}
	if (!dec_integer_mag(&p, &mag) || mag > ((u128) 1) << 31)
		return false;
	v = p.neg ? -(int64_t) mag : (int64_t) mag;
	if (v > INT32_MAX || v < INT32_MIN)
		return false;
	*out = (int32_t) v;
	return true;
}

/* asp_dec_fmod: x - trunc(x / y) * y, exactly, with the sign of x */
asp_dec128
asp_dec_fmod(asp_dec128 x, asp_dec128 y)
{
	asp_dec_parts	a,
				b;
	u128		r;
	int			e,
				d;

	asp_dec_unpack(x, &a);
	asp_dec_unpack(y, &b);
	if (a.kind == ASP_DEC_NAN || b.kind == ASP_DEC_NAN || a.kind == ASP_DEC_INF)
		return asp_dec_nan();
	if (b.kind == ASP_DEC_INF)
		return x;
	if (b.coef == 0)
		return asp_dec_nan();
	e = a.exp < b.exp ? a.exp : b.exp;
	if (a.coef == 0)
		return asp_dec_pack(a.neg, e, 0);
	if (a.exp >= b.exp)
	{
		/* |x| = a.coef * 10^d units of 10^b.exp: reduce digit by digit */
		d = a.exp - b.exp;
		r = a.coef % b.coef;
		while (d-- > 0 && r != 0)
			r = (r * 10) % b.coef;
	}
	else
	{
		u128		yc = b.coef;

		/* |y| in units of 10^a.exp; once it exceeds |x|, x is the remainder */
		d = b.exp - a.exp;
		while (d > 0 && yc <= a.coef)
		{
			yc *= 10;
			d--;
		}
		r = d > 0 ? a.coef : a.coef % yc;
	}
	return asp_dec_pack(a.neg, e, r);
}

/* ---------- square root, with 256-bit integers ---------- */

typedef struct u256
{
	uint64_t	w[4];			/* little-endian */
} u256;

/* u256_mul_128: the full product of two 128-bit integers */
static void
u256_mul_128(u256 *r, u128 a, u128 b)
{
	uint64_t	a0 = (uint64_t) a,
				a1 = (uint64_t) (a >> 64),
				b0 = (uint64_t) b,
				b1 = (uint64_t) (b >> 64);
	u128		p00 = (u128) a0 * b0,
				p01 = (u128) a0 * b1,
				p10 = (u128) a1 * b0,
				p11 = (u128) a1 * b1;
	u128		mid = (p00 >> 64) + (uint64_t) p01 + (uint64_t) p10;

	r->w[0] = (uint64_t) p00;
	r->w[1] = (uint64_t) mid;
	mid = (mid >> 64) + (p01 >> 64) + (p10 >> 64) + (uint64_t) p11;
	r->w[2] = (uint64_t) mid;
	r->w[3] = (uint64_t) ((mid >> 64) + (p11 >> 64));
}

/* u256_mul_small: r *= m (the product must fit) */
static void
u256_mul_small(u256 *r, uint64_t m)
{
	u128		carry = 0;
	int			i;

	for (i = 0; i < 4; i++)
	{
		carry += (u128) r->w[i] * m;
		r->w[i] = (uint64_t) carry;
		carry >>= 64;
	}
}

/* u256_cmp: -1, 0 or 1 */
static int
u256_cmp(const u256 *a, const u256 *b)
{
	int			i;

	for (i = 3; i >= 0; i--)
		if (a->w[i] != b->w[i])
			return a->w[i] < b->w[i] ? -1 : 1;
	return 0;
}

/* u256_low_diff: (a - b) as a 128-bit number, for a >= b with a - b < 2^128 */
static u128
u256_low_diff(const u256 *a, const u256 *b)
{
	u128		lo_a = ((u128) a->w[1] << 64) | a->w[0];
	u128		lo_b = ((u128) b->w[1] << 64) | b->w[0];

	return lo_a - lo_b;
}

/* isqrt256: floor(sqrt(n)) for n < 2^226 */
static u128
isqrt256(const u256 *n)
{
	__float128	f,
				r,
				two64 = 18446744073709551616.0;
	u128		hi = ((u128) n->w[3] << 64) | n->w[2];
	u128		lo = ((u128) n->w[1] << 64) | n->w[0];
	u128		s;
	u256		sq;
	int			i;

	f = (__float128) hi * two64 * two64 + (__float128) lo;
	r = (__float128) sqrt((double) f);
	for (i = 0; i < 4; i++)
		r = (r + f / r) / 2;
	s = (u128) r;
	for (;;)
	{
		u256_mul_128(&sq, s + 1, s + 1);
		if (u256_cmp(&sq, n) > 0)
			break;
		s++;
	}
	for (;;)
	{
		u256_mul_128(&sq, s, s);
		if (u256_cmp(&sq, n) <= 0)
			break;
		s--;
	}
	return s;
}

/* floor_half: floor(e / 2) */
static int
floor_half(int e)
{
	return e >= 0 ? e / 2 : -((-e + 1) / 2);
}

/* asp_dec_sqrt: correctly rounded square root with IEEE's preferred exponent */
asp_dec128
asp_dec_sqrt(asp_dec128 x)
{
	asp_dec_parts	p;
	u128		c,
				root,
				rem;
	u256		n,
				sq;
	int			e,
				digits,
				k,
				q,
				pref,
				i;

	asp_dec_unpack(x, &p);
	if (p.kind == ASP_DEC_NAN)
		return asp_dec_nan();
	if (p.kind == ASP_DEC_INF)
		return p.neg ? asp_dec_nan() : x;
	pref = floor_half(p.exp);
	if (p.coef == 0)
		return asp_dec_pack(p.neg, pref, 0);
	if (p.neg)
		return asp_dec_nan();

	/* make the exponent even, then scale to a 67- or 68-digit integer */
	c = p.coef;
	e = p.exp;
	if (e & 1)
	{
		c *= 10;
		e--;
	}
	for (digits = 0, rem = c; rem != 0; rem /= 10)
		digits++;
	k = digits < 67 ? (67 - digits + 1) / 2 : 0;
	memset(&n, 0, sizeof(n));
	n.w[0] = (uint64_t) c;
	n.w[1] = (uint64_t) (c >> 64);
	for (i = 0; i < 2 * k; i++)
		u256_mul_small(&n, 10);
	root = isqrt256(&n);
	u256_mul_128(&sq, root, root);
	rem = u256_low_diff(&n, &sq);
	q = e / 2 - k;
	if (rem == 0)
	{
		/* exact: as few digits as the preferred exponent allows */
		while (q < pref && root % 10 == 0)
		{
			root /= 10;
			q++;
		}
	}
	else if (rem > root)
	{
		/* n > (root + 1/2)^2: round up (an exact tie cannot happen) */
		root++;
		if (root == ASP_DEC_TEN34)
		{
			root /= 10;
			q++;
		}
	}
	return dec_make(false, q, root);
}
