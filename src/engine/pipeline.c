/*-------------------------------------------------------------------------
 *
 * pipeline.c
 *	  Compiling an Atlas Stream Processing pipeline into a plan: the
 *	  structural rules, $source, the sinks, and the chain of stages.
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline.h"
#include "value.h"

#define KEY_IS(it, s) (strcmp(bson_iter_key(it), (s)) == 0)

typedef asp_stage *(*stage_compile_fn) (const bson_value_t *spec, asp_stage_compile_ctx *cc);

typedef struct stage_def
{
	const char *name;
	stage_compile_fn compile;
	bool		window_only;	/* $group $sort $limit $count */
} stage_def;

static const stage_def stage_defs[] = {
	{"$match", asp_stage_compile_match, false},
	{"$validate", asp_stage_compile_validate, false},
	{"$project", asp_stage_compile_project, false},
	{"$addFields", asp_stage_compile_add_fields, false},
	{"$set", asp_stage_compile_add_fields, false},
	{"$unset", asp_stage_compile_unset, false},
	{"$replaceRoot", asp_stage_compile_replace_root, false},
	{"$replaceWith", asp_stage_compile_replace_with, false},
	{"$unwind", asp_stage_compile_unwind, false},
	{"$redact", asp_stage_compile_redact, false},
	{"$group", asp_stage_compile_group, true},
	{"$sort", asp_stage_compile_sort, true},
	{"$limit", asp_stage_compile_limit, true},
	{"$count", asp_stage_compile_count, true},
	{NULL, NULL, false}
};

/* MongoDB stages that exist but are not available in stream processing */
static const char *const unsupported_stages[] = {
	"$facet", "$bucket", "$bucketAuto", "$sample", "$skip", "$sortByCount",
	"$graphLookup", "$setWindowFields", "$densify", "$fill", "$geoNear",
	"$unionWith", "$collStats", "$indexStats", "$currentOp", "$listSessions",
	"$planCacheStats", "$search", "$searchMeta", "$vectorSearch",
	"$changeStream", "$documents", NULL
};

static bool
fail_at(asp_error *err, int index, const char *stage, const char *path,
		asp_error_code code, const char *fmt,...)
	__attribute__((format(printf, 6, 7)));

/* fail_at: set an error located at a stage and option path */
static bool
fail_at(asp_error *err, int index, const char *stage, const char *path,
		asp_error_code code, const char *fmt,...)
{
	va_list		ap;

	asp_error_init(err);
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	asp_error_where(err, index, stage, path);
	return false;
}

/* asp_duration_ms: {size: <positive integer>, unit: "ms"|"second"|...} in ms */
bool
asp_duration_ms(const bson_value_t *v, const char *what, bool allow_zero,
				int64_t *ms, asp_error *err)
{
	bson_iter_t it;
	bool		have_size = false,
				have_unit = false;
	int64_t		size = 0,
				mult = 0;

	if (v->value_type != BSON_TYPE_DOCUMENT)
	{
		asp_error_set(err, ASP_ERR_INVALID, "'%s' must be an object like {size: 10, unit: \"second\"}", what);
		asp_error_where(err, -1, NULL, what);
		return false;
	}
	bson_iter_init_from_data(&it, v->value.v_doc.data, v->value.v_doc.data_len);
	while (bson_iter_next(&it))
	{
		if (KEY_IS(&it, "size"))
		{
			if (!asp_value_is_number(bson_iter_value(&it)) ||
				!asp_value_as_int64_exact(bson_iter_value(&it), &size) ||
				size < 0 || (size == 0 && !allow_zero))
			{
				asp_error_set(err, ASP_ERR_INVALID, "'%s.size' must be a %s integer",
							  what, allow_zero ? "non-negative" : "positive");
				asp_error_where(err, -1, NULL, what);
				return false;
			}
			have_size = true;
		}
		else if (KEY_IS(&it, "unit"))
		{
			const char *u;

			if (!BSON_ITER_HOLDS_UTF8(&it))
			{
				asp_error_set(err, ASP_ERR_INVALID, "'%s.unit' must be a string", what);
				asp_error_where(err, -1, NULL, what);
				return false;
			}
			u = bson_iter_utf8(&it, NULL);
			if (strcmp(u, "ms") == 0 || strcmp(u, "millisecond") == 0)
				mult = 1;
			else if (strcmp(u, "second") == 0)
				mult = 1000;
			else if (strcmp(u, "minute") == 0)
				mult = 60000;
			else if (strcmp(u, "hour") == 0)
				mult = 3600000;
			else if (strcmp(u, "day") == 0)
				mult = 86400000;
			else
			{
				asp_error_set(err, ASP_ERR_INVALID, "'%s.unit' has an unknown unit \"%s\"", what, u);
				asp_error_hint(err, "Use one of \"ms\", \"second\", \"minute\", \"hour\", \"day\".");
				asp_error_where(err, -1, NULL, what);
				return false;
			}
			have_unit = true;
		}
		else
		{
			asp_error_set(err, ASP_ERR_INVALID, "unrecognized field '%s' in '%s'", bson_iter_key(&it), what);
			asp_error_hint(err, "A duration has exactly the fields 'size' and 'unit'.");
			asp_error_where(err, -1, NULL, what);
			return false;
		}
	}
	if (!have_size || !have_unit)
	{
		asp_error_set(err, ASP_ERR_INVALID, "'%s' needs both 'size' and 'unit'", what);
		asp_error_where(err, -1, NULL, what);
		return false;
	}
	if (size > INT64_MAX / mult / 4)
	{
		asp_error_set(err, ASP_ERR_INVALID, "'%s' is too large", what);
		asp_error_where(err, -1, NULL, what);
		return false;
	}
	*ms = size * mult;
	return true;
}

