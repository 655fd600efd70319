/*-------------------------------------------------------------------------
 *
 * jsonschema.c
 *	  The $jsonSchema query operator: MongoDB's subset of JSON Schema
 *	  draft 4, compiled once into a tree of schema nodes and checked
 *	  against BSON values.
 *
 * The compiled schema owns a copy of the schema document; enum values,
 * bounds and type lists point into that copy.  Validation walks the value
 * with bson_iter and allocates nothing; when a reason is asked for, the
 * location of the failure is tracked as a dotted path in a fixed buffer.
 *
 *-------------------------------------------------------------------------
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonschema.h"
#include "regex.h"
#include "value.h"

typedef struct jnode jnode;

typedef struct jprop
{
	const char *name;
	uint32_t	len;
	jnode	   *schema;
} jprop;

typedef struct jpattern
{
	asp_regex  *re;
	const char *src;
	jnode	   *schema;
} jpattern;

typedef struct jdep
{
	const char *name;
	uint32_t	len;
	int			nnames;			/* property dependency: names required */
	const char **names;
	uint32_t   *lens;
	jnode	   *schema;			/* schema dependency */
} jdep;

typedef enum jaddl
{
	ADDL_ABSENT = 0,
	ADDL_FALSE,
	ADDL_TRUE,
	ADDL_SCHEMA
} jaddl;

struct jnode
{
	/* type / bsonType */
	bool		has_type;
	const char *type_kw;		/* "type" or "bsonType", for messages */
	uint32_t	type_mask;
	bson_value_t type_val;		/* the keyword's value, for messages */
	/* enum */
	int			nenum;
	bson_value_t *enum_vals;
	/* numbers */
	bool		has_min,
				has_max,
				excl_min,
				excl_max,
				has_multiple;
	bson_value_t min,
				max,
				multiple;
	/* strings */
	int64_t		min_len,
				max_len;		/* -1: absent */
	asp_regex  *pattern;
	const char *pattern_src;
	/* objects */
	int			nrequired;
	const char **required;
	uint32_t   *required_len;
	int64_t		min_props,
				max_props;
	int			nprops;
	jprop	   *props;
	int			npatterns;
	jpattern   *patterns;
	jaddl		addl;
	jnode	   *addl_schema;
	int			ndeps;
	jdep	   *deps;
	/* arrays */
	int64_t		min_items,
				max_items;
	bool		unique_items;
	jnode	   *items;			/* items as one schema */
	bool		items_is_list;
	int			nitems_list;
	jnode	  **items_list;
	jaddl		addl_items;
	jnode	   *addl_items_schema;
	/* logic */
	int			nall,
				nany,
				none;
	jnode	  **all,
			  **any,
			  **one;
	jnode	   *not;
};

struct asp_jschema
{
	uint8_t    *buf;			/* owned copy of the schema document */
	jnode	   *root;
};

/* ---------- type masks ---------- */

#define TYPE_BIT(t) (1u << (t))
#define BIT_MINKEY	(1u << 20)
#define BIT_MAXKEY	(1u << 21)
#define MASK_NUMBER (TYPE_BIT(BSON_TYPE_INT32) | TYPE_BIT(BSON_TYPE_INT64) | \
					 TYPE_BIT(BSON_TYPE_DOUBLE) | TYPE_BIT(BSON_TYPE_DECIMAL128))

/* type_bit: the mask bit of a BSON type (0 for missing) */
static uint32_t
type_bit(bson_type_t t)
{
	if (t == BSON_TYPE_MINKEY)
		return BIT_MINKEY;
	if (t == BSON_TYPE_MAXKEY)
		return BIT_MAXKEY;
	if ((int) t >= 1 && (int) t <= 19)
		return TYPE_BIT(t);
	return 0;
}

/* ---------- compilation ---------- */

typedef struct jcompile
{
	asp_error  *err;
	char		path[256];		/* location of the keyword being compiled */
	size_t		pathlen;
} jcompile;

/* jc_push: append ".seg" to the location; returns the length to restore */
static size_t
jc_push(jcompile *jc, const char *seg, size_t seglen)
{
	size_t		save = jc->pathlen;
	int			n;

	n = snprintf(jc->path + jc->pathlen, sizeof(jc->path) - jc->pathlen, "%s%.*s",
				 jc->pathlen ? "." : "", (int) seglen, seg);
	if (n > 0)
		jc->pathlen = strlen(jc->path);
	return save;
}

/* jc_pop: back to the location saved by jc_push */
static void
jc_pop(jcompile *jc, size_t save)
{
	jc->pathlen = save;
	jc->path[save] = '\0';
}

/* jc_error: a compile error at the current location; returns false */
static bool jc_error(jcompile *jc, const char *fmt,...) __attribute__((format(printf, 2, 3)));

static bool
jc_error(jcompile *jc, const char *fmt,...)
{
	va_list		ap;
	char		msg[ASP_ERROR_MSG_LEN];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	asp_error_set(jc->err, ASP_ERR_INVALID, "%s", msg);
	asp_error_where(jc->err, -1, NULL, jc->path);
	return false;
}

static void jnode_free(jnode *n);
static jnode *compile_node(jcompile *jc, const bson_value_t *schema);

/* xcalloc: calloc that aborts on out-of-memory */
static void *
xcalloc(size_t n, size_t size)
{
	void	   *p = calloc(n ? n : 1, size);

	if (p == NULL)
		abort();
	return p;
}

/* count_fields: number of elements of a document or array value */
static int
count_fields(const bson_value_t *v)
{
	bson_iter_t it;
	int			n = 0;

	if (bson_iter_init_from_data(&it, v->value.v_doc.data, v->value.v_doc.data_len))
		while (bson_iter_next(&it))
			n++;
	return n;
}

