/*-------------------------------------------------------------------------
 *
 * value.c
 *	  BSON values as the engine sees them: type order, comparison,
 *	  equality, hashing, numbers, and type names; the raw element walker
 *	  and the field index (field plans are in field_plan.c).
 *
 * The comparison follows MongoDB's BSONElement/BSONObj woCompare: first
 * the canonical type rank, then (inside documents) the field name, then
 * the value.  Numbers compare by numeric value across int32, int64,
 * double and decimal128.
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <stddef.h>
#include <stdio.h>

#include "value.h"
#include "value_int.h"

/* asp_canonical_type: MongoDB's canonicalizeBSONType() */
int
asp_canonical_type(bson_type_t t)
{
	switch (t)
	{
		case BSON_TYPE_MINKEY:
			return -1;
		case BSON_TYPE_EOD:
		case BSON_TYPE_UNDEFINED:
			return 0;
		case BSON_TYPE_NULL:
			return 5;
		case BSON_TYPE_DOUBLE:
		case BSON_TYPE_INT32:
		case BSON_TYPE_INT64:
		case BSON_TYPE_DECIMAL128:
			return 10;
		case BSON_TYPE_UTF8:
		case BSON_TYPE_SYMBOL:
			return 15;
		case BSON_TYPE_DOCUMENT:
			return 20;
		case BSON_TYPE_ARRAY:
			return 25;
		case BSON_TYPE_BINARY:
			return 30;
		case BSON_TYPE_OID:
			return 35;
		case BSON_TYPE_BOOL:
			return 40;
		case BSON_TYPE_DATE_TIME:
			return 45;
		case BSON_TYPE_TIMESTAMP:
			return 47;
		case BSON_TYPE_REGEX:
			return 50;
		case BSON_TYPE_DBPOINTER:
			return 55;
		case BSON_TYPE_CODE:
			return 60;
		case BSON_TYPE_CODEWSCOPE:
			return 65;
		case BSON_TYPE_MAXKEY:
			return 127;
	}
	return 0;
}

/* asp_dec_is_nan: true for a decimal NaN */
bool
asp_dec_is_nan(asp_dec128 d)
{
	return d != d;
}

/* asp_dec_is_inf: true for a decimal +/-Infinity */
bool
asp_dec_is_inf(asp_dec128 d)
{
	return !asp_dec_is_nan(d) && (d - d) != (d - d);
}

/* asp_dec_to_double: nearest double */
double
asp_dec_to_double(asp_dec128 d)
{
	return (double) d;
}

/* asp_value_as_double: a number as a double (0 for non-numbers) */
double
asp_value_as_double(const bson_value_t *v)
{
	switch (v->value_type)
	{
		case BSON_TYPE_INT32:
			return v->value.v_int32;
		case BSON_TYPE_INT64:
			return (double) v->value.v_int64;
		case BSON_TYPE_DOUBLE:
			return v->value.v_double;
		case BSON_TYPE_DECIMAL128:
			return (double) asp_dec_from_bson(&v->value.v_decimal128);
		default:
			return 0.0;
	}
}

/*
 * asp_value_as_decimal: a number as a decimal.  Doubles convert the way
 * MongoDB does (rounded to 15 significant digits), so 0.1 becomes 0.1000...
 * and not 0.1000000000000000055511151231257827.
 */
asp_dec128
asp_value_as_decimal(const bson_value_t *v)
{
	switch (v->value_type)
	{
		case BSON_TYPE_INT32:
			return (asp_dec128) v->value.v_int32;
		case BSON_TYPE_INT64:
			return (asp_dec128) v->value.v_int64;
		case BSON_TYPE_DOUBLE:
			{
				double		d = v->value.v_double;
				char		buf[64];
				bson_decimal128_t bd;

				if (isnan(d) || isinf(d) || d == 0.0)
					return (asp_dec128) d;
				snprintf(buf, sizeof(buf), "%.14e", d);
				if (!bson_decimal128_from_string(buf, &bd))
					return (asp_dec128) d;
				return asp_dec_from_bson(&bd);
			}
		case BSON_TYPE_DECIMAL128:
			return asp_dec_from_bson(&v->value.v_decimal128);
		default:
			return (asp_dec128) 0;
	}
}

