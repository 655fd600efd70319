/*-------------------------------------------------------------------------
 *
 * connections.c
 *	  The connection registry: asp.create_connection, asp.alter_connection,
 *	  asp.drop_connection, asp.list_connections, asp.test_connection,
 *	  asp.grant_connection and asp.revoke_connection.
 *
 * A connection is a name, a type and a config.  "kafka" and "mongodb"
 * connections are registered by asp_admin; their configs are validated,
 * masked and probed by connectors/conn_check.c.  The built-in connections
 * "sample_stream_solar" (type "sample") and "local" (type "postgres", this
 * database) are rows created by the install script and cannot be altered
 * or dropped.
 *
 * Secrets.  A config is stored as the text given, secrets included, in
 * asp.connections, which only its owner (the extension's owner) and
 * superusers can read.  Everything that leaves these functions (results,
 * errors, the audit log, the server log) shows configs masked
 * (asp_conn_mask), and strings that would hold a secret's value (a probe's
 * error message) have it replaced by the mask.  Errors raised while a
 * config is being given (create, alter) are logged without the statement,
 * which holds the secrets.
 *
 * Access: the functions check the calling role (privileges.c), then read
 * and write the tables as their owner (catalog.h).  Every management
 * action is audited (audit.h).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/lsyscache.h"

#include "connectors/conn_check.h"
#include "engine/json.h"
#include "engine/json_out.h"
#include "sql/asp_sql.h"
#include "sql/audit.h"
#include "sql/catalog.h"
#include "sql/connections.h"
#include "sql/pipeline_text.h"
#include "sql/privileges.h"

PG_FUNCTION_INFO_V1(asp_create_connection);
PG_FUNCTION_INFO_V1(asp_alter_connection);
PG_FUNCTION_INFO_V1(asp_drop_connection);
PG_FUNCTION_INFO_V1(asp_list_connections);
PG_FUNCTION_INFO_V1(asp_test_connection);
PG_FUNCTION_INFO_V1(asp_grant_connection);
PG_FUNCTION_INFO_V1(asp_revoke_connection);

/* nesting limit of a config's JSON text */
#define CONFIG_MAX_DEPTH 32

/* longest connection name, in characters (all ASCII) */
#define CONNECTION_NAME_MAX 64

/* secrets shorter than this are not searched for in free text */
#define SECRET_MIN_SCRUB 3

#define CONNECTION_NAME_HINT \
	"A connection name matches ^[A-Za-z0-9_-]{1,64}$: 1 to 64 letters, digits, '_' or '-'."

#define ADMIN_ONLY (1 << ASP_ROLE_ADMIN)

/* a connection's row, read as the catalog's owner */
typedef struct conn_row
{
	char	   *name;
	char	   *type;
	char	   *config;			/* secrets included */
	bool		builtin;
} conn_row;

/* arg_cstring: a text argument that must not be NULL */
static char *
arg_cstring(FunctionCallInfo fcinfo, int n, const char *what)
{
	if (PG_ARGISNULL(n))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be null", what)));
	return text_to_cstring(PG_GETARG_TEXT_PP(n));
}

/* check_name: ERROR unless name is a valid connection name */
static void
check_name(const char *name)
{
	if (name[0] == '\0' || strlen(name) > CONNECTION_NAME_MAX ||
		strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") != strlen(name))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_NAME),
				 errmsg("invalid connection name \"%s\"", name),
				 errhint(CONNECTION_NAME_HINT)));
}

/* is_registered_type: a type of connection asp.create_connection takes */
static bool
is_registered_type(const char *type)
{
	return strcmp(type, "kafka") == 0 || strcmp(type, "mongodb") == 0;
}

/* parse_config: the config argument into BSON (out initialised), or ERROR */
static void
parse_config(text *t, bson_t *out)
{
	bool		is_array;

	asp_parse_json_text(t, "invalid connection config", CONFIG_MAX_DEPTH, out, &is_array);
	if (is_array)
	{
		bson_destroy(out);
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid connection config: a config must be a JSON object"),
				 errhint("For example '{\"bootstrapServers\": \"broker1:9092\"}' for Kafka or "
						 "'{\"uri\": \"mongodb://host:27017\"}' for MongoDB.")));
	}
}