/* get_nonneg_int: a number with an exact non-negative integer value */
static bool
get_nonneg_int(const bson_value_t *v, int64_t *out)
{
	return asp_value_is_number(v) && asp_value_as_int64_exact(v, out) && *out >= 0;
}

/* add_type_name: add one type name of `type` or `bsonType` to the mask */
static bool
add_type_name(jcompile *jc, const char *kw, bool json, const char *name,
			  uint32_t len, uint32_t *mask)
{
	if (json)
	{
		static const struct
		{
			const char *name;
			uint32_t	mask;
		}			json_types[] =
		{
			{"object", TYPE_BIT(BSON_TYPE_DOCUMENT)},
			{"array", TYPE_BIT(BSON_TYPE_ARRAY)},
			{"number", MASK_NUMBER},
			{"boolean", TYPE_BIT(BSON_TYPE_BOOL)},
			{"string", TYPE_BIT(BSON_TYPE_UTF8)},
			{"null", TYPE_BIT(BSON_TYPE_NULL)},
		};
		size_t		i;

		for (i = 0; i < sizeof(json_types) / sizeof(json_types[0]); i++)
		{
			if (strlen(json_types[i].name) == len && memcmp(json_types[i].name, name, len) == 0)
			{
				*mask |= json_types[i].mask;
				return true;
			}
		}
		if (len == 7 && memcmp(name, "integer", 7) == 0)
		{
			jc_error(jc, "$jsonSchema type 'integer' is not currently supported");
			asp_error_hint(jc->err, "Use {bsonType: [\"int\", \"long\"]} for integers.");
			return false;
		}
		jc_error(jc, "unknown $jsonSchema type: %.*s", (int) len, name);
		asp_error_hint(jc->err, "JSON types are object, array, number, boolean, string and null; use bsonType for BSON types.");
		return false;
	}
	if (len == 6 && memcmp(name, "number", 6) == 0)
	{
		*mask |= MASK_NUMBER;
		return true;
	}
	{
		int			t = asp_type_from_name(name, len);

		if (t < 0)
		{
			jc_error(jc, "unknown type name alias in $jsonSchema keyword '%s': %.*s",
					 kw, (int) len, name);
			return false;
		}
		*mask |= type_bit((bson_type_t) t);
	}
	return true;
}

/* parse_types: the value of `type` or `bsonType` */
static bool
parse_types(jcompile *jc, jnode *n, const char *kw, const bson_value_t *v)
{
	bool		json = strcmp(kw, "type") == 0;

	if (n->has_type)
		return jc_error(jc, "cannot specify both $jsonSchema keywords 'type' and 'bsonType'");
	n->has_type = true;
	n->type_kw = json ? "type" : "bsonType";
	n->type_val = *v;
	if (v->value_type == BSON_TYPE_UTF8)
		return add_type_name(jc, kw, json, v->value.v_utf8.str, v->value.v_utf8.len,
							 &n->type_mask);
	if (v->value_type == BSON_TYPE_ARRAY)
	{
		bson_iter_t it,
					it2;
		int			count = 0;

		if (!bson_iter_init_from_data(&it, v->value.v_doc.data, v->value.v_doc.data_len))
			return jc_error(jc, "invalid BSON in $jsonSchema keyword '%s'", kw);
		while (bson_iter_next(&it))
		{
			uint32_t	len,
						len2;
			const char *s;

			if (!BSON_ITER_HOLDS_UTF8(&it))
				return jc_error(jc, "$jsonSchema keyword '%s' array elements must be strings", kw);
			s = bson_iter_utf8(&it, &len);
			/* no duplicates */
			it2 = it;
			while (bson_iter_next(&it2))
			{
				if (BSON_ITER_HOLDS_UTF8(&it2))
				{
					const char *s2 = bson_iter_utf8(&it2, &len2);

					if (len == len2 && memcmp(s, s2, len) == 0)
						return jc_error(jc, "$jsonSchema keyword '%s' array must not contain duplicate values", kw);
				}
			}
			if (!add_type_name(jc, kw, json, s, len, &n->type_mask))
				return false;
			count++;
		}
		if (count == 0)
			return jc_error(jc, "$jsonSchema keyword '%s' must name at least one type", kw);
		return true;
	}
	return jc_error(jc, "$jsonSchema keyword '%s' must be either a string or an array of strings", kw);
}

/* parse_schema_array: allOf / anyOf / oneOf / items-as-list */
static bool
parse_schema_array(jcompile *jc, const char *kw, const bson_value_t *v,
				   bool allow_empty, int *count, jnode ***out)
{
	bson_iter_t it;
	int			n,
				i = 0;

	if (v->value_type != BSON_TYPE_ARRAY)
		return jc_error(jc, "$jsonSchema keyword '%s' must be an array", kw);
	n = count_fields(v);
	if (n == 0 && !allow_empty)
		return jc_error(jc, "$jsonSchema keyword '%s' must be a non-empty array", kw);
	*out = xcalloc(n, sizeof(jnode *));
	*count = 0;
	if (!bson_iter_init_from_data(&it, v->value.v_doc.data, v->value.v_doc.data_len))
		return jc_error(jc, "invalid BSON in $jsonSchema keyword '%s'", kw);
	while (bson_iter_next(&it))
	{
		size_t		save = jc_push(jc, bson_iter_key(&it), bson_iter_key_len(&it));
		const bson_value_t *ev = bson_iter_value(&it);

		if (ev->value_type != BSON_TYPE_DOCUMENT)
			return jc_error(jc, "$jsonSchema keyword '%s' must be an array of objects", kw);
		(*out)[i] = compile_node(jc, ev);
		if ((*out)[i] == NULL)
			return false;
		*count = ++i;
		jc_pop(jc, save);
	}
	return true;
}