/* asp_value_as_int64_exact: the exact int64 value of a number, if it has one */
bool
asp_value_as_int64_exact(const bson_value_t *v, int64_t *out)
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
			{
				double		d = v->value.v_double;

				if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0) ||
					d != floor(d))
					return false;
				*out = (int64_t) d;
				return true;
			}
		case BSON_TYPE_DECIMAL128:
			{
				asp_dec128	d = asp_dec_from_bson(&v->value.v_decimal128);
				int64_t		i;

				if (asp_dec_is_nan(d) || asp_dec_is_inf(d))
					return false;
				if (!(d >= -9223372036854775808.0DL && d < 9223372036854775808.0DL))
					return false;
				i = (int64_t) d;
				if ((asp_dec128) i != d)
					return false;
				*out = i;
				return true;
			}
		default:
			return false;
	}
}

#define CMP(a, b) ((a) < (b) ? -1 : ((a) > (b) ? 1 : 0))

/* compare two doubles the MongoDB way: NaN is least and equal to NaN */
static int
cmp_double(double a, double b)
{
	if (isnan(a))
		return isnan(b) ? 0 : -1;
	if (isnan(b))
		return 1;
	return CMP(a, b);
}

/* compare an int64 with a double exactly */
static int
cmp_int64_double(int64_t a, double b)
{
	if (isnan(b))
		return 1;
	if (b >= 9223372036854775808.0)
		return -1;
	if (b < -9223372036854775808.0)
		return 1;
	{
		double		fb = floor(b);
		int64_t		ib = (int64_t) fb;

		if (a != ib)
			return CMP(a, ib);
		return fb == b ? 0 : -1;	/* a == floor(b) < b */
	}
}

static int
cmp_numbers(const bson_value_t *a, const bson_value_t *b)
{
	bson_type_t ta = a->value_type,
				tb = b->value_type;

	if (ta == BSON_TYPE_DECIMAL128 || tb == BSON_TYPE_DECIMAL128)
	{
		asp_dec128	da,
					db;

		/* a double compares to a decimal by its exact binary value */
		if (ta == BSON_TYPE_DOUBLE)
			da = (asp_dec128) a->value.v_double;
		else
			da = asp_value_as_decimal(a);
		if (tb == BSON_TYPE_DOUBLE)
			db = (asp_dec128) b->value.v_double;
		else
			db = asp_value_as_decimal(b);
		if (asp_dec_is_nan(da))
			return asp_dec_is_nan(db) ? 0 : -1;
		if (asp_dec_is_nan(db))
			return 1;
		return CMP(da, db);
	}
	if (ta == BSON_TYPE_DOUBLE && tb == BSON_TYPE_DOUBLE)
		return cmp_double(a->value.v_double, b->value.v_double);
	if (ta == BSON_TYPE_DOUBLE)
	{
		int64_t		ib = tb == BSON_TYPE_INT32 ? b->value.v_int32 : b->value.v_int64;

		return -cmp_int64_double(ib, a->value.v_double);
	}
	if (tb == BSON_TYPE_DOUBLE)
	{
		int64_t		ia = ta == BSON_TYPE_INT32 ? a->value.v_int32 : a->value.v_int64;

		return cmp_int64_double(ia, b->value.v_double);
	}
	{
		int64_t		ia = ta == BSON_TYPE_INT32 ? a->value.v_int32 : a->value.v_int64;
		int64_t		ib = tb == BSON_TYPE_INT32 ? b->value.v_int32 : b->value.v_int64;

		return CMP(ia, ib);
	}
}

static int
cmp_bytes(const void *a, size_t alen, const void *b, size_t blen)
{
	int			c = memcmp(a, b, alen < blen ? alen : blen);

	if (c != 0)
		return c < 0 ? -1 : 1;
	return CMP(alen, blen);
}

