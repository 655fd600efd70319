/*-------------------------------------------------------------------------
 *
 * match.c
 *	  The query compiler: MongoDB query documents ($match, $validate
 *	  validators, $elemMatch) into a tree of mnode (see match_int.h).
 *	  Evaluation and failure explanations are in match_eval.c.
 *
 * The parse follows MongoDB's MatchExpressionParser: a query document is
 * an implicit $and of its fields; a field whose value is an object whose
 * first key starts with '$' (and is not a DBRef) is an operator document,
 * any other value is an equality (a regex value is a regex match).  $ne,
 * $nin, $not and {$exists: false} become $not over the positive
 * predicate, so they negate the whole array traversal as in MongoDB.
 *
 * Compile errors are ASP_ERR_INVALID (ASP_ERR_UNSUPPORTED for operators
 * that exist in MongoDB but not in stream processing) with a lower-case
 * message naming the operator and field, and err->path set to the field
 * path (or the top-level operator) inside the query.
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "match_int.h"

#define MAX_QUERY_DEPTH 100

typedef struct mcomp
{
	asp_expr_compiler *c;
	asp_error  *err;
	int			depth;
	bool		has_expr;
} mcomp;

static mnode *parse_query(mcomp *mc, const bson_value_t *q, bool top);
static bool parse_ops(mcomp *mc, mnode *and, const char *field, size_t flen,
					  const bson_value_t *obj, bool pathless);
static void mnode_free(mnode *n);

/* ---------- helpers ---------- */

/* xcalloc: calloc that aborts on out-of-memory, like the engine's arena */
static void *
xcalloc(size_t n, size_t size)
{
	void	   *p = calloc(n ? n : 1, size);

	if (p == NULL)
		abort();
	return p;
}

