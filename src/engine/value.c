/*-------------------------------------------------------------------------
 *
 * value.c
 *	  BSON values as the engine sees them: type order, comparison,
 *	  equality, hashing, numbers, and type names.
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
 * raw_value_size: bytes of the value of type t starting at p (at most
 * avail bytes are readable); -1 if malformed.  Documents were validated
 * when they entered the engine, but the walker still never reads past
 * the end.
 */
static inline __attribute__((always_inline)) int64_t
raw_value_size(uint8_t t, const uint8_t *p, size_t avail)
{
	int32_t		n;
	const uint8_t *z;

	switch (t)
	{
		case BSON_TYPE_DOUBLE:
		case BSON_TYPE_DATE_TIME:
		case BSON_TYPE_TIMESTAMP:
		case BSON_TYPE_INT64:
			return 8;
		case BSON_TYPE_INT32:
			return 4;
		case BSON_TYPE_DECIMAL128:
			return 16;
		case BSON_TYPE_OID:
			return 12;
		case BSON_TYPE_BOOL:
			return 1;
		case BSON_TYPE_UNDEFINED:
		case BSON_TYPE_NULL:
		case BSON_TYPE_MINKEY:
		case BSON_TYPE_MAXKEY:
			return 0;
		case BSON_TYPE_UTF8:
		case BSON_TYPE_CODE:
		case BSON_TYPE_SYMBOL:
			if (avail < 4)
				return -1;
			memcpy(&n, p, 4);
			n = BSON_UINT32_FROM_LE(n);
			return n < 1 ? -1 : (int64_t) n + 4;
		case BSON_TYPE_DOCUMENT:
		case BSON_TYPE_ARRAY:
		case BSON_TYPE_CODEWSCOPE:
			if (avail < 4)
				return -1;
			memcpy(&n, p, 4);
			n = BSON_UINT32_FROM_LE(n);
			return n < 5 ? -1 : n;
		case BSON_TYPE_BINARY:
			if (avail < 4)
				return -1;
			memcpy(&n, p, 4);
			n = BSON_UINT32_FROM_LE(n);
			return n < 0 ? -1 : (int64_t) n + 5;
		case BSON_TYPE_DBPOINTER:
			if (avail < 4)
				return -1;
			memcpy(&n, p, 4);
			n = BSON_UINT32_FROM_LE(n);
			return n < 1 ? -1 : (int64_t) n + 4 + 12;
		case BSON_TYPE_REGEX:
			z = memchr(p, 0, avail);
			if (z == NULL)
				return -1;
			z = memchr(z + 1, 0, avail - (size_t) (z + 1 - p));
			return z == NULL ? -1 : (int64_t) (z + 1 - p);
		default:
			return -1;
	}
}

/*
 * raw_fill_rare: the value of an element of one of the rarer types, decoded
 * by libbson.  Out of line: a bson_iter_t on the stack would make every
 * caller of raw_fill_value set up a large aligned frame.
 */
static __attribute__((noinline)) void
raw_fill_rare(const uint8_t *doc, uint32_t len, const uint8_t *elem, const uint8_t *v,
			  bson_value_t *out)
{
	bson_iter_t it;

	if (bson_iter_init_from_data_at_offset(&it, doc, len, (uint32_t) (elem - doc),
										   (uint32_t) (v - elem - 2)))
		*out = *bson_iter_value(&it);
	else
		out->value_type = BSON_TYPE_EOD;
}

/*
 * raw_fill_value: the value of an element whose type byte is at elem and
 * whose value starts at v (size vsize), as a borrowed bson_value_t.
 */