/* asp_doc_compare: MongoDB's BSONObj::woCompare with field names */
int
asp_doc_compare(const uint8_t *a, uint32_t alen, const uint8_t *b, uint32_t blen)
{
	bson_iter_t ia,
				ib;

	if (!bson_iter_init_from_data(&ia, a, alen) ||
		!bson_iter_init_from_data(&ib, b, blen))
		return CMP(alen, blen);
	for (;;)
	{
		bool		na = bson_iter_next(&ia);
		bool		nb = bson_iter_next(&ib);
		int			c;

		if (!na || !nb)
			return na == nb ? 0 : (na ? 1 : -1);
		c = CMP(asp_canonical_type(bson_iter_type(&ia)),
				asp_canonical_type(bson_iter_type(&ib)));
		if (c != 0)
			return c;
		c = strcmp(bson_iter_key(&ia), bson_iter_key(&ib));
		if (c != 0)
			return c < 0 ? -1 : 1;
		c = asp_value_compare(bson_iter_value(&ia), bson_iter_value(&ib));
		if (c != 0)
			return c;
	}
}

/* asp_value_compare: MongoDB's BSON comparison order */
int
asp_value_compare(const bson_value_t *a, const bson_value_t *b)
{
	int			ca,
				cb;

	/* fast paths: the same numeric type (most comparisons in a stream) */
	if (a->value_type == b->value_type)
	{
		switch (a->value_type)
		{
			case BSON_TYPE_INT32:
				return CMP(a->value.v_int32, b->value.v_int32);
			case BSON_TYPE_INT64:
				return CMP(a->value.v_int64, b->value.v_int64);
			case BSON_TYPE_DOUBLE:
				return cmp_double(a->value.v_double, b->value.v_double);
			case BSON_TYPE_DATE_TIME:
				return CMP(a->value.v_datetime, b->value.v_datetime);
			default:
				break;
		}
	}
	ca = asp_canonical_type(a->value_type);
	cb = asp_canonical_type(b->value_type);

	if (ca != cb)
		return CMP(ca, cb);

	switch (a->value_type)
	{
		case BSON_TYPE_EOD:
		case BSON_TYPE_UNDEFINED:
		case BSON_TYPE_NULL:
		case BSON_TYPE_MINKEY:
		case BSON_TYPE_MAXKEY:
			return 0;
		case BSON_TYPE_DOUBLE:
		case BSON_TYPE_INT32:
		case BSON_TYPE_INT64:
		case BSON_TYPE_DECIMAL128:
			return cmp_numbers(a, b);
		case BSON_TYPE_UTF8:
		case BSON_TYPE_SYMBOL:
			{
				const char *sa,
						   *sb;
				uint32_t	la,
							lb;

				if (a->value_type == BSON_TYPE_UTF8)
					sa = a->value.v_utf8.str, la = a->value.v_utf8.len;
				else
					sa = a->value.v_symbol.symbol, la = a->value.v_symbol.len;
				if (b->value_type == BSON_TYPE_UTF8)
					sb = b->value.v_utf8.str, lb = b->value.v_utf8.len;
				else
					sb = b->value.v_symbol.symbol, lb = b->value.v_symbol.len;
				return cmp_bytes(sa, la, sb, lb);
			}
		case BSON_TYPE_DOCUMENT:
		case BSON_TYPE_ARRAY:
			return asp_doc_compare(a->value.v_doc.data, a->value.v_doc.data_len,
								   b->value.v_doc.data, b->value.v_doc.data_len);
		case BSON_TYPE_BINARY:
			if (a->value.v_binary.data_len != b->value.v_binary.data_len)
				return CMP(a->value.v_binary.data_len, b->value.v_binary.data_len);
			if (a->value.v_binary.subtype != b->value.v_binary.subtype)
				return CMP(a->value.v_binary.subtype, b->value.v_binary.subtype);
			return cmp_bytes(a->value.v_binary.data, a->value.v_binary.data_len,
							 b->value.v_binary.data, b->value.v_binary.data_len);
		case BSON_TYPE_OID:
			return cmp_bytes(a->value.v_oid.bytes, 12, b->value.v_oid.bytes, 12);
		case BSON_TYPE_BOOL:
			return CMP(a->value.v_bool, b->value.v_bool);
		case BSON_TYPE_DATE_TIME:
			return CMP(a->value.v_datetime, b->value.v_datetime);
		case BSON_TYPE_TIMESTAMP:
			if (a->value.v_timestamp.timestamp != b->value.v_timestamp.timestamp)
				return CMP(a->value.v_timestamp.timestamp, b->value.v_timestamp.timestamp);
			return CMP(a->value.v_timestamp.increment, b->value.v_timestamp.increment);
		case BSON_TYPE_REGEX:
			{
				int			c = strcmp(a->value.v_regex.regex, b->value.v_regex.regex);

				if (c != 0)
					return c < 0 ? -1 : 1;
				c = strcmp(a->value.v_regex.options, b->value.v_regex.options);
				return c < 0 ? -1 : (c > 0 ? 1 : 0);
			}
		case BSON_TYPE_DBPOINTER:
			{
				int			c = cmp_bytes(a->value.v_dbpointer.collection,
										  a->value.v_dbpointer.collection_len,
										  b->value.v_dbpointer.collection,
										  b->value.v_dbpointer.collection_len);

				if (c != 0)
					return c;
				return cmp_bytes(a->value.v_dbpointer.oid.bytes, 12,
								 b->value.v_dbpointer.oid.bytes, 12);
			}
		case BSON_TYPE_CODE:
			return cmp_bytes(a->value.v_code.code, a->value.v_code.code_len,
							 b->value.v_code.code, b->value.v_code.code_len);
		case BSON_TYPE_CODEWSCOPE:
			{
				int			c = cmp_bytes(a->value.v_codewscope.code,
										  a->value.v_codewscope.code_len,
										  b->value.v_codewscope.code,
										  b->value.v_codewscope.code_len);

				if (c != 0)
					return c;
				return asp_doc_compare(a->value.v_codewscope.scope_data,
									   a->value.v_codewscope.scope_len,
									   b->value.v_codewscope.scope_data,
									   b->value.v_codewscope.scope_len);
			}
	}
	return 0;
}

