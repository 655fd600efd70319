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
 * A document is added in two phases, eval (expressions, the only place
 * runtime errors happen) and apply (fold into a state), so that $group can
 * evaluate every accumulator before it touches any state.
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

/*
 * ASP_ACCUM_MAX_INPUTS: operand values an asp_accum_input holds inline.
 * One for the unary accumulators; $top/$bottom/$topN/$bottomN take their
 * sort key values and their output (nkeys + 1 values): up to three sortBy
 * fields fit inline, longer sortBy lists go to an array in ctx->arena.
 */
#define ASP_ACCUM_MAX_INPUTS 4

/*
 * asp_accum_input: the evaluated operands of one accumulator for one
 * document.  The values are borrowed (from the document or ctx->arena) and
 * valid during the current push only; use asp_accum_input_vals() to read
 * them.
 */
typedef struct asp_accum_input
{
	int			n;				/* number of values */
	bson_value_t *ext;			/* n > ASP_ACCUM_MAX_INPUTS: the values (ctx->arena) */
	bson_value_t v[ASP_ACCUM_MAX_INPUTS];	/* n <= ASP_ACCUM_MAX_INPUTS: the values */
} asp_accum_input;

/* asp_accum_input_vals: the values of an evaluated input */
static inline const bson_value_t *
asp_accum_input_vals(const asp_accum_input *in)
{
	return in->n > ASP_ACCUM_MAX_INPUTS ? in->ext : in->v;
}

/*
 * Adding a document to a state has two phases, so that a $group can take a
 * document atomically (every accumulator of its group, or none, and no new
 * group for a document that fails):
 *	- eval evaluates the accumulator's expressions on ctx's current
 *	  document into an asp_accum_input; runtime expression errors happen
 *	  here and only here, and no state is touched;
 *	- apply folds an evaluated input into a state; it fails only when a
 *	  limit is hit (the 100 MiB memory limit of collecting accumulators),
 *	  and one input may be applied to several states (hopping windows).
 *	  (One exception: a state of $firstN ... $bottomN that was not given
 *	  its key with asp_accum_start_group evaluates n on the current
 *	  document at its first apply, which can fail.)
 * add is eval followed by apply, for callers with a single accumulator.
 */
struct asp_accum_def
{
	const char *name;			/* "$sum" */
	size_t		state_size;		/* bytes of inline state (multiple of 8) */
	bool		order_sensitive;	/* result depends on arrival order ($first, $push...) */
	/* compile: parse the operand ({$sum: <expr>}, {$topN: {n, sortBy, output}}) into a */
	bool		(*compile) (asp_expr_compiler *c, const bson_value_t *operand, asp_accum *a);
	void		(*init) (const asp_accum *a, void *state);
	/* eval: evaluate the operands on ctx's current document (ctx->err on failure) */
	bool		(*eval) (const asp_accum *a, asp_eval_ctx *ctx, asp_accum_input *in);
	/* apply: fold an evaluated input into the state; fails only for limits (ctx->err) */
	bool		(*apply) (const asp_accum *a, void *state, const asp_accum_input *in,
						  asp_eval_ctx *ctx);
	/* add: eval + apply on ctx's current document */
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
 * $bottomN evaluate a non-constant n with the group key's fields as the
 * document ($$ROOT is the key if it is a document, else an empty
 * document), as MongoDB does; without this call they evaluate n on the
 * first document added.  A no-op for the other accumulators.  Fails
 * (ctx->err) if n is not a positive integer.  ctx's $$ROOT and $$CURRENT
 * are left as they were.
 */
extern bool asp_accum_start_group(const asp_accum *a, void *state,
								  const bson_value_t *group_id, asp_eval_ctx *ctx);

/*
 * asp_accum_eval_unary: the eval of the single-expression accumulators
 * ($sum $avg $min $max $first $last $push $addToSet $stdDevPop
 * $stdDevSamp): in->n = 1 and in->v[0] = the value of a->arg.  A caller
 * may do that itself for an accumulator whose def->eval is this function.
 */
extern bool asp_accum_eval_unary(const asp_accum *a, asp_eval_ctx *ctx, asp_accum_input *in);

/*
 * asp_accum_add: eval + apply of one document (ctx's current document):
 * the add of the accumulator definitions (that of $firstN ... $bottomN
 * first makes sure n is known, as before).
 */
extern bool asp_accum_add(const asp_accum *a, void *state, asp_eval_ctx *ctx);

#endif							/* ASP_ENGINE_ACCUM_H */
