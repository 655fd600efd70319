/*-------------------------------------------------------------------------
 *
 * expr_regex.c
 *	  The regex expression operators $regexMatch, $regexFind and
 *	  $regexFindAll ({input, regex, options}), over regex.h (PCRE2).
 *
 * 'regex' is a string or a BSON regular expression; its flags and
 * 'options' may not both be given.  When 'regex' and 'options' are
 * constants (the usual case) the pattern is checked and compiled once, at
 * compile time, so a bad pattern is a compile error; otherwise it is
 * compiled for each document.  A null or missing input or pattern gives
 * false, null and [] respectively, as in MongoDB.
 *
 *-------------------------------------------------------------------------
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expr_string.h"
#include "regex.h"

/* limit on the $regexFindAll output (MongoDB's BufferMaxSize) */
#define FIND_ALL_MAX_BYTES	(64 * 1024 * 1024)

/* compiled data of a regex operator */
typedef struct regex_data
{
	bool		constant;		/* regex and options are constants */
	asp_regex  *re;				/* the compiled constant pattern (NULL if null) */
} regex_data;

/* free_regex_data: e->free_data of the regex operators */
static void
free_regex_data(void *p)
{
	regex_data *d = p;

	asp_regex_free(d->re);
	free(d);
}

/*
 * regex_spec: check the 'regex' and 'options' values as MongoDB does and
 * extract the pattern (NULL when nullish) and the option letters (into
 * opts, at least 8 bytes, deduplicated).  On error writes the message into
 * msg and returns false.
 */
static bool
regex_spec(const char *op, const bson_value_t *rv, const bson_value_t *ov,
		   const char **pattern, size_t *plen, char *opts, char *msg, size_t msglen)
{
	const char *o = NULL;
	size_t		olen = 0,
				i;
	int			n = 0;

	*pattern = NULL;
	*plen = 0;
	opts[0] = '\0';
	if (!asp_value_is_nullish(rv) && rv->value_type != BSON_TYPE_UTF8 &&
		rv->value_type != BSON_TYPE_REGEX)
	{
		snprintf(msg, msglen, "%s needs 'regex' to be of type string or regex", op);
		return false;
	}
	if (!asp_value_is_nullish(ov) && ov->value_type != BSON_TYPE_UTF8)
	{
		snprintf(msg, msglen, "%s needs 'options' to be of type string", op);
		return false;
	}
	if (rv->value_type == BSON_TYPE_REGEX)
	{
		const char *flags = rv->value.v_regex.options ? rv->value.v_regex.options : "";

		*pattern = rv->value.v_regex.regex;
		*plen = strlen(rv->value.v_regex.regex);
		if (flags[0] != '\0' && !asp_value_is_nullish(ov))
		{
			snprintf(msg, msglen, "%s: found regex option(s) specified in both 'regex' and 'option' fields", op);
			return false;
		}
		o = flags;
		olen = strlen(flags);
	}
	else if (rv->value_type == BSON_TYPE_UTF8)
	{
		*pattern = rv->value.v_utf8.str;
		*plen = rv->value.v_utf8.len;
	}
	if (!asp_value_is_nullish(ov))
	{
		o = ov->value.v_utf8.str;
		olen = ov->value.v_utf8.len;
	}
	if (*pattern != NULL && memchr(*pattern, '\0', *plen) != NULL)
	{
		snprintf(msg, msglen, "%s: regular expression cannot contain an embedded null byte", op);
		return false;
	}
	if (o != NULL && memchr(o, '\0', olen) != NULL)
	{
		snprintf(msg, msglen, "%s: regular expression options cannot contain an embedded null byte", op);
		return false;
	}
	for (i = 0; i < olen; i++)
	{
		if (strchr("imsux", o[i]) == NULL)
		{
			snprintf(msg, msglen, "%s invalid flag in regex options: %c", op, o[i]);
			return false;
		}
		if (strchr(opts, o[i]) == NULL)
		{
			opts[n++] = o[i];
			opts[n] = '\0';
		}
	}
	return true;
}

