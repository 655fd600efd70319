/*-------------------------------------------------------------------------
 *
 * pg_sink.c
 *	  $merge into a table of the current database (the "local" connection).
 *
 * MongoDB's $merge mapped onto a table:
 *
 * - The table is read once per run: its columns, their types and defaults,
 *   and the unique index that the 'on' fields need (as MongoDB requires a
 *   unique index on them).  A missing table is created as
 *   (_id jsonb PRIMARY KEY, doc jsonb NOT NULL).
 * - Each document becomes a jsonb "row object" keyed by column name: the
 *   value of the field (or dotted path) named like the column, converted
 *   straight from BSON (bson_jsonb.c); a json/jsonb column named
 *   "doc" gets the whole document.  Columns of json types keep BSON types
 *   as relaxed extended JSON ({"$date": ...}, {"$oid": ...}) so the data
 *   round-trips; other columns get scalars their input functions read
 *   (dates as ISO-8601 text, ObjectIds as hex).
 * - Up to SINK_BATCH row objects are written by one statement that takes
 *   them as a jsonb[] and coerces them with jsonb_to_record; the statement
 *   is prepared once per sink, with a generic plan of index lookups.
 *   whenMatched/whenNotMatched choose it: INSERT (fail), INSERT ... ON
 *   CONFLICT DO UPDATE (replace) / DO NOTHING (keepExisting), UPDATE then
 *   INSERT of the rest (merge: only the fields present change), or UPDATE
 *   alone (whenNotMatched "discard").  For merge into a plain table, a
 *   batch that follows one of only new keys is first tried as a plain
 *   INSERT (no lookups), and on failure rolled back and merged.
 * - A batch runs in a subtransaction.  If it fails on a per-document error
 *   (bad value for a column, constraint violation, duplicate key with
 *   "fail"), it is rolled back and its documents are written one by one,
 *   each in its own subtransaction, so only the bad ones go to the dead
 *   letter queue.  Other errors (privileges, ...) are raised.
 * - A batch never holds two documents with the same key, so that each
 *   statement sees every key once and the result is the one of writing
 *   the documents in order.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>
#include <time.h>

#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_index.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "common/shortest_dec.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "nodes/nodes.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/rel.h"
#include "utils/relcache.h"
#include "utils/resowner.h"
#include "utils/ruleutils.h"
#include "utils/syscache.h"

#include "connectors/bson_jsonb.h"
#include "connectors/pg_sink.h"
#include "engine/json_out.h"

#define SINK_BATCH 1000
#define SINK_KEYSET 2048		/* power of two, > 2 * SINK_BATCH */
#define MAX_ON_FIELDS 32

typedef enum when_matched
{
	WM_MERGE,
	WM_REPLACE,
	WM_KEEP,
	WM_FAIL
} when_matched;

typedef struct sink_column
{
	char	   *name;			/* column name = field path */
	char	   *qname;			/* quoted */
	char	   *typname;		/* format_type, with typmod */
	AttrNumber	attnum;
	bool		is_json;		/* json or jsonb: values as extended JSON */
	bool		is_doc;			/* json(b) column "doc": the whole document */
	bool		is_key;			/* one of the 'on' fields */
	char	   *defexpr;		/* SQL of the default, or NULL */
	SPIPlanPtr	probe;			/* finds which column a bad value is in */
} sink_column;

typedef struct sink_entry
{
	uint8	   *doc;			/* the document as written (with _id) */
	uint32		len;
	Jsonb	   *row;			/* row object, NULL when reason is set */
	char	   *reason;			/* not written: the DLQ reason */
} sink_entry;

struct asp_pg_sink
{
	MemoryContext cxt;			/* lives as long as the sink */
	MemoryContext batch_cxt;	/* reset after each batch */
	MemoryContext row_cxt;		/* a row object's tree, reset for each row */
	asp_output_fn out;
	void	   *ud;

	char	   *schema;
	char	   *table;
	char	   *qualname;		/* quoted schema.table */
	when_matched wm;
	bool		discard;		/* whenNotMatched "discard" */
	char	   *on[MAX_ON_FIELDS];
	int			non;

	sink_column *cols;
	int			ncols;
	char	   *key_index;		/* name of the unique index on the 'on' columns */

	SPIPlanPtr	plan;			/* the batch statement */
	bool		plain_ok;		/* merge: a plain INSERT may stand for it (see below) */
	SPIPlanPtr	insert_plan;	/* that INSERT, prepared on first use */
	bool		try_insert;		/* the last batch had only new keys: try it first */
	uint64		write_ns;		/* time in asp_pg_sink_flush, see asp_pg_sink_take_time_ns */

	sink_entry *batch;
	int			n;
	uint64	   *keyset;			/* hashes of the keys in the batch, 0 = empty */

	bson_t	   *idbuf;			/* document with a generated _id */
	bson_t	   *dlqbuf;			/* DLQ document */
};

/* ---------------------------------------------------------------------
 * Row objects
 * ---------------------------------------------------------------------
 */

