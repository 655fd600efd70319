/*-------------------------------------------------------------------------
 *
 * audit.h
 *	  The audit log (asp.audit_log): every management action on
 *	  connections and stream processors, successful or refused.
 *
 * A successful action writes its row in its own transaction (if that
 * transaction rolls back, the action did not happen and its row goes
 * too).  A refused action raises an ERROR, which rolls the transaction
 * back, so its row is written by a short-lived background worker in a
 * transaction of its own, before the ERROR is raised: the row is there
 * whatever the caller's transaction does next.  Both also write a LOG
 * line (without the statement, which may hold secrets).  Details never
 * hold a secret: configs are masked before they get here.
 *
 *-------------------------------------------------------------------------
 */
#ifndef ASP_SQL_AUDIT_H
#define ASP_SQL_AUDIT_H

#include "postgres.h"

#include "fmgr.h"

/* what an audited function is doing; the body fills target as it learns it */
typedef struct asp_audit_info
{
	const char *action;			/* e.g. "connection.create" */
	char	   *target;			/* the connection or processor, or NULL */
	bool		hide_stmt;		/* the statement holds secrets: never log it */
} asp_audit_info;

/* a refusal: why an action is not allowed, raised by asp_refuse */
typedef struct asp_refusal
{
	char		message[256];
	char		detail[512];
	char		hint[512];
} asp_refusal;

typedef Datum (*asp_audited_body) (FunctionCallInfo fcinfo, asp_audit_info *ai);

/*
 * asp_audit_run: run body (an SQL function's work) in a subtransaction.
 * If it fails, the failure is recorded as refused (autonomously, see
 * above) and the error raised again; with hide_stmt, without the
 * statement in the server log.  Argument 0, when a non-null text, is the
 * default target.  On success the body records itself (asp_audit_success).
 */
extern Datum asp_audit_run(FunctionCallInfo fcinfo, const char *action, bool hide_stmt,
						   asp_audited_body body);

/* asp_audit_success: record a successful action in the current transaction */
extern void asp_audit_success(const asp_audit_info *ai, const char *detail);

/*
 * asp_refuse: ERROR with SQLSTATE 42501 (insufficient_privilege).  Outside
 * asp_audit_run (reading functions, asp.process) the refusal is recorded
 * first; inside, asp_audit_run records it.
 */
extern void asp_refuse(const char *action, const char *target,
					   const asp_refusal *r) pg_attribute_noreturn();

/* asp_refusal_set: fill a refusal (printf-style message); returns false */
extern bool asp_refusal_set(asp_refusal *r, const char *fmt,...) pg_attribute_printf(2, 3);

/* the background worker that writes a refused action's row */
extern PGDLLEXPORT void asp_audit_worker_main(Datum main_arg);

#endif							/* ASP_SQL_AUDIT_H */
