/*-------------------------------------------------------------------------
 *
 * stage.c
 *	  Allocation and chaining of pipeline stages.
 *
 *-------------------------------------------------------------------------
 */
#include <stdlib.h>
#include <string.h>

#include "stage.h"

/* asp_stage_new: allocate a stage with its reusable output buffer */
asp_stage *
asp_stage_new(const asp_stage_ops *ops, const char *name,
			  const asp_stage_compile_ctx *cc)
{
	asp_stage  *s = calloc(1, sizeof(asp_stage));

	if (s == NULL)
		abort();
	s->ops = ops;
	s->name = name;
	s->index = cc ? cc->index : 0;
	s->where = strdup(cc && cc->where ? cc->where : "");
	s->out = bson_new();
	return s;
}

/* asp_stage_free: free one stage (not the chain after it) */
void
asp_stage_free(asp_stage *s)
{
	if (s == NULL)
		return;
	if (s->bops)
		asp_block_reset(s);
	if (s->ops && s->ops->destroy)
		s->ops->destroy(s);
	bson_destroy(s->out);
	free(s->where);
	free(s);
}

/* asp_stage_flush: flush s and every stage after it, in order */
bool
asp_stage_flush(asp_stage *s, asp_exec *x)
{
	for (; s != NULL; s = s->next)
	{
		if (s->ops->flush && !s->ops->flush(s, x))
			return false;
	}
	return true;
}

/* asp_block_push: a blocking stage after the first: collect into own_state */
bool
asp_block_push(asp_stage *s, asp_exec *x, const uint8_t *doc, uint32_t len)
{
	if (s->own_state == NULL)
		s->own_state = s->bops->state_new(s);
	return s->bops->state_add(s, s->own_state, x, doc, len);
}

/* asp_block_flush: emit what own_state collected, then forget it */
bool
asp_block_flush(asp_stage *s, asp_exec *x)
{
	bool		ok = true;

	if (s->own_state != NULL)
	{
		void	   *st = s->own_state;

		s->own_state = NULL;
		ok = s->bops->state_emit(s, st, x);
		s->bops->state_free(s, st);
	}
	return ok;
}

/* asp_block_reset: drop own_state without emitting */
void
asp_block_reset(asp_stage *s)
{
	if (s->own_state != NULL)
	{
		s->bops->state_free(s, s->own_state);
		s->own_state = NULL;
	}
}