/* parse_stored: a stored config text into BSON (out initialised) */
static void
parse_stored(const char *config, bson_t *out)
{
	asp_error	err;
	bool		is_array;

	if (!asp_json_to_bson(config, strlen(config), NULL, out, &is_array, &err))
		elog(ERROR, "stored connection config is not readable: %s", err.message);
}

/* bson_json: the relaxed extended JSON text of a document */
static char *
bson_json(const bson_t *b)
{
	asp_strbuf	sb;
	char	   *s;

	asp_strbuf_init(&sb);
	if (!asp_bson_to_json(bson_get_data(b), b->len, false, &sb))
	{
		asp_strbuf_free(&sb);
		elog(ERROR, "could not convert a connection config to JSON");
	}
	s = pnstrdup(sb.data, sb.len);
	asp_strbuf_free(&sb);
	return s;
}

/* masked_json: the JSON text of config with every secret masked */
static char *
masked_json(const char *type, const bson_t *config)
{
	bson_t		masked;
	char	   *s;

	if (!is_registered_type(type))
		return bson_json(config);
	bson_init(&masked);
	asp_conn_mask(type, config, &masked);
	s = bson_json(&masked);
	bson_destroy(&masked);
	return s;
}

/*
 * collect_secrets: the values that masking hides, comparing config with
 * its masked copy: a masked string's differing middle (a whole secret, or
 * the password inside a URI).
 */
static void
collect_secrets(const bson_t *orig, const bson_t *masked, List **out)
{
	bson_iter_t it;

	if (!bson_iter_init(&it, orig))
		return;
	while (bson_iter_next(&it))
	{
		bson_iter_t mi;

		if (!bson_iter_init_find(&mi, masked, bson_iter_key(&it)))
			continue;
		if (BSON_ITER_HOLDS_UTF8(&it) && BSON_ITER_HOLDS_UTF8(&mi))
		{
			uint32_t	ol,
						ml;
			const char *o = bson_iter_utf8(&it, &ol);
			const char *m = bson_iter_utf8(&mi, &ml);
			uint32_t	pre = 0,
						suf = 0;

			if (ol == ml && memcmp(o, m, ol) == 0)
				continue;
			while (pre < ol && pre < ml && o[pre] == m[pre])
				pre++;
			while (suf < ol - pre && suf < ml - pre && o[ol - 1 - suf] == m[ml - 1 - suf])
				suf++;
			if (ol - pre - suf >= SECRET_MIN_SCRUB)
				*out = lappend(*out, pnstrdup(o + pre, ol - pre - suf));
		}
		else if (BSON_ITER_HOLDS_DOCUMENT(&it) && BSON_ITER_HOLDS_DOCUMENT(&mi))
		{
			bson_t		so,
						sm;
			uint32_t	l1,
						l2;
			const uint8_t *d1,
					   *d2;

			bson_iter_document(&it, &l1, &d1);
			bson_iter_document(&mi, &l2, &d2);
			if (bson_init_static(&so, d1, l1) && bson_init_static(&sm, d2, l2))
				collect_secrets(&so, &sm, out);
		}
	}
}

/* scrub: s with every secret of config replaced by the mask */
static char *
scrub(const char *type, const bson_t *config, const char *s)
{
	List	   *secrets = NIL;
	bson_t		masked;
	ListCell   *lc;
	char	   *r = pstrdup(s);

	if (!is_registered_type(type))
		return r;
	bson_init(&masked);
	asp_conn_mask(type, config, &masked);
	collect_secrets(config, &masked, &secrets);
	bson_destroy(&masked);
	foreach(lc, secrets)
	{
		const char *secret = lfirst(lc);
		char	   *p;

		while ((p = strstr(r, secret)) != NULL)
			r = psprintf("%.*s%s%s", (int) (p - r), r, ASP_SECRET_MASK, p + strlen(secret));
	}
	return r;
}

/*
 * unmask: new config with every string that equals the masked value of
 * the old config at the same key (a secret shown as ******, or a URI with
 * its password masked) replaced by the old value, so that a config read
 * from list_connections can be given back with its secrets unchanged.
 */
