/*-------------------------------------------------------------------------
 *
 * regex.c
 *	  Regular expressions for $regex, $regexMatch and $jsonSchema pattern,
 *	  over PCRE2 (the library MongoDB itself uses).
 *
 * Patterns are compiled once, in UTF mode, with MongoDB's option letters
 * (i m s x, and u which is accepted and changes nothing since UTF is always
 * on).  Subjects that are not valid UTF-8 never match instead of failing
 * (PCRE2_MATCH_INVALID_UTF).  A pattern is JIT-compiled when the platform
 * allows it (and the process does not run under valgrind); otherwise the
 * interpreter is used.
 *
 * A compiled asp_regex is read-only after compilation, so it may be shared.
 * Matching needs a pcre2_match_data block, which since PCRE2 10.41 also
 * keeps the interpreter's backtracking frames; creating one per call would
 * cost a malloc of 20 KiB or more per document.  Instead each thread keeps
 * one block, grown to the largest number of capture groups seen, and
 * reuses it for every pattern.  Nothing here calls back into the engine
 * while a match runs, so the block is never used by two matches at once.
 * asp_regex_release_thread_cache() frees it (at thread or backend exit).
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

/*
 * PCRE2's JIT code reads whole words past the end of the subject (never
 * across a page), which memcheck reports as uses of uninitialised memory
 * when the subject sits in a larger buffer.  Under valgrind the
 * interpreter is used instead; the header is only needed at build time.
 */
#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define ASP_UNDER_VALGRIND() RUNNING_ON_VALGRIND
#endif
#endif
#ifndef ASP_UNDER_VALGRIND
#define ASP_UNDER_VALGRIND() 0
#endif

#include "regex.h"

struct asp_regex
{
	pcre2_code *code;
	uint32_t	ncaps;			/* capture groups in the pattern */
};

/* the per-thread match data block and the number of ovector pairs it has */
static __thread pcre2_match_data *tl_match_data = NULL;
static __thread uint32_t tl_match_pairs = 0;

#define MIN_MATCH_PAIRS 16

/*
 * get_match_data: this thread's match data block with room for at least
 * `pairs` ovector pairs, or NULL if PCRE2 cannot allocate one.
 */
static pcre2_match_data *
get_match_data(uint32_t pairs)
{
	if (tl_match_data != NULL && tl_match_pairs >= pairs)
		return tl_match_data;
	if (pairs < MIN_MATCH_PAIRS)
		pairs = MIN_MATCH_PAIRS;
	if (tl_match_data != NULL)
		pcre2_match_data_free(tl_match_data);
	tl_match_data = pcre2_match_data_create(pairs, NULL);
	tl_match_pairs = tl_match_data ? pairs : 0;
	return tl_match_data;
}

/* asp_regex_release_thread_cache: free this thread's match data block */
void
asp_regex_release_thread_cache(void)
{
	if (tl_match_data != NULL)
		pcre2_match_data_free(tl_match_data);
	tl_match_data = NULL;
	tl_match_pairs = 0;
}

/*
 * asp_regex_options_valid: check MongoDB option letters; on a bad letter
 * set err and return false.
 */
bool
asp_regex_options_valid(const char *options, asp_error *err)
{
	const char *p;

	if (options == NULL)
		return true;
	for (p = options; *p; p++)
	{
		if (strchr("imsxu", *p) == NULL)
		{
			asp_error_set(err, ASP_ERR_INVALID,
						  "invalid flag in regex options: %c", *p);
			asp_error_hint(err, "Valid regex options are i, m, s, x and u.");
			return false;
		}
	}
	return true;
}

