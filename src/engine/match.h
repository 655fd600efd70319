/*-------------------------------------------------------------------------
 *
 * match.h
 *	  MongoDB query predicates ($match, $validate validators, $redact
 *	  helpers, $elemMatch): compiled once, evaluated on BSON.
 *
 * Supported: implicit equality, $eq $ne $gt $gte $lt $lte $in $nin
 * $exists $type (names, numbers, "number") $regex/$options (and regex
 * literals) $and $or $nor $not $all $elemMatch $size $mod $expr
 * $jsonSchema (draft 4 subset as in MongoDB), with dotted paths and
 * MongoDB's array traversal rules and BSON comparison order.
 *
 *-------------------------------------------------------------------------
 */
#ifndef ASP_ENGINE_MATCH_H
#define ASP_ENGINE_MATCH_H

#include <bson/bson.h>

#include "expr.h"

typedef struct asp_match asp_match;

/*
 * asp_match_compile: compile a query document (raw BSON).  c provides the
 * variable scope and error location for $expr; errors are ASP_ERR_INVALID
 * naming the operator and the field path ("unknown operator $foo in field
 * a.b"), with c->err->path set to the field path inside the query.
 */
extern asp_match *asp_match_compile(asp_expr_compiler *c, const uint8_t *query,
									uint32_t len);

/*
 * asp_match_eval: evaluate against doc.  Returns false only on a runtime
 * error inside $expr (ctx->err set); *matched receives the result.
 * For $expr, $$ROOT and $$CURRENT are set to doc during the call (and put
 * back afterwards); other variables come from ctx.  ctx may be NULL when
 * the query has no $expr.  No allocation except $expr results in ctx->arena.
 */
extern bool asp_match_eval(const asp_match *m, const uint8_t *doc, uint32_t len,
						   asp_eval_ctx *ctx, bool *matched);

/*
 * asp_match_explain_failure: after a failed match, a short reason naming
 * the first failing clause (e.g. "field 'age' does not match {$gte: 18}:
 * found 17 (int)", or "document failed $jsonSchema: property 'name' is
 * required"), for DLQ errInfo of $validate.  Clauses of $and are searched
 * for the first one that fails.  May be called with buf of any size.
 */
extern void asp_match_explain_failure(const asp_match *m, const uint8_t *doc,
									  uint32_t len, asp_eval_ctx *ctx,
									  char *buf, size_t bufsize);

extern void asp_match_free(asp_match *m);

#endif							/* ASP_ENGINE_MATCH_H */
