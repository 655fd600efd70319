/*-------------------------------------------------------------------------
 *
 * accum_store.c
 *	  Accumulator-owned copies of values: the BSON encoding of values as
 *	  small documents, single held values (acc_val) and value lists
 *	  (acc_list).  See accum_internal.h.
 *
 *-------------------------------------------------------------------------
 */
#include <stdlib.h>
#include <string.h>

#include "accum_internal.h"

/* ---------- encoding ---------- */

/* payload_size: bytes of a value's BSON encoding after type and key */
static size_t
payload_size(const bson_value_t *v)
{
	switch (v->value_type)
	{
		case BSON_TYPE_DOUBLE:
		case BSON_TYPE_DATE_TIME:
		case BSON_TYPE_INT64:
		case BSON_TYPE_TIMESTAMP:
			return 8;
		case BSON_TYPE_INT32:
			return 4;
		case BSON_TYPE_DECIMAL128:
			return 16;
		case BSON_TYPE_OID:
			return 12;
		case BSON_TYPE_BOOL:
			return 1;
		case BSON_TYPE_UTF8:
			return 4 + (size_t) v->value.v_utf8.len + 1;
		case BSON_TYPE_SYMBOL:
			return 4 + (size_t) v->value.v_symbol.len + 1;
		case BSON_TYPE_CODE:
			return 4 + (size_t) v->value.v_code.code_len + 1;
		case BSON_TYPE_DOCUMENT:
		case BSON_TYPE_ARRAY:
			return v->value.v_doc.data_len;
		case BSON_TYPE_BINARY:
			return 4 + 1 + (size_t) v->value.v_binary.data_len +
				(v->value.v_binary.subtype == BSON_SUBTYPE_BINARY_DEPRECATED ? 4 : 0);
		case BSON_TYPE_REGEX:
			return strlen(v->value.v_regex.regex) + 1 +
				strlen(v->value.v_regex.options ? v->value.v_regex.options : "") + 1;
		case BSON_TYPE_DBPOINTER:
			return 4 + (size_t) v->value.v_dbpointer.collection_len + 1 + 12;
		case BSON_TYPE_CODEWSCOPE:
			return 4 + 4 + (size_t) v->value.v_codewscope.code_len + 1 +
				v->value.v_codewscope.scope_len;
		default:
			/* null, undefined, minKey, maxKey, missing (written as null) */
			return 0;
	}
}

/* put_u32: a little-endian uint32 */
static inline uint8_t *
put_u32(uint8_t *p, uint32_t x)
{
	x = BSON_UINT32_TO_LE(x);
	memcpy(p, &x, 4);
	return p + 4;
}

/* put_u64: a little-endian uint64 */
static inline uint8_t *
put_u64(uint8_t *p, uint64_t x)
{
	x = BSON_UINT64_TO_LE(x);
	memcpy(p, &x, 8);
	return p + 8;
}

/* put_str: a BSON string (length with NUL, bytes, NUL) */
static inline uint8_t *
put_str(uint8_t *p, const char *s, uint32_t len)
{
	p = put_u32(p, len + 1);
	memcpy(p, s, len);
	p[len] = '\0';
	return p + len + 1;
}

