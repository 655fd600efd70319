/*-------------------------------------------------------------------------
 *
 * exec.c
 *	  The executor: runs a compiled pipeline over pushed source documents.
 *
 * Per source document: one walk of its top level checks it, looks for the
 * fields the executor appends, and fills the pipeline's field plan (the
 * paths timeField and the first stage read); evaluate timeField (or take
 * the source's time), rebuild the document with the timestamp field and
 * _stream_meta appended, and push it into the first stage.  When the
 * pipeline allows it (source_lazy, see pipeline.h) the input document is
 * pushed as it is and only built whole if a stage hands it to the dead
 * letter queue or emits it.  Failures on one document become dead
 * letter queue documents in ASP's format:
 *	{_stream_meta: {source, window}, errInfo: {reason}, operatorName, doc,
 *	 processorName}
 *
 *-------------------------------------------------------------------------
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "exec.h"
#include "pipeline.h"
#include "stage.h"
#include "state_store.h"

struct asp_exec
{
	asp_pipeline *p;
	asp_stage  *first;
	asp_output_fn out;
	void	   *ud;
	asp_arena  *arena;
	asp_eval_ctx ctx;
	asp_error	doc_err;		/* per-document runtime errors */
	asp_error	fatal;			/* stops the run */
	bson_t	   *srcbuf;			/* $source output document */
	bson_t	   *dlqbuf;			/* DLQ document being built */
	bson_t	   *metabuf;		/* default _stream_meta.source */
	char	   *processor_name;
	const char *source_type;
	uint8_t    *suffix;			/* _ts + _stream_meta elements for the default source meta */
	uint32_t	suffix_len;
	uint32_t	suffix_date_off;	/* where the 8 date bytes go in the suffix */
	uint32_t	suffix_meta_off;	/* where the _stream_meta document starts in the suffix */
	uint8_t    *docbuf;			/* the rebuilt source document */
	size_t		docbuf_cap;
	asp_field_plan_vals plan_vals;	/* the field plan's values of the current source document */
	const uint8_t *lazy_doc;	/* the source document pushed unbuilt (pipeline source_lazy) */
	uint32_t	lazy_len;
	int64_t		lazy_time;		/* its event time */
	int64_t		now_ms;
	asp_exec_stats st;
};

static const char *
source_type_name(asp_source_kind k)
{
	switch (k)
	{
		case ASP_SOURCE_DOCUMENTS:
			return "documents";
		case ASP_SOURCE_SAMPLE:
			return "generated";
		case ASP_SOURCE_KAFKA:
			return "kafka";
		case ASP_SOURCE_MONGODB:
			return "atlas";
	}
	return "unknown";
}

static asp_exec *
exec_alloc(asp_output_fn out, void *ud)
{
	asp_exec   *x = calloc(1, sizeof(asp_exec));

	if (x == NULL)
		abort();
	x->out = out;
	x->ud = ud;
	x->arena = asp_arena_new(64 * 1024);
	asp_error_init(&x->doc_err);
	asp_error_init(&x->fatal);
	asp_eval_ctx_init(&x->ctx, x->arena, &x->doc_err);
	x->srcbuf = bson_new();
	x->dlqbuf = bson_new();
	x->metabuf = bson_new();
	x->st.watermark = INT64_MIN;
	x->source_type = "documents";
	return x;
}

/* asp_exec_new: an executor for a compiled pipeline */
asp_exec *
asp_exec_new(asp_pipeline *p, asp_output_fn out, void *ud)
{
	asp_exec   *x = exec_alloc(out, ud);

	x->p = p;
	x->first = p->first;
	x->source_type = source_type_name(p->source_kind);
	BSON_APPEND_UTF8(x->metabuf, "type", x->source_type);
	{
		/* the elements every default-meta source document ends with */
		bson_t		sfx = BSON_INITIALIZER;
		bson_t		meta;

		bson_append_date_time(&sfx, p->ts_field, -1, 0);
		BSON_APPEND_DOCUMENT_BEGIN(&sfx, "_stream_meta", &meta);
		BSON_APPEND_DOCUMENT(&meta, "source", x->metabuf);
		bson_append_document_end(&sfx, &meta);
		x->suffix_len = sfx.len - 5;
		x->suffix = malloc(x->suffix_len);
		memcpy(x->suffix, bson_get_data(&sfx) + 4, x->suffix_len);
		x->suffix_date_off = 1 + (uint32_t) strlen(p->ts_field) + 1;
		x->suffix_meta_off = x->suffix_date_off + 8 + 1 + 13;
		bson_destroy(&sfx);
	}
	return x;
}

