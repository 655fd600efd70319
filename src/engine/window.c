/*-------------------------------------------------------------------------
 *
 * window.c
 *	  $tumblingWindow and $hoppingWindow: event-time windows with a
 *	  watermark, allowed lateness, idle timeout and an inner pipeline.
 *
 * The inner pipeline is split at its first blocking stage B ($group,
 * $sort, $limit, $count; a plain buffer when there is none):
 *
 *	 pre-stages (stateless) -> B's per-window state     ... on arrival
 *	 B's results -> post-stages -> window output         ... on close
 *
 * Each open window holds one state of B.  The watermark is the highest
 * event time seen; a window [start, end) closes once the watermark reaches
 * end + allowedLateness, and emits its results with
 * _stream_meta.window {start, end}.  A document all of whose windows have
 * closed is late and goes to the dead letter queue.  When a finite source
 * ends, every open window closes.  Windows with no documents never exist,
 * so empty windows emit nothing.
 *
 * With a state store (state_store.h, set by a processor's worker) a
 * window's state of B lives in the store between batches: the local state
 * holds the current batch's part only (loaded from the store where B needs
 * it), asp_window_end_batch writes it back, and a closing window (or a
 * checkpoint) rebuilds the whole state from the store.
 *
 *-------------------------------------------------------------------------
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "datetime.h"
#include "docbuf.h"
#include "exec.h"
#include "pipeline.h"
#include "state_store.h"


typedef struct window_data window_data;

typedef struct win_instance
{
	int64_t		start;
	int64_t		end;
	void	   *state;			/* state of the first blocking stage; with a
								 * store: this batch's part, or NULL */
	struct win_instance *next;	/* sorted by start */
	/* with a state store (state_store.h) */
	window_data *w;
	bool		stored;			/* the store has entries of this window */
	uint64_t	next_seq;		/* next first-seen rank (groups) or batch rank */
} win_instance;

struct window_data
{
	bool		hopping;
	int64_t		size;
	int64_t		hop;
	int64_t		offset;
	int64_t		lateness;
	int64_t		idle_timeout;	/* -1: none */
	bool		processing_time;

	asp_stage  *pre;			/* first pre-stage, or NULL */
	asp_stage  *block;			/* first blocking stage (or the buffer) */
	asp_stage  *assign;			/* end of the pre-stages: adds to the window state */
	asp_stage  *out;			/* end of the post-stages: adds _stream_meta.window */
	asp_stage **inner;			/* every inner stage, for freeing */
	int			ninner;

	win_instance *open;
	int			nopen;
	bool		have_wm;
	int64_t		watermark;
	bool		have_input;
	int64_t		last_input_ms;	/* processing time of the last input */
	win_instance *cur;			/* target window while pre-stages run */
	win_instance *last;			/* tumbling: the window of the last document, NULL: none */
	asp_stage  *self;
	win_instance **targets;		/* the windows of one document (max_targets) */
	int			max_targets;	/* ceil(size / hop) */

	/* the state store, or NULL: every state in memory (state_store.h) */
	const asp_state_store *store;
	asp_block_store_mode store_mode;
	bson_t	   *blob;			/* scratch: an entry being written */
};

/*
 * Event times the window arithmetic accepts: +-2^61 ms (+-73 million
 * years).  Durations and offsets are bounded far below that at compile
 * time, so no window bound computation can overflow.
 */
#define WINDOW_MAX_TIME (INT64_C(1) << 61)

static inline int64_t
floor_div(int64_t a, int64_t b)
{
	int64_t		q = a / b;

	if ((a % b != 0) && ((a < 0) != (b < 0)))
		q--;
	return q;
}

/* ---------- the buffer: a window pipeline without a blocking stage ---------- */

static void *
buffer_new(asp_stage *s)
{
	(void) s;
	return calloc(1, sizeof(asp_docbuf));
}

static bool
buffer_add(asp_stage *s, void *state, asp_exec *x, const uint8_t *doc, uint32_t len)
{
	(void) s;
	(void) x;
	asp_docbuf_append(state, doc, len);
	return true;
}

static bool
buffer_emit(asp_stage *s, void *state, asp_exec *x)
{
	return asp_docbuf_emit(state, NULL, s, x);
}

static void
buffer_free(asp_stage *s, void *state)
{
	(void) s;
	asp_docbuf_free(state);
	free(state);
}

static size_t
buffer_bytes(asp_stage *s, void *state)
{
	(void) s;
	return sizeof(asp_docbuf) + asp_docbuf_bytes(state);
}

static const asp_block_ops buffer_bops = {
	buffer_new, buffer_add, buffer_emit, buffer_free, buffer_bytes, NULL
};

static const asp_stage_ops buffer_ops = {
	asp_block_push, asp_block_flush, NULL, asp_block_reset
};

/* ---------- the assign and out stages ---------- */

static bool
assign_push(asp_stage *s, asp_exec *x, const uint8_t *doc, uint32_t len)
{
	window_data *w = s->data;

	return w->block->bops->state_add(w->block, w->cur->state, x, doc, len);
}

static const asp_stage_ops assign_ops = {assign_push, NULL, NULL, NULL};

/*
 * out_push: a window result leaves the window: set _stream_meta.window
 * (keeping the other _stream_meta fields, or source {type} for results
 * such as $group outputs that have none).
 */