/* check_string_option: the value is a non-empty string */
static bool
check_string(const bson_iter_t *it, const char *path, int idx, const char *stage,
			 asp_error *err)
{
	if (!BSON_ITER_HOLDS_UTF8(it) || bson_iter_value((bson_iter_t *) it)->value.v_utf8.len == 0)
		return fail_at(err, idx, stage, path, ASP_ERR_INVALID,
					   "'%s' must be a non-empty string", path);
	return true;
}

/* check_enum: a string option with a fixed set of values */
static bool
check_enum(const bson_iter_t *it, const char *path, const char *const *values,
		   int idx, const char *stage, asp_error *err)
{
	const char *s;
	int			i;
	char		list[256] = "";

	if (!BSON_ITER_HOLDS_UTF8(it))
		return fail_at(err, idx, stage, path, ASP_ERR_INVALID, "'%s' must be a string", path);
	s = bson_iter_utf8(it, NULL);
	for (i = 0; values[i]; i++)
	{
		if (strcmp(s, values[i]) == 0)
			return true;
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s\"%s\"",
				 i ? ", " : "", values[i]);
	}
	fail_at(err, idx, stage, path, ASP_ERR_INVALID, "'%s' has an invalid value \"%s\"", path, s);
	asp_error_hint(err, "Use one of %s.", list);
	return false;
}

static const char *const offset_reset_values[] = {
	"earliest", "beginning", "smallest", "latest", "end", "largest", NULL
};
static const char *const key_format_values[] = {
	"binData", "string", "json", "int", "long", NULL
};
static const char *const key_format_error_values[] = {"dlq", "passThrough", NULL};
static const char *const full_document_values[] = {
	"default", "updateLookup", "required", "whenAvailable", NULL
};
static const char *const before_change_values[] = {"off", "required", "whenAvailable", NULL};

/* compile_source_config: $source.config for Kafka or change streams */
static bool
compile_source_config(const bson_iter_t *cfg, asp_conn_type type, int idx, asp_error *err)
{
	bson_iter_t it;

	if (!BSON_ITER_HOLDS_DOCUMENT(cfg))
		return fail_at(err, idx, "$source", "config", ASP_ERR_INVALID, "'config' must be an object");
	bson_iter_recurse(cfg, &it);
	while (bson_iter_next(&it))
	{
		char		path[128];

		snprintf(path, sizeof(path), "config.%s", bson_iter_key(&it));
		if (type == ASP_CONN_KAFKA)
		{
			if (KEY_IS(&it, "auto_offset_reset"))
			{
				if (!check_enum(&it, path, offset_reset_values, idx, "$source", err))
					return false;
			}
			else if (KEY_IS(&it, "group_id"))
			{
				if (!check_string(&it, path, idx, "$source", err))
					return false;
			}
			else if (KEY_IS(&it, "keyFormat"))
			{
				if (!check_enum(&it, path, key_format_values, idx, "$source", err))
					return false;
			}
			else if (KEY_IS(&it, "keyFormatError"))
			{
				if (!check_enum(&it, path, key_format_error_values, idx, "$source", err))
					return false;
			}
			else
				return fail_at(err, idx, "$source", path, ASP_ERR_INVALID,
							   "unrecognized Kafka source option '%s'", path);
		}
		else
		{
			if (KEY_IS(&it, "startAfter"))
			{
				if (!BSON_ITER_HOLDS_DOCUMENT(&it))
					return fail_at(err, idx, "$source", path, ASP_ERR_INVALID,
								   "'%s' must be a resume token object", path);
			}
			else if (KEY_IS(&it, "startAtOperationTime"))
			{
				if (!BSON_ITER_HOLDS_TIMESTAMP(&it) && !BSON_ITER_HOLDS_DATE_TIME(&it))
					return fail_at(err, idx, "$source", path, ASP_ERR_INVALID,
								   "'%s' must be a timestamp or a date", path);
			}
			else if (KEY_IS(&it, "fullDocument"))
			{
				if (!check_enum(&it, path, full_document_values, idx, "$source", err))
					return false;
			}
			else if (KEY_IS(&it, "fullDocumentOnly"))
			{
				if (!BSON_ITER_HOLDS_BOOL(&it))
					return fail_at(err, idx, "$source", path, ASP_ERR_INVALID,
								   "'%s' must be a boolean", path);
			}
			else if (KEY_IS(&it, "fullDocumentBeforeChange"))
			{
				if (!check_enum(&it, path, before_change_values, idx, "$source", err))
					return false;
			}
			else if (KEY_IS(&it, "pipeline"))
			{
				if (!BSON_ITER_HOLDS_ARRAY(&it))
					return fail_at(err, idx, "$source", path, ASP_ERR_INVALID,
								   "'%s' must be an array of stages", path);
			}
			else
				return fail_at(err, idx, "$source", path, ASP_ERR_INVALID,
							   "unrecognized change stream source option '%s'", path);
		}
	}
	return true;
}

