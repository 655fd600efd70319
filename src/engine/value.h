/*-------------------------------------------------------------------------
 *
 * value.h
 *	  BSON values as the engine sees them: type order, comparison,
 *	  equality, hashing, numbers, and type names.
 *
 * The engine's value type is libbson's bson_value_t, always BORROWED:
 * strings, binaries, documents and arrays point into the input document or
 * into the per-document arena; a value is never passed to
 * bson_value_destroy().  A missing field is a value whose value_type is
 * BSON_TYPE_EOD (ASP_TYPE_MISSING); MongoDB tells missing from null.
 *
 * Decimal128 arithmetic uses the compiler's _Decimal128, which on x86-64
 * is the same IEEE 754-2008 BID encoding as BSON's decimal128.
 *
 *-------------------------------------------------------------------------
 */
#ifndef ASP_ENGINE_VALUE_H
#define ASP_ENGINE_VALUE_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <bson/bson.h>

#define ASP_TYPE_MISSING BSON_TYPE_EOD

/* Largest document MongoDB accepts (16 MiB) */
#define ASP_MAX_BSON_SIZE (16 * 1024 * 1024)

typedef _Decimal128 asp_dec128;

static inline bool
asp_value_is_missing(const bson_value_t *v)
{
	return v->value_type == BSON_TYPE_EOD;
}

/* missing, null or undefined: what $ifNull and most operators treat as null */
static inline bool
asp_value_is_nullish(const bson_value_t *v)
{
	return v->value_type == BSON_TYPE_EOD || v->value_type == BSON_TYPE_NULL ||
		v->value_type == BSON_TYPE_UNDEFINED;
}

static inline bool
asp_value_is_number(const bson_value_t *v)
{
	switch (v->value_type)
	{
		case BSON_TYPE_INT32:
		case BSON_TYPE_INT64:
		case BSON_TYPE_DOUBLE:
		case BSON_TYPE_DECIMAL128:
			return true;
		default:
			return false;
	}
}

/* setters for borrowed values */
static inline void
asp_value_set_missing(bson_value_t *v)
{
	v->value_type = BSON_TYPE_EOD;
}
static inline void
asp_value_set_null(bson_value_t *v)
{
	v->value_type = BSON_TYPE_NULL;
}
static inline void
asp_value_set_bool(bson_value_t *v, bool b)
{
	v->value_type = BSON_TYPE_BOOL;
	v->value.v_bool = b;
}
static inline void
asp_value_set_int32(bson_value_t *v, int32_t i)
{
	v->value_type = BSON_TYPE_INT32;
	v->value.v_int32 = i;
}
static inline void
asp_value_set_int64(bson_value_t *v, int64_t i)
{
	v->value_type = BSON_TYPE_INT64;
	v->value.v_int64 = i;
}
static inline void
asp_value_set_double(bson_value_t *v, double d)
{
	v->value_type = BSON_TYPE_DOUBLE;
	v->value.v_double = d;
}
static inline void
asp_value_set_date(bson_value_t *v, int64_t ms)
{
	v->value_type = BSON_TYPE_DATE_TIME;
	v->value.v_datetime = ms;
}
static inline void
asp_value_set_utf8(bson_value_t *v, const char *s, uint32_t len)
{
	v->value_type = BSON_TYPE_UTF8;
	v->value.v_utf8.str = (char *) s;
	v->value.v_utf8.len = len;
}
static inline void
asp_value_set_doc(bson_value_t *v, bson_type_t type, const uint8_t *data, uint32_t len)
{
	v->value_type = type;		/* BSON_TYPE_DOCUMENT or BSON_TYPE_ARRAY */
	v->value.v_doc.data = (uint8_t *) data;
	v->value.v_doc.data_len = len;
}

/* decimal128 <-> compiler decimal */
static inline asp_dec128
asp_dec_from_bson(const bson_decimal128_t *d)
{
	asp_dec128	r;

	memcpy(&r, d, sizeof(r));
	return r;
}
static inline void
asp_value_set_decimal(bson_value_t *v, asp_dec128 d)
{
	v->value_type = BSON_TYPE_DECIMAL128;
	memcpy(&v->value.v_decimal128, &d, sizeof(d));
}

/* asp_canonical_type: MongoDB's canonical type rank used for ordering */
extern int	asp_canonical_type(bson_type_t t);

/*
 * asp_value_compare: MongoDB's BSON comparison order (the order $sort,
 * $min, $max and comparison operators use, with the simple binary collation).
 * Numbers of different types compare by numeric value; NaN is smaller than
 * every other number and equal to itself.  Returns <0, 0 or >0.
 */
