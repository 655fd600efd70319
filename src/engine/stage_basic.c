/*-------------------------------------------------------------------------
 *
 * stage_basic.c
 *	  The filtering and document-multiplying stages: $match, $validate,
 *	  $unwind and $redact.
 *
 * $match and $validate use the query matcher (match.c).  $validate is
 * Atlas Stream Processing's schema check: {validator: <query, may use
 * $jsonSchema>, validationAction: "discard" (default) | "dlq"}; a failing
 * document is dropped, or sent to the dead letter queue with the reason
 * the matcher gives for the first failing clause.
 *
 * $unwind follows MongoDB's Unwinder: the path is looked up through
 * sub-documents only (an array on the way gives "missing"); a non-empty
 * array gives one document per element with the element in place of the
 * array; null, missing and [] are dropped unless preserveNullAndEmptyArrays,
 * when the document is kept (an empty array is removed, null stays);
 * any other value passes through unchanged.  includeArrayIndex gets the
 * element's index as a long, or null; it is set like MongoDB's
 * setNestedField (an existing field is replaced in place, a missing one is
 * appended, and a non-document on its path becomes a document).
 *
 * $redact evaluates its expression with $$CURRENT at the document, and at
 * every sub-document reached while descending ($$ROOT stays the input);
 * the result must be $$KEEP, $$PRUNE or $$DESCEND.
 *
 * A runtime error (in $expr, in the $redact expression) sends the
 * document to the dead letter queue with the error as the reason; for
 * $validate this happens whatever validationAction says, because it is a
 * processing error, not a validation failure.
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exec.h"
#include "stage.h"

/* emit_doc: push a document on, or dead-letter it when it is too large */
static bool
emit_doc(asp_stage *s, asp_exec *x, const uint8_t *out, uint32_t outlen,
		 const uint8_t *doc, uint32_t len)
{
	if (outlen > ASP_MAX_BSON_SIZE)
	{
		char		reason[160];

		snprintf(reason, sizeof(reason),
				 "the output document of %u bytes exceeds the maximum document size of %d bytes",
				 outlen, ASP_MAX_BSON_SIZE);
		asp_exec_dlq(x, s, doc, len, reason);
		return true;
	}
	return asp_stage_emit(s, x, out, outlen);
}

/* compile_query: compile a query document for $match or $validate */
static asp_match *
compile_query(const bson_value_t *q, asp_stage_compile_ctx *cc, const char *where)
{
	asp_expr_compiler c;
	asp_match  *m;

	asp_expr_compiler_init(&c, cc->err, where);
	c.allow_window_meta = cc->in_window;
	m = asp_match_compile(&c, q->value.v_doc.data, q->value.v_doc.data_len);
	if (m == NULL && where[0] != '\0')
	{
		/* prefix the matcher's path inside the query with the option name */
		char		path[sizeof(cc->err->path) + 64];
		size_t		n;

		if (cc->err->path[0] != '\0')
			snprintf(path, sizeof(path), "%s.%s", where, cc->err->path);
		else
			snprintf(path, sizeof(path), "%s", where);
		n = strlen(path);
		if (n >= sizeof(cc->err->path))
			n = sizeof(cc->err->path) - 1;
		memcpy(cc->err->path, path, n);
		cc->err->path[n] = '\0';
	}
	return m;
}

/* ---------- $match ---------- */

/* match_push: pass the documents that match the query */
static bool
match_push(asp_stage *s, asp_exec *x, const uint8_t *doc, uint32_t len)
{
	asp_eval_ctx *ctx = asp_exec_ctx(x);
	bool		matched = false;

	asp_eval_ctx_set_root(ctx, doc, len);
	if (!asp_match_eval(s->data, doc, len, ctx, &matched))
	{
		asp_exec_dlq(x, s, doc, len, ctx->err->message);
		return true;
	}
	if (!matched)
		return true;
	return asp_stage_emit(s, x, doc, len);
}

/* match_destroy: free the compiled query */
static void
match_destroy(asp_stage *s)
{
	asp_match_free(s->data);
	s->data = NULL;
}

