/*-------------------------------------------------------------------------
 *
 * expr.h
 *	  Aggregation expressions: compiled once, evaluated on BSON.
 *
 * A compiled expression is a tree of asp_expr nodes, each with an eval
 * function.  Operators register themselves in tables of asp_op_def
 * (expr_arith.c, expr_string.c, ...); expr.c owns the compiler, field
 * paths, variables, literals, object/array expressions, $literal, $let
 * and $meta.
 *
 * Evaluation results are borrowed values (see value.h): they point into
 * the document or into ctx->arena.  An eval function returns false only
 * for a runtime error, after setting ctx->err (code ASP_ERR_RUNTIME) with a
 * message in MongoDB's words, e.g. "can't $divide by zero"; the runtime then
 * sends the document to the dead letter queue with that reason.
 *
 * Variables: $$ROOT, $$CURRENT, $$REMOVE, $$NOW and user variables
 * ($let vars, $map/$filter "as", $reduce $$this/$$value) are resolved to
 * slot numbers at compile time; ctx->vars[slot] holds their values.
 *
 *-------------------------------------------------------------------------
 */
#ifndef ASP_ENGINE_EXPR_H
#define ASP_ENGINE_EXPR_H

#include <bson/bson.h>

#include "arena.h"
#include "error.h"
#include "path.h"
#include "value.h"

typedef struct asp_expr asp_expr;
typedef struct asp_eval_ctx asp_eval_ctx;
typedef struct asp_expr_compiler asp_expr_compiler;
typedef struct asp_op_def asp_op_def;

typedef bool (*asp_expr_eval_fn) (const asp_expr *e, asp_eval_ctx *ctx,
								  bson_value_t *out);

/* sub-document field indexes kept per document */
#define ASP_EVAL_SUBINDEX 3

/* fixed variable slots */
#define ASP_VAR_ROOT	0
#define ASP_VAR_CURRENT	1
#define ASP_VAR_FIRST_USER 2
#define ASP_MAX_VARS	64

struct asp_expr
{
	asp_expr_eval_fn eval;
	const char *name;			/* "$add", or "literal", "fieldPath", ... */
	int			nargs;
	asp_expr  **args;			/* compiled operands */
	bson_value_t constant;		/* literal value (owned, see literal_buf) */
	uint8_t    *literal_buf;	/* owned bytes behind constant, if any */
	asp_path	path;			/* field path (after the variable) */
	int			var;			/* variable slot for paths/variables */
	char	  **keys;			/* object expressions: nargs field names */
	int		   *var_slots;		/* operator-specific variable slots */
	void	   *data;			/* operator-specific compiled data */
	void		(*free_data) (void *data);
	bool		is_const;		/* evaluates to `constant`, no document needed */
	int		   *hints;			/* field paths: index position of each segment's key last time */
	int			plan_slot;		/* field paths: slot in the pipeline's field plan + 1, 0: none */
};

struct asp_eval_ctx
{
	bson_value_t vars[ASP_MAX_VARS];	/* slot values */
	asp_arena  *arena;			/* temporaries: reset per document */
	asp_error  *err;			/* runtime error goes here */
	int64_t		now_ms;			/* $$NOW (processing time) */
	bool		in_window;		/* window bounds valid */
	int64_t		window_start;	/* ms since epoch */
	int64_t		window_end;
	int64_t		event_time;		/* event time of the current source document */
	/*
	 * doc_gen changes whenever a document is handed to a stage; the field
	 * index is valid only for (index.doc, index.gen == doc_gen).  A stage
	 * output buffer is reused at the same address for the next document,
	 * so the address alone does not identify a document.
	 */
	uint64_t	doc_gen;
	asp_doc_index index;		/* the current document's fields (slot 0) */
	asp_doc_index subindex[ASP_EVAL_SUBINDEX];	/* sub-documents ("obs" of "$obs.watts") */
	int			subindex_next;	/* round-robin replacement */
	const uint8_t *stream_meta;	/* _stream_meta document of the input, or NULL */
	uint32_t	stream_meta_len;
	/*
	 * The field plan values of the current source document (exec.c): a
	 * planned field path reads its slot while CURRENT is plan_doc and
	 * doc_gen is still plan_gen; otherwise it looks the path up.
	 */
	const uint8_t *plan_doc;
	uint32_t	plan_len;
	uint64_t	plan_gen;
	const asp_field_plan_vals *plan_vals;
};