/* asp_regex_compile: compile a pattern with MongoDB option letters */
asp_regex *
asp_regex_compile(const char *pattern, size_t len, const char *options,
				  asp_error *err)
{
	uint32_t	flags = PCRE2_UTF;
	const char *p;
	int			errcode = 0;
	PCRE2_SIZE	erroffset = 0;
	pcre2_code *code;
	asp_regex  *re;

#ifdef PCRE2_MATCH_INVALID_UTF
	flags |= PCRE2_MATCH_INVALID_UTF;
#endif
	if (!asp_regex_options_valid(options, err))
		return NULL;
	for (p = options ? options : ""; *p; p++)
	{
		switch (*p)
		{
			case 'i':
				flags |= PCRE2_CASELESS;
				break;
			case 'm':
				flags |= PCRE2_MULTILINE;
				break;
			case 's':
				flags |= PCRE2_DOTALL;
				break;
			case 'x':
				flags |= PCRE2_EXTENDED;
				break;
			default:
				break;			/* 'u': UTF is always on */
		}
	}
	if (memchr(pattern, '\0', len) != NULL)
	{
		asp_error_set(err, ASP_ERR_INVALID,
					  "regular expression cannot contain an embedded null byte");
		return NULL;
	}

	code = pcre2_compile((PCRE2_SPTR) pattern, len, flags, &errcode, &erroffset, NULL);
	if (code == NULL)
	{
		PCRE2_UCHAR msg[256];

		if (pcre2_get_error_message(errcode, msg, sizeof(msg)) < 0)
			snprintf((char *) msg, sizeof(msg), "error %d", errcode);
		asp_error_set(err, ASP_ERR_INVALID, "invalid regular expression: %s",
					  (const char *) msg);
		asp_error_detail(err, "at offset %zu of pattern /%.*s/",
						 (size_t) erroffset, len > 200 ? 200 : (int) len, pattern);
		return NULL;
	}
	/* JIT when available; failure (no JIT support, W^X policy) is not an error */
	if (!ASP_UNDER_VALGRIND())
		(void) pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);

	re = malloc(sizeof(asp_regex));
	if (re == NULL)
		abort();
	re->code = code;
	re->ncaps = 0;
	(void) pcre2_pattern_info(code, PCRE2_INFO_CAPTURECOUNT, &re->ncaps);
	return re;
}

/* asp_regex_match: true if the subject matches anywhere */
bool
asp_regex_match(const asp_regex *re, const char *subject, size_t len)
{
	pcre2_match_data *md = get_match_data(1);
	int			rc;

	if (md == NULL)
		return false;
	rc = pcre2_match(re->code, (PCRE2_SPTR) subject, len, 0, 0, md, NULL);
	/* rc == 0: matched, but the ovector was too small for all groups */
	return rc >= 0;
}

/*
 * asp_regex_find: first match at or after byte offset start.  Sets
 * *mstart and *mend to the match and caps[2*i], caps[2*i+1] to the byte
 * offsets of capture group i+1 (-1, -1 when the group did not take part)
 * for i < maxcaps.  Returns the number of capture groups of the pattern,
 * or -1 when there is no match (or start is past the end).
 */
int
asp_regex_find(const asp_regex *re, const char *subject, size_t len,
			   size_t start, size_t *mstart, size_t *mend,
			   long *caps, int maxcaps)
{
	pcre2_match_data *md;
	PCRE2_SIZE *ov;
	int			rc;
	int			i;

	if (start > len)
		return -1;
	md = get_match_data(re->ncaps + 1);
	if (md == NULL)
		return -1;
	rc = pcre2_match(re->code, (PCRE2_SPTR) subject, len, start, 0, md, NULL);
	if (rc < 0)
		return -1;
	ov = pcre2_get_ovector_pointer(md);
	*mstart = ov[0];
	*mend = ov[1];
	for (i = 0; i < maxcaps; i++)
	{
		if ((uint32_t) i < re->ncaps && (rc == 0 || i + 1 < rc) &&
			ov[2 * (i + 1)] != PCRE2_UNSET)
		{
			caps[2 * i] = (long) ov[2 * (i + 1)];
			caps[2 * i + 1] = (long) ov[2 * (i + 1) + 1];
		}
		else
		{
			caps[2 * i] = -1;
			caps[2 * i + 1] = -1;
		}
	}
	return (int) re->ncaps;
}

/* asp_regex_ngroups: the number of capture groups in the pattern */
int
asp_regex_ngroups(const asp_regex *re)
{
	return (int) re->ncaps;
}

/* asp_regex_free: free a compiled pattern (NULL is fine) */
void
asp_regex_free(asp_regex *re)
{
	if (re == NULL)
		return;
	pcre2_code_free(re->code);
	free(re);
}