static void
unmask(const bson_t *newc, const bson_t *oldc, const bson_t *maskc, bson_t *out)
{
	bson_iter_t it;

	if (!bson_iter_init(&it, newc))
		return;
	while (bson_iter_next(&it))
	{
		const char *k = bson_iter_key(&it);
		bson_iter_t oi,
					mi;
		bool		have = oldc && maskc && bson_iter_init_find(&oi, oldc, k) &&
			bson_iter_init_find(&mi, maskc, k);

		if (have && BSON_ITER_HOLDS_UTF8(&it) && BSON_ITER_HOLDS_UTF8(&oi) &&
			BSON_ITER_HOLDS_UTF8(&mi))
		{
			uint32_t	nl,
						ol,
						ml;
			const char *nv = bson_iter_utf8(&it, &nl);
			const char *ov = bson_iter_utf8(&oi, &ol);
			const char *mv = bson_iter_utf8(&mi, &ml);

			if (nl == ml && memcmp(nv, mv, nl) == 0 && (ol != ml || memcmp(ov, mv, ol) != 0))
			{
				bson_append_utf8(out, k, -1, ov, (int) ol);
				continue;
			}
		}
		if (BSON_ITER_HOLDS_DOCUMENT(&it))
		{
			bson_t		sn,
						so,
						sm,
						child;
			bool		sub = false;
			uint32_t	l;
			const uint8_t *d;

			bson_iter_document(&it, &l, &d);
			if (!bson_init_static(&sn, d, l))
				continue;
			if (have && BSON_ITER_HOLDS_DOCUMENT(&oi) && BSON_ITER_HOLDS_DOCUMENT(&mi))
			{
				bson_iter_document(&oi, &l, &d);
				sub = bson_init_static(&so, d, l);
				bson_iter_document(&mi, &l, &d);
				sub = sub && bson_init_static(&sm, d, l);
			}
			bson_append_document_begin(out, k, -1, &child);
			unmask(&sn, sub ? &so : NULL, sub ? &sm : NULL, &child);
			bson_append_document_end(out, &child);
			continue;
		}
		bson_append_iter(out, k, -1, &it);
	}
}

/*
 * validate: ERROR unless config is valid for type, naming the key, and
 * unless it makes the library read a file of the database server (a CA,
 * certificate, key or keytab) while the calling role may not read server
 * files: such a connection would let its users use any file the server's
 * account can read as their certificate or key.
 */
static void
validate(const char *type, const bson_t *config, Oid caller)
{
	asp_error	err;
	char	   *msg;
	char		key[256];

	asp_error_init(&err);
	if (asp_conn_validate(type, config, &err))
	{
		if (asp_conn_server_file(type, config, key, sizeof(key)) &&
			!has_privs_of_role(caller, ROLE_PG_READ_SERVER_FILES))
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("permission denied to use a file of the database server in connection config key \"%s\"",
							key),
					 errdetail("The connection would make the server read that file."),
					 errhint("Only superusers and roles with privileges of pg_read_server_files may name server files; "
							 "GRANT pg_read_server_files TO the role, or leave the key out."),
					 errhidestmt(true)));
		return;
	}
	msg = scrub(type, config, err.message);
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 err.path[0] && strstr(msg, err.path) == NULL ?
			 errmsg("invalid %s connection config: at '%s': %s", type, err.path, msg) :
			 errmsg("invalid %s connection config: %s", type, msg),
			 err.detail[0] ? errdetail("%s", scrub(type, config, err.detail)) : 0,
			 err.hint[0] ? errhint("%s", err.hint) : 0,
			 errhidestmt(true)));
}

/*
 * read_connection: the row of connection name (catalog access active),
 * locked with lock ("FOR UPDATE", "FOR KEY SHARE" or ""), or ERROR if it
 * does not exist.  Strings are palloc'd in the caller's memory context.
 */
