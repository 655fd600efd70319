/*-------------------------------------------------------------------------
 *
 * errors.c
 *	  Turning engine errors (asp_error values) into PostgreSQL errors.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "sql/asp_sql.h"

/* error_code: the SQLSTATE for an engine error kind */
static int
error_code(asp_error_code code)
{
	switch (code)
	{
		case ASP_ERR_SYNTAX:
			return ERRCODE_INVALID_JSON_TEXT;
		case ASP_ERR_INVALID:
			return ERRCODE_INVALID_PARAMETER_VALUE;
		case ASP_ERR_UNSUPPORTED:
			return ERRCODE_FEATURE_NOT_SUPPORTED;
		case ASP_ERR_RUNTIME:
			return ERRCODE_DATA_EXCEPTION;
		case ASP_ERR_LIMIT:
			return ERRCODE_PROGRAM_LIMIT_EXCEEDED;
		default:
			return ERRCODE_INTERNAL_ERROR;
	}
}

/* is_path_char: characters that continue a field path */
static bool
is_path_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		(c >= '0' && c <= '9') || c == '_' || c == '.' || c == '$' || c == '[' || c == ']';
}

/*
 * names_path: the message already names the field, i.e. contains the path
 * as a whole word or a sub-path of it ("field b in ..." and "'b.c'" name
 * "b"; "an" does not name "a").
 */
static bool
names_path(const char *msg, const char *path)
{
	size_t		plen = strlen(path);
	const char *p = msg;

	while ((p = strstr(p, path)) != NULL)
	{
		bool		start_ok = p == msg || !is_path_char(p[-1]);
		bool		end_ok = !is_path_char(p[plen]) || p[plen] == '.';	/* a sub-path names it too */

		if (start_ok && end_ok)
			return true;
		p++;
	}
	return false;
}

/* asp_report_error: raise an engine error as an ERROR */
void
asp_report_error(const asp_error *err, const char *what)
{
	char		where[512];
	bool		path_in_msg;

	where[0] = '\0';
	path_in_msg = err->path[0] != '\0' && names_path(err->message, err->path);
	if (err->stage_index >= 0)
	{
		const char *sep = err->stage_name[0] ? " " : "";

		if (err->path[0] && !path_in_msg)
			snprintf(where, sizeof(where), "pipeline[%d]%s%s, at '%s'", err->stage_index,
					 sep, err->stage_name, err->path);
		else
			snprintf(where, sizeof(where), "pipeline[%d]%s%s", err->stage_index,
					 sep, err->stage_name);
	}
	else if (err->path[0] && !path_in_msg)
		snprintf(where, sizeof(where), "at '%s'", err->path);

	ereport(ERROR,
			(errcode(error_code(err->code)),
			 where[0] ? errmsg("%s: %s: %s", what, where, err->message)
			 : errmsg("%s: %s", what, err->message),
			 err->detail[0] ? errdetail("%s", err->detail) : 0,
			 err->hint[0] ? errhint("%s", err->hint) : 0));
	pg_unreachable();
}