/* asp_exec_new_chain: an executor over a bare chain of stages */
asp_exec *
asp_exec_new_chain(asp_stage *first, asp_output_fn out, void *ud)
{
	asp_exec   *x = exec_alloc(out, ud);

	x->first = first;
	BSON_APPEND_UTF8(x->metabuf, "type", x->source_type);
	return x;
}

/* asp_exec_free: free the executor (not the pipeline) */
void
asp_exec_free(asp_exec *x)
{
	if (x == NULL)
		return;
	asp_arena_free(x->arena);
	bson_destroy(x->srcbuf);
	bson_destroy(x->dlqbuf);
	bson_destroy(x->metabuf);
	free(x->suffix);
	free(x->docbuf);
	free(x->processor_name);
	free(x);
}

/* asp_exec_ctx: the evaluation context of the current document */
asp_eval_ctx *
asp_exec_ctx(asp_exec *x)
{
	return &x->ctx;
}

/* asp_exec_reset_arena: drop per-document temporaries */
void
asp_exec_reset_arena(asp_exec *x)
{
	asp_arena_reset(x->arena);
}

/* asp_exec_source_type: "generated", "kafka", ... */
const char *
asp_exec_source_type(const asp_exec *x)
{
	return x->source_type;
}

/* asp_exec_error: the fatal error after a call returned false */
const asp_error *
asp_exec_error(const asp_exec *x)
{
	return &x->fatal;
}

/* asp_exec_set_now: the processing-time clock */
void
asp_exec_set_now(asp_exec *x, int64_t now_ms)
{
	x->now_ms = now_ms;
	x->ctx.now_ms = now_ms;
}

/* asp_exec_set_processor_name: name recorded in DLQ documents */
void
asp_exec_set_processor_name(asp_exec *x, const char *name)
{
	free(x->processor_name);
	x->processor_name = name ? strdup(name) : NULL;
}

/* asp_exec_get_stats: counters, watermark and state size */
void
asp_exec_get_stats(const asp_exec *x, asp_exec_stats *st)
{
	*st = x->st;
	if (x->p && x->p->window)
	{
		st->watermark = asp_window_watermark(x->p->window);
		st->state_bytes = asp_window_state_bytes(x->p->window);
	}
}

static inline const uint8_t *exec_unlazy(asp_exec *x, const uint8_t *doc, uint32_t *len);

/* asp_stage_emit: push a document to the next stage, or out of the pipeline */
bool
asp_stage_emit(asp_stage *s, asp_exec *x, const uint8_t *doc, uint32_t len)
{
	doc = exec_unlazy(x, doc, &len);
	s->out_docs++;
	x->ctx.doc_gen++;
	if (s->next)
	{
		s->next->in_docs++;
		return s->next->ops->push(s->next, x, doc, len);
	}
	x->st.output_count++;
	x->st.output_bytes += len;
	x->out(x->ud, ASP_OUTPUT_DOC, doc, len);
	return true;
}

/*
 * asp_exec_dlq: build the DLQ document for doc failing at stage s (NULL:
 * at $source) and hand it to the output callback.
 */
