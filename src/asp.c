/*-------------------------------------------------------------------------
 *
 * asp.c
 *	  Module entry point of the asp extension.
 *
 * asp brings MongoDB Atlas Stream Processing into PostgreSQL.  The
 * pipeline engine (src/engine) is plain C over libbson; the SQL surface
 * (src/sql) exposes it as functions in schema asp.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <limits.h>

#include "fmgr.h"
#include "miscadmin.h"
#include "utils/guc.h"

#include "runtime/runtime.h"
#include "sql/asp_sql.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

/* asp_preloaded: loaded through shared_preload_libraries (see asp_sql.h) */
bool		asp_preloaded = false;

/* stream processor runtime settings (see runtime/runtime.h) */
char	   *asp_database_name = NULL;
int			asp_max_processors = 8;
int			asp_sample_rate = 2;
int			asp_restart_backoff_ms = 1000;
int			asp_checkpoint_interval_ms = 1000;
int			asp_sample_buffer_size = 65536;
int			asp_max_state_memory = 64 * 1024;	/* kB */

/*
 * _PG_init: define the settings; nothing else is needed to run
 * asp.process.  Managing stream processors needs the library preloaded:
 * then the shared memory hooks are installed and the launcher registered.
 */
void
_PG_init(void)
{
	if (process_shared_preload_libraries_in_progress)
		asp_preloaded = true;
	DefineCustomIntVariable("asp.process_max_docs",
							"Default number of documents asp.process reads from an unbounded source.",
							"A pipeline over a connection (sample_stream_solar, Kafka, MongoDB) never ends "
							"by itself; asp.process stops after this many source documents unless "
							"the call's options set maxDocs.",
							&asp_process_max_docs,
							1000, 0, INT_MAX,
							PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("asp.process_timeout",
							"Default time limit of asp.process on an unbounded source.",
							"asp.process stops reading after this long unless the call's options set timeoutMs.",
							&asp_process_timeout_ms,
							10000, 0, INT_MAX,
							PGC_USERSET, GUC_UNIT_MS, NULL, NULL, NULL);
	DefineCustomStringVariable("asp.database_name",
							   "Database whose stream processors asp runs.",
							   "The launcher connects to this database and runs the processors of its asp.processors.",
							   &asp_database_name,
							   "postgres",
							   PGC_POSTMASTER, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("asp.max_processors",
							"Maximum number of stream processors running at once.",
							"Each running processor takes a slot of shared memory and a background worker "
							"(see max_worker_processes).",
							&asp_max_processors,
							8, 1, 1024,
							PGC_POSTMASTER, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("asp.sample_rate",
							"Readings per device per second of sample_stream_solar in stream processors.",
							NULL,
							&asp_sample_rate,
							2, 1, 1000,
							PGC_SIGHUP, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("asp.restart_backoff_ms",
							"Wait before restarting a failed stream processor; doubled at each consecutive failure.",
							"The wait is at most 60 s; after 5 consecutive failures the processor is FAILED.",
							&asp_restart_backoff_ms,
							1000, 1, 60000,
							PGC_SIGHUP, GUC_UNIT_MS, NULL, NULL, NULL);
	DefineCustomIntVariable("asp.checkpoint_interval",
							"Time between two checkpoints of a running stream processor.",
							"A worker commits its output and its checkpoint together once per interval "
							"(its rounds in between share one transaction); 0 commits every round.",
							&asp_checkpoint_interval_ms,
							1000, 0, 3600 * 1000,
							PGC_SIGHUP, GUC_UNIT_MS, NULL, NULL, NULL);
	DefineCustomIntVariable("asp.sample_buffer_size",
							"Shared memory per stream processor for its most recent output documents.",
							"asp.sample returns the documents that fit; a larger document is not kept. "
							"0 keeps no sample.",
							&asp_sample_buffer_size,
							65536, 0, 256 * 1024 * 1024,
							PGC_POSTMASTER, GUC_UNIT_BYTE, NULL, NULL, NULL);
	DefineCustomIntVariable("asp.max_state_memory",
							"Shared memory a running stream processor may use for its window state.",
							"Open windows keep their state in shared memory; a processor that needs "
							"more fails with an error naming this setting.",
							&asp_max_state_memory,
							64 * 1024, 64, INT_MAX,
							PGC_SIGHUP, GUC_UNIT_KB, NULL, NULL, NULL);
	MarkGUCPrefixReserved("asp");

	if (process_shared_preload_libraries_in_progress)
	{
		asp_shmem_init();
		asp_register_launcher();
	}
}
