/*-------------------------------------------------------------------------
 *
 * expr.c
 *	  The aggregation expression compiler and the core expressions:
 *	  literals, field paths, variables, object and array expressions,
 *	  $literal, $let and $meta.  Operators live in expr_*.c tables.
 *
 * Compilation resolves every operator name and variable once; evaluation
 * is a walk over asp_expr nodes calling their eval functions.  Pure
 * operators whose arguments are all constant are folded at compile time.
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expr.h"

static const asp_op_def *const op_tables[] = {
	asp_ops_arith, asp_ops_logic, asp_ops_string, asp_ops_array,
	asp_ops_type, asp_ops_date, NULL
};

static asp_expr *compile_operator(asp_expr_compiler *c, const char *name,
								  size_t namelen, const bson_value_t *operand);

/* asp_expr_compiler_init: a compiler with only $$ROOT and $$CURRENT in scope */
void
asp_expr_compiler_init(asp_expr_compiler *c, asp_error *err, const char *where)
{
	memset(c, 0, sizeof(*c));
	c->err = err;
	c->where = where ? where : "";
	c->next_slot = ASP_VAR_FIRST_USER;
	c->max_slot = ASP_VAR_FIRST_USER;
}

/* asp_eval_ctx_init: zero the context and attach arena and error */
void
asp_eval_ctx_init(asp_eval_ctx *ctx, asp_arena *arena, asp_error *err)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->arena = arena;
	ctx->err = err;
}

/* asp_eval_error: set a runtime error and return false */
bool
asp_eval_error(asp_eval_ctx *ctx, const char *fmt,...)
{
	va_list		ap;

	if (ctx->err == NULL)
		return false;
	asp_error_init(ctx->err);
	ctx->err->code = ASP_ERR_RUNTIME;
	va_start(ap, fmt);
	vsnprintf(ctx->err->message, sizeof(ctx->err->message), fmt, ap);
	va_end(ap);
	return false;
}

/* asp_expr_compile_error: set a compile error at the compiler's location */
asp_expr *
asp_expr_compile_error(asp_expr_compiler *c, const char *fmt,...)
{
	va_list		ap;

	if (c->err == NULL)
		return NULL;
	asp_error_init(c->err);
	c->err->code = ASP_ERR_INVALID;
	va_start(ap, fmt);
	vsnprintf(c->err->message, sizeof(c->err->message), fmt, ap);
	va_end(ap);
	asp_error_where(c->err, -1, NULL, c->where);
	return NULL;
}

/* asp_array_key: the key of array element i */
const char *
asp_array_key(uint32_t i, char *buf, size_t bufsize, size_t *keylen)
{
	const char *key;

	*keylen = bson_uint32_to_string(i, &key, buf, bufsize);
	return key;
}

/* asp_find_op: an operator definition by name, or NULL */
const asp_op_def *
asp_find_op(const char *name, size_t len)
{
	int			t;

	for (t = 0; op_tables[t] != NULL; t++)
	{
		const asp_op_def *d;

		for (d = op_tables[t]; d->name != NULL; d++)
			if (strlen(d->name) == len && memcmp(d->name, name, len) == 0)
				return d;
	}
	return NULL;
}

/* asp_expr_new: an empty node with room for nargs arguments */
asp_expr *
asp_expr_new(const char *name, asp_expr_eval_fn eval, int nargs)
{
	asp_expr   *e = calloc(1, sizeof(asp_expr));

	if (e == NULL)
		abort();
	e->name = name;
	e->eval = eval;
	e->nargs = nargs;
	e->var = -1;
	if (nargs > 0)
	{
		e->args = calloc(nargs, sizeof(asp_expr *));
		if (e->args == NULL)
			abort();
	}
	return e;
}

/* asp_expr_free: free a node and everything below it */
void
asp_expr_free(asp_expr *e)
{
	int			i;

	if (e == NULL)
		return;
	for (i = 0; i < e->nargs; i++)
		asp_expr_free(e->args[i]);
	free(e->args);
	if (e->keys)
	{
		for (i = 0; i < e->nargs; i++)
			free(e->keys[i]);
		free(e->keys);
	}
	if (e->is_const)
		bson_value_destroy(&e->constant);
	if (e->path.parts)
		asp_path_destroy(&e->path);
	free(e->var_slots);
	free(e->hints);
	if (e->data && e->free_data)
		e->free_data(e->data);
	free(e);
}

