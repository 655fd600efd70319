/*-------------------------------------------------------------------------
 *
 * worker.c
 *	  A stream processor's worker: a dynamic background worker that runs
 *	  one processor's pipeline until it is asked to stop.
 *
 * Identity.  The worker connects to the launcher's database as the
 * processor's owner (the launcher, a superuser, passes the owner's oid in
 * bgw_extra), so the pipeline reads and writes with the owner's
 * privileges only.  The catalog asp.processors is not readable by the
 * owner; the worker reads its row and writes its state the way the SQL
 * functions do (processors.c): switching to the catalog's owner in a
 * security-restricted operation around fixed, fully qualified statements,
 * and back to the processor's owner before anything of the pipeline runs.
 * A PostgreSQL 15 background worker cannot connect as a role without
 * LOGIN: such a processor fails after its retries.  At startup the worker
 * checks that the owner may still use the pipeline's connections and
 * write its tables (privileges.h); if not, the processor is FAILED at once.
 *
 * The loop: read what the source has for this round (a documents array:
 * up to WORKER_MAX_BATCH documents a round, then the windows close and the
 * worker idles until stopped; sample_stream_solar: the readings due by
 * now, asp.sample_rate per device per second from the worker's start, or
 * as options.sample fixes them), push it through the executor and
 * asp_exec_tick(); the $merge sink (and the dead letter queue table,
 * options.dlq) write their batches; then sleep up to 100 ms.
 *
 * Checkpoints and exactly-once.  Rounds share one open transaction until
 * asp.checkpoint_interval has passed since the last commit; then the
 * checkpoint (the source position and parameters and the executor's
 * state, asp_exec_checkpoint) is upserted into asp.checkpoints in that
 * transaction and it commits, so the sink rows and the checkpoint that
 * covers them commit or roll back together.  After a crash the worker
 * restarts from the last committed checkpoint (when resume_from_checkpoint
 * is true) and redoes the lost interval identically.  The statistics in
 * the slot are published at each commit.  On a stop request: the final
 * checkpoint and STOPPED commit together, then the slot is freed and the
 * worker exits(0).  An error ends the worker with exit code 1 after its
 * message is kept in the slot; the launcher restarts it with backoff.  A
 * pipeline that cannot run at all (it does not compile, or its source or
 * sink cannot run in a worker, or its checkpoint does not fit it) makes
 * the processor FAILED at once.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <time.h>

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/proc.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

#include "connectors/pg_sink.h"
#include "engine/exec.h"
#include "engine/pipeline.h"
#include "engine/solar.h"
#include "runtime/runtime.h"
#include "sql/asp_sql.h"
#include "sql/pipeline_text.h"
#include "sql/privileges.h"

/* most source documents pushed in one round (unthrottled generator: more) */
#define WORKER_MAX_BATCH 10000
#define WORKER_MAX_BATCH_UNTHROTTLED 100000

/* the worker's state; static so that the error path can free it */
typedef struct worker_state
{
	int64		id;
	AspSlot    *slot;
	char	   *name;
	asp_pipeline *p;
	asp_exec   *x;
	bson_t	   *dlq_spec_doc;	/* {into: options.dlq} or NULL */
	bson_value_t dlq_spec;
	asp_pg_sink *sink;			/* open until the transaction commits */
	asp_pg_sink *dlq;			/* open until the transaction commits */
	uint64		sink_dlq_count; /* DLQ documents from the sink */
	uint64		sink_dlq_bytes;
	bool		source_done;	/* the source ended and the windows closed */
	bool		source_more;	/* the source has more due now: no wait */
	uint64		doc_pos;		/* documents source: the next array index */
	asp_solar	gen;
	uint64		gen_pos;
	int			gen_rate;
	TimestampTz started;		/* when the loop began */

	/* options.sample: the generator's parameters, pinned for the processor */
	bool		sample_pinned;	/* options.sample given: ignore asp.sample_rate */
	bool		sample_have_seed;
	uint64		sample_seed;
	bool		sample_have_start;
	int64		sample_start_ms;
	int			sample_rate;	/* 0: asp.sample_rate */
	int			sample_devices; /* 0: the generator's default (10) */
	int64		sample_max_docs;	/* 0: unbounded */
	bool		sample_unthrottled;
	int64		pace_anchor_ms; /* pinned pacing: wall time of position 0 */

	/* checkpoints */
	bool		resume;			/* resume_from_checkpoint */
	bytea	   *ckpt;			/* the stored checkpoint (TopMemoryContext), or NULL */
	bool		in_xact;		/* a round's transaction is open (not committed yet) */
	TimestampTz last_commit;	/* when the last checkpoint committed */

	/*
	 * operatorStats (asp.stats verbose), since this worker started: the
	 * executor's counters when the loop began, the dead letters per stage
	 * of the user's pipeline (nops entries: $source, the stages, the sink)
	 * and the time spent in the engine and in the sink's writes
	 */
	asp_exec_stats run_base;
	int			nops;
	uint64	   *op_dlq;
	uint64		engine_ns;
	uint64		sink_ns;
	uint64		max_state;		/* largest window state seen at a commit */
	bool		op_names_set;
} worker_state;

/* a worker that ran this long without error resets the failure count */
#define WORKER_HEALTHY_MS 30000

static worker_state w;

