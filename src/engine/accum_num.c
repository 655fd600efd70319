/*-------------------------------------------------------------------------
 *
 * accum_num.c
 *	  The numeric accumulators $sum $avg $count $stdDevPop $stdDevSamp.
 *
 * Numbers follow MongoDB exactly: $sum and $avg keep a double-double sum
 * (MongoDB's DoubleDoubleSummation: int32 and doubles added as doubles,
 * int64 split in two exact halves) plus a separate decimal128 total for
 * decimal inputs, and the widest input type decides the result type
 * (int32, widened to int64 and then double when the sum does not fit).
 * $stdDevPop/$stdDevSamp use Welford's algorithm and merge with Chan's
 * formula, as MongoDB does.  All states are inline: no heap memory.
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "accum_internal.h"

/* ---------- double-double summation (MongoDB's DoubleDoubleSummation) ---------- */

typedef struct dd_sum
{
	double		sum;			/* rounded-to-nearest sum */
	double		addend;			/* compensation */
	double		special;		/* plain sum, used when sum became NaN (infinities) */
} dd_sum;

/* dd_add_double: add x keeping the rounding error in addend */
static void
dd_add_double(dd_sum *s, double x)
{
	double		t,
				z,
				a,
				b,
				ap,
				bp;

	s->special += x;
	/* Fast2Sum(x, addend): x becomes the rounded sum, addend its error */
	t = x + s->addend;
	z = t - x;
	s->addend = s->addend - z;
	x = t;
	/* 2Sum(sum, x) */
	a = s->sum;
	b = x;
	t = a + b;
	ap = t - b;
	bp = t - ap;
	s->sum = t;
	x = (a - ap) + (b - bp);
	s->addend += x;
}

/* dd_add_long: add a 64-bit integer exactly, as two doubles */
static void
dd_add_long(dd_sum *s, int64_t x)
{
	int64_t		high = x / ((int64_t) 1 << 32) * ((int64_t) 1 << 32);
	int64_t		low = x - high;

	dd_add_double(s, (double) low);
	dd_add_double(s, (double) high);
}

/* dd_double: the double nearest to the sum */
static double
dd_double(const dd_sum *s)
{
	return isnan(s->sum) ? s->special : s->sum;
}

/* dd_fits_long: is the sum in the range of int64? */
static bool
dd_fits_long(const dd_sum *s)
{
	if (s->sum > -9223372036854775808.0 && s->sum < 9223372036854775808.0)
		return true;
	if (s->sum == 9223372036854775808.0)
		return s->addend < -0.5;
	if (s->sum == -9223372036854775808.0)
		return s->addend >= -0.5;
	return false;
}

/* dd_long: the sum rounded to the nearest int64 (caller checks dd_fits_long) */
static int64_t
dd_long(const dd_sum *s)
{
	int64_t		r;

	if (s->sum == 9223372036854775808.0)
		return (int64_t) ((uint64_t) llround(s->addend) + ((uint64_t) 1 << 63));
	r = llround(s->sum);
	r += llround((s->sum - (double) r) + s->addend);
	return r;
}

/* dd_decimal: the sum as a decimal, with 34-digit conversion of both parts */
static asp_dec128
dd_decimal(const dd_sum *s)
{
	if (!isfinite(s->sum))
		return (asp_dec128) s->special;
	return (asp_dec128) s->sum + (asp_dec128) s->addend;
}

/* dd_merge: add another partial sum, as MongoDB merges partial sums */
static void
dd_merge(dd_sum *dst, const dd_sum *src)
{
	double		sum = isnan(src->sum) ? src->special : src->sum;
	double		addend = isnan(src->sum) ? 0.0 : src->addend;

	dd_add_double(dst, sum);
	if (isfinite(sum) || !isnan(addend))
		dd_add_double(dst, addend);
}

/* ---------- decimal helpers (states keep decimals as bytes: alignment) ---------- */

/* dec_load: a decimal kept as bytes (states are only 8-byte aligned) */
static inline asp_dec128
dec_load(const uint8_t *p)
{
	asp_dec128	d;

	memcpy(&d, p, sizeof(d));
	return d;
}

/* dec_store: store a decimal as bytes */
static inline void
dec_store(uint8_t *p, asp_dec128 d)
{
	memcpy(p, &d, sizeof(d));
}