/* 64-bit mixing (splitmix64 finaliser) */
static inline uint64_t
mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

static uint64_t
hash_bytes(const void *p, size_t len, uint64_t h)
{
	const uint8_t *s = p;

	/* FNV-1a over 8-byte words, finished by mix64 */
	while (len >= 8)
	{
		uint64_t	w;

		memcpy(&w, s, 8);
		h = (h ^ w) * 0x100000001b3ULL;
		h = mix64(h);
		s += 8;
		len -= 8;
	}
	{
		uint64_t	w = 0;

		memcpy(&w, s, len);
		h = mix64((h ^ w ^ ((uint64_t) len << 56)) * 0x100000001b3ULL);
	}
	return h;
}

static uint64_t
hash_doc(const uint8_t *data, uint32_t len, uint64_t seed)
{
	bson_iter_t it;
	uint64_t	h = mix64(seed ^ 0x5bd1e995);

	if (!bson_iter_init_from_data(&it, data, len))
		return hash_bytes(data, len, h);
	while (bson_iter_next(&it))
	{
		h = hash_bytes(bson_iter_key(&it), bson_iter_key_len(&it), h);
		h = asp_value_hash(bson_iter_value(&it), h);
	}
	return h;
}

/*
 * asp_value_hash: equal values (by asp_value_compare) hash alike; numbers
 * hash by numeric value, so 1, NumberLong(1), 1.0 and NumberDecimal("1.0")
 * fall in the same group.
 */
