/*-------------------------------------------------------------------------
 *
 * expr_object.c
 *	  Object operators: $mergeObjects, $getField, $setField, $unsetField,
 *	  $arrayToObject and $objectToArray.
 *
 * Documents are assembled with a small key/value list in the arena that
 * replaces the value of a repeated key in place (the first position wins,
 * the last value wins), which is MongoDB's MutableDocument::setField
 * behaviour that $mergeObjects and $arrayToObject rely on.
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expr_array.h"
#include "expr_named.h"

/* ---------- key/value lists ---------- */

typedef struct kv_entry
{
	const char *key;
	uint32_t	klen;
	uint32_t	hash;
	bson_value_t val;			/* missing: the field is removed */
} kv_entry;

typedef struct kv_doc
{
	asp_eval_ctx *ctx;
	kv_entry   *items;
	uint32_t	n;
	uint32_t	cap;
	int32_t    *table;			/* open addressing, -1 empty; NULL while small */
	uint32_t	tcap;
} kv_doc;

#define KV_LINEAR_MAX 16

/* kv_hash: FNV-1a hash of a key */
static uint32_t
kv_hash(const char *key, uint32_t len)
{
	uint32_t	h = 2166136261u;
	uint32_t	i;

	for (i = 0; i < len; i++)
		h = (h ^ (uint8_t) key[i]) * 16777619u;
	return h;
}

/* kv_init: an empty list */
static void
kv_init(kv_doc *kd, asp_eval_ctx *ctx)
{
	memset(kd, 0, sizeof(*kd));
	kd->ctx = ctx;
}

/* kv_rehash: rebuild the hash index */
static void
kv_rehash(kv_doc *kd)
{
	uint32_t	i;

	kd->tcap = 64;
	while (kd->tcap < kd->cap * 2)
		kd->tcap *= 2;
	kd->table = asp_arena_alloc(kd->ctx->arena, sizeof(int32_t) * kd->tcap);
	memset(kd->table, 0xff, sizeof(int32_t) * kd->tcap);
	for (i = 0; i < kd->n; i++)
	{
		uint32_t	s = kd->items[i].hash & (kd->tcap - 1);

		while (kd->table[s] >= 0)
			s = (s + 1) & (kd->tcap - 1);
		kd->table[s] = (int32_t) i;
	}
}

/* kv_set: set key to val, in place if the key is there already */
static void
kv_set(kv_doc *kd, const char *key, uint32_t klen, const bson_value_t *val)
{
	uint32_t	h = kv_hash(key, klen);
	uint32_t	i;

	if (kd->table == NULL)
	{
		for (i = 0; i < kd->n; i++)
			if (kd->items[i].hash == h && kd->items[i].klen == klen &&
				memcmp(kd->items[i].key, key, klen) == 0)
			{
				kd->items[i].val = *val;
				return;
			}
	}
	else
	{
		uint32_t	s = h & (kd->tcap - 1);

		while (kd->table[s] >= 0)
		{
			kv_entry   *it = &kd->items[kd->table[s]];

			if (it->hash == h && it->klen == klen && memcmp(it->key, key, klen) == 0)
			{
				it->val = *val;
				return;
			}
			s = (s + 1) & (kd->tcap - 1);
		}
	}
	if (kd->n == kd->cap)
	{
		uint32_t	ncap = kd->cap ? kd->cap * 2 : 16;
		kv_entry   *ni = asp_arena_alloc(kd->ctx->arena, sizeof(kv_entry) * ncap);

		if (kd->n)
			memcpy(ni, kd->items, sizeof(kv_entry) * kd->n);
		kd->items = ni;
		kd->cap = ncap;
		if (kd->n >= KV_LINEAR_MAX)
			kv_rehash(kd);
	}
	kd->items[kd->n].key = key;
	kd->items[kd->n].klen = klen;
	kd->items[kd->n].hash = h;
	kd->items[kd->n].val = *val;
	if (kd->table != NULL)
	{
		uint32_t	s = h & (kd->tcap - 1);

		while (kd->table[s] >= 0)
			s = (s + 1) & (kd->tcap - 1);
		kd->table[s] = (int32_t) kd->n;
	}
	kd->n++;
	if (kd->table == NULL && kd->n > KV_LINEAR_MAX)
		kv_rehash(kd);
}

