/*-------------------------------------------------------------------------
 *
 * privileges.h
 *	  Who may do what: asp's roles, connection usage, and what a pipeline
 *	  needs from the role it runs as.
 *
 * Roles (created by the install script): asp_admin (connections, their
 * grants, every processor), asp_developer (its own processors, with the
 * connections granted to it), asp_monitor (list processors and
 * connections, stats, sample, the audit log).  Membership counts as in
 * PostgreSQL (has_privs_of_role); asp_admin has the privileges of the
 * other two; superusers have all.
 *
 * A connection may be used by a role that has the privileges of one of
 * its grantees (asp.connection_grants), by asp_admin and by superusers.
 *
 *-------------------------------------------------------------------------
 */
#ifndef ASP_SQL_PRIVILEGES_H
#define ASP_SQL_PRIVILEGES_H

#include "postgres.h"

#include <bson/bson.h>

#include "engine/pipeline.h"
#include "sql/audit.h"

typedef enum asp_role_kind
{
	ASP_ROLE_ADMIN,
	ASP_ROLE_DEVELOPER,
	ASP_ROLE_MONITOR
} asp_role_kind;

/* asp_has_role: does role have the privileges of asp_admin / _developer / _monitor? */
extern bool asp_has_role(Oid role, asp_role_kind kind);

/* asp_role_name: the name of an asp role kind */
extern const char *asp_role_name(asp_role_kind kind);

/*
 * asp_require_role: refuse (asp_refuse: 42501, recorded) unless the
 * calling role has one of the kinds given (a bit mask of 1 << kind);
 * doing says what was refused ("create connections").
 */
extern void asp_require_role(int kinds, const char *action, const char *target,
							 const char *doing);

/*
 * asp_connection_usable: may role use connection name?  *exists tells
 * whether it exists.  With lock, its row is locked FOR KEY SHARE so that
 * it cannot be dropped before the transaction ends.
 */
extern bool asp_connection_usable(const char *name, Oid role, bool lock, bool *exists);

/*
 * asp_pipeline_access_ok: may role run the compiled pipeline p with the
 * processor options (a BSON document, or NULL)?  Every connection it reads
 * or writes (and the dead letter queue's) must be usable by role, and a
 * table it writes through "local" writable (INSERT, and SELECT and UPDATE
 * when matching rows are updated; or CREATE on the schema when the table
 * is missing).  On refusal, fills r and returns false.  processor names
 * the processor for the messages; NULL (asp.process, which writes as the
 * caller, PostgreSQL checking the tables) checks the connections only.
 */
extern bool asp_pipeline_access_ok(const asp_pipeline *p, const bson_t *options, Oid role,
								   const char *processor, bool lock, asp_refusal *r);

#endif							/* ASP_SQL_PRIVILEGES_H */