/*
 * compile_pattern: compile a checked pattern.  On error returns NULL with
 * MongoDB's message in msg and PCRE2's position of the error in detail.
 */
static asp_regex *
compile_pattern(const char *op, const char *pattern, size_t plen, const char *opts,
				char *msg, size_t msglen, char *detail, size_t detaillen)
{
	asp_error	err;
	asp_regex  *re;
	const char *text;

	asp_error_init(&err);
	re = asp_regex_compile(pattern, plen, opts, &err);
	if (re == NULL)
	{
		/* PCRE2's own words, as MongoDB reports them */
		text = err.message;
		if (strncmp(text, "invalid regular expression: ", 28) == 0)
			text += 28;
		snprintf(msg, msglen, "Invalid Regex in %s: %.400s", op, text);
		snprintf(detail, detaillen, "%.400s", err.detail);
	}
	return re;
}

/* asp_compile_regex_op: {$regexMatch: {input, regex, options}} */
asp_expr *
asp_compile_regex_op(asp_expr_compiler *c, const asp_op_def *def, const bson_value_t *operand)
{
	static const char *const names[3] = {"input", "regex", "options"};
	bson_value_t vals[3];
	bool		seen[3] = {false, false, false};
	bson_iter_t it;
	asp_expr   *e;
	regex_data *d;
	int			i;

	if (operand->value_type != BSON_TYPE_DOCUMENT)
	{
		asp_expr_compile_error(c, "%s expects an object of named arguments but found: %s",
							   def->name, asp_type_name(operand->value_type));
		asp_error_hint(c->err, "Write {\"%s\": {\"input\": <string>, \"regex\": <pattern>, \"options\": <flags>}}.",
					   def->name);
		return NULL;
	}
	bson_iter_init_from_data(&it, operand->value.v_doc.data, operand->value.v_doc.data_len);
	while (bson_iter_next(&it))
	{
		for (i = 0; i < 3; i++)
			if (strcmp(bson_iter_key(&it), names[i]) == 0)
				break;
		if (i == 3)
		{
			asp_expr_compile_error(c, "unrecognized parameter to %s: %s", def->name,
								   bson_iter_key(&it));
			asp_error_hint(c->err, "%s takes 'input', 'regex' and 'options'.", def->name);
			return NULL;
		}
		vals[i] = *bson_iter_value(&it);
		seen[i] = true;
	}
	for (i = 0; i < 2; i++)
		if (!seen[i])
			return asp_expr_compile_error(c, "%s requires '%s' parameter", def->name, names[i]);

	e = asp_expr_new(def->name, def->eval, seen[2] ? 3 : 2);
	for (i = 0; i < e->nargs; i++)
	{
		e->args[i] = asp_expr_compile_value(c, &vals[i]);
		if (e->args[i] == NULL)
		{
			asp_expr_free(e);
			return NULL;
		}
	}
	d = calloc(1, sizeof(regex_data));
	if (d == NULL)
		abort();
	e->data = d;
	e->free_data = free_regex_data;

	/* a constant pattern is checked and compiled now, once */
	if (e->args[1]->is_const && (e->nargs < 3 || e->args[2]->is_const))
	{
		bson_value_t nullv;
		const char *pattern;
		size_t		plen;
		char		opts[8];
		char		msg[ASP_ERROR_MSG_LEN];

		asp_value_set_null(&nullv);
		if (!regex_spec(def->name, &e->args[1]->constant,
						e->nargs > 2 ? &e->args[2]->constant : &nullv,
						&pattern, &plen, opts, msg, sizeof(msg)))
		{
			asp_expr_free(e);
			return asp_expr_compile_error(c, "%s", msg);
		}
		if (pattern != NULL)
		{
			char		detail[ASP_ERROR_MSG_LEN];

			d->re = compile_pattern(def->name, pattern, plen, opts, msg, sizeof(msg),
									detail, sizeof(detail));
			if (d->re == NULL)
			{
				asp_expr_free(e);
				/* compile errors start in lower case */
				msg[0] = (char) tolower((unsigned char) msg[0]);
				asp_expr_compile_error(c, "%s", msg);
				if (detail[0] != '\0')
					asp_error_detail(c->err, "%s", detail);
				asp_error_hint(c->err, "The pattern is a PCRE regular expression; in JSON a backslash is written \"\\\\\".");
				return NULL;
			}
		}
		d->constant = true;
	}
	return e;
}