static void
read_connection(const char *name, const char *lock, conn_row *row)
{
	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1];
	bool		isnull;
	HeapTuple	tup;
	TupleDesc	td;

	args[0] = CStringGetTextDatum(name);
	if (SPI_execute_with_args(psprintf("SELECT name, type, config, builtin FROM asp.connections "
									   "WHERE name OPERATOR(pg_catalog.=) $1 %s", lock),
							  1, argtypes, args, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read asp.connections");
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("connection \"%s\" does not exist", name),
				 errhint("asp.list_connections() shows the connections.")));
	tup = SPI_tuptable->vals[0];
	td = SPI_tuptable->tupdesc;
	/* copied out of SPI's memory, which SPI_finish frees */
	row->name = asp_spi_strdup(SPI_getvalue(tup, td, 1));
	row->type = asp_spi_strdup(SPI_getvalue(tup, td, 2));
	row->config = asp_spi_strdup(SPI_getvalue(tup, td, 3));
	row->builtin = DatumGetBool(SPI_getbinval(tup, td, 4, &isnull));
}

/* refuse_builtin: ERROR: a built-in connection cannot be changed */
static void
refuse_builtin(const char *name, const char *doing)
{
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("connection \"%s\" is built in and cannot be %s", name, doing),
			 errhint("To keep roles from using it, revoke it: SELECT asp.revoke_connection('%s', 'asp_developer');",
					 name)));
}

/* create_connection: the work of asp.create_connection */
static Datum
create_connection(FunctionCallInfo fcinfo, asp_audit_info *ai)
{
	char	   *name;
	char	   *type;
	text	   *config;
	bson_t		b;
	char	   *masked;
	asp_catalog_access ca;
	Oid			argtypes[4] = {TEXTOID, TEXTOID, TEXTOID, OIDOID};
	Datum		args[4];

	asp_require_role(ADMIN_ONLY, ai->action, ai->target, "create connections");
	name = arg_cstring(fcinfo, 0, "connection name");
	type = arg_cstring(fcinfo, 1, "connection type");
	if (PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("connection config must not be null")));
	config = PG_GETARG_TEXT_PP(2);
	check_name(name);
	if (strcmp(type, "postgres") == 0 || strcmp(type, "sample") == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("connections of type \"%s\" are built in", type),
				 errhint("Use the built-in connection \"%s\".",
						 strcmp(type, "postgres") == 0 ? "local" : "sample_stream_solar")));
	if (!is_registered_type(type))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown connection type \"%s\"", type),
				 errhint("The types are \"kafka\" and \"mongodb\".")));
	bson_init(&b);
	parse_config(config, &b);
	validate(type, &b, GetUserId());
	masked = masked_json(type, &b);
	bson_destroy(&b);

	args[0] = CStringGetTextDatum(name);
	args[1] = CStringGetTextDatum(type);
	args[2] = PointerGetDatum(config);
	args[3] = ObjectIdGetDatum(GetUserId());
	asp_catalog_begin(&ca);
	if (SPI_execute_with_args("INSERT INTO asp.connections (name, type, config, owner) "
							  "VALUES ($1, $2, $3, $4) ON CONFLICT (name) DO NOTHING",
							  4, argtypes, args, NULL, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "could not insert into asp.connections");
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_OBJECT),
				 errmsg("connection \"%s\" already exists", name),
				 errhint("Choose another name, or change it with asp.alter_connection().")));
	asp_catalog_end(&ca);
	asp_audit_success(ai, psprintf("type %s, config %s", type, masked));
	PG_RETURN_VOID();
}

/* asp_create_connection: SQL function asp.create_connection(name, type, config) */
Datum
asp_create_connection(PG_FUNCTION_ARGS)
{
	return asp_audit_run(fcinfo, "connection.create", true, create_connection);
}