/* unix_now_ms: wall clock in ms since the Unix epoch */
static int64
unix_now_ms(void)
{
	TimestampTz now = GetCurrentTimestamp();

	return now / 1000 + ((int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY * 1000);
}

/* catalog_owner: the owner of asp.processors (in a transaction) */
static Oid
catalog_owner(void)
{
	Oid			nsp = get_namespace_oid("asp", true);
	Oid			relid = OidIsValid(nsp) ? get_relname_relid("processors", nsp) : InvalidOid;
	HeapTuple	tup;
	Oid			owner;

	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation \"asp.processors\" does not exist")));
	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for relation %u", relid);
	owner = ((Form_pg_class) GETSTRUCT(tup))->relowner;
	ReleaseSysCache(tup);
	return owner;
}

/*
 * catalog_exec: run a fixed statement on asp.processors as the catalog's
 * owner, in a security-restricted operation, in the current transaction
 * (SPI connected).  Errors restore the identity (transaction abort does).
 */
static void
catalog_exec(const char *sql, int nargs, Oid *argtypes, Datum *args, int expect)
{
	Oid			save_userid;
	int			save_sec_context;

	GetUserIdAndSecContext(&save_userid, &save_sec_context);
	SetUserIdAndSecContext(catalog_owner(), save_sec_context |
						   SECURITY_LOCAL_USERID_CHANGE | SECURITY_RESTRICTED_OPERATION);
	if (SPI_execute_with_args(sql, nargs, argtypes, args, NULL, expect == SPI_OK_SELECT, 0) != expect)
		elog(ERROR, "could not access asp.processors");
	SetUserIdAndSecContext(save_userid, save_sec_context);
}

/* set_state: STARTED -> state (STOPPED or FAILED, with msg), in its own transaction */
static void
set_state(const char *state, const char *msg)
{
	Oid			argtypes[3] = {INT8OID, TEXTOID, TEXTOID};
	Datum		args[3];

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	PushActiveSnapshot(GetTransactionSnapshot());
	args[0] = Int64GetDatum(w.id);
	args[1] = CStringGetTextDatum(state);
	args[2] = msg ? CStringGetTextDatum(msg) : (Datum) 0;
	if (msg)
		catalog_exec("UPDATE asp.processors SET state = $2, error_msg = $3, "
					 "last_state_change = pg_catalog.now() "
					 "WHERE id OPERATOR(pg_catalog.=) $1 AND state OPERATOR(pg_catalog.=) 'STARTED'",
					 3, argtypes, args, SPI_OK_UPDATE);
	else
		catalog_exec("UPDATE asp.processors SET state = $2, "
					 "last_state_change = pg_catalog.now() "
					 "WHERE id OPERATOR(pg_catalog.=) $1 AND state OPERATOR(pg_catalog.=) 'STARTED'",
					 2, argtypes, args, SPI_OK_UPDATE);
	SPI_finish();
	PopActiveSnapshot();
	CommitTransactionCommand();
}

/* release_slot: the processor no longer needs its slot; exit afterwards */
static void
release_slot(void)
{
	LWLockAcquire(asp_shared->lock, LW_EXCLUSIVE);
	if (w.slot->in_use && w.slot->processor_id == w.id && w.slot->pid == MyProcPid)
	{
		w.slot->in_use = false;
		w.slot->pid = 0;
		w.slot->pgprocno = -1;
	}
	LWLockRelease(asp_shared->lock);
}

/* worker_cleanup: free the engine's and libbson's handles */
static void
worker_cleanup(void)
{
	asp_pg_sink_free(w.sink);
	w.sink = NULL;
	asp_pg_sink_free(w.dlq);
	w.dlq = NULL;
	if (w.x)
		asp_exec_free(w.x);
	w.x = NULL;
	if (w.p)
		asp_pipeline_free(w.p);
	w.p = NULL;
	if (w.dlq_spec_doc)
		bson_destroy(w.dlq_spec_doc);
	w.dlq_spec_doc = NULL;
}

/* fail_now: a pipeline that cannot run: FAILED at once, exit(1) */
static void
fail_now(const char *msg) pg_attribute_noreturn();

static void
fail_now(const char *msg)
{
	LWLockAcquire(asp_shared->lock, LW_EXCLUSIVE);
	asp_slot_set_error(w.slot, msg);
	LWLockRelease(asp_shared->lock);
	ereport(LOG,
			(errmsg("stream processor \"%s\" failed: %s", w.name ? w.name : "?", msg)));
	set_state("FAILED", msg);
	release_slot();
	worker_cleanup();
	proc_exit(1);
}

/* count_dlq: a DLQ document nobody writes */
static void
count_dlq(uint32_t len)
{
	w.sink_dlq_count++;
	w.sink_dlq_bytes += len;
}

/* dlq_output: the DLQ table's callback: documents it could not write are only counted */
static void
dlq_output(void *ud, asp_output_kind kind, const uint8_t *doc, uint32_t len)
{
	(void) ud;
	(void) doc;
	if (kind == ASP_OUTPUT_DLQ)
		count_dlq(len);
}

/* to_dlq: a dead letter queue document: into options.dlq, if set */
static void
to_dlq(const uint8_t *doc, uint32_t len, bool from_sink)
{
	if (from_sink)
		count_dlq(len);
	if (w.dlq_spec_doc == NULL)
		return;
	if (w.dlq == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);

		w.dlq = asp_pg_sink_open(&w.dlq_spec, dlq_output, NULL);
		MemoryContextSwitchTo(old);
	}
	asp_pg_sink_write(w.dlq, doc, len);
}

