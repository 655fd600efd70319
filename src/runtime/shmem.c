/*-------------------------------------------------------------------------
 *
 * shmem.c
 *	  Shared memory of the stream processor runtime: the slots of the
 *	  running processors and where the launcher is (see runtime.h).
 *
 * The space (the slots, then their sample buffers, see sample.c; and the
 * window state area, see state_store.c) and the LWLock tranches "asp" and
 * "asp_sample" (one lock per slot) are requested from shmem_request_hook;
 * the structs are set up from shmem_startup_hook, once, under
 * AddinShmemInitLock.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/proc.h"
#include "storage/shmem.h"

#include "runtime/runtime.h"

AspShared  *asp_shared = NULL;

static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;
static bool wake_at_commit = false;
static bool xact_callback_registered = false;

/* slots_size: bytes of AspShared with asp_max_processors slots, MAXALIGNed */
static Size
slots_size(void)
{
	return MAXALIGN(add_size(offsetof(AspShared, slots),
							 mul_size(sizeof(AspSlot), asp_max_processors)));
}

/*
 * shared_size: bytes of AspShared with asp_max_processors slots, followed
 * by the slots' sample buffers
 */
static Size
shared_size(void)
{
	return add_size(slots_size(), asp_sample_shmem_size());
}

/* asp_shmem_request: shmem_request_hook: our space and LWLock */
static void
asp_shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(shared_size());
	RequestAddinShmemSpace(asp_state_shmem_size());
	RequestNamedLWLockTranche("asp", 1);
	RequestNamedLWLockTranche("asp_sample", asp_max_processors);
}

/* asp_shmem_startup: shmem_startup_hook: set up AspShared once */
static void
asp_shmem_startup(void)
{
	bool		found;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();
	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	asp_shared = ShmemInitStruct("asp", shared_size(), &found);
	if (!found)
	{
		asp_shared->lock = &(GetNamedLWLockTranche("asp"))->lock;
		asp_shared->launcher_pid = 0;
		asp_shared->launcher_pgprocno = -1;
		asp_shared->nslots = asp_max_processors;
		for (int i = 0; i < asp_max_processors; i++)
		{
			AspSlot    *slot = &asp_shared->slots[i];

			pg_atomic_init_u64(&slot->input_count, 0);
			pg_atomic_init_u64(&slot->input_bytes, 0);
			pg_atomic_init_u64(&slot->output_count, 0);
			pg_atomic_init_u64(&slot->output_bytes, 0);
			pg_atomic_init_u64(&slot->dlq_count, 0);
			pg_atomic_init_u64(&slot->dlq_bytes, 0);
			pg_atomic_init_u64(&slot->state_bytes, 0);
			pg_atomic_init_u64(&slot->watermark, (uint64) PG_INT64_MIN);
			pg_atomic_init_u32(&slot->nops, 0);
			for (int j = 0; j < ASP_MAX_OPSTATS; j++)
			{
				slot->ops[j].name[0] = '\0';
				pg_atomic_init_u64(&slot->ops[j].input_count, 0);
				pg_atomic_init_u64(&slot->ops[j].output_count, 0);
				pg_atomic_init_u64(&slot->ops[j].dlq_count, 0);
				pg_atomic_init_u64(&slot->ops[j].time_ns, 0);
				pg_atomic_init_u64(&slot->ops[j].memory, 0);
			}
			asp_sample_init_slot(slot, i, (char *) asp_shared + slots_size() +
								 (Size) i * (Size) asp_sample_buffer_size);
			asp_slot_reset(slot, 0);
			slot->in_use = false;
		}
	}
	asp_state_shmem_startup();
	LWLockRelease(AddinShmemInitLock);
}

/* asp_shmem_init: install the hooks (from _PG_init, when preloaded) */
void
asp_shmem_init(void)
{
	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = asp_shmem_request;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = asp_shmem_startup;
}

/*
 * asp_slot_reset: make slot the fresh slot of a processor (in use, no
 * worker, no failures, zero statistics, empty sample).  Caller holds the lock
 * exclusively (or is setting up shared memory).
 */
void
asp_slot_reset(AspSlot *slot, int64 processor_id)
{
	slot->in_use = true;
	slot->processor_id = processor_id;
	slot->reserve_xid = InvalidTransactionId;
	slot->pid = 0;
	slot->pgprocno = -1;
	slot->stop_requested = false;
	slot->failures = 0;
	slot->next_start = 0;
	slot->last_error[0] = '\0';
	pg_atomic_write_u64(&slot->input_count, 0);
	pg_atomic_write_u64(&slot->input_bytes, 0);
	pg_atomic_write_u64(&slot->output_count, 0);
	pg_atomic_write_u64(&slot->output_bytes, 0);
	pg_atomic_write_u64(&slot->dlq_count, 0);
	pg_atomic_write_u64(&slot->dlq_bytes, 0);
	pg_atomic_write_u64(&slot->state_bytes, 0);
	pg_atomic_write_u64(&slot->watermark, (uint64) PG_INT64_MIN);
	pg_atomic_write_u32(&slot->nops, 0);
	asp_sample_clear(slot);
}

/* asp_slot_find: the index of the slot in use for a processor, or -1 (lock held) */
int
asp_slot_find(int64 processor_id)
{
	for (int i = 0; i < asp_shared->nslots; i++)
		if (asp_shared->slots[i].in_use && asp_shared->slots[i].processor_id == processor_id)
			return i;
	return -1;
}

/* asp_slot_alloc: a fresh slot for a processor, or -1 when all are in use (lock held exclusively) */
int
asp_slot_alloc(int64 processor_id)
{
	for (int i = 0; i < asp_shared->nslots; i++)
		if (!asp_shared->slots[i].in_use)
		{
			asp_slot_reset(&asp_shared->slots[i], processor_id);
			return i;
		}
	return -1;
}

/* asp_slot_set_error: the slot's last error (lock held exclusively) */
void
asp_slot_set_error(AspSlot *slot, const char *msg)
{
	strlcpy(slot->last_error, msg, ASP_ERROR_LEN);
}

/* asp_set_latch_of: set the latch of the process with this PGPROC number */
void
asp_set_latch_of(int pgprocno)
{
	if (pgprocno >= 0 && pgprocno < (int) ProcGlobal->allProcCount)
		SetLatch(&ProcGlobal->allProcs[pgprocno].procLatch);
}

/* asp_wake_launcher: set the launcher's latch, if it runs */
void
asp_wake_launcher(void)
{
	int			pgprocno;

	if (asp_shared == NULL)
		return;
	LWLockAcquire(asp_shared->lock, LW_SHARED);
	pgprocno = asp_shared->launcher_pid != 0 ? asp_shared->launcher_pgprocno : -1;
	LWLockRelease(asp_shared->lock);
	asp_set_latch_of(pgprocno);
}

/* wake_xact_callback: wake the launcher once the transaction committed */
static void
wake_xact_callback(XactEvent event, void *arg)
{
	(void) arg;
	if (event == XACT_EVENT_COMMIT && wake_at_commit)
		asp_wake_launcher();
	if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_ABORT ||
		event == XACT_EVENT_PARALLEL_COMMIT || event == XACT_EVENT_PARALLEL_ABORT)
		wake_at_commit = false;
}

/*
 * asp_wake_launcher_at_commit: wake the launcher when the current
 * transaction commits, so it sees the change it is woken for.
 */
void
asp_wake_launcher_at_commit(void)
{
	if (!xact_callback_registered)
	{
		RegisterXactCallback(wake_xact_callback, NULL);
		xact_callback_registered = true;
	}
	wake_at_commit = true;
}