/* find_field: the value at a field path (dotted paths through documents) */
static bool
find_field(const uint8_t *doc, uint32 len, const char *path, bson_iter_t *out)
{
	bson_iter_t it;

	if (!bson_iter_init_from_data(&it, doc, len))
		return false;
	if (strchr(path, '.') == NULL)
	{
		if (!bson_iter_find_w_len(&it, path, (int) strlen(path)))
			return false;
		*out = it;
		return true;
	}
	return bson_iter_find_descendant(&it, path, out);
}

/* make_row: the row object of a document; NULL with *bad set if it cannot be stored */
static Jsonb *
make_row(asp_pg_sink *s, const uint8_t *doc, uint32 len, const char **bad)
{
	JsonbValue	row;
	JsonbPair  *pairs = palloc(sizeof(JsonbPair) * Max(s->ncols, 1));
	int			n = 0;
	int			i;

	*bad = NULL;
	for (i = 0; i < s->ncols; i++)
	{
		sink_column *c = &s->cols[i];
		bson_iter_t it;

		if (c->is_doc)
			asp_bson_doc_to_jbv(doc, len, false, bad, &pairs[n].value);
		else if (find_field(doc, len, c->name, &it))
			asp_bson_value_to_jbv(&it, !c->is_json, bad, &pairs[n].value);
		else
			continue;
		pairs[n].key.type = jbvString;
		pairs[n].key.val.string.val = c->name;
		pairs[n].key.val.string.len = (int) strlen(c->name);
		pairs[n].order = (uint32) n;
		n++;
	}
	if (*bad)
		return NULL;
	row.type = jbvObject;
	row.val.object.nPairs = n;
	row.val.object.pairs = pairs;
	asp_jbv_sort_pairs(&row);
	return JsonbValueToJsonb(&row);
}


/* ---------------------------------------------------------------------
 * The table
 * ---------------------------------------------------------------------
 */

/* parse_spec: whenMatched, whenNotMatched, on, into.db/coll of the $merge operand */
static void
parse_spec(asp_pg_sink *s, const bson_value_t *spec)
{
	bson_iter_t it;
	const char *wnm = "insert";

	s->wm = WM_MERGE;
	s->on[0] = pstrdup("_id");
	s->non = 1;
	if (!bson_iter_init_from_data(&it, spec->value.v_doc.data, spec->value.v_doc.data_len))
		elog(ERROR, "corrupt $merge specification");
	while (bson_iter_next(&it))
	{
		const char *key = bson_iter_key(&it);

		if (strcmp(key, "into") == 0)
		{
			bson_iter_t iit;

			bson_iter_recurse(&it, &iit);
			while (bson_iter_next(&iit))
			{
				const char *ik = bson_iter_key(&iit);

				if (strcmp(ik, "db") != 0 && strcmp(ik, "coll") != 0)
					continue;
				if (!BSON_ITER_HOLDS_UTF8(&iit))
					ereport(ERROR,
							(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
							 errmsg("$merge into the \"local\" connection needs 'into.%s' as a string", ik),
							 errdetail("Expressions for the target schema or table are not supported yet.")));
				if (strcmp(ik, "db") == 0)
					s->schema = pstrdup(bson_iter_utf8(&iit, NULL));
				else
					s->table = pstrdup(bson_iter_utf8(&iit, NULL));
			}
		}
		else if (strcmp(key, "on") == 0)
		{
			if (BSON_ITER_HOLDS_UTF8(&it))
				s->on[0] = pstrdup(bson_iter_utf8(&it, NULL));
			else
			{
				bson_iter_t oit;

				s->non = 0;
				bson_iter_recurse(&it, &oit);
				while (bson_iter_next(&oit))
				{
					if (s->non == MAX_ON_FIELDS)
						ereport(ERROR,
								(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
								 errmsg("$merge: 'on' can name at most %d fields", MAX_ON_FIELDS)));
					s->on[s->non++] = pstrdup(bson_iter_utf8(&oit, NULL));
				}
			}
		}
		else if (strcmp(key, "whenMatched") == 0)
		{
			const char *w;

			if (!BSON_ITER_HOLDS_UTF8(&it))
				ereport(ERROR,
						(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						 errmsg("$merge into the \"local\" connection does not support a 'whenMatched' pipeline yet"),
						 errhint("Use \"replace\", \"keepExisting\", \"merge\" or \"fail\".")));
			w = bson_iter_utf8(&it, NULL);
			if (strcmp(w, "replace") == 0)
				s->wm = WM_REPLACE;
			else if (strcmp(w, "keepExisting") == 0)
				s->wm = WM_KEEP;
			else if (strcmp(w, "fail") == 0)
				s->wm = WM_FAIL;
			else
				s->wm = WM_MERGE;
		}
		else if (strcmp(key, "whenNotMatched") == 0)
			wnm = bson_iter_utf8(&it, NULL);
	}
	s->discard = strcmp(wnm, "discard") == 0;
	if (s->discard && (s->wm == WM_KEEP || s->wm == WM_FAIL))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("$merge: the combination of {whenMatched: \"%s\", whenNotMatched: \"discard\"} is not supported",
						s->wm == WM_KEEP ? "keepExisting" : "fail"),
				 errdetail("MongoDB refuses this combination too.")));
}

/* is_json_type: json or jsonb (also through a domain) */
static bool
is_json_type(Oid typid)
{
	typid = getBaseType(typid);
	return typid == JSONOID || typid == JSONBOID;
}

