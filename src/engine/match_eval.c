/*-------------------------------------------------------------------------
 *
 * match_eval.c
 *	  Evaluation of compiled queries (see match.c) on raw BSON, and the
 *	  one-line failure explanations used by $validate.
 *
 * Path traversal follows MongoDB's BSONElementIterator (matcher/path.cpp):
 * the path is followed through documents; at an array met before the last
 * segment each element that is a document continues the path, and when
 * the next segment is a number the element at that index continues it as
 * well (so "a.0.b" reaches {a: [{b: 1}]} and also {a: [{"0": {b: 1}}]});
 * an array at the end of the path offers each element and then the whole
 * array (only the whole array for $size and $elemMatch).  A predicate
 * matches when any offered value satisfies it.  When no value at all is
 * offered (e.g. "a.b" on {a: [1, 2]}) the path counts as missing, which
 * gives MongoDB's results for {"a.b": null} and {"a.b": {$exists: false}}.
 *
 * Nothing here allocates; $expr results go to ctx->arena.
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "match_int.h"

static bool single(const mnode *n, const bson_value_t *v, meval *me);

/* asp_mtype_bit: the $type mask bit of a BSON type (0 for missing) */
uint32_t
asp_mtype_bit(bson_type_t t)
{
	if (t == BSON_TYPE_MINKEY)
		return MTYPE_MINKEY;
	if (t == BSON_TYPE_MAXKEY)
		return MTYPE_MAXKEY;
	if ((int) t >= 1 && (int) t <= 19)
		return MTYPE_BIT(t);
	return 0;
}

/* ---------- single-value predicates ---------- */

/* is_nan_value: a double or decimal NaN */
static bool
is_nan_value(const bson_value_t *v)
{
	if (v->value_type == BSON_TYPE_DOUBLE)
		return isnan(v->value.v_double);
	if (v->value_type == BSON_TYPE_DECIMAL128)
		return asp_dec_is_nan(asp_dec_from_bson(&v->value.v_decimal128));
	return false;
}

/*
 * compare_single: $eq $lt $lte $gt $gte on one value, MongoDB's
 * ComparisonMatchExpression: only values of the same canonical type
 * compare; null matches missing (for $eq, $lte, $gte); MinKey and MaxKey
 * bound every type; NaN equals NaN and is neither greater nor smaller.
 */
static bool
compare_single(mop op, const bson_value_t *rhs, const bson_value_t *v)
{
	int			c;

	if (v->value_type != rhs->value_type)
	{
		int			cv = asp_canonical_type(v->value_type);
		int			cr = asp_canonical_type(rhs->value_type);

		if (cv != cr)
		{
			if (cv + cr == 5)	/* null against missing or undefined */
				return v->value_type == BSON_TYPE_EOD &&
					(op == MOP_EQ || op == MOP_LTE || op == MOP_GTE);
			if (rhs->value_type == BSON_TYPE_MAXKEY || rhs->value_type == BSON_TYPE_MINKEY)
			{
				switch (op)
				{
					case MOP_LT:
					case MOP_LTE:
						return rhs->value_type == BSON_TYPE_MAXKEY;
					case MOP_GT:
					case MOP_GTE:
						return rhs->value_type == BSON_TYPE_MINKEY;
					default:
						return false;
				}
			}
			return false;
		}
	}
	if (op != MOP_EQ)
	{
		bool		ln = is_nan_value(v),
					rn = is_nan_value(rhs);

		if (ln || rn)
			return (op == MOP_LTE || op == MOP_GTE) && ln && rn;
	}
	c = asp_value_compare(v, rhs);
	switch (op)
	{
		case MOP_EQ:
			return c == 0;
		case MOP_LT:
			return c < 0;
		case MOP_LTE:
			return c <= 0;
		case MOP_GT:
			return c > 0;
		case MOP_GTE:
			return c >= 0;
		default:
			return false;
	}
}

/* regex_single: strings and symbols match the pattern; a regex value must be the same regex */
static bool
regex_single(const mregex *r, const bson_value_t *v)
{
	switch (v->value_type)
	{
		case BSON_TYPE_UTF8:
			return asp_regex_match(r->re, v->value.v_utf8.str, v->value.v_utf8.len);
		case BSON_TYPE_SYMBOL:
			return asp_regex_match(r->re, v->value.v_symbol.symbol, v->value.v_symbol.len);
		case BSON_TYPE_REGEX:
			return strcmp(r->pattern, v->value.v_regex.regex) == 0 &&
				strcmp(r->flags, v->value.v_regex.options) == 0;
		default:
			return false;
	}
}

