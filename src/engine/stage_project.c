/*-------------------------------------------------------------------------
 *
 * stage_project.c
 *	  The projection stages: $project, $addFields (alias $set) and $unset.
 *	  ($replaceRoot and $replaceWith are in stage_fields.c.)
 *
 * $project, $addFields and $unset share one compiled form, a tree of
 * projection nodes (MongoDB's ProjectionNode): each node lists, in the
 * order they first appear in the specification, its fields, each of which
 * is an inclusion, an exclusion, a computed field (an expression) or a
 * child node for a dotted path ("a.b" and {a: {b: ...}} are the same).
 * The output is written in one pass over the input document into the
 * stage's reusable buffer; expressions are evaluated lazily, at most once
 * per document, against the original document.
 *
 * Semantics follow MongoDB's projection executors exactly:
 *	- inclusion: included fields keep the INPUT document's order; computed
 *	  fields follow, in specification order, even when the input had a
 *	  field of that name (so {_id: "$x", a: 1} outputs a, then _id).  A
 *	  sub-document reached through a dotted path keeps its input position,
 *	  and its own computed fields are appended after its included ones.
 *	  Through arrays, each element is projected: documents keep the
 *	  included fields (possibly becoming {}), scalars are dropped unless
 *	  the sub-tree computes fields, in which case they become a document
 *	  of the computed fields (MongoDB's applyExpressionsToValue).
 *	- exclusion: every field except the excluded ones, in input order;
 *	  through arrays, excluded fields are removed from each document
 *	  element and scalars are kept.
 *	- $addFields: a computed field that exists in the input is replaced in
 *	  place; a new one is appended; a missing result ($$REMOVE, a missing
 *	  path) removes the field.  For "a.b", a sub-document gets b set, an
 *	  array gets b set in each element (scalar elements become {b: ...}),
 *	  and any other value, or a missing a, becomes {b: ...} ({} when the
 *	  value is missing).
 *
 * Deliberate differences from MongoDB: when several expressions of one
 * specification fail on the same document, the one reported may differ
 * (MongoDB evaluates in specification order, we evaluate as the output is
 * written); {$meta: ...} is not allowed in an exclusion projection.
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exec.h"
#include "stage.h"

typedef enum pf_kind
{
	PF_INCLUDE,					/* a: 1 */
	PF_EXCLUDE,					/* a: 0 */
	PF_EXPR,					/* a: <expression> */
	PF_CHILD					/* a.<something> */
} pf_kind;

typedef struct pnode pnode;

typedef struct pfield
{
	char	   *name;
	uint32_t	len;
	pf_kind		kind;
	asp_expr   *expr;			/* PF_EXPR */
	int			slot;			/* PF_EXPR: index of its per-document memo */
	pnode	   *child;			/* PF_CHILD */
} pfield;

struct pnode
{
	int			nfields;
	int			cap;
	pfield	   *fields;			/* in order of first appearance in the spec */
	bool		has_computed;	/* this sub-tree has a computed field */
};

typedef enum proj_mode
{
	PM_NONE = 0,
	PM_INCLUSION,
	PM_EXCLUSION,
	PM_ADD_FIELDS
} proj_mode;

typedef struct proj_data
{
	proj_mode	mode;
	pnode		root;
	int			nexprs;
} proj_data;

/* per-document memo of an expression's value */
typedef struct memo_slot
{
	bool		done;
	bson_value_t v;
} memo_slot;

/* state of one push */
typedef struct proj_run
{
	asp_eval_ctx *ctx;
	memo_slot  *memo;
} proj_run;

/* state of the specification parser */
typedef struct proj_parse
{
	asp_stage_compile_ctx *cc;
	proj_data  *pd;
	const char *stage;			/* "$project", for messages */
	bool		add_fields;
	proj_mode	type;			/* inclusion / exclusion decided so far */
	bool		id_specified;
	bool		id_included;
	bool		id_excluded;
} proj_parse;

/* ---------- the projection tree ---------- */

/* node_find: index of the field name[0..len) in n, or -1 */
static int
node_find(const pnode *n, const char *name, uint32_t len)
{
	int			i;

	for (i = 0; i < n->nfields; i++)
	{
		const pfield *f = &n->fields[i];

		if (f->len == len && memcmp(f->name, name, len) == 0)
			return i;
	}
	return -1;
}

