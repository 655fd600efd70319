/*-------------------------------------------------------------------------
 *
 * asp_sql.h
 *	  Shared declarations of the SQL surface.
 *
 *-------------------------------------------------------------------------
 */
#ifndef ASP_SQL_H
#define ASP_SQL_H

#include "engine/error.h"

extern int	asp_process_max_docs;
extern int	asp_process_timeout_ms;

/*
 * asp_preloaded: asp was loaded through shared_preload_libraries (set in
 * _PG_init).  Stream processors are managed only then, since they run in
 * background workers registered at startup.
 */
extern bool asp_preloaded;

/*
 * asp_report_error: ereport(ERROR) an engine error, with the PostgreSQL
 * error code matching its kind, the stage and field it is about, and its
 * detail and hint.  what prefixes the message (e.g. "invalid pipeline").
 */
extern void asp_report_error(const asp_error *err, const char *what) pg_attribute_noreturn();

#endif							/* ASP_SQL_H */