/* parse_string_list: an array of unique strings (required, dependencies) */
static bool
parse_string_list(jcompile *jc, const char *kw, const bson_value_t *v, bool allow_empty,
				  int *count, const char ***names, uint32_t **lens)
{
	bson_iter_t it;
	int			n,
				i = 0;

	if (v->value_type != BSON_TYPE_ARRAY)
		return jc_error(jc, "$jsonSchema keyword '%s' must be an array of strings", kw);
	n = count_fields(v);
	if (n == 0 && !allow_empty)
		return jc_error(jc, "$jsonSchema keyword '%s' cannot be an empty array", kw);
	*names = xcalloc(n, sizeof(char *));
	*lens = xcalloc(n, sizeof(uint32_t));
	*count = 0;
	if (!bson_iter_init_from_data(&it, v->value.v_doc.data, v->value.v_doc.data_len))
		return jc_error(jc, "invalid BSON in $jsonSchema keyword '%s'", kw);
	while (bson_iter_next(&it))
	{
		uint32_t	len;
		const char *s;
		int			j;

		if (!BSON_ITER_HOLDS_UTF8(&it))
			return jc_error(jc, "$jsonSchema keyword '%s' must be an array of strings", kw);
		s = bson_iter_utf8(&it, &len);
		for (j = 0; j < i; j++)
			if ((*lens)[j] == len && memcmp((*names)[j], s, len) == 0)
				return jc_error(jc, "$jsonSchema keyword '%s' array must not contain duplicate values", kw);
		(*names)[i] = s;
		(*lens)[i] = len;
		*count = ++i;
	}
	return true;
}

static bool values_equal_unordered(const bson_value_t *a, const bson_value_t *b);