static bool
out_push(asp_stage *s, asp_exec *x, const uint8_t *doc, uint32_t len)
{
	window_data *w = s->data;
	asp_eval_ctx *ctx = asp_exec_ctx(x);
	bson_t	   *b = s->out;
	bson_iter_t it;
	bson_t		meta,
				win;
	bool		have_meta = false;

	bson_reinit(b);
	if (bson_iter_init_from_data(&it, doc, len))
	{
		while (bson_iter_next(&it))
		{
			if (strcmp(bson_iter_key(&it), "_stream_meta") == 0 && BSON_ITER_HOLDS_DOCUMENT(&it))
			{
				bson_iter_t mit;

				have_meta = true;
				BSON_APPEND_DOCUMENT_BEGIN(b, "_stream_meta", &meta);
				bson_iter_recurse(&it, &mit);
				while (bson_iter_next(&mit))
					if (strcmp(bson_iter_key(&mit), "window") != 0)
						bson_append_iter(&meta, NULL, 0, &mit);
				BSON_APPEND_DOCUMENT_BEGIN(&meta, "window", &win);
				BSON_APPEND_DATE_TIME(&win, "start", ctx->window_start);
				BSON_APPEND_DATE_TIME(&win, "end", ctx->window_end);
				bson_append_document_end(&meta, &win);
				bson_append_document_end(b, &meta);
			}
			else
				bson_append_iter(b, NULL, 0, &it);
		}
	}
	if (!have_meta)
	{
		bson_t		src;

		BSON_APPEND_DOCUMENT_BEGIN(b, "_stream_meta", &meta);
		BSON_APPEND_DOCUMENT_BEGIN(&meta, "source", &src);
		BSON_APPEND_UTF8(&src, "type", asp_exec_source_type(x));
		bson_append_document_end(&meta, &src);
		BSON_APPEND_DOCUMENT_BEGIN(&meta, "window", &win);
		BSON_APPEND_DATE_TIME(&win, "start", ctx->window_start);
		BSON_APPEND_DATE_TIME(&win, "end", ctx->window_end);
		bson_append_document_end(&meta, &win);
		bson_append_document_end(b, &meta);
	}
	if (b->len > ASP_MAX_BSON_SIZE)
	{
		char		reason[160];

		snprintf(reason, sizeof(reason),
				 "the window result is %u bytes with _stream_meta, over the maximum document size of %d bytes",
				 b->len, ASP_MAX_BSON_SIZE);
		asp_exec_dlq(x, w->self, NULL, 0, reason);
		return true;
	}
	return asp_stage_emit(w->self, x, bson_get_data(b), b->len);
}

static const asp_stage_ops out_ops = {out_push, NULL, NULL, NULL};

/* ---------- the state store (state_store.h) ---------- */

/* one entry read back from the store: its rank and value (a copy) */
typedef struct stored_part
{
	uint64_t	seq;
	uint8_t    *val;			/* a BSON document */
	uint32_t	len;
} stored_part;

typedef struct stored_parts
{
	window_data *w;
	stored_part *p;
	size_t		n;
	size_t		cap;
} stored_parts;

/* window_blob_value: field key of a stored BSON value (false if absent) */
static bool
window_blob_value(const uint8_t *val, uint32_t len, const char *key, bson_value_t *out)
{
	return asp_doc_get(val, len, key, (uint32_t) strlen(key), out);
}

/* window_store_error: a store entry that does not read back */
static bool
window_store_error(asp_error *err)
{
	return asp_error_set(err, ASP_ERR_INTERNAL, "window state store: an entry is corrupted");
}

/*
 * window_group_load: the loader of a $group state of window n (see
 * asp_group_set_loader): the group's entry in the store, if any.
 */
static int
window_group_load(void *arg, const bson_value_t *key, uint64_t hash, bson_value_t *stored_key,
				  bson_value_t *accs, uint64_t *seq, asp_error *err)
{
	win_instance *n = arg;
	const asp_state_store *st = n->w->store;
	const uint8_t *val;
	uint32_t	len;
	bson_value_t g;
	bson_iter_t it;

	if (!st->get(st->ud, n->start, hash, &val, &len))
		return 0;
	if (!window_blob_value(val, len, "g", &g) || g.value_type != BSON_TYPE_ARRAY ||
		!bson_iter_init_from_data(&it, g.value.v_doc.data, g.value.v_doc.data_len))
	{
		window_store_error(err);
		return -1;
	}
	while (bson_iter_next(&it))
	{
		const bson_value_t *e = bson_iter_value(&it);
		bson_value_t k,
					s;

		if (e->value_type != BSON_TYPE_DOCUMENT ||
			!asp_doc_get(e->value.v_doc.data, e->value.v_doc.data_len, "k", 1, &k) ||
			!asp_doc_get(e->value.v_doc.data, e->value.v_doc.data_len, "s", 1, &s) ||
			s.value_type != BSON_TYPE_INT64 ||
			!asp_doc_get(e->value.v_doc.data, e->value.v_doc.data_len, "a", 1, accs))
		{
			window_store_error(err);
			return -1;
		}
		if (asp_value_compare(&k, key) == 0)
		{
			*stored_key = k;
			*seq = (uint64_t) s.value.v_int64;
			return 1;
		}
	}
	return 0;
}

/*
 * window_local_state: a new local state for window n, which has none in
 * this batch: for $limit and $count (ASP_STORE_WHOLE) loaded from the
 * store, for $group given the loader of its stored groups.
 */
static bool
window_local_state(window_data *w, win_instance *n, asp_error *err)
{
	n->state = w->block->bops->state_new(w->block);
	if (w->store == NULL || !n->stored)
		return true;
	if (w->store_mode == ASP_STORE_GROUPS)
		asp_group_set_loader(w->block, n->state, window_group_load, n);
	else if (w->store_mode == ASP_STORE_WHOLE)
	{
		const uint8_t *val;
		uint32_t	len;
		bson_value_t v;

		if (w->store->get(w->store->ud, n->start, 0, &val, &len) &&
			(!window_blob_value(val, len, "v", &v) ||
			 !asp_block_state_restore(w->block, n->state, &v, err)))
		{
			if (err->code == ASP_OK)
				window_store_error(err);
			return false;
		}
	}
	return true;
}

/* window_put: write w->blob under (n->start, key) */
static bool
window_put(window_data *w, win_instance *n, uint64_t key, asp_error *err)
{
	if (!w->store->put(w->store->ud, n->start, key, bson_get_data(w->blob), w->blob->len, err))
		return false;
	n->stored = true;
	return true;
}

/*
 * window_export_group: one group of a batch into the store: its entry
 * (the groups of its hash) rewritten with this group's new states.
 */