/* sink_output: the $merge sink's callback: written documents, or DLQ */
static void
sink_output(void *ud, asp_output_kind kind, const uint8_t *doc, uint32_t len)
{
	(void) ud;
	if (kind == ASP_OUTPUT_DLQ)
		to_dlq(doc, len, true);
}

/*
 * dlq_stage: the entry of operatorStats a dead letter of the executor
 * belongs to, by its operatorName: $source; else the first top-level stage
 * of that name; else the window stage (its inner pipeline's stages).
 */
static int
dlq_stage(const uint8_t *doc, uint32_t len)
{
	bson_iter_t it;
	const char *name;

	if (!bson_iter_init_from_data(&it, doc, len) ||
		!bson_iter_find(&it, "operatorName") || !BSON_ITER_HOLDS_UTF8(&it))
		return 0;
	name = bson_iter_utf8(&it, NULL);
	if (strcmp(name, "$source") == 0)
		return 0;
	for (int i = 0; i < w.p->nall; i++)
		if (w.p->stages[i] != w.p->window && strcmp(w.p->stages[i]->name, name) == 0)
			return i + 1;
	for (int i = 0; i < w.p->nall; i++)
		if (w.p->stages[i] == w.p->window)
			return i + 1;
	return 0;
}

/*
 * exec_output: the executor's callback (the sink is opened on first use
 * in a transaction, and closed before it commits)
 */
static void
exec_output(void *ud, asp_output_kind kind, const uint8_t *doc, uint32_t len)
{
	(void) ud;
	if (kind == ASP_OUTPUT_DOC)
		asp_sample_push(w.slot, doc, len);
	if (kind == ASP_OUTPUT_DLQ && w.op_dlq)
		w.op_dlq[dlq_stage(doc, len)]++;
	if (kind == ASP_OUTPUT_DLQ)
		to_dlq(doc, len, false);
	else if (w.p->sink_kind == ASP_SINK_MERGE)
	{
		if (w.sink == NULL)
		{
			MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);

			w.sink = asp_pg_sink_open(&w.p->sink_spec, sink_output, NULL);
			MemoryContextSwitchTo(old);
		}
		asp_pg_sink_write(w.sink, doc, len);
	}
}

/* check: ERROR with the executor's fatal error */
static void
check(bool ok)
{
	if (!ok)
		asp_report_error(asp_exec_error(w.x), "stream processing failed");
}

/*
 * push_due: push what the source has by now.  A documents array is
 * pushed from the next index, at most WORKER_MAX_BATCH per round, then the
 * windows close.  The generator pushes the readings that are due (in real
 * time, or all of them when unthrottled), up to options.sample.maxDocs,
 * after which the windows close too.
 */
static void
push_due(int64 now)
{
	w.source_more = false;
	if (w.source_done)
		return;
	if (w.p->source_kind == ASP_SOURCE_DOCUMENTS)
	{
		bson_iter_t it;
		uint64		i = 0;
		int			n = 0;

		if (bson_iter_init_from_data(&it, w.p->documents.value.v_doc.data,
									 w.p->documents.value.v_doc.data_len))
			while (bson_iter_next(&it))
			{
				const bson_value_t *v;

				if (i++ < w.doc_pos)
					continue;
				if (n++ == WORKER_MAX_BATCH)
					return;		/* the rest in the next rounds */
				v = bson_iter_value(&it);
				check(asp_exec_push_source(w.x, v->value.v_doc.data, v->value.v_doc.data_len,
										   now, NULL));
				w.doc_pos++;
			}
		check(asp_exec_finish(w.x));
		w.source_done = true;
		return;
	}
	if (!w.sample_pinned && asp_sample_rate != w.gen_rate)
	{
		/* a new rate: continue from the next due reading */
		int64		next = w.gen.start_ms + (int64) (w.gen_pos / w.gen.ndevices) * w.gen.period_ms;

		w.gen_rate = asp_sample_rate;
		w.gen.start_ms = Max(next, now);
		w.gen.period_ms = Max(1000 / Max(w.gen_rate, 1), 1);
		w.gen_pos -= w.gen_pos % w.gen.ndevices;
		w.gen.start_ms -= (int64) (w.gen_pos / w.gen.ndevices) * w.gen.period_ms;
	}
	{
		/* documents are generated as BSON bytes into one buffer, no allocation */
		uint8_t		doc[ASP_SOLAR_DOC_MAX];
		uint32_t	len;
		int			max = w.sample_unthrottled ? WORKER_MAX_BATCH_UNTHROTTLED : WORKER_MAX_BATCH;
		int			n;

		for (n = 0; n < max; n++)
		{
			int64		offset = (int64) (w.gen_pos / w.gen.ndevices) * w.gen.period_ms;
			int64		t;

			if (w.sample_max_docs > 0 && w.gen_pos >= (uint64) w.sample_max_docs)
				break;
			/* pinned parameters are paced from the worker's start, not by event time */
			if (!w.sample_unthrottled &&
				(w.sample_pinned ? w.pace_anchor_ms : w.gen.start_ms) + offset > now)
				break;
			t = asp_solar_doc_raw(&w.gen, w.gen_pos, doc, &len);
			w.gen_pos++;
			check(asp_exec_push_source(w.x, doc, len, t, NULL));
		}
		/* unthrottled with more to come: the next round starts without waiting */
		w.source_more = w.sample_unthrottled && n == max;
	}
	if (w.sample_max_docs > 0 && w.gen_pos >= (uint64) w.sample_max_docs)
	{
		check(asp_exec_finish(w.x));
		w.source_done = true;
	}
}