/* parse_keyword: one keyword of a schema object */
static bool
parse_keyword(jcompile *jc, jnode *n, const char *kw, const bson_value_t *v,
			  bool *has_excl_min, bool *has_excl_max)
{
	if (strcmp(kw, "type") == 0 || strcmp(kw, "bsonType") == 0)
		return parse_types(jc, n, kw, v);
	if (strcmp(kw, "title") == 0 || strcmp(kw, "description") == 0)
	{
		if (v->value_type != BSON_TYPE_UTF8)
			return jc_error(jc, "$jsonSchema keyword '%s' must be a string", kw);
		return true;
	}
	if (strcmp(kw, "minimum") == 0 || strcmp(kw, "maximum") == 0 ||
		strcmp(kw, "multipleOf") == 0)
	{
		if (!asp_value_is_number(v))
			return jc_error(jc, "$jsonSchema keyword '%s' must be a number", kw);
		if (kw[1] == 'i')
			n->has_min = true, n->min = *v;
		else if (kw[1] == 'a')
			n->has_max = true, n->max = *v;
		else
		{
			if (!(asp_value_compare(v, &(bson_value_t) {.value_type = BSON_TYPE_INT32}) > 0) ||
				(v->value_type == BSON_TYPE_DOUBLE && v->value.v_double != v->value.v_double))
				return jc_error(jc, "$jsonSchema keyword 'multipleOf' must have a positive value");
			if (v->value_type == BSON_TYPE_DOUBLE && v->value.v_double * 0 != 0)
				return jc_error(jc, "$jsonSchema keyword 'multipleOf' must be finite");
			if (v->value_type == BSON_TYPE_DECIMAL128 &&
				asp_dec_is_inf(asp_dec_from_bson(&v->value.v_decimal128)))
				return jc_error(jc, "$jsonSchema keyword 'multipleOf' must be finite");
			n->has_multiple = true;
			n->multiple = *v;
		}
		return true;
	}
	if (strcmp(kw, "exclusiveMinimum") == 0 || strcmp(kw, "exclusiveMaximum") == 0)
	{
		if (v->value_type != BSON_TYPE_BOOL)
			return jc_error(jc, "$jsonSchema keyword '%s' must be a boolean", kw);
		if (kw[10] == 'i')
			n->excl_min = v->value.v_bool, *has_excl_min = true;
		else
			n->excl_max = v->value.v_bool, *has_excl_max = true;
		return true;
	}
	if (strcmp(kw, "minLength") == 0 || strcmp(kw, "maxLength") == 0 ||
		strcmp(kw, "minProperties") == 0 || strcmp(kw, "maxProperties") == 0 ||
		strcmp(kw, "minItems") == 0 || strcmp(kw, "maxItems") == 0)
	{
		int64_t		i;

		if (!get_nonneg_int(v, &i))
			return jc_error(jc, "$jsonSchema keyword '%s' must be a non-negative integer", kw);
		if (strcmp(kw, "minLength") == 0)
			n->min_len = i;
		else if (strcmp(kw, "maxLength") == 0)
			n->max_len = i;
		else if (strcmp(kw, "minProperties") == 0)
			n->min_props = i;
		else if (strcmp(kw, "maxProperties") == 0)
			n->max_props = i;
		else if (strcmp(kw, "minItems") == 0)
			n->min_items = i;
		else
			n->max_items = i;
		return true;
	}
	if (strcmp(kw, "pattern") == 0)
	{
		if (v->value_type != BSON_TYPE_UTF8)
			return jc_error(jc, "$jsonSchema keyword 'pattern' must be a string");
		n->pattern = asp_regex_compile(v->value.v_utf8.str, v->value.v_utf8.len, "", jc->err);
		if (n->pattern == NULL)
		{
			asp_error_where(jc->err, -1, NULL, jc->path);
			return false;
		}
		n->pattern_src = v->value.v_utf8.str;
		return true;
	}
	if (strcmp(kw, "enum") == 0)
	{
		bson_iter_t it;
		int			cnt,
					i = 0,
					j;

		if (v->value_type != BSON_TYPE_ARRAY)
			return jc_error(jc, "$jsonSchema keyword 'enum' must be an array");
		cnt = count_fields(v);
		if (cnt == 0)
			return jc_error(jc, "$jsonSchema keyword 'enum' cannot be an empty array");
		n->enum_vals = xcalloc(cnt, sizeof(bson_value_t));
		if (bson_iter_init_from_data(&it, v->value.v_doc.data, v->value.v_doc.data_len))
		{
			while (bson_iter_next(&it) && i < cnt)
			{
				const bson_value_t *ev = bson_iter_value(&it);

				for (j = 0; j < i; j++)
					if (values_equal_unordered(&n->enum_vals[j], ev))
						return jc_error(jc, "$jsonSchema keyword 'enum' array must not contain duplicate values");
				n->enum_vals[i++] = *ev;
			}
		}
		n->nenum = i;
		return true;
	}
	if (strcmp(kw, "required") == 0)
		return parse_string_list(jc, kw, v, false, &n->nrequired, &n->required, &n->required_len);
	if (strcmp(kw, "properties") == 0 || strcmp(kw, "patternProperties") == 0)
	{
		bool		pat = kw[0] == 'p' && kw[1] == 'a';
		bson_iter_t it;
		int			cnt,
					i = 0;

		if (v->value_type != BSON_TYPE_DOCUMENT)
			return jc_error(jc, "$jsonSchema keyword '%s' must be an object", kw);
		cnt = count_fields(v);
		if (pat)
			n->patterns = xcalloc(cnt, sizeof(jpattern));
		else
			n->props = xcalloc(cnt, sizeof(jprop));
		if (!bson_iter_init_from_data(&it, v->value.v_doc.data, v->value.v_doc.data_len))
			return jc_error(jc, "invalid BSON in $jsonSchema keyword '%s'", kw);
		while (bson_iter_next(&it) && i < cnt)
		{
			const bson_value_t *ev = bson_iter_value(&it);
			size_t		save = jc_push(jc, bson_iter_key(&it), bson_iter_key_len(&it));
			jnode	   *sub;

			if (ev->value_type != BSON_TYPE_DOCUMENT)
				return jc_error(jc, "nested schema for $jsonSchema property '%s' must be an object",
								bson_iter_key(&it));
			if (pat)
			{
				n->patterns[i].src = bson_iter_key(&it);
				n->patterns[i].re = asp_regex_compile(bson_iter_key(&it), bson_iter_key_len(&it),
													  "", jc->err);
				if (n->patterns[i].re == NULL)
				{
					asp_error_where(jc->err, -1, NULL, jc->path);
					n->npatterns = i;
					return false;
				}
				n->npatterns = i + 1;
			}
			sub = compile_node(jc, ev);
			if (sub == NULL)
				return false;
			if (pat)
				n->patterns[i].schema = sub;
			else
			{
				n->props[i].name = bson_iter_key(&it);
				n->props[i].len = bson_iter_key_len(&it);
				n->props[i].schema = sub;
				n->nprops = i + 1;
			}
			i++;
			jc_pop(jc, save);
		}
		return true;
	}
	if (strcmp(kw, "additionalProperties") == 0 || strcmp(kw, "additionalItems") == 0)
	{
		bool		props = kw[10] == 'P';
		jaddl	   *mode = props ? &n->addl : &n->addl_items;
		jnode	  **schema = props ? &n->addl_schema : &n->addl_items_schema;

		if (v->value_type == BSON_TYPE_BOOL)
			*mode = v->value.v_bool ? ADDL_TRUE : ADDL_FALSE;
		else if (v->value_type == BSON_TYPE_DOCUMENT)
		{
			*mode = ADDL_SCHEMA;
			*schema = compile_node(jc, v);
			if (*schema == NULL)
				return false;
		}
		else
			return jc_error(jc, "$jsonSchema keyword '%s' must be either an object or a boolean", kw);
		return true;
	}
	if (strcmp(kw, "items") == 0)
	{
		if (v->value_type == BSON_TYPE_DOCUMENT)
		{
			n->items = compile_node(jc, v);
			return n->items != NULL;
		}
		if (v->value_type == BSON_TYPE_ARRAY)
		{
			n->items_is_list = true;
			return parse_schema_array(jc, kw, v, true, &n->nitems_list, &n->items_list);
		}
		return jc_error(jc, "$jsonSchema keyword 'items' must be an array or an object");
	}
	if (strcmp(kw, "uniqueItems") == 0)
	{
		if (v->value_type != BSON_TYPE_BOOL)
			return jc_error(jc, "$jsonSchema keyword 'uniqueItems' must be a boolean");
		n->unique_items = v->value.v_bool;
		return true;
	}
	if (strcmp(kw, "allOf") == 0)
		return parse_schema_array(jc, kw, v, false, &n->nall, &n->all);
	if (strcmp(kw, "anyOf") == 0)
		return parse_schema_array(jc, kw, v, false, &n->nany, &n->any);
	if (strcmp(kw, "oneOf") == 0)
		return parse_schema_array(jc, kw, v, false, &n->none, &n->one);
	if (strcmp(kw, "not") == 0)
	{
		if (v->value_type != BSON_TYPE_DOCUMENT)
			return jc_error(jc, "$jsonSchema keyword 'not' must be an object");
		n->not = compile_node(jc, v);
		return n->not != NULL;
	}
	if (strcmp(kw, "dependencies") == 0)
	{
		bson_iter_t it;
		int			cnt,
					i = 0;

		if (v->value_type != BSON_TYPE_DOCUMENT)
			return jc_error(jc, "$jsonSchema keyword 'dependencies' must be an object");
		cnt = count_fields(v);
		n->deps = xcalloc(cnt, sizeof(jdep));
		if (!bson_iter_init_from_data(&it, v->value.v_doc.data, v->value.v_doc.data_len))
			return jc_error(jc, "invalid BSON in $jsonSchema keyword 'dependencies'");
		while (bson_iter_next(&it) && i < cnt)
		{
			const bson_value_t *ev = bson_iter_value(&it);
			size_t		save = jc_push(jc, bson_iter_key(&it), bson_iter_key_len(&it));
			jdep	   *d = &n->deps[i];

			d->name = bson_iter_key(&it);
			d->len = bson_iter_key_len(&it);
			n->ndeps = ++i;
			if (ev->value_type == BSON_TYPE_DOCUMENT)
			{
				d->schema = compile_node(jc, ev);
				if (d->schema == NULL)
					return false;
			}
			else if (ev->value_type == BSON_TYPE_ARRAY)
			{
				if (!parse_string_list(jc, "dependencies", ev, true, &d->nnames, &d->names, &d->lens))
					return false;
			}
			else
				return jc_error(jc, "each dependency of $jsonSchema keyword 'dependencies' must be an object or an array of strings");
			jc_pop(jc, save);
		}
		return true;
	}
	if (strcmp(kw, "$ref") == 0 || strcmp(kw, "$schema") == 0 ||
		strcmp(kw, "default") == 0 || strcmp(kw, "definitions") == 0 ||
		strcmp(kw, "format") == 0 || strcmp(kw, "id") == 0)
		return jc_error(jc, "$jsonSchema keyword '%s' is not currently supported", kw);
	if (strcmp(kw, "encrypt") == 0 || strcmp(kw, "encryptMetadata") == 0)
	{
		asp_error_set(jc->err, ASP_ERR_UNSUPPORTED,
					  "$jsonSchema keyword '%s' is not supported in stream processing", kw);
		asp_error_where(jc->err, -1, NULL, jc->path);
		return false;
	}
	return jc_error(jc, "unknown $jsonSchema keyword: %s", kw);
}