/* ---------- literals ---------- */

static bool
eval_literal(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out)
{
	(void) ctx;
	*out = e->constant;
	return true;
}

/* asp_expr_new_literal: a constant node holding a copy of v */
asp_expr *
asp_expr_new_literal(const bson_value_t *v)
{
	asp_expr   *e = asp_expr_new("literal", eval_literal, 0);

	if (v->value_type == BSON_TYPE_EOD)
		e->constant.value_type = BSON_TYPE_EOD;
	else
		bson_value_copy(v, &e->constant);
	e->is_const = true;
	return e;
}

/* ---------- field paths and variables ---------- */

/*
 * ctx_index: an index of doc valid for the current document generation:
 * the main slot for the document itself, else one of the sub-document
 * slots (built on first use, replaced round-robin).
 */
static asp_doc_index *
ctx_index(asp_eval_ctx *ctx, const uint8_t *doc, uint32_t len, bool top)
{
	asp_doc_index *ix;
	int			i;

	if (top || ctx->index.doc == doc)
	{
		ix = &ctx->index;
		if (ix->doc != doc || ix->gen != ctx->doc_gen || ix->len != len)
		{
			asp_doc_index_build(ix, doc, len);
			ix->gen = ctx->doc_gen;
		}
		return ix;
	}
	for (i = 0; i < ASP_EVAL_SUBINDEX; i++)
	{
		ix = &ctx->subindex[i];
		if (ix->doc == doc && ix->len == len && ix->gen == ctx->doc_gen)
			return ix;
	}
	ix = &ctx->subindex[ctx->subindex_next];
	ctx->subindex_next = (ctx->subindex_next + 1) % ASP_EVAL_SUBINDEX;
	asp_doc_index_build(ix, doc, len);
	ix->gen = ctx->doc_gen;
	return ix;
}

/*
 * indexed_path_get: MongoDB's field path semantics (asp_path_get) through
 * the field indexes, with a position hint per segment: documents of a
 * stream share a shape, so each segment is usually found at the first try.
 */
static void
indexed_path_get(asp_eval_ctx *ctx, const asp_expr *e, const uint8_t *doc, uint32_t len,
				 bson_value_t *out)
{
	int			i;

	for (i = 0; i < e->path.nparts; i++)
	{
		asp_doc_index *ix = ctx_index(ctx, doc, len, i == 0);
		bson_value_t v;

		if (!ix->complete)
		{
			asp_path_get(&e->path, i, doc, len, ctx->arena, out);
			return;
		}
		/* the hints are a cache: a compiled pipeline runs on one thread */
		if (!asp_doc_index_get(ix, e->path.parts[i].name, e->path.parts[i].len,
							   &e->hints[i], &v))
		{
			asp_value_set_missing(out);
			return;
		}
		if (i == e->path.nparts - 1)
		{
			*out = v;
			return;
		}
		if (v.value_type == BSON_TYPE_DOCUMENT)
		{
			doc = v.value.v_doc.data;
			len = v.value.v_doc.data_len;
			continue;
		}
		if (v.value_type == BSON_TYPE_ARRAY)
			asp_path_get_value(&e->path, i + 1, &v, ctx->arena, out);	/* maps over the array */
		else
			asp_value_set_missing(out);
		return;
	}
	asp_value_set_doc(out, BSON_TYPE_DOCUMENT, doc, len);
}

static bool
eval_current_path(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out)
{
	const bson_value_t *cur = &ctx->vars[ASP_VAR_CURRENT];

	if (cur->value_type == BSON_TYPE_DOCUMENT)
		indexed_path_get(ctx, e, cur->value.v_doc.data, cur->value.v_doc.data_len, out);
	else
		asp_path_get_value(&e->path, 0, cur, ctx->arena, out);
	return true;
}

static bool eval_var_path(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out);

/*
 * eval_planned_path: a field path with a slot in the field plan: the value
 * the executor's walk of the source document found, while CURRENT is that
 * document; otherwise (another document, a slot under an array) the
 * general lookup.
 */