/* write_payload: a value's BSON encoding after type and key */
static uint8_t *
write_payload(uint8_t *p, const bson_value_t *v)
{
	switch (v->value_type)
	{
		case BSON_TYPE_DOUBLE:
			{
				uint64_t	bits;

				memcpy(&bits, &v->value.v_double, 8);
				return put_u64(p, bits);
			}
		case BSON_TYPE_DATE_TIME:
			return put_u64(p, (uint64_t) v->value.v_datetime);
		case BSON_TYPE_INT64:
			return put_u64(p, (uint64_t) v->value.v_int64);
		case BSON_TYPE_TIMESTAMP:
			p = put_u32(p, v->value.v_timestamp.increment);
			return put_u32(p, v->value.v_timestamp.timestamp);
		case BSON_TYPE_INT32:
			return put_u32(p, (uint32_t) v->value.v_int32);
		case BSON_TYPE_DECIMAL128:
			p = put_u64(p, v->value.v_decimal128.low);
			return put_u64(p, v->value.v_decimal128.high);
		case BSON_TYPE_OID:
			memcpy(p, v->value.v_oid.bytes, 12);
			return p + 12;
		case BSON_TYPE_BOOL:
			*p = v->value.v_bool ? 1 : 0;
			return p + 1;
		case BSON_TYPE_UTF8:
			return put_str(p, v->value.v_utf8.str, v->value.v_utf8.len);
		case BSON_TYPE_SYMBOL:
			return put_str(p, v->value.v_symbol.symbol, v->value.v_symbol.len);
		case BSON_TYPE_CODE:
			return put_str(p, v->value.v_code.code, v->value.v_code.code_len);
		case BSON_TYPE_DOCUMENT:
		case BSON_TYPE_ARRAY:
			memcpy(p, v->value.v_doc.data, v->value.v_doc.data_len);
			return p + v->value.v_doc.data_len;
		case BSON_TYPE_BINARY:
			if (v->value.v_binary.subtype == BSON_SUBTYPE_BINARY_DEPRECATED)
			{
				p = put_u32(p, v->value.v_binary.data_len + 4);
				*p++ = (uint8_t) v->value.v_binary.subtype;
				p = put_u32(p, v->value.v_binary.data_len);
			}
			else
			{
				p = put_u32(p, v->value.v_binary.data_len);
				*p++ = (uint8_t) v->value.v_binary.subtype;
			}
			memcpy(p, v->value.v_binary.data, v->value.v_binary.data_len);
			return p + v->value.v_binary.data_len;
		case BSON_TYPE_REGEX:
			{
				const char *opts = v->value.v_regex.options ? v->value.v_regex.options : "";
				size_t		rl = strlen(v->value.v_regex.regex) + 1;
				size_t		ol = strlen(opts) + 1;

				memcpy(p, v->value.v_regex.regex, rl);
				memcpy(p + rl, opts, ol);
				return p + rl + ol;
			}
		case BSON_TYPE_DBPOINTER:
			p = put_str(p, v->value.v_dbpointer.collection, v->value.v_dbpointer.collection_len);
			memcpy(p, v->value.v_dbpointer.oid.bytes, 12);
			return p + 12;
		case BSON_TYPE_CODEWSCOPE:
			p = put_u32(p, (uint32_t) payload_size(v));
			p = put_str(p, v->value.v_codewscope.code, v->value.v_codewscope.code_len);
			memcpy(p, v->value.v_codewscope.scope_data, v->value.v_codewscope.scope_len);
			return p + v->value.v_codewscope.scope_len;
		default:
			return p;
	}
}

/* acc_entry_size: bytes of {"": vals[0], ..., "": vals[n-1]} */
size_t
acc_entry_size(const bson_value_t *vals, int n)
{
	size_t		size = 4 + 1;
	int			i;

	for (i = 0; i < n; i++)
		size += 2 + payload_size(&vals[i]);
	return size;
}

/* acc_entry_write: write {"": vals[0], ...} at p, return the end */
uint8_t *
acc_entry_write(uint8_t *p, const bson_value_t *vals, int n)
{
	uint8_t    *start = p;
	int			i;

	p += 4;
	for (i = 0; i < n; i++)
	{
		bson_type_t t = vals[i].value_type;

		*p++ = (uint8_t) (t == BSON_TYPE_EOD ? BSON_TYPE_NULL : t);
		*p++ = '\0';
		p = write_payload(p, &vals[i]);
	}
	*p++ = '\0';
	put_u32(start, (uint32_t) (p - start));
	return p;
}

