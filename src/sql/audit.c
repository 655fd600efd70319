/*-------------------------------------------------------------------------
 *
 * audit.c
 *	  The audit log (asp.audit_log) and how refused actions reach it.
 *
 * A refused action ends in an ERROR that rolls back the caller's
 * transaction, and PostgreSQL has no autonomous transactions.  So the row
 * of a refused action is handed to a dynamic background worker ("asp
 * audit") through a small dynamic shared memory segment; the worker
 * connects to the caller's database, inserts the row in a transaction of
 * its own, commits, marks the record done and exits, while the caller
 * waits (at most AUDIT_WAIT_MS) before raising the ERROR.  Refusals are
 * rare, so a process per refusal is cheap enough, and it is correct
 * whatever the caller's transaction does afterwards (ROLLBACK, a
 * savepoint, a PL/pgSQL exception block).  Without a free background
 * worker slot the row cannot be written: the LOG line remains, and the
 * caller gets a WARNING saying so.
 *
 * Audited functions run their work in a subtransaction (asp_audit_run),
 * so that any failure, not only a privilege check, is caught in a sane
 * state, recorded and raised again unchanged.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "storage/dsm.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "sql/audit.h"
#include "sql/catalog.h"

/* how long a refused action waits for its row to be written */
#define AUDIT_WAIT_MS 10000

/* a refused action's row, handed to the audit worker in a DSM segment */
typedef struct audit_record
{
	TimestampTz at;
	bool		done;			/* set by the worker once the row committed */
	char		role[NAMEDATALEN];
	char		action[64];
	char		target[256];
	char		detail[2048];
} audit_record;

/* asp_audit_run calls in progress: refusals inside them are recorded there */
static int	audit_depth = 0;

/* current_role_name: the calling role's name ("?" if it was dropped) */
static const char *
current_role_name(void)
{
	const char *name = GetUserNameFromId(GetUserId(), true);

	return name ? name : "?";
}

/* audit_log_line: the LOG line of an action (never with its statement) */
static void
audit_log_line(const char *role, const char *action, const char *target, bool success,
			   const char *detail)
{
	ereport(LOG,
			(errmsg("asp audit: role \"%s\" %s%s%s%s: %s%s%s",
					role, action, target ? " \"" : "", target ? target : "", target ? "\"" : "",
					success ? "succeeded" : "refused",
					detail && detail[0] ? ": " : "", detail ? detail : ""),
			 errhidestmt(true),
			 errhidecontext(true)));
}

/*
 * insert_row: append a row to asp.audit_log as its owner, in the current
 * transaction (a snapshot must be active or SPI takes one).
 */
