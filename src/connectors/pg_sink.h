/*-------------------------------------------------------------------------
 *
 * pg_sink.h
 *	  The built-in "local" connection as a $merge sink: documents written
 *	  into a table of the current database.
 *
 * into.db is the schema, into.coll the table.  A missing table is created
 * as (_id jsonb PRIMARY KEY, doc jsonb NOT NULL); a table the user created
 * has its columns filled from the fields of the same name (dotted paths
 * for columns named like "obs.watts"), and a jsonb column named "doc"
 * receives the whole document.  Documents are written in batches through
 * SPI, in the caller's transaction and with the caller's privileges.
 *
 * Every document given to asp_pg_sink_write comes back through the output
 * callback once its batch is written: as ASP_OUTPUT_DOC (with the _id it
 * was given, if any) when $merge accepted it, as an ASP_OUTPUT_DLQ
 * document when it could not be written.
 *
 *-------------------------------------------------------------------------
 */
#ifndef ASP_CONNECTORS_PG_SINK_H
#define ASP_CONNECTORS_PG_SINK_H

#include <bson/bson.h>

#include "engine/exec.h"

typedef struct asp_pg_sink asp_pg_sink;

/*
 * asp_pg_sink_open: check the $merge operand (already validated by the
 * pipeline compiler) against the catalog, create the default table if it
 * is missing, and prepare the statements.  ERRORs on anything that would
 * make every write fail (missing schema, no unique index for 'on', ...).
 */
extern asp_pg_sink *asp_pg_sink_open(const bson_value_t *merge_spec,
									 asp_output_fn out, void *ud);

/* asp_pg_sink_write: add a document to the current batch (written when full) */
extern void asp_pg_sink_write(asp_pg_sink *s, const uint8_t *doc, uint32_t len);

/* asp_pg_sink_flush: write the current batch */
extern void asp_pg_sink_flush(asp_pg_sink *s);

/*
 * asp_pg_sink_take_time_ns: the time spent writing batches (monotonic
 * clock, ns) since the last call; 0 for NULL
 */
extern uint64 asp_pg_sink_take_time_ns(asp_pg_sink *s);

/* asp_pg_sink_free: release everything, without writing (safe on error paths) */
extern void asp_pg_sink_free(asp_pg_sink *s);

#endif							/* ASP_CONNECTORS_PG_SINK_H */
