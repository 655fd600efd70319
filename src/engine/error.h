/*-------------------------------------------------------------------------
 *
 * error.h
 *	  Errors returned as values by the asp engine.
 *
 * The engine never longjmps and never includes PostgreSQL headers.  Every
 * function that can fail takes an asp_error * and returns false (or NULL)
 * after filling it.  The SQL layer turns an asp_error into an ereport();
 * the runtime turns a per-document error into a dead letter queue entry.
 *
 *-------------------------------------------------------------------------
 */
#ifndef ASP_ENGINE_ERROR_H
#define ASP_ENGINE_ERROR_H

#include <stdbool.h>
#include <stdarg.h>

typedef enum asp_error_code
{
	ASP_OK = 0,
	ASP_ERR_SYNTAX,				/* malformed JSON / EJSON text */
	ASP_ERR_INVALID,			/* invalid pipeline, stage, option, operator */
	ASP_ERR_UNSUPPORTED,		/* recognised but not supported in streams */
	ASP_ERR_RUNTIME,			/* an expression failed on one document */
	ASP_ERR_LIMIT,				/* size or depth limit exceeded */
	ASP_ERR_INTERNAL			/* a bug or an allocation failure */
} asp_error_code;

#define ASP_ERROR_MSG_LEN 512

typedef struct asp_error
{
	asp_error_code code;
	char		message[ASP_ERROR_MSG_LEN];	/* primary message, lower case, no period */
	char		detail[ASP_ERROR_MSG_LEN];	/* optional: more facts */
	char		hint[ASP_ERROR_MSG_LEN];	/* optional: how to fix it */
	/* where: filled by the pipeline compiler; -1 / "" when unknown */
	int			stage_index;	/* 0-based index in the top-level pipeline */
	char		stage_name[64];	/* e.g. "$tumblingWindow" */
	char		path[256];		/* field path inside the stage, e.g. "interval.size" */
} asp_error;

/* asp_error_init: reset an error to "no error" */
extern void asp_error_init(asp_error *err);

/* asp_error_set: fill code and message (printf-style); returns false */
extern bool asp_error_set(asp_error *err, asp_error_code code, const char *fmt,...)
			__attribute__((format(printf, 3, 4)));

/* asp_error_detail / asp_error_hint: add detail or hint (printf-style) */
extern void asp_error_detail(asp_error *err, const char *fmt,...)
			__attribute__((format(printf, 2, 3)));
extern void asp_error_hint(asp_error *err, const char *fmt,...)
			__attribute__((format(printf, 2, 3)));

/* asp_error_where: record the stage and field path if not set yet */
extern void asp_error_where(asp_error *err, int stage_index,
							const char *stage_name, const char *path);

#endif							/* ASP_ENGINE_ERROR_H */