static const asp_stage_ops match_ops = {
	.push = match_push,
	.destroy = match_destroy,
};

/* asp_stage_compile_match: {$match: <query>} */
asp_stage *
asp_stage_compile_match(const bson_value_t *spec, asp_stage_compile_ctx *cc)
{
	asp_match  *m;
	asp_stage  *s;

	if (spec->value_type != BSON_TYPE_DOCUMENT)
	{
		asp_error_set(cc->err, ASP_ERR_INVALID, "$match specification must be an object, got %s",
					  asp_type_name(spec->value_type));
		asp_error_hint(cc->err, "Write {\"$match\": {\"field\": <value or {\"$op\": ...}>}}.");
		return NULL;
	}
	m = compile_query(spec, cc, "");
	if (m == NULL)
		return NULL;
	s = asp_stage_new(&match_ops, "$match", cc);
	s->data = m;
	return s;
}

/* ---------- $validate ---------- */

typedef struct validate_data
{
	asp_match  *m;
	bool		dlq;			/* validationAction: "dlq" */
} validate_data;

/* validate_push: pass valid documents; drop or dead-letter the others */
static bool
validate_push(asp_stage *s, asp_exec *x, const uint8_t *doc, uint32_t len)
{
	const validate_data *vd = s->data;
	asp_eval_ctx *ctx = asp_exec_ctx(x);
	bool		matched = false;

	asp_eval_ctx_set_root(ctx, doc, len);
	if (!asp_match_eval(vd->m, doc, len, ctx, &matched))
	{
		asp_exec_dlq(x, s, doc, len, ctx->err->message);
		return true;
	}
	if (matched)
		return asp_stage_emit(s, x, doc, len);
	if (vd->dlq)
	{
		char		why[ASP_ERROR_MSG_LEN];
		char		reason[ASP_ERROR_MSG_LEN + 64];

		why[0] = '\0';
		asp_eval_ctx_set_root(ctx, doc, len);
		asp_match_explain_failure(vd->m, doc, len, ctx, why, sizeof(why));
		if (why[0] != '\0')
			snprintf(reason, sizeof(reason),
					 "input document found to be invalid in $validate stage: %s", why);
		else
			snprintf(reason, sizeof(reason),
					 "input document found to be invalid in $validate stage");
		asp_exec_dlq(x, s, doc, len, reason);
	}
	return true;
}

/* validate_destroy: free the compiled validator */
static void
validate_destroy(asp_stage *s)
{
	validate_data *vd = s->data;

	if (vd)
	{
		asp_match_free(vd->m);
		free(vd);
	}
	s->data = NULL;
}

static const asp_stage_ops validate_ops = {
	.push = validate_push,
	.destroy = validate_destroy,
};

