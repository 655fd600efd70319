/*-------------------------------------------------------------------------
 *
 * arena.c
 *	  A bump allocator for per-document temporaries of the engine.
 *
 * Memory comes in chunks; reset keeps the first chunk (grown to the
 * largest size seen) and frees the rest, so steady state costs no malloc.
 *
 *-------------------------------------------------------------------------
 */
#include <stdlib.h>
#include <string.h>

#include "arena.h"

typedef struct arena_chunk
{
	struct arena_chunk *next;
	size_t		size;
	size_t		used;
	/* data follows, aligned to 16 */
} arena_chunk;

#define CHUNK_HDR ((sizeof(arena_chunk) + 15) & ~(size_t) 15)

struct asp_arena
{
	arena_chunk *head;			/* current chunk (most recent) */
	size_t		chunk_size;
	size_t		total;			/* bytes handed out since reset */
};

static arena_chunk *
arena_chunk_new(size_t size)
{
	arena_chunk *c = malloc(CHUNK_HDR + size);

	if (c == NULL)
		abort();
	c->next = NULL;
	c->size = size;
	c->used = 0;
	return c;
}

/* asp_arena_new: create an arena whose chunks are at least chunk_size bytes */
asp_arena *
asp_arena_new(size_t chunk_size)
{
	asp_arena  *a = malloc(sizeof(asp_arena));

	if (a == NULL)
		abort();
	a->chunk_size = chunk_size < 1024 ? 1024 : chunk_size;
	a->head = arena_chunk_new(a->chunk_size);
	a->total = 0;
	return a;
}

/* asp_arena_free: release the arena and all its chunks */
void
asp_arena_free(asp_arena *a)
{
	arena_chunk *c;

	if (a == NULL)
		return;
	c = a->head;
	while (c)
	{
		arena_chunk *n = c->next;

		free(c);
		c = n;
	}
	free(a);
}

/*
 * asp_arena_reset: forget everything allocated.  When several chunks were
 * needed, they are replaced by one chunk big enough for all of them, so the
 * next document of the same shape fits without malloc.
 */
void
asp_arena_reset(asp_arena *a)
{
	if (a->head->next != NULL)
	{
		size_t		need = 0;
		arena_chunk *c = a->head;

		while (c)
		{
			arena_chunk *n = c->next;

			need += c->size;
			free(c);
			c = n;
		}
		if (need > 64 * 1024 * 1024)
			need = 64 * 1024 * 1024;	/* do not keep huge chunks forever */
		if (need < a->chunk_size)
			need = a->chunk_size;
		a->head = arena_chunk_new(need);
	}
	a->head->used = 0;
	a->total = 0;
}

/* asp_arena_alloc: 16-byte aligned memory valid until the next reset */
void *
asp_arena_alloc(asp_arena *a, size_t size)
{
	arena_chunk *c = a->head;
	void	   *p;

	size = (size + 15) & ~(size_t) 15;
	if (c->used + size > c->size)
	{
		size_t		csize = a->chunk_size;

		while (csize < size)
			csize *= 2;
		c = arena_chunk_new(csize);
		c->next = a->head;
		a->head = c;
	}
	p = (char *) c + CHUNK_HDR + c->used;
	c->used += size;
	a->total += size;
	return p;
}

/* asp_arena_used: bytes handed out since the last reset */
size_t
asp_arena_used(const asp_arena *a)
{
	return a->total;
}

/* asp_arena_memdup: copy len bytes into the arena */
void *
asp_arena_memdup(asp_arena *a, const void *p, size_t len)
{
	void	   *d = asp_arena_alloc(a, len ? len : 1);

	if (len)
		memcpy(d, p, len);
	return d;
}

/* asp_arena_strndup: copy a string of len bytes and NUL-terminate it */
char *
asp_arena_strndup(asp_arena *a, const char *s, size_t len)
{
	char	   *d = asp_arena_alloc(a, len + 1);

	memcpy(d, s, len);
	d[len] = '\0';
	return d;
}

/* asp_arena_take_bson: move a finished bson_t into the arena as a value */
void
asp_arena_take_bson(asp_arena *a, bson_t *b, bson_type_t type, bson_value_t *out)
{
	uint32_t	len = b->len;
	uint8_t    *d = asp_arena_memdup(a, bson_get_data(b), len);

	bson_destroy(b);
	out->value_type = type;
	out->value.v_doc.data = d;
	out->value.v_doc.data_len = len;
}