static bool
window_export_group(void *arg, const bson_value_t *key, uint64_t hash, uint64_t seq,
					const bson_t *accs, asp_error *err)
{
	win_instance *n = arg;
	window_data *w = n->w;
	const uint8_t *val;
	uint32_t	len;
	bson_t		arr,
				e;
	uint32_t	i = 0;
	char		ibuf[24];
	const char *ik;

	if (seq == ASP_GROUP_SEQ_NONE)
		seq = n->next_seq++;
	bson_reinit(w->blob);
	bson_append_array_begin(w->blob, "g", 1, &arr);
	if (n->stored && w->store->get(w->store->ud, n->start, hash, &val, &len))
	{
		/* other groups of the same hash (a collision) stay */
		bson_value_t g;
		bson_iter_t it;

		if (!window_blob_value(val, len, "g", &g) || g.value_type != BSON_TYPE_ARRAY ||
			!bson_iter_init_from_data(&it, g.value.v_doc.data, g.value.v_doc.data_len))
			return window_store_error(err);
		while (bson_iter_next(&it))
		{
			const bson_value_t *ev = bson_iter_value(&it);
			bson_value_t k;
			bson_t		ed;

			if (ev->value_type != BSON_TYPE_DOCUMENT ||
				!asp_doc_get(ev->value.v_doc.data, ev->value.v_doc.data_len, "k", 1, &k))
				return window_store_error(err);
			if (asp_value_compare(&k, key) == 0)
				continue;
			bson_uint32_to_string(i++, &ik, ibuf, sizeof(ibuf));
			if (bson_init_static(&ed, ev->value.v_doc.data, ev->value.v_doc.data_len))
				bson_append_document(&arr, ik, -1, &ed);
		}
	}
	bson_uint32_to_string(i, &ik, ibuf, sizeof(ibuf));
	bson_append_document_begin(&arr, ik, -1, &e);
	asp_bson_append_value(&e, "k", 1, key);
	BSON_APPEND_INT64(&e, "s", (int64_t) seq);
	BSON_APPEND_DOCUMENT(&e, "a", accs);
	bson_append_document_end(&arr, &e);
	bson_append_array_end(w->blob, &arr);
	return window_put(w, n, hash, err);
}

/*
 * window_flush_instance: write what this batch changed in window n into
 * the store and drop the local state (see state_store.h).
 */
static bool
window_flush_instance(window_data *w, win_instance *n, asp_error *err)
{
	bool		ok = true;

	if (n->state == NULL)
		return true;
	if (w->store_mode == ASP_STORE_GROUPS)
		ok = asp_group_export(w->block, n->state, window_export_group, n, err);
	else if (w->store_mode == ASP_STORE_APPEND)
	{
		if (((asp_docbuf *) n->state)->n > 0)
		{
			bson_reinit(w->blob);
			BSON_APPEND_INT64(w->blob, "s", (int64_t) n->next_seq);
			asp_docbuf_serialize(n->state, w->blob, "v");
			ok = window_put(w, n, n->next_seq, err);
			n->next_seq++;
		}
	}
	else
	{
		bson_reinit(w->blob);
		ok = asp_block_state_serialize(w->block, n->state, w->blob, "v", err) &&
			window_put(w, n, 0, err);
	}
	w->block->bops->state_free(w->block, n->state);
	n->state = NULL;
	return ok;
}

/* window_collect_part: append a copy of one part */
static void
window_collect_part(stored_parts *ps, uint64_t seq, const uint8_t *val, uint32_t len)
{
	if (ps->n == ps->cap)
	{
		ps->cap = ps->cap ? ps->cap * 2 : 16;
		ps->p = realloc(ps->p, ps->cap * sizeof(stored_part));
		if (ps->p == NULL)
			abort();
	}
	ps->p[ps->n].seq = seq;
	ps->p[ps->n].val = malloc(len);
	if (ps->p[ps->n].val == NULL)
		abort();
	memcpy(ps->p[ps->n].val, val, len);
	ps->p[ps->n].len = len;
	ps->n++;
}

/* window_collect: a scan callback: keep a copy of each entry (each group) */
static void
window_collect(void *arg, uint64_t key, const uint8_t *val, uint32_t len)
{
	stored_parts *ps = arg;
	bson_value_t g;
	bson_iter_t it;

	(void) key;
	if (ps->w->store_mode == ASP_STORE_GROUPS)
	{
		/* one part per group: {k, s, a} */
		if (!window_blob_value(val, len, "g", &g) || g.value_type != BSON_TYPE_ARRAY ||
			!bson_iter_init_from_data(&it, g.value.v_doc.data, g.value.v_doc.data_len))
			return;
		while (bson_iter_next(&it))
		{
			const bson_value_t *e = bson_iter_value(&it);
			bson_value_t s;

			if (e->value_type != BSON_TYPE_DOCUMENT ||
				!asp_doc_get(e->value.v_doc.data, e->value.v_doc.data_len, "s", 1, &s) ||
				s.value_type != BSON_TYPE_INT64)
				continue;
			window_collect_part(ps, (uint64_t) s.value.v_int64, e->value.v_doc.data,
								e->value.v_doc.data_len);
		}
		return;
	}
	if (window_blob_value(val, len, "s", &g) && g.value_type == BSON_TYPE_INT64)
		window_collect_part(ps, (uint64_t) g.value.v_int64, val, len);
	else
		window_collect_part(ps, 0, val, len);
}

static int
part_cmp(const void *a, const void *b)
{
	uint64_t	x = ((const stored_part *) a)->seq;
	uint64_t	y = ((const stored_part *) b)->seq;

	return x < y ? -1 : (x > y ? 1 : 0);
}

/*
 * window_rebuild: the whole state of window n from the store, after
 * writing this batch's part into it: a new state the caller frees.
 * take: remove the window's entries from the store (the window closes).
 * NULL on error (err set).
 */
static void *
window_rebuild(window_data *w, win_instance *n, bool take, asp_error *err)
{
	stored_parts ps = {w, NULL, 0, 0};
	void	   *state;
	bool		ok = true;
	size_t		i;

	if (!window_flush_instance(w, n, err))
		return NULL;
	w->store->scan(w->store->ud, n->start, take, window_collect, &ps);
	if (take)
		n->stored = false;
	qsort(ps.p, ps.n, sizeof(stored_part), part_cmp);
	state = w->block->bops->state_new(w->block);
	if (w->store_mode == ASP_STORE_GROUPS)
	{
		/* the checkpoint form: [{k, s, a}, ...] in first-seen order */
		bson_t		arr = BSON_INITIALIZER;
		bson_value_t av;

		for (i = 0; i < ps.n; i++)
		{
			char		ibuf[24];
			const char *ik;
			bson_t		e;

			bson_uint32_to_string((uint32_t) i, &ik, ibuf, sizeof(ibuf));
			if (bson_init_static(&e, ps.p[i].val, ps.p[i].len))
				bson_append_document(&arr, ik, -1, &e);
		}
		av.value_type = BSON_TYPE_ARRAY;
		av.value.v_doc.data = (uint8_t *) bson_get_data(&arr);
		av.value.v_doc.data_len = arr.len;
		ok = asp_block_state_restore(w->block, state, &av, err);
		bson_destroy(&arr);
	}
	else
	{
		for (i = 0; i < ps.n && ok; i++)
		{
			bson_value_t v;

			if (!window_blob_value(ps.p[i].val, ps.p[i].len, "v", &v))
				ok = window_store_error(err);
			else if (w->block->bops == &buffer_bops)
				ok = asp_docbuf_restore(state, &v, w->self->name, err);
			else
				ok = asp_block_state_restore(w->block, state, &v, err);
		}
	}
	for (i = 0; i < ps.n; i++)
		free(ps.p[i].val);
	free(ps.p);
	if (!ok)
	{
		w->block->bops->state_free(w->block, state);
		return NULL;
	}
	return state;
}