/* dec_zero: MongoDB's Decimal128() is 0E+0 */
static inline void
dec_zero(uint8_t *p)
{
	dec_store(p, (asp_dec128) 0);
}

/* num_rank: rank of a numeric type for widening (int32 < int64 < double < decimal) */
static int
num_rank(uint8_t t)
{
	switch ((bson_type_t) t)
	{
		case BSON_TYPE_INT64:
			return 1;
		case BSON_TYPE_DOUBLE:
			return 2;
		case BSON_TYPE_DECIMAL128:
			return 3;
		default:
			return 0;
	}
}

/* widest: the wider of two numeric types */
static inline uint8_t
widest(uint8_t a, uint8_t b)
{
	return num_rank(a) >= num_rank(b) ? a : b;
}

/* get_field: a top-level field of the given type of a document value */
static bool
get_field(const bson_value_t *doc, const char *key, bson_type_t type, bson_value_t *out)
{
	if (doc->value_type != BSON_TYPE_DOCUMENT)
		return false;
	if (!asp_doc_get(doc->value.v_doc.data, doc->value.v_doc.data_len, key,
					 (uint32_t) strlen(key), out))
		return false;
	return out->value_type == type;
}

/* append_dd: a double-double sum and decimal total as fields s, a, x, d */
static void
append_dd(bson_t *b, const dd_sum *s, const uint8_t *dec)
{
	bson_decimal128_t bd;

	BSON_APPEND_DOUBLE(b, "s", s->sum);
	BSON_APPEND_DOUBLE(b, "a", s->addend);
	BSON_APPEND_DOUBLE(b, "x", s->special);
	memcpy(&bd, dec, 16);
	BSON_APPEND_DECIMAL128(b, "d", &bd);
}

/* read_dd: the reverse of append_dd */
static bool
read_dd(const bson_value_t *v, dd_sum *s, uint8_t *dec)
{
	bson_value_t f;

	if (!get_field(v, "s", BSON_TYPE_DOUBLE, &f))
		return false;
	s->sum = f.value.v_double;
	if (!get_field(v, "a", BSON_TYPE_DOUBLE, &f))
		return false;
	s->addend = f.value.v_double;
	if (!get_field(v, "x", BSON_TYPE_DOUBLE, &f))
		return false;
	s->special = f.value.v_double;
	if (!get_field(v, "d", BSON_TYPE_DECIMAL128, &f))
		return false;
	memcpy(dec, &f.value.v_decimal128, 16);
	return true;
}

/* ---------- $sum ---------- */

typedef struct sum_state
{
	dd_sum		dd;				/* int32, int64 and double inputs */
	uint8_t		dec[16];		/* decimal inputs */
	uint8_t		type;			/* widest numeric type seen (int32 to start) */
	uint8_t		seen;			/* any number added */
	uint8_t		pad[6];
} sum_state;

_Static_assert(sizeof(sum_state) == 48, "sum_state must stay 48 bytes");

/* sum_init: an empty $sum (int32 zero) */
static void
sum_init(const asp_accum *a, void *state)
{
	sum_state  *s = state;

	(void) a;
	memset(s, 0, sizeof(*s));
	dec_zero(s->dec);
	s->type = BSON_TYPE_INT32;
}

/* sum_value: fold one value in; non-numbers are ignored */
static void
sum_value(sum_state *s, const bson_value_t *v)
{
	switch (v->value_type)
	{
		case BSON_TYPE_INT32:
			dd_add_double(&s->dd, (double) v->value.v_int32);
			break;
		case BSON_TYPE_INT64:
			dd_add_long(&s->dd, v->value.v_int64);
			break;
		case BSON_TYPE_DOUBLE:
			dd_add_double(&s->dd, v->value.v_double);
			break;
		case BSON_TYPE_DECIMAL128:
			dec_store(s->dec, dec_load(s->dec) + asp_dec_from_bson(&v->value.v_decimal128));
			break;
		default:
			return;
	}
	s->type = widest(s->type, (uint8_t) v->value_type);
	s->seen = 1;
}

