/*-------------------------------------------------------------------------
 *
 * catalog.h
 *	  Reading and writing asp's tables as their owner.
 *
 * asp's tables (asp.processors, asp.connections, asp.connection_grants,
 * asp.audit_log) are not writable, and mostly not readable, by PUBLIC.
 * The SQL functions check the calling role first, then act as the tables'
 * owner (the extension's owner) in a security-restricted operation, as
 * PostgreSQL does for REFRESH MATERIALIZED VIEW, around fixed, fully
 * qualified statements.  An error restores the calling role (transaction
 * or subtransaction abort does); otherwise asp_catalog_end does.
 *
 *-------------------------------------------------------------------------
 */
#ifndef ASP_SQL_CATALOG_H
#define ASP_SQL_CATALOG_H

#include "postgres.h"

/* the calling role's identity while the catalog is accessed as its owner */
typedef struct asp_catalog_access
{
	Oid			save_userid;
	int			save_sec_context;
	bool		pushed_snapshot;	/* no snapshot was active: one was pushed */
} asp_catalog_access;

/* asp_catalog_owner: the owner of asp.processors (the extension's owner) */
extern Oid	asp_catalog_owner(void);

/*
 * asp_catalog_begin: SPI_connect and act as the catalog's owner; outside
 * of a query (a background worker's transaction) a snapshot is pushed
 */
extern void asp_catalog_begin(asp_catalog_access *ca);

/* asp_catalog_end: SPI_finish and act as the calling role again */
extern void asp_catalog_end(asp_catalog_access *ca);

/* asp_spi_strdup: a copy of s in the memory context of SPI_connect's caller */
extern char *asp_spi_strdup(const char *s);

#endif							/* ASP_SQL_CATALOG_H */