/* xstrndup: a NUL-terminated malloc'd copy of len bytes */
static char *
xstrndup(const char *s, size_t len)
{
	char	   *p = malloc(len + 1);

	if (p == NULL)
		abort();
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

/* merr: set a compile error located at `where` (a field path or operator) */
static bool merr(mcomp *mc, asp_error_code code, const char *where, const char *fmt,...)
			__attribute__((format(printf, 4, 5)));

static bool
merr(mcomp *mc, asp_error_code code, const char *where, const char *fmt,...)
{
	va_list		ap;
	char		msg[ASP_ERROR_MSG_LEN];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	asp_error_set(mc->err, code, "%s", msg);
	asp_error_where(mc->err, -1, NULL, where);
	return false;
}

/* field_suffix: " in field 'a.b'" for messages, or "" */
static const char *
field_suffix(const char *field, char *buf, size_t size)
{
	if (field == NULL || field[0] == '\0')
		return "";
	snprintf(buf, size, " in field '%s'", field);
	return buf;
}

/* mnode_new: an empty node of a kind, with its field path for messages */
static mnode *
mnode_new(mkind kind, mop op, const char *field)
{
	mnode	   *n = xcalloc(1, sizeof(mnode));

	n->kind = kind;
	n->op = op;
	n->field = xstrndup(field ? field : "", field ? strlen(field) : 0);
	n->operand.value_type = BSON_TYPE_EOD;
	n->rhs.value_type = BSON_TYPE_EOD;
	return n;
}

/* add_child: append a child to a logical node */
static void
add_child(mnode *parent, mnode *child)
{
	mnode	  **c = realloc(parent->children, sizeof(mnode *) * (parent->nchildren + 1));

	if (c == NULL)
		abort();
	parent->children = c;
	parent->children[parent->nchildren++] = child;
}

/* path_node: a path node for field (no path when pathless) */
static mnode *
path_node(mcomp *mc, mkind kind, mop op, const char *field, size_t flen,
		  bool pathless, const char *opname, const bson_value_t *operand)
{
	mnode	   *n = mnode_new(kind, op, field);

	n->opname = opname;
	if (operand)
		n->operand = *operand;
	if (!pathless && !asp_path_init(&n->path, field, flen, "field path", mc->err))
	{
		asp_error_where(mc->err, -1, NULL, field);
		mnode_free(n);
		return NULL;
	}
	return n;
}

/* wrap_not: a $not node over child, described as opname/operand */
static mnode *
wrap_not(mnode *child, const char *field, const char *opname, const bson_value_t *operand)
{
	mnode	   *n = mnode_new(MK_NOT, MOP_NONE, field);

	n->opname = opname;
	if (operand)
		n->operand = *operand;
	add_child(n, child);
	return n;
}

/* count_elems: number of elements of a document or array value */
static int
count_elems(const bson_value_t *v)
{
	bson_iter_t it;
	int			n = 0;

	if (bson_iter_init_from_data(&it, v->value.v_doc.data, v->value.v_doc.data_len))
		while (bson_iter_next(&it))
			n++;
	return n;
}

/* first_key: the first key of a document value, or NULL if empty */
static const char *
first_key(const bson_value_t *v)
{
	bson_iter_t it;

	if (v->value_type != BSON_TYPE_DOCUMENT ||
		!bson_iter_init_from_data(&it, v->value.v_doc.data, v->value.v_doc.data_len) ||
		!bson_iter_next(&it))
		return NULL;
	return bson_iter_key(&it);
}

/* is_dbref: a {$ref, $id[, $db]} object (any of them if incomplete is allowed) */
static bool
is_dbref(const bson_value_t *v, bool allow_incomplete)
{
	bson_iter_t it;
	bool		ref = false,
				id = false,
				db = false;

	if (!bson_iter_init_from_data(&it, v->value.v_doc.data, v->value.v_doc.data_len))
		return false;
	while (bson_iter_next(&it))
	{
		const char *k = bson_iter_key(&it);

		if (strcmp(k, "$ref") == 0)
			ref = true;
		else if (strcmp(k, "$id") == 0)
			id = true;
		else if (strcmp(k, "$db") == 0)
			db = true;
	}
	return allow_incomplete ? (ref || id || db) : (ref && id);
}

/* is_operator_doc: MongoDB's isExpressionDocument */
static bool
is_operator_doc(const bson_value_t *v, bool allow_incomplete_dbref)
{
	const char *k = first_key(v);

	return k != NULL && k[0] == '$' && !is_dbref(v, allow_incomplete_dbref);
}

/* is_pathless_op: operators that apply to a whole document ($and, $expr...) */
static bool
is_pathless_op(const char *name)
{
	static const char *const ops[] = {
		"$and", "$or", "$nor", "$expr", "$where", "$text", "$comment",
		"$jsonSchema", "$alwaysTrue", "$alwaysFalse", "$sampleRate", NULL
	};
	int			i;

	for (i = 0; ops[i]; i++)
		if (strcmp(name, ops[i]) == 0)
			return true;
	return strncmp(name, "$_internal", 10) == 0;
}

/* is_geo_op: geospatial query operators (not supported) */
static bool
is_geo_op(const char *name)
{
	static const char *const ops[] = {
		"$near", "$nearSphere", "$geoWithin", "$geoIntersects", "$within",
		"$maxDistance", "$minDistance", "$box", "$center", "$centerSphere",
		"$polygon", "$geometry", NULL
	};
	int			i;

	for (i = 0; ops[i]; i++)
		if (strcmp(name, ops[i]) == 0)
			return true;
	return false;
}

/* int_operand: a number with an exact int64 value */
static bool
int_operand(const bson_value_t *v, int64_t *out)
{
	return asp_value_is_number(v) && asp_value_as_int64_exact(v, out);
}

/* mregex_init: compile a regex and keep its pattern and flags */
static bool
mregex_init(mcomp *mc, mregex *r, const char *pattern, size_t plen,
			const char *flags, const char *field)
{
	r->re = asp_regex_compile(pattern, plen, flags, mc->err);
	if (r->re == NULL)
	{
		asp_error_where(mc->err, -1, NULL, field);
		return false;
	}
	r->pattern = xstrndup(pattern, plen);
	r->flags = xstrndup(flags ? flags : "", flags ? strlen(flags) : 0);
	return true;
}

/* mregex_free: free what mregex_init allocated (a zeroed mregex is fine) */
static void
mregex_free(mregex *r)
{
	asp_regex_free(r->re);
	free(r->pattern);
	free(r->flags);
}

/* ---------- leaf operators ---------- */

/* parse_compare: $eq $lt $lte $gt $gte (positive form) */
static mnode *
parse_compare(mcomp *mc, mop op, const char *opname, const char *field, size_t flen,
			  const bson_value_t *v, bool pathless)
{
	char		fb[300];
	mnode	   *n;

	if (v->value_type == BSON_TYPE_UNDEFINED)
	{
		merr(mc, ASP_ERR_INVALID, field, "%s cannot compare to undefined%s", opname,
			 field_suffix(field, fb, sizeof(fb)));
		return NULL;
	}
	if (op != MOP_EQ && v->value_type == BSON_TYPE_REGEX)
	{
		merr(mc, ASP_ERR_INVALID, field, "can't have a regex as the argument of %s%s", opname,
			 field_suffix(field, fb, sizeof(fb)));
		asp_error_hint(mc->err, "Use $regex to match strings with a regular expression.");
		return NULL;
	}
	n = path_node(mc, MK_LEAF, op, field, flen, pathless, opname, v);
	if (n)
		n->rhs = *v;
	return n;
}

/* cmp_values_qsort: qsort comparator in BSON order */
static int
cmp_values_qsort(const void *a, const void *b)
{
	return asp_value_compare((const bson_value_t *) a, (const bson_value_t *) b);
}

/* parse_in: $in / $nin (positive form) */
static mnode *
parse_in(mcomp *mc, const char *opname, const char *field, size_t flen,
		 const bson_value_t *v, bool pathless)
{
	char		fb[300];
	mnode	   *n;
	bson_iter_t it;
	int			cnt,
				i,
				j;

	if (v->value_type != BSON_TYPE_ARRAY)
	{
		merr(mc, ASP_ERR_INVALID, field, "%s needs an array%s", opname,
			 field_suffix(field, fb, sizeof(fb)));
		asp_error_hint(mc->err, "Write {%s: [value, ...]}.", opname);
		return NULL;
	}
	n = path_node(mc, MK_LEAF, MOP_IN, field, flen, pathless, opname, v);
	if (n == NULL)
		return NULL;
	cnt = count_elems(v);
	n->in_vals = xcalloc(cnt, sizeof(bson_value_t));
	n->in_re = xcalloc(cnt, sizeof(mregex));
	if (!bson_iter_init_from_data(&it, v->value.v_doc.data, v->value.v_doc.data_len))
		cnt = 0;
	for (i = 0; i < cnt && bson_iter_next(&it); i++)
	{
		const bson_value_t *ev = bson_iter_value(&it);

		if (ev->value_type == BSON_TYPE_REGEX)
		{
			if (!mregex_init(mc, &n->in_re[n->nin_re], ev->value.v_regex.regex,
							 strlen(ev->value.v_regex.regex), ev->value.v_regex.options, field))
			{
				mnode_free(n);
				return NULL;
			}
			n->nin_re++;
			continue;
		}
		if (ev->value_type == BSON_TYPE_UNDEFINED)
		{
			merr(mc, ASP_ERR_INVALID, field, "%s cannot contain undefined%s", opname,
				 field_suffix(field, fb, sizeof(fb)));
			mnode_free(n);
			return NULL;
		}
		if (is_operator_doc(ev, false))
		{
			merr(mc, ASP_ERR_INVALID, field, "cannot nest $ under %s%s", opname,
				 field_suffix(field, fb, sizeof(fb)));
			mnode_free(n);
			return NULL;
		}
		if (ev->value_type == BSON_TYPE_NULL)
			n->in_has_null = true;
		n->in_vals[n->nin++] = *ev;
	}
	/* sort and drop duplicates for binary search */
	if (n->nin > 1)
	{
		qsort(n->in_vals, n->nin, sizeof(bson_value_t), cmp_values_qsort);
		for (i = 1, j = 0; i < n->nin; i++)
			if (asp_value_compare(&n->in_vals[i], &n->in_vals[j]) != 0)
				n->in_vals[++j] = n->in_vals[i];
		n->nin = j + 1;
	}
	return n;
}

/* parse_type_one: add one $type alias or code to the mask */
static bool
parse_type_one(mcomp *mc, const char *field, const bson_value_t *v, uint32_t *mask)
{
	char		fb[300];

	if (v->value_type == BSON_TYPE_UTF8)
	{
		int			t;

		if (v->value.v_utf8.len == 6 && memcmp(v->value.v_utf8.str, "number", 6) == 0)
		{
			*mask |= MTYPE_BIT(BSON_TYPE_INT32) | MTYPE_BIT(BSON_TYPE_INT64) |
				MTYPE_BIT(BSON_TYPE_DOUBLE) | MTYPE_BIT(BSON_TYPE_DECIMAL128);
			return true;
		}
		t = asp_type_from_name(v->value.v_utf8.str, v->value.v_utf8.len);
		if (t < 0)
		{
			merr(mc, ASP_ERR_INVALID, field, "unknown type name alias for $type: %.*s%s",
				 (int) v->value.v_utf8.len, v->value.v_utf8.str,
				 field_suffix(field, fb, sizeof(fb)));
			asp_error_hint(mc->err, "Use a name such as \"string\", \"int\", \"double\", \"number\", \"object\" or \"array\".");
			return false;
		}
		*mask |= asp_mtype_bit((bson_type_t) t);
		return true;
	}
	if (asp_value_is_number(v))
	{
		int64_t		code;
		int			t;

		if (!asp_value_as_int64_exact(v, &code) || (t = asp_type_from_number(code)) < 0)
		{
			char		vb[64];

			asp_value_describe(v, vb, sizeof(vb));
			merr(mc, ASP_ERR_INVALID, field, "invalid numerical type code for $type: %s%s", vb,
				 field_suffix(field, fb, sizeof(fb)));
			return false;
		}
		*mask |= asp_mtype_bit((bson_type_t) t);
		return true;
	}
	merr(mc, ASP_ERR_INVALID, field, "$type must be a type name, a type number or an array of them%s",
		 field_suffix(field, fb, sizeof(fb)));
	return false;
}

/* parse_type: $type with one type or an array of types */
static mnode *
parse_type(mcomp *mc, const char *field, size_t flen, const bson_value_t *v, bool pathless)
{
	char		fb[300];
	uint32_t	mask = 0;
	mnode	   *n;

	if (v->value_type == BSON_TYPE_ARRAY)
	{
		bson_iter_t it;
		int			cnt = 0;

		if (bson_iter_init_from_data(&it, v->value.v_doc.data, v->value.v_doc.data_len))
		{
			while (bson_iter_next(&it))
			{
				if (!parse_type_one(mc, field, bson_iter_value(&it), &mask))
					return NULL;
				cnt++;
			}
		}
		if (cnt == 0)
		{
			merr(mc, ASP_ERR_INVALID, field, "$type array must contain at least one type%s",
				 field_suffix(field, fb, sizeof(fb)));
			return NULL;
		}
	}
	else if (!parse_type_one(mc, field, v, &mask))
		return NULL;
	n = path_node(mc, MK_LEAF, MOP_TYPE, field, flen, pathless, "$type", v);
	if (n)
		n->type_mask = mask;
	return n;
}

/* parse_regex: $regex with optional $options (or a regex literal) */
static mnode *
parse_regex(mcomp *mc, const char *field, size_t flen, const bson_value_t *v,
			const bson_value_t *options, bool pathless)
{
	char		fb[300];
	const char *pattern;
	size_t		plen;
	const char *flags = "";
	char		flagbuf[64];
	mnode	   *n;

	if (options != NULL && options->value_type != BSON_TYPE_UTF8)
	{
		merr(mc, ASP_ERR_INVALID, field, "$options has to be a string%s",
			 field_suffix(field, fb, sizeof(fb)));
		return NULL;
	}
	if (v->value_type == BSON_TYPE_REGEX)
	{
		pattern = v->value.v_regex.regex;
		plen = strlen(pattern);
		flags = v->value.v_regex.options;
		if (options != NULL)
		{
			if (flags[0] != '\0' && options->value.v_utf8.len > 0)
			{
				merr(mc, ASP_ERR_INVALID, field, "options set in both $regex and $options%s",
					 field_suffix(field, fb, sizeof(fb)));
				return NULL;
			}
			if (options->value.v_utf8.len > 0)
				flags = options->value.v_utf8.str;
		}
	}
	else if (v->value_type == BSON_TYPE_UTF8)
	{
		pattern = v->value.v_utf8.str;
		plen = v->value.v_utf8.len;
		if (options != NULL)
			flags = options->value.v_utf8.str;
	}
	else
	{
		merr(mc, ASP_ERR_INVALID, field, "$regex has to be a string%s",
			 field_suffix(field, fb, sizeof(fb)));
		return NULL;
	}
	if (strlen(flags) >= sizeof(flagbuf))
	{
		merr(mc, ASP_ERR_INVALID, field, "too many regex options%s",
			 field_suffix(field, fb, sizeof(fb)));
		return NULL;
	}
	snprintf(flagbuf, sizeof(flagbuf), "%s", flags);
	n = path_node(mc, MK_LEAF, MOP_REGEX, field, flen, pathless, "$regex", v);
	if (n == NULL)
		return NULL;
	if (!mregex_init(mc, &n->re, pattern, plen, flagbuf, field))
	{
		mnode_free(n);
		return NULL;
	}
	return n;
}

/* parse_mod: $mod: [divisor, remainder] */
static mnode *
parse_mod(mcomp *mc, const char *field, size_t flen, const bson_value_t *v, bool pathless)
{
	char		fb[300];
	bson_iter_t it;
	bson_value_t parts[2];
	int64_t		ints[2];
	int			cnt = 0,
				i;
	mnode	   *n;

	if (v->value_type != BSON_TYPE_ARRAY)
	{
		merr(mc, ASP_ERR_INVALID, field, "malformed $mod, needs to be an array%s",
			 field_suffix(field, fb, sizeof(fb)));
		asp_error_hint(mc->err, "Write {$mod: [divisor, remainder]}.");
		return NULL;
	}
	if (bson_iter_init_from_data(&it, v->value.v_doc.data, v->value.v_doc.data_len))
		while (bson_iter_next(&it))
		{
			if (cnt < 2)
				parts[cnt] = *bson_iter_value(&it);
			cnt++;
		}
	if (cnt != 2)
	{
		merr(mc, ASP_ERR_INVALID, field, "malformed $mod, %s elements%s",
			 cnt < 2 ? "not enough" : "too many", field_suffix(field, fb, sizeof(fb)));
		asp_error_hint(mc->err, "Write {$mod: [divisor, remainder]}.");
		return NULL;
	}
	for (i = 0; i < 2; i++)
	{
		const char *what = i == 0 ? "divisor" : "remainder";
		double		d;

		if (!asp_value_is_number(&parts[i]))
		{
			merr(mc, ASP_ERR_INVALID, field, "malformed $mod, %s not a number%s", what,
				 field_suffix(field, fb, sizeof(fb)));
			return NULL;
		}
		d = asp_value_as_double(&parts[i]);
		if (isnan(d) || isinf(d) || d >= 9223372036854775808.0 || d < -9223372036854775808.0)
		{
			merr(mc, ASP_ERR_INVALID, field, "malformed $mod, %s value is invalid%s", what,
				 field_suffix(field, fb, sizeof(fb)));
			return NULL;
		}
		if (!asp_value_as_int64_exact(&parts[i], &ints[i]))
			ints[i] = (int64_t) trunc(d);	/* MongoDB truncates toward zero */
	}
	if (ints[0] == 0)
	{
		merr(mc, ASP_ERR_INVALID, field, "$mod divisor cannot be 0%s",
			 field_suffix(field, fb, sizeof(fb)));
		return NULL;
	}
	n = path_node(mc, MK_LEAF, MOP_MOD, field, flen, pathless, "$mod", v);
	if (n)
	{
		n->divisor = ints[0];
		n->remainder = ints[1];
	}
	return n;
}

/* parse_bits: $bitsAllSet $bitsAllClear $bitsAnySet $bitsAnyClear */
static mnode *
parse_bits(mcomp *mc, mop op, const char *opname, const char *field, size_t flen,
		   const bson_value_t *v, bool pathless)
{
	char		fb[300];
	mnode	   *n = path_node(mc, MK_LEAF, op, field, flen, pathless, opname, v);
	int64_t		x;

	if (n == NULL)
		return NULL;
	if (asp_value_is_number(v))
	{
		int			b;

		if (!int_operand(v, &x) || x < 0)
		{
			merr(mc, ASP_ERR_INVALID, field, "%s bitmask must be a non-negative integer%s",
				 opname, field_suffix(field, fb, sizeof(fb)));
			mnode_free(n);
			return NULL;
		}
		n->bitmask = (uint64_t) x;
		n->bitpos = xcalloc(64, sizeof(uint32_t));
		for (b = 0; b < 64; b++)
			if (n->bitmask & (1ULL << b))
				n->bitpos[n->nbitpos++] = b;
	}
	else if (v->value_type == BSON_TYPE_ARRAY)
	{
		bson_iter_t it;

		n->bitpos = xcalloc(count_elems(v), sizeof(uint32_t));
		if (bson_iter_init_from_data(&it, v->value.v_doc.data, v->value.v_doc.data_len))
			while (bson_iter_next(&it))
			{
				if (!int_operand(bson_iter_value(&it), &x) || x < 0 || x > INT32_MAX)
				{
					merr(mc, ASP_ERR_INVALID, field, "%s bit positions must be non-negative integers%s",
						 opname, field_suffix(field, fb, sizeof(fb)));
					mnode_free(n);
					return NULL;
				}
				n->bitpos[n->nbitpos++] = (uint32_t) x;
				n->bitmask |= 1ULL << (x > 63 ? 63 : x);
			}
	}
	else if (v->value_type == BSON_TYPE_BINARY)
	{
		uint32_t	i,
					b;

		n->bitpos = xcalloc((size_t) v->value.v_binary.data_len * 8, sizeof(uint32_t));
		for (i = 0; i < v->value.v_binary.data_len; i++)
			for (b = 0; b < 8; b++)
				if (v->value.v_binary.data[i] & (1u << b))
				{
					n->bitpos[n->nbitpos++] = i * 8 + b;
					n->bitmask |= 1ULL << (i < 8 ? i * 8 + b : 63);
				}
	}
	else
	{
		merr(mc, ASP_ERR_INVALID, field, "%s takes a bitmask number, an array of bit positions or BinData%s",
			 opname, field_suffix(field, fb, sizeof(fb)));
		mnode_free(n);
		return NULL;
	}
	return n;
}

/* parse_size: $size: non-negative whole number */
static mnode *
parse_size(mcomp *mc, const char *field, size_t flen, const bson_value_t *v, bool pathless)
{
	char		fb[300];
	int64_t		sz;
	mnode	   *n;

	if (!asp_value_is_number(v))
	{
		merr(mc, ASP_ERR_INVALID, field, "$size needs a number%s", field_suffix(field, fb, sizeof(fb)));
		return NULL;
	}
	if (!asp_value_as_int64_exact(v, &sz))
	{
		merr(mc, ASP_ERR_INVALID, field, "$size must be a whole number%s",
			 field_suffix(field, fb, sizeof(fb)));
		return NULL;
	}
	if (sz < 0)
	{
		merr(mc, ASP_ERR_INVALID, field, "$size may not be negative%s",
			 field_suffix(field, fb, sizeof(fb)));
		return NULL;
	}
	n = path_node(mc, MK_ARRAY, MOP_SIZE, field, flen, pathless, "$size", v);
	if (n)
		n->size = sz;
	return n;
}

/* parse_elem_match: both forms of $elemMatch */
static mnode *
parse_elem_match(mcomp *mc, const char *field, size_t flen, const bson_value_t *v,
				 bool pathless)
{
	char		fb[300];
	mnode	   *n;
	const char *k;

	if (v->value_type != BSON_TYPE_DOCUMENT)
	{
		merr(mc, ASP_ERR_INVALID, field, "$elemMatch needs an object%s",
			 field_suffix(field, fb, sizeof(fb)));
		asp_error_hint(mc->err, "Write {$elemMatch: {$gt: 1}} or {$elemMatch: {field: value}}.");
		return NULL;
	}
	k = first_key(v);
	if (k != NULL && k[0] == '$' && !is_pathless_op(k) && !is_dbref(v, true))
	{
		/* value form: operators applied to each element */
		mnode	   *tmp = mnode_new(MK_AND, MOP_NONE, field);

		if (!parse_ops(mc, tmp, field, flen, v, true))
		{
			mnode_free(tmp);
			return NULL;
		}
		n = path_node(mc, MK_ARRAY, MOP_ELEM_VAL, field, flen, pathless, "$elemMatch", v);
		if (n == NULL)
		{
			mnode_free(tmp);
			return NULL;
		}
		n->children = tmp->children;
		n->nchildren = tmp->nchildren;
		tmp->children = NULL;
		tmp->nchildren = 0;
		mnode_free(tmp);
		return n;
	}
	/* object form: a query on each element that is a document or array */
	{
		mnode	   *sub = parse_query(mc, v, false);

		if (sub == NULL)
		{
			asp_error_where(mc->err, -1, NULL, field);
			return NULL;
		}
		n = path_node(mc, MK_ARRAY, MOP_ELEM_OBJ, field, flen, pathless, "$elemMatch", v);
		if (n == NULL)
		{
			mnode_free(sub);
			return NULL;
		}
		add_child(n, sub);
	}
	return n;
}

/* parse_all: $all: AND of equalities/regexes, or of $elemMatch */
static mnode *
parse_all(mcomp *mc, const char *field, size_t flen, const bson_value_t *v, bool pathless)
{
	char		fb[300];
	mnode	   *and;
	bson_iter_t it;
	bool		first = true,
				elem_mode = false;

	if (v->value_type != BSON_TYPE_ARRAY)
	{
		merr(mc, ASP_ERR_INVALID, field, "$all needs an array%s", field_suffix(field, fb, sizeof(fb)));
		asp_error_hint(mc->err, "Write {$all: [value, ...]}.");
		return NULL;
	}
	if (count_elems(v) == 0)
	{
		/* MongoDB: {$all: []} matches nothing */
		and = mnode_new(MK_FALSE, MOP_NONE, field);
		and->opname = "$all";
		and->operand = *v;
		return and;
	}
	and = mnode_new(MK_AND, MOP_NONE, field);
	and->opname = "$all";
	and->operand = *v;
	if (!bson_iter_init_from_data(&it, v->value.v_doc.data, v->value.v_doc.data_len))
		return and;
	while (bson_iter_next(&it))
	{
		const bson_value_t *ev = bson_iter_value(&it);
		const char *k = first_key(ev);
		bool		is_em = k != NULL && strcmp(k, "$elemMatch") == 0;
		mnode	   *child;

		if (first)
			elem_mode = is_em;
		first = false;
		if (is_em != elem_mode)
		{
			merr(mc, ASP_ERR_INVALID, field, "$all/$elemMatch has to be consistent%s",
				 field_suffix(field, fb, sizeof(fb)));
			asp_error_hint(mc->err, "Either every element of $all is an {$elemMatch: ...} object or none is.");
			mnode_free(and);
			return NULL;
		}
		if (is_em)
		{
			bson_iter_t sub;

			/* as in MongoDB, only the first field ($elemMatch) counts */
			bson_iter_init_from_data(&sub, ev->value.v_doc.data, ev->value.v_doc.data_len);
			bson_iter_next(&sub);
			child = parse_elem_match(mc, field, flen, bson_iter_value(&sub), pathless);
		}
		else if (ev->value_type == BSON_TYPE_REGEX)
			child = parse_regex(mc, field, flen, ev, NULL, pathless);
		else if (is_operator_doc(ev, false))
		{
			merr(mc, ASP_ERR_INVALID, field, "no $ expressions in $all%s",
				 field_suffix(field, fb, sizeof(fb)));
			mnode_free(and);
			return NULL;
		}
		else
			child = parse_compare(mc, MOP_EQ, "$eq", field, flen, ev, pathless);
		if (child == NULL)
		{
			mnode_free(and);
			return NULL;
		}
		add_child(and, child);
	}
	return and;
}

/* parse_not: $not with an operator document or a regex */
static mnode *
parse_not(mcomp *mc, const char *field, size_t flen, const bson_value_t *v, bool pathless)
{
	char		fb[300];
	mnode	   *child;

	if (v->value_type == BSON_TYPE_REGEX)
		child = parse_regex(mc, field, flen, v, NULL, pathless);
	else if (v->value_type == BSON_TYPE_DOCUMENT)
	{
		if (count_elems(v) == 0)
		{
			merr(mc, ASP_ERR_INVALID, field, "$not cannot be empty%s",
				 field_suffix(field, fb, sizeof(fb)));
			return NULL;
		}
		child = mnode_new(MK_AND, MOP_NONE, field);
		if (!parse_ops(mc, child, field, flen, v, pathless))
		{
			mnode_free(child);
			return NULL;
		}
		if (child->nchildren == 1)
		{
			mnode	   *only = child->children[0];

			child->nchildren = 0;
			mnode_free(child);
			child = only;
		}
	}
	else
	{
		merr(mc, ASP_ERR_INVALID, field, "$not needs a regex or a document%s",
			 field_suffix(field, fb, sizeof(fb)));
		asp_error_hint(mc->err, "Write {$not: {$gt: 5}} or {$not: /pattern/}.");
		return NULL;
	}
	if (child == NULL)
		return NULL;
	return wrap_not(child, field, "$not", v);
}

/*
 * parse_ops: an operator document {$gt: 1, $lt: 5} for field; adds one
 * node per operator to `and`.  pathless: inside $elemMatch's value form.
 */
static bool
parse_ops(mcomp *mc, mnode *and, const char *field, size_t flen,
		  const bson_value_t *obj, bool pathless)
{
	char		fb[300];
	bson_iter_t it;
	bson_value_t regex_v,
				options_v;
	const bson_value_t *regex = NULL,
			   *options = NULL;
	bool		regex_done = false;

	if (++mc->depth > MAX_QUERY_DEPTH)
		return merr(mc, ASP_ERR_LIMIT, field, "query is nested too deeply (more than %d levels)",
					MAX_QUERY_DEPTH);
	/* $regex and $options go together wherever they are */
	if (bson_iter_init_from_data(&it, obj->value.v_doc.data, obj->value.v_doc.data_len))
		while (bson_iter_next(&it))
		{
			/* copy: bson_iter_value() points into the iterator */
			if (strcmp(bson_iter_key(&it), "$regex") == 0)
			{
				regex_v = *bson_iter_value(&it);
				regex = &regex_v;
			}
			else if (strcmp(bson_iter_key(&it), "$options") == 0)
			{
				options_v = *bson_iter_value(&it);
				options = &options_v;
			}
		}
	if (options != NULL && regex == NULL)
		return merr(mc, ASP_ERR_INVALID, field, "$options needs a $regex%s",
					field_suffix(field, fb, sizeof(fb)));

	if (!bson_iter_init_from_data(&it, obj->value.v_doc.data, obj->value.v_doc.data_len))
		return merr(mc, ASP_ERR_INVALID, field, "invalid BSON in query");
	while (bson_iter_next(&it))
	{
		const char *op = bson_iter_key(&it);
		const bson_value_t *v = bson_iter_value(&it);
		mnode	   *n = NULL;

		if (strcmp(op, "$eq") == 0)
			n = parse_compare(mc, MOP_EQ, op, field, flen, v, pathless);
		else if (strcmp(op, "$ne") == 0)
		{
			if (v->value_type == BSON_TYPE_REGEX)
				return merr(mc, ASP_ERR_INVALID, field, "can't have a regex as the argument of $ne%s",
							field_suffix(field, fb, sizeof(fb)));
			n = parse_compare(mc, MOP_EQ, "$eq", field, flen, v, pathless);
			if (n)
				n = wrap_not(n, field, "$ne", v);
		}
		else if (strcmp(op, "$lt") == 0)
			n = parse_compare(mc, MOP_LT, op, field, flen, v, pathless);
		else if (strcmp(op, "$lte") == 0)
			n = parse_compare(mc, MOP_LTE, op, field, flen, v, pathless);
		else if (strcmp(op, "$gt") == 0)
			n = parse_compare(mc, MOP_GT, op, field, flen, v, pathless);
		else if (strcmp(op, "$gte") == 0)
			n = parse_compare(mc, MOP_GTE, op, field, flen, v, pathless);
		else if (strcmp(op, "$in") == 0)
			n = parse_in(mc, op, field, flen, v, pathless);
		else if (strcmp(op, "$nin") == 0)
		{
			n = parse_in(mc, op, field, flen, v, pathless);
			if (n)
				n = wrap_not(n, field, "$nin", v);
		}
		else if (strcmp(op, "$exists") == 0)
		{
			n = path_node(mc, MK_LEAF, MOP_EXISTS, field, flen, pathless, "$exists", v);
			if (n && !asp_value_truthy(v))
				n = wrap_not(n, field, "$exists", v);
		}
		else if (strcmp(op, "$type") == 0)
			n = parse_type(mc, field, flen, v, pathless);
		else if (strcmp(op, "$regex") == 0)
		{
			if (regex_done)
				continue;
			regex_done = true;
			n = parse_regex(mc, field, flen, regex, options, pathless);
		}
		else if (strcmp(op, "$options") == 0)
			continue;
		else if (strcmp(op, "$not") == 0)
			n = parse_not(mc, field, flen, v, pathless);
		else if (strcmp(op, "$all") == 0)
			n = parse_all(mc, field, flen, v, pathless);
		else if (strcmp(op, "$elemMatch") == 0)
			n = parse_elem_match(mc, field, flen, v, pathless);
		else if (strcmp(op, "$size") == 0)
			n = parse_size(mc, field, flen, v, pathless);
		else if (strcmp(op, "$mod") == 0)
			n = parse_mod(mc, field, flen, v, pathless);
		else if (strcmp(op, "$bitsAllSet") == 0)
			n = parse_bits(mc, MOP_BITS_ALL_SET, op, field, flen, v, pathless);
		else if (strcmp(op, "$bitsAllClear") == 0)
			n = parse_bits(mc, MOP_BITS_ALL_CLEAR, op, field, flen, v, pathless);
		else if (strcmp(op, "$bitsAnySet") == 0)
			n = parse_bits(mc, MOP_BITS_ANY_SET, op, field, flen, v, pathless);
		else if (strcmp(op, "$bitsAnyClear") == 0)
			n = parse_bits(mc, MOP_BITS_ANY_CLEAR, op, field, flen, v, pathless);
		else if (strcmp(op, "$where") == 0)
			return merr(mc, ASP_ERR_UNSUPPORTED, field,
						"$where is not supported: JavaScript is not available in stream processing");
		else if (is_geo_op(op))
		{
			merr(mc, ASP_ERR_UNSUPPORTED, field,
				 "geospatial query operator %s is not supported in stream processing%s", op,
				 field_suffix(field, fb, sizeof(fb)));
			asp_error_hint(mc->err, "Compute distances or containment with aggregation expressions in $expr.");
			return false;
		}
		else if (strcmp(op, "$text") == 0)
			return merr(mc, ASP_ERR_UNSUPPORTED, field,
						"$text is not supported in stream processing: it needs a text index");
		else
		{
			merr(mc, ASP_ERR_INVALID, field, "unknown operator: %s%s", op,
				 field_suffix(field, fb, sizeof(fb)));
			if (op[0] != '$')
				asp_error_hint(mc->err, "An object whose first field starts with '$' is an operator document; it cannot also hold plain fields. Use dotted paths (\"%s.%s\") for subfields.",
							   field, op);
			return false;
		}
		if (n == NULL)
			return false;
		add_child(and, n);
	}
	mc->depth--;
	return true;
}

/* ---------- documents and top-level operators ---------- */

/* parse_logical: $and / $or / $nor */
static mnode *
parse_logical(mcomp *mc, mkind kind, const char *opname, const bson_value_t *v, bool top)
{
	bson_iter_t it;
	mnode	   *n;

	if (v->value_type != BSON_TYPE_ARRAY || count_elems(v) == 0)
	{
		merr(mc, ASP_ERR_INVALID, opname, "%s must be a non-empty array", opname);
		asp_error_hint(mc->err, "Write {%s: [{...}, {...}]}.", opname);
		return NULL;
	}
	n = mnode_new(kind, MOP_NONE, "");
	n->opname = opname;
	n->operand = *v;
	bson_iter_init_from_data(&it, v->value.v_doc.data, v->value.v_doc.data_len);
	while (bson_iter_next(&it))
	{
		const bson_value_t *ev = bson_iter_value(&it);
		mnode	   *child;

		if (ev->value_type != BSON_TYPE_DOCUMENT)
		{
			merr(mc, ASP_ERR_INVALID, opname, "%s entries need to be full objects", opname);
			mnode_free(n);
			return NULL;
		}
		child = parse_query(mc, ev, top);
		if (child == NULL)
		{
			asp_error_where(mc->err, -1, NULL, opname);
			mnode_free(n);
			return NULL;
		}
		add_child(n, child);
	}
	return n;
}

/* parse_top_op: an operator at the top of a query document */
static mnode *
parse_top_op(mcomp *mc, const char *op, const bson_value_t *v, bool top, bool *skip)
{
	*skip = false;
	if (strcmp(op, "$and") == 0)
		return parse_logical(mc, MK_AND, "$and", v, top);
	if (strcmp(op, "$or") == 0)
		return parse_logical(mc, MK_OR, "$or", v, top);
	if (strcmp(op, "$nor") == 0)
		return parse_logical(mc, MK_NOR, "$nor", v, top);
	if (strcmp(op, "$comment") == 0)
	{
		*skip = true;
		return NULL;
	}
	if (strcmp(op, "$expr") == 0)
	{
		mnode	   *n;
		asp_expr   *e;

		if (!top)
		{
			/* located at the field of the enclosing $elemMatch by the caller */
			merr(mc, ASP_ERR_INVALID, "", "$expr can only be applied to the top-level document");
			asp_error_hint(mc->err, "$expr is not allowed inside $elemMatch.");
			return NULL;
		}
		if (mc->c == NULL)
		{
			merr(mc, ASP_ERR_INTERNAL, "$expr", "$expr needs an expression compiler");
			return NULL;
		}
		{
			/* errors of the expression are located at "$expr" in the query */
			const char *saved_where = mc->c->where;

			mc->c->where = "$expr";
			e = asp_expr_compile_value(mc->c, v);
			mc->c->where = saved_where;
		}
		if (e == NULL)
		{
			asp_error_where(mc->err, -1, NULL, "$expr");
			return NULL;
		}
		n = mnode_new(MK_EXPR, MOP_NONE, "");
		n->opname = "$expr";
		n->operand = *v;
		n->expr = e;
		mc->has_expr = true;
		return n;
	}
	if (strcmp(op, "$jsonSchema") == 0)
	{
		mnode	   *n;
		asp_jschema *s;

		if (v->value_type != BSON_TYPE_DOCUMENT)
		{
			merr(mc, ASP_ERR_INVALID, "$jsonSchema", "$jsonSchema must be an object");
			return NULL;
		}
		s = asp_jschema_compile(v->value.v_doc.data, v->value.v_doc.data_len, mc->err);
		if (s == NULL)
			return NULL;
		n = mnode_new(MK_SCHEMA, MOP_NONE, "");
		n->opname = "$jsonSchema";
		n->operand = *v;
		n->schema = s;
		return n;
	}
	if (strcmp(op, "$alwaysTrue") == 0 || strcmp(op, "$alwaysFalse") == 0)
	{
		int64_t		one;
		mnode	   *n;

		if (!int_operand(v, &one) || one != 1)
		{
			merr(mc, ASP_ERR_INVALID, op, "%s must be an integer value of 1", op);
			return NULL;
		}
		n = mnode_new(op[7] == 'T' ? MK_TRUE : MK_FALSE, MOP_NONE, "");
		n->opname = op[7] == 'T' ? "$alwaysTrue" : "$alwaysFalse";
		return n;
	}
	if (strcmp(op, "$where") == 0)
	{
		merr(mc, ASP_ERR_UNSUPPORTED, "$where",
			 "$where is not supported: JavaScript is not available in stream processing");
		asp_error_hint(mc->err, "Rewrite the condition with $expr and aggregation expressions.");
		return NULL;
	}
	if (strcmp(op, "$text") == 0)
	{
		merr(mc, ASP_ERR_UNSUPPORTED, "$text",
			 "$text is not supported in stream processing: it needs a text index");
		asp_error_hint(mc->err, "Use $regex or $expr with $regexMatch to search strings.");
		return NULL;
	}
	if (is_geo_op(op) || strcmp(op, "$sampleRate") == 0)
	{
		merr(mc, ASP_ERR_UNSUPPORTED, op, "%s is not supported in stream processing", op);
		return NULL;
	}
	merr(mc, ASP_ERR_INVALID, op, "unknown top level operator: %s", op);
	return NULL;
}

/* parse_field: one field of a query document */
static bool
parse_field(mcomp *mc, mnode *and, const char *field, size_t flen, const bson_value_t *v)
{
	mnode	   *n;

	if (v->value_type == BSON_TYPE_DOCUMENT && is_operator_doc(v, false))
		return parse_ops(mc, and, field, flen, v, false);
	if (v->value_type == BSON_TYPE_REGEX)
		n = parse_regex(mc, field, flen, v, NULL, false);
	else
		n = parse_compare(mc, MOP_EQ, "$eq", field, flen, v, false);
	if (n == NULL)
		return false;
	add_child(and, n);
	return true;
}

/*
 * parse_query: a query document (the top-level one, a clause of
 * $and/$or/$nor, or $elemMatch's object form when !top) as an implicit
 * $and of its fields.
 */
static mnode *
parse_query(mcomp *mc, const bson_value_t *q, bool top)
{
	bson_iter_t it;
	mnode	   *and;

	if (++mc->depth > MAX_QUERY_DEPTH)
	{
		merr(mc, ASP_ERR_LIMIT, "", "query is nested too deeply (more than %d levels)",
			 MAX_QUERY_DEPTH);
		return NULL;
	}
	if (!bson_iter_init_from_data(&it, q->value.v_doc.data, q->value.v_doc.data_len))
	{
		merr(mc, ASP_ERR_INVALID, "", "invalid BSON in query");
		return NULL;
	}
	and = mnode_new(MK_AND, MOP_NONE, "");
	while (bson_iter_next(&it))
	{
		const char *key = bson_iter_key(&it);
		const bson_value_t *v = bson_iter_value(&it);

		if (key[0] == '$')
		{
			bool		skip;
			mnode	   *n = parse_top_op(mc, key, v, top, &skip);

			if (skip)
				continue;
			if (n == NULL)
			{
				mnode_free(and);
				return NULL;
			}
			add_child(and, n);
			continue;
		}
		if (!parse_field(mc, and, key, bson_iter_key_len(&it), v))
		{
			mnode_free(and);
			return NULL;
		}
	}
	mc->depth--;
	return and;
}

/* mnode_free: free a node and its children */
static void
mnode_free(mnode *n)
{
	int			i;

	if (n == NULL)
		return;
	for (i = 0; i < n->nchildren; i++)
		mnode_free(n->children[i]);
	free(n->children);
	asp_path_destroy(&n->path);
	free(n->in_vals);
	for (i = 0; i < n->nin_re; i++)
		mregex_free(&n->in_re[i]);
	free(n->in_re);
	mregex_free(&n->re);
	free(n->bitpos);
	if (n->expr)
		asp_expr_free(n->expr);
	asp_jschema_free(n->schema);
	free(n->field);
	free(n);
}

/* asp_match_compile: compile a query document */
asp_match *
asp_match_compile(asp_expr_compiler *c, const uint8_t *query, uint32_t len)
{
	mcomp		mc;
	asp_match  *m;
	bson_value_t q;
	asp_error	local;

	memset(&mc, 0, sizeof(mc));
	mc.c = c;
	mc.err = (c && c->err) ? c->err : &local;
	m = xcalloc(1, sizeof(asp_match));
	m->buf = malloc(len ? len : 1);
	if (m->buf == NULL)
		abort();
	memcpy(m->buf, query, len);
	m->len = len;
	asp_value_set_doc(&q, BSON_TYPE_DOCUMENT, m->buf, len);
	m->root = parse_query(&mc, &q, true);
	if (m->root == NULL)
	{
		free(m->buf);
		free(m);
		return NULL;
	}
	m->has_expr = mc.has_expr;
	return m;
}

/* asp_match_free: free a compiled query (NULL is fine) */
void
asp_match_free(asp_match *m)
{
	if (m == NULL)
		return;
	mnode_free(m->root);
	free(m->buf);
	free(m);
}