static bool
eval_planned_path(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out)
{
	const bson_value_t *cur = &ctx->vars[ASP_VAR_CURRENT];
	int			k = e->plan_slot - 1;

	if (cur->value.v_doc.data == ctx->plan_doc && ctx->plan_gen == ctx->doc_gen &&
		cur->value_type == BSON_TYPE_DOCUMENT && cur->value.v_doc.data_len == ctx->plan_len &&
		ctx->plan_vals->ok[k])
	{
		*out = ctx->plan_vals->v[k];
		return true;
	}
	return eval_current_path(e, ctx, out);
}

/* plan_first_is: the path's first segment is name */
static bool
plan_first_is(const asp_path *p, const char *name)
{
	return name != NULL && p->nparts > 0 && p->parts[0].len == strlen(name) &&
		memcmp(p->parts[0].name, name, p->parts[0].len) == 0;
}

/* asp_expr_plan_paths: slots for the field paths of e; whether e reads only through them */
bool
asp_expr_plan_paths(asp_expr *e, asp_field_plan *fp, const char *skip_a, const char *skip_b)
{
	bool		safe = true;
	int			i;

	if (e == NULL)
		return true;
	if (e->eval == eval_current_path || e->eval == eval_planned_path)
	{
		int			parent = -1;

		if (plan_first_is(&e->path, skip_a) || plan_first_is(&e->path, skip_b))
			return false;
		if (e->eval == eval_current_path)
		{
			for (i = 0; i < e->path.nparts; i++)
				if ((parent = asp_field_plan_slot_for(fp, parent, e->path.parts[i].name,
													  e->path.parts[i].len)) < 0)
					break;
			if (parent >= 0 && e->path.nparts > 0)
			{
				e->plan_slot = parent + 1;
				e->eval = eval_planned_path;
			}
		}
	}
	else if (e->eval == eval_var_path &&
			 (e->var == ASP_VAR_ROOT || e->var == ASP_VAR_CURRENT))
	{
		if (e->path.nparts == 0 || plan_first_is(&e->path, skip_a) ||
			plan_first_is(&e->path, skip_b))
			safe = false;
	}
	for (i = 0; i < e->nargs; i++)
		if (!asp_expr_plan_paths(e->args[i], fp, skip_a, skip_b))
			safe = false;
	return safe;
}

static bool
eval_var_path(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out)
{
	const bson_value_t *v = &ctx->vars[e->var];

	if (e->path.nparts == 0)
	{
		*out = *v;
		return true;
	}
	asp_path_get_value(&e->path, 0, v, ctx->arena, out);
	return true;
}

static bool
eval_now(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out)
{
	(void) e;
	asp_value_set_date(out, ctx->now_ms);
	return true;
}

static bool
eval_remove(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out)
{
	(void) e;
	(void) ctx;
	asp_value_set_missing(out);
	return true;
}

/* valid user variable name: MongoDB's variableValidation::validateNameForUserWrite */
static bool
valid_var_name(const char *s, size_t len)
{
	size_t		i;

	if (len == 0)
		return false;
	if (!((s[0] >= 'a' && s[0] <= 'z') || (unsigned char) s[0] >= 0x80))
		return false;
	for (i = 1; i < len; i++)
	{
		unsigned char ch = (unsigned char) s[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
			  (ch >= '0' && ch <= '9') || ch == '_' || ch >= 0x80))
			return false;
	}
	return true;
}

/* asp_expr_push_var: declare a user variable; returns its slot or -1 */
int
asp_expr_push_var(asp_expr_compiler *c, const char *name, size_t len)
{
	int			slot;

	if (!valid_var_name(name, len))
	{
		asp_expr_compile_error(c, "'%.*s' is not a valid variable name", (int) len, name);
		asp_error_hint(c->err, "Variable names start with a lower-case letter and contain only letters, digits and '_'.");
		return -1;
	}
	if (c->nvars >= ASP_MAX_VARS - ASP_VAR_FIRST_USER || c->next_slot >= ASP_MAX_VARS)
	{
		asp_expr_compile_error(c, "too many nested variables (at most %d)",
							   ASP_MAX_VARS - ASP_VAR_FIRST_USER);
		return -1;
	}
	slot = c->next_slot++;
	if (c->next_slot > c->max_slot)
		c->max_slot = c->next_slot;
	c->var_names[c->nvars] = strndup(name, len);
	c->var_slots[c->nvars] = slot;
	c->nvars++;
	return slot;
}