static inline void
raw_fill_value(const uint8_t *doc, uint32_t len, const uint8_t *elem, uint8_t t,
			   const uint8_t *v, int64_t vsize, bson_value_t *out)
{
	int32_t		i32;
	int64_t		i64;

	switch (t)
	{
		case BSON_TYPE_INT32:
			memcpy(&i32, v, 4);
			out->value_type = BSON_TYPE_INT32;
			out->value.v_int32 = (int32_t) BSON_UINT32_FROM_LE(i32);
			return;
		case BSON_TYPE_INT64:
			memcpy(&i64, v, 8);
			out->value_type = BSON_TYPE_INT64;
			out->value.v_int64 = (int64_t) BSON_UINT64_FROM_LE(i64);
			return;
		case BSON_TYPE_DATE_TIME:
			memcpy(&i64, v, 8);
			out->value_type = BSON_TYPE_DATE_TIME;
			out->value.v_datetime = (int64_t) BSON_UINT64_FROM_LE(i64);
			return;
		case BSON_TYPE_DOUBLE:
			memcpy(&out->value.v_double, v, 8);
			out->value_type = BSON_TYPE_DOUBLE;
			return;
		case BSON_TYPE_UTF8:
			out->value_type = BSON_TYPE_UTF8;
			out->value.v_utf8.str = (char *) v + 4;
			out->value.v_utf8.len = (uint32_t) (vsize - 5);
			return;
		case BSON_TYPE_DOCUMENT:
		case BSON_TYPE_ARRAY:
			out->value_type = t;
			out->value.v_doc.data = (uint8_t *) v;
			out->value.v_doc.data_len = (uint32_t) vsize;
			return;
		case BSON_TYPE_BOOL:
			out->value_type = BSON_TYPE_BOOL;
			out->value.v_bool = *v != 0;
			return;
		case BSON_TYPE_NULL:
			out->value_type = BSON_TYPE_NULL;
			return;
		default:
			raw_fill_rare(doc, len, elem, v, out);
			return;
	}
}

/*
 * raw_key_len: length of the NUL-terminated key at k, eight bytes at a
 * time (keys are short; a call to strlen costs more than the scan).  end
 * is the document's terminating NUL, so every word read is inside it.
 */