/* asp_window_set_store: keep the window's state in store (NULL: in memory) */
void
asp_window_set_store(asp_stage *s, const asp_state_store *store)
{
	window_data *w = s->data;

	w->store = store;
	if (w->block->bops == &buffer_bops)
		w->store_mode = ASP_STORE_APPEND;
	else
		w->store_mode = asp_block_store_mode_of(w->block);
	if (w->blob == NULL)
		w->blob = bson_new();
}

/*
 * asp_window_end_batch: the end of a batch: write each open window's part
 * into the store and drop the local states.  False when the store refuses
 * (ctx->err set).
 */
bool
asp_window_end_batch(asp_stage *s, asp_exec *x)
{
	window_data *w = s->data;
	win_instance *n;

	if (w->store == NULL)
		return true;
	for (n = w->open; n; n = n->next)
		if (!window_flush_instance(w, n, asp_exec_ctx(x)->err))
			return false;
	return true;
}

/* ---------- opening, closing ---------- */

/*
 * window_get: the open window starting at start, opened if need be, with
 * a local state (with a store: loaded as state_store.h says).  NULL only
 * when a stored state cannot be loaded (err set).
 */
static win_instance *
window_get(window_data *w, int64_t start, asp_error *err)
{
	win_instance **pp = &w->open;
	win_instance *n;

	while (*pp && (*pp)->start < start)
		pp = &(*pp)->next;
	if (*pp && (*pp)->start == start)
	{
		n = *pp;
		if (n->state == NULL && !window_local_state(w, n, err))
			return NULL;
		return n;
	}
	n = calloc(1, sizeof(win_instance));
	if (n == NULL)
		abort();
	n->start = start;
	n->end = start + w->size;
	n->w = w;
	n->state = w->block->bops->state_new(w->block);
	n->next = *pp;
	*pp = n;
	w->nopen++;
	return n;
}

/* window_close_first: close the earliest open window and emit its results */
static bool
window_close_first(window_data *w, asp_exec *x)
{
	win_instance *n = w->open;
	asp_eval_ctx *ctx = asp_exec_ctx(x);
	void	   *state = n->state;
	bool		ok;

	w->open = n->next;
	w->nopen--;
	if (n == w->last)
		w->last = NULL;
	if (w->store != NULL && n->stored)
	{
		/* its earlier batches are in the store: take them back */
		state = window_rebuild(w, n, true, ctx->err);
		if (state == NULL)
		{
			free(n);
			return false;
		}
	}
	else if (state == NULL)
		state = w->block->bops->state_new(w->block);	/* nothing came in */
	ctx->in_window = true;
	ctx->window_start = n->start;
	ctx->window_end = n->end;
	ok = w->block->bops->state_emit(w->block, state, x);
	if (ok && w->block->next)
		ok = asp_stage_flush(w->block->next, x);
	ctx->in_window = false;
	w->block->bops->state_free(w->block, state);
	free(n);
	return ok;
}

static bool
window_close_until(window_data *w, asp_exec *x)
{
	while (w->open && w->have_wm && w->open->end <= w->watermark - w->lateness)
	{
		if (!window_close_first(w, x))
			return false;
	}
	return true;
}

static bool
window_closed(const window_data *w, int64_t end)
{
	return w->have_wm && end <= w->watermark - w->lateness;
}

/* format_time: ISO-8601 for messages, or ms since the epoch outside years 0..9999 */
static void
format_time(int64_t ms, char *out)
{
	if (asp_format_iso_utc(ms, out) < 0)
		snprintf(out, 40, "%" PRId64 " ms", ms);
}