/* asp_expr_pop_vars: leave the scope of the last n variables */
void
asp_expr_pop_vars(asp_expr_compiler *c, int n)
{
	while (n-- > 0 && c->nvars > 0)
	{
		c->nvars--;
		free((char *) c->var_names[c->nvars]);
		c->var_names[c->nvars] = NULL;
		c->next_slot--;
	}
}

/* compile "$path" or "$$var.path" */
static asp_expr *
compile_path_string(asp_expr_compiler *c, const char *s, size_t len)
{
	asp_expr   *e;

	if (len >= 2 && s[1] == '$')
	{
		/* variable */
		const char *name = s + 2;
		const char *dot = memchr(name, '.', len - 2);
		size_t		nlen = dot ? (size_t) (dot - name) : len - 2;
		int			slot = -1;
		int			i;

		if (nlen == 4 && memcmp(name, "ROOT", 4) == 0)
			slot = ASP_VAR_ROOT;
		else if (nlen == 7 && memcmp(name, "CURRENT", 7) == 0)
			slot = ASP_VAR_CURRENT;
		else if (nlen == 6 && memcmp(name, "REMOVE", 6) == 0)
		{
			if (dot)
				return asp_expr_compile_error(c, "'$$REMOVE' cannot be followed by a field path");
			return asp_expr_new("$$REMOVE", eval_remove, 0);
		}
		else if ((nlen == 7 && memcmp(name, "DESCEND", 7) == 0) ||
				 (nlen == 5 && memcmp(name, "PRUNE", 5) == 0) ||
				 (nlen == 4 && memcmp(name, "KEEP", 4) == 0))
		{
			/* $redact's system variables evaluate to "descend", "prune", "keep" */
			bson_value_t lit;
			char		lower[8];
			size_t		k;

			if (dot)
				return asp_expr_compile_error(c, "'$$%.*s' cannot be followed by a field path", (int) nlen, name);
			for (k = 0; k < nlen; k++)
				lower[k] = (char) (name[k] - 'A' + 'a');
			asp_value_set_utf8(&lit, lower, (uint32_t) nlen);
			return asp_expr_new_literal(&lit);
		}
		else if (nlen == 3 && memcmp(name, "NOW", 3) == 0)
		{
			if (dot)
				return asp_expr_compile_error(c, "'$$NOW' cannot be followed by a field path");
			return asp_expr_new("$$NOW", eval_now, 0);
		}
		else
		{
			for (i = c->nvars - 1; i >= 0; i--)
				if (strlen(c->var_names[i]) == nlen &&
					memcmp(c->var_names[i], name, nlen) == 0)
				{
					slot = c->var_slots[i];
					break;
				}
		}
		if (slot < 0)
		{
			asp_expr_compile_error(c, "use of undefined variable: %.*s", (int) nlen, name);
			asp_error_hint(c->err, "Define it with $let, or use a single '$' for a field path.");
			return NULL;
		}
		e = asp_expr_new("variable", eval_var_path, 0);
		e->var = slot;
		if (dot)
		{
			size_t		plen = len - 2 - nlen - 1;

			if (!asp_path_init(&e->path, dot + 1, plen, "field path", c->err))
			{
				asp_error_where(c->err, -1, NULL, c->where);
				asp_expr_free(e);
				return NULL;
			}
		}
		return e;
	}
	if (len == 1)
	{
		asp_expr_compile_error(c, "'$' by itself is not a valid field path");
		asp_error_hint(c->err, "Write \"$field\" to refer to a field, or use {$literal: \"$\"} for the string.");
		return NULL;
	}
	e = asp_expr_new("fieldPath", eval_current_path, 0);
	e->var = ASP_VAR_CURRENT;
	if (!asp_path_init(&e->path, s + 1, len - 1, "field path", c->err))
	{
		asp_error_where(c->err, -1, NULL, c->where);
		asp_expr_free(e);
		return NULL;
	}
	e->hints = malloc(sizeof(int) * e->path.nparts);
	if (e->hints == NULL)
		abort();
	{
		int			i;

		for (i = 0; i < e->path.nparts; i++)
			e->hints[i] = -1;
	}
	return e;
}