/* node_add: append a field to n and return it */
static pfield *
node_add(pnode *n, const char *name, uint32_t len, pf_kind kind)
{
	pfield	   *f;

	if (n->nfields == n->cap)
	{
		n->cap = n->cap ? n->cap * 2 : 4;
		n->fields = realloc(n->fields, n->cap * sizeof(pfield));
		if (n->fields == NULL)
			abort();
	}
	f = &n->fields[n->nfields++];
	memset(f, 0, sizeof(*f));
	f->name = strndup(name, len);
	if (f->name == NULL)
		abort();
	f->len = len;
	f->kind = kind;
	f->slot = -1;
	return f;
}

/* node_free: free what a node owns (not the node itself) */
static void
node_free(pnode *n)
{
	int			i;

	for (i = 0; i < n->nfields; i++)
	{
		pfield	   *f = &n->fields[i];

		free(f->name);
		asp_expr_free(f->expr);
		if (f->child)
		{
			node_free(f->child);
			free(f->child);
		}
	}
	free(n->fields);
	n->fields = NULL;
	n->nfields = n->cap = 0;
}

/* node_remove: drop field i of n */
static void
node_remove(pnode *n, int i)
{
	pfield	   *f = &n->fields[i];

	free(f->name);
	asp_expr_free(f->expr);
	if (f->child)
	{
		node_free(f->child);
		free(f->child);
	}
	memmove(&n->fields[i], &n->fields[i + 1], (n->nfields - i - 1) * sizeof(pfield));
	n->nfields--;
}

/* node_mark_computed: set has_computed bottom-up; returns the node's flag */
static bool
node_mark_computed(pnode *n)
{
	int			i;

	n->has_computed = false;
	for (i = 0; i < n->nfields; i++)
	{
		pfield	   *f = &n->fields[i];

		if (f->kind == PF_EXPR)
			n->has_computed = true;
		else if (f->kind == PF_CHILD && node_mark_computed(f->child))
			n->has_computed = true;
	}
	return n->has_computed;
}

/* proj_data_free: free compiled projection data */
static void
proj_data_free(proj_data *pd)
{
	if (pd == NULL)
		return;
	node_free(&pd->root);
	free(pd);
}

/*
 * add_path: add the dotted path full[0..len) as a leaf of the given kind
 * (taking ownership of expr), creating child nodes on the way.  Fails on
 * a path collision ("a" and "a.b", or the same path twice), with
 * MongoDB's messages.
 */
static bool
add_path(proj_parse *pp, const char *full, size_t len, pf_kind kind, asp_expr *expr)
{
	asp_error  *err = pp->cc->err;
	asp_path	p;
	pnode	   *node = &pp->pd->root;
	int			i;

	if (!asp_path_init(&p, full, len, "field path", err))
	{
		asp_error_where(err, -1, NULL, full);
		asp_expr_free(expr);
		return false;
	}
	for (i = 0; i < p.nparts; i++)
	{
		const asp_path_part *part = &p.parts[i];
		int			fi = node_find(node, part->name, part->len);

		if (i == p.nparts - 1)
		{
			pfield	   *f;

			if (fi >= 0)
			{
				asp_error_set(err, ASP_ERR_INVALID, "path collision at %s", p.dotted);
				asp_error_hint(err, "Each field may be specified only once, and not together with one of its sub-fields.");
				break;
			}
			f = node_add(node, part->name, part->len, kind);
			if (kind == PF_EXPR)
			{
				f->expr = expr;
				f->slot = pp->pd->nexprs++;
			}
			asp_path_destroy(&p);
			return true;
		}
		if (fi < 0)
		{
			pfield	   *f = node_add(node, part->name, part->len, PF_CHILD);

			f->child = calloc(1, sizeof(pnode));
			if (f->child == NULL)
				abort();
			node = f->child;
		}
		else if (node->fields[fi].kind != PF_CHILD)
		{
			asp_error_set(err, ASP_ERR_INVALID,
						  "path collision at %s remaining portion %s", p.dotted,
						  p.dotted + (p.parts[i + 1].name - p.parts[0].name));
			asp_error_hint(err, "A field and one of its sub-fields cannot both be specified.");
			break;
		}
		else
			node = node->fields[fi].child;
	}
	asp_error_where(err, -1, NULL, full);
	asp_path_destroy(&p);
	asp_expr_free(expr);
	return false;
}

