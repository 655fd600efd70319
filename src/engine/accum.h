/*-------------------------------------------------------------------------
 *
 * accum.h
 *	  $group accumulators: $sum $avg $min $max $count $first $last $push
 *	  $addToSet $stdDevPop $stdDevSamp $top $bottom $topN $bottomN $firstN
 *	  $lastN $minN $maxN.
 *
 * An accumulator is compiled once per $group field.  Its state is a fixed
 * block of state_size bytes that the window stores inline with the group
 * entry (no allocation per document for $sum/$avg/$min/$max/$count...);
 * accumulators that collect values ($push, $addToSet, *N, $top/$bottom)
 * keep a heap buffer referenced from the inline state, grown geometrically.
 *
 * States are mergeable (merge(dst, src) = dst then src in arrival order),
 * so partial aggregates of a batch or a pane can be combined, and they
 * serialize to BSON for checkpoints.
 *
 *-------------------------------------------------------------------------
 */
#ifndef ASP_ENGINE_ACCUM_H
#define ASP_ENGINE_ACCUM_H

#include <bson/bson.h>

#include "expr.h"

typedef struct asp_accum asp_accum;
typedef struct asp_accum_def asp_accum_def;

struct asp_accum_def
{
	const char *name;			/* "$sum" */
	size_t		state_size;		/* bytes of inline state (multiple of 8) */
	bool		order_sensitive;	/* result depends on arrival order ($first, $push...) */
	/* compile: parse the operand ({$sum: <expr>}, {$topN: {n, sortBy, output}}) into a */
	bool		(*compile) (asp_expr_compiler *c, const bson_value_t *operand, asp_accum *a);
	void		(*init) (const asp_accum *a, void *state);
	/* add: evaluate the accumulator's own expressions on ctx's current document and fold in */
	bool		(*add) (const asp_accum *a, void *state, asp_eval_ctx *ctx);
	/* merge: fold src into dst; src arrived after dst */
	bool		(*merge) (const asp_accum *a, void *dst, const void *src, asp_error *err);
	/* finalize: the result value (built in ctx->arena if not scalar) */
	bool		(*finalize) (const asp_accum *a, const void *state, asp_eval_ctx *ctx,
							 bson_value_t *out);
	/* destroy: free heap parts (state itself belongs to the caller) */
	void		(*destroy) (const asp_accum *a, void *state);
	/* mem_size: heap bytes held beyond the inline state */
	size_t		(*mem_size) (const asp_accum *a, const void *state);
	/* serialize: append the state as one BSON value under key; deserialize reverses it */
	bool		(*serialize) (const asp_accum *a, const void *state, bson_t *out,
							  const char *key);
	bool		(*deserialize) (const asp_accum *a, void *state, const bson_value_t *v,
								asp_error *err);
};

struct asp_accum
{
	const asp_accum_def *def;
	char	   *field;			/* output field name */
	asp_expr   *arg;			/* main operand expression (may be NULL, e.g. $count) */
	asp_expr   *n;				/* N for *N accumulators */
	asp_expr   *output;			/* $top/$bottom output */
	void	   *sort_spec;		/* $top/$bottom sortBy, compiled */
	void	   *data;			/* def-specific */
};

/* asp_accum_find: definition for a name like "$sum", or NULL */
extern const asp_accum_def *asp_accum_find(const char *name, size_t len);

/*
 * asp_accum_compile: compile {<field>: {<$acc>: <operand>}} (the value of
 * one $group field).  Errors name the accumulator and field, and reject
 * unknown accumulators ("unknown group operator '$foo'"), $accumulator
 * (JavaScript is not supported), and more than one key.
 */
extern bool asp_accum_compile(asp_expr_compiler *c, const char *field,
							  const bson_value_t *spec, asp_accum *a);
extern void asp_accum_destroy_compiled(asp_accum *a);

/*
 * asp_accum_start_group: optional, right after init() of a new group's
 * state: gives the state its group key.  $firstN $lastN $minN $maxN $topN
 * $bottomN evaluate a non-constant n against {_id: <group key>}, as
 * MongoDB does; without this call they evaluate n on the group's first
 * document.  A no-op for the other accumulators.  Fails (ctx->err) if n
 * is not a positive integer.
 */
extern bool asp_accum_start_group(const asp_accum *a, void *state,
								  const bson_value_t *group_id, asp_eval_ctx *ctx);

#endif							/* ASP_ENGINE_ACCUM_H */