/* window_push: assign a document to its windows, then advance the watermark */
static bool
window_push(asp_stage *s, asp_exec *x, const uint8_t *doc, uint32_t len)
{
	window_data *w = s->data;
	asp_eval_ctx *ctx = asp_exec_ctx(x);
	int64_t		t = w->processing_time ? ctx->now_ms : ctx->event_time;
	int64_t		last_start;
	int64_t		start;
	int			targets = 0;
	win_instance **direct = w->targets;	/* windows to add to directly */
	int			ntargets_direct = 0;

	if (t < -WINDOW_MAX_TIME || t > WINDOW_MAX_TIME)
	{
		char		reason[160];

		snprintf(reason, sizeof(reason),
				 "event time %" PRId64 " ms is outside the range windows support (+-%" PRId64 " ms)",
				 t, WINDOW_MAX_TIME);
		asp_exec_dlq(x, s, doc, len, reason);
		return true;
	}
	w->have_input = true;
	w->last_input_ms = ctx->now_ms;
	if (w->last != NULL && t >= w->last->start && t < w->last->end &&
		w->last->state != NULL && !window_closed(w, w->last->end))
	{
		/*
		 * Tumbling, no pre-stages, the same open window as the last
		 * document (its state loaded): what the general path below does
		 * for it, without the division and the list walk.
		 */
		win_instance *n = w->last;
		bool		ok;

		ctx->in_window = true;
		ctx->window_start = n->start;
		ctx->window_end = n->end;
		ok = w->block->bops->state_add(w->block, n->state, x, doc, len);
		ctx->in_window = false;
		if (!ok)
			return false;
		if (!w->have_wm || t > w->watermark)
		{
			w->watermark = t;
			w->have_wm = true;
		}
		return window_close_until(w, x);
	}
	last_start = floor_div(t - w->offset, w->hop) * w->hop + w->offset;
	for (start = last_start; start + w->size > t; start -= w->hop)
	{
		if (window_closed(w, start + w->size))
			continue;
		w->cur = window_get(w, start, ctx->err);
		if (w->cur == NULL)
			return false;
		if (w->pre)
		{
			/* the pre-stages may read the window bounds: run them per window */
			ctx->in_window = true;
			ctx->window_start = w->cur->start;
			ctx->window_end = w->cur->end;
			w->pre->in_docs++;
			if (!w->pre->ops->push(w->pre, x, doc, len))
			{
				ctx->in_window = false;
				return false;
			}
			ctx->in_window = false;
		}
		else if (ntargets_direct < w->max_targets)
			direct[ntargets_direct++] = w->cur;
		if (!w->hopping && w->pre == NULL)
			w->last = w->cur;
		targets++;
		if (!w->hopping)
			break;
	}
	if (ntargets_direct > 1 && w->block->bops->state_add_multi &&
		!w->block->reads_window_bounds)
	{
		/* one document into several overlapping windows: evaluate it once */
		void	  **states = (void **) asp_arena_alloc(ctx->arena, sizeof(void *) * ntargets_direct);
		int			i;

		for (i = 0; i < ntargets_direct; i++)
			states[i] = direct[i]->state;
		if (!w->block->bops->state_add_multi(w->block, states, ntargets_direct, x, doc, len))
			return false;
	}
	else
	{
		int			i;

		for (i = 0; i < ntargets_direct; i++)
		{
			win_instance *n = direct[i];
			bool		ok;

			/* {$meta: "stream.window.start"} in the stage sees this window */
			ctx->in_window = true;
			ctx->window_start = n->start;
			ctx->window_end = n->end;
			ok = w->block->bops->state_add(w->block, n->state, x, doc, len);
			ctx->in_window = false;
			if (!ok)
				return false;
		}
	}
	if (targets == 0)
	{
		char		reason[320];
		char		ts[40],
					we[40],
					wm[40];
		int64_t		end = last_start + w->size;

		format_time(t, ts);
		format_time(end, we);
		if (w->have_wm)
			format_time(w->watermark, wm);
		else
			snprintf(wm, sizeof(wm), "none");
		snprintf(reason, sizeof(reason),
				 "late document: event time %s falls in a window that already closed "
				 "(window end %s + allowedLateness %" PRId64 " ms <= watermark %s)",
				 ts, we, w->lateness, wm);
		asp_exec_dlq(x, s, doc, len, reason);
	}
	if (!w->have_wm || t > w->watermark)
	{
		w->watermark = t;
		w->have_wm = true;
	}
	return window_close_until(w, x);
}

/* window_flush: the source ended: close every open window */
static bool
window_flush(asp_stage *s, asp_exec *x)
{
	window_data *w = s->data;

	while (w->open)
		if (!window_close_first(w, x))
			return false;
	return true;
}

/* asp_window_tick: idle timeout and processing-time closing */
bool
asp_window_tick(asp_stage *s, asp_exec *x, int64_t now_ms)
{
	window_data *w = s->data;

	if (w->processing_time)
	{
		if (!w->have_wm || now_ms > w->watermark)
		{
			w->watermark = now_ms;
			w->have_wm = true;
		}
		return window_close_until(w, x);
	}
	if (w->idle_timeout >= 0 && w->have_input && w->open &&
		now_ms - w->last_input_ms >= w->idle_timeout)
	{
		/* the source went quiet: close everything, as if time moved on */
		while (w->open)
		{
			int64_t		end = w->open->end;

			if (!window_close_first(w, x))
				return false;
			if (!w->have_wm || end + w->lateness > w->watermark)
			{
				w->watermark = end + w->lateness;
				w->have_wm = true;
			}
		}
	}
	return true;
}

/* asp_window_watermark: the watermark, INT64_MIN before any input */
int64_t
asp_window_watermark(const asp_stage *s)
{
	const window_data *w = s->data;

	return w->have_wm ? w->watermark : INT64_MIN;
}

/* asp_window_state_bytes: memory held by the open windows */
size_t
asp_window_state_bytes(const asp_stage *s)
{
	const window_data *w = s->data;
	const win_instance *n;
	size_t		total = 0;

	for (n = w->open; n; n = n->next)
		total += sizeof(win_instance) +
			(n->state ? w->block->bops->state_bytes(w->block, n->state) : 0);
	if (w->store != NULL)
		total += w->store->bytes(w->store->ud);
	return total;
}

/* asp_window_open_count: number of open windows */
int
asp_window_open_count(const asp_stage *s)
{
	return ((const window_data *) s->data)->nopen;
}

/* ---------- checkpoints ---------- */

static bool
window_ckpt_error(asp_error *err, const char *msg)
{
	asp_error_set(err, ASP_ERR_INVALID, "invalid checkpoint: window: %s", msg);
	return false;
}

/*
 * asp_window_serialize: the window's state under key:
 *	{kind, size, hop, block: <first blocking stage name>, wm: <watermark>
 *	 (absent before any input), input: <bool>, lastInput: <ms>,
 *	 open: [{start, end, state: <block state>}, ...]}
 */
bool
asp_window_serialize(asp_stage *s, bson_t *out, const char *key, asp_error *err)
{
	window_data *w = s->data;
	win_instance *n;
	bson_t		d,
				arr;
	uint32_t	i = 0;

	bson_append_document_begin(out, key, -1, &d);
	BSON_APPEND_UTF8(&d, "kind", s->name);
	BSON_APPEND_INT64(&d, "size", w->size);
	BSON_APPEND_INT64(&d, "hop", w->hop);
	BSON_APPEND_UTF8(&d, "block", w->block->name);
	if (w->have_wm)
		BSON_APPEND_INT64(&d, "wm", w->watermark);
	BSON_APPEND_BOOL(&d, "input", w->have_input);
	BSON_APPEND_INT64(&d, "lastInput", w->last_input_ms);
	BSON_APPEND_ARRAY_BEGIN(&d, "open", &arr);
	for (n = w->open; n; n = n->next)
	{
		bson_t		win;
		char		ibuf[24];
		const char *ik;
		bool		ok;
		void	   *state = n->state;

		bson_uint32_to_string(i++, &ik, ibuf, sizeof(ibuf));
		bson_append_document_begin(&arr, ik, -1, &win);
		BSON_APPEND_INT64(&win, "start", n->start);
		BSON_APPEND_INT64(&win, "end", n->end);
		if (w->store != NULL && n->stored)
			state = window_rebuild(w, n, false, err);
		else if (state == NULL)
			state = w->block->bops->state_new(w->block);
		if (state == NULL)
			ok = false;
		else if (w->block->bops == &buffer_bops)
		{
			asp_docbuf_serialize(state, &win, "state");
			ok = true;
		}
		else
			ok = asp_block_state_serialize(w->block, state, &win, "state", err);
		if (state != NULL && state != n->state)
			w->block->bops->state_free(w->block, state);
		bson_append_document_end(&arr, &win);
		if (!ok)
			return false;
	}
	bson_append_array_end(&d, &arr);
	bson_append_document_end(out, &d);
	return true;
}

