/*-------------------------------------------------------------------------
 *
 * processors.c
 *	  The stream processor catalog (asp.processors) and the functions that
 *	  manage it without running anything: asp.create_processor,
 *	  asp.modify_processor, asp.drop_processor and asp.list_processors, the
 *	  counterparts of sp.createStreamProcessor, sp.<name>.modify(),
 *	  sp.<name>.drop() and sp.listStreamProcessors() in mongosh.
 *
 * A processor's pipeline is validated when it is created or modified, with
 * the same errors as asp.process (it is parsed and compiled against the
 * connection registry), and stored as the text given: key order matters
 * in pipelines, so the text never goes through jsonb.
 *
 * Access.  The catalog table is not readable or writable by PUBLIC.  The
 * functions are not SECURITY DEFINER: they note the calling role (the
 * owner of a new processor, and who must own a processor to change or drop
 * it) and then read and write the catalog as the table's owner, the
 * extension's owner, in a security-restricted operation, as PostgreSQL
 * itself does for REFRESH MATERIALIZED VIEW (catalog.h).  (Inside a
 * SECURITY DEFINER function the calling role is no longer known.)  The
 * functions run with search_path = pg_catalog, pg_temp and qualify every
 * name.
 *
 * Privileges (privileges.h): managing processors takes asp_developer (its
 * own) or asp_admin (every one); reading them (list, stats, sample) also
 * asp_monitor.  A processor runs as its owner, so creating, modifying and
 * starting one checks that the owner may use its connections and write its
 * tables (the worker checks again when it starts).  Only superusers create
 * processors owned by another role.  Every management action, and every
 * refusal, is audited (audit.h).
 *
 * Processors are managed only when asp is in shared_preload_libraries:
 * they run in background workers registered at server start.
 * asp.start_processor, asp.stop_processor, asp.stats and asp.sample
 * (below) talk to them through shared memory (see runtime/runtime.h);
 * drop stops a running processor first.
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
#include "fmgr.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/latch.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

#include "engine/json_out.h"
#include "engine/pipeline.h"
#include "runtime/runtime.h"
#include "sql/asp_sql.h"
#include "sql/audit.h"
#include "sql/catalog.h"
#include "sql/pipeline_text.h"
#include "sql/privileges.h"

PG_FUNCTION_INFO_V1(asp_create_processor);
PG_FUNCTION_INFO_V1(asp_modify_processor);
PG_FUNCTION_INFO_V1(asp_drop_processor);
PG_FUNCTION_INFO_V1(asp_list_processors);
PG_FUNCTION_INFO_V1(asp_start_processor);
PG_FUNCTION_INFO_V1(asp_stop_processor);
PG_FUNCTION_INFO_V1(asp_stats);
PG_FUNCTION_INFO_V1(asp_sample);

/* how long asp.stop_processor waits for the worker, in ms */
#define STOP_WAIT_MS 10000

/* longest processor name, in characters (all ASCII) */
#define PROCESSOR_NAME_MAX 64

#define PROCESSOR_NAME_HINT \
	"A stream processor name matches ^[A-Za-z0-9_-]{1,64}$: 1 to 64 letters, digits, '_' or '-'."

#define DLQ_EXAMPLE \
	"{\"dlq\": {\"connectionName\": \"local\", \"db\": \"public\", \"coll\": \"solar_dlq\"}}"

/* require_preloaded: ERROR unless asp was loaded at server start */
static void
require_preloaded(void)
{
	if (!asp_preloaded)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("asp must be loaded through shared_preload_libraries to manage stream processors"),
				 errhint("Add 'asp' to shared_preload_libraries in postgresql.conf and restart the server.")));
}

/* arg_text: a text (or json) argument that must not be NULL */
static text *
arg_text(FunctionCallInfo fcinfo, int n, const char *what)
{
	if (PG_ARGISNULL(n))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be null", what)));
	return PG_GETARG_TEXT_PP(n);
}

/* arg_name: the processor name argument (argument 0) as a C string */
static char *
arg_name(FunctionCallInfo fcinfo)
{
	return text_to_cstring(arg_text(fcinfo, 0, "stream processor name"));
}

/* check_name: ERROR unless name is a valid processor name */
static void
check_name(const char *name)
{
	const char *p;
	int			nchars;

	if (name[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_NAME),
				 errmsg("invalid stream processor name \"\""),
				 errdetail("The name is empty."),
				 errhint(PROCESSOR_NAME_HINT)));
	for (p = name; *p; p += pg_mblen(p))
	{
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
			  (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_NAME),
					 errmsg("invalid stream processor name \"%s\"", name),
					 errdetail("The character \"%.*s\" is not allowed.", pg_mblen(p), p),
					 errhint(PROCESSOR_NAME_HINT)));
	}
	nchars = (int) strlen(name);	/* all ASCII by now */
	if (nchars > PROCESSOR_NAME_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_NAME),
				 errmsg("invalid stream processor name \"%s\"", name),
				 errdetail("The name is %d characters long; the limit is %d.",
						   nchars, PROCESSOR_NAME_MAX),
				 errhint(PROCESSOR_NAME_HINT)));
}

/* validate_pipeline: ERROR unless the text is a pipeline asp can run */
static void
validate_pipeline(text *t)
{
	asp_pipeline *p = asp_compile_pipeline_text(t);

	asp_pipeline_free(p);
}

/* options_error: ERROR about the options of a stream processor */
static void
options_error(const char *hint, const char *fmt,...) pg_attribute_printf(2, 3) pg_attribute_noreturn();

