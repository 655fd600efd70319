/*-------------------------------------------------------------------------
 *
 * path.h
 *	  Dotted field paths ("obs.watts"), compiled once, looked up on BSON.
 *
 * Two lookup semantics exist in MongoDB and both live here:
 *	- aggregation expressions ("$a.b"): an array met on the way is mapped
 *	  over, giving an array of the values found (asp_path_get);
 *	- query operators (match.c) traverse arrays implicitly and also accept
 *	  numeric array indexes; that traversal lives in match.c and uses the
 *	  segments stored here.
 *
 *-------------------------------------------------------------------------
 */
#ifndef ASP_ENGINE_PATH_H
#define ASP_ENGINE_PATH_H

#include <bson/bson.h>

#include "arena.h"
#include "error.h"

typedef struct asp_path_part
{
	const char *name;			/* NUL-terminated segment */
	uint32_t	len;
	int64_t		index;			/* segment as an array index, or -1 */
} asp_path_part;

typedef struct asp_path
{
	int			nparts;
	asp_path_part *parts;
	char	   *dotted;			/* whole path, for messages */
} asp_path;

/*
 * asp_path_init: compile a dotted path of len bytes.  Rejects an empty
 * path, empty segments ("a..b"), and segments starting with '$'
 * (MongoDB: "FieldPath field names may not start with '$'").
 * what names the thing for the error message (e.g. "field path").
 */
extern bool asp_path_init(asp_path *p, const char *s, size_t len,
						  const char *what, asp_error *err);
extern void asp_path_destroy(asp_path *p);

/*
 * asp_path_get: aggregation-expression lookup of parts[from..] in a
 * document.  Arrays on the way are mapped over (a new array is built in
 * the arena); a missing field yields a missing value.
 */
extern void asp_path_get(const asp_path *p, int from, const uint8_t *doc,
						 uint32_t len, asp_arena *arena, bson_value_t *out);

/* asp_path_get_value: the same, starting from a value (document or array) */
extern void asp_path_get_value(const asp_path *p, int from, const bson_value_t *v,
							   asp_arena *arena, bson_value_t *out);

#endif							/* ASP_ENGINE_PATH_H */