/* source_position: the number of source documents consumed */
static uint64
source_position(void)
{
	return w.p->source_kind == ASP_SOURCE_DOCUMENTS ? w.doc_pos : w.gen_pos;
}

/*
 * build_checkpoint: the checkpoint of the current state, as a bytea (in
 * the current memory context): a BSON document
 *	{source: {kind, position, done, and for the generator seed, start,
 *	 period, rate}, engine: <asp_exec_checkpoint>}
 */
static bytea *
build_checkpoint(void)
{
	bson_t		b = BSON_INITIALIZER;
	bson_t		src,
				eng;
	asp_error	err;
	bool		ok;
	bytea	   *res;

	asp_error_init(&err);
	BSON_APPEND_DOCUMENT_BEGIN(&b, "source", &src);
	BSON_APPEND_UTF8(&src, "kind", w.p->source_kind == ASP_SOURCE_DOCUMENTS ? "documents" : "sample");
	BSON_APPEND_INT64(&src, "position", (int64) source_position());
	BSON_APPEND_BOOL(&src, "done", w.source_done);
	if (w.p->source_kind == ASP_SOURCE_SAMPLE)
	{
		BSON_APPEND_INT64(&src, "seed", (int64) w.gen.seed);
		BSON_APPEND_DATE_TIME(&src, "start", w.gen.start_ms);
		BSON_APPEND_INT64(&src, "period", w.gen.period_ms);
		BSON_APPEND_INT32(&src, "rate", w.gen_rate);
		BSON_APPEND_INT32(&src, "devices", w.gen.ndevices);
	}
	bson_append_document_end(&b, &src);
	BSON_APPEND_DOCUMENT_BEGIN(&b, "engine", &eng);
	ok = asp_exec_checkpoint(w.x, &eng, &err);
	bson_append_document_end(&b, &eng);
	if (!ok)
	{
		bson_destroy(&b);
		asp_report_error(&err, "could not checkpoint the stream processor");
	}
	res = palloc(VARHDRSZ + b.len);
	SET_VARSIZE(res, VARHDRSZ + b.len);
	memcpy(VARDATA(res), bson_get_data(&b), b.len);
	bson_destroy(&b);
	return res;
}

/*
 * write_checkpoint: upsert the processor's checkpoint row in the current
 * transaction (the one holding the output written since the last
 * checkpoint), and with final_state set the processor's state too.
 */
static void
write_checkpoint(const char *final_state)
{
	Oid			argtypes[3] = {INT8OID, INT8OID, BYTEAOID};
	Datum		args[3];

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	PushActiveSnapshot(GetTransactionSnapshot());
	args[0] = Int64GetDatum(w.id);
	args[1] = Int64GetDatum((int64) source_position());
	args[2] = PointerGetDatum(build_checkpoint());
	catalog_exec("INSERT INTO asp.checkpoints (processor_id, position, state) VALUES ($1, $2, $3) "
				 "ON CONFLICT (processor_id) DO UPDATE SET position = EXCLUDED.position, "
				 "state = EXCLUDED.state, created = pg_catalog.now()",
				 3, argtypes, args, SPI_OK_INSERT);
	if (final_state)
	{
		Oid			stypes[2] = {INT8OID, TEXTOID};
		Datum		sargs[2];

		sargs[0] = Int64GetDatum(w.id);
		sargs[1] = CStringGetTextDatum(final_state);
		catalog_exec("UPDATE asp.processors SET state = $2, "
					 "last_state_change = pg_catalog.now() "
					 "WHERE id OPERATOR(pg_catalog.=) $1 AND state OPERATOR(pg_catalog.=) 'STARTED'",
					 2, stypes, sargs, SPI_OK_UPDATE);
	}
	SPI_finish();
	PopActiveSnapshot();
}

/* ckpt_int64: an int64 field of a checkpoint's source document */
static bool
ckpt_int64(bson_iter_t *src, const char *key, int64 *out)
{
	bson_iter_t it = *src;

	if (!bson_iter_find(&it, key))
		return false;
	if (BSON_ITER_HOLDS_INT64(&it))
		*out = bson_iter_int64(&it);
	else if (BSON_ITER_HOLDS_DATE_TIME(&it))
		*out = bson_iter_date_time(&it);
	else if (BSON_ITER_HOLDS_INT32(&it))
		*out = bson_iter_int32(&it);
	else
		return false;
	return true;
}

/*
 * restore_checkpoint: continue from w.ckpt: the source's position and
 * parameters, then the engine's state.  A checkpoint that cannot be used
 * makes the processor FAILED.
 */