/*
 * The compiler.  Carries the variable scope and the location used in
 * error messages.  A compile error fills *err (code ASP_ERR_INVALID) and
 * returns NULL.
 */
struct asp_expr_compiler
{
	asp_error  *err;
	const char *where;			/* field path of the expression in its stage, for messages */
	int			nvars;			/* variables in scope */
	const char *var_names[ASP_MAX_VARS];
	int			var_slots[ASP_MAX_VARS];
	int			next_slot;		/* slots used so far (max over scopes) */
	int			max_slot;
	bool		allow_window_meta;	/* $meta stream.window.* allowed */
	bool		used_window_meta;	/* set when an expression read the window bounds */
};

/*
 * The definition of an operator.  For operators whose operand is a list of
 * expressions ({$add: [a, b]}, or a single operand {$abs: a}, which is one
 * argument), set min_args/max_args (max_args -1 means no limit) and leave
 * compile NULL: the generic compiler compiles the arguments into e->args
 * and checks the arity.  Operators with named arguments ({$filter: {input,
 * as, cond}}) provide compile, which fills e->args/e->data as it likes
 * (use asp_expr_new, asp_expr_compile_value, asp_expr_push_var ...).
 * pure: same arguments give the same result (constant folding allowed).
 */
typedef asp_expr *(*asp_op_compile_fn) (asp_expr_compiler *c,
										const asp_op_def *def,
										const bson_value_t *operand);

struct asp_op_def
{
	const char *name;
	asp_expr_eval_fn eval;
	int			min_args;
	int			max_args;
	asp_op_compile_fn compile;
	bool		pure;
};

/* operator tables, each terminated by an entry with name NULL */
extern const asp_op_def asp_ops_arith[];	/* expr_arith.c */
extern const asp_op_def asp_ops_logic[];	/* expr_logic.c: comparison, boolean, conditional */
extern const asp_op_def asp_ops_string[];	/* expr_string.c */
extern const asp_op_def asp_ops_array[];	/* expr_array.c: arrays and objects */
extern const asp_op_def asp_ops_type[];		/* expr_type.c: $type, $convert, $to* */
extern const asp_op_def asp_ops_date[];		/* expr_date.c */

/* Compiler entry points */
extern void asp_expr_compiler_init(asp_expr_compiler *c, asp_error *err,
								   const char *where);
/* asp_expr_compile_value: compile any expression value (literal, "$path", {$op: ...}, {a: expr}) */
extern asp_expr *asp_expr_compile_value(asp_expr_compiler *c, const bson_value_t *v);
/* asp_expr_compile_iter: the same from an iterator positioned on the value */
extern asp_expr *asp_expr_compile_iter(asp_expr_compiler *c, const bson_iter_t *it);
/* asp_expr_compile_object_fields: {a: <expr>, b: <expr>} as an object expression (for $group keys etc.) */
extern void asp_expr_free(asp_expr *e);

/* helpers for operator compile functions */
extern asp_expr *asp_expr_new(const char *name, asp_expr_eval_fn eval, int nargs);
extern asp_expr *asp_expr_new_literal(const bson_value_t *v);	/* copies v */
/* asp_expr_push_var: declare a variable in scope, return its slot (-1 + err if bad name) */
extern int	asp_expr_push_var(asp_expr_compiler *c, const char *name, size_t len);
extern void asp_expr_pop_vars(asp_expr_compiler *c, int n);
/* asp_expr_compile_error: set a compile error "<op>: <message>" with where; returns NULL */
extern asp_expr *asp_expr_compile_error(asp_expr_compiler *c, const char *fmt,...)
			__attribute__((format(printf, 2, 3)));
