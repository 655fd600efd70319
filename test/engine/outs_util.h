/*-------------------------------------------------------------------------
 *
 * outs_util.h
 *	  Engine tests: collecting everything an executor outputs (documents
 *	  and dead letters) as raw bytes, for byte-for-byte comparison of runs.
 *
 *-------------------------------------------------------------------------
 */
#ifndef ASP_TEST_OUTS_UTIL_H
#define ASP_TEST_OUTS_UTIL_H

#include <stdlib.h>
#include <string.h>

#include "../../src/engine/exec.h"

/* collected output: raw documents, each prefixed by a kind byte ('D' or 'Q') */
typedef struct outs
{
	char	  **d;
	size_t	   *len;
	int			n;
	int			cap;
} outs;

/* collect: the output callback (ud: an outs): keep a copy of every document */
static void
collect(void *ud, asp_output_kind kind, const uint8_t *doc, uint32_t len)
{
	outs	   *o = ud;

	if (o->n == o->cap)
	{
		o->cap = o->cap ? o->cap * 2 : 256;
		o->d = realloc(o->d, sizeof(char *) * o->cap);
		o->len = realloc(o->len, sizeof(size_t) * o->cap);
	}
	o->d[o->n] = malloc(len + 1);
	o->d[o->n][0] = kind == ASP_OUTPUT_DOC ? 'D' : 'Q';
	memcpy(o->d[o->n] + 1, doc, len);
	o->len[o->n] = len + 1;
	o->n++;
}

static void
outs_free(outs *o)
{
	int			i;

	for (i = 0; i < o->n; i++)
		free(o->d[i]);
	free(o->d);
	free(o->len);
	memset(o, 0, sizeof(*o));
}

#endif							/* ASP_TEST_OUTS_UTIL_H */