static inline __attribute__((always_inline)) size_t
raw_key_len(const uint8_t *k, const uint8_t *end)
{
	const uint8_t *p = k;

	while (end - p >= 8)
	{
		uint64_t	w;
		uint64_t	z;

		memcpy(&w, p, 8);
		z = (w - 0x0101010101010101ULL) & ~w & 0x8080808080808080ULL;
		if (z)
			return (size_t) (p - k) + ((size_t) __builtin_ctzll(z) >> 3);
		p += 8;
	}
	while (p < end && *p)
		p++;
	return (size_t) (p - k);
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

/* ---------- field plans ---------- */

/* asp_field_plan_slot_for: the slot of (parent, name), added if new; -1 when full */
int
asp_field_plan_slot_for(asp_field_plan *fp, int parent, const char *name, uint32_t len)
{
	int			i;

	for (i = 0; i < fp->nslots; i++)
		if (fp->slot[i].parent == parent && fp->slot[i].len == len &&
			memcmp(fp->slot[i].name, name, len) == 0)
			return i;
	if (fp->nslots == ASP_PLAN_MAX)
		return -1;
	i = fp->nslots++;
	memset(&fp->slot[i], 0, sizeof(fp->slot[i]));
	fp->slot[i].name = name;
	fp->slot[i].len = len;
	fp->slot[i].parent = parent;
	fp->slot[i].level = -1;
	return i;
}

/*
 * plan_name_bit: the filter bit of a name of len bytes starting with byte
 * c: a key whose bit is not in a level's filter is none of its names, so
 * most fields cost no comparison.
 */
static inline uint64_t
plan_name_bit(size_t len, uint8_t c)
{
	return UINT64_C(1) << ((len ^ ((size_t) c << 1)) & 63);
}

/* asp_field_plan_prepare: the levels, the name words and the conflict names */
void
asp_field_plan_prepare(asp_field_plan *fp, const char *conflict_a, const char *conflict_b)
{
	int			i;

	memset(fp->level, 0, sizeof(fp->level));
	fp->nlevels = 1;
	for (i = 0; i < fp->nslots; i++)
		fp->slot[i].level = -1;
	for (i = 0; i < fp->nslots; i++)
	{
		asp_field_plan_slot *s = &fp->slot[i];
		asp_field_plan_level *l;
		uint8_t		ones[8];
		uint32_t	n = s->len < 8 ? s->len : 8;

		/* a parent always has a smaller slot number than its children */
		if (s->parent < 0)
			l = &fp->level[0];
		else
		{
			if (fp->slot[s->parent].level < 0)
				fp->slot[s->parent].level = fp->nlevels++;
			l = &fp->level[fp->slot[s->parent].level];
		}
		l->slot[l->nslots++] = (int8_t) i;
		l->filter |= plan_name_bit(s->len, s->len ? (uint8_t) s->name[0] : 0);
		s->w0 = 0;
		s->m0 = 0;
		memcpy(&s->w0, s->name, n);
		memset(ones, 0, sizeof(ones));
		memset(ones, 0xff, n);
		memcpy(&s->m0, ones, 8);
	}
	fp->conflict[0] = conflict_a;
	fp->conflict[1] = conflict_b;
	fp->conflict_filter = 0;
	for (i = 0; i < 2; i++)
	{
		fp->conflict_len[i] = fp->conflict[i] ? (uint32_t) strlen(fp->conflict[i]) : 0;
		if (fp->conflict[i])
			fp->conflict_filter |= plan_name_bit(fp->conflict_len[i],
												 (uint8_t) fp->conflict[i][0]);
	}
}

/*
 * plan_key_is: the key (of the slot's length) is the slot's name: a word
 * compare when 8 bytes are readable before the document's end.
 */
static inline bool
plan_key_is(const asp_field_plan_slot *s, const uint8_t *key, const uint8_t *end)
{
	if (key + 8 <= end + 1)
	{
		uint64_t	w;

		memcpy(&w, key, 8);
		if ((w & s->m0) != s->w0)
			return false;
		return s->len <= 8 || memcmp(key + 8, s->name + 8, s->len - 8) == 0;
	}
	return memcmp(key, s->name, s->len) == 0;
}

/*
 * plan_hit: a field whose filter bit is in the level's: the conflict names
 * (top level), then the slots of level l not found yet; the value of the
 * first field of a name is the one taken (MongoDB reads the first one).
 * Returns 1 when it filled a slot.
 */
static inline __attribute__((always_inline)) int
plan_hit(const asp_field_plan *fp, const asp_field_plan_level *l, bool top,
		 const uint8_t *key, size_t kl, const uint8_t *v, int64_t vs,
		 const uint8_t *doc, uint32_t len, const uint8_t *end, uint32_t *found,
		 bool *conflict, asp_field_plan_vals *vals)
{
	int			j;

	if (top)
	{
		int			c;

		for (c = 0; c < 2; c++)
			if (fp->conflict[c] && kl == fp->conflict_len[c] &&
				memcmp(key, fp->conflict[c], kl) == 0)
				*conflict = true;
	}
	for (j = 0; j < l->nslots; j++)
	{
		const asp_field_plan_slot *s = &fp->slot[l->slot[j]];

		if (!(*found & (1u << j)) && kl == s->len && plan_key_is(s, key, end))
		{
			raw_fill_value(doc, len, key - 1, key[-1], v, vs, &vals->v[l->slot[j]]);
			*found |= 1u << j;
			return 1;
		}
	}
	return 0;
}

/* shape_fixed_size: the value size a type fixes, -1 when the value gives it */
static inline int8_t
shape_fixed_size(uint8_t t)
{
	switch (t)
	{
		case BSON_TYPE_DOUBLE:
		case BSON_TYPE_DATE_TIME:
		case BSON_TYPE_TIMESTAMP:
		case BSON_TYPE_INT64:
			return 8;
		case BSON_TYPE_INT32:
			return 4;
		case BSON_TYPE_DECIMAL128:
			return 16;
		case BSON_TYPE_OID:
			return 12;
		case BSON_TYPE_BOOL:
			return 1;
		case BSON_TYPE_UNDEFINED:
		case BSON_TYPE_NULL:
		case BSON_TYPE_MINKEY:
		case BSON_TYPE_MAXKEY:
			return 0;
		default:
			return -1;
	}
}

/* shape_record: element i of the shape; false when it cannot be kept (long key, full) */
static bool
shape_record(asp_shape *sh, int i, const uint8_t *elem, size_t kl, int act)
{
	asp_shape_elem *c;
	uint8_t		b[24],
				m[24];

	if (i >= ASP_SHAPE_MAX || kl + 2 > 24)
		return false;
	c = &sh->e[i];
	memset(b, 0, sizeof(b));
	memset(m, 0, sizeof(m));
	memcpy(b, elem, kl + 2);
	memset(m, 0xff, kl + 2);
	memcpy(c->w, b, 24);
	memcpy(c->m, m, 24);
	c->type = elem[0];
	c->hlen = (uint8_t) (kl + 2);
	c->fixed = shape_fixed_size(elem[0]);
	c->act = (int8_t) act;
	c->total = (uint8_t) (c->fixed >= 0 ? c->hlen + c->fixed : 0);
	return true;
}

/*
 * shape_head_equal: the type byte, key and NUL at p are those of c, near
 * the end of the readable bytes (p + hlen is at most end, checked).
 */
static inline bool
shape_head_equal(const uint8_t *p, const asp_shape_elem *c, const uint8_t *rend)
{
	if (c->hlen <= 16 && p + 16 <= rend + 1)
	{
		uint64_t	w0,
					w1;

		memcpy(&w0, p, 8);
		memcpy(&w1, p + 8, 8);
		return (((w0 & c->m[0]) ^ c->w[0]) | ((w1 & c->m[1]) ^ c->w[1])) == 0;
	}
	if (c->hlen <= 8 && p + 8 <= rend + 1)
	{
		uint64_t	w0;

		memcpy(&w0, p, 8);
		return ((w0 & c->m[0]) ^ c->w[0]) == 0;
	}
	return memcmp(p, c->w, c->hlen) == 0;
}

/*
 * shape_template: after a walk of a level's document: keep the template
 * when the shape covers the whole document (walked) and every value has a
 * fixed size; else drop it.
 */
static void
shape_template(asp_shape *sh, const uint8_t *doc, uint32_t len, bool walked)
{
	uint8_t		b[ASP_SHAPE_TEMPLATE],
				m[ASP_SHAPE_TEMPLATE];
	uint32_t	off = 4;
	int			i;

	if (sh->tlen == len)
		return;					/* the template of this document's length stays */
	sh->tlen = 0;
	sh->tfills = 0;
	if (!walked || len > ASP_SHAPE_TEMPLATE)
		return;
	memset(b, 0, sizeof(b));
	memset(m, 0, sizeof(m));
	memcpy(b, doc, len);
	memset(m, 0xff, 4);
	for (i = 0; i < sh->n; i++)
	{
		const asp_shape_elem *c = &sh->e[i];

		if (c->fixed < 0 || off + c->total > len - 1)
			return;
		memset(m + off, 0xff, c->hlen);
		if (c->act >= 0)
		{
			if (sh->tfills == ASP_SHAPE_TEMPLATE_FILLS)
				return;
			sh->tfill[sh->tfills].elem = (uint8_t) off;
			sh->tfill[sh->tfills].value = (uint8_t) (off + c->hlen);
			sh->tfill[sh->tfills].size = (uint8_t) c->fixed;
			sh->tfill[sh->tfills].type = c->type;
			sh->tfill[sh->tfills].j = c->act;
			sh->tfills++;
		}
		off += c->total;
	}
	if (off != len - 1 || len < 8)
		return;
	m[len - 1] = 0xff;
	/* words at 0, 8, ...; the last one ends at the document's end (it may overlap) */
	for (i = 0; i < (int) ((len + 7) / 8); i++)
	{
		uint32_t	o = 8 * (uint32_t) i < len - 8 ? 8 * (uint32_t) i : len - 8;

		memcpy(&sh->tw[i], b + o, 8);
		memcpy(&sh->tm[i], m + o, 8);
		sh->tw[i] &= sh->tm[i];
	}
	sh->tlen = len;
}

/*
 * shape_template_match: doc (len bytes, readable up to rend) matches the
 * level's template: fill its slots and say which were found.
 */
static inline bool
shape_template_match(const asp_shape *sh, const asp_field_plan_level *l, const uint8_t *doc,
					 uint32_t len, const uint8_t *rend, uint32_t *found,
					 asp_field_plan_vals *vals)
{
	uint64_t	diff = 0;
	uint32_t	nw = (len + 7) / 8;
	uint32_t	i;

	(void) rend;
	if (sh->tlen != len)
		return false;
	for (i = 0; i < nw; i++)
	{
		uint64_t	w;

		memcpy(&w, doc + (8 * i < len - 8 ? 8 * i : len - 8), 8);
		diff |= (w & sh->tm[i]) ^ sh->tw[i];
	}
	if (diff)
		return false;
	*found = 0;
	for (i = 0; i < (uint32_t) sh->tfills; i++)
	{
		const uint8_t *e = doc + sh->tfill[i].elem;

		raw_fill_value(doc, len, e, sh->tfill[i].type, doc + sh->tfill[i].value,
					   sh->tfill[i].size, &vals->v[l->slot[sh->tfill[i].j]]);
		*found |= 1u << sh->tfill[i].j;
	}
	return true;
}

/*
 * plan_walk: the fields of doc for level l: one pass over its elements,
 * stopping once every slot is found unless top (the top level is walked
 * to its end: that checks the document and finds the conflict names).
 * The leading elements that match the level's shape sh (may be NULL) are
 * checked against it: the same checks as the general walk, in a few word
 * compares; the rest go through the general walk, which records them in
 * sh.  rend: the last readable byte (the top-level document's NUL).
 * Returns false if an element is malformed; *found has a bit per slot of
 * l found.
 */
static inline __attribute__((always_inline)) bool
plan_walk(const asp_field_plan *fp, const asp_field_plan_level *l, bool top,
		  const uint8_t *doc, uint32_t len, const uint8_t *rend, asp_shape *sh,
		  uint32_t *found, bool *conflict, asp_field_plan_vals *vals)
{
	const uint8_t *p = doc + 4;
	const uint8_t *end = doc + len - 1;
	uint64_t	filter = l->filter | (top ? fp->conflict_filter : 0);
	int			pending = l->nslots;
	int			i = 0;
	bool		recording;

	*found = 0;
	if (sh)
	{
		const asp_shape_elem *c = sh->e;
		const asp_shape_elem *cend = sh->e + sh->n;

		/*
		 * No check of p against end per element: at the end p points at
		 * the NUL, which no element's type byte equals.
		 */
		for (; c < cend && (top || pending > 0); c++)
		{
			const uint8_t *v = p + c->hlen;
			int64_t		vs;

			if (__builtin_expect(p + 24 <= rend + 1, 1))
			{
				uint64_t	w0,
							w1,
							w2;

				memcpy(&w0, p, 8);
				memcpy(&w1, p + 8, 8);
				memcpy(&w2, p + 16, 8);
				if (((w0 & c->m[0]) ^ c->w[0]) | ((w1 & c->m[1]) ^ c->w[1]) |
					((w2 & c->m[2]) ^ c->w[2]))
					break;
			}
			else if (p >= end || v > end || !shape_head_equal(p, c, rend))
				break;
			if (c->fixed >= 0)
			{
				/* type and key matched: the element's size is known */
				if (p + c->total > end)
					break;
				vs = c->fixed;
			}
			else
			{
				int32_t		n;

				if (v + 4 > end)
					break;
				memcpy(&n, v, 4);
				n = (int32_t) BSON_UINT32_FROM_LE(n);
				/* strings and documents inline, as raw_value_size sizes them */
				if (c->type == BSON_TYPE_UTF8)
					vs = n < 1 ? -1 : (int64_t) n + 4;
				else if (c->type == BSON_TYPE_DOCUMENT || c->type == BSON_TYPE_ARRAY)
					vs = n < 5 ? -1 : n;
				else
					vs = raw_value_size(c->type, v, (size_t) (end - v));
				if (vs < 0 || vs > end - v)
					break;
			}
			if (c->act >= 0)
			{
				bson_value_t *out = &vals->v[l->slot[c->act]];

				if (c->type == BSON_TYPE_INT32)
				{
					int32_t		i32;

					memcpy(&i32, v, 4);
					out->value_type = BSON_TYPE_INT32;
					out->value.v_int32 = (int32_t) BSON_UINT32_FROM_LE(i32);
				}
				else if (c->type == BSON_TYPE_UTF8)
				{
					out->value_type = BSON_TYPE_UTF8;
					out->value.v_utf8.str = (char *) v + 4;
					out->value.v_utf8.len = (uint32_t) (vs - 5);
				}
				else
					raw_fill_value(doc, len, p, c->type, v, vs, out);
				*found |= 1u << c->act;
				pending--;
			}
			else if (c->act == -2)
				*conflict = true;
			p = v + vs;
		}
		i = (int) (c - sh->e);
	}
	/* the general walk from element i, recording the shape from there */
	recording = sh != NULL;
	while (p < end && (top || pending > 0))
	{
		const uint8_t *key = p + 1;
		size_t		kl = raw_key_len(key, end);
		const uint8_t *v = key + kl + 1;
		int64_t		vs;
		int			act = -1;

		if (v > end)
			break;
		vs = raw_value_size(*p, v, (size_t) (end - v));
		if (vs < 0 || vs > end - v)
			break;
		if (filter & plan_name_bit(kl, *key))
		{
			uint32_t	before = *found;
			bool		had = top && *conflict;

			pending -= plan_hit(fp, l, top, key, kl, v, vs, doc, len, end, found, conflict, vals);
			if (*found != before)
				act = __builtin_ctz(*found ^ before);
			else if (top && *conflict && !had)
				act = -2;
		}
		if (recording && !shape_record(sh, i, p, kl, act))
		{
			sh->n = i;
			recording = false;
		}
		i++;
		p = v + vs;
	}
	if (p < end && (top || pending > 0))
	{
		/* stopped at a malformed element: the shape ends before it */
		if (sh && (recording || sh->n > i))
			sh->n = i;
		return false;
	}
	if (recording)
		sh->n = i;
	if (sh && !top)
		shape_template(sh, doc, len, p == end && recording);
	return true;
}

/* plan_mark: every slot below slot k is missing (ok) or must be looked up (not ok) */
static void
plan_mark(const asp_field_plan *fp, int k, bool ok, asp_field_plan_vals *vals)
{
	const asp_field_plan_level *l = &fp->level[fp->slot[k].level];
	int			j;

	for (j = 0; j < l->nslots; j++)
	{
		int			c = l->slot[j];

		vals->v[c].value_type = BSON_TYPE_EOD;
		vals->ok[c] = ok;
		if (fp->slot[c].level >= 0)
			plan_mark(fp, c, ok, vals);
	}
}

static void plan_fill_level(const asp_field_plan *fp, int k, const uint8_t *doc,
							uint32_t len, const uint8_t *rend, asp_field_plan_vals *vals);

/*
 * plan_descend: the slots below slot k, from its value: the fields of a
 * document; under an array the path maps over the elements (the general
 * lookup does that); under anything else, or nothing, they are missing.
 */
static inline void
plan_descend(const asp_field_plan *fp, int k, const uint8_t *rend, asp_field_plan_vals *vals)
{
	const bson_value_t *v = &vals->v[k];

	if (!vals->ok[k])
		plan_mark(fp, k, false, vals);
	else if (v->value_type == BSON_TYPE_DOCUMENT)
		plan_fill_level(fp, k, v->value.v_doc.data, v->value.v_doc.data_len, rend, vals);
	else if (v->value_type == BSON_TYPE_ARRAY)
		plan_mark(fp, k, false, vals);
	else
		plan_mark(fp, k, true, vals);
}

/* plan_level_done: after the walk of level l: unfound slots, then the levels below */
static inline void
plan_level_done(const asp_field_plan *fp, const asp_field_plan_level *l, uint32_t found,
				bool complete, const uint8_t *rend, asp_field_plan_vals *vals)
{
	int			j;

	for (j = 0; j < l->nslots; j++)
	{
		int			c = l->slot[j];

		if (!(found & (1u << j)))
		{
			/* absent, or not found before a malformed element: the general lookup decides */
			vals->v[c].value_type = BSON_TYPE_EOD;
			vals->ok[c] = complete;
		}
		else
			vals->ok[c] = true;
		if (fp->slot[c].level >= 0)
			plan_descend(fp, c, rend, vals);
	}
}

/*
 * plan_fill_level: the slots below slot k, from the fields of its
 * document; the walk stops once all are found.
 */
static void
plan_fill_level(const asp_field_plan *fp, int k, const uint8_t *doc, uint32_t len,
				const uint8_t *rend, asp_field_plan_vals *vals)
{
	const asp_field_plan_level *l = &fp->level[fp->slot[k].level];
	uint32_t	found;
	bool		complete;

	int			lv = fp->slot[k].level;

	if (len < 5 || doc[len - 1] != 0)
	{
		plan_mark(fp, k, false, vals);
		return;
	}
	if (lv < ASP_SHAPE_LEVELS && shape_template_match(&vals->shape[lv], l, doc, len, rend,
													  &found, vals))
		complete = true;
	else
		complete = plan_walk(fp, l, false, doc, len, rend,
							 lv < ASP_SHAPE_LEVELS ? &vals->shape[lv] : NULL, &found, NULL, vals);
	plan_level_done(fp, l, found, complete, rend, vals);
}

/*
 * doc_template_sub: the sub-document at doc + off (len bytes) matches the
 * template of its level sh (a document of fixed-size values walked to its
 * end): that template's mask (keys, types, length word, final NUL: what
 * plan_fill_level checks) goes into the mask m, its slots into t's fills.
 * False (t unchanged) when it does not match.
 */
static bool
doc_template_sub(const asp_field_plan_level *l, const asp_shape *sh, asp_doc_template *t,
				 uint8_t *m, const uint8_t *doc, uint32_t off, uint32_t len)
{
	const uint8_t *sub = doc + off;
	uint64_t	diff = 0;
	int			i;

	if (sh->tlen != len || len < 8 || t->nfills + sh->tfills > ASP_PLAN_MAX)
		return false;
	for (i = 0; i < (int) ((len + 7) / 8); i++)
	{
		uint64_t	w;

		memcpy(&w, sub + (8 * (uint32_t) i < len - 8 ? 8 * (uint32_t) i : len - 8), 8);
		diff |= (w & sh->tm[i]) ^ sh->tw[i];
	}
	if (diff)
		return false;
	for (i = 0; i < (int) ((len + 7) / 8); i++)
		memcpy(m + off + (8 * (uint32_t) i < len - 8 ? 8 * (uint32_t) i : len - 8), &sh->tm[i], 8);
	for (i = 0; i < sh->tfills; i++)
	{
		int			nf = t->nfills++;

		t->fill[nf].elem = (uint16_t) (off + sh->tfill[i].elem);
		t->fill[nf].value = (uint16_t) (off + sh->tfill[i].value);
		t->fill[nf].size = sh->tfill[i].size;
		t->fill[nf].type = sh->tfill[i].type;
		t->fill[nf].slot = l->slot[sh->tfill[i].j];
	}
	return true;
}

/*
 * doc_template_build: after a complete fill from the top-level doc, whose
 * shape was recorded: its template (see asp_doc_template), or none when
 * the shape does not cover it or a type does not allow one.
 */
static void
doc_template_build(const asp_field_plan *fp, asp_doc_template *t, const uint8_t *doc,
				   uint32_t len, const asp_field_plan_vals *vals)
{
	const asp_shape *sh = &vals->shape[0];
	const asp_field_plan_level *l = &fp->level[0];
	uint8_t		b[ASP_DOC_TEMPLATE],
				m[ASP_DOC_TEMPLATE];
	uint32_t	off = 4;
	int			i;

	t->len = 0;
	t->nfills = 0;
	t->ndescend = 0;
	t->conflict = false;
	if (len > ASP_DOC_TEMPLATE || len < 8)
		return;
	memcpy(b, doc, len);
	memset(m, 0, len);
	memset(m, 0xff, 4);
	for (i = 0; i < sh->n; i++)
	{
		const asp_shape_elem *c = &sh->e[i];
		uint32_t	vs;

		if (off + c->hlen > len - 1)
			return;
		memset(m + off, 0xff, c->hlen);
		if (c->fixed >= 0)
			vs = (uint32_t) c->fixed;
		else if (c->type == BSON_TYPE_UTF8 || c->type == BSON_TYPE_DOCUMENT ||
				 c->type == BSON_TYPE_ARRAY)
		{
			int64_t		n;

			if (off + c->hlen + 4 > len - 1)
				return;
			n = raw_value_size(c->type, doc + off + c->hlen, len - 1 - off - c->hlen);
			if (n < 0)
				return;
			vs = (uint32_t) n;
			/* the length word stays in the template */
			memset(m + off + c->hlen, 0xff, 4);
		}
		else
			return;
		if (off + c->hlen + vs > len - 1)
			return;
		if (c->act >= 0)
		{
			int			k = l->slot[c->act];
			int			lv = fp->slot[k].level;

			if (t->nfills == ASP_PLAN_MAX)
				return;
			t->fill[t->nfills].elem = (uint16_t) off;
			t->fill[t->nfills].value = (uint16_t) (off + c->hlen);
			t->fill[t->nfills].size = (uint16_t) vs;
			t->fill[t->nfills].type = c->type;
			t->fill[t->nfills].slot = (int8_t) k;
			t->nfills++;
			/* a sub-document with slots: in the template if its level has one, else walked */
			if (lv >= 0 && c->type == BSON_TYPE_DOCUMENT &&
				!(lv < ASP_SHAPE_LEVELS && vals->ok[k] &&
				  doc_template_sub(&fp->level[lv], &vals->shape[lv], t, m, doc,
								   off + c->hlen, vs)))
				t->descend[t->ndescend++] = (int8_t) k;
		}
		else if (c->act == -2)
			t->conflict = true;
		off += c->hlen + vs;
	}
	if (off != len - 1)
		return;
	m[len - 1] = 0xff;
	for (i = 0; i < fp->nslots; i++)
		t->ok[i] = vals->ok[i];
	/* words at 0, 8, ...; the last one ends at the document's end (it may overlap) */
	for (i = 0; i < (int) ((len + 7) / 8); i++)
	{
		uint32_t	o = 8 * (uint32_t) i < len - 8 ? 8 * (uint32_t) i : len - 8;

		memcpy(&t->w[i], b + o, 8);
		memcpy(&t->m[i], m + o, 8);
		t->w[i] &= t->m[i];
	}
	t->len = len;
}

/*
 * doc_template_match: doc (len bytes) matches the top-level template t:
 * every slot's value and ok as the walk would give them, and whether it
 * has a reported name.
 */
static inline bool
doc_template_match(const asp_field_plan *fp, const asp_doc_template *t, const uint8_t *doc,
				   uint32_t len, bool *conflict, asp_field_plan_vals *vals)
{
	uint64_t	diff = 0;
	uint32_t	nw = (len + 7) / 8;
	uint32_t	i;

	if (t->len != len)
		return false;
	for (i = 0; i + 1 < nw; i++)
	{
		uint64_t	w;

		memcpy(&w, doc + 8 * i, 8);
		diff |= (w & t->m[i]) ^ t->w[i];
	}
	{
		uint64_t	w;

		memcpy(&w, doc + len - 8, 8);
		diff |= (w & t->m[nw - 1]) ^ t->w[nw - 1];
	}
	if (diff)
		return false;
	for (i = 0; i < (uint32_t) fp->nslots; i++)
	{
		vals->ok[i] = t->ok[i];
		vals->v[i].value_type = BSON_TYPE_EOD;
	}
	for (i = 0; i < (uint32_t) t->nfills; i++)
	{
		const uint8_t *v = doc + t->fill[i].value;
		bson_value_t *out = &vals->v[t->fill[i].slot];

		if (t->fill[i].type == BSON_TYPE_INT32)
		{
			int32_t		i32;

			memcpy(&i32, v, 4);
			out->value_type = BSON_TYPE_INT32;
			out->value.v_int32 = (int32_t) BSON_UINT32_FROM_LE(i32);
		}
		else if (t->fill[i].type == BSON_TYPE_UTF8)
		{
			out->value_type = BSON_TYPE_UTF8;
			out->value.v_utf8.str = (char *) v + 4;
			out->value.v_utf8.len = (uint32_t) t->fill[i].size - 5;
		}
		else
			raw_fill_value(doc, len, doc + t->fill[i].elem, t->fill[i].type, v,
						   t->fill[i].size, out);
	}
	for (i = 0; i < (uint32_t) t->ndescend; i++)
		plan_descend(fp, t->descend[i], doc + len - 1, vals);
	*conflict = t->conflict;
	return true;
}

/* asp_field_plan_fill: walk the top level once: validity, conflicts, the plan's values */
bool
asp_field_plan_fill(const asp_field_plan *fp, const uint8_t *doc, uint32_t len,
					bool *conflict, asp_field_plan_vals *vals)
{
	const asp_field_plan_level *l = &fp->level[0];
	uint32_t	found;

	*conflict = false;
	if (len < 5 || doc[len - 1] != 0)
		return false;
	if (doc_template_match(fp, &vals->top, doc, len, conflict, vals))
		return true;
	if (!plan_walk(fp, l, true, doc, len, doc + len - 1, &vals->shape[0], &found, conflict, vals))
	{
		vals->top.len = 0;
		return false;
	}
	plan_level_done(fp, l, found, true, doc + len - 1, vals);
	doc_template_build(fp, &vals->top, doc, len, vals);
	return true;
}