/* create_default_table: CREATE TABLE schema.table (_id jsonb PRIMARY KEY, doc jsonb NOT NULL) */
static void
create_default_table(asp_pg_sink *s)
{
	StringInfoData sql;
	int			rc;

	if (s->non != 1 || strcmp(s->on[0], "_id") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("$merge: table %s does not exist and 'on' is not \"_id\"", s->qualname),
				 errdetail("A missing table is created with the columns (_id jsonb PRIMARY KEY, doc jsonb), which can only be matched on \"_id\"."),
				 errhint("Create the table with a column for each 'on' field and a unique index on them.")));
	initStringInfo(&sql);
	appendStringInfo(&sql, "CREATE TABLE %s (_id jsonb PRIMARY KEY, doc jsonb NOT NULL)",
					 s->qualname);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	rc = SPI_execute(sql.data, false, 0);
	if (rc != SPI_OK_UTILITY)
		elog(ERROR, "could not create table %s: %s", s->qualname, SPI_result_code_string(rc));
	SPI_finish();
	pfree(sql.data);
}

/* read_table: the columns, defaults and the unique index of the 'on' fields */
static void
read_table(asp_pg_sink *s, Oid relid)
{
	Relation	rel = table_open(relid, RowExclusiveLock);
	TupleDesc	td = RelationGetDescr(rel);
	AttrNumber	keyatt[MAX_ON_FIELDS];
	List	   *deparse_cxt = NIL;
	List	   *indexes;
	bool		has_defaults = false;
	ListCell   *lc;
	int			i,
				j;

	if (rel->rd_rel->relkind != RELKIND_RELATION &&
		rel->rd_rel->relkind != RELKIND_PARTITIONED_TABLE)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("$merge: %s is not a table", s->qualname)));

	s->cols = palloc0(sizeof(sink_column) * Max(td->natts, 1));
	s->ncols = 0;
	for (i = 0; i < td->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(td, i);
		sink_column *c;

		if (!att->attisdropped && (att->atthasdef || att->attgenerated || att->attidentity))
			has_defaults = true;
		if (att->attisdropped || att->attgenerated || att->attidentity)
			continue;
		c = &s->cols[s->ncols++];
		c->name = pstrdup(NameStr(att->attname));
		c->qname = pstrdup(quote_identifier(c->name));
		c->typname = format_type_with_typemod(att->atttypid, att->atttypmod);
		c->attnum = att->attnum;
		c->is_json = is_json_type(att->atttypid);
		c->is_doc = c->is_json && strcmp(c->name, "doc") == 0;
		if (att->atthasdef && td->constr)
		{
			for (j = 0; j < td->constr->num_defval; j++)
			{
				AttrDefault *def = &td->constr->defval[j];

				if (def->adnum != att->attnum)
					continue;
				if (deparse_cxt == NIL)
					deparse_cxt = deparse_context_for(RelationGetRelationName(rel), relid);
				c->defexpr = deparse_expression(stringToNode(def->adbin), deparse_cxt,
												false, false);
			}
		}
	}

	/* the 'on' fields are columns */
	for (i = 0; i < s->non; i++)
	{
		for (j = 0; j < s->ncols; j++)
			if (strcmp(s->cols[j].name, s->on[i]) == 0)
				break;
		if (j == s->ncols || s->cols[j].is_doc)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("$merge: 'on' field \"%s\" has no column in table %s", s->on[i], s->qualname),
					 errhint("Create the table with a column for each 'on' field and a unique index on them.")));
		s->cols[j].is_key = true;
		keyatt[i] = s->cols[j].attnum;
	}

	/* a unique index on exactly those columns, usable by ON CONFLICT */
	indexes = RelationGetIndexList(rel);
	foreach(lc, indexes)
	{
		Oid			indexoid = lfirst_oid(lc);
		HeapTuple	tup = SearchSysCache1(INDEXRELID, ObjectIdGetDatum(indexoid));
		Form_pg_index ix;
		bool		ok;

		if (!HeapTupleIsValid(tup))
			continue;
		ix = (Form_pg_index) GETSTRUCT(tup);
		ok = ix->indisunique && ix->indimmediate && ix->indisvalid &&
			ix->indnkeyatts == s->non &&
			heap_attisnull(tup, Anum_pg_index_indexprs, NULL) &&
			heap_attisnull(tup, Anum_pg_index_indpred, NULL);
		for (i = 0; ok && i < ix->indnkeyatts; i++)
		{
			for (j = 0; j < s->non; j++)
				if (ix->indkey.values[i] == keyatt[j])
					break;
			ok = j < s->non;
		}
		ReleaseSysCache(tup);
		if (ok)
		{
			s->key_index = get_rel_name(indexoid);
			break;
		}
	}
	list_free(indexes);

	/*
	 * whenMatched "merge" of a batch whose keys are all new is a plain
	 * INSERT.  It may be tried first only where it cannot behave
	 * differently from the merge statement: a plain table without
	 * triggers or row-level security, on which the user may UPDATE as the
	 * merge statement requires, and without defaults, identity or
	 * generated columns (a failed attempt must leave no trace, and a
	 * sequence would keep the values it took).
	 */
	s->plain_ok = s->wm == WM_MERGE && !s->discard && !has_defaults &&
		rel->rd_rel->relkind == RELKIND_RELATION && rel->trigdesc == NULL &&
		!rel->rd_rel->relrowsecurity &&
		pg_class_aclcheck(relid, GetUserId(), ACL_UPDATE) == ACLCHECK_OK;
	table_close(rel, NoLock);

	if (s->key_index == NULL)
	{
		StringInfoData cols;

		initStringInfo(&cols);
		for (i = 0; i < s->non; i++)
			appendStringInfo(&cols, "%s%s", i ? ", " : "", quote_identifier(s->on[i]));
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_OBJECT_DEFINITION),
				 errmsg("$merge: cannot find index to verify that join fields will be unique"),
				 errdetail("Table %s has no unique index or primary key on exactly the 'on' columns (%s).",
						   s->qualname, cols.data),
				 errhint("Create one, e.g. CREATE UNIQUE INDEX ON %s (%s).", s->qualname, cols.data)));
	}
}