/* alter_connection: the work of asp.alter_connection */
static Datum
alter_connection(FunctionCallInfo fcinfo, asp_audit_info *ai)
{
	char	   *name;
	text	   *config;
	conn_row	row;
	bson_t		newc,
				oldc,
				maskc,
				merged;
	char	   *masked;
	char	   *merged_text;
	asp_catalog_access ca;
	Oid			argtypes[2] = {TEXTOID, TEXTOID};
	Datum		args[2];

	asp_require_role(ADMIN_ONLY, ai->action, ai->target, "alter connections");
	name = arg_cstring(fcinfo, 0, "connection name");
	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("connection config must not be null")));
	config = PG_GETARG_TEXT_PP(1);
	asp_catalog_begin(&ca);
	read_connection(name, "FOR UPDATE", &row);
	if (row.builtin)
		refuse_builtin(name, "altered");
	bson_init(&newc);
	parse_config(config, &newc);
	bson_init(&oldc);
	parse_stored(row.config, &oldc);
	bson_init(&maskc);
	asp_conn_mask(row.type, &oldc, &maskc);
	bson_init(&merged);
	unmask(&newc, &oldc, &maskc, &merged);
	validate(row.type, &merged, ca.save_userid);
	masked = masked_json(row.type, &merged);
	merged_text = bson_json(&merged);
	bson_destroy(&newc);
	bson_destroy(&oldc);
	bson_destroy(&maskc);
	bson_destroy(&merged);

	args[0] = CStringGetTextDatum(name);
	args[1] = CStringGetTextDatum(merged_text);
	if (SPI_execute_with_args("UPDATE asp.connections SET config = $2, last_modified = pg_catalog.now() "
							  "WHERE name OPERATOR(pg_catalog.=) $1",
							  2, argtypes, args, NULL, false, 0) != SPI_OK_UPDATE)
		elog(ERROR, "could not update asp.connections");
	asp_catalog_end(&ca);
	asp_audit_success(ai, psprintf("config %s", masked));
	PG_RETURN_VOID();
}

/* asp_alter_connection: SQL function asp.alter_connection(name, config) */
Datum
asp_alter_connection(PG_FUNCTION_ARGS)
{
	return asp_audit_run(fcinfo, "connection.alter", true, alter_connection);
}

/*
 * pipeline_uses: does a processor's pipeline name the connection (as
 * $source.connectionName, $merge.into.connectionName or
 * $emit.connectionName), or its options (dlq.connectionName)?
 */
static bool
pipeline_uses(const char *pipeline, const char *options, const char *conn)
{
	static const char *const paths[] = {
		"$source.connectionName", "$merge.into.connectionName", "$emit.connectionName"
	};
	bson_t		pl;
	bson_t		ob;
	bool		is_array;
	asp_error	err;
	bson_iter_t it;
	bool		uses = false;

	bson_init(&pl);
	if (asp_json_to_bson(pipeline, strlen(pipeline), NULL, &pl, &is_array, &err) &&
		bson_iter_init(&it, &pl))
	{
		while (!uses && bson_iter_next(&it))
		{
			bson_iter_t st,
						found;

			if (!BSON_ITER_HOLDS_DOCUMENT(&it))
				continue;
			for (int i = 0; i < (int) lengthof(paths) && !uses; i++)
			{
				bson_iter_recurse(&it, &st);
				if (bson_iter_find_descendant(&st, paths[i], &found) &&
					BSON_ITER_HOLDS_UTF8(&found) &&
					strcmp(bson_iter_utf8(&found, NULL), conn) == 0)
					uses = true;
			}
		}
	}
	bson_destroy(&pl);
	bson_init(&ob);
	if (!uses && asp_json_to_bson(options, strlen(options), NULL, &ob, &is_array, &err))
	{
		bson_iter_t found;

		if (bson_iter_init(&it, &ob) && bson_iter_find_descendant(&it, "dlq.connectionName", &found) &&
			BSON_ITER_HOLDS_UTF8(&found) && strcmp(bson_iter_utf8(&found, NULL), conn) == 0)
			uses = true;
	}
	bson_destroy(&ob);
	return uses;
}