/* ---------- object and array expressions ---------- */

static bool
eval_object(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out)
{
	bson_t		b;
	int			i;

	bson_init(&b);
	for (i = 0; i < e->nargs; i++)
	{
		bson_value_t v;

		if (!asp_expr_eval(e->args[i], ctx, &v))
		{
			bson_destroy(&b);
			return false;
		}
		asp_bson_append_value(&b, e->keys[i], -1, &v);
	}
	asp_arena_take_bson(ctx->arena, &b, BSON_TYPE_DOCUMENT, out);
	return true;
}

static bool
eval_array(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out)
{
	bson_t		b;
	int			i;

	bson_init(&b);
	for (i = 0; i < e->nargs; i++)
	{
		bson_value_t v;
		char		kbuf[16];
		size_t		klen;
		const char *key = asp_array_key((uint32_t) i, kbuf, sizeof(kbuf), &klen);

		if (!asp_expr_eval(e->args[i], ctx, &v))
		{
			bson_destroy(&b);
			return false;
		}
		if (v.value_type == BSON_TYPE_EOD)
			asp_value_set_null(&v);	/* missing becomes null inside arrays */
		asp_bson_append_value(&b, key, (int) klen, &v);
	}
	asp_arena_take_bson(ctx->arena, &b, BSON_TYPE_ARRAY, out);
	return true;
}

static int
count_keys(const bson_value_t *v)
{
	bson_iter_t it;
	int			n = 0;

	if (bson_iter_init_from_data(&it, v->value.v_doc.data, v->value.v_doc.data_len))
		while (bson_iter_next(&it))
			n++;
	return n;
}

static bool
all_const(const asp_expr *e)
{
	int			i;

	for (i = 0; i < e->nargs; i++)
		if (!e->args[i]->is_const)
			return false;
	return true;
}

static asp_expr *
compile_object(asp_expr_compiler *c, const bson_value_t *v)
{
	bson_iter_t it;
	int			n = count_keys(v);
	int			i = 0;
	asp_expr   *e = asp_expr_new("object", eval_object, n);

	e->keys = calloc(n > 0 ? n : 1, sizeof(char *));
	bson_iter_init_from_data(&it, v->value.v_doc.data, v->value.v_doc.data_len);
	while (bson_iter_next(&it))
	{
		const char *key = bson_iter_key(&it);

		if (key[0] == '$')
		{
			asp_expr_compile_error(c, "field names in an object expression may not start with '$': '%s'", key);
			asp_error_hint(c->err, "An operator must be the only field of its object, e.g. {\"%s\": ...}.", key);
			asp_expr_free(e);
			return NULL;
		}
		if (strchr(key, '.') != NULL)
		{
			asp_expr_compile_error(c, "field names in an object expression may not contain '.': '%s'", key);
			asp_expr_free(e);
			return NULL;
		}
		e->keys[i] = strdup(key);
		e->args[i] = asp_expr_compile_iter(c, &it);
		if (e->args[i] == NULL)
		{
			asp_expr_free(e);
			return NULL;
		}
		i++;
	}
	if (all_const(e))
		return asp_expr_fold(e);
	return e;
}

static asp_expr *
compile_array(asp_expr_compiler *c, const bson_value_t *v)
{
	bson_iter_t it;
	int			n = count_keys(v);
	int			i = 0;
	asp_expr   *e = asp_expr_new("array", eval_array, n);

	bson_iter_init_from_data(&it, v->value.v_doc.data, v->value.v_doc.data_len);
	while (bson_iter_next(&it))
	{
		e->args[i] = asp_expr_compile_iter(c, &it);
		if (e->args[i] == NULL)
		{
			asp_expr_free(e);
			return NULL;
		}
		i++;
	}
	if (all_const(e))
		return asp_expr_fold(e);
	return e;
}

/* ---------- compiler entry points ---------- */