/* count_fields: number of fields of a document value */
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

/* is_flag: a $project value that means inclusion or exclusion */
static bool
is_flag(const bson_value_t *v)
{
	return v->value_type == BSON_TYPE_BOOL || asp_value_is_number(v);
}

/* add_computed: compile v as the expression of field `full` and add it */
static bool
add_computed(proj_parse *pp, const char *full, const bson_value_t *v)
{
	asp_error  *err = pp->cc->err;
	asp_expr_compiler c;
	asp_expr   *e;

	if (!pp->add_fields)
	{
		if (pp->type == PM_EXCLUSION)
		{
			asp_error_set(err, ASP_ERR_INVALID,
						  "cannot use an expression for field %s in an exclusion projection", full);
			asp_error_hint(err, "An exclusion projection ({\"field\": 0}) only removes fields; compute fields with $addFields or $set, or list the fields to keep.");
			asp_error_where(err, -1, NULL, full);
			return false;
		}
		pp->type = PM_INCLUSION;
	}
	asp_expr_compiler_init(&c, err, full);
	c.allow_window_meta = pp->cc->in_window;
	e = asp_expr_compile_value(&c, v);
	if (e == NULL)
	{
		asp_error_where(err, -1, NULL, full);
		return false;
	}
	return add_path(pp, full, strlen(full), PF_EXPR, e);
}

/* add_flag: an inclusion or exclusion of `full` */
static bool
add_flag(proj_parse *pp, const char *full, bool top, bool include)
{
	asp_error  *err = pp->cc->err;
	bool		top_id = top && strcmp(full, "_id") == 0;

	if (include)
	{
		if (top_id)
			pp->id_included = true;
		else
		{
			if (pp->type == PM_EXCLUSION)
			{
				asp_error_set(err, ASP_ERR_INVALID,
							  "cannot do inclusion on field %s in exclusion projection", full);
				asp_error_hint(err, "A projection either lists the fields to keep (1) or the fields to remove (0); only _id may be excluded from an inclusion projection.");
				asp_error_where(err, -1, NULL, full);
				return false;
			}
			pp->type = PM_INCLUSION;
		}
		return add_path(pp, full, strlen(full), PF_INCLUDE, NULL);
	}
	if (top_id)
		pp->id_excluded = true;
	else
	{
		if (pp->type == PM_INCLUSION)
		{
			asp_error_set(err, ASP_ERR_INVALID,
						  "cannot do exclusion on field %s in inclusion projection", full);
			asp_error_hint(err, "A projection either lists the fields to keep (1) or the fields to remove (0); only _id may be excluded from an inclusion projection.");
			asp_error_where(err, -1, NULL, full);
			return false;
		}
		pp->type = PM_EXCLUSION;
	}
	return add_path(pp, full, strlen(full), PF_EXCLUDE, NULL);
}

/*
 * parse_spec: parse the fields of a specification document (or of a
 * sub-object of one; prefix is then its dotted path).
 */