/* sum_apply: fold in the evaluated operand */
static bool
sum_apply(const asp_accum *a, void *state, const asp_accum_input *in, asp_eval_ctx *ctx)
{
	(void) a;
	(void) ctx;
	sum_value(state, &in->v[0]);
	return true;
}

/* sum_merge: add a later partial sum, as MongoDB merges partial sums */
static bool
sum_merge(const asp_accum *a, void *dst, const void *src, asp_error *err)
{
	sum_state  *d = dst;
	const sum_state *s = src;

	(void) a;
	(void) err;
	if (!s->seen)
		return true;
	if (!d->seen)
	{
		*d = *s;
		return true;
	}
	dd_merge(&d->dd, &s->dd);
	dec_store(d->dec, dec_load(d->dec) + dec_load(s->dec));
	d->type = widest(d->type, s->type);
	return true;
}

/* sum_result: MongoDB's AccumulatorSum::getValue */
static void
sum_result(const dd_sum *dd, const uint8_t *dec, uint8_t type, bson_value_t *out)
{
	switch ((bson_type_t) type)
	{
		case BSON_TYPE_DECIMAL128:
			asp_value_set_decimal(out, dec_load(dec) + dd_decimal(dd));
			return;
		case BSON_TYPE_DOUBLE:
			asp_value_set_double(out, dd_double(dd));
			return;
		case BSON_TYPE_INT64:
			if (dd_fits_long(dd))
				asp_value_set_int64(out, dd_long(dd));
			else
				asp_value_set_double(out, dd_double(dd));
			return;
		default:
			if (dd_fits_long(dd))
			{
				int64_t		l = dd_long(dd);

				if (l >= INT32_MIN && l <= INT32_MAX)
					asp_value_set_int32(out, (int32_t) l);
				else
					asp_value_set_int64(out, l);
			}
			else
				asp_value_set_double(out, dd_double(dd));
			return;
	}
}

/* sum_finalize: the sum, typed as MongoDB types it */
static bool
sum_finalize(const asp_accum *a, const void *state, asp_eval_ctx *ctx, bson_value_t *out)
{
	const sum_state *s = state;

	(void) a;
	(void) ctx;
	sum_result(&s->dd, s->dec, s->type, out);
	return true;
}

/* noop_destroy: destroy of states without heap memory */
static void
noop_destroy(const asp_accum *a, void *state)
{
	(void) a;
	(void) state;
}

/* no_mem: mem_size of states without heap memory */
static size_t
no_mem(const asp_accum *a, const void *state)
{
	(void) a;
	(void) state;
	return 0;
}

/* sum_serialize: {t: type, n: seen, s, a, x: double-double, d: decimal} */
static bool
sum_serialize(const asp_accum *a, const void *state, bson_t *out, const char *key)
{
	const sum_state *s = state;
	bson_t		b;

	(void) a;
	bson_append_document_begin(out, key, -1, &b);
	BSON_APPEND_INT32(&b, "t", s->type);
	BSON_APPEND_BOOL(&b, "n", s->seen != 0);
	append_dd(&b, &s->dd, s->dec);
	bson_append_document_end(out, &b);
	return true;
}

/* sum_deserialize: the reverse of sum_serialize */
static bool
sum_deserialize(const asp_accum *a, void *state, const bson_value_t *v, asp_error *err)
{
	sum_state  *s = state;
	bson_value_t f;

	sum_init(a, state);
	if (!get_field(v, "t", BSON_TYPE_INT32, &f) ||
		(f.value.v_int32 != BSON_TYPE_INT32 && f.value.v_int32 != BSON_TYPE_INT64 &&
		 f.value.v_int32 != BSON_TYPE_DOUBLE && f.value.v_int32 != BSON_TYPE_DECIMAL128))
		return acc_state_error(err, a->def->name, "bad type");
	s->type = (uint8_t) f.value.v_int32;
	if (!get_field(v, "n", BSON_TYPE_BOOL, &f))
		return acc_state_error(err, a->def->name, "missing 'n'");
	s->seen = f.value.v_bool;
	if (!read_dd(v, &s->dd, s->dec))
		return acc_state_error(err, a->def->name, "bad sum");
	return true;
}

/* ---------- $avg ---------- */

#define AVG_DECIMAL ((uint64_t) 1 << 63)
#define AVG_COUNT(c) ((c) & ~AVG_DECIMAL)