static void
options_error(const char *hint, const char *fmt,...)
{
	char		msg[256];
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid stream processor options: %s", msg),
			 hint ? errhint("%s", hint) : 0));
	pg_unreachable();
}

/*
 * validate_dlq: the "dlq" option, {connectionName, db, coll}: all three
 * required, non-empty strings; the connection must be "local" for now.
 */
static void
validate_dlq(bson_iter_t *it)
{
	static const char *const fields[] = {"connectionName", "db", "coll"};
	bool		seen[lengthof(fields)] = {false, false, false};
	bson_iter_t sub;
	int			i;

	if (!BSON_ITER_HOLDS_DOCUMENT(it) || !bson_iter_recurse(it, &sub))
		options_error("Write it as " DLQ_EXAMPLE ".", "\"dlq\" must be an object");
	while (bson_iter_next(&sub))
	{
		const char *k = bson_iter_key(&sub);
		const char *s;
		uint32_t	len;
		char		path[128];

		for (i = 0; i < (int) lengthof(fields); i++)
			if (strcmp(k, fields[i]) == 0)
				break;
		snprintf(path, sizeof(path), "dlq.%s", k);
		if (i == (int) lengthof(fields))
			options_error("dlq takes connectionName, db and coll.",
						  "unrecognized option \"%s\"", path);
		if (seen[i])
			options_error(NULL, "\"%s\" is given more than once", path);
		seen[i] = true;
		if (!BSON_ITER_HOLDS_UTF8(&sub))
			options_error("Write it as " DLQ_EXAMPLE ".", "\"%s\" must be a string", path);
		s = bson_iter_utf8(&sub, &len);
		if (len == 0 || strlen(s) != len)
			options_error("Write it as " DLQ_EXAMPLE ".",
						  "\"%s\" must be a non-empty string without NUL characters", path);
		if (i == 0 && strcmp(s, "local") != 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid stream processor options: \"dlq.connectionName\" must be \"local\""),
					 errdetail("The dead letter queue cannot be written to connection \"%s\".", s),
					 errhint("For now the dead letter queue can only be a table of this database: "
							 "connection \"local\", db the schema and coll the table.")));
	}
	for (i = 0; i < (int) lengthof(fields); i++)
	{
		char		path[32];

		snprintf(path, sizeof(path), "dlq.%s", fields[i]);
		if (!seen[i])
			options_error("Write it as " DLQ_EXAMPLE ".", "\"%s\" is required", path);
	}
}

#define SAMPLE_EXAMPLE "{\"sample\": {\"seed\": 1, \"start\": {\"$date\": \"2024-01-01T00:00:00Z\"}, \"rate\": 10, \"maxDocs\": 1000}}"

/*
 * validate_sample: the "sample" option, the sample_stream_solar
 * generator's parameters: seed (integer >= 0), start (a date: the event
 * time of the first reading), rate (readings per device per second,
 * 1..1000), maxDocs (the source ends after that many documents),
 * unthrottled (generate as fast as possible instead of in real time) and
 * devices (how many devices report, 1..100000; default 10).
 * All optional.
 */
static void
validate_sample(bson_iter_t *it)
{
	static const char *const fields[] = {"seed", "start", "rate", "maxDocs", "unthrottled", "devices"};
	bool		seen[lengthof(fields)] = {false};
	bson_iter_t sub;
	int			i;

	if (!BSON_ITER_HOLDS_DOCUMENT(it) || !bson_iter_recurse(it, &sub))
		options_error("Write it as " SAMPLE_EXAMPLE ".", "\"sample\" must be an object");
	while (bson_iter_next(&sub))
	{
		const char *k = bson_iter_key(&sub);
		char		path[128];
		int64		n = 0;

		for (i = 0; i < (int) lengthof(fields); i++)
			if (strcmp(k, fields[i]) == 0)
				break;
		snprintf(path, sizeof(path), "sample.%s", k);
		if (i == (int) lengthof(fields))
			options_error("sample takes seed, start, rate, maxDocs, unthrottled and devices.",
						  "unrecognized option \"%s\"", path);
		if (seen[i])
			options_error(NULL, "\"%s\" is given more than once", path);
		seen[i] = true;
		if (i == 1)
		{
			if (!BSON_ITER_HOLDS_DATE_TIME(&sub))
				options_error("Write it as {\"$date\": \"2024-01-01T00:00:00Z\"}.",
							  "\"%s\" must be a date", path);
			continue;
		}
		if (i == 4)
		{
			if (!BSON_ITER_HOLDS_BOOL(&sub))
				options_error(NULL, "\"%s\" must be true or false", path);
			continue;
		}
		if (BSON_ITER_HOLDS_INT32(&sub))
			n = bson_iter_int32(&sub);
		else if (BSON_ITER_HOLDS_INT64(&sub))
			n = bson_iter_int64(&sub);
		else
			options_error(NULL, "\"%s\" must be an integer", path);
		if ((i == 0 && n < 0) || (i == 2 && (n < 1 || n > 1000)) || (i == 3 && n < 1) ||
			(i == 5 && (n < 1 || n > 100000)))
			options_error(NULL, "\"%s\" must be %s", path,
						  i == 0 ? "at least 0" : i == 2 ? "between 1 and 1000" :
						  i == 5 ? "between 1 and 100000" : "at least 1");
	}
}

