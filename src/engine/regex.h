/*-------------------------------------------------------------------------
 *
 * regex.h
 *	  Regular expressions for $regex, $regexMatch and $jsonSchema pattern,
 *	  over PCRE2 (the library MongoDB itself uses).
 *
 *-------------------------------------------------------------------------
 */
#ifndef ASP_ENGINE_REGEX_H
#define ASP_ENGINE_REGEX_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

typedef struct asp_regex asp_regex;

/*
 * asp_regex_compile: compile pattern (len bytes, UTF-8) with MongoDB
 * options letters: i (caseless), m (multiline), s (dotall), x (extended),
 * u (accepted, UTF is always on).  Any other option letter is an error.
 * Error: ASP_ERR_INVALID with PCRE2's message and offset in the detail.
 */
extern asp_regex *asp_regex_compile(const char *pattern, size_t len,
									const char *options, asp_error *err);
/* asp_regex_match: true if subject matches anywhere */
extern bool asp_regex_match(const asp_regex *re, const char *subject, size_t len);
/*
 * asp_regex_find: first match at or after byte offset start; on success
 * sets *mstart and *mend (byte offsets) and, for up to maxcaps capture groups,
 * caps[2*i], caps[2*i+1] (-1 for an unset group); returns number of groups.
 * Returns -1 when there is no match.  caps[0], caps[1] describe group 1
 * (the whole match is *mstart and *mend, not part of caps).
 */
extern int	asp_regex_find(const asp_regex *re, const char *subject, size_t len,
						   size_t start, size_t *mstart, size_t *mend,
						   long *caps, int maxcaps);
extern int	asp_regex_ngroups(const asp_regex *re);
extern void asp_regex_free(asp_regex *re);

/*
 * asp_regex_options_valid: true if every letter of options (may be NULL)
 * is a MongoDB regex option (i m s x u); otherwise sets err.
 */
extern bool asp_regex_options_valid(const char *options, asp_error *err);

/*
 * Matching reuses one PCRE2 match data block per thread (no allocation per
 * match; a compiled asp_regex stays read-only and shareable).
 * asp_regex_release_thread_cache: free this thread's block, e.g. at
 * backend or thread exit; the next match simply allocates a new one.
 */
extern void asp_regex_release_thread_cache(void);

#endif							/* ASP_ENGINE_REGEX_H */