static bool
valid_output_field_name(const char *s)
{
	return s[0] != '\0' && s[0] != '$' && strchr(s, '.') == NULL;
}

/* compile_source: the $source stage */
static bool
compile_source(asp_pipeline *p, const bson_value_t *spec, const asp_compile_opts *opts,
			   asp_error *err)
{
	bson_iter_t it;
	bool		have_docs = false;
	const bson_value_t *time_field = NULL;
	bson_value_t tf;
	asp_conn_type type = ASP_CONN_UNKNOWN;
	bool		have_topic = false,
				have_db = false;

	if (spec->value_type != BSON_TYPE_DOCUMENT)
		return fail_at(err, 0, "$source", "", ASP_ERR_INVALID, "$source must be an object");
	p->source_spec = *spec;
	p->ts_field = strdup("_ts");

	/* first pass: what kind of source is it? */
	bson_iter_init_from_data(&it, spec->value.v_doc.data, spec->value.v_doc.data_len);
	while (bson_iter_next(&it))
	{
		if (KEY_IS(&it, "connectionName"))
		{
			if (!check_string(&it, "connectionName", 0, "$source", err))
				return false;
			p->source_connection = strdup(bson_iter_utf8(&it, NULL));
		}
		else if (KEY_IS(&it, "documents"))
		{
			bson_iter_t dit;
			int			i = 0;

			if (!BSON_ITER_HOLDS_ARRAY(&it))
				return fail_at(err, 0, "$source", "documents", ASP_ERR_INVALID,
							   "'documents' must be an array of objects");
			p->documents = *bson_iter_value(&it);
			bson_iter_recurse(&it, &dit);
			while (bson_iter_next(&dit))
			{
				char		path[64];

				snprintf(path, sizeof(path), "documents[%d]", i);
				if (!BSON_ITER_HOLDS_DOCUMENT(&dit))
					return fail_at(err, 0, "$source", path, ASP_ERR_INVALID,
								   "'%s' must be an object, not %s", path,
								   asp_type_name(bson_iter_type(&dit)));
				if (bson_iter_value(&dit)->value.v_doc.data_len > ASP_MAX_BSON_SIZE)
					return fail_at(err, 0, "$source", path, ASP_ERR_LIMIT,
								   "'%s' is %u bytes, over the maximum document size of %d bytes",
								   path, bson_iter_value(&dit)->value.v_doc.data_len,
								   ASP_MAX_BSON_SIZE);
				i++;
			}
			have_docs = true;
		}
	}
	if (have_docs && p->source_connection)
		return fail_at(err, 0, "$source", "documents", ASP_ERR_INVALID,
					   "$source takes either 'connectionName' or 'documents', not both");
	if (!have_docs && !p->source_connection)
	{
		fail_at(err, 0, "$source", "", ASP_ERR_INVALID,
				"$source needs 'connectionName' or 'documents'");
		asp_error_hint(err, "For a quick test use {\"$source\": {\"connectionName\": \"sample_stream_solar\"}} or {\"$source\": {\"documents\": [...]}}.");
		return false;
	}
	if (p->source_connection)
	{
		if (opts && opts->lookup)
			type = opts->lookup(opts->lookup_ud, p->source_connection);
		else if (strcmp(p->source_connection, "sample_stream_solar") == 0)
			type = ASP_CONN_SAMPLE;
		else
		{
			/* no registry: infer the kind from the options */
			bson_iter_init_from_data(&it, spec->value.v_doc.data, spec->value.v_doc.data_len);
			type = ASP_CONN_UNKNOWN;
			while (bson_iter_next(&it))
			{
				if (KEY_IS(&it, "topic"))
					type = ASP_CONN_KAFKA;
				else if (KEY_IS(&it, "db"))
					type = ASP_CONN_MONGODB;
			}
			if (type == ASP_CONN_UNKNOWN)
				type = ASP_CONN_KAFKA;
		}
		if (type == ASP_CONN_UNKNOWN)
		{
			fail_at(err, 0, "$source", "connectionName", ASP_ERR_INVALID,
					"connection \"%s\" does not exist", p->source_connection);
			asp_error_hint(err, "The built-in connections are \"sample_stream_solar\" and \"local\".");
			return false;
		}
		if (type == ASP_CONN_POSTGRES)
			return fail_at(err, 0, "$source", "connectionName", ASP_ERR_UNSUPPORTED,
						   "connection \"%s\" is a PostgreSQL connection and cannot be a source",
						   p->source_connection);
		p->source_kind = type == ASP_CONN_SAMPLE ? ASP_SOURCE_SAMPLE :
			type == ASP_CONN_KAFKA ? ASP_SOURCE_KAFKA : ASP_SOURCE_MONGODB;
	}
	else
		p->source_kind = ASP_SOURCE_DOCUMENTS;

	/* second pass: every option, checked against the kind */
	bson_iter_init_from_data(&it, spec->value.v_doc.data, spec->value.v_doc.data_len);
	while (bson_iter_next(&it))
	{
		const char *k = bson_iter_key(&it);

		if (KEY_IS(&it, "connectionName") || KEY_IS(&it, "documents"))
			continue;
		if (KEY_IS(&it, "timeField"))
		{
			tf = *bson_iter_value(&it);
			time_field = &tf;
			if (tf.value_type != BSON_TYPE_DOCUMENT)
			{
				fail_at(err, 0, "$source", "timeField", ASP_ERR_INVALID,
						"'timeField' must be an expression object such as {$toDate: \"$ts\"}");
				asp_error_hint(err, "Use {\"$dateFromString\": {\"dateString\": \"$timestamp\"}} for ISO-8601 strings.");
				return false;
			}
		}
		else if (KEY_IS(&it, "tsFieldName"))
		{
			if (!BSON_ITER_HOLDS_UTF8(&it) || !valid_output_field_name(bson_iter_utf8(&it, NULL)))
				return fail_at(err, 0, "$source", "tsFieldName", ASP_ERR_INVALID,
							   "'tsFieldName' must be a field name: a non-empty string without '.' that does not start with '$'");
			free(p->ts_field);
			p->ts_field = strdup(bson_iter_utf8(&it, NULL));
		}
		else if (type == ASP_CONN_KAFKA && KEY_IS(&it, "topic"))
		{
			if (BSON_ITER_HOLDS_ARRAY(&it))
			{
				bson_iter_t tit;
				int			n = 0;

				bson_iter_recurse(&it, &tit);
				while (bson_iter_next(&tit))
				{
					if (!BSON_ITER_HOLDS_UTF8(&tit))
						return fail_at(err, 0, "$source", "topic", ASP_ERR_INVALID,
									   "'topic' must be a string or an array of strings");
					n++;
				}
				if (n == 0)
					return fail_at(err, 0, "$source", "topic", ASP_ERR_INVALID,
								   "'topic' must not be an empty array");
			}
			else if (!check_string(&it, "topic", 0, "$source", err))
				return false;
			have_topic = true;
		}
		else if (type == ASP_CONN_KAFKA && KEY_IS(&it, "partitionIdleTimeout"))
		{
			int64_t		ms;

			if (!asp_duration_ms(bson_iter_value(&it), "partitionIdleTimeout", false, &ms, err))
			{
				asp_error_where(err, 0, "$source", "partitionIdleTimeout");
				return false;
			}
		}
		else if (type == ASP_CONN_MONGODB && KEY_IS(&it, "db"))
		{
			if (!check_string(&it, "db", 0, "$source", err))
				return false;
			have_db = true;
		}
		else if (type == ASP_CONN_MONGODB && KEY_IS(&it, "coll"))
		{
			if (BSON_ITER_HOLDS_ARRAY(&it))
			{
				bson_iter_t cit;

				bson_iter_recurse(&it, &cit);
				while (bson_iter_next(&cit))
					if (!BSON_ITER_HOLDS_UTF8(&cit))
						return fail_at(err, 0, "$source", "coll", ASP_ERR_INVALID,
									   "'coll' must be a string or an array of strings");
			}
			else if (!check_string(&it, "coll", 0, "$source", err))
				return false;
		}
		else if ((type == ASP_CONN_KAFKA || type == ASP_CONN_MONGODB) && KEY_IS(&it, "config"))
		{
			if (!compile_source_config(&it, type, 0, err))
				return false;
		}
		else
		{
			fail_at(err, 0, "$source", k, ASP_ERR_INVALID,
					"unrecognized $source option '%s'%s", k,
					p->source_kind == ASP_SOURCE_DOCUMENTS ? " for a documents source" :
					p->source_kind == ASP_SOURCE_SAMPLE ? " for the sample source" :
					p->source_kind == ASP_SOURCE_KAFKA ? " for a Kafka source" :
					" for a change stream source");
			return false;
		}
	}
	if (type == ASP_CONN_KAFKA && !have_topic)
		return fail_at(err, 0, "$source", "topic", ASP_ERR_INVALID,
					   "a Kafka $source needs 'topic'");
	if (type == ASP_CONN_MONGODB && !have_db)
		return fail_at(err, 0, "$source", "db", ASP_ERR_INVALID,
					   "a change stream $source needs 'db'");
	if (time_field)
	{
		asp_expr_compiler c;

		asp_expr_compiler_init(&c, err, "timeField");
		p->time_field = asp_expr_compile_value(&c, time_field);
		if (p->time_field == NULL)
		{
			asp_error_where(err, 0, "$source", "timeField");
			return false;
		}
	}
	return true;
}