/* validate_options: ERROR unless the text is valid processor options */
static void
validate_options(text *t)
{
	bson_t		b;
	bool		is_array;
	bson_iter_t it;
	bool		have_dlq = false;
	bool		have_sample = false;

	bson_init(&b);
	asp_parse_json_text(t, "invalid stream processor options", 16, &b, &is_array);
	PG_TRY();
	{
		if (is_array)
			options_error("For example '" DLQ_EXAMPLE "'.", "options must be a JSON object");
		bson_iter_init(&it, &b);
		while (bson_iter_next(&it))
		{
			const char *k = bson_iter_key(&it);

			if (strcmp(k, "sample") == 0)
			{
				if (have_sample)
					options_error(NULL, "\"%s\" is given more than once", k);
				have_sample = true;
				validate_sample(&it);
				continue;
			}
			if (strcmp(k, "dlq") != 0)
				options_error("The options are dlq, e.g. '" DLQ_EXAMPLE "', and sample.",
							  "unrecognized option \"%s\"", k);
			if (have_dlq)
				options_error(NULL, "\"%s\" is given more than once", k);
			have_dlq = true;
			validate_dlq(&it);
		}
	}
	PG_FINALLY();
	{
		bson_destroy(&b);
	}
	PG_END_TRY();
}

/* a processor's catalog row */
typedef struct proc_row
{
	int64		id;
	Oid			owner;
	char	   *state;
	char	   *pipeline;
	char	   *options;
} proc_row;

#define MAY_MANAGE ((1 << ASP_ROLE_DEVELOPER))
#define MAY_READ ((1 << ASP_ROLE_DEVELOPER) | (1 << ASP_ROLE_MONITOR))

/*
 * require_processor_role: refuse unless the caller may manage processors
 * (asp_developer, asp_admin) or, without manage, read them (also
 * asp_monitor).  Checked before the processor is looked up, so that a
 * refused role learns nothing about it.
 */
static void
require_processor_role(bool manage, const char *action, const char *name)
{
	asp_require_role(manage ? MAY_MANAGE : MAY_READ, action, name,
					 manage ? "manage stream processors" : "read stream processors");
}

/*
 * read_processor: the row of the processor called name (catalog access
 * active), or ERROR if it does not exist or the caller may not act on it:
 * to manage it (manage), the caller must have the privileges of its owner
 * or be asp_admin; to read it (stats, sample), asp_monitor also may.  With
 * for_update the row is locked.  Strings are palloc'd in the memory
 * context of SPI_connect's caller, so they outlive asp_catalog_end.
 */
static void
read_processor(const char *name, Oid caller, bool for_update, bool manage,
			   const char *action, proc_row *row)
{
	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1];
	bool		isnull;
	HeapTuple	tup;
	TupleDesc	td;

	args[0] = CStringGetTextDatum(name);
	if (SPI_execute_with_args(for_update ?
							  "SELECT id, owner, state, pipeline, options FROM asp.processors "
							  "WHERE name OPERATOR(pg_catalog.=) $1 FOR UPDATE" :
							  "SELECT id, owner, state, pipeline, options FROM asp.processors "
							  "WHERE name OPERATOR(pg_catalog.=) $1",
							  1, argtypes, args, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read asp.processors");
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("stream processor \"%s\" does not exist", name),
				 errhint("asp.list_processors() shows the existing processors.")));
	tup = SPI_tuptable->vals[0];
	td = SPI_tuptable->tupdesc;
	row->id = DatumGetInt64(SPI_getbinval(tup, td, 1, &isnull));
	row->owner = DatumGetObjectId(SPI_getbinval(tup, td, 2, &isnull));
	row->state = asp_spi_strdup(SPI_getvalue(tup, td, 3));
	row->pipeline = asp_spi_strdup(SPI_getvalue(tup, td, 4));
	row->options = asp_spi_strdup(SPI_getvalue(tup, td, 5));
	if (!has_privs_of_role(caller, row->owner) &&
		!asp_has_role(caller, manage ? ASP_ROLE_ADMIN : ASP_ROLE_MONITOR))
	{
		asp_refusal r;

		asp_refusal_set(&r, "must be owner of stream processor \"%s\"", name);
		snprintf(r.detail, sizeof(r.detail), manage ?
				 "Only its owner, members of the owning role and members of asp_admin may change it." :
				 "Only its owner, members of the owning role and members of asp_monitor or asp_admin may read it.");
		asp_refuse(action, name, &r);
	}
}

/*
 * lock_processor: lock the catalog row of the processor called name, to
 * be changed by role caller ("modified" or "dropped" says how).  ERROR if
 * it does not exist, the caller may not manage it, or it runs.
 */
static void
lock_processor(const char *name, Oid caller, const char *action, const char *how,
			   proc_row *row)
{
	read_processor(name, caller, true, true, action, row);
	if (strcmp(row->state, "STARTED") == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("stream processor \"%s\" must be stopped to be %s", name, how),
				 errhint("Stop it first with asp.stop_processor('%s').", name)));
}

/*
 * check_runs_as_owner: refuse unless the processor's owner may use every
 * connection of the pipeline and its options and write the tables they
 * write (it runs as its owner).  The connections' rows are locked FOR KEY
 * SHARE, so that they are not dropped meanwhile.
 */
static void
check_runs_as_owner(const char *name, text *pipeline, text *options, Oid owner,
					const char *action)
{
	asp_pipeline *p = asp_compile_pipeline_text(pipeline);
	bson_t		ob;
	bool		is_array;
	asp_refusal r;
	volatile bool ok = false;

	bson_init(&ob);
	PG_TRY();
	{
		asp_parse_json_text(options, "invalid stream processor options", 16, &ob, &is_array);
		ok = asp_pipeline_access_ok(p, &ob, owner, name, true, &r);
	}
	PG_FINALLY();
	{
		asp_pipeline_free(p);
	}
	PG_END_TRY();
	bson_destroy(&ob);
	if (!ok)
		asp_refuse(action, name, &r);
}