/* ckpt_int64: an int64 field of a checkpoint document */
static bool
ckpt_int64(const bson_value_t *doc, const char *key, int64_t *out)
{
	bson_value_t v;

	if (!asp_doc_get(doc->value.v_doc.data, doc->value.v_doc.data_len, key,
					 (uint32_t) strlen(key), &v) || v.value_type != BSON_TYPE_INT64)
		return false;
	*out = v.value.v_int64;
	return true;
}

/*
 * asp_window_restore: the state asp_window_serialize wrote, into a window
 * stage of the same pipeline that has no open window.
 */
bool
asp_window_restore(asp_stage *s, const bson_value_t *v, asp_error *err)
{
	window_data *w = s->data;
	bson_value_t f;
	int64_t		size,
				hop,
				wm,
				prev_start = 0;
	bool		have_prev = false;
	bson_iter_t it;

	if (v->value_type != BSON_TYPE_DOCUMENT)
		return window_ckpt_error(err, "expected a document");
	if (w->open != NULL)
		return window_ckpt_error(err, "the window already has open windows");
	if (!asp_doc_get(v->value.v_doc.data, v->value.v_doc.data_len, "kind", 4, &f) ||
		f.value_type != BSON_TYPE_UTF8 || strcmp(f.value.v_utf8.str, s->name) != 0 ||
		!ckpt_int64(v, "size", &size) || !ckpt_int64(v, "hop", &hop) ||
		size != w->size || hop != w->hop ||
		!asp_doc_get(v->value.v_doc.data, v->value.v_doc.data_len, "block", 5, &f) ||
		f.value_type != BSON_TYPE_UTF8 || strcmp(f.value.v_utf8.str, w->block->name) != 0)
		return window_ckpt_error(err, "it was taken with another window definition");
	w->have_wm = ckpt_int64(v, "wm", &wm);
	w->watermark = w->have_wm ? wm : 0;
	if (asp_doc_get(v->value.v_doc.data, v->value.v_doc.data_len, "input", 5, &f) &&
		f.value_type == BSON_TYPE_BOOL)
		w->have_input = f.value.v_bool;
	if (!ckpt_int64(v, "lastInput", &w->last_input_ms))
		w->last_input_ms = 0;
	if (!asp_doc_get(v->value.v_doc.data, v->value.v_doc.data_len, "open", 4, &f) ||
		f.value_type != BSON_TYPE_ARRAY ||
		!bson_iter_init_from_data(&it, f.value.v_doc.data, f.value.v_doc.data_len))
		return window_ckpt_error(err, "'open' must be an array");
	while (bson_iter_next(&it))
	{
		const bson_value_t *ov = bson_iter_value(&it);
		int64_t		start,
					end;
		bson_value_t st;
		win_instance *n;
		bool		ok;

		if (ov->value_type != BSON_TYPE_DOCUMENT || !ckpt_int64(ov, "start", &start) ||
			!ckpt_int64(ov, "end", &end) || end != start + w->size ||
			start < -WINDOW_MAX_TIME || start > WINDOW_MAX_TIME ||
			!asp_doc_get(ov->value.v_doc.data, ov->value.v_doc.data_len, "state", 5, &st))
			return window_ckpt_error(err, "an open window needs start, end and state");
		if (have_prev && start <= prev_start)
			return window_ckpt_error(err, "open windows out of order");
		have_prev = true;
		prev_start = start;
		n = window_get(w, start, err);
		if (n == NULL)
			return false;
		if (w->block->bops == &buffer_bops)
			ok = asp_docbuf_restore(n->state, &st, s->name, err);
		else
			ok = asp_block_state_restore(w->block, n->state, &st, err);
		if (!ok)
			return false;
	}
	return true;
}

static void
window_destroy(asp_stage *s)
{
	window_data *w = s->data;
	int			i;

	if (w == NULL)
		return;
	while (w->open)
	{
		win_instance *n = w->open;

		w->open = n->next;
		if (n->state)
			w->block->bops->state_free(w->block, n->state);
		free(n);
	}
	for (i = 0; i < w->ninner; i++)
		asp_stage_free(w->inner[i]);
	free(w->inner);
	free(w->targets);
	if (w->blob)
		bson_destroy(w->blob);
	free(w);
}

static const asp_stage_ops window_ops = {window_push, window_flush, window_destroy, NULL};

/* ---------- compiling ---------- */

static void
add_inner(window_data *w, asp_stage *s)
{
	w->inner = realloc(w->inner, sizeof(asp_stage *) * (w->ninner + 1));
	if (w->inner == NULL)
		abort();
	w->inner[w->ninner++] = s;
}

/* relocate an inner-stage error to the window stage */
static void
inner_error(asp_error *err, int outer_index, const char *window_name, int j,
			const char *inner_name)
{
	char		path[sizeof(err->path) + 128];
	int			n;

	if (err->path[0])
		n = snprintf(path, sizeof(path), "pipeline[%d].%s.%s", j, inner_name ? inner_name : "", err->path);
	else
		n = snprintf(path, sizeof(path), "pipeline[%d]%s%s", j, inner_name ? "." : "",
					 inner_name ? inner_name : "");
	if (n >= (int) sizeof(err->path))
		path[sizeof(err->path) - 1] = '\0';
	memcpy(err->path, path, sizeof(err->path));
	err->path[sizeof(err->path) - 1] = '\0';
	err->stage_index = outer_index;
	snprintf(err->stage_name, sizeof(err->stage_name), "%s", window_name);
}