static void
exec_dlq(asp_exec *x, const char *operator_name, const uint8_t *doc, uint32_t len,
		 const char *reason)
{
	bson_t	   *b = x->dlqbuf;
	bson_t		meta,
				errinfo;
	bson_value_t sm;
	bool		have_window = false;

	bson_reinit(b);
	BSON_APPEND_DOCUMENT_BEGIN(b, "_stream_meta", &meta);
	if (doc && asp_doc_get(doc, len, "_stream_meta", 12, &sm) &&
		sm.value_type == BSON_TYPE_DOCUMENT)
	{
		bson_iter_t it;

		if (bson_iter_init_from_data(&it, sm.value.v_doc.data, sm.value.v_doc.data_len))
			while (bson_iter_next(&it))
			{
				if (strcmp(bson_iter_key(&it), "window") == 0)
					have_window = true;
				bson_append_iter(&meta, NULL, 0, &it);
			}
	}
	else
		BSON_APPEND_DOCUMENT(&meta, "source", x->metabuf);
	if (x->ctx.in_window && !have_window)
	{
		bson_t		win;

		BSON_APPEND_DOCUMENT_BEGIN(&meta, "window", &win);
		BSON_APPEND_DATE_TIME(&win, "start", x->ctx.window_start);
		BSON_APPEND_DATE_TIME(&win, "end", x->ctx.window_end);
		bson_append_document_end(&meta, &win);
	}
	bson_append_document_end(b, &meta);
	BSON_APPEND_DOCUMENT_BEGIN(b, "errInfo", &errinfo);
	BSON_APPEND_UTF8(&errinfo, "reason", reason);
	bson_append_document_end(b, &errinfo);
	BSON_APPEND_UTF8(b, "operatorName", operator_name);
	if (doc)
	{
		bson_t		d;

		if (bson_init_static(&d, doc, len))
			BSON_APPEND_DOCUMENT(b, "doc", &d);
	}
	if (x->processor_name)
		BSON_APPEND_UTF8(b, "processorName", x->processor_name);
	x->st.dlq_count++;
	x->st.dlq_bytes += b->len;
	x->out(x->ud, ASP_OUTPUT_DLQ, bson_get_data(b), b->len);
}

/* asp_exec_dlq: send doc to the DLQ as a failure of stage s */
void
asp_exec_dlq(asp_exec *x, const asp_stage *s, const uint8_t *doc, uint32_t len,
			 const char *reason)
{
	doc = exec_unlazy(x, doc, &len);
	exec_dlq(x, s ? s->name : "$source", doc, len, reason);
}

/* asp_exec_push_doc: push one document into the first stage */
bool
asp_exec_push_doc(asp_exec *x, const uint8_t *doc, uint32_t len)
{
	asp_arena_reset(x->arena);
	x->ctx.doc_gen++;
	x->st.input_count++;
	x->st.input_bytes += len;
	if (x->first == NULL)
	{
		x->st.output_count++;
		x->st.output_bytes += len;
		x->out(x->ud, ASP_OUTPUT_DOC, doc, len);
		return true;
	}
	x->first->in_docs++;
	if (!x->first->ops->push(x->first, x, doc, len))
	{
		if (x->fatal.code == ASP_OK)
			x->fatal = x->doc_err;
		return false;
	}
	return true;
}

/*
 * build_default: the source document with the prebuilt suffix (timestamp
 * field and the default _stream_meta) into x->docbuf.  The caller checked
 * the size.
 */
static const uint8_t *
build_default(asp_exec *x, const uint8_t *doc, uint32_t len, int64_t event_time_ms,
			  uint32_t *out_len)
{
	size_t		body = len - 5;
	size_t		total = 4 + body + x->suffix_len + 1;
	uint8_t    *d;
	uint32_t	tot32 = BSON_UINT32_TO_LE((uint32_t) total);
	uint64_t	t64 = BSON_UINT64_TO_LE((uint64_t) event_time_ms);

	if (total > x->docbuf_cap)
	{
		x->docbuf_cap = total * 2 > 4096 ? total * 2 : 4096;
		x->docbuf = realloc(x->docbuf, x->docbuf_cap);
		if (x->docbuf == NULL)
			abort();
	}
	d = x->docbuf;
	memcpy(d, &tot32, 4);
	memcpy(d + 4, doc + 4, body);
	memcpy(d + 4 + body, x->suffix, x->suffix_len);
	memcpy(d + 4 + body + x->suffix_date_off, &t64, 8);
	d[total - 1] = 0;
	*out_len = (uint32_t) total;
	return d;
}

/* exec_unlazy: the built document if doc is the source document pushed unbuilt */
static inline const uint8_t *
exec_unlazy(asp_exec *x, const uint8_t *doc, uint32_t *len)
{
	if (x->lazy_doc != NULL && doc == x->lazy_doc && *len == x->lazy_len)
		return build_default(x, doc, *len, x->lazy_time, len);
	return doc;
}

