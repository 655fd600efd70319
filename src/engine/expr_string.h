/*-------------------------------------------------------------------------
 *
 * expr_string.h
 *	  Internal interface of the string operators, which are split over
 *	  expr_string.c (the operator table and the plain string operators)
 *	  and expr_regex.c ($regexMatch, $regexFind, $regexFindAll).
 *
 *-------------------------------------------------------------------------
 */
#ifndef ASP_ENGINE_EXPR_STRING_H
#define ASP_ENGINE_EXPR_STRING_H

#include "expr.h"

/* asp_utf8_is_continuation: a UTF-8 continuation byte (10xxxxxx) */
static inline bool
asp_utf8_is_continuation(unsigned char c)
{
	return (c & 0xC0) == 0x80;
}

/*
 * asp_utf8_cp_len: the length of the code point led by byte c, counted as
 * MongoDB does (the number of leading one bits; 1 for ASCII).
 */
static inline size_t
asp_utf8_cp_len(unsigned char c)
{
	if ((c & 0x80) == 0)
		return 1;
	return (size_t) __builtin_clz(~((unsigned int) c << 24));
}

/* asp_utf8_count: code points in s (bytes that are not continuation bytes) */
static inline size_t
asp_utf8_count(const char *s, size_t len)
{
	size_t		n = 0,
				i;

	for (i = 0; i < len; i++)
		if (!asp_utf8_is_continuation((unsigned char) s[i]))
			n++;
	return n;
}

/*
 * asp_string_result: a copy of s (len bytes, NUL-terminated) in the arena
 * as a string value.
 */
extern void asp_string_result(asp_eval_ctx *ctx, const char *s, size_t len,
							  bson_value_t *out);

/* regex operators (expr_regex.c) */
extern asp_expr *asp_compile_regex_op(asp_expr_compiler *c, const asp_op_def *def,
									  const bson_value_t *operand);
extern bool asp_eval_regex_match(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out);
extern bool asp_eval_regex_find(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out);
extern bool asp_eval_regex_find_all(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out);

#endif							/* ASP_ENGINE_EXPR_STRING_H */
