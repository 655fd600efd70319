/*-------------------------------------------------------------------------
 *
 * launcher.c
 *	  The launcher: a static background worker that keeps a worker running
 *	  for every stream processor in state STARTED.
 *
 * It connects to asp.database_name as the bootstrap superuser and, once a
 * second or when its latch is set (asp.start_processor does, at commit),
 * reconciles the catalog with the slots:
 *
 * - a slot whose processor is no longer STARTED: its worker, if any, is
 *   asked to stop; without a worker the slot is freed (unless the
 *   asp.start_processor call that reserved it is still in progress);
 * - a STARTED processor without a slot gets one;
 * - a STARTED processor whose worker exited without freeing its slot
 *   failed: it is restarted after asp.restart_backoff_ms, doubled at each
 *   consecutive failure up to 60 s; after ASP_MAX_FAILURES consecutive
 *   failures the processor becomes FAILED with the last error.
 *
 * Worker handles are the launcher's own (bgw_notify_pid = the launcher).
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
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/proc.h"
#include "storage/procarray.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"

#include "runtime/runtime.h"

/* what the launcher knows of a slot's worker */
typedef struct launcher_slot
{
	int64		processor_id;	/* the processor the handle is for */
	BackgroundWorkerHandle *handle; /* NULL: no worker started */
} launcher_slot;

typedef struct started_processor
{
	int64		id;
	Oid			owner;
} started_processor;

static launcher_slot *lslots;

/* asp_register_launcher: register the launcher (from _PG_init, when preloaded) */
void
asp_register_launcher(void)
{
	BackgroundWorker worker;

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = 10;
	strlcpy(worker.bgw_library_name, "asp", BGW_MAXLEN);
	strlcpy(worker.bgw_function_name, "asp_launcher_main", BGW_MAXLEN);
	strlcpy(worker.bgw_name, "asp launcher", BGW_MAXLEN);
	strlcpy(worker.bgw_type, "asp launcher", BGW_MAXLEN);
	RegisterBackgroundWorker(&worker);
}

/* asp_restart_backoff: ms to wait before a restart after `failures` failures */
int64
asp_restart_backoff(int failures)
{
	int64		ms = asp_restart_backoff_ms;

	for (int i = 1; i < failures && ms < ASP_MAX_BACKOFF_MS; i++)
		ms *= 2;
	return Min(ms, ASP_MAX_BACKOFF_MS);
}

/* launcher_detach: shmem exit callback: the launcher no longer runs */
static void
launcher_detach(int code, Datum arg)
{
	(void) code;
	(void) arg;
	LWLockAcquire(asp_shared->lock, LW_EXCLUSIVE);
	if (asp_shared->launcher_pid == MyProcPid)
		asp_shared->launcher_pid = 0;
	LWLockRelease(asp_shared->lock);
}

/*
 * read_started: the processors in state STARTED, into *out (palloc'd in
 * the current memory context); false when the extension is not installed.
 * Runs in the caller's transaction.
 */
static bool
read_started(started_processor **out, int *n)
{
	bool		isnull;

	*out = NULL;
	*n = 0;
	if (SPI_execute("SELECT pg_catalog.to_regclass('asp.processors') IS NOT NULL", true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not look for asp.processors");
	if (!DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull)))
		return false;
	if (SPI_execute("SELECT id, owner FROM asp.processors WHERE state OPERATOR(pg_catalog.=) 'STARTED' "
					"ORDER BY id", true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read asp.processors");
	*n = (int) SPI_processed;
	*out = palloc0(sizeof(started_processor) * (*n + 1));
	for (int i = 0; i < *n; i++)
	{
		(*out)[i].id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull));
		(*out)[i].owner = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2, &isnull));
	}
	return true;
}

/* mark_failed: set a STARTED processor FAILED with error_msg (in the caller's transaction) */
static void
mark_failed(int64 id, const char *msg)
{
	Oid			argtypes[2] = {INT8OID, TEXTOID};
	Datum		args[2];

	args[0] = Int64GetDatum(id);
	args[1] = CStringGetTextDatum(msg);
	if (SPI_execute_with_args("UPDATE asp.processors SET state = 'FAILED', error_msg = $2, "
							  "last_state_change = pg_catalog.now() "
							  "WHERE id OPERATOR(pg_catalog.=) $1 AND state OPERATOR(pg_catalog.=) 'STARTED'",
							  2, argtypes, args, NULL, false, 0) != SPI_OK_UPDATE)
		elog(ERROR, "could not update asp.processors");
}