/* acc_entry_get: the i-th value of an entry */
bool
acc_entry_get(const uint8_t *p, int i, bson_value_t *out)
{
	bson_iter_t it;

	if (bson_iter_init_from_data(&it, p, acc_entry_len(p)))
	{
		while (bson_iter_next(&it))
		{
			if (i-- == 0)
			{
				*out = *bson_iter_value(&it);
				return true;
			}
		}
	}
	asp_value_set_missing(out);
	return false;
}

/* acc_value_inline: types an acc_val keeps without heap memory */
bool
acc_value_inline(bson_type_t t)
{
	switch (t)
	{
		case BSON_TYPE_EOD:
		case BSON_TYPE_DOUBLE:
		case BSON_TYPE_INT32:
		case BSON_TYPE_INT64:
		case BSON_TYPE_DECIMAL128:
		case BSON_TYPE_BOOL:
		case BSON_TYPE_DATE_TIME:
		case BSON_TYPE_OID:
		case BSON_TYPE_TIMESTAMP:
		case BSON_TYPE_NULL:
		case BSON_TYPE_UNDEFINED:
		case BSON_TYPE_MINKEY:
		case BSON_TYPE_MAXKEY:
			return true;
		default:
			return false;
	}
}

/* acc_value_to_arena: a copy of v whose bytes live in the arena */
void
acc_value_to_arena(asp_arena *arena, const bson_value_t *in, bson_value_t *out)
{
	uint8_t    *buf;

	if (acc_value_inline(in->value_type))
	{
		*out = *in;
		return;
	}
	buf = asp_arena_alloc(arena, acc_entry_size(in, 1));
	acc_entry_write(buf, in, 1);
	acc_entry_get(buf, 0, out);
}

/* ---------- acc_val ---------- */

/* acc_val_set: hold a copy of v (missing is held as null) */
void
acc_val_set(acc_val *h, const bson_value_t *v)
{
	bson_type_t t = v->value_type;

	switch (t)
	{
		case BSON_TYPE_EOD:
		case BSON_TYPE_NULL:
		case BSON_TYPE_UNDEFINED:
		case BSON_TYPE_MINKEY:
		case BSON_TYPE_MAXKEY:
			h->type = (uint8_t) (t == BSON_TYPE_EOD ? BSON_TYPE_NULL : t);
			return;
		case BSON_TYPE_DOUBLE:
			h->u.d = v->value.v_double;
			break;
		case BSON_TYPE_INT32:
			h->u.i32 = v->value.v_int32;
			break;
		case BSON_TYPE_INT64:
			h->u.i64 = v->value.v_int64;
			break;
		case BSON_TYPE_DATE_TIME:
			h->u.i64 = v->value.v_datetime;
			break;
		case BSON_TYPE_BOOL:
			h->u.b = v->value.v_bool;
			break;
		case BSON_TYPE_DECIMAL128:
			memcpy(h->u.bytes, &v->value.v_decimal128, 16);
			break;
		case BSON_TYPE_OID:
			memcpy(h->u.bytes, v->value.v_oid.bytes, 12);
			break;
		case BSON_TYPE_TIMESTAMP:
			memcpy(h->u.bytes, &v->value.v_timestamp.timestamp, 4);
			memcpy(h->u.bytes + 4, &v->value.v_timestamp.increment, 4);
			break;
		default:
			{
				size_t		size = acc_entry_size(v, 1);

				if (size > h->cap)
				{
					size_t		ncap = h->cap ? h->cap : 32;

					while (ncap < size)
						ncap *= 2;
					free(h->heap);
					h->heap = malloc(ncap);
					if (h->heap == NULL)
						abort();
					h->cap = (uint32_t) ncap;
				}
				acc_entry_write(h->heap, v, 1);
			}
			break;
	}
	h->type = (uint8_t) t;
}