/*
 * asp_exec_push_source: one source document: event time, the timestamp
 * field and _stream_meta, then the stages.
 */
bool
asp_exec_push_source(asp_exec *x, const uint8_t *doc, uint32_t len,
					 int64_t event_time_ms, const bson_t *source_meta)
{
	asp_pipeline *p = x->p;
	bson_t	   *b = x->srcbuf;
	bson_iter_t it;
	bool		conflict = false;
	size_t		tslen;
	uint32_t	meta_off;
	bson_t		meta;
	const uint8_t *out_doc;
	uint32_t	out_len;
	uint32_t	dlen;
	bool		ok;

	asp_arena_reset(x->arena);
	x->st.input_count++;
	x->st.input_bytes += len;
	if (source_meta == NULL)
		source_meta = x->metabuf;

	if (len > ASP_MAX_BSON_SIZE)
	{
		char		reason[128];

		snprintf(reason, sizeof(reason),
				 "document of %u bytes exceeds the maximum document size of %d bytes",
				 len, ASP_MAX_BSON_SIZE);
		exec_dlq(x, "$source", NULL, 0, reason);
		return true;
	}
	x->ctx.doc_gen++;
	if (len >= 5)
	{
		memcpy(&dlen, doc, 4);
		dlen = BSON_UINT32_FROM_LE(dlen);
	}
	/* one walk: validity, the fields we append, the field plan's values */
	if (len < 5 || dlen != len || doc[len - 1] != 0 ||
		!asp_field_plan_fill(&p->plan, doc, len, &conflict, &x->plan_vals))
	{
		exec_dlq(x, "$source", NULL, 0, "the source message is not a valid BSON document");
		return true;
	}
	x->ctx.plan_doc = doc;
	x->ctx.plan_len = len;
	x->ctx.plan_gen = x->ctx.doc_gen;
	x->ctx.plan_vals = &x->plan_vals;

	if (p->time_field)
	{
		bson_value_t tv;

		asp_eval_ctx_set_root(&x->ctx, doc, len);
		if (!asp_expr_eval(p->time_field, &x->ctx, &tv))
		{
			char		reason[ASP_ERROR_MSG_LEN + 64];

			snprintf(reason, sizeof(reason), "timeField: %s", x->doc_err.message);
			exec_dlq(x, "$source", doc, len, reason);
			return true;
		}
		if (tv.value_type != BSON_TYPE_DATE_TIME)
		{
			char		reason[160];

			snprintf(reason, sizeof(reason),
					 "timeField must evaluate to a date, but it evaluated to %s",
					 asp_type_name(tv.value_type));
			exec_dlq(x, "$source", doc, len, reason);
			return true;
		}
		event_time_ms = tv.value.v_datetime;
	}

	if (!conflict && source_meta == x->metabuf)
	{
		/* fast path: body of the input, then the prebuilt suffix */
		if ((size_t) len - 5 + 4 + x->suffix_len + 1 > ASP_MAX_BSON_SIZE)
		{
			exec_dlq(x, "$source", NULL, 0,
					 "document exceeds the maximum document size once _ts and _stream_meta are added");
			return true;
		}
		x->ctx.stream_meta = x->suffix + x->suffix_meta_off;
		x->ctx.stream_meta_len = x->suffix_len - x->suffix_meta_off;
		x->ctx.event_time = event_time_ms;
		if (p->source_lazy && x->first != NULL)
		{
			/*
			 * The first stage reads the document only through the field
			 * plan: push the input as it is (same generation, so the plan's
			 * values stay valid); it is built if a stage dead-letters it.
			 */
			x->lazy_doc = doc;
			x->lazy_len = len;
			x->lazy_time = event_time_ms;
			x->first->in_docs++;
			ok = x->first->ops->push(x->first, x, doc, len);
			x->lazy_doc = NULL;
			if (!ok)
			{
				if (x->fatal.code == ASP_OK)
					x->fatal = x->doc_err;
				return false;
			}
			return true;
		}
		out_doc = build_default(x, doc, len, event_time_ms, &out_len);
		x->ctx.stream_meta = out_doc + out_len - 1 - x->ctx.stream_meta_len;
	}
	else
	{
		tslen = strlen(p->ts_field);
		bson_reinit(b);
		if (!conflict)
		{
			bson_t		src;

			bson_init_static(&src, doc, len);
			bson_concat(b, &src);
		}
		else
		{
			bson_iter_init_from_data(&it, doc, len);
			while (bson_iter_next(&it))
			{
				uint32_t	klen = bson_iter_key_len(&it);
				const char *k = bson_iter_key(&it);

				if ((klen == tslen && memcmp(k, p->ts_field, tslen) == 0) ||
					(klen == 12 && memcmp(k, "_stream_meta", 12) == 0))
					continue;
				bson_append_iter(b, NULL, 0, &it);
			}
		}
		bson_append_date_time(b, p->ts_field, (int) tslen, event_time_ms);
		meta_off = b->len - 1;
		BSON_APPEND_DOCUMENT_BEGIN(b, "_stream_meta", &meta);
		BSON_APPEND_DOCUMENT(&meta, "source", source_meta);
		bson_append_document_end(b, &meta);
		if (b->len > ASP_MAX_BSON_SIZE)
		{
			exec_dlq(x, "$source", NULL, 0,
					 "document exceeds the maximum document size once _ts and _stream_meta are added");
			return true;
		}
		/* the _stream_meta value: after type byte and "_stream_meta\0" */
		x->ctx.stream_meta = bson_get_data(b) + meta_off + 1 + 13;
		{
			uint32_t	mlen;

			memcpy(&mlen, x->ctx.stream_meta, 4);
			x->ctx.stream_meta_len = BSON_UINT32_FROM_LE(mlen);
		}
		out_doc = bson_get_data(b);
		out_len = b->len;
	}
	x->ctx.event_time = event_time_ms;
	/*
	 * The built document has the input's fields (less a timestamp field or
	 * _stream_meta it had) and then those two: the planned paths, which
	 * never start with either, read the same values in it.
	 */
	x->ctx.doc_gen++;
	x->ctx.plan_doc = out_doc;
	x->ctx.plan_len = out_len;
	x->ctx.plan_gen = x->ctx.doc_gen;

	if (x->first == NULL)
	{
		x->st.output_count++;
		x->st.output_bytes += out_len;
		x->out(x->ud, ASP_OUTPUT_DOC, out_doc, out_len);
		return true;
	}
	x->first->in_docs++;
	if (!x->first->ops->push(x->first, x, out_doc, out_len))
	{
		if (x->fatal.code == ASP_OK)
			x->fatal = x->doc_err;
		return false;
	}
	return true;
}

