/*-------------------------------------------------------------------------
 *
 * error.c
 *	  Errors returned as values by the asp engine.
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <string.h>

#include "error.h"

/* asp_error_init: reset an error to "no error" */
void
asp_error_init(asp_error *err)
{
	err->code = ASP_OK;
	err->message[0] = '\0';
	err->detail[0] = '\0';
	err->hint[0] = '\0';
	err->stage_index = -1;
	err->stage_name[0] = '\0';
	err->path[0] = '\0';
}

/* asp_error_set: fill the code and the primary message; always returns false */
bool
asp_error_set(asp_error *err, asp_error_code code, const char *fmt,...)
{
	va_list		ap;

	if (err == NULL)
		return false;
	asp_error_init(err);
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	return false;
}

/* asp_error_detail: add a detail line to an error already set */
void
asp_error_detail(asp_error *err, const char *fmt,...)
{
	va_list		ap;

	if (err == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(err->detail, sizeof(err->detail), fmt, ap);
	va_end(ap);
}

/* asp_error_hint: add a hint saying how to fix the problem */
void
asp_error_hint(asp_error *err, const char *fmt,...)
{
	va_list		ap;

	if (err == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(err->hint, sizeof(err->hint), fmt, ap);
	va_end(ap);
}

/*
 * asp_error_where: record where the error is, unless an inner caller
 * already did (the innermost location is the most precise one).
 */
void
asp_error_where(asp_error *err, int stage_index, const char *stage_name,
				const char *path)
{
	if (err == NULL)
		return;
	if (err->stage_index < 0)
	{
		err->stage_index = stage_index;
		if (stage_name)
			snprintf(err->stage_name, sizeof(err->stage_name), "%s", stage_name);
	}
	if (err->path[0] == '\0' && path)
		snprintf(err->path, sizeof(err->path), "%s", path);
}
