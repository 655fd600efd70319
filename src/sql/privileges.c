/*-------------------------------------------------------------------------
 *
 * privileges.c
 *	  asp's roles, connection usage, and what a pipeline needs from the
 *	  role it runs as (see privileges.h).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "sql/catalog.h"
#include "sql/pipeline_text.h"
#include "sql/privileges.h"

static const char *const role_names[] = {"asp_admin", "asp_developer", "asp_monitor"};

/* asp_role_name: the name of an asp role kind */
const char *
asp_role_name(asp_role_kind kind)
{
	return role_names[kind];
}

/* asp_has_role: superusers and asp_admin have every kind */
bool
asp_has_role(Oid role, asp_role_kind kind)
{
	Oid			admin;
	Oid			other;

	if (superuser_arg(role))
		return true;
	admin = get_role_oid(role_names[ASP_ROLE_ADMIN], true);
	if (OidIsValid(admin) && has_privs_of_role(role, admin))
		return true;
	if (kind == ASP_ROLE_ADMIN)
		return false;
	other = get_role_oid(role_names[kind], true);
	return OidIsValid(other) && has_privs_of_role(role, other);
}

/* role_name: a role's name for messages */
static const char *
role_name(Oid role)
{
	const char *n = GetUserNameFromId(role, true);

	return n ? n : psprintf("%u", role);
}

/* asp_require_role: refuse unless the caller has one of kinds */
void
asp_require_role(int kinds, const char *action, const char *target, const char *doing)
{
	Oid			caller = GetUserId();
	asp_refusal r;
	StringInfoData which;
	StringInfoData grants;
	int			n = 0;

	for (int k = ASP_ROLE_ADMIN; k <= ASP_ROLE_MONITOR; k++)
		if ((kinds & (1 << k)) && asp_has_role(caller, (asp_role_kind) k))
			return;
	initStringInfo(&which);
	initStringInfo(&grants);
	for (int k = ASP_ROLE_DEVELOPER; k <= ASP_ROLE_MONITOR; k++)
		if (kinds & (1 << k))
		{
			appendStringInfo(&which, "%s%s", n ? " or " : "", role_names[k]);
			appendStringInfo(&grants, "%sGRANT %s TO %s;", n ? " or " : "", role_names[k],
							 quote_identifier(role_name(caller)));
			n++;
		}
	if (kinds & (1 << ASP_ROLE_ADMIN))
	{
		appendStringInfo(&which, "%s%s", n ? " or " : "", role_names[ASP_ROLE_ADMIN]);
		if (n == 0)
			appendStringInfo(&grants, "GRANT %s TO %s;", role_names[ASP_ROLE_ADMIN],
							 quote_identifier(role_name(caller)));
	}
	asp_refusal_set(&r, "permission denied to %s", doing);
	snprintf(r.detail, sizeof(r.detail), "Only members of %s (and superusers) may %s; role \"%s\" is not one.",
			 which.data, doing, role_name(caller));
	snprintf(r.hint, sizeof(r.hint), "A role with the right to grant it can run: %s", grants.data);
	asp_refuse(action, target, &r);
}

/* asp_connection_usable: may role use the connection? */
bool
asp_connection_usable(const char *name, Oid role, bool lock, bool *exists)
{
	asp_catalog_access ca;
	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1];
	bool		usable;

	args[0] = CStringGetTextDatum(name);
	asp_catalog_begin(&ca);
	if (SPI_execute_with_args(lock ?
							  "SELECT g.grantee FROM asp.connections c LEFT JOIN asp.connection_grants g "
							  "ON g.connection OPERATOR(pg_catalog.=) c.name "
							  "WHERE c.name OPERATOR(pg_catalog.=) $1 FOR KEY SHARE OF c" :
							  "SELECT g.grantee FROM asp.connections c LEFT JOIN asp.connection_grants g "
							  "ON g.connection OPERATOR(pg_catalog.=) c.name "
							  "WHERE c.name OPERATOR(pg_catalog.=) $1",
							  1, argtypes, args, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read asp.connections");
	*exists = SPI_processed > 0;
	usable = *exists && asp_has_role(role, ASP_ROLE_ADMIN);
	for (uint64 i = 0; !usable && i < SPI_processed; i++)
	{
		bool		isnull;
		Datum		d = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull);

		if (!isnull && has_privs_of_role(role, DatumGetObjectId(d)))
			usable = true;
	}
	asp_catalog_end(&ca);
	return usable;
}