static void
restore_checkpoint(int64 now)
{
	bson_t		b;
	bson_iter_t it,
				src;
	const char *kind = w.p->source_kind == ASP_SOURCE_DOCUMENTS ? "documents" : "sample";
	int64		pos = 0,
				seed = 0,
				start = 0,
				period = 0,
				rate = 0,
				devices = 0;
	asp_error	err;

	if (!bson_init_static(&b, (const uint8_t *) VARDATA_ANY(w.ckpt), VARSIZE_ANY_EXHDR(w.ckpt)) ||
		!bson_iter_init_find(&it, &b, "source") || !BSON_ITER_HOLDS_DOCUMENT(&it) ||
		!bson_iter_recurse(&it, &src))
		fail_now("the checkpoint is not readable; modify the processor with resume_from_checkpoint => false to start afresh");
	{
		bson_iter_t k = src;

		if (!bson_iter_find(&k, "kind") || !BSON_ITER_HOLDS_UTF8(&k) ||
			strcmp(bson_iter_utf8(&k, NULL), kind) != 0 || !ckpt_int64(&src, "position", &pos) ||
			pos < 0)
			fail_now("the checkpoint was taken with another source; modify the processor with resume_from_checkpoint => false to start afresh");
	}
	{
		bson_iter_t d = src;

		w.source_done = bson_iter_find(&d, "done") && BSON_ITER_HOLDS_BOOL(&d) && bson_iter_bool(&d);
	}
	if (w.p->source_kind == ASP_SOURCE_DOCUMENTS)
		w.doc_pos = (uint64) pos;
	else
	{
		if (!ckpt_int64(&src, "seed", &seed) || !ckpt_int64(&src, "start", &start) ||
			!ckpt_int64(&src, "period", &period) || period < 1)
			fail_now("the checkpoint has no generator parameters; modify the processor with resume_from_checkpoint => false to start afresh");
		if (ckpt_int64(&src, "rate", &rate) && rate >= 1)
			w.gen_rate = (int) rate;
		if (ckpt_int64(&src, "devices", &devices) && devices >= 1 && devices <= 100000)
			w.gen.ndevices = (int) devices;
		w.gen.seed = (uint64) seed;
		w.gen.start_ms = start;
		w.gen.period_ms = period;
		w.gen_pos = (uint64) pos;
		w.pace_anchor_ms = now - (int64) (w.gen_pos / w.gen.ndevices) * w.gen.period_ms;
	}
	asp_error_init(&err);
	if (!bson_iter_init_find(&it, &b, "engine") || !BSON_ITER_HOLDS_DOCUMENT(&it))
		fail_now("the checkpoint has no engine state; modify the processor with resume_from_checkpoint => false to start afresh");
	{
		uint32_t	len;
		const uint8_t *data;

		bson_iter_document(&it, &len, &data);
		if (!asp_exec_restore(w.x, data, len, &err))
			fail_now(psprintf("%s; modify the processor with resume_from_checkpoint => false to start afresh",
							  err.message));
	}
	ereport(LOG,
			(errmsg("stream processor \"%s\" resumes from its checkpoint at position " INT64_FORMAT,
					w.name, pos)));
}

/* op_add: add one stage's counters to entry k of the slot's operatorStats */
static void
op_add(int k, const char *name, uint64 in, uint64 out, uint64 dlq, uint64 ns, uint64 mem)
{
	AspOperatorStat *o;
	bool		fold = k >= ASP_MAX_OPSTATS;

	/* stages past the last entry are summed into it */
	if (fold)
		k = ASP_MAX_OPSTATS - 1;
	o = &w.slot->ops[k];
	if (!w.op_names_set && !fold)
		strlcpy(o->name, name, ASP_OPNAME_LEN);
	if (fold)
	{
		/* entries are written in order: the last one already has its own part */
		in += pg_atomic_read_u64(&o->input_count);
		out += pg_atomic_read_u64(&o->output_count);
		dlq += pg_atomic_read_u64(&o->dlq_count);
		ns += pg_atomic_read_u64(&o->time_ns);
		mem += pg_atomic_read_u64(&o->memory);
	}
	pg_atomic_write_u64(&o->input_count, in);
	pg_atomic_write_u64(&o->output_count, out);
	pg_atomic_write_u64(&o->dlq_count, dlq);
	pg_atomic_write_u64(&o->time_ns, ns);
	pg_atomic_write_u64(&o->memory, mem);
}

/*
 * publish_operator_stats: the per-stage statistics into the slot, since
 * the worker started: $source (documents read, documents passed on, its
 * dead letters, the time of the whole engine per round), each stage's
 * counters, the sink (documents reaching it, rows written, its dead
 * letters, the time of its writes)
 */
static void
publish_operator_stats(const asp_exec_stats *st)
{
	uint64		in = st->input_count - w.run_base.input_count;
	uint64		reached = st->output_count - w.run_base.output_count;
	int			k = 0;

	if (w.op_dlq == NULL)
		return;
	w.max_state = Max(w.max_state, (uint64) st->state_bytes);
	op_add(k, "$source", in, w.p->first ? w.p->first->in_docs : reached, w.op_dlq[0],
		   w.engine_ns, 0);
	for (int i = 0; i < w.p->nall; i++)
	{
		asp_stage  *s = w.p->stages[i];

		k++;
		op_add(k, s->name, s->in_docs, s->out_docs, w.op_dlq[k], 0,
			   s == w.p->window ? w.max_state : 0);
	}
	if (w.p->sink_kind != ASP_SINK_NONE)
	{
		k++;
		op_add(k, w.p->sink_kind == ASP_SINK_MERGE ? "$merge" : "$emit", reached,
			   reached > w.sink_dlq_count ? reached - w.sink_dlq_count : 0,
			   w.sink_dlq_count, w.sink_ns, 0);
	}
	if (!w.op_names_set)
	{
		pg_write_barrier();
		pg_atomic_write_u32(&w.slot->nops, (uint32) Min(k + 1, ASP_MAX_OPSTATS));
		w.op_names_set = true;
	}
}

