/*-------------------------------------------------------------------------
 *
 * docbuf.h
 *	  A growable buffer of BSON documents kept back to back, for the
 *	  blocking stages that hold documents until a window closes (a window
 *	  without a blocking stage, $limit, $sort).
 *
 *-------------------------------------------------------------------------
 */
#ifndef ASP_ENGINE_DOCBUF_H
#define ASP_ENGINE_DOCBUF_H

#include "stage.h"

typedef struct asp_docbuf
{
	uint8_t    *data;			/* the documents, back to back */
	size_t		len;
	size_t		cap;
	size_t	   *offs;			/* where each document starts */
	size_t		n;
	size_t		ncap;
} asp_docbuf;

/* asp_docbuf_append: copy a document to the end */
extern void asp_docbuf_append(asp_docbuf *b, const uint8_t *doc, uint32_t len);

/* asp_docbuf_doc: document i (0-based) and its length */
static inline const uint8_t *
asp_docbuf_doc(const asp_docbuf *b, size_t i, uint32_t *len)
{
	const uint8_t *d = b->data + b->offs[i];
	uint32_t	l;

	memcpy(&l, d, 4);
	*len = BSON_UINT32_FROM_LE(l);
	return d;
}

/* asp_docbuf_emit: push documents order[0..n) (NULL: all, in order) to s's next stage */
extern bool asp_docbuf_emit(const asp_docbuf *b, const size_t *order, asp_stage *s,
							asp_exec *x);

/* asp_docbuf_bytes: memory held */
extern size_t asp_docbuf_bytes(const asp_docbuf *b);

/* asp_docbuf_free: release the memory (the struct itself is the caller's) */
extern void asp_docbuf_free(asp_docbuf *b);

#endif							/* ASP_ENGINE_DOCBUF_H */