/* set_stopped: STARTED -> STOPPED in the catalog (catalog access active) */
static void
set_stopped(int64 id)
{
	Oid			argtypes[1] = {INT8OID};
	Datum		args[1];

	args[0] = Int64GetDatum(id);
	if (SPI_execute_with_args("UPDATE asp.processors SET state = 'STOPPED', "
							  "last_state_change = pg_catalog.now() "
							  "WHERE id OPERATOR(pg_catalog.=) $1 AND state OPERATOR(pg_catalog.=) 'STARTED'",
							  1, argtypes, args, NULL, false, 0) != SPI_OK_UPDATE)
		elog(ERROR, "could not update asp.processors");
}

/*
 * request_stop: ask the worker of processor id to stop.  Returns true if a
 * live worker was asked, false if it has none.
 */
static bool
request_stop(int64 id)
{
	int			i;
	bool		live = false;
	int			pgprocno = -1;

	LWLockAcquire(asp_shared->lock, LW_EXCLUSIVE);
	i = asp_slot_find(id);
	if (i >= 0)
	{
		AspSlot    *slot = &asp_shared->slots[i];

		slot->stop_requested = true;
		if (slot->pid != 0 && kill(slot->pid, 0) == 0)
		{
			live = true;
			pgprocno = slot->pgprocno;
		}
	}
	LWLockRelease(asp_shared->lock);
	asp_set_latch_of(pgprocno);
	return live;
}

/* worker_gone: has the worker of processor id left its slot (or died)? */
static bool
worker_gone(int64 id)
{
	int			i;
	bool		gone = true;

	LWLockAcquire(asp_shared->lock, LW_SHARED);
	i = asp_slot_find(id);
	if (i >= 0)
	{
		AspSlot    *slot = &asp_shared->slots[i];

		gone = slot->pid == 0 || kill(slot->pid, 0) != 0;
	}
	LWLockRelease(asp_shared->lock);
	return gone;
}

/*
 * stop_processor: stop the processor called name if it is STARTED: ask its
 * worker to stop and wait up to STOP_WAIT_MS for it to mark the processor
 * STOPPED; without a worker (or after the wait) mark it STOPPED here.  The
 * row is not locked while waiting (the worker updates it).  With
 * quiet_if_not_started a processor that is not STARTED is left alone;
 * otherwise that is an error.
 */
static void
stop_processor(const char *name, Oid caller, bool quiet_if_not_started, const char *action)
{
	asp_catalog_access ca;
	proc_row	row;
	int64		id;

	asp_catalog_begin(&ca);
	read_processor(name, caller, false, true, action, &row);
	asp_catalog_end(&ca);
	id = row.id;
	if (strcmp(row.state, "STARTED") != 0)
	{
		if (quiet_if_not_started)
			return;
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("stream processor \"%s\" is not started", name),
				 errdetail("Its state is %s.", row.state)));
	}
	if (request_stop(id))
	{
		TimestampTz start = GetCurrentTimestamp();

		while (!worker_gone(id) &&
			   !TimestampDifferenceExceeds(start, GetCurrentTimestamp(), STOP_WAIT_MS))
		{
			(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
							 50L, PG_WAIT_EXTENSION);
			ResetLatch(MyLatch);
			CHECK_FOR_INTERRUPTS();
		}
		if (!worker_gone(id))
			ereport(WARNING,
					(errmsg("the worker of stream processor \"%s\" did not stop within %d seconds",
							name, STOP_WAIT_MS / 1000),
					 errdetail("The processor is marked STOPPED; its worker will stop by itself.")));
	}
	/* the worker marked it STOPPED, or there is none: do it here */
	asp_catalog_begin(&ca);
	set_stopped(id);
	asp_catalog_end(&ca);
}

/* start_processor: the work of asp.start_processor */
static Datum
start_processor(FunctionCallInfo fcinfo, asp_audit_info *ai)
{
	char	   *name;
	Oid			caller = GetUserId();
	asp_catalog_access ca;
	proc_row	row;
	int64		id;
	int			i;
	bool		busy = false;
	Oid			argtypes[1] = {INT8OID};
	Datum		args[1];

	require_preloaded();
	require_processor_role(true, ai->action, ai->target);
	name = arg_name(fcinfo);
	asp_catalog_begin(&ca);
	read_processor(name, caller, true, true, ai->action, &row);
	id = row.id;
	if (strcmp(row.state, "STARTED") == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("stream processor \"%s\" is already started", name)));
	/* grants may have changed since it was created */
	check_runs_as_owner(name, cstring_to_text(row.pipeline), cstring_to_text(row.options),
						row.owner, ai->action);

	/* reserve a slot, so that the processor surely gets one */
	LWLockAcquire(asp_shared->lock, LW_EXCLUSIVE);
	i = asp_slot_find(id);
	if (i >= 0)
	{
		AspSlot    *slot = &asp_shared->slots[i];

		/* the worker of an earlier run may still be stopping */
		busy = slot->pid != 0 && kill(slot->pid, 0) == 0;
		if (!busy)
			asp_slot_reset(slot, id);
	}
	else
		i = asp_slot_alloc(id);
	if (i >= 0 && !busy)
		asp_shared->slots[i].reserve_xid = GetTopTransactionId();
	LWLockRelease(asp_shared->lock);
	if (busy)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_IN_USE),
				 errmsg("stream processor \"%s\" is still stopping", name),
				 errhint("Try again in a moment.")));
	if (i < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_RESOURCES),
				 errmsg("cannot start stream processor \"%s\": %d stream processors are running already",
						name, asp_max_processors),
				 errhint("Stop another processor, or raise asp.max_processors (and max_worker_processes) and restart the server.")));

	args[0] = Int64GetDatum(id);
	if (SPI_execute_with_args("UPDATE asp.processors SET state = 'STARTED', error_msg = NULL, "
							  "last_state_change = pg_catalog.now() "
							  "WHERE id OPERATOR(pg_catalog.=) $1",
							  1, argtypes, args, NULL, false, 0) != SPI_OK_UPDATE)
		elog(ERROR, "could not update asp.processors");
	asp_catalog_end(&ca);
	asp_wake_launcher_at_commit();
	asp_audit_success(ai, NULL);
	PG_RETURN_VOID();
}

