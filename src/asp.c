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

#include "sql/asp_sql.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

/* asp_preloaded: loaded through shared_preload_libraries (see asp_sql.h) */
bool		asp_preloaded = false;

/*
 * _PG_init: define the settings; nothing else is needed to run
 * asp.process.  Managing stream processors needs the library preloaded.
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
	MarkGUCPrefixReserved("asp");
}