/* asp_expr_compile_value: compile any expression value */
asp_expr *
asp_expr_compile_value(asp_expr_compiler *c, const bson_value_t *v)
{
	switch (v->value_type)
	{
		case BSON_TYPE_UTF8:
			if (v->value.v_utf8.len > 0 && v->value.v_utf8.str[0] == '$')
				return compile_path_string(c, v->value.v_utf8.str, v->value.v_utf8.len);
			return asp_expr_new_literal(v);
		case BSON_TYPE_DOCUMENT:
			{
				bson_iter_t it;

				if (bson_iter_init_from_data(&it, v->value.v_doc.data, v->value.v_doc.data_len) &&
					bson_iter_next(&it) && bson_iter_key(&it)[0] == '$')
				{
					int			n = count_keys(v);

					if (n != 1)
					{
						asp_expr_compile_error(c, "an expression object must contain exactly one field, the operator name; found %d fields", n);
						asp_error_hint(c->err, "Wrap each operator in its own object, e.g. {\"$add\": [...]}.");
						return NULL;
					}
					return compile_operator(c, bson_iter_key(&it), bson_iter_key_len(&it),
											bson_iter_value(&it));
				}
				return compile_object(c, v);
			}
		case BSON_TYPE_ARRAY:
			return compile_array(c, v);
		default:
			return asp_expr_new_literal(v);
	}
}

/* asp_expr_compile_iter: compile the value an iterator is positioned on */
asp_expr *
asp_expr_compile_iter(asp_expr_compiler *c, const bson_iter_t *it)
{
	return asp_expr_compile_value(c, bson_iter_value((bson_iter_t *) it));
}

/* ---------- $literal, $let, $meta ---------- */

static bool
eval_let(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out)
{
	int			nvars = e->nargs - 1;
	int			i;
	bson_value_t vals[ASP_MAX_VARS];

	/* all vars are evaluated in the outer scope first */
	for (i = 0; i < nvars; i++)
		if (!asp_expr_eval(e->args[i], ctx, &vals[i]))
			return false;
	for (i = 0; i < nvars; i++)
		ctx->vars[e->var_slots[i]] = vals[i];
	return asp_expr_eval(e->args[nvars], ctx, out);
}

static asp_expr *
compile_let(asp_expr_compiler *c, const bson_value_t *operand)
{
	bson_iter_t it;
	const bson_value_t *vars = NULL;
	const bson_value_t *in = NULL;
	bson_value_t vars_v,
				in_v;
	asp_expr   *e;
	int			n,
				i = 0;

	if (operand->value_type != BSON_TYPE_DOCUMENT)
		return asp_expr_compile_error(c, "$let only supports an object as its argument");
	bson_iter_init_from_data(&it, operand->value.v_doc.data, operand->value.v_doc.data_len);
	while (bson_iter_next(&it))
	{
		if (strcmp(bson_iter_key(&it), "vars") == 0)
		{
			vars_v = *bson_iter_value(&it);
			vars = &vars_v;
		}
		else if (strcmp(bson_iter_key(&it), "in") == 0)
		{
			in_v = *bson_iter_value(&it);
			in = &in_v;
		}
		else
			return asp_expr_compile_error(c, "unrecognized parameter to $let: %s", bson_iter_key(&it));
	}
	if (vars == NULL)
		return asp_expr_compile_error(c, "missing 'vars' parameter to $let");
	if (in == NULL)
		return asp_expr_compile_error(c, "missing 'in' parameter to $let");
	if (vars->value_type != BSON_TYPE_DOCUMENT)
		return asp_expr_compile_error(c, "$let 'vars' must be an object");
	n = count_keys(vars);
	if (n > ASP_MAX_VARS - ASP_VAR_FIRST_USER)
		return asp_expr_compile_error(c, "$let declares too many variables");
	e = asp_expr_new("$let", eval_let, n + 1);
	e->var_slots = calloc(n > 0 ? n : 1, sizeof(int));
	bson_iter_init_from_data(&it, vars->value.v_doc.data, vars->value.v_doc.data_len);
	while (bson_iter_next(&it))
	{
		e->args[i] = asp_expr_compile_iter(c, &it);
		if (e->args[i] == NULL)
		{
			asp_expr_free(e);
			return NULL;
		}
		i++;
	}
	i = 0;
	bson_iter_init_from_data(&it, vars->value.v_doc.data, vars->value.v_doc.data_len);
	while (bson_iter_next(&it))
	{
		int			slot = asp_expr_push_var(c, bson_iter_key(&it), bson_iter_key_len(&it));

		if (slot < 0)
		{
			asp_expr_pop_vars(c, i);
			asp_expr_free(e);
			return NULL;
		}
		e->var_slots[i++] = slot;
	}
	e->args[n] = asp_expr_compile_value(c, in);
	asp_expr_pop_vars(c, n);
	if (e->args[n] == NULL)
	{
		asp_expr_free(e);
		return NULL;
	}
	return e;
}

