/*-------------------------------------------------------------------------
 *
 * runtime.h
 *	  Running stream processors: the launcher, the workers and the shared
 *	  memory they use to talk to each other and to the SQL functions.
 *
 * One static background worker, the launcher, serves the database named
 * by asp.database_name: once a second (or when woken through its latch)
 * it reads the processors in state STARTED from asp.processors and makes
 * sure each has a worker, a dynamic background worker that runs the
 * pipeline.  Workers that fail are restarted with exponential backoff;
 * after ASP_MAX_FAILURES consecutive failures the processor is FAILED.
 *
 * Shared memory holds asp.max_processors slots, one per running
 * processor.  AspShared->lock (a named LWLock tranche "asp") protects
 * slot allocation and every field of a slot except the statistics, which
 * are pg_atomic_uint64 written only by the slot's worker and read without
 * the lock by asp.stats(), and the sample of recent output, which has
 * a lock of its own per slot (see sample.c).  The window state of the
 * processors is in a DSA area with a dshash table, locked by the table's
 * partition locks (see state_store.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef ASP_RUNTIME_H
#define ASP_RUNTIME_H

#include "postgres.h"

#include "port/atomics.h"
#include "storage/lwlock.h"
#include "utils/timestamp.h"

/* consecutive failed runs of a processor's worker before it is FAILED */
#define ASP_MAX_FAILURES 5

/* longest restart backoff, in ms */
#define ASP_MAX_BACKOFF_MS 60000

/* size of a slot's last error text, with its terminating NUL */
#define ASP_ERROR_LEN 256

/*
 * operatorStats of asp.stats(verbose => true): one entry per stage of the
 * processor's pipeline ($source and the sink included), at most
 * ASP_MAX_OPSTATS; the stages after the last entry are summed into it
 */
#define ASP_MAX_OPSTATS 32
#define ASP_OPNAME_LEN 32

typedef struct AspOperatorStat
{
	char		name[ASP_OPNAME_LEN];	/* "$source" */
	pg_atomic_uint64 input_count;
	pg_atomic_uint64 output_count;
	pg_atomic_uint64 dlq_count;
	pg_atomic_uint64 time_ns;
	pg_atomic_uint64 memory;	/* window state bytes (the window stage), else 0 */
} AspOperatorStat;

/* settings (src/asp.c) */
extern char *asp_database_name;
extern int	asp_max_processors;
extern int	asp_sample_rate;
extern int	asp_restart_backoff_ms;
extern int	asp_checkpoint_interval_ms;
extern int	asp_sample_buffer_size;
extern int	asp_max_state_memory;	/* kB, per processor */

/* AspSlot: one running (or starting) stream processor */
typedef struct AspSlot
{
	/* protected by AspShared->lock */
	bool		in_use;
	int64		processor_id;
	TransactionId reserve_xid;	/* asp.start_processor's transaction, or invalid */
	pid_t		pid;			/* the worker's pid while it runs, else 0 */
	int			pgprocno;		/* the worker's PGPROC (for its latch), or -1 */
	bool		stop_requested;
	int			failures;		/* consecutive failed runs (launcher and worker) */
	TimestampTz next_start;		/* launcher: earliest restart after a failure */
	char		last_error[ASP_ERROR_LEN];

	/* statistics: written by the slot's worker only, read without the lock */
	pg_atomic_uint64 input_count;
	pg_atomic_uint64 input_bytes;
	pg_atomic_uint64 output_count;
	pg_atomic_uint64 output_bytes;
	pg_atomic_uint64 dlq_count;
	pg_atomic_uint64 dlq_bytes;
	pg_atomic_uint64 state_bytes;
	pg_atomic_uint64 watermark; /* int64 ms since the epoch; INT64_MIN: none */
	/* per stage, since the worker started; the names are set before nops */
	pg_atomic_uint32 nops;		/* entries of ops in use; 0 until the first commit */
	AspOperatorStat ops[ASP_MAX_OPSTATS];

	/*
	 * the sample of recent output documents (sample.c): a ring buffer of
	 * records in shared memory, protected by sample_lock; set up with the
	 * shared memory, emptied by asp_slot_reset
	 */
	LWLock	   *sample_lock;	/* the slot's lock of the tranche "asp_sample" */
	char	   *sample_buf;		/* sample_cap bytes of shared memory */
	uint32		sample_cap;		/* asp.sample_buffer_size */
	uint32		sample_head;	/* offset of the oldest record */
	uint32		sample_used;	/* bytes of the records */
	int			sample_ndocs;	/* number of records */
	pg_atomic_uint64 sample_skipped;	/* documents too big to keep */
} AspSlot;

typedef struct AspShared
{
	LWLock	   *lock;
	pid_t		launcher_pid;	/* 0 when no launcher runs */
	int			launcher_pgprocno;
	int			nslots;
	AspSlot		slots[FLEXIBLE_ARRAY_MEMBER];
} AspShared;

/* what a worker gets in bgw_extra (bgw_main_arg is the processor id) */
typedef struct AspWorkerArgs
{
	int			slot;
	Oid			dboid;
	Oid			owner;
} AspWorkerArgs;

/* shmem.c */
extern AspShared *asp_shared;
extern void asp_shmem_init(void);
extern void asp_slot_reset(AspSlot *slot, int64 processor_id);
extern int	asp_slot_find(int64 processor_id);
extern int	asp_slot_alloc(int64 processor_id);
extern void asp_wake_launcher(void);
extern void asp_wake_launcher_at_commit(void);
extern void asp_slot_set_error(AspSlot *slot, const char *msg);
extern void asp_set_latch_of(int pgprocno);

/* sample.c */
extern Size asp_sample_shmem_size(void);
extern void asp_sample_init_slot(AspSlot *slot, int i, char *buf);
extern void asp_sample_clear(AspSlot *slot);
extern void asp_sample_push(AspSlot *slot, const uint8 *doc, uint32 len);
extern int	asp_sample_copy(AspSlot *slot, char *dst, uint32 *used, uint64 *skipped);

/* state_store.c: window state in shared memory (DSA + dshash) */
struct asp_state_store;
extern Size asp_state_shmem_size(void);
extern void asp_state_shmem_startup(void);
extern const struct asp_state_store *asp_state_open(int64 processor_id, const char *name);
extern void asp_state_close(void);
extern bool asp_state_limit_hit(void);

/* launcher.c */
extern void asp_register_launcher(void);
extern PGDLLEXPORT void asp_launcher_main(Datum main_arg);
extern int64 asp_restart_backoff(int failures);

/* worker.c */
extern PGDLLEXPORT void asp_worker_main(Datum main_arg);

#endif							/* ASP_RUNTIME_H */