/* connection_ok: the connection check of asp_pipeline_access_ok */
static bool
connection_ok(const char *conn, const char *where, Oid role, const char *processor,
			  bool lock, asp_refusal *r)
{
	bool		exists;

	if (asp_connection_usable(conn, role, lock, &exists))
		return true;
	if (!exists)
	{
		asp_refusal_set(r, "connection \"%s\" does not exist", conn);
		snprintf(r->detail, sizeof(r->detail), "%s names it.", where);
		snprintf(r->hint, sizeof(r->hint), "asp.list_connections() shows the connections.");
		return false;
	}
	asp_refusal_set(r, "role \"%s\" may not use connection \"%s\"", role_name(role), conn);
	if (processor)
		snprintf(r->detail, sizeof(r->detail),
				 "%s uses it, and stream processor \"%s\" runs as its owner \"%s\".",
				 where, processor, role_name(role));
	else
		snprintf(r->detail, sizeof(r->detail), "%s uses it.", where);
	snprintf(r->hint, sizeof(r->hint),
			 "A member of asp_admin can grant it: SELECT asp.grant_connection(%s, %s);",
			 quote_literal_cstr(conn), quote_literal_cstr(role_name(role)));
	return false;
}

/* acl_ok: has role the privilege on the table, or on any of its columns? */
static bool
acl_ok(Oid relid, Oid role, AclMode mode)
{
	return pg_class_aclcheck(relid, role, mode) == ACLCHECK_OK ||
		(mode != ACL_INSERT && pg_attribute_aclcheck_all(relid, role, mode, ACLMASK_ANY) == ACLCHECK_OK);
}

/*
 * table_ok: may role write the table db.coll the way whenMatched /
 * whenNotMatched do it (see connectors/pg_sink.c)?  A missing schema is
 * left to the run, which reports it.
 */
static bool
table_ok(const char *db, const char *coll, const char *when_matched,
		 const char *when_not_matched, const char *where, Oid role, asp_refusal *r)
{
	Oid			nsp = get_namespace_oid(db, true);
	Oid			relid;
	bool		need_insert = strcmp(when_not_matched, "discard") != 0;
	bool		need_update = strcmp(when_matched, "keepExisting") != 0 &&
		strcmp(when_matched, "fail") != 0;
	StringInfoData missing;
	StringInfoData needed;
	const char *qname = quote_qualified_identifier(db, coll);

	if (!OidIsValid(nsp))
		return true;
	if (pg_namespace_aclcheck(nsp, role, ACL_USAGE) != ACLCHECK_OK)
	{
		asp_refusal_set(r, "role \"%s\" may not use schema \"%s\"", role_name(role), db);
		snprintf(r->detail, sizeof(r->detail), "%s writes to table %s.", where, qname);
		snprintf(r->hint, sizeof(r->hint), "GRANT USAGE ON SCHEMA %s TO %s;",
				 quote_identifier(db), quote_identifier(role_name(role)));
		return false;
	}
	relid = get_relname_relid(coll, nsp);
	if (!OidIsValid(relid))
	{
		if (pg_namespace_aclcheck(nsp, role, ACL_CREATE) == ACLCHECK_OK)
			return true;
		asp_refusal_set(r, "role \"%s\" may not create table %s", role_name(role), qname);
		snprintf(r->detail, sizeof(r->detail),
				 "%s writes to table %s, which does not exist yet.", where, qname);
		snprintf(r->hint, sizeof(r->hint), "Create the table, or GRANT CREATE ON SCHEMA %s TO %s;",
				 quote_identifier(db), quote_identifier(role_name(role)));
		return false;
	}
	initStringInfo(&missing);
	initStringInfo(&needed);
	if (need_insert)
	{
		appendStringInfoString(&needed, "INSERT");
		if (!acl_ok(relid, role, ACL_INSERT))
			appendStringInfoString(&missing, "INSERT");
	}
	if (need_update)
	{
		appendStringInfo(&needed, "%sSELECT, UPDATE", needed.len ? ", " : "");
		if (!acl_ok(relid, role, ACL_SELECT))
			appendStringInfo(&missing, "%sSELECT", missing.len ? ", " : "");
		if (!acl_ok(relid, role, ACL_UPDATE))
			appendStringInfo(&missing, "%sUPDATE", missing.len ? ", " : "");
	}
	if (missing.len == 0)
		return true;
	asp_refusal_set(r, "role \"%s\" may not write to table %s", role_name(role), qname);
	snprintf(r->detail, sizeof(r->detail), "%s needs %s on it; %s missing.",
			 where, needed.data, missing.data);
	snprintf(r->hint, sizeof(r->hint), "GRANT %s ON %s TO %s;",
			 missing.data, qname, quote_identifier(role_name(role)));
	return false;
}