extern int	asp_value_compare(const bson_value_t *a, const bson_value_t *b);

/* asp_value_equal: asp_value_compare() == 0 */
static inline bool
asp_value_equal(const bson_value_t *a, const bson_value_t *b)
{
	return asp_value_compare(a, b) == 0;
}

/* asp_doc_compare: compare two BSON documents (or arrays) as MongoDB does */
extern int	asp_doc_compare(const uint8_t *a, uint32_t alen,
							const uint8_t *b, uint32_t blen);

/* asp_value_hash: a hash consistent with asp_value_equal (1 == 1L == 1.0) */
extern uint64_t asp_value_hash(const bson_value_t *v, uint64_t seed);

/*
 * asp_value_hash_int: asp_value_hash of an int32 or int64 holding i, for
 * callers that hash many integer keys (equal to asp_value_hash's result).
 */
static inline uint64_t
asp_value_hash_int(int64_t i, uint64_t seed)
{
	uint64_t	x = seed ^ ((uint64_t) 10 * 0x9e3779b97f4a7c15ULL) ^ (uint64_t) i;

	/* splitmix64's finaliser, as value.c's mix64 */
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

/* asp_value_truthy: $cond / $and / $or truth (false, 0, null, missing, undefined are false) */
extern bool asp_value_truthy(const bson_value_t *v);

/* numbers */
extern double asp_value_as_double(const bson_value_t *v);	/* number -> double */
extern asp_dec128 asp_value_as_decimal(const bson_value_t *v);	/* number -> decimal */
/* asp_value_as_int64_exact: a number with an exact int64 value (1.0 yes, 1.5 no) */
extern bool asp_value_as_int64_exact(const bson_value_t *v, int64_t *out);
/* asp_dec_to_double / asp_dec_is_nan etc. */
extern double asp_dec_to_double(asp_dec128 d);
extern bool asp_dec_is_nan(asp_dec128 d);
extern bool asp_dec_is_inf(asp_dec128 d);

/*
 * asp_type_name: MongoDB's $type alias for a BSON type ("double",
 * "string", "object", "array", "binData", "undefined", "objectId", "bool",
 * "date", "null", "regex", "dbPointer", "javascript", "symbol",
 * "javascriptWithScope", "int", "timestamp", "long", "decimal",
 * "minKey", "maxKey"); "missing" for ASP_TYPE_MISSING.
 */
extern const char *asp_type_name(bson_type_t t);

/* asp_type_from_name: BSON type for an alias, or -1 if unknown ("number" is not a type) */
extern int	asp_type_from_name(const char *name, size_t len);

/* asp_type_from_number: BSON type for a $type number (1..19, -1, 127), or -1 */
extern int	asp_type_from_number(int64_t n);

/*
 * asp_value_describe: write a short, human-readable rendering of a value
 * (relaxed extended JSON, truncated to bufsize) for error messages.
 */
extern void asp_value_describe(const bson_value_t *v, char *buf, size_t bufsize);

/* asp_bson_append_value: append a value under key; a missing value appends nothing */
extern void asp_bson_append_value(bson_t *b, const char *key, int keylen,
								  const bson_value_t *v);

/*
 * asp_raw_iter: a light iterator over the elements of raw BSON, for the
 * hot paths (field lookup, key scans).  It decodes nothing; it never reads
 * past the document and stops (returning false) at malformed input.
 */
typedef struct asp_raw_iter
{
	const uint8_t *p;			/* next element */
	const uint8_t *end;			/* the document's terminating NUL */
} asp_raw_iter;

typedef struct asp_raw_elem
{
	const uint8_t *elem;		/* the type byte */
	uint8_t		type;
	const char *key;
	uint32_t	keylen;
	const uint8_t *value;
	uint32_t	vsize;
} asp_raw_elem;

static inline bool
asp_raw_iter_init(asp_raw_iter *it, const uint8_t *doc, uint32_t len)
{
	/* the last byte is NUL in any document: it bounds the key scans */
	if (len < 5 || doc[len - 1] != 0)
	{
		it->p = it->end = doc;
		return false;
	}
	it->p = doc + 4;
	it->end = doc + len - 1;
	return true;
}

/* asp_raw_iter_next: the next element; false at the end or on malformed input */
extern bool asp_raw_iter_next(asp_raw_iter *it, asp_raw_elem *e);

/*
 * asp_doc_index: the top-level fields of one document, found in a single
 * walk, so that the several field paths of a stage ("$timestamp",
 * "$group_id", "$obs.watts", "$obs.temp") do not each walk the document.
 * The evaluation context keeps one, tagged with the document and a
 * generation number (see expr.h).
 */
#define ASP_DOC_INDEX_MAX 32

typedef struct asp_doc_index_entry
{
	const char *key;
	uint32_t	keylen;
	uint8_t		type;
	uint32_t	vsize;
	const uint8_t *elem;		/* the type byte */
	const uint8_t *value;
} asp_doc_index_entry;

typedef struct asp_doc_index
{
	const uint8_t *doc;			/* indexed document, NULL when none */
	uint32_t	len;
	uint64_t	gen;			/* context generation it was built in */
	bool		complete;		/* every field is in e[] (else fall back to a walk) */
	bool		maybe_dups;		/* two keys may be equal: the first of them is the field */
	int			n;
	asp_doc_index_entry e[ASP_DOC_INDEX_MAX];
} asp_doc_index;

/* asp_doc_index_build: index the top-level fields of doc */
extern void asp_doc_index_build(asp_doc_index *ix, const uint8_t *doc, uint32_t len);

/* asp_doc_index_rebase: the same index for a copy of the document at doc (same layout) */
extern void asp_doc_index_rebase(asp_doc_index *ix, const uint8_t *doc, uint32_t len);

/*
 * asp_doc_index_get: a field through a complete index (missing if absent).
 * *hint is where the caller found this key last time (documents of a
 * stream share their shape); it is tried first and updated.
 */
extern bool asp_doc_index_get(const asp_doc_index *ix, const char *key, uint32_t keylen,
							  int *hint, bson_value_t *out);

/*
 * asp_doc_get: find a top-level field by name in raw BSON; returns false
 * (and sets *out missing) if absent.  No traversal of dotted paths.
 */
extern bool asp_doc_get(const uint8_t *doc, uint32_t len, const char *key,
						uint32_t keylen, bson_value_t *out);

/*
 * asp_field_plan: the field paths a pipeline reads from every source
 * document ("timestamp", "group_id", "obs.watts", "obs.temp"), as a tree of
 * slots: a slot is one path segment under its parent slot (-1: top
 * level).  asp_field_plan_fill walks the raw document once (and each
 * sub-document a planned path goes through) and fills every slot with the
 * value MongoDB's field path semantics give: the first field of that name,
 * missing when absent or when the parent is neither a document nor an
 * array.  A slot under an array (the path maps over it) or under a
 * malformed sub-document is marked not ok: its readers take the general
 * path.  The walk of a sub-document stops as soon as all its slots are
 * found.
 */
#define ASP_PLAN_MAX 16

typedef struct asp_field_plan_slot
{
	const char *name;			/* borrowed from the expression's path */
	uint32_t	len;
	int			parent;			/* slot of the parent segment, -1 for a top-level field */
	int			level;			/* its children's level (asp_field_plan_prepare), -1: none */
	uint64_t	w0;				/* the name's first 8 bytes (as far as it goes) */
	uint64_t	m0;				/* mask of those bytes */
} asp_field_plan_slot;

/* the slots under one parent (one document to walk) */
typedef struct asp_field_plan_level
{
	int			nslots;
	int8_t		slot[ASP_PLAN_MAX];
	uint64_t	filter;			/* bit of each slot's name (length and first byte) */
} asp_field_plan_level;

typedef struct asp_field_plan
{
	int			nslots;
	asp_field_plan_slot slot[ASP_PLAN_MAX];
	/* set by asp_field_plan_prepare */
	int			nlevels;
	asp_field_plan_level level[ASP_PLAN_MAX + 1];	/* level[0]: the top level */
	const char *conflict[2];	/* top-level names asp_field_plan_fill reports */
	uint32_t	conflict_len[2];
	uint64_t	conflict_filter;	/* their bits, as in asp_field_plan_level.filter */
} asp_field_plan;

/*
 * The shape of the last document walked at one level: its leading elements'
 * types and keys, and which slot each one filled.  Documents of a stream
 * share their shape, so the next walk checks each element against it (one
 * type byte, two masked words of key) instead of scanning the key and
 * comparing it with the slots' names; at the first element that differs
 * it goes on with the general walk and records the new shape from there.
 */
#define ASP_SHAPE_MAX 24
#define ASP_SHAPE_LEVELS 4		/* levels of a plan that keep a shape */

typedef struct asp_shape_elem
{
	uint64_t	w[3];			/* type byte, key and NUL, zero-padded to 24 bytes */
	uint64_t	m[3];			/* mask of those bytes */
	uint8_t		type;
	uint8_t		hlen;			/* 1 + key length + 1 (at most 24) */
	int8_t		fixed;			/* the value's size when the type fixes it, else -1 */
	int8_t		act;			/* >= 0: position of the slot it fills in its level;
								 * -1: nothing; -2: a name asp_field_plan_fill reports */
	uint8_t		total;			/* hlen + fixed when fixed >= 0 */
} asp_shape_elem;

/*
 * A small document all of whose elements have fixed-size values (obs:
 * {watts, temp}) and that was walked to its end also keeps a template:
 * its bytes with the values masked out.  A document equal to the
 * template under the mask has the same fields at the same offsets.
 */
#define ASP_SHAPE_TEMPLATE 64	/* bytes */
#define ASP_SHAPE_TEMPLATE_FILLS 8

typedef struct asp_shape
{
	int			n;
	asp_shape_elem e[ASP_SHAPE_MAX];
	uint32_t	tlen;			/* length of the templated document, 0: none */
	int			tfills;
	uint64_t	tw[ASP_SHAPE_TEMPLATE / 8];
	uint64_t	tm[ASP_SHAPE_TEMPLATE / 8];
	struct
	{
		uint8_t		elem;		/* offset of the element */
		uint8_t		value;		/* offset of its value */
		uint8_t		size;
		uint8_t		type;
		int8_t		j;			/* the slot's position in its level */
	}			tfill[ASP_SHAPE_TEMPLATE_FILLS];
} asp_shape;

/*
 * The template of the last top-level document walked: its bytes with the
 * values masked out, except the length words of strings, documents and
 * arrays (so every element sits at the same offset), kept when the shape
 * covers the whole document and every value's type is one of those or has
 * a fixed size.  A sub-document a slot goes through whose level has a
 * template (obs) is part of it: its keys, types and final NUL.  A document
 * of the same length equal to it under the mask has the same elements,
 * which pass the same checks and give every slot the same outcome: the
 * fill reads the values at the recorded offsets instead of walking.
 */
#define ASP_DOC_TEMPLATE 256	/* bytes */

typedef struct asp_doc_template
{
	uint32_t	len;			/* length of the templated document, 0: none */
	int			nfills;
	int			ndescend;
	bool		conflict;		/* it has one of the names asp_field_plan_fill reports */
	bool		ok[ASP_PLAN_MAX];	/* each slot's ok (those of descend[] are redone) */
	int8_t		descend[ASP_PLAN_MAX];	/* top-level slots whose sub-document is walked */
	uint64_t	w[ASP_DOC_TEMPLATE / 8];
	uint64_t	m[ASP_DOC_TEMPLATE / 8];
	struct
	{
		uint16_t	elem;		/* offset of the element */
		uint16_t	value;		/* offset of its value */
		uint16_t	size;		/* the value's size */
		uint8_t		type;
		int8_t		slot;
	}			fill[ASP_PLAN_MAX];
} asp_doc_template;

/* per-document values of a plan's slots (and the walks' shapes) */
typedef struct asp_field_plan_vals
{
	bson_value_t v[ASP_PLAN_MAX];
	bool		ok[ASP_PLAN_MAX];	/* false: the general lookup must be used */
	asp_shape	shape[ASP_SHAPE_LEVELS];	/* zero-initialise before the first fill */
	asp_doc_template top;		/* likewise */
} asp_field_plan_vals;

/*
 * asp_field_plan_slot_for: the slot of path segment (name, len) under
 * parent, added if new; -1 when the plan is full.
 */
extern int	asp_field_plan_slot_for(asp_field_plan *fp, int parent, const char *name,
									uint32_t len);

/*
 * asp_field_plan_prepare: after the last slot: the walk's tables, and the
 * two top-level names (NULL for none) whose presence asp_field_plan_fill
 * reports.
 */
extern void asp_field_plan_prepare(asp_field_plan *fp, const char *conflict_a,
								   const char *conflict_b);

/*
 * asp_field_plan_fill: one walk of the top level of doc (which must end in
 * NUL and have its length in its header; checked by the caller): fills
 * vals, and sets *conflict when a top-level key is one of the prepared
 * names.  Returns false if the top level is malformed (vals are then
 * unusable).
 */
extern bool asp_field_plan_fill(const asp_field_plan *fp, const uint8_t *doc, uint32_t len,
								bool *conflict, asp_field_plan_vals *vals);

#endif							/* ASP_ENGINE_VALUE_H */