static void
insert_row(TimestampTz at, const char *role, const char *action, const char *target,
		   bool success, const char *detail)
{
	asp_catalog_access ca;
	Oid			argtypes[6] = {TIMESTAMPTZOID, TEXTOID, TEXTOID, TEXTOID, BOOLOID, TEXTOID};
	Datum		args[6];
	char		nulls[7] = "      ";

	args[0] = TimestampTzGetDatum(at);
	args[1] = CStringGetTextDatum(role);
	args[2] = CStringGetTextDatum(action);
	args[3] = target ? CStringGetTextDatum(target) : (Datum) 0;
	args[4] = BoolGetDatum(success);
	args[5] = detail ? CStringGetTextDatum(detail) : (Datum) 0;
	if (!target)
		nulls[3] = 'n';
	if (!detail)
		nulls[5] = 'n';
	asp_catalog_begin(&ca);
	if (SPI_execute_with_args("INSERT INTO asp.audit_log (at, role, action, target, success, detail) "
							  "VALUES ($1, $2, $3, $4, $5, $6)",
							  6, argtypes, args, nulls, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "could not insert into asp.audit_log");
	asp_catalog_end(&ca);
}

/* asp_audit_success: record a successful action in the current transaction */
void
asp_audit_success(const asp_audit_info *ai, const char *detail)
{
	const char *role = current_role_name();

	audit_log_line(role, ai->action, ai->target, true, detail);
	insert_row(GetCurrentTimestamp(), role, ai->action, ai->target, true, detail);
}

/*
 * record_autonomously: have an audit worker write the row of r and wait
 * for it.  Returns whether the row was committed.
 */
static bool
record_autonomously(const audit_record *r)
{
	dsm_segment *seg;
	BackgroundWorker bw;
	BackgroundWorkerHandle *handle;
	TimestampTz start;
	bool		done;

	seg = dsm_create(sizeof(audit_record), 0);
	memcpy(dsm_segment_address(seg), r, sizeof(audit_record));

	memset(&bw, 0, sizeof(bw));
	bw.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	bw.bgw_start_time = BgWorkerStart_RecoveryFinished;
	bw.bgw_restart_time = BGW_NEVER_RESTART;
	strlcpy(bw.bgw_library_name, "asp", BGW_MAXLEN);
	strlcpy(bw.bgw_function_name, "asp_audit_worker_main", BGW_MAXLEN);
	strlcpy(bw.bgw_name, "asp audit", BGW_MAXLEN);
	strlcpy(bw.bgw_type, "asp audit", BGW_MAXLEN);
	bw.bgw_main_arg = UInt32GetDatum(dsm_segment_handle(seg));
	bw.bgw_notify_pid = MyProcPid;
	memcpy(bw.bgw_extra, &MyDatabaseId, sizeof(Oid));
	if (!RegisterDynamicBackgroundWorker(&bw, &handle))
	{
		dsm_detach(seg);
		return false;
	}

	/* wait until it has exited, so that nothing of it outlives the call */
	start = GetCurrentTimestamp();
	for (;;)
	{
		pid_t		pid;
		BgwHandleStatus st = GetBackgroundWorkerPid(handle, &pid);

		if (st == BGWH_STOPPED || st == BGWH_POSTMASTER_DIED)
			break;
		if (TimestampDifferenceExceeds(start, GetCurrentTimestamp(), AUDIT_WAIT_MS))
			break;
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 10L, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
	pg_memory_barrier();
	done = ((volatile audit_record *) dsm_segment_address(seg))->done;
	dsm_detach(seg);
	pfree(handle);
	return done;
}

/* record_refused: the LOG line and the row of a refused action */
static void
record_refused(const char *action, const char *target, int sqlerrcode, const char *message)
{
	audit_record r;
	char		detail[sizeof(r.detail)];

	snprintf(detail, sizeof(detail), "%s: %s", unpack_sql_state(sqlerrcode),
			 message ? message : "");
	memset(&r, 0, sizeof(r));
	r.at = GetCurrentTimestamp();
	strlcpy(r.role, current_role_name(), sizeof(r.role));
	strlcpy(r.action, action, sizeof(r.action));
	if (target)
		strlcpy(r.target, target, sizeof(r.target));
	strlcpy(r.detail, detail, sizeof(r.detail));
	audit_log_line(r.role, action, target, false, detail);
	if (!record_autonomously(&r))
		ereport(WARNING,
				(errmsg("the refused action %s could not be recorded in asp.audit_log", action),
				 errdetail("No background worker could write it (the server log has the refusal)."),
				 errhint("Raise max_worker_processes if all its workers are in use.")));
}

/* asp_audit_run: run an audited function's work in a subtransaction */
Datum
asp_audit_run(FunctionCallInfo fcinfo, const char *action, bool hide_stmt,
			  asp_audited_body body)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	ResourceOwner oldowner = CurrentResourceOwner;
	asp_audit_info *ai = palloc0(sizeof(asp_audit_info));
	Datum		result = (Datum) 0;

	ai->action = action;
	ai->hide_stmt = hide_stmt;
	if (PG_NARGS() > 0 && !PG_ARGISNULL(0))
		ai->target = text_to_cstring(PG_GETARG_TEXT_PP(0));

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(oldcxt);
	audit_depth++;
	PG_TRY();
	{
		result = body(fcinfo, ai);
		audit_depth--;
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcxt);
		CurrentResourceOwner = oldowner;
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		audit_depth = 0;
		MemoryContextSwitchTo(oldcxt);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcxt);
		CurrentResourceOwner = oldowner;

		record_refused(action, ai->target, edata->sqlerrcode, edata->message);
		if (hide_stmt)
			edata->hide_stmt = true;
		ReThrowError(edata);
	}
	PG_END_TRY();
	return result;
}

/* asp_refusal_set: fill a refusal's message; returns false */
bool
asp_refusal_set(asp_refusal *r, const char *fmt,...)
{
	va_list		ap;

	memset(r, 0, sizeof(*r));
	va_start(ap, fmt);
	vsnprintf(r->message, sizeof(r->message), fmt, ap);
	va_end(ap);
	return false;
}

/* asp_refuse: ERROR 42501, recorded first when no asp_audit_run records it */
void
asp_refuse(const char *action, const char *target, const asp_refusal *r)
{
	if (audit_depth == 0)
		record_refused(action, target, ERRCODE_INSUFFICIENT_PRIVILEGE, r->message);
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("%s", r->message),
			 r->detail[0] ? errdetail("%s", r->detail) : 0,
			 r->hint[0] ? errhint("%s", r->hint) : 0));
	pg_unreachable();
}

/*
 * asp_audit_worker_main: the audit worker.  Connects to the caller's
 * database (its oid in bgw_extra) as the bootstrap superuser, writes the
 * record of the DSM segment (handle in main_arg) as the log's owner,
 * commits and marks it done.
 */
void
asp_audit_worker_main(Datum main_arg)
{
	Oid			dboid;
	dsm_segment *seg;
	audit_record *r;

	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	memcpy(&dboid, MyBgworkerEntry->bgw_extra, sizeof(Oid));
	BackgroundWorkerInitializeConnectionByOid(dboid, InvalidOid, 0);

	seg = dsm_attach(DatumGetUInt32(main_arg));
	if (seg == NULL)
		proc_exit(0);			/* the caller gave up waiting */
	r = dsm_segment_address(seg);

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
	pgstat_report_activity(STATE_RUNNING, "asp audit");
	insert_row(r->at, r->role, r->action, r->target[0] ? r->target : NULL, false, r->detail);
	PopActiveSnapshot();
	CommitTransactionCommand();
	pgstat_report_activity(STATE_IDLE, NULL);

	pg_memory_barrier();
	r->done = true;
	dsm_detach(seg);
	proc_exit(0);
}
