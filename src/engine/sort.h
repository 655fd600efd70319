/*-------------------------------------------------------------------------
 *
 * sort.h
 *	  Compiled sort specifications ({"a": 1, "b.c": -1}) and MongoDB's sort
 *	  order, shared by the $sort stage and by the sortBy of $top, $bottom,
 *	  $topN and $bottomN.
 *
 * Sort keys.  MongoDB does not compare documents field by field: it first
 * derives a sort key from each document, the way an index over the sort
 * pattern would ("sort key generation"), and then compares keys.  For a
 * document the key has one value per sort field:
 *	- a missing field (or a path that runs into a scalar) gives null;
 *	- an array met along the path is expanded: ascending fields use the
 *	  smallest element, descending fields the largest (more precisely, of
 *	  all index keys the document would produce, the one that sorts first);
 *	  an empty array gives undefined, which sorts before null;
 *	- two sort fields that run through two different arrays are an error
 *	  ("cannot sort with keys that are parallel arrays"), as in MongoDB;
 *	  fields running through the same array (a.x, a.y) take their values
 *	  from the same element;
 *	- numeric path components ("a.0") index into arrays.
 *
 * Computing a key once per document.  Sorting N documents with
 * asp_sort_compare() costs O(N log N) key derivations.  Instead, call
 * asp_sort_key_extract() once per document into an array of
 * asp_sort_nkeys() bson_value_t, keep that array next to the document, and
 * sort with asp_sort_key_compare(), which does no path lookups.  Extracted
 * key values are borrowed from the document they were extracted from (null
 * and undefined keys borrow nothing), so extract from the copy of the
 * document the caller keeps, not from a temporary.
 *
 * The accumulators $topN/$bottomN evaluate each sortBy field as the
 * aggregation expression "$<field>" and build the key from those values
 * with asp_sort_key_from_values(), as MongoDB does.
 *
 *-------------------------------------------------------------------------
 */
#ifndef ASP_ENGINE_SORT_H
#define ASP_ENGINE_SORT_H

#include <bson/bson.h>

#include "arena.h"
#include "error.h"
#include "path.h"

/* MongoDB accepts at most 32 sort keys */
#define ASP_SORT_MAX_KEYS 32
/* a sort field path has at most this many components */
#define ASP_SORT_MAX_PATH_PARTS 64

typedef struct asp_sort_spec
{
	int			nkeys;			/* 1 .. ASP_SORT_MAX_KEYS */
	asp_path   *paths;			/* nkeys compiled field paths */
	int		   *dirs;			/* nkeys directions: 1 ascending, -1 descending */
} asp_sort_spec;

/*
 * asp_sort_compile: compile a sort document such as {"a": 1, "b.c": -1}.
 * Each value must be a number equal to 1 or -1 (int, long, double or
 * decimal).  Rejected with ASP_ERR_INVALID: an empty document, other
 * values, duplicate fields, bad field paths, more than ASP_SORT_MAX_KEYS
 * fields.  {$meta: ...} values are ASP_ERR_UNSUPPORTED.
 */
extern asp_sort_spec *asp_sort_compile(const uint8_t *spec, uint32_t len,
									   asp_error *err);
extern void asp_sort_free(asp_sort_spec *s);

static inline int
asp_sort_nkeys(const asp_sort_spec *s)
{
	return s->nkeys;
}

/*
 * asp_sort_key_extract: the sort key of a document (see above) into
 * keys[0 .. nkeys-1].  Fails only for parallel arrays (ASP_ERR_RUNTIME,
 * "cannot sort with keys that are parallel arrays") or an ambiguous
 * positional path; a per-document error for the dead letter queue.
 */
extern bool asp_sort_key_extract(const asp_sort_spec *s, const uint8_t *doc,
								 uint32_t len, bson_value_t *keys, asp_error *err);

/*
 * asp_sort_key_from_values: the sort key from already evaluated field
 * values vals[0 .. nkeys-1] (missing allowed): arrays reduce to their
 * smallest (ascending) or largest (descending) element, empty arrays to
 * undefined, missing to null.  More than one array value is the parallel
 * arrays error.  Key values are borrowed from vals.
 */
extern bool asp_sort_key_from_values(const asp_sort_spec *s, const bson_value_t *vals,
									 bson_value_t *keys, asp_error *err);

/* asp_sort_key_compare: compare two extracted keys; <0, 0 or >0 */
extern int	asp_sort_key_compare(const asp_sort_spec *s, const bson_value_t *a,
								 const bson_value_t *b);

/*
 * asp_sort_compare: compare two documents in sort order.  Convenience for
 * small inputs (it derives both keys on every call).  A document with
 * parallel arrays, which asp_sort_key_extract() rejects, is compared using
 * each field's own smallest/largest value.  arena is not used at present
 * and may be NULL.
 */
extern int	asp_sort_compare(const asp_sort_spec *s, const uint8_t *doca, uint32_t lena,
							 const uint8_t *docb, uint32_t lenb, asp_arena *arena);

#endif							/* ASP_ENGINE_SORT_H */