/* append_src: the batch as rows: "asp#n" (position), "asp#j" (row object), the columns */
static void
append_src(asp_pg_sink *s, StringInfo sql)
{
	int			i;

	appendStringInfoString(sql, "SELECT e.n AS \"asp#n\", e.j AS \"asp#j\", r.* "
						   "FROM unnest($1) WITH ORDINALITY AS e(j, n), LATERAL jsonb_to_record(e.j) AS r(");
	for (i = 0; i < s->ncols; i++)
		appendStringInfo(sql, "%s%s %s", i ? ", " : "", s->cols[i].qname, s->cols[i].typname);
	appendStringInfoChar(sql, ')');
}

/* append_value: the value written for a column: the field, else the column default */
static void
append_value(StringInfo sql, const sink_column *c)
{
	if (c->defexpr && !c->is_doc)
		appendStringInfo(sql, "CASE WHEN s.\"asp#j\" ? %s THEN s.%s ELSE %s END",
						 quote_literal_cstr(c->name), c->qname, c->defexpr);
	else
		appendStringInfo(sql, "s.%s", c->qname);
}

/* append_insert: INSERT INTO t (cols) SELECT values FROM s */
static void
append_insert(asp_pg_sink *s, StringInfo sql, const char *from)
{
	int			i;

	appendStringInfo(sql, "INSERT INTO %s AS t (", s->qualname);
	for (i = 0; i < s->ncols; i++)
		appendStringInfo(sql, "%s%s", i ? ", " : "", s->cols[i].qname);
	appendStringInfoString(sql, ") SELECT ");
	for (i = 0; i < s->ncols; i++)
	{
		if (i)
			appendStringInfoString(sql, ", ");
		append_value(sql, &s->cols[i]);
	}
	appendStringInfo(sql, " FROM %s", from);
}

/*
 * append_keep_id: "|| the _id of the existing document" for the doc column
 * of an updated row: as in MongoDB, a matched document keeps its _id (the
 * new one may only have the _id generated for it)
 */
static void
append_keep_id(StringInfo sql, const char *qname, const char *alias)
{
	appendStringInfo(sql, " || CASE WHEN %s.%s::jsonb ? '_id' THEN jsonb_build_object('_id', %s.%s::jsonb -> '_id') ELSE '{}' END",
					 alias, qname, alias, qname);
}

/* append_update: UPDATE t SET ... FROM s WHERE keys match */
static void
append_update(asp_pg_sink *s, StringInfo sql, const char *from)
{
	int			i;
	bool		first = true;

	appendStringInfo(sql, "UPDATE %s AS t SET ", s->qualname);
	for (i = 0; i < s->ncols; i++)
	{
		sink_column *c = &s->cols[i];

		if (c->is_key)
			continue;
		appendStringInfo(sql, "%s%s = ", first ? "" : ", ", c->qname);
		first = false;
		if (c->is_doc)
		{
			/* merge: top-level fields of the new document win; _id stays */
			if (s->wm == WM_REPLACE)
				appendStringInfo(sql, "(s.%s::jsonb", c->qname);
			else
				appendStringInfo(sql, "(COALESCE(t.%s::jsonb, '{}') || s.%s::jsonb",
								 c->qname, c->qname);
			append_keep_id(sql, c->qname, "t");
			appendStringInfo(sql, ")::%s", c->typname);
		}
		else if (s->wm == WM_REPLACE)
			append_value(sql, c);
		else
			appendStringInfo(sql, "CASE WHEN s.\"asp#j\" ? %s THEN s.%s ELSE t.%s END",
							 quote_literal_cstr(c->name), c->qname, c->qname);
	}
	if (first)					/* only key columns: nothing changes */
		appendStringInfo(sql, "%s = t.%s", s->cols[0].qname, s->cols[0].qname);
	appendStringInfo(sql, " FROM %s WHERE ", from);
	first = true;
	for (i = 0; i < s->ncols; i++)
	{
		if (!s->cols[i].is_key)
			continue;
		appendStringInfo(sql, "%st.%s = s.%s", first ? "" : " AND ", s->cols[i].qname,
						 s->cols[i].qname);
		first = false;
	}
}