static bool
compile_inner_pipeline(window_data *w, const bson_value_t *pl, asp_stage_compile_ctx *outer,
					   const char *wname)
{
	bson_iter_t it;
	int			j = 0;
	asp_stage  *prev = NULL;
	asp_stage  *last_post = NULL;
	asp_error  *err = outer->err;

	bson_iter_init_from_data(&it, pl->value.v_doc.data, pl->value.v_doc.data_len);
	while (bson_iter_next(&it))
	{
		bson_iter_t sit;
		const char *name;
		bson_value_t operand;
		asp_stage_compile_ctx cc;
		char		where[128];
		asp_stage  *s;

		if (!BSON_ITER_HOLDS_DOCUMENT(&it) || !bson_iter_recurse(&it, &sit) ||
			!bson_iter_next(&sit))
		{
			asp_error_set(err, ASP_ERR_INVALID, "each stage of a window pipeline must be an object with exactly one field, the stage name");
			inner_error(err, outer->index, wname, j, NULL);
			return false;
		}
		name = bson_iter_key(&sit);
		operand = *bson_iter_value(&sit);
		if (bson_iter_next(&sit))
		{
			asp_error_set(err, ASP_ERR_INVALID, "each stage of a window pipeline must be an object with exactly one field, the stage name");
			inner_error(err, outer->index, wname, j, NULL);
			return false;
		}
		if (strcmp(name, "$source") == 0 || strcmp(name, "$merge") == 0 ||
			strcmp(name, "$emit") == 0 || strcmp(name, "$tumblingWindow") == 0 ||
			strcmp(name, "$hoppingWindow") == 0 || strcmp(name, "$sessionWindow") == 0)
		{
			asp_error_set(err, ASP_ERR_INVALID, "%s is not allowed inside a window pipeline", name);
			if (name[1] == 'm' || name[1] == 'e')
				asp_error_hint(err, "Put the sink after the window stage, as the last stage of the pipeline.");
			inner_error(err, outer->index, wname, j, name);
			return false;
		}
		snprintf(where, sizeof(where), "%s.%s.pipeline[%d]", outer->where, wname, j);
		cc.err = err;
		cc.index = j;
		cc.where = where;
		cc.in_window = true;
		s = asp_compile_inner_stage(name, &operand, &cc);
		if (s == NULL)
		{
			inner_error(err, outer->index, wname, j, name);
			return false;
		}
		add_inner(w, s);
		if (w->block == NULL && s->blocking)
		{
			w->block = s;
			if (prev)
				prev->next = w->assign;
			last_post = s;
		}
		else if (w->block == NULL)
		{
			if (prev)
				prev->next = s;
			else
				w->pre = s;
			prev = s;
		}
		else
		{
			last_post->next = s;
			last_post = s;
		}
		j++;
	}
	if (w->block == NULL)
	{
		asp_stage_compile_ctx cc = {err, j, outer->where, true};
		asp_stage  *b = asp_stage_new(&buffer_ops, wname, &cc);

		b->bops = &buffer_bops;
		b->blocking = true;
		add_inner(w, b);
		w->block = b;
		if (prev)
			prev->next = w->assign;
		last_post = b;
	}
	last_post->next = w->out;
	return true;
}

/*
 * asp_window_first_stage: the first stage of the window's pipeline (its
 * first pre-stage, else its blocking stage, which is the buffer when the
 * pipeline has none); the field plan reads a leading $group's paths.
 */
asp_stage *
asp_window_first_stage(const asp_stage *s)
{
	const window_data *w = s->data;

	return w->pre != NULL ? w->pre : w->block;
}