/*
 * regex_state: evaluate input, regex and options and find the compiled
 * pattern.  *re is NULL when the input or the pattern is null or missing.
 * A pattern compiled here is returned in *owned for the caller to free.
 */
static bool
regex_state(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *input,
			const asp_regex **re, asp_regex **owned)
{
	const regex_data *d = e->data;
	bson_value_t rv,
				ov;
	const char *pattern;
	size_t		plen;
	char		opts[8];
	char		msg[ASP_ERROR_MSG_LEN];
	char		detail[ASP_ERROR_MSG_LEN];

	*re = NULL;
	*owned = NULL;
	if (!asp_expr_eval(e->args[0], ctx, input) || !asp_expr_eval(e->args[1], ctx, &rv))
		return false;
	if (e->nargs > 2)
	{
		if (!asp_expr_eval(e->args[2], ctx, &ov))
			return false;
	}
	else
		asp_value_set_null(&ov);
	if (!asp_value_is_nullish(input) && input->value_type != BSON_TYPE_UTF8)
		return asp_eval_error(ctx, "%s needs 'input' to be of type string", e->name);
	if (d->constant)
	{
		if (!asp_value_is_nullish(input))
			*re = d->re;
		return true;
	}
	if (!regex_spec(e->name, &rv, &ov, &pattern, &plen, opts, msg, sizeof(msg)))
		return asp_eval_error(ctx, "%s", msg);
	if (pattern == NULL || asp_value_is_nullish(input))
		return true;
	*owned = compile_pattern(e->name, pattern, plen, opts, msg, sizeof(msg),
							 detail, sizeof(detail));
	if (*owned == NULL)
	{
		asp_eval_error(ctx, "%s", msg);
		if (ctx->err != NULL && detail[0] != '\0')
			asp_error_detail(ctx->err, "%s", detail);
		return false;
	}
	*re = *owned;
	return true;
}

/* asp_eval_regex_match: true if the input matches */
bool
asp_eval_regex_match(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out)
{
	bson_value_t input;
	const asp_regex *re;
	asp_regex  *owned;

	if (!regex_state(e, ctx, &input, &re, &owned))
		return false;
	asp_value_set_bool(out, re != NULL &&
					   asp_regex_match(re, input.value.v_utf8.str, input.value.v_utf8.len));
	asp_regex_free(owned);
	return true;
}

/*
 * append_match: append {match, idx, captures} for a match at [ms, me)
 * whose code point index is idx.
 */
static void
append_match(bson_t *doc, const char *s, size_t ms, size_t me, int32_t idx,
			 const long *caps, int ngroups)
{
	bson_t		arr;
	int			i;

	bson_append_utf8(doc, "match", 5, s + ms, (int) (me - ms));
	bson_append_int32(doc, "idx", 3, idx);
	bson_append_array_begin(doc, "captures", 8, &arr);
	for (i = 0; i < ngroups; i++)
	{
		char		kbuf[16];
		size_t		klen;
		const char *key = asp_array_key((uint32_t) i, kbuf, sizeof(kbuf), &klen);

		if (caps[2 * i] < 0)
			bson_append_null(&arr, key, (int) klen);
		else
			bson_append_utf8(&arr, key, (int) klen, s + caps[2 * i],
							 (int) (caps[2 * i + 1] - caps[2 * i]));
	}
	bson_append_array_end(doc, &arr);
}