static const char *const when_matched_values[] = {
	"replace", "keepExisting", "merge", "fail", NULL
};
static const char *const when_not_matched_values[] = {"insert", "discard", NULL};

/* compile_merge: the $merge sink */
static bool
compile_merge(asp_pipeline *p, const bson_value_t *spec, int idx,
			  const asp_compile_opts *opts, asp_error *err)
{
	bson_iter_t it;
	bool		have_into = false;
	bool		dynamic = false;
	int64_t		parallelism = 1;

	if (spec->value_type != BSON_TYPE_DOCUMENT)
		return fail_at(err, idx, "$merge", "", ASP_ERR_INVALID,
					   "$merge must be an object with 'into'");
	bson_iter_init_from_data(&it, spec->value.v_doc.data, spec->value.v_doc.data_len);
	while (bson_iter_next(&it))
	{
		if (KEY_IS(&it, "into"))
		{
			bson_iter_t iit;
			bool		have_conn = false,
						have_db = false,
						have_coll = false;

			if (!BSON_ITER_HOLDS_DOCUMENT(&it))
			{
				fail_at(err, idx, "$merge", "into", ASP_ERR_INVALID,
						"'into' must be an object {connectionName, db, coll}");
				return false;
			}
			bson_iter_recurse(&it, &iit);
			while (bson_iter_next(&iit))
			{
				char		path[64];

				snprintf(path, sizeof(path), "into.%s", bson_iter_key(&iit));
				if (KEY_IS(&iit, "connectionName"))
				{
					if (!check_string(&iit, path, idx, "$merge", err))
						return false;
					p->sink_connection = strdup(bson_iter_utf8(&iit, NULL));
					have_conn = true;
				}
				else if (KEY_IS(&iit, "db") || KEY_IS(&iit, "coll"))
				{
					if (BSON_ITER_HOLDS_DOCUMENT(&iit))
					{
						asp_expr_compiler c;
						asp_expr   *e;

						asp_expr_compiler_init(&c, err, path);
						e = asp_expr_compile_iter(&c, &iit);
						if (e == NULL)
						{
							asp_error_where(err, idx, "$merge", path);
							return false;
						}
						asp_expr_free(e);
						dynamic = true;
					}
					else if (!check_string(&iit, path, idx, "$merge", err))
						return false;
					if (KEY_IS(&iit, "db"))
						have_db = true;
					else
						have_coll = true;
				}
				else
					return fail_at(err, idx, "$merge", path, ASP_ERR_INVALID,
								   "unrecognized field '%s' in $merge", path);
			}
			if (!have_conn || !have_db || !have_coll)
			{
				fail_at(err, idx, "$merge", "into", ASP_ERR_INVALID,
						"'into' needs 'connectionName', 'db' and 'coll'");
				return false;
			}
			have_into = true;
		}
		else if (KEY_IS(&it, "on"))
		{
			if (BSON_ITER_HOLDS_ARRAY(&it))
			{
				bson_iter_t oit;
				int			n = 0;

				bson_iter_recurse(&it, &oit);
				while (bson_iter_next(&oit))
				{
					if (!BSON_ITER_HOLDS_UTF8(&oit))
						return fail_at(err, idx, "$merge", "on", ASP_ERR_INVALID,
									   "'on' must be a field name or an array of field names");
					n++;
				}
				if (n == 0)
					return fail_at(err, idx, "$merge", "on", ASP_ERR_INVALID,
								   "'on' must not be an empty array");
			}
			else if (!check_string(&it, "on", idx, "$merge", err))
				return false;
		}
		else if (KEY_IS(&it, "let"))
		{
			if (!BSON_ITER_HOLDS_DOCUMENT(&it))
				return fail_at(err, idx, "$merge", "let", ASP_ERR_INVALID, "'let' must be an object");
		}
		else if (KEY_IS(&it, "whenMatched"))
		{
			if (BSON_ITER_HOLDS_ARRAY(&it))
				continue;		/* an update pipeline */
			if (!check_enum(&it, "whenMatched", when_matched_values, idx, "$merge", err))
			{
				asp_error_hint(err, "Use \"replace\", \"keepExisting\", \"merge\", \"fail\" or an update pipeline array.");
				return false;
			}
		}
		else if (KEY_IS(&it, "whenNotMatched"))
		{
			if (!check_enum(&it, "whenNotMatched", when_not_matched_values, idx, "$merge", err))
				return false;
		}
		else if (KEY_IS(&it, "parallelism"))
		{
			if (!asp_value_as_int64_exact(bson_iter_value(&it), &parallelism) ||
				parallelism < 1 || parallelism > 16)
				return fail_at(err, idx, "$merge", "parallelism", ASP_ERR_INVALID,
							   "'parallelism' must be an integer from 1 to 16");
		}
		else
			return fail_at(err, idx, "$merge", bson_iter_key(&it), ASP_ERR_INVALID,
						   "unrecognized $merge option '%s'", bson_iter_key(&it));
	}
	if (!have_into)
		return fail_at(err, idx, "$merge", "into", ASP_ERR_INVALID, "$merge needs 'into'");
	if (dynamic && parallelism != 1)
		return fail_at(err, idx, "$merge", "parallelism", ASP_ERR_INVALID,
					   "'parallelism' must be 1 when 'into.db' or 'into.coll' is an expression");
	if (opts && opts->lookup)
	{
		asp_conn_type t = opts->lookup(opts->lookup_ud, p->sink_connection);

		if (t == ASP_CONN_UNKNOWN)
			return fail_at(err, idx, "$merge", "into.connectionName", ASP_ERR_INVALID,
						   "connection \"%s\" does not exist", p->sink_connection);
		if (t != ASP_CONN_MONGODB && t != ASP_CONN_POSTGRES)
			return fail_at(err, idx, "$merge", "into.connectionName", ASP_ERR_INVALID,
						   "$merge cannot write to connection \"%s\": it is not a MongoDB or PostgreSQL connection",
						   p->sink_connection);
	}
	p->sink_kind = ASP_SINK_MERGE;
	p->sink_spec = *spec;
	return true;
}