/* kv_set_doc: set every field of a document */
static void
kv_set_doc(kv_doc *kd, const bson_value_t *doc)
{
	bson_iter_t it;

	if (bson_iter_init_from_data(&it, doc->value.v_doc.data, doc->value.v_doc.data_len))
		while (bson_iter_next(&it))
			kv_set(kd, bson_iter_key(&it), bson_iter_key_len(&it), bson_iter_value(&it));
}

/* kv_build: the document, in the arena */
static void
kv_build(kv_doc *kd, bson_value_t *out)
{
	bson_t		b;
	uint32_t	i;

	bson_init(&b);
	for (i = 0; i < kd->n; i++)
		asp_bson_append_value(&b, kd->items[i].key, (int) kd->items[i].klen, &kd->items[i].val);
	asp_arena_take_bson(kd->ctx->arena, &b, BSON_TYPE_DOCUMENT, out);
}

/* ---------- $mergeObjects ---------- */

/* asp_eval_merge_objects: later fields override earlier ones; null/missing skipped */
bool
asp_eval_merge_objects(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out)
{
	kv_doc		kd;
	int			i;
	int			ndocs = 0;
	bson_value_t only;

	kv_init(&kd, ctx);
	for (i = 0; i < e->nargs; i++)
	{
		bson_value_t v;

		if (!asp_expr_eval(e->args[i], ctx, &v))
			return false;
		if (asp_value_is_nullish(&v))
			continue;
		if (v.value_type != BSON_TYPE_DOCUMENT)
			return asp_eval_error(ctx, "$mergeObjects requires object inputs, but input %s is of type %s",
								  asp_describe(ctx, &v), asp_type_name(v.value_type));
		if (ndocs++ == 0)
			only = v;
		else
		{
			if (ndocs == 2)
				kv_set_doc(&kd, &only);
			kv_set_doc(&kd, &v);
		}
	}
	if (ndocs == 1)
	{
		*out = only;
		return true;
	}
	kv_build(&kd, out);
	return true;
}

/* ---------- $objectToArray / $arrayToObject ---------- */

/* asp_eval_object_to_array: {a: 1} -> [{k: "a", v: 1}] */
bool
asp_eval_object_to_array(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out)
{
	bson_value_t v;
	bson_iter_t it;
	bson_t		arr;
	uint32_t	n = 0;

	if (!asp_expr_eval(e->args[0], ctx, &v))
		return false;
	if (asp_value_is_nullish(&v))
	{
		asp_value_set_null(out);
		return true;
	}
	if (v.value_type != BSON_TYPE_DOCUMENT)
		return asp_eval_error(ctx, "$objectToArray requires a document input, found: %s",
							  asp_type_name(v.value_type));
	bson_init(&arr);
	if (bson_iter_init_from_data(&it, v.value.v_doc.data, v.value.v_doc.data_len))
		while (bson_iter_next(&it))
		{
			bson_t		kvd;
			char		kbuf[16];
			size_t		klen;
			const char *key = asp_array_key(n++, kbuf, sizeof(kbuf), &klen);

			bson_append_document_begin(&arr, key, (int) klen, &kvd);
			bson_append_utf8(&kvd, "k", 1, bson_iter_key(&it), (int) bson_iter_key_len(&it));
			asp_bson_append_value(&kvd, "v", 1, bson_iter_value(&it));
			bson_append_document_end(&arr, &kvd);
		}
	asp_arena_take_bson(ctx->arena, &arr, BSON_TYPE_ARRAY, out);
	return true;
}