/* publish_stats: the executor's statistics into the slot */
static void
publish_stats(void)
{
	asp_exec_stats st;

	asp_exec_get_stats(w.x, &st);
	pg_atomic_write_u64(&w.slot->input_count, st.input_count);
	pg_atomic_write_u64(&w.slot->input_bytes, st.input_bytes);
	pg_atomic_write_u64(&w.slot->output_count, st.output_count);
	pg_atomic_write_u64(&w.slot->output_bytes, st.output_bytes);
	pg_atomic_write_u64(&w.slot->dlq_count, st.dlq_count + w.sink_dlq_count);
	pg_atomic_write_u64(&w.slot->dlq_bytes, st.dlq_bytes + w.sink_dlq_bytes);
	pg_atomic_write_u64(&w.slot->state_bytes, st.state_bytes);
	pg_atomic_write_u64(&w.slot->watermark, (uint64) st.watermark);
	publish_operator_stats(&st);
}

/*
 * commit_round: write the checkpoint and commit the open transaction, so
 * that the output since the last checkpoint and the checkpoint that
 * covers it become visible together, or (on a crash) not at all.
 * final_state: also set the processor's state (stopping).  A checkpoint
 * equal to the last one (nothing came in or out) is not written again.
 * The statistics in the slot are published here, after the commit.
 */
static void
commit_round(const char *final_state)
{
	asp_exec_stats st;
	uint64		sig[5];
	static uint64 last_sig[5];
	static bool have_last_sig = false;

	asp_exec_get_stats(w.x, &st);
	sig[0] = st.input_count;
	sig[1] = st.output_count;
	sig[2] = st.dlq_count;
	sig[3] = (uint64) st.watermark;
	sig[4] = (uint64) source_position() * 2 + (w.source_done ? 1 : 0);
	if (final_state || !have_last_sig || memcmp(sig, last_sig, sizeof(sig)) != 0)
	{
		write_checkpoint(final_state);
		memcpy(last_sig, sig, sizeof(sig));
		have_last_sig = true;
	}
	CommitTransactionCommand();
	w.in_xact = false;
	w.last_commit = GetCurrentTimestamp();
	pgstat_report_stat(false);
	pgstat_report_activity(STATE_IDLE, NULL);
	/* the statistics describe committed work only */
	publish_stats();
}

/*
 * close_sinks: free the $merge and DLQ sinks (their batches are written:
 * each round flushes them).  They stay open from their first write in a
 * transaction until it commits, so a table is read and its statement
 * prepared once per transaction, not once per round.
 */
static void
close_sinks(void)
{
	asp_pg_sink_free(w.sink);
	w.sink = NULL;
	asp_pg_sink_free(w.dlq);
	w.dlq = NULL;
}

/*
 * run_round: one round of the loop.  Rounds share one transaction until
 * asp.checkpoint_interval has passed since the last commit; then the
 * checkpoint is written and the transaction commits.
 */
static void
run_round(void)
{
	int64		now = unix_now_ms();

	if (!w.in_xact)
	{
		SetCurrentStatementStartTimestamp();
		StartTransactionCommand();
		w.in_xact = true;
	}
	PushActiveSnapshot(GetTransactionSnapshot());
	pgstat_report_activity(STATE_RUNNING, "asp stream processor: processing");
	PG_TRY();
	{
		struct timespec t0,
					t2;
		uint64		round_ns,
					write_ns;

		/* timed per round, not per document */
		clock_gettime(CLOCK_MONOTONIC, &t0);
		asp_exec_set_now(w.x, now);
		push_due(now);
		check(asp_exec_tick(w.x, now));
		check(asp_exec_end_batch(w.x));
		if (w.sink)
			asp_pg_sink_flush(w.sink);
		if (w.dlq)
			asp_pg_sink_flush(w.dlq);
		clock_gettime(CLOCK_MONOTONIC, &t2);
		/* the sinks' batches: those written at the end and those that filled up on the way */
		round_ns = (uint64) ((t2.tv_sec - t0.tv_sec) * INT64CONST(1000000000) +
							 (t2.tv_nsec - t0.tv_nsec));
		write_ns = asp_pg_sink_take_time_ns(w.sink) + asp_pg_sink_take_time_ns(w.dlq);
		write_ns = Min(write_ns, round_ns);
		w.engine_ns += round_ns - write_ns;
		w.sink_ns += write_ns;
	}
	PG_CATCH();
	{
		close_sinks();
		PG_RE_THROW();
	}
	PG_END_TRY();
	PopActiveSnapshot();
	if (asp_checkpoint_interval_ms <= 0 ||
		TimestampDifferenceExceeds(w.last_commit, GetCurrentTimestamp(), asp_checkpoint_interval_ms))
	{
		close_sinks();
		commit_round(NULL);
	}
}