/* drop_connection: the work of asp.drop_connection */
static Datum
drop_connection(FunctionCallInfo fcinfo, asp_audit_info *ai)
{
	char	   *name;
	conn_row	row;
	asp_catalog_access ca;
	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1];
	StringInfoData users;
	int			nusers = 0;

	asp_require_role(ADMIN_ONLY, ai->action, ai->target, "drop connections");
	name = arg_cstring(fcinfo, 0, "connection name");
	asp_catalog_begin(&ca);
	read_connection(name, "FOR UPDATE", &row);
	if (row.builtin)
		refuse_builtin(name, "dropped");
	/* processors created meanwhile lock the row FOR KEY SHARE: they wait */
	if (SPI_execute("SELECT name, pipeline, options FROM asp.processors ORDER BY name",
					false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read asp.processors");
	initStringInfo(&users);
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	td = SPI_tuptable->tupdesc;

		if (pipeline_uses(SPI_getvalue(tup, td, 2), SPI_getvalue(tup, td, 3), name))
		{
			appendStringInfo(&users, "%s\"%s\"", nusers ? ", " : "", SPI_getvalue(tup, td, 1));
			nusers++;
		}
	}
	if (nusers > 0)
		ereport(ERROR,
				(errcode(ERRCODE_DEPENDENT_OBJECTS_STILL_EXIST),
				 errmsg("connection \"%s\" is used by %s %s", name,
						nusers == 1 ? "stream processor" : "stream processors", users.data),
				 errhint("Drop those processors, or modify them to use another connection, first.")));
	args[0] = CStringGetTextDatum(name);
	if (SPI_execute_with_args("DELETE FROM asp.connections WHERE name OPERATOR(pg_catalog.=) $1",
							  1, argtypes, args, NULL, false, 0) != SPI_OK_DELETE)
		elog(ERROR, "could not delete from asp.connections");
	asp_catalog_end(&ca);
	asp_audit_success(ai, psprintf("type %s", row.type));
	PG_RETURN_VOID();
}

/* asp_drop_connection: SQL function asp.drop_connection(name) */
Datum
asp_drop_connection(PG_FUNCTION_ARGS)
{
	return asp_audit_run(fcinfo, "connection.drop", false, drop_connection);
}

/* grant_or_revoke: the work of asp.grant_connection and asp.revoke_connection */
static Datum
grant_or_revoke(FunctionCallInfo fcinfo, asp_audit_info *ai, bool grant)
{
	char	   *conn;
	char	   *role;
	Oid			roleid;
	conn_row	row;
	asp_catalog_access ca;
	Oid			argtypes[3] = {TEXTOID, OIDOID, OIDOID};
	Datum		args[3];

	asp_require_role(ADMIN_ONLY, ai->action, ai->target,
					 grant ? "grant connections" : "revoke connections");
	conn = arg_cstring(fcinfo, 0, "connection name");
	role = arg_cstring(fcinfo, 1, "role");
	roleid = get_role_oid(role, true);
	if (!OidIsValid(roleid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("role \"%s\" does not exist", role)));
	asp_catalog_begin(&ca);
	read_connection(conn, "FOR KEY SHARE", &row);
	args[0] = CStringGetTextDatum(conn);
	args[1] = ObjectIdGetDatum(roleid);
	args[2] = ObjectIdGetDatum(ca.save_userid);
	if (grant)
	{
		if (SPI_execute_with_args("INSERT INTO asp.connection_grants (connection, grantee, granted_by) "
								  "VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
								  3, argtypes, args, NULL, false, 0) != SPI_OK_INSERT)
			elog(ERROR, "could not insert into asp.connection_grants");
		if (SPI_processed == 0)
			ereport(NOTICE,
					(errmsg("role \"%s\" may already use connection \"%s\"", role, conn)));
	}
	else
	{
		if (SPI_execute_with_args("DELETE FROM asp.connection_grants "
								  "WHERE connection OPERATOR(pg_catalog.=) $1 "
								  "AND grantee OPERATOR(pg_catalog.=) $2",
								  2, argtypes, args, NULL, false, 0) != SPI_OK_DELETE)
			elog(ERROR, "could not delete from asp.connection_grants");
		if (SPI_processed == 0)
			ereport(NOTICE,
					(errmsg("connection \"%s\" was not granted to role \"%s\"", conn, role)));
	}
	asp_catalog_end(&ca);
	asp_audit_success(ai, psprintf("%s role %s", grant ? "to" : "from", role));
	PG_RETURN_VOID();
}

/* grant_connection: the work of asp.grant_connection */
static Datum
grant_connection(FunctionCallInfo fcinfo, asp_audit_info *ai)
{
	return grant_or_revoke(fcinfo, ai, true);
}