static const char *const acks_values[] = {"-1", "0", "1", "all", NULL};
static const char *const output_format_values[] = {"relaxedJson", "canonicalJson", NULL};
static const char *const date_format_values[] = {"default", "ISO8601", NULL};

/* compile_emit: the $emit sink */
static bool
compile_emit(asp_pipeline *p, const bson_value_t *spec, int idx,
			 const asp_compile_opts *opts, asp_error *err)
{
	bson_iter_t it;
	bool		have_topic = false;

	if (spec->value_type != BSON_TYPE_DOCUMENT)
		return fail_at(err, idx, "$emit", "", ASP_ERR_INVALID,
					   "$emit must be an object with 'connectionName' and 'topic'");
	bson_iter_init_from_data(&it, spec->value.v_doc.data, spec->value.v_doc.data_len);
	while (bson_iter_next(&it))
	{
		if (KEY_IS(&it, "connectionName"))
		{
			if (!check_string(&it, "connectionName", idx, "$emit", err))
				return false;
			p->sink_connection = strdup(bson_iter_utf8(&it, NULL));
		}
		else if (KEY_IS(&it, "topic"))
		{
			if (!BSON_ITER_HOLDS_DOCUMENT(&it) && !check_string(&it, "topic", idx, "$emit", err))
				return false;
			have_topic = true;
		}
		else if (KEY_IS(&it, "config"))
		{
			bson_iter_t cit;

			if (!BSON_ITER_HOLDS_DOCUMENT(&it))
				return fail_at(err, idx, "$emit", "config", ASP_ERR_INVALID, "'config' must be an object");
			bson_iter_recurse(&it, &cit);
			while (bson_iter_next(&cit))
			{
				char		path[64];

				snprintf(path, sizeof(path), "config.%s", bson_iter_key(&cit));
				if (KEY_IS(&cit, "acks"))
				{
					int64_t		a;

					if (BSON_ITER_HOLDS_UTF8(&cit))
					{
						if (!check_enum(&cit, path, acks_values, idx, "$emit", err))
							return false;
					}
					else if (!asp_value_as_int64_exact(bson_iter_value(&cit), &a) || a < -1 || a > 1)
						return fail_at(err, idx, "$emit", path, ASP_ERR_INVALID,
									   "'%s' must be -1, 0, 1 or \"all\"", path);
				}
				else if (KEY_IS(&cit, "compression_type"))
				{
					static const char *const ct[] = {"none", "gzip", "snappy", "lz4", "zstd", NULL};

					if (!check_enum(&cit, path, ct, idx, "$emit", err))
						return false;
				}
				else if (KEY_IS(&cit, "dateFormat"))
				{
					if (!check_enum(&cit, path, date_format_values, idx, "$emit", err))
						return false;
				}
				else if (KEY_IS(&cit, "outputFormat"))
				{
					if (!check_enum(&cit, path, output_format_values, idx, "$emit", err))
						return false;
				}
				else if (KEY_IS(&cit, "keyFormat"))
				{
					if (!check_enum(&cit, path, key_format_values, idx, "$emit", err))
						return false;
				}
				else if (KEY_IS(&cit, "headers") || KEY_IS(&cit, "key") ||
						 KEY_IS(&cit, "tombstoneWhen"))
				{
					asp_expr_compiler c;
					asp_expr   *e;

					asp_expr_compiler_init(&c, err, path);
					e = asp_expr_compile_iter(&c, &cit);
					if (e == NULL)
					{
						asp_error_where(err, idx, "$emit", path);
						return false;
					}
					asp_expr_free(e);
				}
				else
					return fail_at(err, idx, "$emit", path, ASP_ERR_INVALID,
								   "unrecognized $emit option '%s'", path);
			}
		}
		else
			return fail_at(err, idx, "$emit", bson_iter_key(&it), ASP_ERR_INVALID,
						   "unrecognized $emit option '%s'", bson_iter_key(&it));
	}
	if (p->sink_connection == NULL)
		return fail_at(err, idx, "$emit", "connectionName", ASP_ERR_INVALID,
					   "$emit needs 'connectionName'");
	if (!have_topic)
		return fail_at(err, idx, "$emit", "topic", ASP_ERR_INVALID, "$emit needs 'topic'");
	if (opts && opts->lookup)
	{
		asp_conn_type t = opts->lookup(opts->lookup_ud, p->sink_connection);

		if (t == ASP_CONN_UNKNOWN)
			return fail_at(err, idx, "$emit", "connectionName", ASP_ERR_INVALID,
						   "connection \"%s\" does not exist", p->sink_connection);
		if (t != ASP_CONN_KAFKA)
			return fail_at(err, idx, "$emit", "connectionName", ASP_ERR_INVALID,
						   "$emit needs a Kafka connection; \"%s\" is not one", p->sink_connection);
	}
	p->sink_kind = ASP_SINK_EMIT;
	p->sink_spec = *spec;
	return true;
}