/* read_sample_options: options.sample (validated by asp.create_processor) */
static void
read_sample_options(bson_iter_t *opt)
{
	bson_iter_t it;

	w.sample_pinned = true;
	if (!bson_iter_recurse(opt, &it))
		return;
	while (bson_iter_next(&it))
	{
		const char *k = bson_iter_key(&it);
		int64		n = BSON_ITER_HOLDS_INT32(&it) ? bson_iter_int32(&it) :
			BSON_ITER_HOLDS_INT64(&it) ? bson_iter_int64(&it) : 0;

		if (strcmp(k, "seed") == 0)
		{
			w.sample_have_seed = true;
			w.sample_seed = (uint64) n;
		}
		else if (strcmp(k, "start") == 0 && BSON_ITER_HOLDS_DATE_TIME(&it))
		{
			w.sample_have_start = true;
			w.sample_start_ms = bson_iter_date_time(&it);
		}
		else if (strcmp(k, "rate") == 0)
			w.sample_rate = (int) Min(Max(n, 1), 1000);
		else if (strcmp(k, "devices") == 0)
			w.sample_devices = (int) Min(Max(n, 1), 100000);
		else if (strcmp(k, "maxDocs") == 0)
			w.sample_max_docs = Max(n, 0);
		else if (strcmp(k, "unthrottled") == 0 && BSON_ITER_HOLDS_BOOL(&it))
			w.sample_unthrottled = bson_iter_bool(&it);
	}
}

/*
 * load: read the processor's row and compile its pipeline.  Returns false
 * when the processor is no longer STARTED (or gone).
 */
static bool
load(Oid owner)
{
	Oid			argtypes[1] = {INT8OID};
	Datum		args[1];
	bool		found = false;
	char	   *pipeline = NULL;
	char	   *options = NULL;
	MemoryContext top = TopMemoryContext;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	PushActiveSnapshot(GetTransactionSnapshot());
	args[0] = Int64GetDatum(w.id);
	catalog_exec("SELECT p.name, p.pipeline, p.options, p.owner, p.resume_from_checkpoint, c.state "
				 "FROM asp.processors p LEFT JOIN asp.checkpoints c "
				 "ON c.processor_id OPERATOR(pg_catalog.=) p.id "
				 "WHERE p.id OPERATOR(pg_catalog.=) $1 AND p.state OPERATOR(pg_catalog.=) 'STARTED'",
				 1, argtypes, args, SPI_OK_SELECT);
	if (SPI_processed == 1)
	{
		bool		isnull;
		HeapTuple	tup = SPI_tuptable->vals[0];
		TupleDesc	td = SPI_tuptable->tupdesc;

		if (DatumGetObjectId(SPI_getbinval(tup, td, 4, &isnull)) == owner)
		{
			found = true;
			w.name = MemoryContextStrdup(top, SPI_getvalue(tup, td, 1));
			pipeline = MemoryContextStrdup(top, SPI_getvalue(tup, td, 2));
			options = MemoryContextStrdup(top, SPI_getvalue(tup, td, 3));
			w.resume = DatumGetBool(SPI_getbinval(tup, td, 5, &isnull)) && !isnull;
			{
				Datum		d = SPI_getbinval(tup, td, 6, &isnull);

				if (!isnull)
				{
					MemoryContext old = MemoryContextSwitchTo(top);

					w.ckpt = DatumGetByteaPCopy(d);
					MemoryContextSwitchTo(old);
				}
			}
		}
	}
	SPI_finish();
	PopActiveSnapshot();
	CommitTransactionCommand();
	if (!found)
		return false;
	pgstat_report_appname(w.name);

	/* compile (outside of any transaction only the text is needed) */
	StartTransactionCommand();
	PG_TRY();
	{
		text	   *t = cstring_to_text(pipeline);
		text	   *o = cstring_to_text(options);
		bson_t		ob;
		bool		is_array;
		bson_iter_t it;
		asp_refusal refusal;

		w.p = asp_compile_pipeline_text(t);
		bson_init(&ob);
		asp_parse_json_text(o, "invalid stream processor options", 16, &ob, &is_array);
		if (bson_iter_init_find(&it, &ob, "dlq") && BSON_ITER_HOLDS_DOCUMENT(&it))
		{
			uint32_t	len;
			const uint8_t *data;
			bson_t		into;

			bson_iter_document(&it, &len, &data);
			if (bson_init_static(&into, data, len))
			{
				w.dlq_spec_doc = bson_new();
				BSON_APPEND_DOCUMENT(w.dlq_spec_doc, "into", &into);
				w.dlq_spec.value_type = BSON_TYPE_DOCUMENT;
				w.dlq_spec.value.v_doc.data = (uint8_t *) bson_get_data(w.dlq_spec_doc);
				w.dlq_spec.value.v_doc.data_len = w.dlq_spec_doc->len;
			}
		}
		if (bson_iter_init_find(&it, &ob, "sample") && BSON_ITER_HOLDS_DOCUMENT(&it))
			read_sample_options(&it);
		/* grants may have changed since the start: FAILED at once */
		if (!asp_pipeline_access_ok(w.p, &ob, owner, w.name, false, &refusal))
			ereport(ERROR, (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE), errmsg("%s", refusal.message)));
		bson_destroy(&ob);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(top);
		edata = CopyErrorData();
		FlushErrorState();
		AbortCurrentTransaction();
		fail_now(edata->message);
	}
	PG_END_TRY();
	CommitTransactionCommand();

	if (w.p->source_kind != ASP_SOURCE_DOCUMENTS && w.p->source_kind != ASP_SOURCE_SAMPLE)
		fail_now(psprintf("stream processors cannot read from connection \"%s\" yet",
						  w.p->source_connection));
	if (w.p->sink_kind == ASP_SINK_EMIT ||
		(w.p->sink_kind == ASP_SINK_MERGE &&
		 asp_builtin_connection(NULL, w.p->sink_connection) != ASP_CONN_POSTGRES))
		fail_now(psprintf("stream processors cannot write to connection \"%s\" yet",
						  w.p->sink_connection));
	return true;
}