/* asp_eval_array_to_object: [[k, v], ...] or [{k, v}, ...] -> document */
bool
asp_eval_array_to_object(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out)
{
	bson_value_t in;
	bson_value_t *elems;
	uint32_t	n,
				i;
	bool		pairs;
	kv_doc		kd;

	if (!asp_expr_eval(e->args[0], ctx, &in))
		return false;
	if (asp_value_is_nullish(&in))
	{
		asp_value_set_null(out);
		return true;
	}
	if (in.value_type != BSON_TYPE_ARRAY)
		return asp_eval_error(ctx, "$arrayToObject requires an array input, found: %s",
							  asp_type_name(in.value_type));
	n = asp_array_elements(ctx, &in, &elems);
	kv_init(&kd, ctx);
	if (n == 0)
	{
		kv_build(&kd, out);
		return true;
	}
	if (elems[0].value_type == BSON_TYPE_ARRAY)
		pairs = true;
	else if (elems[0].value_type == BSON_TYPE_DOCUMENT)
		pairs = false;
	else
		return asp_eval_error(ctx, "Unrecognised input type format for $arrayToObject: %s",
							  asp_type_name(elems[0].value_type));
	for (i = 0; i < n; i++)
	{
		bson_value_t *kv;
		bson_value_t key,
					val;

		if (pairs)
		{
			uint32_t	m;

			if (elems[i].value_type != BSON_TYPE_ARRAY)
				return asp_eval_error(ctx, "$arrayToObject requires a consistent input format. Elements must all be arrays or all be objects. Array was detected, now found: %s",
									  asp_type_name(elems[i].value_type));
			m = asp_array_elements(ctx, &elems[i], &kv);
			if (m != 2)
				return asp_eval_error(ctx, "$arrayToObject requires an array of size 2 arrays,found array of size: %u", m);
			key = kv[0];
			val = kv[1];
			if (key.value_type != BSON_TYPE_UTF8)
				return asp_eval_error(ctx, "$arrayToObject requires an array of key-value pairs, where the key must be of type string. Found key type: %s",
									  asp_type_name(key.value_type));
		}
		else
		{
			uint32_t	m;

			if (elems[i].value_type != BSON_TYPE_DOCUMENT)
				return asp_eval_error(ctx, "$arrayToObject requires a consistent input format. Elements must all be arrays or all be objects. Object was detected, now found: %s",
									  asp_type_name(elems[i].value_type));
			m = asp_array_count(&elems[i]);
			if (m != 2)
				return asp_eval_error(ctx, "$arrayToObject requires an object keys of 'k' and 'v'. Found incorrect number of keys:%u", m);
			asp_doc_get(elems[i].value.v_doc.data, elems[i].value.v_doc.data_len, "k", 1, &key);
			asp_doc_get(elems[i].value.v_doc.data, elems[i].value.v_doc.data_len, "v", 1, &val);
			if (asp_value_is_missing(&key) || asp_value_is_missing(&val))
				return asp_eval_error(ctx, "$arrayToObject requires an object with keys 'k' and 'v'. Missing either or both keys from: %s",
									  asp_describe(ctx, &elems[i]));
			if (key.value_type != BSON_TYPE_UTF8)
				return asp_eval_error(ctx, "$arrayToObject requires an object with keys 'k' and 'v', where the value of 'k' must be of type string. Found type: %s",
									  asp_type_name(key.value_type));
		}
		if (memchr(key.value.v_utf8.str, '\0', key.value.v_utf8.len) != NULL)
			return asp_eval_error(ctx, "Key field cannot contain an embedded null byte");
		kv_set(&kd, key.value.v_utf8.str, key.value.v_utf8.len, &val);
	}
	kv_build(&kd, out);
	return true;
}

/* ---------- $getField ---------- */