/*
 * asp_start_processor: SQL function asp.start_processor(name text), like
 * sp.<name>.start().  CREATED, STOPPED or FAILED -> STARTED; the launcher
 * starts a worker for it once the transaction commits.  The owner's
 * privileges are checked again (the worker checks them once more).
 */
Datum
asp_start_processor(PG_FUNCTION_ARGS)
{
	return asp_audit_run(fcinfo, "processor.start", false, start_processor);
}

/* stop_processor_body: the work of asp.stop_processor */
static Datum
stop_processor_body(FunctionCallInfo fcinfo, asp_audit_info *ai)
{
	require_preloaded();
	require_processor_role(true, ai->action, ai->target);
	stop_processor(arg_name(fcinfo), GetUserId(), false, ai->action);
	asp_audit_success(ai, NULL);
	PG_RETURN_VOID();
}

/*
 * asp_stop_processor: SQL function asp.stop_processor(name text), like
 * sp.<name>.stop(): waits up to 10 s for the worker to stop.
 */
Datum
asp_stop_processor(PG_FUNCTION_ARGS)
{
	return asp_audit_run(fcinfo, "processor.stop", false, stop_processor_body);
}

/* append_count: ,"key":n */
static void
append_count(StringInfo buf, const char *key, uint64 n)
{
	appendStringInfo(buf, ", \"%s\": " UINT64_FORMAT, key, n);
}

/*
 * asp_stats: SQL function asp.stats(name text, verbose boolean DEFAULT
 * false), like sp.<name>.stats(): the statistics of the processor's
 * current run as json, zeros when it does not run.
 */