/* build_insert: the plain INSERT of a batch (its keys all new), in order */
static char *
build_insert(asp_pg_sink *s)
{
	StringInfoData sql;
	StringInfoData src;

	initStringInfo(&sql);
	initStringInfo(&src);
	appendStringInfoChar(&src, '(');
	append_src(s, &src);
	appendStringInfoString(&src, ") AS s ORDER BY s.\"asp#n\"");
	append_insert(s, &sql, src.data);
	pfree(src.data);
	return sql.data;
}

/* build_statement: the batch statement for whenMatched/whenNotMatched */
static char *
build_statement(asp_pg_sink *s)
{
	StringInfoData sql;
	StringInfoData src;
	int			i;
	bool		first;

	initStringInfo(&sql);
	initStringInfo(&src);
	appendStringInfoChar(&src, '(');
	append_src(s, &src);
	appendStringInfoString(&src, ") AS s");

	if (s->discard)
		append_update(s, &sql, src.data);
	else if (s->wm == WM_MERGE)
	{
		appendStringInfoString(&sql, "WITH s AS MATERIALIZED (");
		append_src(s, &sql);
		appendStringInfoString(&sql, "), u AS (");
		append_update(s, &sql, "s");
		appendStringInfoString(&sql, " RETURNING s.\"asp#n\") ");
		append_insert(s, &sql, "s WHERE s.\"asp#n\" NOT IN (SELECT u.\"asp#n\" FROM u) ORDER BY s.\"asp#n\"");
	}
	else
	{
		appendStringInfoString(&src, " ORDER BY s.\"asp#n\"");
		append_insert(s, &sql, src.data);
		if (s->wm != WM_FAIL)
		{
			appendStringInfoString(&sql, " ON CONFLICT (");
			first = true;
			for (i = 0; i < s->ncols; i++)
				if (s->cols[i].is_key)
				{
					appendStringInfo(&sql, "%s%s", first ? "" : ", ", s->cols[i].qname);
					first = false;
				}
			appendStringInfoString(&sql, ") DO ");
			first = true;
			for (i = 0; s->wm == WM_REPLACE && i < s->ncols; i++)
				if (!s->cols[i].is_key)
				{
					sink_column *c = &s->cols[i];

					appendStringInfo(&sql, "%s%s = ", first ? "UPDATE SET " : ", ", c->qname);
					if (c->is_doc)
					{
						appendStringInfo(&sql, "(excluded.%s::jsonb", c->qname);
						append_keep_id(&sql, c->qname, "t");
						appendStringInfo(&sql, ")::%s", c->typname);
					}
					else
						appendStringInfo(&sql, "excluded.%s", c->qname);
					first = false;
				}
			if (first)
				appendStringInfoString(&sql, "NOTHING");
		}
	}
	pfree(src.data);
	return sql.data;
}

/*
 * prepare_plan: SPI_prepare + SPI_keepplan (the caller is connected).  The
 * plan is generic: the statement looks rows up by a unique key, which an
 * index scan per row does best whatever the batch, so planning it again
 * for each batch (a custom plan, as the plan cache does for the first
 * executions) would only cost time and may pick a hash join over the
 * whole table while it is small.
 */
static SPIPlanPtr
prepare_plan(const char *sql, Oid argtype)
{
	SPIPlanPtr	plan = SPI_prepare_cursor(sql, 1, &argtype, CURSOR_OPT_GENERIC_PLAN);

	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed for \"%s\": %s", sql,
			 SPI_result_code_string(SPI_result));
	if (SPI_keepplan(plan) != 0)
		elog(ERROR, "SPI_keepplan failed");
	return plan;
}

/* asp_pg_sink_open: see pg_sink.h */
asp_pg_sink *
asp_pg_sink_open(const bson_value_t *merge_spec, asp_output_fn out, void *ud)
{
	MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext, "asp $merge sink",
											  ALLOCSET_DEFAULT_SIZES);
	MemoryContext old = MemoryContextSwitchTo(cxt);
	asp_pg_sink *s = palloc0(sizeof(asp_pg_sink));
	Oid			nspid;
	Oid			relid;
	char	   *sql;

	s->cxt = cxt;
	s->out = out;
	s->ud = ud;
	parse_spec(s, merge_spec);
	s->qualname = quote_qualified_identifier(s->schema, s->table);

	nspid = get_namespace_oid(s->schema, true);
	if (!OidIsValid(nspid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_SCHEMA),
				 errmsg("$merge: schema \"%s\" does not exist", s->schema),
				 errdetail("'into.db' names the schema and 'into.coll' the table of the \"local\" connection."),
				 errhint("Create it with CREATE SCHEMA %s.", quote_identifier(s->schema))));
	relid = get_relname_relid(s->table, nspid);
	if (!OidIsValid(relid))
	{
		create_default_table(s);
		relid = get_relname_relid(s->table, nspid);
		if (!OidIsValid(relid))
			elog(ERROR, "table %s was not created", s->qualname);
	}
	read_table(s, relid);

	sql = build_statement(s);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	s->plan = prepare_plan(sql, JSONBARRAYOID);
	s->try_insert = false;		/* until a batch shows that keys are new */
	SPI_finish();

	s->batch = palloc0(sizeof(sink_entry) * SINK_BATCH);
	s->keyset = palloc0(sizeof(uint64) * SINK_KEYSET);
	/*
	 * A batch's memory (documents, rows, the array of rows) is kept from
	 * one batch to the next (its first block survives a reset), so that
	 * it is not given back to the kernel and faulted in again each time
	 */
	s->batch_cxt = AllocSetContextCreate(cxt, "asp $merge batch", 1024 * 1024,
										 64 * 1024, ALLOCSET_DEFAULT_MAXSIZE);
	s->row_cxt = AllocSetContextCreate(cxt, "asp $merge row", ALLOCSET_DEFAULT_SIZES);
	MemoryContextSwitchTo(old);

	/* libbson allocations last: nothing above may leak them */
	s->idbuf = bson_new();
	s->dlqbuf = bson_new();
	return s;
}