/* doc_string: the string at a dotted path of a BSON document, or NULL */
static const char *
doc_string(const bson_value_t *doc, const char *path)
{
	bson_t		b;
	bson_iter_t it,
				found;

	if (doc->value_type != BSON_TYPE_DOCUMENT ||
		!bson_init_static(&b, doc->value.v_doc.data, doc->value.v_doc.data_len))
		return NULL;
	if (bson_iter_init(&it, &b) && bson_iter_find_descendant(&it, path, &found) &&
		BSON_ITER_HOLDS_UTF8(&found))
		return bson_iter_utf8(&found, NULL);
	return NULL;
}

/* asp_pipeline_access_ok: may role run pipeline p with these options? */
bool
asp_pipeline_access_ok(const asp_pipeline *p, const bson_t *options, Oid role,
					   const char *processor, bool lock, asp_refusal *r)
{
	char		where[128];
	bson_iter_t it;

	if (p->source_connection &&
		!connection_ok(p->source_connection, "pipeline[0] $source", role, processor, lock, r))
		return false;
	if (p->sink_kind != ASP_SINK_NONE && p->sink_connection)
	{
		const char *stage = p->sink_kind == ASP_SINK_MERGE ? "$merge" : "$emit";

		snprintf(where, sizeof(where), "pipeline[%d] %s", p->nstages - 1, stage);
		if (!connection_ok(p->sink_connection, where, role, processor, lock, r))
			return false;
		/* asp.process (no processor) writes as the caller: PostgreSQL checks */
		if (processor && p->sink_kind == ASP_SINK_MERGE &&
			asp_builtin_connection(NULL, p->sink_connection) == ASP_CONN_POSTGRES)
		{
			const char *db = doc_string(&p->sink_spec, "into.db");
			const char *coll = doc_string(&p->sink_spec, "into.coll");
			const char *wm = doc_string(&p->sink_spec, "whenMatched");
			const char *wnm = doc_string(&p->sink_spec, "whenNotMatched");

			/* into.db / into.coll as expressions are refused by the run */
			if (db && coll &&
				!table_ok(db, coll, wm ? wm : "merge", wnm ? wnm : "insert", where, role, r))
				return false;
		}
	}
	if (options && bson_iter_init_find(&it, options, "dlq") && BSON_ITER_HOLDS_DOCUMENT(&it))
	{
		bson_value_t dlq = *bson_iter_value(&it);
		const char *conn = doc_string(&dlq, "connectionName");
		const char *db = doc_string(&dlq, "db");
		const char *coll = doc_string(&dlq, "coll");

		if (conn && !connection_ok(conn, "options.dlq", role, processor, lock, r))
			return false;
		if (conn && db && coll &&
			asp_builtin_connection(NULL, conn) == ASP_CONN_POSTGRES &&
			!table_ok(db, coll, "merge", "insert", "options.dlq", role, r))
			return false;
	}
	return true;
}