/* revoke_connection: the work of asp.revoke_connection */
static Datum
revoke_connection(FunctionCallInfo fcinfo, asp_audit_info *ai)
{
	return grant_or_revoke(fcinfo, ai, false);
}

/* asp_grant_connection: SQL function asp.grant_connection(connection, role) */
Datum
asp_grant_connection(PG_FUNCTION_ARGS)
{
	return asp_audit_run(fcinfo, "connection.grant", false, grant_connection);
}

/* asp_revoke_connection: SQL function asp.revoke_connection(connection, role) */
Datum
asp_revoke_connection(PG_FUNCTION_ARGS)
{
	return asp_audit_run(fcinfo, "connection.revoke", false, revoke_connection);
}

/* test_connection: the work of asp.test_connection */
static Datum
test_connection(FunctionCallInfo fcinfo, asp_audit_info *ai)
{
	char	   *name;
	int			timeout_ms;
	conn_row	row;
	asp_catalog_access ca;
	bool		exists;
	char	   *result;
	bool		ok;

	name = arg_cstring(fcinfo, 0, "connection name");
	if (!asp_has_role(GetUserId(), ASP_ROLE_MONITOR) &&
		!asp_connection_usable(name, GetUserId(), false, &exists))
	{
		asp_refusal r;

		if (!asp_has_role(GetUserId(), ASP_ROLE_DEVELOPER))
			asp_require_role((1 << ASP_ROLE_DEVELOPER) | (1 << ASP_ROLE_MONITOR),
							 ai->action, ai->target, "test connections");
		asp_refusal_set(&r, "role \"%s\" may not use connection \"%s\"",
						GetUserNameFromId(GetUserId(), false), name);
		snprintf(r.detail, sizeof(r.detail),
				 "A connection is tested by members of asp_admin or asp_monitor, and by the roles that may use it.");
		snprintf(r.hint, sizeof(r.hint),
				 "A member of asp_admin can grant it: SELECT asp.grant_connection(%s, %s);",
				 quote_literal_cstr(name), quote_literal_cstr(GetUserNameFromId(GetUserId(), false)));
		asp_refuse(ai->action, ai->target, &r);
	}
	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("timeout_ms must not be null")));
	timeout_ms = PG_GETARG_INT32(1);
	if (timeout_ms < 1 || timeout_ms > 600000)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("timeout_ms must be between 1 and 600000"),
				 errdetail("timeout_ms is %d.", timeout_ms)));
	asp_catalog_begin(&ca);
	read_connection(name, "", &row);
	asp_catalog_end(&ca);

	if (!is_registered_type(row.type))
	{
		/* the built-ins: the generator, and this database */
		result = psprintf("{\"ok\": true, \"type\": \"%s\"}", row.type);
		ok = true;
	}
	else
	{
		bson_t		b;
		bson_t		res;
		asp_error	err;
		bson_iter_t it;

		bson_init(&b);
		parse_stored(row.config, &b);
		bson_init(&res);
		asp_error_init(&err);
		if (!asp_conn_test(row.type, &b, timeout_ms, &res, &err))
		{
			char	   *msg = scrub(row.type, &b, err.message);

			bson_destroy(&res);
			bson_destroy(&b);
			ereport(ERROR,
					(errcode(ERRCODE_INTERNAL_ERROR),
					 errmsg("could not test connection \"%s\": %s", name, msg)));
		}
		ok = bson_iter_init_find(&it, &res, "ok") && BSON_ITER_HOLDS_BOOL(&it) && bson_iter_bool(&it);
		result = scrub(row.type, &b, bson_json(&res));
		bson_destroy(&res);
		bson_destroy(&b);
	}
	asp_audit_success(ai, ok ? "reachable" : "not reachable");
	PG_RETURN_TEXT_P(cstring_to_text(result));
}

/* asp_test_connection: SQL function asp.test_connection(name, timeout_ms) */
Datum
asp_test_connection(PG_FUNCTION_ARGS)
{
	return asp_audit_run(fcinfo, "connection.test", false, test_connection);
}