/* ---------------------------------------------------------------------
 * Writing
 * ---------------------------------------------------------------------
 */

/* hash_key_value: a hash of a key value; equal keys hash equal */
static uint64
hash_key_value(const bson_iter_t *it, uint64 h)
{
	const uint8_t *data = NULL;
	uint32_t	len = 0;
	double		d;

	switch (bson_iter_type(it))
	{
		case BSON_TYPE_INT32:
		case BSON_TYPE_INT64:
		case BSON_TYPE_DOUBLE:
			/* 1, 1L and 1.0 are the same key */
			d = bson_iter_as_double(it);
			if (d == 0)
				d = 0;			/* -0 */
			return hash_bytes_extended((const unsigned char *) &d, sizeof(d), h);
		case BSON_TYPE_UTF8:
			{
				const char *str = bson_iter_utf8(it, &len);

				return hash_bytes_extended((const unsigned char *) str, len, h ^ 1);
			}
		case BSON_TYPE_DOCUMENT:
			bson_iter_document(it, &len, &data);
			break;
		case BSON_TYPE_ARRAY:
			bson_iter_array(it, &len, &data);
			break;
		case BSON_TYPE_OID:
			data = bson_iter_oid(it)->bytes;
			len = 12;
			break;
		default:
			/* other types: equal types collide, which only flushes earlier */
			return h + bson_iter_type(it);
	}
	return hash_bytes_extended(data, len, h ^ bson_iter_type(it));
}

/* keyset_add: add a key hash to the batch's set; false if it was there */
static bool
keyset_add(asp_pg_sink *s, uint64 h)
{
	uint32		i = (uint32) h & (SINK_KEYSET - 1);

	if (h == 0)
		h = 1;
	while (s->keyset[i] != 0)
	{
		if (s->keyset[i] == h)
			return false;
		i = (i + 1) & (SINK_KEYSET - 1);
	}
	s->keyset[i] = h;
	return true;
}

/* emit_dlq: a DLQ document for an entry that could not be written */
static void
emit_dlq(asp_pg_sink *s, const sink_entry *e)
{
	bson_t	   *b = s->dlqbuf;
	bson_t		errinfo,
				d;
	bson_iter_t it;

	bson_reinit(b);
	if (bson_iter_init_from_data(&it, e->doc, e->len) && bson_iter_find(&it, "_stream_meta") &&
		BSON_ITER_HOLDS_DOCUMENT(&it))
		bson_append_iter(b, "_stream_meta", -1, &it);
	BSON_APPEND_DOCUMENT_BEGIN(b, "errInfo", &errinfo);
	BSON_APPEND_UTF8(&errinfo, "reason", e->reason);
	bson_append_document_end(b, &errinfo);
	BSON_APPEND_UTF8(b, "operatorName", "$merge");
	if (bson_init_static(&d, e->doc, e->len))
		BSON_APPEND_DOCUMENT(b, "doc", &d);
	s->out(s->ud, ASP_OUTPUT_DLQ, bson_get_data(b), b->len);
}

/* is_document_error: an error caused by the documents, not the setup */
static bool
is_document_error(int sqlerrcode)
{
	return ERRCODE_TO_CATEGORY(sqlerrcode) == ERRCODE_DATA_EXCEPTION ||
		ERRCODE_TO_CATEGORY(sqlerrcode) == ERRCODE_INTEGRITY_CONSTRAINT_VIOLATION ||
		sqlerrcode == ERRCODE_CARDINALITY_VIOLATION;
}

/*
 * try_plan: run a plan in a subtransaction.  NULL if it worked; the error
 * (copied into the batch context) if it failed on a document error; other
 * errors are raised.  The caller is connected to SPI.
 */