#define META_WINDOW_START 1
#define META_WINDOW_END 2
#define META_STREAM_PATH 3

static bool
eval_meta(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out)
{
	switch (e->var)
	{
		case META_WINDOW_START:
			if (!ctx->in_window)
				asp_value_set_missing(out);
			else
				asp_value_set_date(out, ctx->window_start);
			return true;
		case META_WINDOW_END:
			if (!ctx->in_window)
				asp_value_set_missing(out);
			else
				asp_value_set_date(out, ctx->window_end);
			return true;
		default:
			if (ctx->stream_meta == NULL)
			{
				asp_value_set_missing(out);
				return true;
			}
			if (e->path.nparts == 0)
				asp_value_set_doc(out, BSON_TYPE_DOCUMENT, ctx->stream_meta, ctx->stream_meta_len);
			else
				asp_path_get(&e->path, 0, ctx->stream_meta, ctx->stream_meta_len, ctx->arena, out);
			return true;
	}
}

static asp_expr *
compile_meta(asp_expr_compiler *c, const bson_value_t *operand)
{
	asp_expr   *e;
	const char *s;
	size_t		len;

	if (operand->value_type != BSON_TYPE_UTF8)
		return asp_expr_compile_error(c, "$meta needs a string argument such as \"stream.window.start\"");
	s = operand->value.v_utf8.str;
	len = operand->value.v_utf8.len;
	e = asp_expr_new("$meta", eval_meta, 0);
	if (len == 19 && memcmp(s, "stream.window.start", 19) == 0)
		e->var = META_WINDOW_START;
	else if (len == 17 && memcmp(s, "stream.window.end", 17) == 0)
		e->var = META_WINDOW_END;
	else if (len == 6 && memcmp(s, "stream", 6) == 0)
		e->var = META_STREAM_PATH;
	else if (len > 7 && memcmp(s, "stream.", 7) == 0)
	{
		e->var = META_STREAM_PATH;
		if (!asp_path_init(&e->path, s + 7, len - 7, "$meta field", c->err))
		{
			asp_error_where(c->err, -1, NULL, c->where);
			asp_expr_free(e);
			return NULL;
		}
	}
	else
	{
		asp_expr_free(e);
		asp_expr_compile_error(c, "unsupported $meta field \"%.*s\"", (int) len, s);
		asp_error_hint(c->err, "Stream processors support \"stream.window.start\", \"stream.window.end\" and \"stream.<field>\" of _stream_meta.");
		return NULL;
	}
	if (e->var == META_WINDOW_START || e->var == META_WINDOW_END)
		c->used_window_meta = true;
	if ((e->var == META_WINDOW_START || e->var == META_WINDOW_END) && !c->allow_window_meta)
	{
		asp_expr_free(e);
		asp_expr_compile_error(c, "$meta \"%.*s\" is only available inside a window pipeline", (int) len, s);
		asp_error_hint(c->err, "Move this expression into the pipeline of $tumblingWindow or $hoppingWindow.");
		return NULL;
	}
	return e;
}

/* asp_eval_args: evaluate all arguments of e into vals[] */
bool
asp_eval_args(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *vals)
{
	int			i;

	for (i = 0; i < e->nargs; i++)
		if (!asp_expr_eval(e->args[i], ctx, &vals[i]))
			return false;
	return true;
}

/*
 * asp_expr_fold: evaluate a node whose arguments are all constant, and
 * replace it by a literal.  If evaluation fails (e.g. {$divide: [1, 0]})
 * the node is kept, so the error surfaces per document at run time as
 * MongoDB users expect from the dead letter queue.
 */