/* asp_stage_compile_validate: {$validate: {validator, validationAction}} */
asp_stage *
asp_stage_compile_validate(const bson_value_t *spec, asp_stage_compile_ctx *cc)
{
	bson_iter_t it;
	bson_value_t validator;
	bool		have_validator = false;
	bool		dlq = false;
	validate_data *vd;
	asp_stage  *s;

	if (spec->value_type != BSON_TYPE_DOCUMENT)
	{
		asp_error_set(cc->err, ASP_ERR_INVALID, "$validate specification must be an object, got %s",
					  asp_type_name(spec->value_type));
		asp_error_hint(cc->err, "Write {\"$validate\": {\"validator\": {...}, \"validationAction\": \"dlq\"}}.");
		return NULL;
	}
	if (bson_iter_init_from_data(&it, spec->value.v_doc.data, spec->value.v_doc.data_len))
	{
		while (bson_iter_next(&it))
		{
			const char *key = bson_iter_key(&it);
			const bson_value_t *v = bson_iter_value(&it);

			if (strcmp(key, "validator") == 0)
			{
				if (v->value_type != BSON_TYPE_DOCUMENT)
				{
					asp_error_set(cc->err, ASP_ERR_INVALID, "'validator' must be an object, got %s",
								  asp_type_name(v->value_type));
					asp_error_hint(cc->err, "Write a query such as {\"temp\": {\"$type\": \"number\"}} or {\"$jsonSchema\": {...}}.");
					asp_error_where(cc->err, -1, NULL, key);
					return NULL;
				}
				validator = *v;
				have_validator = true;
			}
			else if (strcmp(key, "validationAction") == 0)
			{
				if (v->value_type == BSON_TYPE_UTF8 && strcmp(v->value.v_utf8.str, "dlq") == 0)
					dlq = true;
				else if (v->value_type == BSON_TYPE_UTF8 &&
						 strcmp(v->value.v_utf8.str, "discard") == 0)
					dlq = false;
				else
				{
					char		desc[100];

					asp_value_describe(v, desc, sizeof(desc));
					asp_error_set(cc->err, ASP_ERR_INVALID,
								  "'validationAction' must be \"discard\" or \"dlq\", got %s", desc);
					asp_error_where(cc->err, -1, NULL, key);
					return NULL;
				}
			}
			else
			{
				asp_error_set(cc->err, ASP_ERR_INVALID, "unrecognized option to $validate: %s", key);
				asp_error_hint(cc->err, "$validate takes 'validator' and 'validationAction'.");
				asp_error_where(cc->err, -1, NULL, key);
				return NULL;
			}
		}
	}
	if (!have_validator)
	{
		asp_error_set(cc->err, ASP_ERR_INVALID, "$validate requires a 'validator' option");
		asp_error_hint(cc->err, "Write {\"$validate\": {\"validator\": {\"$jsonSchema\": {...}}}}.");
		return NULL;
	}
	vd = calloc(1, sizeof(validate_data));
	if (vd == NULL)
		abort();
	vd->dlq = dlq;
	vd->m = compile_query(&validator, cc, "validator");
	if (vd->m == NULL)
	{
		free(vd);
		return NULL;
	}
	s = asp_stage_new(&validate_ops, "$validate", cc);
	s->data = vd;
	return s;
}

/* ---------- $unwind ---------- */

typedef struct unwind_data
{
	asp_path	path;			/* the array's path, without '$' */
	asp_path	index;			/* includeArrayIndex */
	bool		has_index;
	bool		preserve;		/* preserveNullAndEmptyArrays */
	bson_t	   *tmp;			/* intermediate document when has_index */
} unwind_data;

/* get_nested: a dotted path through sub-documents only (no array traversal) */
static void
get_nested(const asp_path *p, const uint8_t *doc, uint32_t len, bson_value_t *out)
{
	int			i;

	asp_value_set_missing(out);
	for (i = 0; i < p->nparts; i++)
	{
		if (!asp_doc_get(doc, len, p->parts[i].name, p->parts[i].len, out))
			return;
		if (i == p->nparts - 1)
			return;
		if (out->value_type != BSON_TYPE_DOCUMENT)
		{
			asp_value_set_missing(out);
			return;
		}
		doc = out->value.v_doc.data;
		len = out->value.v_doc.data_len;
	}
}

/*
 * set_path: write the document data (NULL: empty) with the field at
 * p->parts[depth..] set to v (missing: removed).  create: make missing or
 * non-document intermediate fields documents (MongoDB's setNestedField);
 * otherwise the path is assumed to lead through documents.
 */
