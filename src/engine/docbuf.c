/*-------------------------------------------------------------------------
 *
 * docbuf.c
 *	  A growable buffer of BSON documents kept back to back.
 *
 *-------------------------------------------------------------------------
 */
#include <stdlib.h>
#include <string.h>

#include "docbuf.h"

/* asp_docbuf_append: copy a document to the end, growing geometrically */
void
asp_docbuf_append(asp_docbuf *b, const uint8_t *doc, uint32_t len)
{
	if (b->len + len > b->cap)
	{
		size_t		ncap = b->cap ? b->cap * 2 : 4096;

		while (ncap < b->len + len)
			ncap *= 2;
		b->data = realloc(b->data, ncap);
		if (b->data == NULL)
			abort();
		b->cap = ncap;
	}
	if (b->n == b->ncap)
	{
		b->ncap = b->ncap ? b->ncap * 2 : 64;
		b->offs = realloc(b->offs, b->ncap * sizeof(size_t));
		if (b->offs == NULL)
			abort();
	}
	memcpy(b->data + b->len, doc, len);
	b->offs[b->n++] = b->len;
	b->len += len;
}

/* asp_docbuf_emit: push the documents (in the given order) to s's next stage */
bool
asp_docbuf_emit(const asp_docbuf *b, const size_t *order, asp_stage *s, asp_exec *x)
{
	size_t		i;

	for (i = 0; i < b->n; i++)
	{
		uint32_t	len;
		const uint8_t *d = asp_docbuf_doc(b, order ? order[i] : i, &len);

		asp_exec_reset_arena(x);
		if (!asp_stage_emit(s, x, d, len))
			return false;
	}
	return true;
}

/* asp_docbuf_bytes: memory held by the buffer */
size_t
asp_docbuf_bytes(const asp_docbuf *b)
{
	return b->cap + b->ncap * sizeof(size_t);
}

/* asp_docbuf_free: release the memory */
void
asp_docbuf_free(asp_docbuf *b)
{
	free(b->data);
	free(b->offs);
	memset(b, 0, sizeof(*b));
}