Datum
asp_stats(PG_FUNCTION_ARGS)
{
	char	   *name;
	Oid			caller;
	asp_catalog_access ca;
	proc_row	row;
	char	   *state;
	int64		id;
	int			i;
	uint64		c[7] = {0, 0, 0, 0, 0, 0, 0};
	int64		watermark = PG_INT64_MIN;
	StringInfoData buf;
	bool		verbose = PG_GETARG_BOOL(1);
	int			nops = 0;
	char		opname[ASP_MAX_OPSTATS][ASP_OPNAME_LEN];
	uint64		opc[ASP_MAX_OPSTATS][5];

	require_preloaded();
	name = arg_name(fcinfo);
	require_processor_role(false, "processor.stats", name);
	caller = GetUserId();		/* before acting as the catalog's owner */
	asp_catalog_begin(&ca);
	read_processor(name, caller, false, false, "processor.stats", &row);
	asp_catalog_end(&ca);
	id = row.id;
	state = row.state;

	LWLockAcquire(asp_shared->lock, LW_SHARED);
	i = strcmp(state, "STARTED") == 0 ? asp_slot_find(id) : -1;
	if (i >= 0)
	{
		AspSlot    *slot = &asp_shared->slots[i];

		c[0] = pg_atomic_read_u64(&slot->input_count);
		c[1] = pg_atomic_read_u64(&slot->input_bytes);
		c[2] = pg_atomic_read_u64(&slot->output_count);
		c[3] = pg_atomic_read_u64(&slot->output_bytes);
		c[4] = pg_atomic_read_u64(&slot->dlq_count);
		c[5] = pg_atomic_read_u64(&slot->dlq_bytes);
		c[6] = pg_atomic_read_u64(&slot->state_bytes);
		watermark = (int64) pg_atomic_read_u64(&slot->watermark);
		if (verbose)
		{
			nops = (int) pg_atomic_read_u32(&slot->nops);
			pg_read_barrier();
			for (int j = 0; j < nops && j < ASP_MAX_OPSTATS; j++)
			{
				AspOperatorStat *o = &slot->ops[j];

				strlcpy(opname[j], o->name, ASP_OPNAME_LEN);
				opc[j][0] = pg_atomic_read_u64(&o->input_count);
				opc[j][1] = pg_atomic_read_u64(&o->output_count);
				opc[j][2] = pg_atomic_read_u64(&o->dlq_count);
				opc[j][3] = pg_atomic_read_u64(&o->time_ns);
				opc[j][4] = pg_atomic_read_u64(&o->memory);
			}
		}
	}
	LWLockRelease(asp_shared->lock);

	initStringInfo(&buf);
	appendStringInfoString(&buf, "{\"name\": ");
	escape_json(&buf, name);
	appendStringInfo(&buf, ", \"processorId\": \"" INT64_FORMAT "\", \"status\": ", id);
	escape_json(&buf, state);
	append_count(&buf, "inputMessageCount", c[0]);
	append_count(&buf, "inputMessageSize", c[1]);
	append_count(&buf, "outputMessageCount", c[2]);
	append_count(&buf, "outputMessageSize", c[3]);
	append_count(&buf, "dlqMessageCount", c[4]);
	append_count(&buf, "dlqMessageSize", c[5]);
	append_count(&buf, "stateSize", c[6]);
	if (watermark == PG_INT64_MIN)
		appendStringInfoString(&buf, ", \"watermark\": null");
	else
	{
		time_t		secs = (time_t) (watermark >= 0 ? watermark / 1000 : (watermark - 999) / 1000);
		int			ms = (int) (watermark - (int64) secs * 1000);
		struct tm	tm;

		gmtime_r(&secs, &tm);
		appendStringInfo(&buf, ", \"watermark\": \"%04d-%02d-%02dT%02d:%02d:%02d.%03dZ\"",
						 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
						 tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
	}
	if (verbose)
	{
		/* one entry per stage of the pipeline, since the worker started */
		appendStringInfoString(&buf, ", \"operatorStats\": [");
		for (int j = 0; j < nops && j < ASP_MAX_OPSTATS; j++)
		{
			appendStringInfoString(&buf, j > 0 ? ", {\"name\": " : "{\"name\": ");
			escape_json(&buf, opname[j]);
			append_count(&buf, "inputMessageCount", opc[j][0]);
			append_count(&buf, "outputMessageCount", opc[j][1]);
			append_count(&buf, "dlqMessageCount", opc[j][2]);
			append_count(&buf, "executionTimeMillis", opc[j][3] / 1000000);
			append_count(&buf, "maxMemoryUsage", opc[j][4]);
			appendStringInfoChar(&buf, '}');
		}
		appendStringInfoChar(&buf, ']');
	}
	appendStringInfoChar(&buf, '}');
	PG_RETURN_TEXT_P(cstring_to_text_with_len(buf.data, buf.len));
}

/* most documents one asp.sample call returns */
#define SAMPLE_MAX_DOCS 1000

/*
 * sample_docs: the JSON texts of the newest max_docs documents of the
 * sample of processor id (oldest first), in the current memory context;
 * *n is set to their number.  *skipped is set to the documents of the run
 * too big to keep.  The buffer is copied under the locks, converted after.
 */
static text **
sample_docs(int64 id, int max_docs, int *n, uint64 *skipped)
{
	char	   *buf = palloc(Max(asp_sample_buffer_size, 1));
	uint32		used = 0;
	int			ndocs = 0;
	int			i;
	uint32		pos = 0;
	text	  **docs;
	asp_strbuf	json;

	*skipped = 0;
	LWLockAcquire(asp_shared->lock, LW_SHARED);
	i = asp_slot_find(id);
	if (i >= 0)
		ndocs = asp_sample_copy(&asp_shared->slots[i], buf, &used, skipped);
	LWLockRelease(asp_shared->lock);

	*n = 0;
	docs = palloc(sizeof(text *) * Min(ndocs, max_docs) + 1);
	asp_strbuf_init(&json);
	for (int k = 0; k < ndocs; k++)
	{
		uint32		len;

		if (pos + sizeof(uint32) > used)
			break;
		memcpy(&len, buf + pos, sizeof(uint32));
		pos += sizeof(uint32);
		if (len > used - pos)
			break;
		if (k >= ndocs - max_docs)
		{
			asp_strbuf_reset(&json);
			if (!asp_bson_to_json((const uint8 *) buf + pos, len, false, &json))
			{
				asp_strbuf_free(&json);
				elog(ERROR, "could not convert a sample document to JSON");
			}
			docs[(*n)++] = cstring_to_text_with_len(json.data, (int) json.len);
		}
		pos += len;
	}
	asp_strbuf_free(&json);
	pfree(buf);
	return docs;
}

/* asp_sample_state: what asp.sample returns, one document per call */
typedef struct asp_sample_state
{
	text	  **docs;
	int			n;
} asp_sample_state;

/*
 * asp_sample: SQL function asp.sample(name text, max_docs integer
 * DEFAULT 10) RETURNS SETOF json, like sp.<name>.sample(): the most recent
 * output documents of a running processor (at most max_docs, 1 to 1000,
 * newest last), from its sample buffer of asp.sample_buffer_size bytes.
 */
Datum
asp_sample(PG_FUNCTION_ARGS)
{
	FuncCallContext *funcctx;
	asp_sample_state *st;

	if (SRF_IS_FIRSTCALL())
	{
		char	   *name;
		int			max_docs;
		Oid			caller;
		asp_catalog_access ca;
		proc_row	row;
		char	   *state;
		int64		id;
		uint64		skipped;
		MemoryContext old;

		require_preloaded();
		name = arg_name(fcinfo);
		if (PG_ARGISNULL(1))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("max_docs must not be null")));
		max_docs = PG_GETARG_INT32(1);
		if (max_docs < 1 || max_docs > SAMPLE_MAX_DOCS)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("max_docs must be between 1 and %d", SAMPLE_MAX_DOCS),
					 errdetail("max_docs is %d.", max_docs)));
		require_processor_role(false, "processor.sample", name);
		caller = GetUserId();	/* before acting as the catalog's owner */
		asp_catalog_begin(&ca);
		read_processor(name, caller, false, false, "processor.sample", &row);
		asp_catalog_end(&ca);
		id = row.id;
		state = row.state;
		if (strcmp(state, "STARTED") != 0)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("stream processor \"%s\" is not running", name),
					 errdetail("Its state is %s.", state),
					 errhint("Start it with asp.start_processor('%s').", name)));

		funcctx = SRF_FIRSTCALL_INIT();
		old = MemoryContextSwitchTo(funcctx->multi_call_memory_ctx);
		st = palloc(sizeof(asp_sample_state));
		st->docs = sample_docs(id, max_docs, &st->n, &skipped);
		MemoryContextSwitchTo(old);
		if (skipped > 0)
			ereport(NOTICE,
					(errmsg_plural("%llu output document of stream processor \"%s\" was too large for its sample",
								   "%llu output documents of stream processor \"%s\" were too large for its sample",
								   (unsigned long) skipped,
								   (unsigned long long) skipped, name),
					 errhint("Raise asp.sample_buffer_size (%d bytes) and restart the server.",
							 asp_sample_buffer_size)));
		funcctx->user_fctx = st;
	}
	funcctx = SRF_PERCALL_SETUP();
	st = funcctx->user_fctx;
	if (funcctx->call_cntr < (uint64) st->n)
	{
		/* SRF_RETURN_NEXT advances call_cntr before it returns the value */
		text	   *doc = st->docs[funcctx->call_cntr];

		SRF_RETURN_NEXT(funcctx, PointerGetDatum(doc));
	}
	SRF_RETURN_DONE(funcctx);
}