/* compile_node: compile one schema object */
static jnode *
compile_node(jcompile *jc, const bson_value_t *schema)
{
	jnode	   *n = xcalloc(1, sizeof(jnode));
	bson_iter_t it;
	bool		has_excl_min = false,
				has_excl_max = false;

	n->min_len = n->max_len = -1;
	n->min_props = n->max_props = -1;
	n->min_items = n->max_items = -1;
	if (!bson_iter_init_from_data(&it, schema->value.v_doc.data, schema->value.v_doc.data_len))
	{
		jc_error(jc, "invalid BSON in $jsonSchema");
		jnode_free(n);
		return NULL;
	}
	while (bson_iter_next(&it))
	{
		const char *kw = bson_iter_key(&it);
		size_t		save = jc_push(jc, kw, bson_iter_key_len(&it));

		if (!parse_keyword(jc, n, kw, bson_iter_value(&it), &has_excl_min, &has_excl_max))
		{
			jnode_free(n);
			return NULL;
		}
		jc_pop(jc, save);
	}
	if (has_excl_max && !n->has_max)
	{
		jc_error(jc, "$jsonSchema keyword 'maximum' must be present if exclusiveMaximum is present");
		jnode_free(n);
		return NULL;
	}
	if (has_excl_min && !n->has_min)
	{
		jc_error(jc, "$jsonSchema keyword 'minimum' must be present if exclusiveMinimum is present");
		jnode_free(n);
		return NULL;
	}
	return n;
}

/* jnode_free: free a schema node and its children */
static void
jnode_free(jnode *n)
{
	int			i;

	if (n == NULL)
		return;
	free(n->enum_vals);
	asp_regex_free(n->pattern);
	free(n->required);
	free(n->required_len);
	for (i = 0; i < n->nprops; i++)
		jnode_free(n->props[i].schema);
	free(n->props);
	for (i = 0; i < n->npatterns; i++)
	{
		asp_regex_free(n->patterns[i].re);
		jnode_free(n->patterns[i].schema);
	}
	free(n->patterns);
	jnode_free(n->addl_schema);
	for (i = 0; i < n->ndeps; i++)
	{
		free(n->deps[i].names);
		free(n->deps[i].lens);
		jnode_free(n->deps[i].schema);
	}
	free(n->deps);
	jnode_free(n->items);
	for (i = 0; i < n->nitems_list; i++)
		jnode_free(n->items_list[i]);
	free(n->items_list);
	jnode_free(n->addl_items_schema);
	for (i = 0; i < n->nall; i++)
		jnode_free(n->all[i]);
	free(n->all);
	for (i = 0; i < n->nany; i++)
		jnode_free(n->any[i]);
	free(n->any);
	for (i = 0; i < n->none; i++)
		jnode_free(n->one[i]);
	free(n->one);
	jnode_free(n->not);
	free(n);
}

/* asp_jschema_compile: compile a $jsonSchema document */
asp_jschema *
asp_jschema_compile(const uint8_t *schema, uint32_t len, asp_error *err)
{
	jcompile	jc;
	asp_jschema *s;
	bson_value_t v;

	memset(&jc, 0, sizeof(jc));
	jc.err = err;
	jc_push(&jc, "$jsonSchema", 11);
	s = xcalloc(1, sizeof(asp_jschema));
	s->buf = malloc(len ? len : 1);
	if (s->buf == NULL)
		abort();
	memcpy(s->buf, schema, len);
	asp_value_set_doc(&v, BSON_TYPE_DOCUMENT, s->buf, len);
	s->root = compile_node(&jc, &v);
	if (s->root == NULL)
	{
		free(s->buf);
		free(s);
		return NULL;
	}
	return s;
}

/* asp_jschema_free: free a compiled schema (NULL is fine) */
void
asp_jschema_free(asp_jschema *s)
{
	if (s == NULL)
		return;
	jnode_free(s->root);
	free(s->buf);
	free(s);
}

