/*-------------------------------------------------------------------------
 *
 * catalog.c
 *	  Reading and writing asp's tables as their owner (see catalog.h).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/lsyscache.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

#include "sql/catalog.h"

/* asp_catalog_owner: the owner of asp.processors */
Oid
asp_catalog_owner(void)
{
	Oid			relid = get_relname_relid("processors", get_namespace_oid("asp", false));
	HeapTuple	tup;
	Oid			owner;

	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation \"asp.processors\" does not exist"),
				 errhint("Reinstall the extension: DROP EXTENSION asp; CREATE EXTENSION asp;")));
	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for relation %u", relid);
	owner = ((Form_pg_class) GETSTRUCT(tup))->relowner;
	ReleaseSysCache(tup);
	return owner;
}

/*
 * asp_catalog_begin: connect to SPI and act as the catalog's owner, in a
 * security-restricted operation.
 */
void
asp_catalog_begin(asp_catalog_access *ca)
{
	Oid			owner = asp_catalog_owner();

	GetUserIdAndSecContext(&ca->save_userid, &ca->save_sec_context);
	SetUserIdAndSecContext(owner, ca->save_sec_context |
						   SECURITY_LOCAL_USERID_CHANGE | SECURITY_RESTRICTED_OPERATION);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	ca->pushed_snapshot = !ActiveSnapshotSet();
	if (ca->pushed_snapshot)
		PushActiveSnapshot(GetTransactionSnapshot());
}

/* asp_catalog_end: disconnect from SPI and act as the calling role again */
void
asp_catalog_end(asp_catalog_access *ca)
{
	if (ca->pushed_snapshot)
		PopActiveSnapshot();
	SPI_finish();
	SetUserIdAndSecContext(ca->save_userid, ca->save_sec_context);
}

/* asp_spi_strdup: a copy of s in the memory context of SPI_connect's caller */
char *
asp_spi_strdup(const char *s)
{
	char	   *r = SPI_palloc(strlen(s) + 1);

	strcpy(r, s);
	return r;
}