/* create_processor: the work of asp.create_processor */
static Datum
create_processor(FunctionCallInfo fcinfo, asp_audit_info *ai)
{
	char	   *name;
	text	   *pipeline;
	text	   *options;
	Oid			caller = GetUserId();
	Oid			owner = caller;
	asp_catalog_access ca;
	Oid			argtypes[4] = {TEXTOID, TEXTOID, TEXTOID, OIDOID};
	Datum		args[4];

	require_preloaded();
	require_processor_role(true, ai->action, ai->target);
	name = arg_name(fcinfo);
	pipeline = arg_text(fcinfo, 1, "pipeline");
	options = PG_ARGISNULL(2) ? cstring_to_text("{}") : PG_GETARG_TEXT_PP(2);
	if (!PG_ARGISNULL(3))
		owner = PG_GETARG_OID(3);
	if (owner != caller && !superuser())
	{
		asp_refusal r;

		asp_refusal_set(&r, "only superusers may create stream processors owned by another role");
		snprintf(r.detail, sizeof(r.detail), "Role \"%s\" asked for owner \"%s\".",
				 GetUserNameFromId(caller, false), GetUserNameFromId(owner, false));
		snprintf(r.hint, sizeof(r.hint), "Omit owner: the processor belongs to the role that creates it.");
		asp_refuse(ai->action, name, &r);
	}
	check_name(name);
	validate_pipeline(pipeline);
	validate_options(options);
	/* it runs as its owner: the owner must be able to run it */
	check_runs_as_owner(name, pipeline, options, owner, ai->action);

	args[0] = CStringGetTextDatum(name);
	args[1] = PointerGetDatum(pipeline);
	args[2] = PointerGetDatum(options);
	args[3] = ObjectIdGetDatum(owner);
	asp_catalog_begin(&ca);
	if (SPI_execute_with_args("INSERT INTO asp.processors (name, pipeline, options, owner) "
							  "VALUES ($1, $2, $3, $4) ON CONFLICT (name) DO NOTHING",
							  4, argtypes, args, NULL, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "could not insert into asp.processors");
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_OBJECT),
				 errmsg("stream processor \"%s\" already exists", name),
				 errhint("Choose another name, or change the processor with asp.modify_processor().")));
	asp_catalog_end(&ca);
	asp_audit_success(ai, psprintf("owner %s", GetUserNameFromId(owner, false)));
	PG_RETURN_VOID();
}

/*
 * asp_create_processor: SQL function asp.create_processor(name text,
 * pipeline json, options json DEFAULT '{}', owner regrole DEFAULT NULL),
 * like sp.createStreamProcessor.  The processor belongs to the calling
 * role (a superuser may name another owner) and is in state CREATED.
 */
Datum
asp_create_processor(PG_FUNCTION_ARGS)
{
	return asp_audit_run(fcinfo, "processor.create", false, create_processor);
}