/* acc_val_get: the held value (strings etc. borrowed from the heap copy) */
void
acc_val_get(const acc_val *h, bson_value_t *out)
{
	out->value_type = (bson_type_t) h->type;
	switch ((bson_type_t) h->type)
	{
		case BSON_TYPE_EOD:
		case BSON_TYPE_NULL:
		case BSON_TYPE_UNDEFINED:
		case BSON_TYPE_MINKEY:
		case BSON_TYPE_MAXKEY:
			return;
		case BSON_TYPE_DOUBLE:
			out->value.v_double = h->u.d;
			return;
		case BSON_TYPE_INT32:
			out->value.v_int32 = h->u.i32;
			return;
		case BSON_TYPE_INT64:
			out->value.v_int64 = h->u.i64;
			return;
		case BSON_TYPE_DATE_TIME:
			out->value.v_datetime = h->u.i64;
			return;
		case BSON_TYPE_BOOL:
			out->value.v_bool = h->u.b;
			return;
		case BSON_TYPE_DECIMAL128:
			memcpy(&out->value.v_decimal128, h->u.bytes, 16);
			return;
		case BSON_TYPE_OID:
			memcpy(out->value.v_oid.bytes, h->u.bytes, 12);
			return;
		case BSON_TYPE_TIMESTAMP:
			memcpy(&out->value.v_timestamp.timestamp, h->u.bytes, 4);
			memcpy(&out->value.v_timestamp.increment, h->u.bytes + 4, 4);
			return;
		default:
			acc_entry_get(h->heap, 0, out);
			return;
	}
}

/* acc_val_free: release the heap copy */
void
acc_val_free(acc_val *h)
{
	free(h->heap);
	h->heap = NULL;
	h->cap = 0;
	h->type = BSON_TYPE_EOD;
}

/* ---------- acc_list ---------- */

/* acc_list_reserve: make room for size more bytes */
bool
acc_list_reserve(acc_list *l, size_t size)
{
	size_t		need = (size_t) l->len + size;

	if (need > ACC_MAX_BYTES)
		return false;
	if (need > l->cap)
	{
		size_t		ncap = l->cap ? l->cap : 256;
		uint8_t    *nd;

		while (ncap < need)
			ncap *= 2;
		nd = realloc(l->data, ncap);
		if (nd == NULL)
			abort();
		l->data = nd;
		l->cap = (uint32_t) ncap;
	}
	return true;
}

/* acc_list_append_seq: append an entry of n values */
bool
acc_list_append_seq(acc_list *l, const bson_value_t *vals, int n)
{
	size_t		size = acc_entry_size(vals, n);

	if (!acc_list_reserve(l, size))
		return false;
	acc_entry_write(l->data + l->len, vals, n);
	l->len += (uint32_t) size;
	l->count++;
	return true;
}

/* acc_list_append_raw_seq: append an encoded entry */
bool
acc_list_append_raw_seq(acc_list *l, const uint8_t *entry)
{
	uint32_t	size = acc_entry_len(entry);

	if (!acc_list_reserve(l, size))
		return false;
	memcpy(l->data + l->len, entry, size);
	l->len += size;
	l->count++;
	return true;
}

/* acc_list_drop_front_seq: drop the first live entry */
void
acc_list_drop_front_seq(acc_list *l)
{
	uint32_t	size;

	if (l->count == 0)
		return;
	size = acc_entry_len(l->data + l->start);
	l->start += size;
	l->count--;
	if (l->count == 0)
	{
		l->start = 0;
		l->len = 0;
	}
	else if (l->start >= 4096 && l->start > l->len - l->start)
	{
		memmove(l->data, l->data + l->start, l->len - l->start);
		l->len -= l->start;
		l->start = 0;
	}
}

/* idx_compact: rewrite data with only the live entries, in order */
static void
idx_compact(acc_list *l)
{
	uint8_t    *nd = malloc(l->cap);
	uint32_t	off = 0;
	uint32_t	i;

	if (nd == NULL)
		abort();
	for (i = 0; i < l->count; i++)
	{
		uint32_t	o = l->idx[l->start + i];
		uint32_t	size = acc_entry_len(l->data + o);

		memcpy(nd + off, l->data + o, size);
		l->idx[i] = off;
		off += size;
	}
	free(l->data);
	l->data = nd;
	l->len = off;
	l->start = 0;
	l->dead = 0;
}