asp_expr *
asp_expr_fold(asp_expr *e)
{
	asp_arena  *arena;
	asp_eval_ctx ctx;
	asp_error	err;
	bson_value_t v;
	asp_expr   *lit;

	if (e->is_const)
		return e;
	arena = asp_arena_new(1024);
	asp_eval_ctx_init(&ctx, arena, &err);
	asp_error_init(&err);
	/* no document: ROOT/CURRENT are missing, so nothing may depend on them */
	if (!asp_expr_eval(e, &ctx, &v))
	{
		asp_arena_free(arena);
		return e;
	}
	lit = asp_expr_new_literal(&v);
	asp_arena_free(arena);
	asp_expr_free(e);
	return lit;
}

/* compile {$op: operand} */
static asp_expr *
compile_operator(asp_expr_compiler *c, const char *name, size_t namelen,
				 const bson_value_t *operand)
{
	const asp_op_def *def;
	asp_expr   *e;
	int			n,
				i;

	if (namelen == 8 && memcmp(name, "$literal", 8) == 0)
		return asp_expr_new_literal(operand);
	if (namelen == 4 && memcmp(name, "$let", 4) == 0)
		return compile_let(c, operand);
	if (namelen == 5 && memcmp(name, "$meta", 5) == 0)
		return compile_meta(c, operand);
	if ((namelen == 9 && memcmp(name, "$function", 9) == 0) ||
		(namelen == 12 && memcmp(name, "$accumulator", 12) == 0) ||
		(namelen == 6 && memcmp(name, "$where", 6) == 0))
	{
		asp_expr_compile_error(c, "%.*s is not supported: JavaScript is not available in stream processing",
							   (int) namelen, name);
		if (c->err)
			c->err->code = ASP_ERR_UNSUPPORTED;
		asp_error_hint(c->err, "Rewrite the logic with aggregation operators such as $cond, $switch, $map and $reduce.");
		return NULL;
	}
	def = asp_find_op(name, namelen);
	if (def == NULL)
	{
		asp_expr_compile_error(c, "unrecognized expression operator '%.*s'", (int) namelen, name);
		asp_error_hint(c->err, "See the README for the supported operators; use {$literal: ...} for a value that starts with '$'.");
		return NULL;
	}
	if (def->compile)
	{
		e = def->compile(c, def, operand);
		if (e && def->pure && !e->is_const && all_const(e) && e->nargs > 0)
			e = asp_expr_fold(e);
		return e;
	}
	n = operand->value_type == BSON_TYPE_ARRAY ? count_keys(operand) : 1;
	if (n < def->min_args || (def->max_args >= 0 && n > def->max_args))
	{
		if (def->min_args == def->max_args)
			asp_expr_compile_error(c, "expression %s takes exactly %d argument%s, %d were passed in",
								   def->name, def->min_args, def->min_args == 1 ? "" : "s", n);
		else if (def->max_args < 0)
			asp_expr_compile_error(c, "expression %s takes at least %d argument%s, %d were passed in",
								   def->name, def->min_args, def->min_args == 1 ? "" : "s", n);
		else
			asp_expr_compile_error(c, "expression %s takes %d to %d arguments, %d were passed in",
								   def->name, def->min_args, def->max_args, n);
		return NULL;
	}
	e = asp_expr_new(def->name, def->eval, n);
	if (operand->value_type == BSON_TYPE_ARRAY)
	{
		bson_iter_t it;

		i = 0;
		bson_iter_init_from_data(&it, operand->value.v_doc.data, operand->value.v_doc.data_len);
		while (bson_iter_next(&it))
		{
			e->args[i] = asp_expr_compile_iter(c, &it);
			if (e->args[i] == NULL)
			{
				asp_expr_free(e);
				return NULL;
			}
			i++;
		}
	}
	else
	{
		e->args[0] = asp_expr_compile_value(c, operand);
		if (e->args[0] == NULL)
		{
			asp_expr_free(e);
			return NULL;
		}
	}
	if (def->pure && all_const(e))
		return asp_expr_fold(e);
	return e;
}