static bool
parse_spec(proj_parse *pp, const char *prefix, const bson_value_t *spec)
{
	asp_error  *err = pp->cc->err;
	bson_iter_t it;
	bool		top = (prefix == NULL);

	if (!bson_iter_init_from_data(&it, spec->value.v_doc.data, spec->value.v_doc.data_len))
		return asp_error_set(err, ASP_ERR_INVALID, "%s specification is not a valid document", pp->stage);
	while (bson_iter_next(&it))
	{
		const char *key = bson_iter_key(&it);
		uint32_t	keylen = bson_iter_key_len(&it);
		const bson_value_t *v = bson_iter_value(&it);
		size_t		plen = prefix ? strlen(prefix) : 0;
		char	   *full = malloc(plen + keylen + 2);
		bool		ok;

		if (full == NULL)
			abort();
		if (prefix)
			sprintf(full, "%s.%s", prefix, key);
		else
			memcpy(full, key, keylen + 1);

		if (top && (strcmp(key, "_id") == 0 || strncmp(key, "_id.", 4) == 0))
			pp->id_specified = true;

		if (!top && pp->add_fields && memchr(key, '.', keylen) != NULL)
		{
			asp_error_set(err, ASP_ERR_INVALID,
						  "cannot use dotted field name '%s' in a sub-object", key);
			asp_error_hint(err, "Write the path at the top level, e.g. {\"%s\": ...}.", full);
			asp_error_where(err, -1, NULL, full);
			ok = false;
		}
		else if (v->value_type == BSON_TYPE_DOCUMENT)
		{
			int			n = count_fields(v);
			bson_iter_t sub;
			const char *first = "";

			if (n > 0 && bson_iter_init_from_data(&sub, v->value.v_doc.data, v->value.v_doc.data_len) &&
				bson_iter_next(&sub))
				first = bson_iter_key(&sub);
			if (n == 0)
			{
				if (pp->add_fields)
					ok = add_computed(pp, full, v);
				else
				{
					asp_error_set(err, ASP_ERR_INVALID,
								  "an empty sub-projection is not a valid value; found empty object at path %s", full);
					asp_error_hint(err, "Use {\"%s\": {\"$literal\": {}}} to set the field to an empty object.", full);
					asp_error_where(err, -1, NULL, full);
					ok = false;
				}
			}
			else if (first[0] == '$')
			{
				if (n != 1)
				{
					asp_error_set(err, ASP_ERR_INVALID,
								  "an expression specification must contain exactly one field, the name of the expression; found %d fields at path %s",
								  n, full);
					asp_error_hint(err, "Wrap each operator in its own object, e.g. {\"%s\": {\"%s\": ...}}.", full, first);
					asp_error_where(err, -1, NULL, full);
					ok = false;
				}
				else
					ok = add_computed(pp, full, v);
			}
			else
				ok = parse_spec(pp, full, v);
		}
		else if (!pp->add_fields && is_flag(v))
			ok = add_flag(pp, full, top, asp_value_truthy(v));
		else
			ok = add_computed(pp, full, v);
		free(full);
		if (!ok)
			return false;
	}
	return true;
}

/* ---------- evaluation and output ---------- */

/* eval_field: the value of a computed field, evaluated once per document */
static bool
eval_field(proj_run *r, const pfield *f, bson_value_t *out)
{
	memo_slot  *m = &r->memo[f->slot];

	if (!m->done)
	{
		if (!asp_expr_eval(f->expr, r->ctx, &m->v))
			return false;
		m->done = true;
	}
	*out = m->v;
	return true;
}

/* alloc_done: zeroed per-field flags from the arena */
static bool *
alloc_done(proj_run *r, const pnode *n)
{
	bool	   *done;

	if (n->nfields == 0)
		return NULL;
	done = asp_arena_alloc(r->ctx->arena, n->nfields * sizeof(bool));
	memset(done, 0, n->nfields * sizeof(bool));
	return done;
}

static bool computed_only(proj_run *r, const pnode *n, bson_t *out);

/* computed_doc: append key: {the computed fields of n} */
static bool
computed_doc(proj_run *r, const pnode *n, bson_t *out, const char *key, int keylen)
{
	bson_t		child;
	bool		ok;

	bson_append_document_begin(out, key, keylen, &child);
	ok = computed_only(r, n, &child);
	bson_append_document_end(out, &child);
	return ok;
}

/*
 * computed_only: the computed fields of n and of its children, as MongoDB
 * writes them where the input has no document (applyExpressions on an
 * empty document).
 */
static bool
computed_only(proj_run *r, const pnode *n, bson_t *out)
{
	int			i;

	for (i = 0; i < n->nfields; i++)
	{
		const pfield *f = &n->fields[i];

		if (f->kind == PF_EXPR)
		{
			bson_value_t v;

			if (!eval_field(r, f, &v))
				return false;
			asp_bson_append_value(out, f->name, (int) f->len, &v);
		}
		else if (f->kind == PF_CHILD && f->child->has_computed)
		{
			if (!computed_doc(r, f->child, out, f->name, (int) f->len))
				return false;
		}
	}
	return true;
}

/* ----- inclusion ----- */

static bool incl_doc(proj_run *r, const pnode *n, const uint8_t *data, uint32_t len, bson_t *out);