uint64_t
asp_value_hash(const bson_value_t *v, uint64_t seed)
{
	uint64_t	h = seed ^ ((uint64_t) asp_canonical_type(v->value_type) * 0x9e3779b97f4a7c15ULL);

	switch (v->value_type)
	{
		case BSON_TYPE_INT32:
			return mix64(h ^ (uint64_t) (int64_t) v->value.v_int32);
		case BSON_TYPE_INT64:
			return mix64(h ^ (uint64_t) v->value.v_int64);
		case BSON_TYPE_DOUBLE:
		case BSON_TYPE_DECIMAL128:
			{
				int64_t		i;
				double		d;

				if (asp_value_as_int64_exact(v, &i))
					return mix64(h ^ (uint64_t) i);
				d = asp_value_as_double(v);
				if (isnan(d))
					return mix64(h ^ 0x7ff8000000000000ULL);
				{
					uint64_t	bits;

					memcpy(&bits, &d, 8);
					return mix64(h ^ bits);
				}
			}
		case BSON_TYPE_UTF8:
			return hash_bytes(v->value.v_utf8.str, v->value.v_utf8.len, h);
		case BSON_TYPE_SYMBOL:
			return hash_bytes(v->value.v_symbol.symbol, v->value.v_symbol.len, h);
		case BSON_TYPE_DOCUMENT:
		case BSON_TYPE_ARRAY:
			return hash_doc(v->value.v_doc.data, v->value.v_doc.data_len, h);
		case BSON_TYPE_BINARY:
			return hash_bytes(v->value.v_binary.data, v->value.v_binary.data_len,
							  h ^ v->value.v_binary.subtype);
		case BSON_TYPE_OID:
			return hash_bytes(v->value.v_oid.bytes, 12, h);
		case BSON_TYPE_BOOL:
			return mix64(h ^ (v->value.v_bool ? 1 : 2));
		case BSON_TYPE_DATE_TIME:
			return mix64(h ^ (uint64_t) v->value.v_datetime);
		case BSON_TYPE_TIMESTAMP:
			return mix64(h ^ (((uint64_t) v->value.v_timestamp.timestamp << 32) |
							  v->value.v_timestamp.increment));
		case BSON_TYPE_REGEX:
			return hash_bytes(v->value.v_regex.regex, strlen(v->value.v_regex.regex), h);
		case BSON_TYPE_CODE:
			return hash_bytes(v->value.v_code.code, v->value.v_code.code_len, h);
		default:
			return mix64(h);
	}
}

/* asp_value_truthy: MongoDB's coerceToBool */
bool
asp_value_truthy(const bson_value_t *v)
{
	switch (v->value_type)
	{
		case BSON_TYPE_EOD:
		case BSON_TYPE_NULL:
		case BSON_TYPE_UNDEFINED:
			return false;
		case BSON_TYPE_BOOL:
			return v->value.v_bool;
		case BSON_TYPE_INT32:
			return v->value.v_int32 != 0;
		case BSON_TYPE_INT64:
			return v->value.v_int64 != 0;
		case BSON_TYPE_DOUBLE:
			return v->value.v_double != 0.0;
		case BSON_TYPE_DECIMAL128:
			return asp_dec_from_bson(&v->value.v_decimal128) != 0.0DL;
		default:
			return true;
	}
}

static const struct
{
	const char *name;
	int			type;
	int			number;
}			type_names[] =
{
	{"double", BSON_TYPE_DOUBLE, 1},
	{"string", BSON_TYPE_UTF8, 2},
	{"object", BSON_TYPE_DOCUMENT, 3},
	{"array", BSON_TYPE_ARRAY, 4},
	{"binData", BSON_TYPE_BINARY, 5},
	{"undefined", BSON_TYPE_UNDEFINED, 6},
	{"objectId", BSON_TYPE_OID, 7},
	{"bool", BSON_TYPE_BOOL, 8},
	{"date", BSON_TYPE_DATE_TIME, 9},
	{"null", BSON_TYPE_NULL, 10},
	{"regex", BSON_TYPE_REGEX, 11},
	{"dbPointer", BSON_TYPE_DBPOINTER, 12},
	{"javascript", BSON_TYPE_CODE, 13},
	{"symbol", BSON_TYPE_SYMBOL, 14},
	{"javascriptWithScope", BSON_TYPE_CODEWSCOPE, 15},
	{"int", BSON_TYPE_INT32, 16},
	{"timestamp", BSON_TYPE_TIMESTAMP, 17},
	{"long", BSON_TYPE_INT64, 18},
	{"decimal", BSON_TYPE_DECIMAL128, 19},
	{"minKey", BSON_TYPE_MINKEY, -1},
	{"maxKey", BSON_TYPE_MAXKEY, 127},
};

/* asp_type_name: MongoDB's alias of a BSON type */
const char *
asp_type_name(bson_type_t t)
{
	size_t		i;

	if (t == BSON_TYPE_EOD)
		return "missing";
	for (i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++)
		if (type_names[i].type == (int) t)
			return type_names[i].name;
	return "unknown";
}

/* asp_type_from_name: BSON type for a $type alias, -1 if unknown */
int
asp_type_from_name(const char *name, size_t len)
{
	size_t		i;

	for (i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++)
		if (strlen(type_names[i].name) == len && memcmp(type_names[i].name, name, len) == 0)
			return type_names[i].type;
	return -1;
}