typedef struct avg_state
{
	dd_sum		dd;
	uint8_t		dec[16];
	uint64_t	cnt;			/* numbers added, | AVG_DECIMAL once a decimal was added */
} avg_state;

_Static_assert(sizeof(avg_state) == 48, "avg_state must stay 48 bytes");

/* avg_init: an empty $avg */
static void
avg_init(const asp_accum *a, void *state)
{
	avg_state  *s = state;

	(void) a;
	memset(s, 0, sizeof(*s));
	dec_zero(s->dec);
}

/* avg_apply: fold in a number; other values are ignored */
static bool
avg_apply(const asp_accum *a, void *state, const asp_accum_input *in, asp_eval_ctx *ctx)
{
	avg_state  *s = state;
	const bson_value_t *v = &in->v[0];

	(void) a;
	(void) ctx;
	switch (v->value_type)
	{
		case BSON_TYPE_INT32:
			dd_add_double(&s->dd, (double) v->value.v_int32);
			break;
		case BSON_TYPE_INT64:
			dd_add_long(&s->dd, v->value.v_int64);
			break;
		case BSON_TYPE_DOUBLE:
			dd_add_double(&s->dd, v->value.v_double);
			break;
		case BSON_TYPE_DECIMAL128:
			dec_store(s->dec, dec_load(s->dec) + asp_dec_from_bson(&v->value.v_decimal128));
			s->cnt |= AVG_DECIMAL;
			break;
		default:
			return true;
	}
	s->cnt++;
	return true;
}

/* avg_merge: add a later partial sum and count */
static bool
avg_merge(const asp_accum *a, void *dst, const void *src, asp_error *err)
{
	avg_state  *d = dst;
	const avg_state *s = src;

	(void) a;
	(void) err;
	if (AVG_COUNT(s->cnt) == 0)
		return true;
	if (AVG_COUNT(d->cnt) == 0)
	{
		*d = *s;
		return true;
	}
	dd_merge(&d->dd, &s->dd);
	dec_store(d->dec, dec_load(d->dec) + dec_load(s->dec));
	d->cnt = ((d->cnt | s->cnt) & AVG_DECIMAL) | (AVG_COUNT(d->cnt) + AVG_COUNT(s->cnt));
	return true;
}

/* avg_finalize: null without numbers; decimal if any decimal; else double */
static bool
avg_finalize(const asp_accum *a, const void *state, asp_eval_ctx *ctx, bson_value_t *out)
{
	const avg_state *s = state;
	uint64_t	n = AVG_COUNT(s->cnt);

	(void) a;
	(void) ctx;
	if (n == 0)
		asp_value_set_null(out);
	else if (s->cnt & AVG_DECIMAL)
		asp_value_set_decimal(out, (dec_load(s->dec) + dd_decimal(&s->dd)) /
							  (asp_dec128) (int64_t) n);
	else
		asp_value_set_double(out, dd_double(&s->dd) / (double) n);
	return true;
}

/* avg_serialize: {c: count, D: decimal seen, s, a, x, d} */
static bool
avg_serialize(const asp_accum *a, const void *state, bson_t *out, const char *key)
{
	const avg_state *s = state;
	bson_t		b;

	(void) a;
	bson_append_document_begin(out, key, -1, &b);
	BSON_APPEND_INT64(&b, "c", (int64_t) AVG_COUNT(s->cnt));
	BSON_APPEND_BOOL(&b, "D", (s->cnt & AVG_DECIMAL) != 0);
	append_dd(&b, &s->dd, s->dec);
	bson_append_document_end(out, &b);
	return true;
}

/* avg_deserialize: the reverse of avg_serialize */
static bool
avg_deserialize(const asp_accum *a, void *state, const bson_value_t *v, asp_error *err)
{
	avg_state  *s = state;
	bson_value_t f;

	avg_init(a, state);
	if (!get_field(v, "c", BSON_TYPE_INT64, &f) || f.value.v_int64 < 0)
		return acc_state_error(err, a->def->name, "bad count");
	s->cnt = (uint64_t) f.value.v_int64;
	if (!get_field(v, "D", BSON_TYPE_BOOL, &f))
		return acc_state_error(err, a->def->name, "missing 'D'");
	if (f.value.v_bool)
		s->cnt |= AVG_DECIMAL;
	if (!read_dd(v, &s->dd, s->dec))
		return acc_state_error(err, a->def->name, "bad sum");
	return true;
}