static void
push_stage(asp_pipeline *p, asp_stage *s)
{
	p->stages = realloc(p->stages, sizeof(asp_stage *) * (p->nall + 1));
	if (p->stages == NULL)
		abort();
	p->stages[p->nall++] = s;
}

/* stage_name_of: the single key of a stage object, or NULL */
static const char *
stage_name_of(bson_iter_t *sit, bson_value_t *operand)
{
	bson_iter_t it;
	const char *name;

	if (!BSON_ITER_HOLDS_DOCUMENT(sit))
		return NULL;
	bson_iter_recurse(sit, &it);
	if (!bson_iter_next(&it))
		return NULL;
	name = bson_iter_key(&it);
	*operand = *bson_iter_value(&it);
	if (bson_iter_next(&it))
		return NULL;
	return name;
}

/*
 * plan_pipeline: the field plan of a compiled pipeline (see pipeline.h):
 * slots for timeField's paths and those of the stage that first receives
 * the source document when it is a window's leading $group; whether the
 * source document can stay unbuilt.
 */
static void
plan_pipeline(asp_pipeline *p)
{
	asp_expr   *ex[64];
	bool		plain = false;
	bool		safe;
	asp_stage  *first_inner = p->window ? asp_window_first_stage(p->window) : NULL;
	int			n,
				i;

	if (p->time_field)
		(void) asp_expr_plan_paths(p->time_field, &p->plan, p->ts_field, "_stream_meta");
	if (p->first != NULL && p->first == p->window && first_inner != NULL &&
		first_inner->blocking &&
		(n = asp_group_exprs(first_inner, ex, 64, &plain)) >= 0)
	{
		safe = plain;
		for (i = 0; i < n; i++)
			if (!asp_expr_plan_paths(ex[i], &p->plan, p->ts_field, "_stream_meta"))
				safe = false;
		p->source_lazy = safe;
	}
	asp_field_plan_prepare(&p->plan, p->ts_field, "_stream_meta");
}