/* acc_list_idx_insert: insert offset off as the pos-th live entry */
void
acc_list_idx_insert(acc_list *l, uint32_t pos, uint32_t off)
{
	if (l->start + l->count + 1 > l->icap)
	{
		if (l->start > 0)
		{
			memmove(l->idx, l->idx + l->start, l->count * sizeof(uint32_t));
			l->start = 0;
		}
		if (l->count + 1 > l->icap)
		{
			uint32_t	ncap = l->icap ? l->icap * 2 : 16;
			uint32_t   *ni = realloc(l->idx, ncap * sizeof(uint32_t));

			if (ni == NULL)
				abort();
			l->idx = ni;
			l->icap = ncap;
		}
	}
	memmove(l->idx + l->start + pos + 1, l->idx + l->start + pos,
			(l->count - pos) * sizeof(uint32_t));
	l->idx[l->start + pos] = off;
	l->count++;
}

/* acc_list_idx_remove: drop the pos-th live entry of an indexed list */
void
acc_list_idx_remove(acc_list *l, uint32_t pos)
{
	uint32_t	off;

	if (pos >= l->count)
		return;
	off = l->idx[l->start + pos];
	if (pos == 0)
		l->start++;
	else
		memmove(l->idx + l->start + pos, l->idx + l->start + pos + 1,
				(l->count - pos - 1) * sizeof(uint32_t));
	l->count--;
	l->dead += acc_entry_len(l->data + off);
	if (l->count == 0)
	{
		l->len = 0;
		l->start = 0;
		l->dead = 0;
	}
	else if (l->dead >= 4096 && l->dead > l->len - l->dead)
		idx_compact(l);
}

/* acc_list_free: release the buffers */
void
acc_list_free(acc_list *l)
{
	free(l->data);
	free(l->idx);
	memset(l, 0, sizeof(*l));
}

/* acc_list_mem: heap bytes held */
size_t
acc_list_mem(const acc_list *l)
{
	return (size_t) l->cap + (size_t) l->icap * sizeof(uint32_t);
}

/* acc_list_to_array: element elem of each live entry, as an array */
void
acc_list_to_array(const acc_list *l, int elem, bool reverse, asp_arena *arena,
				  bson_value_t *out)
{
	bson_t		b;
	uint32_t	i;
	uint32_t	off = l->start;

	bson_init(&b);
	for (i = 0; i < l->count; i++)
	{
		const uint8_t *entry;
		bson_value_t v;
		char		kbuf[16];
		size_t		klen;
		const char *key;

		if (l->idx)
			entry = acc_list_entry(l, reverse ? l->count - 1 - i : i);
		else
		{
			entry = l->data + off;
			off += acc_entry_len(entry);
		}
		acc_entry_get(entry, elem, &v);
		if (v.value_type == BSON_TYPE_EOD)
			asp_value_set_null(&v);
		key = asp_array_key(i, kbuf, sizeof(kbuf), &klen);
		asp_bson_append_value(&b, key, (int) klen, &v);
	}
	asp_arena_take_bson(arena, &b, BSON_TYPE_ARRAY, out);
}

/* acc_limit_error: an accumulator used more than ACC_MAX_BYTES */
bool
acc_limit_error(asp_eval_ctx *ctx, const char *name)
{
	asp_eval_error(ctx, "%s used too much memory and cannot spill to disk; memory limit: %d bytes",
				   name, ACC_MAX_BYTES);
	if (ctx->err)
	{
		ctx->err->code = ASP_ERR_LIMIT;
		asp_error_hint(ctx->err, "Use a shorter window, a finer group key, or an accumulator that keeps fewer values.");
	}
	return false;
}

/* acc_state_error: a checkpoint state that cannot be restored */
bool
acc_state_error(asp_error *err, const char *name, const char *what)
{
	return asp_error_set(err, ASP_ERR_INTERNAL, "checkpoint state of %s is malformed: %s",
						 name, what);
}
