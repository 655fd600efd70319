/*-------------------------------------------------------------------------
 *
 * json_out.h
 *	  Fast BSON -> MongoDB relaxed Extended JSON (v2) writer.
 *
 * The writer walks raw BSON bytes with bson_iter and appends relaxed
 * Extended JSON text to a growable, malloc-based buffer.  The layout is
 * the one PostgreSQL's jsonb output uses: a space after ':' and after ','
 * and no other whitespace, e.g. {"a": 1, "b": [1, 2], "c": {"d": "x"}}.
 *
 * Doubles are printed with the shortest decimal text that reads back to
 * the same bits (230.65, not libbson's 230.65000000000000568); integral
 * doubles keep a ".0" (5.0) so they read back as doubles.  Dates between
 * the years 1970 and 9999 print as ISO-8601 UTC ("2024-01-01T00:00:00Z",
 * ".123Z" when the milliseconds are not zero), others as $numberLong.
 *
 * Nesting is handled with an explicit stack, not C recursion, so any
 * depth a BSON document can hold is safe.
 *
 *-------------------------------------------------------------------------
 */
#ifndef ASP_ENGINE_JSON_OUT_H
#define ASP_ENGINE_JSON_OUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A growable byte buffer (malloc/realloc/free).  After a successful
 * asp_bson_to_json() data[len] is '\0', so data can be used as a C string
 * (a BSON string holding "\0" is written as the escape \u0000).
 */
typedef struct asp_strbuf
{
	char	   *data;
	size_t		len;
	size_t		cap;
} asp_strbuf;

/* asp_strbuf_init: make an empty buffer that owns no memory yet */
extern void asp_strbuf_init(asp_strbuf *sb);

/* asp_strbuf_reset: empty the buffer but keep its memory for reuse */
extern void asp_strbuf_reset(asp_strbuf *sb);

/* asp_strbuf_free: release the buffer's memory and make it empty */
extern void asp_strbuf_free(asp_strbuf *sb);

/*
 * asp_strbuf_reserve: make room for extra more bytes plus a terminating
 * '\0' (geometric growth); false when out of memory (buffer unchanged)
 */
extern bool asp_strbuf_reserve(asp_strbuf *sb, size_t extra);

/*
 * asp_bson_to_json: append the relaxed extended JSON text of the BSON
 * document doc[0..len) (or, with is_array, of the BSON array: keys are
 * ignored and the text is [...]) to out.
 *
 * Returns false for corrupt BSON (bad lengths, unknown element types,
 * trailing garbage) and when out of memory; out->len is then restored to
 * its value at the call, so nothing partial is left behind.  String bytes
 * are copied as they are: the writer does not check that they are valid
 * UTF-8.
 */
extern bool asp_bson_to_json(const uint8_t *doc, uint32_t len, bool is_array,
							 asp_strbuf *out);

#endif							/* ASP_ENGINE_JSON_OUT_H */