/* asp_compile_inner_stage: compile one non-source, non-sink, non-window stage */
asp_stage *
asp_compile_inner_stage(const char *name, const bson_value_t *operand,
						asp_stage_compile_ctx *cc)
{
	const stage_def *d;
	asp_stage  *s;
	int			i;

	for (d = stage_defs; d->name; d++)
		if (strcmp(d->name, name) == 0)
			break;
	if (d->name == NULL)
	{
		for (i = 0; unsupported_stages[i]; i++)
			if (strcmp(unsupported_stages[i], name) == 0)
			{
				fail_at(cc->err, cc->index, name, "", ASP_ERR_UNSUPPORTED,
						"%s is not supported in stream processing", name);
				return NULL;
			}
		if (strcmp(name, "$out") == 0)
		{
			fail_at(cc->err, cc->index, name, "", ASP_ERR_UNSUPPORTED,
					"$out is not supported in stream processing");
			asp_error_hint(cc->err, "Write results with $merge (MongoDB or PostgreSQL) or $emit (Kafka) as the last stage.");
			return NULL;
		}
		if (strcmp(name, "$lookup") == 0)
		{
			fail_at(cc->err, cc->index, name, "", ASP_ERR_UNSUPPORTED,
					"$lookup is not supported yet");
			asp_error_hint(cc->err, "Join the data after it lands, in SQL.");
			return NULL;
		}
		fail_at(cc->err, cc->index, name, "", ASP_ERR_INVALID,
				"unrecognized pipeline stage name '%s'", name);
		asp_error_hint(cc->err, "See the README for the stages stream processors support.");
		return NULL;
	}
	if (d->window_only && !cc->in_window)
	{
		fail_at(cc->err, cc->index, name, "", ASP_ERR_INVALID,
				"%s is only allowed inside the pipeline of a window stage", name);
		asp_error_hint(cc->err, "Stateful stages need a bounded set of documents: wrap it as {\"$tumblingWindow\": {\"interval\": {\"size\": 10, \"unit\": \"second\"}, \"pipeline\": [{\"%s\": ...}]}}.", name);
		return NULL;
	}
	s = d->compile(operand, cc);
	if (s == NULL)
	{
		asp_error_where(cc->err, cc->index, name, NULL);
		return NULL;
	}
	s->name = d->name;			/* "$set" stays "$set" though it shares $addFields' compiler */
	s->blocking = d->window_only;
	return s;
}

static asp_pipeline *pipeline_compile(const bson_t *pipeline, const asp_compile_opts *opts,
									  bool plan, asp_error *err);

