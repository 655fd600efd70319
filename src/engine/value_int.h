/*-------------------------------------------------------------------------
 *
 * value_int.h
 *	  Inline readers of raw BSON elements shared by value.c and
 *	  field_plan.c (the hot loops of the field index and the field plan).
 *	  Internal to the engine.
 *
 *-------------------------------------------------------------------------
 */
#ifndef ASP_ENGINE_VALUE_INT_H
#define ASP_ENGINE_VALUE_INT_H

#include <string.h>

#include <bson/bson.h>

/* asp_raw_fill_rare: a value of one of the rarer types, decoded by libbson (value.c) */
extern void asp_raw_fill_rare(const uint8_t *doc, uint32_t len, const uint8_t *elem,
							  const uint8_t *v, bson_value_t *out);

/* raw_fixed_size: the value size a type fixes, -1 when the value gives it */
static inline __attribute__((always_inline)) int8_t
raw_fixed_size(uint8_t t)
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
	int8_t		fixed = raw_fixed_size(t);

	if (fixed >= 0)
		return fixed;
	switch (t)
	{
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
			asp_raw_fill_rare(doc, len, elem, v, out);
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

#endif							/* ASP_ENGINE_VALUE_INT_H */
