/*-------------------------------------------------------------------------
 *
 * connections.h
 *	  The connection registry (asp.connections) as the pipeline compiler
 *	  sees it.
 *
 *-------------------------------------------------------------------------
 */
#ifndef ASP_SQL_CONNECTIONS_H
#define ASP_SQL_CONNECTIONS_H

#include "postgres.h"

#include "engine/pipeline.h"

/* asp_registry: the names and types of every connection, for one compile */
typedef struct asp_registry
{
	int			n;
	char	  **names;
	asp_conn_type *types;
} asp_registry;

/*
 * asp_registry_load: read the names and types of the connections (as the
 * catalog's owner; no secret is read), palloc'd in the current memory
 * context.  Needs a transaction.
 */
extern void asp_registry_load(asp_registry *reg);

/* asp_registry_lookup: an asp_conn_lookup_fn over an asp_registry (ud) */
extern asp_conn_type asp_registry_lookup(void *ud, const char *name);

#endif							/* ASP_SQL_CONNECTIONS_H */