/* incl_array: an inclusion sub-tree applied to each element of an array */
static bool
incl_array(proj_run *r, const pnode *n, const uint8_t *data, uint32_t len, bson_t *out)
{
	bson_iter_t it;
	uint32_t	idx = 0;

	if (!bson_iter_init_from_data(&it, data, len))
		return true;
	while (bson_iter_next(&it))
	{
		char		kbuf[16];
		size_t		klen;
		const char *key;
		const uint8_t *d;
		uint32_t	l;
		bson_t		child;
		bool		ok;

		if (BSON_ITER_HOLDS_DOCUMENT(&it))
		{
			key = asp_array_key(idx++, kbuf, sizeof(kbuf), &klen);
			bson_iter_document(&it, &l, &d);
			bson_append_document_begin(out, key, (int) klen, &child);
			ok = incl_doc(r, n, d, l, &child);
			bson_append_document_end(out, &child);
		}
		else if (BSON_ITER_HOLDS_ARRAY(&it))
		{
			key = asp_array_key(idx++, kbuf, sizeof(kbuf), &klen);
			bson_iter_array(&it, &l, &d);
			bson_append_array_begin(out, key, (int) klen, &child);
			ok = incl_array(r, n, d, l, &child);
			bson_append_array_end(out, &child);
		}
		else if (n->has_computed)
		{
			key = asp_array_key(idx++, kbuf, sizeof(kbuf), &klen);
			ok = computed_doc(r, n, out, key, (int) klen);
		}
		else
			ok = true;			/* scalars are dropped */
		if (!ok)
			return false;
	}
	return true;
}

/* incl_child: the value of a dotted-path field in an inclusion projection */
static bool
incl_child(proj_run *r, const pnode *n, bson_iter_t *it, bson_t *out)
{
	const char *key = bson_iter_key(it);
	int			keylen = (int) bson_iter_key_len(it);
	const uint8_t *d;
	uint32_t	l;
	bson_t		child;
	bool		ok;

	if (BSON_ITER_HOLDS_DOCUMENT(it))
	{
		bson_iter_document(it, &l, &d);
		bson_append_document_begin(out, key, keylen, &child);
		ok = incl_doc(r, n, d, l, &child);
		bson_append_document_end(out, &child);
		return ok;
	}
	if (BSON_ITER_HOLDS_ARRAY(it))
	{
		bson_iter_array(it, &l, &d);
		bson_append_array_begin(out, key, keylen, &child);
		ok = incl_array(r, n, d, l, &child);
		bson_append_array_end(out, &child);
		return ok;
	}
	if (n->has_computed)
		return computed_doc(r, n, out, key, keylen);
	return true;				/* {"a.b": 1} on {a: 2}: a is left out */
}

/* incl_doc: an inclusion (sub-)projection of a document */
static bool
incl_doc(proj_run *r, const pnode *n, const uint8_t *data, uint32_t len, bson_t *out)
{
	bool	   *done = n->has_computed ? alloc_done(r, n) : NULL;
	bson_iter_t it;
	int			i;

	if (bson_iter_init_from_data(&it, data, len))
	{
		while (bson_iter_next(&it))
		{
			int			fi = node_find(n, bson_iter_key(&it), bson_iter_key_len(&it));
			const pfield *f;

			if (fi < 0)
				continue;
			f = &n->fields[fi];
			if (f->kind == PF_INCLUDE)
				bson_append_iter(out, NULL, 0, &it);
			else if (f->kind == PF_CHILD)
			{
				if (done && done[fi])
					continue;	/* a duplicate key */
				if (!incl_child(r, f->child, &it, out))
					return false;
				if (done)
					done[fi] = true;
			}
			/* PF_EXPR: written below; PF_EXCLUDE (_id: 0): left out */
		}
	}
	if (!n->has_computed)
		return true;
	for (i = 0; i < n->nfields; i++)
	{
		const pfield *f = &n->fields[i];

		if (f->kind == PF_EXPR)
		{
			bson_value_t v;

			if (!eval_field(r, f, &v))
				return false;
			asp_bson_append_value(out, f->name, (int) f->len, &v);
		}
		else if (f->kind == PF_CHILD && !done[i] && f->child->has_computed)
		{
			if (!computed_doc(r, f->child, out, f->name, (int) f->len))
				return false;
		}
	}
	return true;
}

/* ----- exclusion ----- */