/* ---------- value helpers ---------- */

/*
 * values_equal_unordered: MongoDB's $_internalSchemaEq comparison, used by
 * enum and uniqueItems: documents are equal when they have the same fields
 * with equal values in any order; arrays compare element by element;
 * numbers compare by value across types.
 */
static bool
values_equal_unordered(const bson_value_t *a, const bson_value_t *b)
{
	bson_iter_t ia,
				ib;

	if (a->value_type == BSON_TYPE_DOCUMENT && b->value_type == BSON_TYPE_DOCUMENT)
	{
		int			na = 0,
					nb = 0;

		if (!bson_iter_init_from_data(&ia, a->value.v_doc.data, a->value.v_doc.data_len) ||
			!bson_iter_init_from_data(&ib, b->value.v_doc.data, b->value.v_doc.data_len))
			return false;
		while (bson_iter_next(&ib))
			nb++;
		while (bson_iter_next(&ia))
		{
			bson_value_t bv;

			na++;
			if (!asp_doc_get(b->value.v_doc.data, b->value.v_doc.data_len,
							 bson_iter_key(&ia), bson_iter_key_len(&ia), &bv))
				return false;
			if (!values_equal_unordered(bson_iter_value(&ia), &bv))
				return false;
		}
		return na == nb;
	}
	if (a->value_type == BSON_TYPE_ARRAY && b->value_type == BSON_TYPE_ARRAY)
	{
		if (!bson_iter_init_from_data(&ia, a->value.v_doc.data, a->value.v_doc.data_len) ||
			!bson_iter_init_from_data(&ib, b->value.v_doc.data, b->value.v_doc.data_len))
			return false;
		for (;;)
		{
			bool		ma = bson_iter_next(&ia),
						mb = bson_iter_next(&ib);

			if (!ma || !mb)
				return ma == mb;
			if (!values_equal_unordered(bson_iter_value(&ia), bson_iter_value(&ib)))
				return false;
		}
	}
	return asp_value_compare(a, b) == 0;
}

/* dec_is_integral: true if a finite decimal128 has no fractional part */
static bool
dec_is_integral(asp_dec128 d)
{
	bson_decimal128_t b;
	uint64_t	hi;
	int			exp;
	unsigned __int128 coef,
				p = 1;
	int			i;

	memcpy(&b, &d, sizeof(b));
	hi = b.high;
	if (((hi >> 58) & 0x1E) == 0x1E)
		return false;			/* infinity or NaN */
	if (((hi >> 61) & 3) == 3)
		return true;			/* non-canonical coefficient: the value is zero */
	exp = (int) ((hi >> 49) & 0x3FFF) - 6176;
	coef = ((unsigned __int128) (hi & 0x1FFFFFFFFFFFFULL) << 64) | b.low;
	if (exp >= 0 || coef == 0)
		return true;
	if (-exp > 34)
		return false;			/* 10^35 exceeds any coefficient */
	for (i = 0; i < -exp; i++)
		p *= 10;
	return coef % p == 0;
}

/* is_multiple_of: value is a multiple of m (m > 0), as $_internalSchemaFmod */
static bool
is_multiple_of(const bson_value_t *v, const bson_value_t *m)
{
	int64_t		a,
				b;
	asp_dec128	da,
				db,
				q;

	if (asp_value_as_int64_exact(v, &a) && asp_value_as_int64_exact(m, &b) && b > 0)
		return a % b == 0;
	da = asp_value_as_decimal(v);
	db = asp_value_as_decimal(m);
	if (asp_dec_is_nan(da) || asp_dec_is_inf(da))
		return false;
	q = da / db;
	return dec_is_integral(q) && q * db == da;
}

/* utf8_length: number of code points */
static int64_t
utf8_length(const char *s, uint32_t len)
{
	int64_t		n = 0;
	uint32_t	i;

	for (i = 0; i < len; i++)
		if (((unsigned char) s[i] & 0xC0) != 0x80)
			n++;
	return n;
}

/* is_nan_number: a double or decimal NaN */
static bool
is_nan_number(const bson_value_t *v)
{
	if (v->value_type == BSON_TYPE_DOUBLE)
		return v->value.v_double != v->value.v_double;
	if (v->value_type == BSON_TYPE_DECIMAL128)
		return asp_dec_is_nan(asp_dec_from_bson(&v->value.v_decimal128));
	return false;
}

/* ---------- validation ---------- */

typedef struct jval
{
	char	   *reason;			/* NULL: no reason wanted */
	size_t		size;
	char		path[256];		/* dotted location of the value being checked */
	size_t		pathlen;
} jval;

/* jv_push: descend into field or element `seg` (only tracked with a reason) */
static size_t
jv_push(jval *vs, const char *seg, size_t seglen)
{
	size_t		save = vs->pathlen;

	if (vs->reason != NULL)
	{
		snprintf(vs->path + vs->pathlen, sizeof(vs->path) - vs->pathlen, "%s%.*s",
				 vs->pathlen ? "." : "", (int) seglen, seg);
		vs->pathlen = strlen(vs->path);
	}
	return save;
}

/* jv_pop: back to the location saved by jv_push */
static void
jv_pop(jval *vs, size_t save)
{
	if (vs->reason != NULL)
	{
		vs->pathlen = save;
		vs->path[save] = '\0';
	}
}

/* jv_fail: record why validation failed at the current location; returns false */
static bool jv_fail(jval *vs, const char *fmt,...) __attribute__((format(printf, 2, 3)));