/* worker_running: does the launcher's worker for slot i still run? */
static bool
worker_running(int i)
{
	pid_t		pid;

	if (lslots[i].handle == NULL)
		return false;
	return GetBackgroundWorkerPid(lslots[i].handle, &pid) != BGWH_STOPPED;
}

/* start_worker: start the worker of slot i; false if none could be registered */
static bool
start_worker(int i, int64 id, Oid owner)
{
	BackgroundWorker worker;
	AspWorkerArgs args;

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = BGW_NEVER_RESTART;
	strlcpy(worker.bgw_library_name, "asp", BGW_MAXLEN);
	strlcpy(worker.bgw_function_name, "asp_worker_main", BGW_MAXLEN);
	snprintf(worker.bgw_name, BGW_MAXLEN, "asp stream processor %lld", (long long) id);
	strlcpy(worker.bgw_type, "asp stream processor", BGW_MAXLEN);
	worker.bgw_main_arg = Int64GetDatum(id);
	worker.bgw_notify_pid = MyProcPid;
	args.slot = i;
	args.dboid = MyDatabaseId;
	args.owner = owner;
	memcpy(worker.bgw_extra, &args, sizeof(args));

	lslots[i].processor_id = id;
	lslots[i].handle = NULL;
	if (!RegisterDynamicBackgroundWorker(&worker, &lslots[i].handle))
	{
		lslots[i].handle = NULL;
		ereport(WARNING,
				(errcode(ERRCODE_INSUFFICIENT_RESOURCES),
				 errmsg("could not start a worker for stream processor %lld", (long long) id),
				 errhint("You may need to increase max_worker_processes.")));
		return false;
	}
	return true;
}

/*
 * reconcile: one round of the launcher (in a transaction).  Returns how
 * long to sleep, in ms: until the next restart that is due, at most 1 s.
 */