/* capture_buffer: room for the capture offsets of re, in the arena */
static long *
capture_buffer(asp_eval_ctx *ctx, const asp_regex *re, int *ngroups)
{
	*ngroups = asp_regex_ngroups(re);
	return asp_arena_alloc(ctx->arena, sizeof(long) * 2 * (*ngroups > 0 ? *ngroups : 1));
}

/* asp_eval_regex_find: the first match as {match, idx, captures}, or null */
bool
asp_eval_regex_find(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out)
{
	bson_value_t input;
	const asp_regex *re;
	asp_regex  *owned;
	const char *s;
	size_t		len,
				ms,
				me;
	long	   *caps;
	int			ngroups;
	bson_t		doc;

	if (!regex_state(e, ctx, &input, &re, &owned))
		return false;
	if (re == NULL)
	{
		asp_value_set_null(out);
		return true;
	}
	s = input.value.v_utf8.str;
	len = input.value.v_utf8.len;
	caps = capture_buffer(ctx, re, &ngroups);
	if (asp_regex_find(re, s, len, 0, &ms, &me, caps, ngroups) < 0)
		asp_value_set_null(out);
	else
	{
		bson_init(&doc);
		append_match(&doc, s, ms, me, (int32_t) asp_utf8_count(s, ms), caps, ngroups);
		asp_arena_take_bson(ctx->arena, &doc, BSON_TYPE_DOCUMENT, out);
	}
	asp_regex_free(owned);
	return true;
}

/*
 * asp_eval_regex_find_all: every non-overlapping match; after an empty
 * match the search moves on by one code point.
 */
bool
asp_eval_regex_find_all(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out)
{
	bson_value_t input;
	const asp_regex *re;
	asp_regex  *owned;
	const char *s;
	size_t		len,
				pos = 0,
				ms,
				me;
	int32_t		cp = 0;
	uint32_t	n = 0;
	long	   *caps;
	int			ngroups;
	bson_t		arr;

	if (!regex_state(e, ctx, &input, &re, &owned))
		return false;
	bson_init(&arr);
	if (re == NULL)
	{
		asp_arena_take_bson(ctx->arena, &arr, BSON_TYPE_ARRAY, out);
		return true;
	}
	s = input.value.v_utf8.str;
	len = input.value.v_utf8.len;
	caps = capture_buffer(ctx, re, &ngroups);
	do
	{
		bson_t		doc;
		char		kbuf[16];
		size_t		klen;
		const char *key;

		if (asp_regex_find(re, s, len, pos, &ms, &me, caps, ngroups) < 0)
			break;
		cp += (int32_t) asp_utf8_count(s + pos, ms - pos);
		pos = ms;
		key = asp_array_key(n++, kbuf, sizeof(kbuf), &klen);
		bson_append_document_begin(&arr, key, (int) klen, &doc);
		append_match(&doc, s, ms, me, cp, caps, ngroups);
		bson_append_document_end(&arr, &doc);
		if (arr.len > FIND_ALL_MAX_BYTES)
		{
			bson_destroy(&arr);
			asp_regex_free(owned);
			return asp_eval_error(ctx, "$regexFindAll: the size of buffer to store output exceeded the 64MB limit");
		}
		if (me == ms)
		{
			/* an empty match: move past one code point */
			pos += pos < len ? asp_utf8_cp_len((unsigned char) s[pos]) : 1;
			cp++;
			continue;
		}
		cp += (int32_t) asp_utf8_count(s + ms, me - ms);
		pos = me;
	} while (pos < len);
	asp_regex_free(owned);
	asp_arena_take_bson(ctx->arena, &arr, BSON_TYPE_ARRAY, out);
	return true;
}