/* asp_exec_push_source_documents: every document of $source.documents */
bool
asp_exec_push_source_documents(asp_exec *x)
{
	bson_iter_t it;

	if (x->p->source_kind != ASP_SOURCE_DOCUMENTS)
		return true;
	if (!bson_iter_init_from_data(&it, x->p->documents.value.v_doc.data,
								  x->p->documents.value.v_doc.data_len))
		return true;
	while (bson_iter_next(&it))
	{
		const bson_value_t *v = bson_iter_value(&it);

		if (!asp_exec_push_source(x, v->value.v_doc.data, v->value.v_doc.data_len,
								  x->now_ms, NULL))
			return false;
	}
	return true;
}

/* asp_exec_finish: end of a finite source: flush every stage (windows close) */
bool
asp_exec_finish(asp_exec *x)
{
	asp_arena_reset(x->arena);
	if (x->first && !asp_stage_flush(x->first, x))
	{
		if (x->fatal.code == ASP_OK)
			x->fatal = x->doc_err;
		return false;
	}
	return true;
}

/* asp_exec_tick: time passed: idle timeouts and processing-time windows */
bool
asp_exec_tick(asp_exec *x, int64_t now_ms)
{
	asp_exec_set_now(x, now_ms);
	if (x->p && x->p->window)
	{
		asp_arena_reset(x->arena);
		if (!asp_window_tick(x->p->window, x, now_ms))
		{
			if (x->fatal.code == ASP_OK)
				x->fatal = x->doc_err;
			return false;
		}
	}
	return true;
}

/* checkpoint format version */
#define EXEC_CKPT_VERSION 1