static ErrorData *
try_plan(asp_pg_sink *s, SPIPlanPtr plan, Datum arg, uint64 *processed)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	ResourceOwner oldowner = CurrentResourceOwner;
	ErrorData  *volatile edata = NULL;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(oldcxt);
	PG_TRY();
	{
		int			nestlevel = NewGUCNestLevel();
		int			rc;

		/*
		 * Rows are looked up by their unique key: an index scan per row,
		 * whatever the size of the table when the plan is made (the plan is
		 * kept while the sink is open, and a table that was small then, or
		 * never analyzed, would get a hash join over all of it).  The
		 * settings return at the end of the subtransaction.
		 */
		(void) set_config_option("enable_hashjoin", "off", PGC_USERSET, PGC_S_SESSION,
								 GUC_ACTION_SAVE, true, 0, false);
		(void) set_config_option("enable_mergejoin", "off", PGC_USERSET, PGC_S_SESSION,
								 GUC_ACTION_SAVE, true, 0, false);
		(void) set_config_option("enable_seqscan", "off", PGC_USERSET, PGC_S_SESSION,
								 GUC_ACTION_SAVE, true, 0, false);
		rc = SPI_execute_plan(plan, &arg, " ", false, 0);
		AtEOXact_GUC(true, nestlevel);
		if (rc < 0)
			elog(ERROR, "SPI_execute_plan failed: %s", SPI_result_code_string(rc));
		if (processed)
			*processed = SPI_processed;
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcxt);
		CurrentResourceOwner = oldowner;
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(s->batch_cxt);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcxt);
		CurrentResourceOwner = oldowner;
		if (!is_document_error(edata->sqlerrcode))
		{
			MemoryContext keep = MemoryContextSwitchTo(TopTransactionContext);

			/*
			 * ReThrowError copies the messages but not these fields, which
			 * CopyErrorData may have copied into the batch context: it goes
			 * with the sink, which callers free while the error unwinds
			 */
			if (edata->filename)
				edata->filename = pstrdup(edata->filename);
			if (edata->funcname)
				edata->funcname = pstrdup(edata->funcname);
			if (edata->domain)
				edata->domain = pstrdup(edata->domain);
			if (edata->context_domain)
				edata->context_domain = pstrdup(edata->context_domain);
			if (edata->message_id)
				edata->message_id = pstrdup(edata->message_id);
			/* say what was being done, not the generated statement */
			edata->context = psprintf("$merge into table %s", s->qualname);
			MemoryContextSwitchTo(keep);
			ReThrowError(edata);
		}
	}
	PG_END_TRY();
	return edata;
}

/* entry_reason: the DLQ reason for a document whose write failed */
static char *
entry_reason(asp_pg_sink *s, const sink_entry *e, const ErrorData *edata)
{
	int			i;

	if (edata->sqlerrcode == ERRCODE_UNIQUE_VIOLATION && s->wm == WM_FAIL &&
		(edata->constraint_name == NULL || strcmp(edata->constraint_name, s->key_index) == 0))
		return "$merge failed: a document with the same key already exists";

	/* a value a column cannot take: find the column */
	if (ERRCODE_TO_CATEGORY(edata->sqlerrcode) == ERRCODE_DATA_EXCEPTION)
	{
		for (i = 0; i < s->ncols; i++)
		{
			sink_column *c = &s->cols[i];
			ErrorData  *perr;

			if (c->is_json ||
				getKeyJsonValueFromContainer(&e->row->root, c->name, strlen(c->name), NULL) == NULL)
				continue;
			if (c->probe == NULL)
			{
				StringInfoData sql;

				initStringInfo(&sql);
				appendStringInfo(&sql, "SELECT r.%s FROM jsonb_to_record($1) AS r(%s %s)",
								 c->qname, c->qname, c->typname);
				c->probe = prepare_plan(sql.data, JSONBOID);
				pfree(sql.data);
			}
			perr = try_plan(s, c->probe, JsonbPGetDatum(e->row), NULL);
			if (perr)
				return psprintf("column \"%s\" (%s): %s", c->name, c->typname, perr->message);
		}
	}
	return pstrdup(edata->message);
}

/* asp_pg_sink_flush: see pg_sink.h */
void
asp_pg_sink_flush(asp_pg_sink *s)
{
	MemoryContext old;
	Datum	   *rows;
	int			nrows = 0;
	int			i;
	ErrorData  *edata;
	struct timespec t0,
				t1;

	if (s->n == 0)
		return;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	old = MemoryContextSwitchTo(s->batch_cxt);
	rows = palloc(sizeof(Datum) * s->n);
	for (i = 0; i < s->n; i++)
		if (s->batch[i].reason == NULL)
			rows[nrows++] = JsonbPGetDatum(s->batch[i].row);
	if (nrows > 0)
	{
		ArrayType  *arr = construct_array(rows, nrows, JSONBOID, -1, false, TYPALIGN_INT);

		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		edata = NULL;
		if (s->try_insert)
		{
			/*
			 * The last batch had only new keys: try this one as a plain
			 * INSERT, which does not look every key up first.  If a key
			 * exists (or anything else fails) it rolls back and the merge
			 * statement runs, as it would have; batches then use the merge
			 * statement until one of them inserts all its documents again.
			 */
			if (s->insert_plan == NULL)
			{
				MemoryContext cur = MemoryContextSwitchTo(s->cxt);

				s->insert_plan = prepare_plan(build_insert(s), JSONBARRAYOID);
				MemoryContextSwitchTo(cur);
			}
			if (try_plan(s, s->insert_plan, PointerGetDatum(arr), NULL) == NULL)
				arr = NULL;		/* written */
			else
				s->try_insert = false;
		}
		if (arr != NULL)
		{
			uint64		inserted = 0;

			edata = try_plan(s, s->plan, PointerGetDatum(arr), &inserted);
			if (edata == NULL && s->plain_ok && inserted == (uint64) nrows)
				s->try_insert = true;
		}
		if (edata != NULL)
		{
			/* again document by document, so only the bad ones fail */
			for (i = 0; i < s->n; i++)
			{
				sink_entry *e = &s->batch[i];
				ErrorData  *derr;
				Datum		one;

				CHECK_FOR_INTERRUPTS();
				if (e->reason)
					continue;
				one = JsonbPGetDatum(e->row);
				arr = construct_array(&one, 1, JSONBOID, -1, false, TYPALIGN_INT);
				derr = try_plan(s, s->plan, PointerGetDatum(arr), NULL);
				if (derr)
				{
					MemoryContextSwitchTo(s->batch_cxt);
					e->reason = entry_reason(s, e, derr);
				}
			}
		}
		SPI_finish();
		MemoryContextSwitchTo(s->batch_cxt);
	}
	MemoryContextSwitchTo(old);

	/* the documents in order: written ones as output, the others to the DLQ */
	for (i = 0; i < s->n; i++)
	{
		if (s->batch[i].reason)
			emit_dlq(s, &s->batch[i]);
		else
			s->out(s->ud, ASP_OUTPUT_DOC, s->batch[i].doc, s->batch[i].len);
	}
	s->n = 0;
	memset(s->keyset, 0, sizeof(uint64) * SINK_KEYSET);
	MemoryContextReset(s->batch_cxt);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	s->write_ns += (uint64) ((t1.tv_sec - t0.tv_sec) * INT64CONST(1000000000) +
							 (t1.tv_nsec - t0.tv_nsec));
}