/* ---------- $count ---------- */

typedef struct count_state
{
	int64_t		n;
} count_state;

/* count_init: zero documents */
static void
count_init(const asp_accum *a, void *state)
{
	(void) a;
	((count_state *) state)->n = 0;
}

/* count_apply: one more document */
static bool
count_apply(const asp_accum *a, void *state, const asp_accum_input *in, asp_eval_ctx *ctx)
{
	(void) a;
	(void) in;
	(void) ctx;
	((count_state *) state)->n++;
	return true;
}

/* count_merge: add a later count */
static bool
count_merge(const asp_accum *a, void *dst, const void *src, asp_error *err)
{
	(void) a;
	(void) err;
	((count_state *) dst)->n += ((const count_state *) src)->n;
	return true;
}

/* count_finalize: int32, or int64 when it does not fit (as {$sum: 1}) */
static bool
count_finalize(const asp_accum *a, const void *state, asp_eval_ctx *ctx, bson_value_t *out)
{
	int64_t		n = ((const count_state *) state)->n;

	(void) a;
	(void) ctx;
	if (n <= INT32_MAX)
		asp_value_set_int32(out, (int32_t) n);
	else
		asp_value_set_int64(out, n);
	return true;
}

/* count_serialize: the count as a long */
static bool
count_serialize(const asp_accum *a, const void *state, bson_t *out, const char *key)
{
	(void) a;
	return BSON_APPEND_INT64(out, key, ((const count_state *) state)->n);
}

/* count_deserialize: the reverse of count_serialize */
static bool
count_deserialize(const asp_accum *a, void *state, const bson_value_t *v, asp_error *err)
{
	if (v->value_type != BSON_TYPE_INT64 || v->value.v_int64 < 0)
		return acc_state_error(err, a->def->name, "expected a non-negative long");
	((count_state *) state)->n = v->value.v_int64;
	return true;
}

/* count_compile: {$count: {}} and nothing else */
static bool
count_compile(asp_expr_compiler *c, const bson_value_t *operand, asp_accum *a)
{
	if (operand->value_type != BSON_TYPE_DOCUMENT || operand->value.v_doc.data_len != 5)
		return acc_compile_error(c, a, "$count takes no arguments, i.e. $count: {}");
	return true;
}

/* ---------- $stdDevPop / $stdDevSamp ---------- */

typedef struct stddev_state
{
	int64_t		count;
	double		mean;
	double		m2;
} stddev_state;

/* stddev_init: no values yet */
static void
stddev_init(const asp_accum *a, void *state)
{
	(void) a;
	memset(state, 0, sizeof(stddev_state));
}

/* stddev_apply: fold in a number (Welford); other values are ignored */
static bool
stddev_apply(const asp_accum *a, void *state, const asp_accum_input *in, asp_eval_ctx *ctx)
{
	stddev_state *s = state;
	const bson_value_t *v = &in->v[0];
	double		val,
				delta;

	(void) a;
	(void) ctx;
	if (!asp_value_is_number(v))
		return true;
	/* Welford's online algorithm, as MongoDB */
	val = asp_value_as_double(v);
	s->count++;
	delta = val - s->mean;
	if (delta != 0.0)
	{
		s->mean += delta / (double) s->count;
		s->m2 += delta * (val - s->mean);
	}
	return true;
}

/* stddev_merge: fold in a later partial state (Chan et al.) */
static bool
stddev_merge(const asp_accum *a, void *dst, const void *src, asp_error *err)
{
	stddev_state *d = dst;
	const stddev_state *s = src;
	double		delta;
	int64_t		n;

	(void) a;
	(void) err;
	if (s->count == 0)
		return true;
	if (d->count == 0)
	{
		*d = *s;
		return true;
	}
	/* Chan et al.'s parallel algorithm, as MongoDB merges partial results */
	delta = s->mean - d->mean;
	n = d->count + s->count;
	if (delta != 0.0)
	{
		d->mean = ((double) d->count * d->mean + (double) s->count * s->mean) / (double) n;
		d->m2 += delta * delta * ((double) d->count * (double) s->count / (double) n);
	}
	d->m2 += s->m2;
	d->count = n;
	return true;
}

