/*-------------------------------------------------------------------------
 *
 * json.h
 *	  Fast single-pass JSON / MongoDB Extended JSON reader writing BSON.
 *
 * The reader turns one JSON object or array into BSON in a single pass
 * over the text, writing BSON bytes straight into a growable buffer.  It
 * understands MongoDB Extended JSON v2 (canonical and relaxed) and the
 * legacy forms that libbson's bson_init_from_json() accepts, and produces
 * byte-for-byte the same BSON as libbson for every input both accept.
 * The deliberate differences from libbson (it is stricter in a few places
 * and accepts a few more things) are listed at the top of json.c.
 *
 * The text need not be NUL-terminated; the reader never reads past len.
 *
 *-------------------------------------------------------------------------
 */
#ifndef ASP_ENGINE_JSON_H
#define ASP_ENGINE_JSON_H

#include <stdbool.h>
#include <stddef.h>

#include <bson/bson.h>

#include "error.h"

/* nesting limit used when asp_json_opts.max_depth is 0 */
#define ASP_JSON_DEFAULT_MAX_DEPTH 100

typedef struct asp_json_opts
{
	int			max_depth;		/* nesting limit for objects + arrays; 0
								 * means ASP_JSON_DEFAULT_MAX_DEPTH */
	size_t		max_doc_size;	/* max BSON size of the produced document;
								 * 0 means no limit (see below) */
} asp_json_opts;

/*
 * asp_json_to_bson: parse one JSON value from text[0..len) into BSON.
 *
 * The value must be an object or an array, optionally surrounded by JSON
 * whitespace; anything else after it is an error.  opts may be NULL for
 * the defaults.
 *
 * out must be an initialised, empty, non-static bson_t (bson_init() or
 * bson_new()); the caller owns it and calls bson_destroy() on it whether
 * the call succeeds or not.  On success it holds the document, or for a
 * top-level array the BSON array form (keys "0", "1", ...), and *is_array
 * (if is_array is not NULL) tells which.  On failure out is left empty,
 * err is filled (ASP_ERR_SYNTAX for malformed text, ASP_ERR_LIMIT for the
 * depth and size limits, ASP_ERR_INTERNAL for out of memory) and false is
 * returned.
 *
 * max_depth counts the objects and arrays open at any point of the text,
 * the top-level value included, and Extended JSON wrapper objects too
 * ({"a": {"$date": {"$numberLong": "1"}}} is 3 levels deep).  The reader
 * does not recurse on the C stack, so any limit is safe.
 *
 * max_doc_size: for a top-level object it limits the size of the whole
 * document.  For a top-level ARRAY it limits each element that is a
 * document (each document of a "documents" array), not the array as a
 * whole; elements that are not documents (numbers, strings, arrays,
 * extended JSON values such as {"$oid": ...}) are not limited.  Whatever
 * the options, nothing may exceed the BSON maximum of INT32_MAX bytes.
 */
extern bool asp_json_to_bson(const char *text, size_t len,
							 const asp_json_opts *opts, bson_t *out,
							 bool *is_array, asp_error *err);

/*
 * asp_json_append: parse like asp_json_to_bson and append the value to
 * parent as a document or array field named key (key_len may be -1 for a
 * NUL-terminated key).  On failure parent is unchanged.
 */
extern bool asp_json_append(bson_t *parent, const char *key, int key_len,
							const char *text, size_t len,
							const asp_json_opts *opts, asp_error *err);

#endif							/* ASP_ENGINE_JSON_H */