/* asp_compile_get_field: {$getField: {field, input}} or {$getField: <field>} */
asp_expr *
asp_compile_get_field(asp_expr_compiler *c, const asp_op_def *def, const bson_value_t *operand)
{
	asp_named_arg args[2] = {{.name = "field"}, {.name = "input"}};
	bson_value_t current;
	bson_iter_t it;
	bool		named = false;
	asp_expr   *e;

	if (operand->value_type == BSON_TYPE_DOCUMENT &&
		bson_iter_init_from_data(&it, operand->value.v_doc.data, operand->value.v_doc.data_len))
		named = !bson_iter_next(&it) || bson_iter_key(&it)[0] != '$';
	if (named)
	{
		if (!asp_named_args_parse(c, "$getField", operand, args, 2))
			return NULL;
		if (!args[0].present)
			return asp_expr_compile_error(c, "missing 'field' parameter to $getField");
	}
	else
	{
		args[0].value = *operand;
		args[0].present = true;
		args[1].present = false;
	}
	if (!args[1].present)
	{
		/* the input defaults to $$CURRENT (a variable: never folded away) */
		asp_value_set_utf8(&current, "$$CURRENT", 9);
		args[1].value = current;
		args[1].present = true;
	}
	e = asp_expr_new(def->name, def->eval, 2);
	e->args[0] = asp_expr_compile_value(c, &args[0].value);
	if (e->args[0] != NULL)
		e->args[1] = asp_expr_compile_value(c, &args[1].value);
	if (e->args[0] == NULL || e->args[1] == NULL)
	{
		asp_expr_free(e);
		return NULL;
	}
	if (e->args[0]->is_const && e->args[0]->constant.value_type != BSON_TYPE_UTF8)
	{
		asp_expr_compile_error(c, "$getField requires 'field' to evaluate to type String, but got %s",
							   asp_type_name(e->args[0]->constant.value_type));
		asp_expr_free(e);
		return NULL;
	}
	return e;
}

/* asp_eval_get_field */
bool
asp_eval_get_field(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out)
{
	bson_value_t field,
				in;

	if (!asp_expr_eval(e->args[0], ctx, &field))
		return false;
	if (field.value_type != BSON_TYPE_UTF8)
		return asp_eval_error(ctx, "$getField requires 'field' to evaluate to type String, but got %s",
							  asp_type_name(field.value_type));
	if (!asp_expr_eval(e->args[1], ctx, &in))
		return false;
	if (in.value_type == BSON_TYPE_NULL || in.value_type == BSON_TYPE_UNDEFINED)
	{
		asp_value_set_null(out);
		return true;
	}
	if (in.value_type != BSON_TYPE_DOCUMENT)
	{
		asp_value_set_missing(out);
		return true;
	}
	asp_doc_get(in.value.v_doc.data, in.value.v_doc.data_len, field.value.v_utf8.str,
				field.value.v_utf8.len, out);
	return true;
}

/* ---------- $setField / $unsetField ---------- */

typedef struct set_field_data
{
	char	   *field;
	uint32_t	len;
	bool		unset;
} set_field_data;

/* free_set_field: free the compiled field name */
static void
free_set_field(void *p)
{
	set_field_data *d = p;

	free(d->field);
	free(d);
}