/* stddev_result: population or sample standard deviation, null if undefined */
static bool
stddev_result(const void *state, bool samp, bson_value_t *out)
{
	const stddev_state *s = state;
	int64_t		n = samp ? s->count - 1 : s->count;

	if (n <= 0)
		asp_value_set_null(out);
	else
		asp_value_set_double(out, sqrt(s->m2 / (double) n));
	return true;
}

/* stddev_pop_finalize: $stdDevPop */
static bool
stddev_pop_finalize(const asp_accum *a, const void *state, asp_eval_ctx *ctx, bson_value_t *out)
{
	(void) a;
	(void) ctx;
	return stddev_result(state, false, out);
}

/* stddev_samp_finalize: $stdDevSamp (null for fewer than two values) */
static bool
stddev_samp_finalize(const asp_accum *a, const void *state, asp_eval_ctx *ctx, bson_value_t *out)
{
	(void) a;
	(void) ctx;
	return stddev_result(state, true, out);
}

/* stddev_serialize: {c: count, m: mean, q: sum of squared deviations} */
static bool
stddev_serialize(const asp_accum *a, const void *state, bson_t *out, const char *key)
{
	const stddev_state *s = state;
	bson_t		b;

	(void) a;
	bson_append_document_begin(out, key, -1, &b);
	BSON_APPEND_INT64(&b, "c", s->count);
	BSON_APPEND_DOUBLE(&b, "m", s->mean);
	BSON_APPEND_DOUBLE(&b, "q", s->m2);
	bson_append_document_end(out, &b);
	return true;
}

/* stddev_deserialize: the reverse of stddev_serialize */
static bool
stddev_deserialize(const asp_accum *a, void *state, const bson_value_t *v, asp_error *err)
{
	stddev_state *s = state;
	bson_value_t f;

	if (!get_field(v, "c", BSON_TYPE_INT64, &f) || f.value.v_int64 < 0)
		return acc_state_error(err, a->def->name, "bad count");
	s->count = f.value.v_int64;
	if (!get_field(v, "m", BSON_TYPE_DOUBLE, &f))
		return acc_state_error(err, a->def->name, "bad mean");
	s->mean = f.value.v_double;
	if (!get_field(v, "q", BSON_TYPE_DOUBLE, &f))
		return acc_state_error(err, a->def->name, "bad m2");
	s->m2 = f.value.v_double;
	return true;
}

/* ---------- definitions ---------- */

const asp_accum_def acc_def_sum = {
	"$sum", sizeof(sum_state), false, acc_compile_unary, sum_init, asp_accum_eval_unary,
	sum_apply, asp_accum_add, sum_merge, sum_finalize, noop_destroy, no_mem, sum_serialize,
	sum_deserialize
};
const asp_accum_def acc_def_avg = {
	"$avg", sizeof(avg_state), false, acc_compile_unary, avg_init, asp_accum_eval_unary,
	avg_apply, asp_accum_add, avg_merge, avg_finalize, noop_destroy, no_mem, avg_serialize,
	avg_deserialize
};
const asp_accum_def acc_def_count = {
	"$count", sizeof(count_state), false, count_compile, count_init, acc_eval_none,
	count_apply, asp_accum_add, count_merge, count_finalize, noop_destroy, no_mem,
	count_serialize, count_deserialize
};
const asp_accum_def acc_def_stddev_pop = {
	"$stdDevPop", sizeof(stddev_state), false, acc_compile_unary, stddev_init,
	asp_accum_eval_unary, stddev_apply, asp_accum_add, stddev_merge, stddev_pop_finalize,
	noop_destroy, no_mem, stddev_serialize, stddev_deserialize
};
const asp_accum_def acc_def_stddev_samp = {
	"$stdDevSamp", sizeof(stddev_state), false, acc_compile_unary, stddev_init,
	asp_accum_eval_unary, stddev_apply, asp_accum_add, stddev_merge, stddev_samp_finalize,
	noop_destroy, no_mem, stddev_serialize, stddev_deserialize
};