/*
 * asp_list_connections: SQL function asp.list_connections(): every
 * connection for asp_admin and asp_monitor, the usable ones for others
 * (asp_developer), with every secret masked; grantees only for the first.
 */
Datum
asp_list_connections(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Oid			caller = GetUserId();
	bool		all;
	asp_catalog_access ca;

	asp_require_role((1 << ASP_ROLE_DEVELOPER) | (1 << ASP_ROLE_MONITOR), "connection.list", NULL,
					 "list connections");
	all = asp_has_role(caller, ASP_ROLE_MONITOR);
	InitMaterializedSRF(fcinfo, 0);
	asp_catalog_begin(&ca);
	if (SPI_execute("SELECT c.name, c.type, c.owner::pg_catalog.regrole, c.config, "
					"ARRAY(SELECT g.grantee::pg_catalog.regrole FROM asp.connection_grants g "
					"WHERE g.connection OPERATOR(pg_catalog.=) c.name "
					"ORDER BY g.grantee::pg_catalog.regrole::pg_catalog.text) "
					"FROM asp.connections c ORDER BY c.name", true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read asp.connections");
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	td = SPI_tuptable->tupdesc;
		Datum		values[5];
		bool		nulls[5] = {false, false, false, false, false};
		bool		isnull;
		ArrayType  *grantees = DatumGetArrayTypeP(SPI_getbinval(tup, td, 5, &isnull));
		char	   *type = SPI_getvalue(tup, td, 2);
		bool		usable = all || asp_has_role(caller, ASP_ROLE_ADMIN);
		bson_t		b;

		if (!usable)
		{
			Datum	   *elems;
			int			n;

			deconstruct_array(grantees, REGROLEOID, sizeof(Oid), true, TYPALIGN_INT,
							  &elems, NULL, &n);
			for (int j = 0; j < n && !usable; j++)
				usable = has_privs_of_role(caller, DatumGetObjectId(elems[j]));
		}
		if (!usable)
			continue;
		values[0] = SPI_getbinval(tup, td, 1, &isnull);
		values[1] = SPI_getbinval(tup, td, 2, &isnull);
		values[2] = SPI_getbinval(tup, td, 3, &isnull);
		bson_init(&b);
		parse_stored(SPI_getvalue(tup, td, 4), &b);
		values[3] = CStringGetTextDatum(masked_json(type, &b));
		bson_destroy(&b);
		values[4] = PointerGetDatum(grantees);
		nulls[4] = !all;
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	asp_catalog_end(&ca);
	return (Datum) 0;
}

/* asp_registry_load: the names and types of every connection */
void
asp_registry_load(asp_registry *reg)
{
	asp_catalog_access ca;
	MemoryContext upper = CurrentMemoryContext;

	asp_catalog_begin(&ca);
	if (SPI_execute("SELECT name, type FROM asp.connections", false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read asp.connections");
	reg->n = (int) SPI_processed;
	reg->names = MemoryContextAlloc(upper, sizeof(char *) * (reg->n + 1));
	reg->types = MemoryContextAlloc(upper, sizeof(asp_conn_type) * (reg->n + 1));
	for (int i = 0; i < reg->n; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		char	   *type = SPI_getvalue(tup, SPI_tuptable->tupdesc, 2);

		reg->names[i] = MemoryContextStrdup(upper, SPI_getvalue(tup, SPI_tuptable->tupdesc, 1));
		reg->types[i] = strcmp(type, "kafka") == 0 ? ASP_CONN_KAFKA :
			strcmp(type, "mongodb") == 0 ? ASP_CONN_MONGODB :
			strcmp(type, "postgres") == 0 ? ASP_CONN_POSTGRES :
			strcmp(type, "sample") == 0 ? ASP_CONN_SAMPLE : ASP_CONN_UNKNOWN;
	}
	asp_catalog_end(&ca);
}

/* asp_registry_lookup: the type of a connection of the registry ud */
asp_conn_type
asp_registry_lookup(void *ud, const char *name)
{
	asp_registry *reg = ud;

	for (int i = 0; i < reg->n; i++)
		if (strcmp(reg->names[i], name) == 0)
			return reg->types[i];
	return ASP_CONN_UNKNOWN;
}