/* asp_pipeline_compile: compile a whole pipeline */
asp_pipeline *
asp_pipeline_compile(const bson_t *pipeline, const asp_compile_opts *opts, asp_error *err)
{
	return pipeline_compile(pipeline, opts, true, err);
}

/* asp_pipeline_compile_unplanned: compile without the field plan (tests) */
asp_pipeline *
asp_pipeline_compile_unplanned(const bson_t *pipeline, const asp_compile_opts *opts,
							   asp_error *err)
{
	return pipeline_compile(pipeline, opts, false, err);
}

/* pipeline_compile: compile a whole pipeline; plan: build the field plan */
static asp_pipeline *
pipeline_compile(const bson_t *pipeline, const asp_compile_opts *opts, bool plan,
				 asp_error *err)
{
	asp_pipeline *p = calloc(1, sizeof(asp_pipeline));
	bson_iter_t sit;
	int			idx = 0;
	int			n = 0;
	asp_stage  *last = NULL;

	if (p == NULL)
		abort();
	asp_error_init(err);
	p->spec = bson_copy(pipeline);
	bson_iter_init(&sit, p->spec);
	while (bson_iter_next(&sit))
		n++;
	p->nstages = n;
	if (n == 0)
	{
		fail_at(err, -1, NULL, "", ASP_ERR_INVALID, "a pipeline must have at least a $source stage");
		asp_error_hint(err, "Start with {\"$source\": {\"connectionName\": \"sample_stream_solar\"}}.");
		goto fail;
	}
	bson_iter_init(&sit, p->spec);
	while (bson_iter_next(&sit))
	{
		bson_value_t operand;
		const char *name = stage_name_of(&sit, &operand);
		char		where[64];

		snprintf(where, sizeof(where), "pipeline[%d]", idx);
		if (name == NULL)
		{
			fail_at(err, idx, NULL, "", ASP_ERR_INVALID,
					"each stage must be an object with exactly one field, the stage name");
			asp_error_hint(err, "Write stages as {\"$match\": {...}}, one operator per object.");
			goto fail;
		}
		if (strcmp(name, "$source") == 0)
		{
			if (idx != 0)
			{
				fail_at(err, idx, name, "", ASP_ERR_INVALID,
						"$source is only allowed as the first stage, and only once");
				goto fail;
			}
			if (!compile_source(p, &operand, opts, err))
				goto fail;
		}
		else if (idx == 0)
		{
			fail_at(err, 0, name, "", ASP_ERR_INVALID, "the first stage must be $source, not %s", name);
			asp_error_hint(err, "Start the pipeline with {\"$source\": {...}}.");
			goto fail;
		}
		else if (strcmp(name, "$merge") == 0 || strcmp(name, "$emit") == 0)
		{
			if (p->sink_kind != ASP_SINK_NONE)
			{
				fail_at(err, idx, name, "", ASP_ERR_INVALID,
						"a pipeline can have only one sink ($merge or $emit)");
				goto fail;
			}
			if (idx != n - 1)
			{
				fail_at(err, idx, name, "", ASP_ERR_INVALID, "%s must be the last stage", name);
				goto fail;
			}
			if (name[1] == 'm' ? !compile_merge(p, &operand, idx, opts, err)
				: !compile_emit(p, &operand, idx, opts, err))
				goto fail;
		}
		else
		{
			asp_stage_compile_ctx cc;
			asp_stage  *s;

			cc.err = err;
			cc.index = idx;
			cc.where = where;
			cc.in_window = false;
			if (strcmp(name, "$tumblingWindow") == 0 || strcmp(name, "$hoppingWindow") == 0 ||
				strcmp(name, "$sessionWindow") == 0)
			{
				if (p->window)
				{
					fail_at(err, idx, name, "", ASP_ERR_INVALID,
							"a pipeline can have only one window stage");
					asp_error_hint(err, "Combine the windows' work into one window's pipeline.");
					goto fail;
				}
				s = asp_stage_compile_window(name, &operand, &cc);
				if (s == NULL)
				{
					asp_error_where(err, idx, name, NULL);
					goto fail;
				}
				p->window = s;
			}
			else
			{
				s = asp_compile_inner_stage(name, &operand, &cc);
				if (s == NULL)
					goto fail;
			}
			push_stage(p, s);
			if (last)
				last->next = s;
			else
				p->first = s;
			last = s;
		}
		idx++;
	}
	if (plan)
		plan_pipeline(p);
	else
		asp_field_plan_prepare(&p->plan, p->ts_field, "_stream_meta");
	return p;

fail:
	asp_pipeline_free(p);
	return NULL;
}

/* asp_pipeline_free: free a compiled pipeline and its stages */
void
asp_pipeline_free(asp_pipeline *p)
{
	int			i;

	if (p == NULL)
		return;
	for (i = 0; i < p->nall; i++)
		asp_stage_free(p->stages[i]);
	free(p->stages);
	asp_expr_free(p->time_field);
	free(p->ts_field);
	free(p->source_connection);
	free(p->sink_connection);
	if (p->spec)
		bson_destroy(p->spec);
	free(p);
}