static void
set_path(bson_t *out, const uint8_t *data, uint32_t len, const asp_path *p,
		 int depth, const bson_value_t *v, bool create)
{
	const asp_path_part *part = &p->parts[depth];
	bool		last = (depth == p->nparts - 1);
	bool		found = false;
	bson_iter_t it;
	bson_t		child;

	if (data && bson_iter_init_from_data(&it, data, len))
	{
		while (bson_iter_next(&it))
		{
			if (found || bson_iter_key_len(&it) != part->len ||
				memcmp(bson_iter_key(&it), part->name, part->len) != 0)
			{
				bson_append_iter(out, NULL, 0, &it);
				continue;
			}
			found = true;
			if (last)
				asp_bson_append_value(out, part->name, (int) part->len, v);
			else if (BSON_ITER_HOLDS_DOCUMENT(&it))
			{
				const uint8_t *d;
				uint32_t	l;

				bson_iter_document(&it, &l, &d);
				bson_append_document_begin(out, part->name, (int) part->len, &child);
				set_path(&child, d, l, p, depth + 1, v, create);
				bson_append_document_end(out, &child);
			}
			else if (create)
			{
				bson_append_document_begin(out, part->name, (int) part->len, &child);
				set_path(&child, NULL, 0, p, depth + 1, v, create);
				bson_append_document_end(out, &child);
			}
			else
				bson_append_iter(out, NULL, 0, &it);
		}
	}
	if (!found && create)
	{
		if (last)
			asp_bson_append_value(out, part->name, (int) part->len, v);
		else
		{
			bson_append_document_begin(out, part->name, (int) part->len, &child);
			set_path(&child, NULL, 0, p, depth + 1, v, create);
			bson_append_document_end(out, &child);
		}
	}
}

/*
 * unwind_emit: emit doc with the unwound path set to elem (when set; a
 * missing elem removes it) and includeArrayIndex set to index.
 */
static bool
unwind_emit(asp_stage *s, asp_exec *x, const uint8_t *doc, uint32_t len,
			bool set, const bson_value_t *elem, const bson_value_t *index)
{
	unwind_data *ud = s->data;
	const uint8_t *d = doc;
	uint32_t	l = len;

	if (set)
	{
		bson_t	   *b = ud->has_index ? ud->tmp : s->out;

		bson_reinit(b);
		set_path(b, doc, len, &ud->path, 0, elem, false);
		d = bson_get_data(b);
		l = b->len;
	}
	if (ud->has_index)
	{
		bson_reinit(s->out);
		set_path(s->out, d, l, &ud->index, 0, index, true);
		d = bson_get_data(s->out);
		l = s->out->len;
	}
	return emit_doc(s, x, d, l, doc, len);
}

/* unwind_push: one output document per array element */
static bool
unwind_push(asp_stage *s, asp_exec *x, const uint8_t *doc, uint32_t len)
{
	unwind_data *ud = s->data;
	bson_value_t v,
				null_v;

	asp_value_set_null(&null_v);
	get_nested(&ud->path, doc, len, &v);
	if (v.value_type == BSON_TYPE_ARRAY)
	{
		bson_iter_t it;
		int64_t		i = 0;

		if (bson_iter_init_from_data(&it, v.value.v_doc.data, v.value.v_doc.data_len))
		{
			while (bson_iter_next(&it))
			{
				bson_value_t idx;

				asp_value_set_int64(&idx, i++);
				if (!unwind_emit(s, x, doc, len, true, bson_iter_value(&it), &idx))
					return false;
			}
		}
		if (i == 0 && ud->preserve)
		{
			bson_value_t missing;

			asp_value_set_missing(&missing);
			return unwind_emit(s, x, doc, len, true, &missing, &null_v);
		}
		return true;
	}
	if (asp_value_is_nullish(&v) && !ud->preserve)
		return true;
	if (!ud->has_index)
		return asp_stage_emit(s, x, doc, len);
	return unwind_emit(s, x, doc, len, false, NULL, &null_v);
}

/* unwind_destroy: free the compiled paths and the buffer */
static void
unwind_destroy(asp_stage *s)
{
	unwind_data *ud = s->data;

	if (ud)
	{
		if (ud->path.parts)
			asp_path_destroy(&ud->path);
		if (ud->index.parts)
			asp_path_destroy(&ud->index);
		if (ud->tmp)
			bson_destroy(ud->tmp);
		free(ud);
	}
	s->data = NULL;
}

static const asp_stage_ops unwind_ops = {
	.push = unwind_push,
	.destroy = unwind_destroy,
};

