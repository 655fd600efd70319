/*-------------------------------------------------------------------------
 *
 * match_int.h
 *	  Internal declarations shared by match.c (the query compiler) and
 *	  match_eval.c (evaluation and failure explanations).
 *
 * A compiled query is a tree of mnode.  Logical nodes ($and, $or, $nor,
 * $not) have children.  Path nodes apply a predicate to the values found
 * at a dotted path with MongoDB's implicit array traversal: MK_LEAF nodes
 * see the elements of a leaf array and the array itself, MK_ARRAY nodes
 * ($size, $elemMatch) see only whole arrays.  A path node with no path
 * (nparts == 0) is a child of $elemMatch's value form and applies to the
 * array element itself.
 *
 *-------------------------------------------------------------------------
 */
#ifndef ASP_ENGINE_MATCH_INT_H
#define ASP_ENGINE_MATCH_INT_H

#include "match.h"
#include "jsonschema.h"
#include "regex.h"

typedef enum mkind
{
	MK_AND,
	MK_OR,
	MK_NOR,
	MK_NOT,
	MK_LEAF,
	MK_ARRAY,
	MK_EXPR,
	MK_SCHEMA,
	MK_TRUE,
	MK_FALSE
} mkind;

typedef enum mop
{
	MOP_NONE = 0,
	MOP_EQ,
	MOP_LT,
	MOP_LTE,
	MOP_GT,
	MOP_GTE,
	MOP_IN,
	MOP_REGEX,
	MOP_EXISTS,
	MOP_TYPE,
	MOP_MOD,
	MOP_BITS_ALL_SET,
	MOP_BITS_ALL_CLEAR,
	MOP_BITS_ANY_SET,
	MOP_BITS_ANY_CLEAR,
	/* MK_ARRAY operators */
	MOP_SIZE,
	MOP_ELEM_OBJ,
	MOP_ELEM_VAL
} mop;

/* a compiled regex with the pattern and flags it came from */
typedef struct mregex
{
	asp_regex  *re;
	char	   *pattern;
	char	   *flags;
} mregex;

/* type masks for $type: bit t for BSON types 1..19, plus minKey and maxKey */
#define MTYPE_BIT(t)	(1u << (t))
#define MTYPE_MINKEY	(1u << 20)
#define MTYPE_MAXKEY	(1u << 21)

typedef struct mnode mnode;

struct mnode
{
	mkind		kind;
	mop			op;
	asp_path	path;			/* nparts == 0: the element itself */
	int			nchildren;
	mnode	  **children;		/* logical nodes; $elemMatch value: predicates; object: [0] = query */
	bson_value_t rhs;			/* comparison operand (points into the query copy) */
	/* $in */
	int			nin;
	bson_value_t *in_vals;		/* sorted by asp_value_compare, no duplicates */
	bool		in_has_null;
	int			nin_re;
	mregex	   *in_re;
	/* $regex */
	mregex		re;
	/* $type */
	uint32_t	type_mask;
	/* $mod */
	int64_t		divisor;
	int64_t		remainder;
	/* $bits* */
	uint64_t	bitmask;
	int			nbitpos;
	uint32_t   *bitpos;
	/* $size */
	int64_t		size;
	/* $expr, $jsonSchema */
	asp_expr   *expr;
	asp_jschema *schema;
	/* for explanations */
	const char *opname;			/* "$gte", "$ne", "$all", "$and"...; NULL: implicit $and */
	bson_value_t operand;		/* the operand as written (missing if none) */
	char	   *field;			/* dotted field path ("" for none) */
};

struct asp_match
{
	uint8_t    *buf;			/* owned copy of the query document */
	uint32_t	len;
	mnode	   *root;
	bool		has_expr;
};

/* evaluation state */
typedef struct meval
{
	asp_eval_ctx *ctx;			/* may be NULL when the query has no $expr */
} meval;

/* match_eval.c */
extern int	asp_mnode_eval(const mnode *n, const uint8_t *doc, uint32_t len, meval *me);
extern uint32_t asp_mtype_bit(bson_type_t t);

#endif							/* ASP_ENGINE_MATCH_INT_H */