/* asp_stage_compile_window: $tumblingWindow / $hoppingWindow */
asp_stage *
asp_stage_compile_window(const char *name, const bson_value_t *spec, asp_stage_compile_ctx *cc)
{
	window_data *w;
	asp_stage  *s;
	bson_iter_t it;
	bool		hopping = strcmp(name, "$hoppingWindow") == 0;
	bool		have_interval = false,
				have_hop = false;
	bool		have_lateness = false,
				have_idle = false;
	bson_value_t pipeline = {0};
	bool		have_pipeline = false;
	const char *sname = hopping ? "$hoppingWindow" : "$tumblingWindow";

	if (strcmp(name, "$sessionWindow") == 0)
	{
		asp_error_set(cc->err, ASP_ERR_UNSUPPORTED, "$sessionWindow is not supported yet");
		asp_error_hint(cc->err, "Use $tumblingWindow or $hoppingWindow.");
		return NULL;
	}
	if (spec->value_type != BSON_TYPE_DOCUMENT)
	{
		asp_error_set(cc->err, ASP_ERR_INVALID, "%s must be an object with 'interval' and 'pipeline'", sname);
		return NULL;
	}
	w = calloc(1, sizeof(window_data));
	if (w == NULL)
		abort();
	w->hopping = hopping;
	w->lateness = 3000;			/* ASP's default allowed lateness */
	w->idle_timeout = -1;
	s = asp_stage_new(&window_ops, sname, cc);
	s->data = w;
	w->self = s;

	bson_iter_init_from_data(&it, spec->value.v_doc.data, spec->value.v_doc.data_len);
	while (bson_iter_next(&it))
	{
		const char *k = bson_iter_key(&it);

		if (strcmp(k, "interval") == 0)
		{
			if (!asp_duration_ms(bson_iter_value(&it), "interval", false, &w->size, cc->err))
				goto fail;
			have_interval = true;
		}
		else if (strcmp(k, "hopSize") == 0 && hopping)
		{
			if (!asp_duration_ms(bson_iter_value(&it), "hopSize", false, &w->hop, cc->err))
				goto fail;
			have_hop = true;
		}
		else if (strcmp(k, "pipeline") == 0)
		{
			if (!BSON_ITER_HOLDS_ARRAY(&it))
			{
				asp_error_set(cc->err, ASP_ERR_INVALID, "'pipeline' must be an array of stages");
				asp_error_where(cc->err, -1, NULL, "pipeline");
				goto fail;
			}
			pipeline = *bson_iter_value(&it);
			have_pipeline = true;
		}
		else if (strcmp(k, "offset") == 0)
		{
			bson_iter_t oit;
			bool		have_off = false;
			int64_t		off = 0,
						mult = 0;

			if (!BSON_ITER_HOLDS_DOCUMENT(&it))
			{
				asp_error_set(cc->err, ASP_ERR_INVALID, "'offset' must be an object like {offsetFromUtc: 5, unit: \"minute\"}");
				asp_error_where(cc->err, -1, NULL, "offset");
				goto fail;
			}
			bson_iter_recurse(&it, &oit);
			while (bson_iter_next(&oit))
			{
				if (strcmp(bson_iter_key(&oit), "offsetFromUtc") == 0)
				{
					if (!asp_value_as_int64_exact(bson_iter_value(&oit), &off) ||
						!asp_value_is_number(bson_iter_value(&oit)))
					{
						asp_error_set(cc->err, ASP_ERR_INVALID, "'offset.offsetFromUtc' must be an integer");
						asp_error_where(cc->err, -1, NULL, "offset.offsetFromUtc");
						goto fail;
					}
					have_off = true;
				}
				else if (strcmp(bson_iter_key(&oit), "unit") == 0)
				{
					bson_value_t d;
					bson_t		tmp = BSON_INITIALIZER;
					int64_t		one;

					/* reuse the duration parser for the unit */
					BSON_APPEND_INT32(&tmp, "size", 1);
					bson_append_iter(&tmp, "unit", 4, &oit);
					asp_value_set_doc(&d, BSON_TYPE_DOCUMENT, bson_get_data(&tmp), tmp.len);
					if (!asp_duration_ms(&d, "offset", false, &one, cc->err))
					{
						bson_destroy(&tmp);
						goto fail;
					}
					bson_destroy(&tmp);
					mult = one;
				}
				else
				{
					asp_error_set(cc->err, ASP_ERR_INVALID, "unrecognized field '%s' in 'offset'", bson_iter_key(&oit));
					asp_error_where(cc->err, -1, NULL, "offset");
					goto fail;
				}
			}
			if (!have_off || mult == 0)
			{
				asp_error_set(cc->err, ASP_ERR_INVALID, "'offset' needs 'offsetFromUtc' and 'unit'");
				asp_error_where(cc->err, -1, NULL, "offset");
				goto fail;
			}
			w->offset = off * mult;
		}
		else if (strcmp(k, "allowedLateness") == 0)
		{
			if (!asp_duration_ms(bson_iter_value(&it), "allowedLateness", true, &w->lateness, cc->err))
				goto fail;
			have_lateness = true;
		}
		else if (strcmp(k, "idleTimeout") == 0)
		{
			if (!asp_duration_ms(bson_iter_value(&it), "idleTimeout", false, &w->idle_timeout, cc->err))
				goto fail;
			have_idle = true;
		}
		else if (strcmp(k, "boundary") == 0)
		{
			const char *b;

			if (!BSON_ITER_HOLDS_UTF8(&it))
			{
				asp_error_set(cc->err, ASP_ERR_INVALID, "'boundary' must be \"eventTime\" or \"processingTime\"");
				asp_error_where(cc->err, -1, NULL, "boundary");
				goto fail;
			}
			b = bson_iter_utf8(&it, NULL);
			if (strcmp(b, "processingTime") == 0)
				w->processing_time = true;
			else if (strcmp(b, "eventTime") != 0)
			{
				asp_error_set(cc->err, ASP_ERR_INVALID, "'boundary' must be \"eventTime\" or \"processingTime\", not \"%s\"", b);
				asp_error_where(cc->err, -1, NULL, "boundary");
				goto fail;
			}
		}
		else
		{
			asp_error_set(cc->err, ASP_ERR_INVALID, "unrecognized %s option '%s'", sname, k);
			if (!hopping && strcmp(k, "hopSize") == 0)
				asp_error_hint(cc->err, "hopSize belongs to $hoppingWindow.");
			asp_error_where(cc->err, -1, NULL, k);
			goto fail;
		}
	}
	if (!have_interval)
	{
		asp_error_set(cc->err, ASP_ERR_INVALID, "%s needs 'interval'", sname);
		asp_error_hint(cc->err, "For example \"interval\": {\"size\": 10, \"unit\": \"second\"}.");
		asp_error_where(cc->err, -1, NULL, "interval");
		goto fail;
	}
	if (hopping && !have_hop)
	{
		asp_error_set(cc->err, ASP_ERR_INVALID, "$hoppingWindow needs 'hopSize'");
		asp_error_where(cc->err, -1, NULL, "hopSize");
		goto fail;
	}
	if (!hopping)
		w->hop = w->size;
	else if (w->hop > w->size)
	{
		asp_error_set(cc->err, ASP_ERR_INVALID, "'hopSize' must not be larger than 'interval'");
		asp_error_where(cc->err, -1, NULL, "hopSize");
		goto fail;
	}
	if (!have_pipeline)
	{
		asp_error_set(cc->err, ASP_ERR_INVALID, "%s needs 'pipeline'", sname);
		asp_error_hint(cc->err, "For example \"pipeline\": [{\"$group\": {\"_id\": \"$key\", \"n\": {\"$sum\": 1}}}].");
		asp_error_where(cc->err, -1, NULL, "pipeline");
		goto fail;
	}
	if (w->processing_time && (have_lateness || have_idle))
	{
		asp_error_set(cc->err, ASP_ERR_INVALID, "'%s' is not allowed with boundary \"processingTime\"",
					  have_lateness ? "allowedLateness" : "idleTimeout");
		asp_error_where(cc->err, -1, NULL, have_lateness ? "allowedLateness" : "idleTimeout");
		goto fail;
	}
	if (w->processing_time)
		w->lateness = 0;
	if (w->size > WINDOW_MAX_TIME / 4 || w->offset > WINDOW_MAX_TIME / 4 ||
		w->offset < -WINDOW_MAX_TIME / 4 || w->lateness > WINDOW_MAX_TIME / 4 ||
		w->size / w->hop > 100000)
	{
		asp_error_set(cc->err, ASP_ERR_INVALID,
					  "window too large: 'interval', 'offset' and 'allowedLateness' must be below %" PRId64 " ms, and 'interval' at most 100000 times 'hopSize'",
					  WINDOW_MAX_TIME / 4);
		goto fail;
	}
	w->max_targets = (int) ((w->size + w->hop - 1) / w->hop);
	w->targets = malloc(sizeof(win_instance *) * w->max_targets);
	if (w->targets == NULL)
		abort();

	{
		asp_stage_compile_ctx icc = *cc;

		icc.in_window = true;
		w->assign = asp_stage_new(&assign_ops, sname, &icc);
		w->assign->data = w;
		add_inner(w, w->assign);
		w->out = asp_stage_new(&out_ops, sname, &icc);
		w->out->data = w;
		add_inner(w, w->out);
	}
	if (!compile_inner_pipeline(w, &pipeline, cc, sname))
		goto fail;
	return s;

fail:
	asp_stage_free(s);
	return NULL;
}
