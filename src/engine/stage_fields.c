/*-------------------------------------------------------------------------
 *
 * stage_fields.c
 *	  The stages that replace the whole document: $replaceRoot
 *	  ({newRoot: <expression>}) and $replaceWith (<expression>).
 *
 * The expression is evaluated on the input document and must give a
 * document, which is emitted as it is (no copy); anything else sends the
 * input to the dead letter queue with MongoDB's message ("'newRoot'
 * expression must evaluate to an object, but resulting value was: 5.
 * Type of resulting value: 'int'"; "'replacement document' ..." for
 * $replaceWith; "MISSING" for a missing value).  Deliberate difference:
 * MongoDB's "Input document: ..." suffix is left out, because the dead
 * letter queue entry carries the document.
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exec.h"
#include "stage.h"

typedef struct replace_data
{
	asp_expr   *expr;
	const char *what;			/* "'newRoot' expression" or "'replacement document'" */
} replace_data;

/* replace_push: the document the expression gives replaces the input */
static bool
replace_push(asp_stage *s, asp_exec *x, const uint8_t *doc, uint32_t len)
{
	const replace_data *rd = s->data;
	asp_eval_ctx *ctx = asp_exec_ctx(x);
	bson_value_t v;

	asp_eval_ctx_set_root(ctx, doc, len);
	if (!asp_expr_eval(rd->expr, ctx, &v))
	{
		asp_exec_dlq(x, s, doc, len, ctx->err->message);
		return true;
	}
	if (v.value_type != BSON_TYPE_DOCUMENT)
	{
		char		desc[200];
		char		reason[ASP_ERROR_MSG_LEN];

		if (v.value_type == BSON_TYPE_EOD)
			snprintf(desc, sizeof(desc), "MISSING");
		else
			asp_value_describe(&v, desc, sizeof(desc));
		snprintf(reason, sizeof(reason),
				 "%s must evaluate to an object, but resulting value was: %s. Type of resulting value: '%s'",
				 rd->what, desc, asp_type_name(v.value_type));
		asp_exec_dlq(x, s, doc, len, reason);
		return true;
	}
	return asp_stage_emit(s, x, v.value.v_doc.data, v.value.v_doc.data_len);
}

/* replace_destroy: free the compiled expression */
static void
replace_destroy(asp_stage *s)
{
	replace_data *rd = s->data;

	if (rd)
	{
		asp_expr_free(rd->expr);
		free(rd);
	}
	s->data = NULL;
}

static const asp_stage_ops replace_ops = {
	.push = replace_push,
	.destroy = replace_destroy,
};

/* new_replace_stage: compile the new-root expression into a stage */
static asp_stage *
new_replace_stage(const bson_value_t *expr, const char *where, const char *what,
				  const char *name, asp_stage_compile_ctx *cc)
{
	asp_expr_compiler c;
	asp_expr   *e;
	replace_data *rd;
	asp_stage  *s;

	asp_expr_compiler_init(&c, cc->err, where);
	c.allow_window_meta = cc->in_window;
	e = asp_expr_compile_value(&c, expr);
	if (e == NULL)
	{
		asp_error_where(cc->err, -1, NULL, where);
		return NULL;
	}
	rd = calloc(1, sizeof(replace_data));
	if (rd == NULL)
		abort();
	rd->expr = e;
	rd->what = what;
	s = asp_stage_new(&replace_ops, name, cc);
	s->data = rd;
	return s;
}

/* asp_stage_compile_replace_root: {$replaceRoot: {newRoot: <expression>}} */
asp_stage *
asp_stage_compile_replace_root(const bson_value_t *spec, asp_stage_compile_ctx *cc)
{
	bson_iter_t it;
	bson_value_t new_root;
	bool		have = false;

	if (spec->value_type != BSON_TYPE_DOCUMENT)
	{
		asp_error_set(cc->err, ASP_ERR_INVALID, "$replaceRoot specification must be an object, got %s",
					  asp_type_name(spec->value_type));
		asp_error_hint(cc->err, "Write {\"$replaceRoot\": {\"newRoot\": \"$field\"}}, or use {\"$replaceWith\": \"$field\"}.");
		return NULL;
	}
	if (bson_iter_init_from_data(&it, spec->value.v_doc.data, spec->value.v_doc.data_len))
	{
		while (bson_iter_next(&it))
		{
			if (strcmp(bson_iter_key(&it), "newRoot") == 0)
			{
				new_root = *bson_iter_value(&it);
				have = true;
			}
			else
			{
				asp_error_set(cc->err, ASP_ERR_INVALID, "unrecognized option to $replaceRoot: %s",
							  bson_iter_key(&it));
				asp_error_hint(cc->err, "$replaceRoot takes only 'newRoot'.");
				asp_error_where(cc->err, -1, NULL, bson_iter_key(&it));
				return NULL;
			}
		}
	}
	if (!have)
	{
		asp_error_set(cc->err, ASP_ERR_INVALID, "$replaceRoot requires a 'newRoot' option");
		asp_error_hint(cc->err, "Write {\"$replaceRoot\": {\"newRoot\": \"$field\"}}.");
		return NULL;
	}
	return new_replace_stage(&new_root, "newRoot", "'newRoot' expression", "$replaceRoot", cc);
}

/* asp_stage_compile_replace_with: {$replaceWith: <expression>} */
asp_stage *
asp_stage_compile_replace_with(const bson_value_t *spec, asp_stage_compile_ctx *cc)
{
	return new_replace_stage(spec, "", "'replacement document'", "$replaceWith", cc);
}