/* asp_type_from_number: BSON type for a $type number, -1 if unknown */
int
asp_type_from_number(int64_t n)
{
	size_t		i;

	for (i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++)
		if (type_names[i].number == n)
			return type_names[i].type;
	return -1;
}

/* asp_value_describe: a short relaxed-EJSON rendering for messages */
void
asp_value_describe(const bson_value_t *v, char *buf, size_t bufsize)
{
	bson_t		tmp;
	char	   *json;
	size_t		len;

	if (bufsize == 0)
		return;
	if (v->value_type == BSON_TYPE_EOD)
	{
		snprintf(buf, bufsize, "missing");
		return;
	}
	bson_init(&tmp);
	bson_append_value(&tmp, "v", 1, v);
	json = bson_as_relaxed_extended_json(&tmp, &len);
	bson_destroy(&tmp);
	if (json == NULL)
	{
		snprintf(buf, bufsize, "<%s>", asp_type_name(v->value_type));
		return;
	}
	/* strip the '{ "v" : ' prefix and ' }' suffix */
	if (len > 10)
	{
		size_t		n = len - 10;

		if (n >= bufsize)
		{
			n = bufsize - 4 > 0 ? bufsize - 4 : 0;
			memcpy(buf, json + 8, n);
			strcpy(buf + n, "...");
		}
		else
		{
			memcpy(buf, json + 8, n);
			buf[n] = '\0';
		}
	}
	else
		snprintf(buf, bufsize, "%s", json);
	bson_free(json);
}

/* asp_bson_append_value: append a value; a missing value appends nothing */
void
asp_bson_append_value(bson_t *b, const char *key, int keylen, const bson_value_t *v)
{
	switch (v->value_type)
	{
		case BSON_TYPE_EOD:
			return;
		case BSON_TYPE_DOCUMENT:
		case BSON_TYPE_ARRAY:
			{
				/* borrowed bytes: append without bson_value_copy */
				bson_t		sub;

				if (bson_init_static(&sub, v->value.v_doc.data, v->value.v_doc.data_len))
				{
					if (v->value_type == BSON_TYPE_DOCUMENT)
						bson_append_document(b, key, keylen, &sub);
					else
						bson_append_array(b, key, keylen, &sub);
				}
				return;
			}
		default:
			bson_append_value(b, key, keylen, v);
	}
}

/*
 * raw_fill_rare: the value of an element of one of the rarer types, decoded
 * by libbson.  Out of line: a bson_iter_t on the stack would make every
 * caller of raw_fill_value set up a large aligned frame.
 */
__attribute__((noinline)) void
asp_raw_fill_rare(const uint8_t *doc, uint32_t len, const uint8_t *elem, const uint8_t *v,
				  bson_value_t *out)
{
	bson_iter_t it;

	if (bson_iter_init_from_data_at_offset(&it, doc, len, (uint32_t) (elem - doc),
										   (uint32_t) (v - elem - 2)))
		*out = *bson_iter_value(&it);
	else
		out->value_type = BSON_TYPE_EOD;
}

/* raw_next: the next element of raw BSON (inlined into the hot loops) */
static inline __attribute__((always_inline)) bool
raw_next(asp_raw_iter *it, asp_raw_elem *e)
{
	const uint8_t *p = it->p;
	const uint8_t *end = it->end;
	const uint8_t *k;
	int64_t		vsize;

	if (p >= end)
		return false;
	e->elem = p;
	e->type = *p;
	/* bounded: asp_raw_iter_init checked that the document ends in NUL */
	k = p + 1 + raw_key_len(p + 1, end);
	if (k >= end)
		return false;
	e->key = (const char *) p + 1;
	e->keylen = (uint32_t) (k - (p + 1));
	e->value = k + 1;
	vsize = raw_value_size(e->type, e->value, (size_t) (end - e->value));
	if (vsize < 0 || vsize > end - e->value)
	{
		it->p = end;
		return false;
	}
	e->vsize = (uint32_t) vsize;
	it->p = e->value + vsize;
	return true;
}