/* compile_set_field: $setField {field, input, value}; $unsetField {field, input} */
static asp_expr *
compile_set_field(asp_expr_compiler *c, const asp_op_def *def, const bson_value_t *operand,
				  bool unset)
{
	asp_named_arg args[3] = {{.name = "field"}, {.name = "input"}, {.name = "value"}};
	const char *op = unset ? "$unsetField" : "$setField";
	asp_expr   *fe;
	asp_expr   *e;
	set_field_data *d;

	if (!asp_named_args_parse(c, op, operand, args, unset ? 2 : 3))
		return NULL;
	if (!args[0].present)
		return asp_expr_compile_error(c, "missing 'field' parameter to %s", op);
	if (!args[1].present)
		return asp_expr_compile_error(c, "missing 'input' parameter to %s", op);
	if (!unset && !args[2].present)
		return asp_expr_compile_error(c, "missing 'value' parameter to %s", op);
	if (args[0].value.value_type == BSON_TYPE_UTF8 && args[0].value.value.v_utf8.len > 0 &&
		args[0].value.value.v_utf8.str[0] == '$')
	{
		asp_expr_compile_error(c, "'%s' is a field path reference which is not allowed in 'field' of %s",
							   args[0].value.value.v_utf8.str, op);
		asp_error_hint(c->err, "Write {\"$literal\": \"%s\"} for a field whose name starts with '$'.",
					   args[0].value.value.v_utf8.str);
		return NULL;
	}
	fe = asp_expr_compile_value(c, &args[0].value);
	if (fe == NULL)
		return NULL;
	if (!fe->is_const)
	{
		asp_expr_free(fe);
		return asp_expr_compile_error(c, "%s requires 'field' to evaluate to a constant, but got a non-constant argument", op);
	}
	if (fe->constant.value_type != BSON_TYPE_UTF8)
	{
		asp_expr_compile_error(c, "%s requires 'field' to evaluate to type String, but got %s",
							   op, asp_type_name(fe->constant.value_type));
		asp_expr_free(fe);
		return NULL;
	}
	d = calloc(1, sizeof(set_field_data));
	if (d == NULL)
		abort();
	d->len = fe->constant.value.v_utf8.len;
	d->field = malloc(d->len + 1);
	if (d->field == NULL)
		abort();
	memcpy(d->field, fe->constant.value.v_utf8.str, d->len);
	d->field[d->len] = '\0';
	d->unset = unset;
	asp_expr_free(fe);
	e = asp_expr_new(def->name, def->eval, unset ? 1 : 2);
	e->data = d;
	e->free_data = free_set_field;
	e->args[0] = asp_expr_compile_value(c, &args[1].value);
	if (e->args[0] != NULL && !unset)
		e->args[1] = asp_expr_compile_value(c, &args[2].value);
	if (e->args[0] == NULL || (!unset && e->args[1] == NULL))
	{
		asp_expr_free(e);
		return NULL;
	}
	return e;
}

/* asp_compile_set_field: {$setField: {field, input, value}} */
asp_expr *
asp_compile_set_field(asp_expr_compiler *c, const asp_op_def *def, const bson_value_t *operand)
{
	return compile_set_field(c, def, operand, false);
}

/* asp_compile_unset_field: {$unsetField: {field, input}} */
asp_expr *
asp_compile_unset_field(asp_expr_compiler *c, const asp_op_def *def, const bson_value_t *operand)
{
	return compile_set_field(c, def, operand, true);
}

/* asp_eval_set_field: copy input with field replaced, appended or removed */
bool
asp_eval_set_field(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out)
{
	const set_field_data *d = e->data;
	const char *op = d->unset ? "$unsetField" : "$setField";
	bson_value_t in,
				val;
	bson_iter_t it;
	bson_t		b;
	bool		done = false;

	if (!asp_expr_eval(e->args[0], ctx, &in))
		return false;
	if (asp_value_is_nullish(&in))
	{
		asp_value_set_null(out);
		return true;
	}
	if (in.value_type != BSON_TYPE_DOCUMENT)
		return asp_eval_error(ctx, "%s requires 'input' to evaluate to type Object", op);
	if (d->unset)
		asp_value_set_missing(&val);
	else if (!asp_expr_eval(e->args[1], ctx, &val))
		return false;
	bson_init(&b);
	if (bson_iter_init_from_data(&it, in.value.v_doc.data, in.value.v_doc.data_len))
		while (bson_iter_next(&it))
		{
			if (bson_iter_key_len(&it) == d->len && memcmp(bson_iter_key(&it), d->field, d->len) == 0)
			{
				if (!done)
					asp_bson_append_value(&b, d->field, (int) d->len, &val);
				done = true;
				continue;
			}
			asp_bson_append_value(&b, bson_iter_key(&it), (int) bson_iter_key_len(&it),
								  bson_iter_value(&it));
		}
	if (!done)
		asp_bson_append_value(&b, d->field, (int) d->len, &val);
	asp_arena_take_bson(ctx->arena, &b, BSON_TYPE_DOCUMENT, out);
	return true;
}