/* asp_worker_main: a stream processor worker's entry point */
void
asp_worker_main(Datum main_arg)
{
	AspWorkerArgs args;
	MemoryContext round_cxt;

	memset(&w, 0, sizeof(w));
	w.id = DatumGetInt64(main_arg);
	memcpy(&args, MyBgworkerEntry->bgw_extra, sizeof(args));
	if (args.slot < 0 || args.slot >= asp_shared->nslots)
		elog(ERROR, "asp worker: invalid slot %d", args.slot);
	w.slot = &asp_shared->slots[args.slot];

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();

	/* claim the slot */
	LWLockAcquire(asp_shared->lock, LW_EXCLUSIVE);
	if (!w.slot->in_use || w.slot->processor_id != w.id || w.slot->stop_requested)
	{
		LWLockRelease(asp_shared->lock);
		proc_exit(0);
	}
	w.slot->pid = MyProcPid;
	w.slot->pgprocno = MyProc->pgprocno;
	w.slot->last_error[0] = '\0';
	LWLockRelease(asp_shared->lock);

	BackgroundWorkerInitializeConnectionByOid(args.dboid, args.owner, 0);

	PG_TRY();
	{
		if (!load(args.owner))
		{
			release_slot();
			worker_cleanup();
			proc_exit(0);
		}
		w.x = asp_exec_new(w.p, exec_output, NULL);
		asp_exec_set_processor_name(w.x, w.name);
		/* window state between rounds: in shared memory (state_store.c) */
		if (w.p->window)
			asp_exec_set_state_store(w.x, asp_state_open(w.id, w.name));
		{
			int64		now = unix_now_ms();

			w.gen_rate = w.sample_rate > 0 ? w.sample_rate : asp_sample_rate;
			asp_solar_init(&w.gen, w.sample_have_seed ? w.sample_seed : 42,
						   w.sample_have_start ? w.sample_start_ms : now);
			w.gen.period_ms = Max(1000 / Max(w.gen_rate, 1), 1);
			if (w.sample_devices > 0)
				w.gen.ndevices = w.sample_devices;
			w.pace_anchor_ms = now;
			ereport(LOG, (errmsg("stream processor \"%s\" started", w.name)));
			if (w.resume && w.ckpt)
				restore_checkpoint(now);
		}

		w.started = GetCurrentTimestamp();
		w.last_commit = w.started;
		asp_exec_get_stats(w.x, &w.run_base);
		w.nops = w.p->nall + 1 + (w.p->sink_kind != ASP_SINK_NONE ? 1 : 0);
		w.op_dlq = MemoryContextAllocZero(TopMemoryContext, sizeof(uint64) * w.nops);
		round_cxt = AllocSetContextCreate(TopMemoryContext, "asp worker round",
										  ALLOCSET_DEFAULT_SIZES);
		for (;;)
		{
			MemoryContext old;
			bool		stop;

			CHECK_FOR_INTERRUPTS();
			if (ConfigReloadPending)
			{
				ConfigReloadPending = false;
				ProcessConfigFile(PGC_SIGHUP);
			}
			LWLockAcquire(asp_shared->lock, LW_SHARED);
			stop = w.slot->stop_requested;
			LWLockRelease(asp_shared->lock);
			if (stop)
				break;

			MemoryContextReset(round_cxt);
			old = MemoryContextSwitchTo(round_cxt);
			run_round();
			MemoryContextSwitchTo(old);

			if (TimestampDifferenceExceeds(w.started, GetCurrentTimestamp(), WORKER_HEALTHY_MS))
			{
				LWLockAcquire(asp_shared->lock, LW_EXCLUSIVE);
				w.slot->failures = 0;
				LWLockRelease(asp_shared->lock);
			}

			(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
							 w.source_more ? 0L : 100L, PG_WAIT_EXTENSION);
			ResetLatch(MyLatch);
		}
		/* the final checkpoint and STOPPED commit together */
		close_sinks();
		if (!w.in_xact)
		{
			SetCurrentStatementStartTimestamp();
			StartTransactionCommand();
			w.in_xact = true;
		}
		commit_round("STOPPED");
		ereport(LOG, (errmsg("stream processor \"%s\" stopped", w.name)));
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		/* keep the message for the launcher, then exit(1) */
		MemoryContextSwitchTo(TopMemoryContext);
		edata = CopyErrorData();
		LWLockAcquire(asp_shared->lock, LW_EXCLUSIVE);
		if (w.slot->processor_id == w.id)
			asp_slot_set_error(w.slot, edata->message);
		LWLockRelease(asp_shared->lock);
		EmitErrorReport();
		FlushErrorState();
		AbortOutOfAnyTransaction();
		if (asp_state_limit_hit())
		{
			/* over asp.max_state_memory: a restart would hit it again, FAILED at once */
			set_state("FAILED", edata->message);
			release_slot();
		}
		worker_cleanup();
		proc_exit(1);
	}
	PG_END_TRY();
	release_slot();
	worker_cleanup();
	proc_exit(0);
}