/* asp_expr_fold: evaluate a pure expression with constant args now; returns the (maybe new) node */
extern asp_expr *asp_expr_fold(asp_expr *e);
/* asp_find_op: look up an operator by name in all tables */
extern const asp_op_def *asp_find_op(const char *name, size_t len);

/*
 * asp_expr_plan_paths: give every field path ("$a.b") of e and its
 * operands a slot in fp (paths whose first segment is skip_a or skip_b are
 * left alone, as are paths once fp is full), so that they read the value
 * the executor's walk of the source document found.  Returns whether e
 * reads the current document only through field paths that do not start
 * with skip_a or skip_b (false for $$ROOT, $$CURRENT and such paths).
 */
extern bool asp_expr_plan_paths(asp_expr *e, asp_field_plan *fp, const char *skip_a,
								const char *skip_b);

/* Evaluation */
static inline bool
asp_expr_eval(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out)
{
	return e->eval(e, ctx, out);
}

/*
 * asp_eval_ctx_plan_ok: the field plan's values are those of doc (the
 * current document, as set by asp_eval_ctx_set_root).
 */
static inline bool
asp_eval_ctx_plan_ok(const asp_eval_ctx *ctx, const uint8_t *doc, uint32_t len)
{
	return ctx->plan_doc == doc && ctx->plan_gen == ctx->doc_gen && ctx->plan_len == len;
}

/*
 * asp_expr_eval_planned: asp_expr_eval, reading a planned field path's
 * slot without the call when plan_ok (asp_eval_ctx_plan_ok for CURRENT).
 */
static inline bool
asp_expr_eval_planned(const asp_expr *e, asp_eval_ctx *ctx, bool plan_ok, bson_value_t *out)
{
	if (e->plan_slot > 0 && plan_ok && ctx->plan_vals->ok[e->plan_slot - 1])
	{
		*out = ctx->plan_vals->v[e->plan_slot - 1];
		return true;
	}
	return e->eval(e, ctx, out);
}

/* asp_eval_ctx_init: zero the context and attach arena and error */
extern void asp_eval_ctx_init(asp_eval_ctx *ctx, asp_arena *arena, asp_error *err);

/*
 * asp_eval_ctx_new_document: a new document is about to be evaluated
 * (invalidates the field index).  The executor does this on every hand-off
 * between stages; code that drives a context directly and reuses memory
 * for successive documents must call it before each one.
 */
static inline void
asp_eval_ctx_new_document(asp_eval_ctx *ctx)
{
	ctx->doc_gen++;
}

/* asp_eval_ctx_set_root: $$ROOT and $$CURRENT = the document */
static inline void
asp_eval_ctx_set_root(asp_eval_ctx *ctx, const uint8_t *doc, uint32_t len)
{
	asp_value_set_doc(&ctx->vars[ASP_VAR_ROOT], BSON_TYPE_DOCUMENT, doc, len);
	ctx->vars[ASP_VAR_CURRENT] = ctx->vars[ASP_VAR_ROOT];
}

/* asp_eval_error: set a runtime error (printf-style) and return false */
extern bool asp_eval_error(asp_eval_ctx *ctx, const char *fmt,...)
			__attribute__((format(printf, 2, 3)));

/* Convenience for operator implementations */
/* asp_eval_args: evaluate all e->args into vals[] (caller provides nargs slots) */
extern bool asp_eval_args(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *vals);

/*
 * Building arrays/documents as results: init a bson_t, append, then
 * asp_arena_take_bson(ctx->arena, &b, BSON_TYPE_ARRAY, out).
 * asp_array_key: the decimal key for index i ("0", "1", ...), no allocation.
 */
extern const char *asp_array_key(uint32_t i, char *buf, size_t bufsize, size_t *keylen);

#endif							/* ASP_ENGINE_EXPR_H */