static void excl_doc(const pnode *n, const uint8_t *data, uint32_t len, bson_t *out);

/* excl_value: an exclusion sub-tree applied to the value of a field / element */
static void
excl_value(const pnode *n, bson_iter_t *it, bson_t *out)
{
	const uint8_t *d;
	uint32_t	l;
	bson_t		child;

	if (BSON_ITER_HOLDS_DOCUMENT(it))
	{
		bson_iter_document(it, &l, &d);
		bson_append_document_begin(out, bson_iter_key(it), (int) bson_iter_key_len(it), &child);
		excl_doc(n, d, l, &child);
		bson_append_document_end(out, &child);
	}
	else if (BSON_ITER_HOLDS_ARRAY(it))
	{
		bson_iter_t ai;

		bson_iter_array(it, &l, &d);
		bson_append_array_begin(out, bson_iter_key(it), (int) bson_iter_key_len(it), &child);
		if (bson_iter_init_from_data(&ai, d, l))
			while (bson_iter_next(&ai))
				excl_value(n, &ai, &child);
		bson_append_array_end(out, &child);
	}
	else
		bson_append_iter(out, NULL, 0, it);
}

/* excl_doc: an exclusion (sub-)projection of a document */
static void
excl_doc(const pnode *n, const uint8_t *data, uint32_t len, bson_t *out)
{
	bson_iter_t it;

	if (!bson_iter_init_from_data(&it, data, len))
		return;
	while (bson_iter_next(&it))
	{
		int			fi = node_find(n, bson_iter_key(&it), bson_iter_key_len(&it));

		if (fi < 0)
			bson_append_iter(out, NULL, 0, &it);
		else if (n->fields[fi].kind == PF_CHILD)
			excl_value(n->fields[fi].child, &it, out);
		else if (n->fields[fi].kind != PF_EXCLUDE)
			bson_append_iter(out, NULL, 0, &it);
	}
}

/* ----- $addFields ----- */

static bool addf_doc(proj_run *r, const pnode *n, const uint8_t *data, uint32_t len, bson_t *out);

/* addf_value: a $addFields sub-tree applied to the value of a field / element */
static bool
addf_value(proj_run *r, const pnode *n, bson_iter_t *it, bson_t *out)
{
	const char *key = bson_iter_key(it);
	int			keylen = (int) bson_iter_key_len(it);
	const uint8_t *d;
	uint32_t	l;
	bson_t		child;
	bool		ok = true;

	if (BSON_ITER_HOLDS_DOCUMENT(it))
	{
		bson_iter_document(it, &l, &d);
		bson_append_document_begin(out, key, keylen, &child);
		ok = addf_doc(r, n, d, l, &child);
		bson_append_document_end(out, &child);
		return ok;
	}
	if (BSON_ITER_HOLDS_ARRAY(it))
	{
		bson_iter_t ai;

		bson_iter_array(it, &l, &d);
		bson_append_array_begin(out, key, keylen, &child);
		if (bson_iter_init_from_data(&ai, d, l))
			while (ok && bson_iter_next(&ai))
				ok = addf_value(r, n, &ai, &child);
		bson_append_array_end(out, &child);
		return ok;
	}
	/* a scalar is replaced by a document of the computed fields */
	return computed_doc(r, n, out, key, keylen);
}

/* addf_doc: $addFields on a document: replace in place, append the rest */
static bool
addf_doc(proj_run *r, const pnode *n, const uint8_t *data, uint32_t len, bson_t *out)
{
	bool	   *done = alloc_done(r, n);
	bson_iter_t it;
	int			i;

	if (bson_iter_init_from_data(&it, data, len))
	{
		while (bson_iter_next(&it))
		{
			int			fi = node_find(n, bson_iter_key(&it), bson_iter_key_len(&it));
			const pfield *f;

			if (fi < 0 || done[fi])
			{
				bson_append_iter(out, NULL, 0, &it);
				continue;
			}
			f = &n->fields[fi];
			done[fi] = true;
			if (f->kind == PF_EXPR)
			{
				bson_value_t v;

				if (!eval_field(r, f, &v))
					return false;
				asp_bson_append_value(out, f->name, (int) f->len, &v);
			}
			else if (!addf_value(r, f->child, &it, out))
				return false;
		}
	}
	for (i = 0; i < n->nfields; i++)
	{
		const pfield *f = &n->fields[i];

		if (done[i])
			continue;
		if (f->kind == PF_EXPR)
		{
			bson_value_t v;

			if (!eval_field(r, f, &v))
				return false;
			asp_bson_append_value(out, f->name, (int) f->len, &v);
		}
		else if (!computed_doc(r, f->child, out, f->name, (int) f->len))
			return false;
	}
	return true;
}