/* modify_processor: the work of asp.modify_processor */
static Datum
modify_processor(FunctionCallInfo fcinfo, asp_audit_info *ai)
{
	char	   *name;
	Oid			caller = GetUserId();
	asp_catalog_access ca;
	Oid			argtypes[4] = {TEXTOID, TEXTOID, TEXTOID, BOOLOID};
	Datum		args[4];
	char		nulls[5] = "    ";
	proc_row	row;
	StringInfoData changed;

	require_preloaded();
	require_processor_role(true, ai->action, ai->target);
	name = arg_name(fcinfo);
	args[0] = CStringGetTextDatum(name);
	args[1] = PG_ARGISNULL(1) ? (Datum) 0 : PointerGetDatum(PG_GETARG_TEXT_PP(1));
	args[2] = PG_ARGISNULL(2) ? (Datum) 0 : PointerGetDatum(PG_GETARG_TEXT_PP(2));
	args[3] = PG_ARGISNULL(3) ? (Datum) 0 : PG_GETARG_DATUM(3);
	for (int i = 1; i < 4; i++)
		if (PG_ARGISNULL(i))
			nulls[i] = 'n';

	asp_catalog_begin(&ca);
	lock_processor(name, caller, ai->action, "modified", &row);
	if (!PG_ARGISNULL(1))
		validate_pipeline(DatumGetTextPP(args[1]));
	if (!PG_ARGISNULL(2))
		validate_options(DatumGetTextPP(args[2]));
	if (!PG_ARGISNULL(1) || !PG_ARGISNULL(2))
		check_runs_as_owner(name,
							PG_ARGISNULL(1) ? cstring_to_text(row.pipeline) : DatumGetTextPP(args[1]),
							PG_ARGISNULL(2) ? cstring_to_text(row.options) : DatumGetTextPP(args[2]),
							row.owner, ai->action);
	if (SPI_execute_with_args("UPDATE asp.processors SET "
							  "pipeline = COALESCE($2, pipeline), "
							  "options = COALESCE($3, options), "
							  "resume_from_checkpoint = COALESCE($4, resume_from_checkpoint), "
							  "last_modified = pg_catalog.now() "
							  "WHERE name OPERATOR(pg_catalog.=) $1",
							  4, argtypes, args, nulls, false, 0) != SPI_OK_UPDATE)
		elog(ERROR, "could not update asp.processors");
	/* a new pipeline, or resume_from_checkpoint => false, discards the checkpoint */
	if (!PG_ARGISNULL(1) || (!PG_ARGISNULL(3) && !PG_GETARG_BOOL(3)))
	{
		if (SPI_execute_with_args("DELETE FROM asp.checkpoints WHERE processor_id OPERATOR(pg_catalog.=) "
								  "(SELECT id FROM asp.processors WHERE name OPERATOR(pg_catalog.=) $1)",
								  1, argtypes, args, nulls, false, 0) != SPI_OK_DELETE)
			elog(ERROR, "could not delete from asp.checkpoints");
	}
	asp_catalog_end(&ca);
	initStringInfo(&changed);
	if (!PG_ARGISNULL(1))
		appendStringInfoString(&changed, "pipeline");
	if (!PG_ARGISNULL(2))
		appendStringInfo(&changed, "%soptions", changed.len ? ", " : "");
	if (!PG_ARGISNULL(3))
		appendStringInfo(&changed, "%sresume_from_checkpoint %s", changed.len ? ", " : "",
						 PG_GETARG_BOOL(3) ? "true" : "false");
	asp_audit_success(ai, changed.len ? changed.data : NULL);
	PG_RETURN_VOID();
}

/*
 * asp_modify_processor: SQL function asp.modify_processor(name text,
 * pipeline json DEFAULT NULL, options json DEFAULT NULL,
 * resume_from_checkpoint boolean DEFAULT true), like sp.<name>.modify().
 * NULL arguments keep the current value; the processor must not run.
 */
Datum
asp_modify_processor(PG_FUNCTION_ARGS)
{
	return asp_audit_run(fcinfo, "processor.modify", false, modify_processor);
}

/* drop_processor: the work of asp.drop_processor */
static Datum
drop_processor(FunctionCallInfo fcinfo, asp_audit_info *ai)
{
	char	   *name;
	Oid			caller = GetUserId();
	asp_catalog_access ca;
	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1];
	proc_row	row;

	require_preloaded();
	require_processor_role(true, ai->action, ai->target);
	name = arg_name(fcinfo);
	args[0] = CStringGetTextDatum(name);
	/* a running processor is stopped first */
	stop_processor(name, caller, true, ai->action);
	asp_catalog_begin(&ca);
	lock_processor(name, caller, ai->action, "dropped", &row);
	if (SPI_execute_with_args("DELETE FROM asp.processors WHERE name OPERATOR(pg_catalog.=) $1",
							  1, argtypes, args, NULL, false, 0) != SPI_OK_DELETE)
		elog(ERROR, "could not delete from asp.processors");
	asp_catalog_end(&ca);
	asp_audit_success(ai, NULL);
	PG_RETURN_VOID();
}

/*
 * asp_drop_processor: SQL function asp.drop_processor(name text), like
 * sp.<name>.drop().  A running processor is stopped first.
 */
Datum
asp_drop_processor(PG_FUNCTION_ARGS)
{
	return asp_audit_run(fcinfo, "processor.drop", false, drop_processor);
}

/*
 * asp_list_processors: SQL function asp.list_processors(), like
 * sp.listStreamProcessors(): every processor for asp_monitor and
 * asp_admin, the caller's own (those whose owner's privileges it has) for
 * others, in creation order.
 */
Datum
asp_list_processors(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	asp_catalog_access ca;
	Datum	   *values;
	bool	   *nulls;
	Oid			caller = GetUserId();
	bool		all;

	require_preloaded();
	require_processor_role(false, "processor.list", NULL);
	all = asp_has_role(caller, ASP_ROLE_MONITOR);
	InitMaterializedSRF(fcinfo, 0);
	values = palloc(sizeof(Datum) * rsinfo->setDesc->natts);
	nulls = palloc(sizeof(bool) * rsinfo->setDesc->natts);

	asp_catalog_begin(&ca);
	if (SPI_execute("SELECT id, name, state, error_msg, pipeline::pg_catalog.json, "
					"options::pg_catalog.json, owner::pg_catalog.regrole, created, "
					"last_modified, last_state_change "
					"FROM asp.processors ORDER BY id", true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read asp.processors");
	if (SPI_tuptable->tupdesc->natts != rsinfo->setDesc->natts)
		elog(ERROR, "asp.list_processors returns %d columns, expected %d",
			 rsinfo->setDesc->natts, SPI_tuptable->tupdesc->natts);
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		heap_deform_tuple(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, values, nulls);
		if (!all && !has_privs_of_role(caller, DatumGetObjectId(values[6])))
			continue;
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	asp_catalog_end(&ca);
	return (Datum) 0;
}