static long
reconcile(void)
{
	started_processor *sp;
	int			nsp;
	TimestampTz now = GetCurrentTimestamp();
	TimestampTz wake = TimestampTzPlusMilliseconds(now, 1000);

	if (!read_started(&sp, &nsp))
		return 1000L;

	/* slots of processors no longer STARTED */
	for (int i = 0; i < asp_shared->nslots; i++)
	{
		AspSlot    *slot = &asp_shared->slots[i];
		bool		started = false;
		bool		running;

		LWLockAcquire(asp_shared->lock, LW_EXCLUSIVE);
		if (!slot->in_use)
		{
			LWLockRelease(asp_shared->lock);
			continue;
		}
		for (int j = 0; j < nsp; j++)
			if (sp[j].id == slot->processor_id)
				started = true;
		if (lslots[i].processor_id != slot->processor_id)
		{
			lslots[i].processor_id = slot->processor_id;
			lslots[i].handle = NULL;
		}
		running = worker_running(i) ||
			(slot->pid != 0 && kill(slot->pid, 0) == 0);
		if (!started)
		{
			if (running)
			{
				slot->stop_requested = true;
				asp_set_latch_of(slot->pgprocno);
			}
			else if (!TransactionIdIsValid(slot->reserve_xid) ||
					 !TransactionIdIsInProgress(slot->reserve_xid))
			{
				slot->in_use = false;
				lslots[i].handle = NULL;
			}
		}
		LWLockRelease(asp_shared->lock);
	}

	/* STARTED processors: a slot and a live worker each */
	for (int j = 0; j < nsp; j++)
	{
		int			i;
		AspSlot    *slot;
		char		err[ASP_ERROR_LEN];
		bool		failed = false;
		bool		start = false;

		CHECK_FOR_INTERRUPTS();
		LWLockAcquire(asp_shared->lock, LW_EXCLUSIVE);
		i = asp_slot_find(sp[j].id);
		if (i < 0)
		{
			i = asp_slot_alloc(sp[j].id);
			if (i < 0)
			{
				LWLockRelease(asp_shared->lock);
				ereport(WARNING,
						(errcode(ERRCODE_INSUFFICIENT_RESOURCES),
						 errmsg("no free slot for stream processor %lld", (long long) sp[j].id),
						 errhint("Increase asp.max_processors.")));
				continue;
			}
			lslots[i].processor_id = sp[j].id;
			lslots[i].handle = NULL;
		}
		slot = &asp_shared->slots[i];
		slot->reserve_xid = InvalidTransactionId;
		if (lslots[i].processor_id != sp[j].id)
		{
			lslots[i].processor_id = sp[j].id;
			lslots[i].handle = NULL;
		}
		if ((lslots[i].handle != NULL || slot->pid != 0) && !worker_running(i) &&
			!(slot->pid != 0 && kill(slot->pid, 0) == 0))
		{
			/* the worker exited but kept its slot: it failed */
			lslots[i].handle = NULL;
			slot->pid = 0;
			slot->pgprocno = -1;
			slot->failures++;
			if (slot->last_error[0] == '\0')
				asp_slot_set_error(slot, "the stream processor's worker exited unexpectedly");
			if (slot->failures >= ASP_MAX_FAILURES)
			{
				failed = true;
				strlcpy(err, slot->last_error, sizeof(err));
				slot->in_use = false;
			}
			else
				slot->next_start = TimestampTzPlusMilliseconds(now, asp_restart_backoff(slot->failures));
		}
		if (!failed && lslots[i].handle == NULL && slot->pid == 0 && now >= slot->next_start)
		{
			slot->stop_requested = false;
			start = true;
		}
		else if (!failed && lslots[i].handle == NULL && slot->pid == 0 && slot->next_start < wake)
			wake = slot->next_start;
		LWLockRelease(asp_shared->lock);

		if (failed)
		{
			ereport(LOG,
					(errmsg("stream processor %lld failed %d times in a row, the last time with: %s",
							(long long) sp[j].id, ASP_MAX_FAILURES, err)));
			mark_failed(sp[j].id, err);
		}
		else if (start)
			start_worker(i, sp[j].id, sp[j].owner);
	}
	{
		long		secs;
		int			usecs;

		TimestampDifference(now, wake, &secs, &usecs);
		return Max(secs * 1000L + usecs / 1000, 1L);
	}
}

/* asp_launcher_main: the launcher's entry point */
void
asp_launcher_main(Datum main_arg)
{
	MemoryContext round_cxt;
	long		sleep_ms = 1000L;

	(void) main_arg;
	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();

	BackgroundWorkerInitializeConnection(asp_database_name, NULL, 0);
	pgstat_report_appname("asp launcher");

	lslots = MemoryContextAllocZero(TopMemoryContext, sizeof(launcher_slot) * asp_shared->nslots);
	LWLockAcquire(asp_shared->lock, LW_EXCLUSIVE);
	asp_shared->launcher_pid = MyProcPid;
	asp_shared->launcher_pgprocno = MyProc->pgprocno;
	LWLockRelease(asp_shared->lock);
	before_shmem_exit(launcher_detach, (Datum) 0);

	round_cxt = AllocSetContextCreate(TopMemoryContext, "asp launcher round",
									  ALLOCSET_DEFAULT_SIZES);
	ereport(LOG, (errmsg("asp launcher started in database \"%s\"", asp_database_name)));

	for (;;)
	{
		MemoryContext old;

		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}

		MemoryContextReset(round_cxt);
		SetCurrentStatementStartTimestamp();
		StartTransactionCommand();
		old = MemoryContextSwitchTo(round_cxt);
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		PushActiveSnapshot(GetTransactionSnapshot());
		pgstat_report_activity(STATE_RUNNING, "asp launcher: checking stream processors");
		sleep_ms = reconcile();
		SPI_finish();
		PopActiveSnapshot();
		MemoryContextSwitchTo(old);
		CommitTransactionCommand();
		pgstat_report_stat(false);
		pgstat_report_activity(STATE_IDLE, NULL);

		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 sleep_ms, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
}