/* emit_out: push s->out on, or dead-letter it when it is too large */
static bool
emit_out(asp_stage *s, asp_exec *x, const uint8_t *doc, uint32_t len)
{
	if (s->out->len > ASP_MAX_BSON_SIZE)
	{
		char		reason[160];

		snprintf(reason, sizeof(reason),
				 "the output document of %u bytes exceeds the maximum document size of %d bytes",
				 s->out->len, ASP_MAX_BSON_SIZE);
		asp_exec_dlq(x, s, doc, len, reason);
		return true;
	}
	return asp_stage_emit(s, x, bson_get_data(s->out), s->out->len);
}

/* project_push: $project, $addFields, $set and $unset on one document */
static bool
project_push(asp_stage *s, asp_exec *x, const uint8_t *doc, uint32_t len)
{
	const proj_data *pd = s->data;
	asp_eval_ctx *ctx = asp_exec_ctx(x);
	proj_run	r;
	bool		ok = true;

	r.ctx = ctx;
	r.memo = NULL;
	if (pd->nexprs > 0)
	{
		r.memo = asp_arena_alloc(ctx->arena, pd->nexprs * sizeof(memo_slot));
		memset(r.memo, 0, pd->nexprs * sizeof(memo_slot));
		asp_eval_ctx_set_root(ctx, doc, len);
	}
	bson_reinit(s->out);
	switch (pd->mode)
	{
		case PM_INCLUSION:
			ok = incl_doc(&r, &pd->root, doc, len, s->out);
			break;
		case PM_EXCLUSION:
			excl_doc(&pd->root, doc, len, s->out);
			break;
		case PM_ADD_FIELDS:
			if (pd->root.nfields == 0)
				return asp_stage_emit(s, x, doc, len);
			ok = addf_doc(&r, &pd->root, doc, len, s->out);
			break;
		case PM_NONE:
			break;
	}
	if (!ok)
	{
		asp_exec_dlq(x, s, doc, len, ctx->err->message);
		return true;
	}
	return emit_out(s, x, doc, len);
}

/* project_destroy: free the stage data of a projection stage */
static void
project_destroy(asp_stage *s)
{
	proj_data_free(s->data);
	s->data = NULL;
}

static const asp_stage_ops project_ops = {
	.push = project_push,
	.destroy = project_destroy,
};

/* new_proj_stage: wrap compiled projection data in a stage */
static asp_stage *
new_proj_stage(proj_data *pd, const char *name, asp_stage_compile_ctx *cc)
{
	asp_stage  *s;

	node_mark_computed(&pd->root);
	s = asp_stage_new(&project_ops, name, cc);
	s->data = pd;
	return s;
}

/* proj_data_new: empty projection data of a mode */
static proj_data *
proj_data_new(proj_mode mode)
{
	proj_data  *pd = calloc(1, sizeof(proj_data));

	if (pd == NULL)
		abort();
	pd->mode = mode;
	return pd;
}

/* asp_stage_compile_project: {$project: {...}} */
asp_stage *
asp_stage_compile_project(const bson_value_t *spec, asp_stage_compile_ctx *cc)
{
	proj_parse	pp;
	proj_data  *pd;

	if (spec->value_type != BSON_TYPE_DOCUMENT)
	{
		asp_error_set(cc->err, ASP_ERR_INVALID, "$project specification must be an object, got %s",
					  asp_type_name(spec->value_type));
		asp_error_hint(cc->err, "Write {\"$project\": {\"field\": 1, \"computed\": <expression>}}.");
		return NULL;
	}
	if (count_fields(spec) == 0)
	{
		asp_error_set(cc->err, ASP_ERR_INVALID, "$project specification must have at least one field");
		asp_error_hint(cc->err, "List the fields to keep ({\"a\": 1}) or to remove ({\"a\": 0}).");
		return NULL;
	}
	pd = proj_data_new(PM_NONE);
	memset(&pp, 0, sizeof(pp));
	pp.cc = cc;
	pp.pd = pd;
	pp.stage = "$project";
	if (!parse_spec(&pp, NULL, spec))
	{
		proj_data_free(pd);
		return NULL;
	}
	if (pp.type == PM_NONE)
		pp.type = pp.id_included ? PM_INCLUSION : PM_EXCLUSION;
	pd->mode = pp.type;
	if (pd->mode == PM_INCLUSION && !pp.id_specified)
		node_add(&pd->root, "_id", 3, PF_INCLUDE);
	if (pd->mode == PM_EXCLUSION && pp.id_included)
	{
		int			fi = node_find(&pd->root, "_id", 3);

		if (fi >= 0)
			node_remove(&pd->root, fi);
	}
	return new_proj_stage(pd, "$project", cc);
}

