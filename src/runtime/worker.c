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
 * LOGIN: such a processor fails after its retries.
 *
 * The loop: read what the source has for this round (a documents array:
 * everything, then the windows close and the worker idles until stopped;
 * sample_stream_solar: the readings due by now, asp.sample_rate per device
 * per second from the worker's start, with their generated times), push
 * it through the executor and asp_exec_tick() in one transaction, in
 * which the $merge sink (and the dead letter queue table, options.dlq)
 * write their batches; then publish the statistics and sleep up to
 * 100 ms.  On a stop request: mark the processor STOPPED, free the slot,
 * exit(0).  An error ends the worker with exit code 1 after its message
 * is kept in the slot; the launcher restarts it with backoff.  A pipeline
 * that cannot run at all (it does not compile, or its source or sink
 * cannot run in a worker) makes the processor FAILED at once.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

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

/* most source documents pushed in one round */
#define WORKER_MAX_BATCH 10000

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
	asp_pg_sink *sink;			/* open during a round only */
	asp_pg_sink *dlq;			/* open during a round only */
	uint64		sink_dlq_count; /* DLQ documents from the sink */
	uint64		sink_dlq_bytes;
	bool		source_done;	/* documents array pushed and finished */
	asp_solar	gen;
	uint64		gen_pos;
	int			gen_rate;
	TimestampTz started;		/* when the loop began */
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
		w.dlq = asp_pg_sink_open(&w.dlq_spec, dlq_output, NULL);
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

/* exec_output: the executor's callback (the sink is opened on first use in a round) */
static void
exec_output(void *ud, asp_output_kind kind, const uint8_t *doc, uint32_t len)
{
	(void) ud;
	if (kind == ASP_OUTPUT_DLQ)
		to_dlq(doc, len, false);
	else if (w.p->sink_kind == ASP_SINK_MERGE)
	{
		if (w.sink == NULL)
			w.sink = asp_pg_sink_open(&w.p->sink_spec, sink_output, NULL);
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

/* push_due: push what the source has by now */
static void
push_due(int64 now)
{
	if (w.p->source_kind == ASP_SOURCE_DOCUMENTS)
	{
		if (!w.source_done)
		{
			check(asp_exec_push_source_documents(w.x));
			check(asp_exec_finish(w.x));
			w.source_done = true;
		}
		return;
	}
	if (asp_sample_rate != w.gen_rate)
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
		bson_t	   *doc = bson_new();

		PG_TRY();
		{
			for (int n = 0; n < WORKER_MAX_BATCH; n++)
			{
				int64		t = w.gen.start_ms + (int64) (w.gen_pos / w.gen.ndevices) * w.gen.period_ms;

				if (t > now)
					break;
				t = asp_solar_doc(&w.gen, w.gen_pos, doc);
				w.gen_pos++;
				check(asp_exec_push_source(w.x, bson_get_data(doc), doc->len, t, NULL));
			}
		}
		PG_FINALLY();
		{
			bson_destroy(doc);
		}
		PG_END_TRY();
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
}

/* run_round: one round of the loop, in one transaction */
static void
run_round(void)
{
	int64		now = unix_now_ms();

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
	pgstat_report_activity(STATE_RUNNING, "asp stream processor: processing");
	PG_TRY();
	{
		asp_exec_set_now(w.x, now);
		push_due(now);
		check(asp_exec_tick(w.x, now));
		if (w.sink)
			asp_pg_sink_flush(w.sink);
		if (w.dlq)
			asp_pg_sink_flush(w.dlq);
	}
	PG_FINALLY();
	{
		asp_pg_sink_free(w.sink);
		w.sink = NULL;
		asp_pg_sink_free(w.dlq);
		w.dlq = NULL;
	}
	PG_END_TRY();
	PopActiveSnapshot();
	CommitTransactionCommand();
	pgstat_report_stat(false);
	pgstat_report_activity(STATE_IDLE, NULL);
	publish_stats();
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
	catalog_exec("SELECT name, pipeline, options, owner FROM asp.processors "
				 "WHERE id OPERATOR(pg_catalog.=) $1 AND state OPERATOR(pg_catalog.=) 'STARTED'",
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
		w.gen_rate = asp_sample_rate;
		asp_solar_init(&w.gen, 42, unix_now_ms());
		w.gen.period_ms = Max(1000 / Max(w.gen_rate, 1), 1);
		ereport(LOG, (errmsg("stream processor \"%s\" started", w.name)));

		w.started = GetCurrentTimestamp();
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
							 100L, PG_WAIT_EXTENSION);
			ResetLatch(MyLatch);
		}
		set_state("STOPPED", NULL);
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
		worker_cleanup();
		proc_exit(1);
	}
	PG_END_TRY();
	release_slot();
	worker_cleanup();
	proc_exit(0);
}