/* unwind_path: compile the "$a.b" path of $unwind */
static bool
unwind_path(unwind_data *ud, const bson_value_t *v, asp_stage_compile_ctx *cc, const char *opt)
{
	const char *str = v->value.v_utf8.str;
	uint32_t	len = v->value.v_utf8.len;

	if (len == 0 || str[0] != '$')
	{
		asp_error_set(cc->err, ASP_ERR_INVALID, "'path' must be a field path starting with '$', got \"%s\"", str);
		asp_error_hint(cc->err, "Write \"$%s\".", str);
		asp_error_where(cc->err, -1, NULL, opt);
		return false;
	}
	if (!asp_path_init(&ud->path, str + 1, len - 1, "$unwind path", cc->err))
	{
		asp_error_where(cc->err, -1, NULL, opt);
		return false;
	}
	return true;
}

/* asp_stage_compile_unwind: {$unwind: "$path"} or {$unwind: {path, ...}} */
asp_stage *
asp_stage_compile_unwind(const bson_value_t *spec, asp_stage_compile_ctx *cc)
{
	unwind_data *ud = calloc(1, sizeof(unwind_data));
	asp_stage  *s;

	if (ud == NULL)
		abort();
	if (spec->value_type == BSON_TYPE_UTF8)
	{
		if (!unwind_path(ud, spec, cc, ""))
			goto fail;
	}
	else if (spec->value_type == BSON_TYPE_DOCUMENT)
	{
		bson_iter_t it;
		bool		have_path = false;

		if (bson_iter_init_from_data(&it, spec->value.v_doc.data, spec->value.v_doc.data_len))
		{
			while (bson_iter_next(&it))
			{
				const char *key = bson_iter_key(&it);
				const bson_value_t *v = bson_iter_value(&it);

				if (strcmp(key, "path") == 0)
				{
					if (v->value_type != BSON_TYPE_UTF8)
					{
						asp_error_set(cc->err, ASP_ERR_INVALID, "'path' must be a string, got %s",
									  asp_type_name(v->value_type));
						asp_error_hint(cc->err, "Write {\"path\": \"$arrayField\"}.");
						asp_error_where(cc->err, -1, NULL, key);
						goto fail;
					}
					if (have_path)
						asp_path_destroy(&ud->path);
					if (!unwind_path(ud, v, cc, key))
						goto fail;
					have_path = true;
				}
				else if (strcmp(key, "includeArrayIndex") == 0)
				{
					if (v->value_type != BSON_TYPE_UTF8 || v->value.v_utf8.len == 0)
					{
						asp_error_set(cc->err, ASP_ERR_INVALID,
									  "'includeArrayIndex' must be a non-empty string, got %s",
									  v->value_type == BSON_TYPE_UTF8 ? "an empty string" : asp_type_name(v->value_type));
						asp_error_hint(cc->err, "Name the field that receives the index, e.g. {\"includeArrayIndex\": \"idx\"}.");
						asp_error_where(cc->err, -1, NULL, key);
						goto fail;
					}
					if (v->value.v_utf8.str[0] == '$')
					{
						asp_error_set(cc->err, ASP_ERR_INVALID,
									  "'includeArrayIndex' must not start with '$': %s", v->value.v_utf8.str);
						asp_error_hint(cc->err, "It names a field to write, not a field path: write \"%s\".",
									   v->value.v_utf8.str + 1);
						asp_error_where(cc->err, -1, NULL, key);
						goto fail;
					}
					if (ud->has_index)
						asp_path_destroy(&ud->index);
					if (!asp_path_init(&ud->index, v->value.v_utf8.str, v->value.v_utf8.len,
									   "'includeArrayIndex'", cc->err))
					{
						asp_error_where(cc->err, -1, NULL, key);
						goto fail;
					}
					ud->has_index = true;
				}
				else if (strcmp(key, "preserveNullAndEmptyArrays") == 0)
				{
					if (v->value_type != BSON_TYPE_BOOL)
					{
						asp_error_set(cc->err, ASP_ERR_INVALID,
									  "'preserveNullAndEmptyArrays' must be a boolean, got %s",
									  asp_type_name(v->value_type));
						asp_error_hint(cc->err, "Write true or false.");
						asp_error_where(cc->err, -1, NULL, key);
						goto fail;
					}
					ud->preserve = v->value.v_bool;
				}
				else
				{
					asp_error_set(cc->err, ASP_ERR_INVALID, "unrecognized option to $unwind: %s", key);
					asp_error_hint(cc->err, "$unwind takes 'path', 'includeArrayIndex' and 'preserveNullAndEmptyArrays'.");
					asp_error_where(cc->err, -1, NULL, key);
					goto fail;
				}
			}
		}
		if (!have_path)
		{
			asp_error_set(cc->err, ASP_ERR_INVALID, "$unwind requires a 'path' option");
			asp_error_hint(cc->err, "Write {\"$unwind\": {\"path\": \"$arrayField\"}} or {\"$unwind\": \"$arrayField\"}.");
			goto fail;
		}
	}
	else
	{
		asp_error_set(cc->err, ASP_ERR_INVALID,
					  "$unwind specification must be a string or an object, got %s",
					  asp_type_name(spec->value_type));
		asp_error_hint(cc->err, "Write {\"$unwind\": \"$arrayField\"}.");
		goto fail;
	}
	if (ud->has_index)
		ud->tmp = bson_new();
	s = asp_stage_new(&unwind_ops, "$unwind", cc);
	s->data = ud;
	return s;

fail:
	if (ud->path.parts)
		asp_path_destroy(&ud->path);
	if (ud->index.parts)
		asp_path_destroy(&ud->index);
	free(ud);
	return NULL;
}