/* asp_stage_compile_add_fields: {$addFields: {...}} and {$set: {...}} */
asp_stage *
asp_stage_compile_add_fields(const bson_value_t *spec, asp_stage_compile_ctx *cc)
{
	proj_parse	pp;
	proj_data  *pd;

	if (spec->value_type != BSON_TYPE_DOCUMENT)
	{
		asp_error_set(cc->err, ASP_ERR_INVALID, "$addFields specification must be an object, got %s",
					  asp_type_name(spec->value_type));
		asp_error_hint(cc->err, "Write {\"$addFields\": {\"field\": <expression>}}.");
		return NULL;
	}
	pd = proj_data_new(PM_ADD_FIELDS);
	memset(&pp, 0, sizeof(pp));
	pp.cc = cc;
	pp.pd = pd;
	pp.stage = "$addFields";
	pp.add_fields = true;
	if (!parse_spec(&pp, NULL, spec))
	{
		proj_data_free(pd);
		return NULL;
	}
	return new_proj_stage(pd, "$addFields", cc);
}

/* asp_stage_compile_unset: {$unset: "a"} or {$unset: ["a", "b.c"]} */
asp_stage *
asp_stage_compile_unset(const bson_value_t *spec, asp_stage_compile_ctx *cc)
{
	proj_parse	pp;
	proj_data  *pd;

	if (spec->value_type != BSON_TYPE_UTF8 && spec->value_type != BSON_TYPE_ARRAY)
	{
		asp_error_set(cc->err, ASP_ERR_INVALID, "$unset specification must be a string or an array, got %s",
					  asp_type_name(spec->value_type));
		asp_error_hint(cc->err, "Write {\"$unset\": \"field\"} or {\"$unset\": [\"a\", \"b.c\"]}.");
		return NULL;
	}
	pd = proj_data_new(PM_EXCLUSION);
	memset(&pp, 0, sizeof(pp));
	pp.cc = cc;
	pp.pd = pd;
	pp.stage = "$unset";
	if (spec->value_type == BSON_TYPE_UTF8)
	{
		if (!add_path(&pp, spec->value.v_utf8.str, spec->value.v_utf8.len, PF_EXCLUDE, NULL))
		{
			proj_data_free(pd);
			return NULL;
		}
	}
	else
	{
		bson_iter_t it;
		int			n = 0;

		if (bson_iter_init_from_data(&it, spec->value.v_doc.data, spec->value.v_doc.data_len))
		{
			while (bson_iter_next(&it))
			{
				const bson_value_t *v = bson_iter_value(&it);

				n++;
				if (v->value_type != BSON_TYPE_UTF8)
				{
					asp_error_set(cc->err, ASP_ERR_INVALID,
								  "$unset specification must be a string or an array containing only string values, got %s at index %s",
								  asp_type_name(v->value_type), bson_iter_key(&it));
					proj_data_free(pd);
					return NULL;
				}
				if (!add_path(&pp, v->value.v_utf8.str, v->value.v_utf8.len, PF_EXCLUDE, NULL))
				{
					proj_data_free(pd);
					return NULL;
				}
			}
		}
		if (n == 0)
		{
			asp_error_set(cc->err, ASP_ERR_INVALID,
						  "$unset specification must be a string or an array with at least one field");
			proj_data_free(pd);
			return NULL;
		}
	}
	return new_proj_stage(pd, "$unset", cc);
}