static bool
jv_fail(jval *vs, const char *fmt,...)
{
	va_list		ap;
	int			n;

	if (vs->reason == NULL || vs->size == 0)
		return false;
	if (vs->pathlen > 0)
		n = snprintf(vs->reason, vs->size, "property '%s' ", vs->path);
	else
		n = snprintf(vs->reason, vs->size, "document ");
	if (n < 0 || (size_t) n >= vs->size)
		return false;
	va_start(ap, fmt);
	vsnprintf(vs->reason + n, vs->size - n, fmt, ap);
	va_end(ap);
	return false;
}

static bool validate(const jnode *n, const bson_value_t *v, jval *vs);

/* quiet_validate: validate without recording a reason */
static bool
quiet_validate(const jnode *n, const bson_value_t *v)
{
	jval		q;

	q.reason = NULL;
	q.size = 0;
	q.pathlen = 0;
	q.path[0] = '\0';
	return validate(n, v, &q);
}

/* validate_object: the object keywords */
static bool
validate_object(const jnode *n, const bson_value_t *v, jval *vs)
{
	const uint8_t *data = v->value.v_doc.data;
	uint32_t	len = v->value.v_doc.data_len;
	bson_value_t fv;
	bson_iter_t it;
	int			i;

	for (i = 0; i < n->nrequired; i++)
	{
		if (!asp_doc_get(data, len, n->required[i], n->required_len[i], &fv))
		{
			size_t		save = jv_push(vs, n->required[i], n->required_len[i]);

			jv_fail(vs, "is required");
			jv_pop(vs, save);
			return false;
		}
	}
	if (n->min_props >= 0 || n->max_props >= 0)
	{
		int64_t		cnt = count_fields(v);

		if (n->min_props >= 0 && cnt < n->min_props)
			return jv_fail(vs, "must have at least %lld properties (found %lld)",
						   (long long) n->min_props, (long long) cnt);
		if (n->max_props >= 0 && cnt > n->max_props)
			return jv_fail(vs, "must have at most %lld properties (found %lld)",
						   (long long) n->max_props, (long long) cnt);
	}
	for (i = 0; i < n->nprops; i++)
	{
		if (asp_doc_get(data, len, n->props[i].name, n->props[i].len, &fv))
		{
			size_t		save = jv_push(vs, n->props[i].name, n->props[i].len);
			bool		r = validate(n->props[i].schema, &fv, vs);

			jv_pop(vs, save);
			if (!r)
				return false;
		}
	}
	if (n->npatterns > 0 || n->addl == ADDL_FALSE || n->addl == ADDL_SCHEMA)
	{
		if (!bson_iter_init_from_data(&it, data, len))
			return jv_fail(vs, "is not valid BSON");
		while (bson_iter_next(&it))
		{
			const char *key = bson_iter_key(&it);
			uint32_t	klen = bson_iter_key_len(&it);
			bool		covered = false;

			for (i = 0; i < n->npatterns; i++)
			{
				if (asp_regex_match(n->patterns[i].re, key, klen))
				{
					size_t		save = jv_push(vs, key, klen);
					bool		r = validate(n->patterns[i].schema, bson_iter_value(&it), vs);

					jv_pop(vs, save);
					if (!r)
						return false;
					covered = true;
				}
			}
			if (covered || n->addl == ADDL_ABSENT || n->addl == ADDL_TRUE)
				continue;
			for (i = 0; i < n->nprops && !covered; i++)
				covered = n->props[i].len == klen && memcmp(n->props[i].name, key, klen) == 0;
			if (covered)
				continue;
			{
				size_t		save = jv_push(vs, key, klen);
				bool		r;

				if (n->addl == ADDL_FALSE)
				{
					jv_fail(vs, "is not allowed by additionalProperties: false");
					r = false;
				}
				else
					r = validate(n->addl_schema, bson_iter_value(&it), vs);
				jv_pop(vs, save);
				if (!r)
					return false;
			}
		}
	}
	for (i = 0; i < n->ndeps; i++)
	{
		const jdep *d = &n->deps[i];
		int			j;

		if (!asp_doc_get(data, len, d->name, d->len, &fv))
			continue;
		if (d->schema != NULL)
		{
			if (!validate(d->schema, v, vs))
				return false;
			continue;
		}
		for (j = 0; j < d->nnames; j++)
		{
			if (!asp_doc_get(data, len, d->names[j], d->lens[j], &fv))
			{
				size_t		save = jv_push(vs, d->names[j], d->lens[j]);

				jv_fail(vs, "is required because property '%s' is present", d->name);
				jv_pop(vs, save);
				return false;
			}
		}
	}
	return true;
}

/* validate_array: the array keywords */
static bool
validate_array(const jnode *n, const bson_value_t *v, jval *vs)
{
	bson_iter_t it;
	int64_t		cnt;
	int			i;

	if (!bson_iter_init_from_data(&it, v->value.v_doc.data, v->value.v_doc.data_len))
		return jv_fail(vs, "is not valid BSON");
	cnt = count_fields(v);
	if (n->min_items >= 0 && cnt < n->min_items)
		return jv_fail(vs, "must have at least %lld items (found %lld)",
					   (long long) n->min_items, (long long) cnt);
	if (n->max_items >= 0 && cnt > n->max_items)
		return jv_fail(vs, "must have at most %lld items (found %lld)",
					   (long long) n->max_items, (long long) cnt);
	if (n->unique_items)
	{
		bson_iter_t it2;

		while (bson_iter_next(&it))
		{
			it2 = it;
			while (bson_iter_next(&it2))
				if (values_equal_unordered(bson_iter_value(&it), bson_iter_value(&it2)))
					return jv_fail(vs, "must not contain duplicate items (items %s and %s are equal)",
								   bson_iter_key(&it), bson_iter_key(&it2));
		}
		bson_iter_init_from_data(&it, v->value.v_doc.data, v->value.v_doc.data_len);
	}
	if (n->items == NULL && !n->items_is_list)
		return true;
	i = 0;
	while (bson_iter_next(&it))
	{
		const jnode *sub = NULL;

		if (!n->items_is_list)
			sub = n->items;
		else if (i < n->nitems_list)
			sub = n->items_list[i];
		else if (n->addl_items == ADDL_FALSE)
		{
			size_t		save = jv_push(vs, bson_iter_key(&it), bson_iter_key_len(&it));

			jv_fail(vs, "is not allowed by additionalItems: false (at most %d items)",
					n->nitems_list);
			jv_pop(vs, save);
			return false;
		}
		else if (n->addl_items == ADDL_SCHEMA)
			sub = n->addl_items_schema;
		i++;
		if (sub != NULL)
		{
			size_t		save = jv_push(vs, bson_iter_key(&it), bson_iter_key_len(&it));
			bool		r = validate(sub, bson_iter_value(&it), vs);

			jv_pop(vs, save);
			if (!r)
				return false;
		}
	}
	return true;
}