/* asp_pg_sink_take_time_ns: see pg_sink.h */
uint64
asp_pg_sink_take_time_ns(asp_pg_sink *s)
{
	uint64		ns;

	if (s == NULL)
		return 0;
	ns = s->write_ns;
	s->write_ns = 0;
	return ns;
}

/* asp_pg_sink_write: see pg_sink.h */
void
asp_pg_sink_write(asp_pg_sink *s, const uint8_t *doc, uint32_t len)
{
	bson_iter_t it;
	sink_entry *e;
	MemoryContext old;
	const char *bad = NULL;
	int			bad_on = -1;
	uint64		h = 0;
	int			i;

	/* a document without _id gets an ObjectId first, as MongoDB does */
	if (!bson_iter_init_from_data(&it, doc, len))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("corrupt BSON document in $merge")));
	if (!bson_iter_find(&it, "_id"))
	{
		bson_oid_t	oid;

		bson_reinit(s->idbuf);
		bson_oid_init(&oid, NULL);
		BSON_APPEND_OID(s->idbuf, "_id", &oid);
		bson_iter_init_from_data(&it, doc, len);
		while (bson_iter_next(&it))
			bson_append_iter(s->idbuf, NULL, 0, &it);
		doc = bson_get_data(s->idbuf);
		len = s->idbuf->len;
	}

	/* the 'on' fields identify the row: they must be there */
	for (i = 0; i < s->non; i++)
	{
		if (!find_field(doc, len, s->on[i], &it) || BSON_ITER_HOLDS_NULL(&it) ||
			BSON_ITER_HOLDS_UNDEFINED(&it) || BSON_ITER_HOLDS_ARRAY(&it))
		{
			bad_on = i;
			break;
		}
		h = hash_key_value(&it, h * 31 + i);
	}
	if (bad_on < 0 && !keyset_add(s, h))
	{
		/* the key is already in this batch: write the batch first */
		asp_pg_sink_flush(s);
		keyset_add(s, h);
	}

	old = MemoryContextSwitchTo(s->batch_cxt);
	e = &s->batch[s->n];
	e->doc = palloc(len);
	memcpy(e->doc, doc, len);
	e->len = len;
	e->reason = NULL;
	e->row = NULL;
	if (bad_on >= 0)
		e->reason = psprintf("$merge write error: 'on' field '%s' cannot be missing, null, undefined or an array",
							 s->on[bad_on]);
	else
	{
		Jsonb	   *row;

		/* the tree and the conversion's buffer are garbage once copied */
		MemoryContextReset(s->row_cxt);
		MemoryContextSwitchTo(s->row_cxt);
		row = make_row(s, e->doc, len, &bad);
		MemoryContextSwitchTo(s->batch_cxt);
		if (row == NULL)
			e->reason = pstrdup(bad);
		else
		{
			e->row = palloc(VARSIZE(row));
			memcpy(e->row, row, VARSIZE(row));
		}
	}
	MemoryContextSwitchTo(old);
	s->n++;
	if (s->n == SINK_BATCH)
		asp_pg_sink_flush(s);
}

/* asp_pg_sink_free: see pg_sink.h */
void
asp_pg_sink_free(asp_pg_sink *s)
{
	int			i;

	if (s == NULL)
		return;
	if (s->idbuf)
		bson_destroy(s->idbuf);
	if (s->dlqbuf)
		bson_destroy(s->dlqbuf);
	if (s->plan)
		SPI_freeplan(s->plan);
	if (s->insert_plan)
		SPI_freeplan(s->insert_plan);
	for (i = 0; i < s->ncols; i++)
		if (s->cols[i].probe)
			SPI_freeplan(s->cols[i].probe);
	MemoryContextDelete(s->cxt);
}
