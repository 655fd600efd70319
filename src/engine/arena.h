/*-------------------------------------------------------------------------
 *
 * arena.h
 *	  A bump allocator for per-document temporaries of the engine.
 *
 * Expression results that are not borrowed from the input document
 * (computed strings, arrays, documents) live in an arena that the executor
 * resets once per input document, so evaluating a pipeline does no malloc
 * per document once the arena has grown to its working size.
 *
 *-------------------------------------------------------------------------
 */
#ifndef ASP_ENGINE_ARENA_H
#define ASP_ENGINE_ARENA_H

#include <stddef.h>
#include <stdint.h>
#include <bson/bson.h>

typedef struct asp_arena asp_arena;

extern asp_arena *asp_arena_new(size_t chunk_size);
extern void asp_arena_free(asp_arena *a);
extern void asp_arena_reset(asp_arena *a);
extern void *asp_arena_alloc(asp_arena *a, size_t size);
extern char *asp_arena_strndup(asp_arena *a, const char *s, size_t len);
extern void *asp_arena_memdup(asp_arena *a, const void *p, size_t len);
/* asp_arena_used: bytes handed out since the last reset */
extern size_t asp_arena_used(const asp_arena *a);

/*
 * asp_arena_take_bson: copy a finished bson_t into the arena, destroy the
 * bson_t, and point *out at the copy as a document or array value.
 */
extern void asp_arena_take_bson(asp_arena *a, bson_t *b, bson_type_t type,
								bson_value_t *out);

#endif							/* ASP_ENGINE_ARENA_H */