/* asp_exec_checkpoint: {v, stats: {...}, window: {...}} appended to out */
bool
asp_exec_checkpoint(asp_exec *x, bson_t *out, asp_error *err)
{
	bson_t		st;

	BSON_APPEND_INT32(out, "v", EXEC_CKPT_VERSION);
	BSON_APPEND_DOCUMENT_BEGIN(out, "stats", &st);
	BSON_APPEND_INT64(&st, "inputCount", (int64_t) x->st.input_count);
	BSON_APPEND_INT64(&st, "inputBytes", (int64_t) x->st.input_bytes);
	BSON_APPEND_INT64(&st, "outputCount", (int64_t) x->st.output_count);
	BSON_APPEND_INT64(&st, "outputBytes", (int64_t) x->st.output_bytes);
	BSON_APPEND_INT64(&st, "dlqCount", (int64_t) x->st.dlq_count);
	BSON_APPEND_INT64(&st, "dlqBytes", (int64_t) x->st.dlq_bytes);
	bson_append_document_end(out, &st);
	if (x->p && x->p->window)
		return asp_window_serialize(x->p->window, out, "window", err);
	return true;
}

/* ckpt_stat: one counter of the checkpoint's stats document (0 if absent) */
static uint64_t
ckpt_stat(const bson_value_t *st, const char *key)
{
	bson_value_t v;

	if (st->value_type == BSON_TYPE_DOCUMENT &&
		asp_doc_get(st->value.v_doc.data, st->value.v_doc.data_len, key,
					(uint32_t) strlen(key), &v) &&
		v.value_type == BSON_TYPE_INT64 && v.value.v_int64 >= 0)
		return (uint64_t) v.value.v_int64;
	return 0;
}

/* asp_exec_restore: load a checkpoint into a fresh executor of the same pipeline */
bool
asp_exec_restore(asp_exec *x, const uint8_t *ckpt, uint32_t len, asp_error *err)
{
	bson_t		b;
	bson_value_t v,
				st;
	bool		have_window;

	if (!bson_init_static(&b, ckpt, len) || !bson_validate(&b, BSON_VALIDATE_NONE, NULL))
	{
		asp_error_set(err, ASP_ERR_INVALID, "invalid checkpoint: not a BSON document");
		return false;
	}
	if (!asp_doc_get(ckpt, len, "v", 1, &v) || v.value_type != BSON_TYPE_INT32 ||
		v.value.v_int32 != EXEC_CKPT_VERSION)
	{
		asp_error_set(err, ASP_ERR_INVALID, "invalid checkpoint: unknown version");
		return false;
	}
	have_window = asp_doc_get(ckpt, len, "window", 6, &v);
	if (have_window != (x->p != NULL && x->p->window != NULL))
	{
		asp_error_set(err, ASP_ERR_INVALID,
					  "invalid checkpoint: it was taken with another pipeline");
		return false;
	}
	if (have_window && !asp_window_restore(x->p->window, &v, err))
		return false;
	if (asp_doc_get(ckpt, len, "stats", 5, &st))
	{
		x->st.input_count = ckpt_stat(&st, "inputCount");
		x->st.input_bytes = ckpt_stat(&st, "inputBytes");
		x->st.output_count = ckpt_stat(&st, "outputCount");
		x->st.output_bytes = ckpt_stat(&st, "outputBytes");
		x->st.dlq_count = ckpt_stat(&st, "dlqCount");
		x->st.dlq_bytes = ckpt_stat(&st, "dlqBytes");
	}
	return true;
}

/* asp_exec_set_state_store: where the window keeps its state between batches */
void
asp_exec_set_state_store(asp_exec *x, const asp_state_store *store)
{
	if (x->p && x->p->window)
		asp_window_set_store(x->p->window, store);
}

/* asp_exec_end_batch: the end of a batch: window state into the store */
bool
asp_exec_end_batch(asp_exec *x)
{
	if (x->p == NULL || x->p->window == NULL)
		return true;
	asp_arena_reset(x->arena);
	if (!asp_window_end_batch(x->p->window, x))
	{
		if (x->fatal.code == ASP_OK)
			x->fatal = x->doc_err;
		return false;
	}
	return true;
}