/* ---------- $redact ---------- */

typedef enum redact_action
{
	RD_KEEP,
	RD_PRUNE,
	RD_DESCEND
} redact_action;

/* redact_decide: evaluate the expression with $$CURRENT = cur */
static bool
redact_decide(const asp_expr *e, asp_eval_ctx *ctx, const bson_value_t *cur,
			  redact_action *act)
{
	bson_value_t v;
	char		desc[200];

	ctx->vars[ASP_VAR_CURRENT] = *cur;
	if (!asp_expr_eval(e, ctx, &v))
		return false;
	if (v.value_type == BSON_TYPE_UTF8)
	{
		const char *str = v.value.v_utf8.str;
		uint32_t	len = v.value.v_utf8.len;

		if (len == 4 && memcmp(str, "keep", 4) == 0)
		{
			*act = RD_KEEP;
			return true;
		}
		if (len == 5 && memcmp(str, "prune", 5) == 0)
		{
			*act = RD_PRUNE;
			return true;
		}
		if (len == 7 && memcmp(str, "descend", 7) == 0)
		{
			*act = RD_DESCEND;
			return true;
		}
	}
	if (v.value_type == BSON_TYPE_EOD)
		snprintf(desc, sizeof(desc), "MISSING");
	else
		asp_value_describe(&v, desc, sizeof(desc));
	return asp_eval_error(ctx,
						  "$redact's expression should not return anything aside from the variables $$KEEP, $$DESCEND, and $$PRUNE, but returned %s",
						  desc);
}

static bool redact_fields(const asp_expr *e, asp_eval_ctx *ctx, const uint8_t *data,
						  uint32_t len, bson_t *out);

/* redact_array: the redacted elements of an array */
static bool
redact_array(const asp_expr *e, asp_eval_ctx *ctx, const uint8_t *data, uint32_t len,
			 bson_t *out)
{
	bson_iter_t it;
	uint32_t	idx = 0;

	if (!bson_iter_init_from_data(&it, data, len))
		return true;
	while (bson_iter_next(&it))
	{
		char		kbuf[16];
		size_t		klen;
		const char *key = asp_array_key(idx, kbuf, sizeof(kbuf), &klen);
		const uint8_t *d;
		uint32_t	l;
		bson_t		child;
		bool		ok = true;

		if (BSON_ITER_HOLDS_DOCUMENT(&it))
		{
			redact_action act = RD_PRUNE;

			if (!redact_decide(e, ctx, bson_iter_value(&it), &act))
				return false;
			if (act == RD_PRUNE)
				continue;
			idx++;
			bson_iter_document(&it, &l, &d);
			if (act == RD_KEEP)
			{
				bson_t		sub;

				if (bson_init_static(&sub, d, l))
					bson_append_document(out, key, (int) klen, &sub);
				continue;
			}
			bson_append_document_begin(out, key, (int) klen, &child);
			ok = redact_fields(e, ctx, d, l, &child);
			bson_append_document_end(out, &child);
		}
		else if (BSON_ITER_HOLDS_ARRAY(&it))
		{
			idx++;
			bson_iter_array(&it, &l, &d);
			bson_append_array_begin(out, key, (int) klen, &child);
			ok = redact_array(e, ctx, d, l, &child);
			bson_append_array_end(out, &child);
		}
		else
		{
			idx++;
			bson_append_value(out, key, (int) klen, bson_iter_value(&it));
		}
		if (!ok)
			return false;
	}
	return true;
}