/* asp_raw_iter_next: the next element of raw BSON */
bool
asp_raw_iter_next(asp_raw_iter *it, asp_raw_elem *e)
{
	return raw_next(it, e);
}

/*
 * asp_doc_get: find a top-level field of a raw document.  A hand-written
 * walker: this is the hottest function of the engine (every field path
 * lands here), several times cheaper than bson_iter per element.
 */
bool
asp_doc_get(const uint8_t *doc, uint32_t len, const char *key, uint32_t keylen,
			bson_value_t *out)
{
	asp_raw_iter it;
	asp_raw_elem e;

	if (asp_raw_iter_init(&it, doc, len))
	{
		while (raw_next(&it, &e))
		{
			if (e.keylen == keylen && memcmp(e.key, key, keylen) == 0)
			{
				raw_fill_value(doc, len, e.elem, e.type, e.value, e.vsize, out);
				return out->value_type != BSON_TYPE_EOD;
			}
		}
	}
	out->value_type = BSON_TYPE_EOD;
	return false;
}

/* asp_doc_index_build: index the top-level fields of doc in one walk */
void
asp_doc_index_build(asp_doc_index *ix, const uint8_t *doc, uint32_t len)
{
	asp_raw_iter it;
	asp_raw_elem e;

	uint64_t	seen = 0;

	ix->doc = doc;
	ix->len = len;
	ix->n = 0;
	ix->complete = false;
	ix->maybe_dups = false;
	if (!asp_raw_iter_init(&it, doc, len))
		return;
	while (raw_next(&it, &e))
	{
		asp_doc_index_entry *x;
		/* a bit per (length, first byte): a repeated bit may be a repeated key */
		uint64_t	bit = UINT64_C(1) << ((e.keylen ^ ((uint32_t) (uint8_t) e.key[0] << 1)) & 63);

		if (seen & bit)
			ix->maybe_dups = true;
		seen |= bit;
		if (ix->n == ASP_DOC_INDEX_MAX)
			return;				/* too many fields: lookups walk instead */
		x = &ix->e[ix->n++];
		x->key = e.key;
		x->keylen = e.keylen;
		x->type = e.type;
		x->vsize = e.vsize;
		x->elem = e.elem;
		x->value = e.value;
	}
	ix->complete = it.p == it.end;
}

/* asp_doc_index_rebase: move the index onto a copy with the same layout */
void
asp_doc_index_rebase(asp_doc_index *ix, const uint8_t *doc, uint32_t len)
{
	ptrdiff_t	d = doc - ix->doc;
	int			i;

	for (i = 0; i < ix->n; i++)
	{
		ix->e[i].key += d;
		ix->e[i].elem += d;
		ix->e[i].value += d;
	}
	ix->doc = doc;
	ix->len = len;
}

/* key_equal: equal keys of length len (short keys compared inline) */
static inline bool
key_equal(const char *a, const char *b, uint32_t len)
{
	uint32_t	i;

	if (len > 16)
		return memcmp(a, b, len) == 0;
	for (i = 0; i < len; i++)
		if (a[i] != b[i])
			return false;
	return true;
}

/* asp_doc_index_get: a top-level field through a complete index */
bool
asp_doc_index_get(const asp_doc_index *ix, const char *key, uint32_t keylen,
				  int *hint, bson_value_t *out)
{
	int			i;
	int			h = *hint;

	/* the hint may point at a later one of repeated keys: not with repeats */
	if (h >= 0 && h < ix->n && !ix->maybe_dups && ix->e[h].keylen == keylen &&
		key_equal(ix->e[h].key, key, keylen))
	{
		const asp_doc_index_entry *x = &ix->e[h];

		raw_fill_value(ix->doc, ix->len, x->elem, x->type, x->value, x->vsize, out);
		return out->value_type != BSON_TYPE_EOD;
	}
	for (i = 0; i < ix->n; i++)
	{
		const asp_doc_index_entry *x = &ix->e[i];

		if (x->keylen == keylen && key_equal(x->key, key, keylen))
		{
			*hint = i;
			raw_fill_value(ix->doc, ix->len, x->elem, x->type, x->value, x->vsize, out);
			return out->value_type != BSON_TYPE_EOD;
		}
	}
	out->value_type = BSON_TYPE_EOD;
	return false;
}