/* validate_number: minimum, maximum, multipleOf */
static bool
validate_number(const jnode *n, const bson_value_t *v, jval *vs)
{
	char		b1[64],
				b2[64];

	if (n->has_min)
	{
		int			c = asp_value_compare(v, &n->min);

		if (is_nan_number(v) || c < 0 || (c == 0 && n->excl_min))
		{
			if (vs->reason == NULL)
				return false;
			asp_value_describe(&n->min, b1, sizeof(b1));
			asp_value_describe(v, b2, sizeof(b2));
			return jv_fail(vs, "must be %s %s (found %s)", n->excl_min ? ">" : ">=", b1, b2);
		}
	}
	if (n->has_max)
	{
		int			c = asp_value_compare(v, &n->max);

		if (is_nan_number(v) || c > 0 || (c == 0 && n->excl_max))
		{
			if (vs->reason == NULL)
				return false;
			asp_value_describe(&n->max, b1, sizeof(b1));
			asp_value_describe(v, b2, sizeof(b2));
			return jv_fail(vs, "must be %s %s (found %s)", n->excl_max ? "<" : "<=", b1, b2);
		}
	}
	if (n->has_multiple && !is_multiple_of(v, &n->multiple))
	{
		if (vs->reason == NULL)
			return false;
		asp_value_describe(&n->multiple, b1, sizeof(b1));
		asp_value_describe(v, b2, sizeof(b2));
		return jv_fail(vs, "must be a multiple of %s (found %s)", b1, b2);
	}
	return true;
}

/* validate: check one value against a schema node */
static bool
validate(const jnode *n, const bson_value_t *v, jval *vs)
{
	int			i;

	if (n->has_type && (type_bit(v->value_type) & n->type_mask) == 0)
	{
		char		tb[96];

		if (vs->reason == NULL)
			return false;
		asp_value_describe(&n->type_val, tb, sizeof(tb));
		return jv_fail(vs, "must be of %s %s (found %s)", n->type_kw, tb,
					   asp_type_name(v->value_type));
	}
	if (n->nenum > 0)
	{
		for (i = 0; i < n->nenum; i++)
			if (values_equal_unordered(v, &n->enum_vals[i]))
				break;
		if (i == n->nenum)
			return jv_fail(vs, "is not one of the values allowed by enum");
	}
	switch (v->value_type)
	{
		case BSON_TYPE_INT32:
		case BSON_TYPE_INT64:
		case BSON_TYPE_DOUBLE:
		case BSON_TYPE_DECIMAL128:
			if (!validate_number(n, v, vs))
				return false;
			break;
		case BSON_TYPE_UTF8:
			if (n->min_len >= 0 || n->max_len >= 0)
			{
				int64_t		l = utf8_length(v->value.v_utf8.str, v->value.v_utf8.len);

				if (n->min_len >= 0 && l < n->min_len)
					return jv_fail(vs, "must be at least %lld characters long (found %lld)",
								   (long long) n->min_len, (long long) l);
				if (n->max_len >= 0 && l > n->max_len)
					return jv_fail(vs, "must be at most %lld characters long (found %lld)",
								   (long long) n->max_len, (long long) l);
			}
			if (n->pattern != NULL &&
				!asp_regex_match(n->pattern, v->value.v_utf8.str, v->value.v_utf8.len))
				return jv_fail(vs, "does not match pattern /%s/", n->pattern_src);
			break;
		case BSON_TYPE_DOCUMENT:
			if (!validate_object(n, v, vs))
				return false;
			break;
		case BSON_TYPE_ARRAY:
			if (!validate_array(n, v, vs))
				return false;
			break;
		default:
			break;
	}
	for (i = 0; i < n->nall; i++)
		if (!validate(n->all[i], v, vs))
			return false;
	if (n->nany > 0)
	{
		for (i = 0; i < n->nany; i++)
			if (quiet_validate(n->any[i], v))
				break;
		if (i == n->nany)
			return jv_fail(vs, "does not match any schema of anyOf");
	}
	if (n->none > 0)
	{
		int			matched = 0;

		for (i = 0; i < n->none; i++)
			if (quiet_validate(n->one[i], v))
				matched++;
		if (matched != 1)
			return jv_fail(vs, "matches %d schemas of oneOf, expected exactly one", matched);
	}
	if (n->not != NULL && quiet_validate(n->not, v))
		return jv_fail(vs, "matches the schema of not");
	return true;
}

/* asp_jschema_validate: check a value against the schema */
bool
asp_jschema_validate(const asp_jschema *s, const bson_value_t *v,
					 char *reason, size_t reason_size)
{
	jval		vs;

	vs.reason = reason;
	vs.size = reason_size;
	vs.pathlen = 0;
	vs.path[0] = '\0';
	if (reason != NULL && reason_size > 0)
		reason[0] = '\0';
	return validate(s->root, v, &vs);
}