/* in_single: $in: missing if null is listed, set membership, or a regex */
static bool
in_single(const mnode *n, const bson_value_t *v)
{
	int			lo = 0,
				hi = n->nin - 1,
				i;

	if (v->value_type == BSON_TYPE_EOD)
		return n->in_has_null;
	while (lo <= hi)
	{
		int			mid = (lo + hi) / 2;
		int			c = asp_value_compare(&n->in_vals[mid], v);

		if (c == 0)
			return true;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	for (i = 0; i < n->nin_re; i++)
		if (regex_single(&n->in_re[i], v))
			return true;
	return false;
}

/* mod_single: $mod on a number truncated toward zero */
static bool
mod_single(const mnode *n, const bson_value_t *v)
{
	int64_t		dividend;

	switch (v->value_type)
	{
		case BSON_TYPE_INT32:
			dividend = v->value.v_int32;
			break;
		case BSON_TYPE_INT64:
			dividend = v->value.v_int64;
			break;
		case BSON_TYPE_DOUBLE:
			{
				double		d = v->value.v_double;

				if (!isfinite(d))
					return false;
				d = trunc(d);
				if (d >= 9223372036854775808.0 || d < -9223372036854775808.0)
					return false;
				dividend = (int64_t) d;
				break;
			}
		case BSON_TYPE_DECIMAL128:
			{
				asp_dec128	d = asp_dec_from_bson(&v->value.v_decimal128);
				int64_t		i;

				if (asp_dec_is_nan(d) || asp_dec_is_inf(d))
					return false;
				if (!(d >= -9223372036854775808.0DL && d < 9223372036854775808.0DL))
					return false;
				i = (int64_t) d;	/* conversion truncates toward zero */
				dividend = i;
				break;
			}
		default:
			return false;
	}
	if (n->divisor == -1)
		return n->remainder == 0;	/* avoids INT64_MIN % -1 */
	return dividend % n->divisor == n->remainder;
}

/* bits_single: $bitsAllSet and friends on integers and BinData */
static bool
bits_single(const mnode *n, const bson_value_t *v)
{
	mop			op = n->op;

	if (v->value_type == BSON_TYPE_BINARY)
	{
		int			i;

		for (i = 0; i < n->nbitpos; i++)
		{
			uint32_t	pos = n->bitpos[i];
			bool		set = pos < v->value.v_binary.data_len * 8 &&
				(v->value.v_binary.data[pos / 8] & (1u << (pos % 8))) != 0;

			if (set && op == MOP_BITS_ANY_SET)
				return true;
			if (!set && op == MOP_BITS_ANY_CLEAR)
				return true;
			if (!set && op == MOP_BITS_ALL_SET)
				return false;
			if (set && op == MOP_BITS_ALL_CLEAR)
				return false;
		}
		return op == MOP_BITS_ALL_SET || op == MOP_BITS_ALL_CLEAR;
	}
	if (asp_value_is_number(v))
	{
		int64_t		x;
		uint64_t	u;

		if (!asp_value_as_int64_exact(v, &x))
			return false;
		u = (uint64_t) x;
		switch (op)
		{
			case MOP_BITS_ALL_SET:
				return (u & n->bitmask) == n->bitmask;
			case MOP_BITS_ALL_CLEAR:
				return (~u & n->bitmask) == n->bitmask;
			case MOP_BITS_ANY_SET:
				return (u & n->bitmask) != 0;
			case MOP_BITS_ANY_CLEAR:
				return (~u & n->bitmask) != 0;
			default:
				return false;
		}
	}
	return false;
}

/* leaf_single: an MK_LEAF predicate on one offered value */
static bool
leaf_single(const mnode *n, const bson_value_t *v)
{
	switch (n->op)
	{
		case MOP_EQ:
		case MOP_LT:
		case MOP_LTE:
		case MOP_GT:
		case MOP_GTE:
			return compare_single(n->op, &n->rhs, v);
		case MOP_IN:
			return in_single(n, v);
		case MOP_REGEX:
			return regex_single(&n->re, v);
		case MOP_EXISTS:
			return v->value_type != BSON_TYPE_EOD;
		case MOP_TYPE:
			return (asp_mtype_bit(v->value_type) & n->type_mask) != 0;
		case MOP_MOD:
			return mod_single(n, v);
		case MOP_BITS_ALL_SET:
		case MOP_BITS_ALL_CLEAR:
		case MOP_BITS_ANY_SET:
		case MOP_BITS_ANY_CLEAR:
			return bits_single(n, v);
		default:
			return false;
	}
}

/* array_single: $size and $elemMatch on one offered value (arrays only) */
static bool
array_single(const mnode *n, const bson_value_t *v, meval *me)
{
	bson_iter_t it;
	int64_t		cnt = 0;

	if (v->value_type != BSON_TYPE_ARRAY ||
		!bson_iter_init_from_data(&it, v->value.v_doc.data, v->value.v_doc.data_len))
		return false;
	switch (n->op)
	{
		case MOP_SIZE:
			while (bson_iter_next(&it))
				if (++cnt > n->size)
					return false;
			return cnt == n->size;
		case MOP_ELEM_VAL:
			while (bson_iter_next(&it))
			{
				const bson_value_t *ev = bson_iter_value(&it);
				int			i;

				for (i = 0; i < n->nchildren; i++)
					if (!single(n->children[i], ev, me))
						break;
				if (i == n->nchildren)
					return true;
			}
			return false;
		case MOP_ELEM_OBJ:
			while (bson_iter_next(&it))
			{
				const bson_value_t *ev = bson_iter_value(&it);

				if (ev->value_type != BSON_TYPE_DOCUMENT && ev->value_type != BSON_TYPE_ARRAY)
					continue;
				if (asp_mnode_eval(n->children[0], ev->value.v_doc.data,
								   ev->value.v_doc.data_len, me) == 1)
					return true;
			}
			return false;
		default:
			return false;
	}
}

/*
 * single: a node applied to one value, MongoDB's matchesSingleElement (the
 * path is not followed: the value is the element itself).
 */
static bool
single(const mnode *n, const bson_value_t *v, meval *me)
{
	int			i;

	switch (n->kind)
	{
		case MK_LEAF:
			return leaf_single(n, v);
		case MK_ARRAY:
			return array_single(n, v, me);
		case MK_AND:
			for (i = 0; i < n->nchildren; i++)
				if (!single(n->children[i], v, me))
					return false;
			return true;
		case MK_OR:
			for (i = 0; i < n->nchildren; i++)
				if (single(n->children[i], v, me))
					return true;
			return false;
		case MK_NOR:
			for (i = 0; i < n->nchildren; i++)
				if (single(n->children[i], v, me))
					return false;
			return true;
		case MK_NOT:
			return !single(n->children[0], v, me);
		case MK_TRUE:
			return true;
		default:
			return false;
	}
}

/* ---------- path traversal ---------- */

typedef struct mwalk
{
	const mnode *n;
	bool		expand_leaf;	/* offer the elements of a leaf array too */
	bool		offered;		/* some value was offered */
	meval	   *me;
} mwalk;

static bool walk_array(mwalk *w, const bson_value_t *arr, int j);

/* offer: test one value; true stops the walk (matched) */
static inline bool
offer(mwalk *w, const bson_value_t *v)
{
	w->offered = true;
	return single(w->n, v, w->me);
}

/* walk_doc: follow parts[from..] from a document */
static bool
walk_doc(mwalk *w, const uint8_t *doc, uint32_t len, int from)
{
	const asp_path *p = &w->n->path;
	int			i;

	for (i = from; i < p->nparts; i++)
	{
		bson_value_t v;

		if (!asp_doc_get(doc, len, p->parts[i].name, p->parts[i].len, &v))
			return offer(w, &v);	/* missing */
		if (v.value_type == BSON_TYPE_ARRAY)
			return walk_array(w, &v, i + 1);
		if (i == p->nparts - 1)
			return offer(w, &v);
		if (v.value_type != BSON_TYPE_DOCUMENT)
		{
			asp_value_set_missing(&v);	/* a scalar in the middle of the path */
			return offer(w, &v);
		}
		doc = v.value.v_doc.data;
		len = v.value.v_doc.data_len;
	}
	{
		bson_value_t v;

		asp_value_set_doc(&v, BSON_TYPE_DOCUMENT, doc, len);
		return offer(w, &v);
	}
}

/* walk_array: an array met after part j-1; parts[j..] remain */
static bool
walk_array(mwalk *w, const bson_value_t *arr, int j)
{
	const asp_path *p = &w->n->path;
	bson_iter_t it;

	if (!bson_iter_init_from_data(&it, arr->value.v_doc.data, arr->value.v_doc.data_len))
		return false;
	if (j == p->nparts)
	{
		/* the path ends at this array */
		if (w->expand_leaf)
			while (bson_iter_next(&it))
				if (offer(w, bson_iter_value(&it)))
					return true;
		return offer(w, arr);
	}
	while (bson_iter_next(&it))
	{
		const bson_value_t *ev = bson_iter_value(&it);
		const asp_path_part *next = &p->parts[j];

		if (ev->value_type == BSON_TYPE_DOCUMENT &&
			walk_doc(w, ev->value.v_doc.data, ev->value.v_doc.data_len, j))
			return true;
		/* a numeric segment also addresses the element at that index */
		if (next->index >= 0 && bson_iter_key_len(&it) == next->len &&
			memcmp(bson_iter_key(&it), next->name, next->len) == 0)
		{
			if (j == p->nparts - 1)
			{
				if (offer(w, ev))
					return true;
			}
			else if (ev->value_type == BSON_TYPE_DOCUMENT)
			{
				if (walk_doc(w, ev->value.v_doc.data, ev->value.v_doc.data_len, j + 1))
					return true;
			}
			else if (ev->value_type == BSON_TYPE_ARRAY)
			{
				if (walk_array(w, ev, j + 1))
					return true;
			}
		}
	}
	return false;
}

/* path_matches: a path node on a document */
static bool
path_matches(const mnode *n, const uint8_t *doc, uint32_t len, meval *me)
{
	mwalk		w;

	w.n = n;
	w.expand_leaf = n->kind == MK_LEAF;
	w.offered = false;
	w.me = me;
	if (n->path.nparts == 0)
	{
		bson_value_t v;

		asp_value_set_doc(&v, BSON_TYPE_DOCUMENT, doc, len);
		return single(n, &v, me);
	}
	if (walk_doc(&w, doc, len, 0))
		return true;
	if (!w.offered)
	{
		bson_value_t missing;

		asp_value_set_missing(&missing);
		return single(n, &missing, me);
	}
	return false;
}

/* asp_mnode_eval: a node on a document: 1 match, 0 no match, -1 error */
int
asp_mnode_eval(const mnode *n, const uint8_t *doc, uint32_t len, meval *me)
{
	int			i,
				r;

	switch (n->kind)
	{
		case MK_AND:
			for (i = 0; i < n->nchildren; i++)
				if ((r = asp_mnode_eval(n->children[i], doc, len, me)) <= 0)
					return r;
			return 1;
		case MK_OR:
			for (i = 0; i < n->nchildren; i++)
				if ((r = asp_mnode_eval(n->children[i], doc, len, me)) != 0)
					return r;
			return 0;
		case MK_NOR:
			for (i = 0; i < n->nchildren; i++)
				if ((r = asp_mnode_eval(n->children[i], doc, len, me)) != 0)
					return r < 0 ? r : 0;
			return 1;
		case MK_NOT:
			r = asp_mnode_eval(n->children[0], doc, len, me);
			return r < 0 ? r : !r;
		case MK_LEAF:
		case MK_ARRAY:
			return path_matches(n, doc, len, me) ? 1 : 0;
		case MK_EXPR:
			{
				bson_value_t out;

				if (me->ctx == NULL)
					return 0;
				if (!asp_expr_eval(n->expr, me->ctx, &out))
					return -1;
				return asp_value_truthy(&out) ? 1 : 0;
			}
		case MK_SCHEMA:
			{
				bson_value_t v;

				asp_value_set_doc(&v, BSON_TYPE_DOCUMENT, doc, len);
				return asp_jschema_validate(n->schema, &v, NULL, 0) ? 1 : 0;
			}
		case MK_TRUE:
			return 1;
		case MK_FALSE:
			return 0;
	}
	return 0;
}

/*
 * set_root: $expr sees the matched document as $$ROOT and $$CURRENT; the
 * caller's values are saved and put back by restore_root.
 */
static void
set_root(const asp_match *m, asp_eval_ctx *ctx, const uint8_t *doc, uint32_t len,
		 bson_value_t *saved)
{
	if (!m->has_expr || ctx == NULL)
		return;
	saved[0] = ctx->vars[ASP_VAR_ROOT];
	saved[1] = ctx->vars[ASP_VAR_CURRENT];
	asp_eval_ctx_set_root(ctx, doc, len);
}

/* restore_root: put back the $$ROOT and $$CURRENT saved by set_root */
static void
restore_root(const asp_match *m, asp_eval_ctx *ctx, const bson_value_t *saved)
{
	if (!m->has_expr || ctx == NULL)
		return;
	ctx->vars[ASP_VAR_ROOT] = saved[0];
	ctx->vars[ASP_VAR_CURRENT] = saved[1];
}

/* asp_match_eval: evaluate a compiled query on a document */
bool
asp_match_eval(const asp_match *m, const uint8_t *doc, uint32_t len,
			   asp_eval_ctx *ctx, bool *matched)
{
	meval		me;
	bson_value_t saved[2];
	int			r;

	me.ctx = ctx;
	set_root(m, ctx, doc, len, saved);
	r = asp_mnode_eval(m->root, doc, len, &me);
	restore_root(m, ctx, saved);
	*matched = r == 1;
	return r >= 0;
}

/* ---------- failure explanations ---------- */

typedef struct sbuf
{
	char	   *buf;
	size_t		size;
	size_t		len;
} sbuf;

/* sb_printf: append to the explanation buffer, truncating safely */
static void sb_printf(sbuf *sb, const char *fmt,...) __attribute__((format(printf, 2, 3)));

static void
sb_printf(sbuf *sb, const char *fmt,...)
{
	va_list		ap;
	int			n;

	if (sb->size == 0 || sb->len >= sb->size - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(sb->buf + sb->len, sb->size - sb->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		sb->len += (size_t) n < sb->size - sb->len ? (size_t) n : sb->size - sb->len - 1;
}

/* describe_found: ": found 16 (int)", ": field is missing", ... */
static void
describe_found(sbuf *sb, const mnode *n, const uint8_t *doc, uint32_t len)
{
	const asp_path *p = &n->path;
	bson_value_t v;
	char		vb[96];
	int			i;

	if (p->nparts == 0)
		return;
	for (i = 0; i < p->nparts; i++)
	{
		if (!asp_doc_get(doc, len, p->parts[i].name, p->parts[i].len, &v))
		{
			sb_printf(sb, ": field is missing");
			return;
		}
		if (i == p->nparts - 1)
			break;
		if (v.value_type == BSON_TYPE_ARRAY)
		{
			asp_value_describe(&v, vb, sizeof(vb));
			sb_printf(sb, ": found array %s at '%.*s'", vb,
					  (int) (p->parts[i].name + p->parts[i].len - p->parts[0].name),
					  p->dotted);
			return;
		}
		if (v.value_type != BSON_TYPE_DOCUMENT)
		{
			sb_printf(sb, ": field is missing ('%.*s' is %s)",
					  (int) (p->parts[i].name + p->parts[i].len - p->parts[0].name),
					  p->dotted, asp_type_name(v.value_type));
			return;
		}
		doc = v.value.v_doc.data;
		len = v.value.v_doc.data_len;
	}
	asp_value_describe(&v, vb, sizeof(vb));
	sb_printf(sb, ": found %s (%s)", vb, asp_type_name(v.value_type));
}

/* describe_condition: "{$gte: 18}" */
static void
describe_condition(sbuf *sb, const mnode *n)
{
	char		vb[160];

	if (n->operand.value_type == BSON_TYPE_EOD)
	{
		sb_printf(sb, "{%s}", n->opname ? n->opname : "?");
		return;
	}
	asp_value_describe(&n->operand, vb, sizeof(vb));
	sb_printf(sb, "{%s: %s}", n->opname ? n->opname : "?", vb);
}

static void explain_node(const mnode *n, const uint8_t *doc, uint32_t len,
						 meval *me, sbuf *sb);

/* explain_error: the failure was a runtime error of $expr */
static void
explain_error(meval *me, sbuf *sb)
{
	if (me->ctx && me->ctx->err && me->ctx->err->message[0])
		sb_printf(sb, "error evaluating $expr: %s", me->ctx->err->message);
	else
		sb_printf(sb, "error evaluating $expr");
}

/* explain_node: why a node did not match the document */
static void
explain_node(const mnode *n, const uint8_t *doc, uint32_t len, meval *me, sbuf *sb)
{
	int			i,
				r;

	switch (n->kind)
	{
		case MK_AND:
			if (n->opname == NULL || strcmp(n->opname, "$and") == 0)
			{
				for (i = 0; i < n->nchildren; i++)
				{
					r = asp_mnode_eval(n->children[i], doc, len, me);
					if (r < 0)
					{
						explain_error(me, sb);
						return;
					}
					if (r == 0)
					{
						explain_node(n->children[i], doc, len, me, sb);
						return;
					}
				}
				sb_printf(sb, "document matches");
				return;
			}
			/* $all: describe as a whole */
			sb_printf(sb, "field '%s' does not match ", n->field);
			describe_condition(sb, n);
			if (n->nchildren > 0)
				describe_found(sb, n->children[0], doc, len);
			return;
		case MK_OR:
			sb_printf(sb, "document does not match any clause of $or");
			if (n->nchildren > 0)
			{
				sb_printf(sb, " (first clause: ");
				explain_node(n->children[0], doc, len, me, sb);
				sb_printf(sb, ")");
			}
			return;
		case MK_NOR:
			for (i = 0; i < n->nchildren; i++)
				if (asp_mnode_eval(n->children[i], doc, len, me) != 0)
					break;
			sb_printf(sb, "document matches the $nor clause at index %d", i);
			return;
		case MK_NOT:
			{
				const mnode *c = n->children[0];

				sb_printf(sb, "field '%s' does not match ", n->field);
				describe_condition(sb, n);
				while (c->kind == MK_AND && c->nchildren > 0 && c->opname == NULL)
					c = c->children[0];
				if (c->kind == MK_LEAF || c->kind == MK_ARRAY)
					describe_found(sb, c, doc, len);
				return;
			}
		case MK_LEAF:
		case MK_ARRAY:
			if (n->field[0])
				sb_printf(sb, "field '%s' does not match ", n->field);
			else
				sb_printf(sb, "element does not match ");
			describe_condition(sb, n);
			describe_found(sb, n, doc, len);
			return;
		case MK_EXPR:
			sb_printf(sb, "document does not match $expr");
			return;
		case MK_SCHEMA:
			{
				bson_value_t v;
				char		reason[400];

				asp_value_set_doc(&v, BSON_TYPE_DOCUMENT, doc, len);
				if (asp_jschema_validate(n->schema, &v, reason, sizeof(reason)))
					sb_printf(sb, "document failed $jsonSchema");
				else
					sb_printf(sb, "document failed $jsonSchema: %s", reason);
				return;
			}
		case MK_FALSE:
			if (n->opname && strcmp(n->opname, "$all") == 0)
				sb_printf(sb, "field '%s' does not match {$all: []}: an empty $all matches nothing",
						  n->field);
			else
				sb_printf(sb, "$alwaysFalse never matches");
			return;
		case MK_TRUE:
			sb_printf(sb, "document matches");
			return;
	}
}

/* asp_match_explain_failure: a one-line reason for the first failing clause */
void
asp_match_explain_failure(const asp_match *m, const uint8_t *doc, uint32_t len,
						  asp_eval_ctx *ctx, char *buf, size_t bufsize)
{
	sbuf		sb;
	meval		me;
	bson_value_t saved[2];

	if (buf == NULL || bufsize == 0)
		return;
	buf[0] = '\0';
	sb.buf = buf;
	sb.size = bufsize;
	sb.len = 0;
	me.ctx = ctx;
	set_root(m, ctx, doc, len, saved);
	explain_node(m->root, doc, len, &me, &sb);
	restore_root(m, ctx, saved);
}