/* redact_fields: the redacted fields of a document that is descended into */
static bool
redact_fields(const asp_expr *e, asp_eval_ctx *ctx, const uint8_t *data, uint32_t len,
			  bson_t *out)
{
	bson_iter_t it;

	if (!bson_iter_init_from_data(&it, data, len))
		return true;
	while (bson_iter_next(&it))
	{
		const char *key = bson_iter_key(&it);
		int			keylen = (int) bson_iter_key_len(&it);
		const uint8_t *d;
		uint32_t	l;
		bson_t		child;
		bool		ok = true;

		if (BSON_ITER_HOLDS_DOCUMENT(&it))
		{
			redact_action act = RD_PRUNE;

			if (!redact_decide(e, ctx, bson_iter_value(&it), &act))
				return false;
			if (act == RD_PRUNE)
				continue;
			if (act == RD_KEEP)
			{
				bson_append_iter(out, NULL, 0, &it);
				continue;
			}
			bson_iter_document(&it, &l, &d);
			bson_append_document_begin(out, key, keylen, &child);
			ok = redact_fields(e, ctx, d, l, &child);
			bson_append_document_end(out, &child);
		}
		else if (BSON_ITER_HOLDS_ARRAY(&it))
		{
			bson_iter_array(&it, &l, &d);
			bson_append_array_begin(out, key, keylen, &child);
			ok = redact_array(e, ctx, d, l, &child);
			bson_append_array_end(out, &child);
		}
		else
			bson_append_iter(out, NULL, 0, &it);
		if (!ok)
			return false;
	}
	return true;
}

/* redact_push: redact one document from the top */
static bool
redact_push(asp_stage *s, asp_exec *x, const uint8_t *doc, uint32_t len)
{
	const asp_expr *e = s->data;
	asp_eval_ctx *ctx = asp_exec_ctx(x);
	redact_action act = RD_PRUNE;

	asp_eval_ctx_set_root(ctx, doc, len);
	if (!redact_decide(e, ctx, &ctx->vars[ASP_VAR_ROOT], &act))
	{
		asp_exec_dlq(x, s, doc, len, ctx->err->message);
		return true;
	}
	if (act == RD_PRUNE)
		return true;
	if (act == RD_KEEP)
		return asp_stage_emit(s, x, doc, len);
	bson_reinit(s->out);
	if (!redact_fields(e, ctx, doc, len, s->out))
	{
		asp_exec_dlq(x, s, doc, len, ctx->err->message);
		return true;
	}
	return asp_stage_emit(s, x, bson_get_data(s->out), s->out->len);
}

/* redact_destroy: free the compiled expression */
static void
redact_destroy(asp_stage *s)
{
	asp_expr_free(s->data);
	s->data = NULL;
}

static const asp_stage_ops redact_ops = {
	.push = redact_push,
	.destroy = redact_destroy,
};

/* asp_stage_compile_redact: {$redact: <expression>} */
asp_stage *
asp_stage_compile_redact(const bson_value_t *spec, asp_stage_compile_ctx *cc)
{
	asp_expr_compiler c;
	asp_expr   *e;
	asp_stage  *s;

	asp_expr_compiler_init(&c, cc->err, "");
	c.allow_window_meta = cc->in_window;
	e = asp_expr_compile_value(&c, spec);
	if (e == NULL)
		return NULL;
	s = asp_stage_new(&redact_ops, "$redact", cc);
	s->data = e;
	return s;
}
