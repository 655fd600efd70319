/*-------------------------------------------------------------------------
 *
 * json_int.h
 *	  Internal declarations shared by json.c (the JSON reader's driver:
 *	  entry points, frame stack, objects, arrays, numbers, strings) and
 *	  json_ejson.c (the Extended JSON wrappers).
 *
 * Not part of the engine's interface; only the two files above include it.
 * The helpers on the per-value path of plain JSON are static inline here,
 * so the split costs no function call there.  The functions the two files
 * share are hidden: with -fPIC they are called directly, not through the
 * PLT, and are not exported from the shared library.
 *
 *-------------------------------------------------------------------------
 */
#ifndef ASP_ENGINE_JSON_INT_H
#define ASP_ENGINE_JSON_INT_H

#include <stdint.h>
#include <string.h>

#include "json.h"

#if defined(__GNUC__)
#define LIKELY(x)	__builtin_expect(!!(x), 1)
#define UNLIKELY(x) __builtin_expect(!!(x), 0)
#define JP_INTERNAL __attribute__((visibility("hidden")))
#else
#define LIKELY(x)	(x)
#define UNLIKELY(x) (x)
#define JP_INTERNAL
#endif

/* initial output buffer, on the C stack */
#define JP_STACK_BUF 1024
/* frames kept on the C stack; deeper input moves them to the heap */
#define JP_STACK_FRAMES 128

/* BSON element types we write */
#define BT_DOUBLE	0x01
#define BT_UTF8		0x02
#define BT_DOC		0x03
#define BT_ARRAY	0x04
#define BT_BINARY	0x05
#define BT_UNDEF	0x06
#define BT_OID		0x07
#define BT_BOOL		0x08
#define BT_DATE		0x09
#define BT_NULL		0x0A
#define BT_REGEX	0x0B
#define BT_DBPTR	0x0C
#define BT_CODE		0x0D
#define BT_SYMBOL	0x0E
#define BT_CODEWS	0x0F
#define BT_INT32	0x10
#define BT_TSTAMP	0x11
#define BT_INT64	0x12
#define BT_DEC128	0x13
#define BT_MAXKEY	0x7F
#define BT_MINKEY	0xFF

/* Extended JSON keywords (libbson's list of "known keys") */
typedef enum
{
	KW_NONE = 0,
	KW_OID,
	KW_DATE,
	KW_CODE,
	KW_TYPE,
	KW_UUID,
	KW_REGEX,
	KW_SCOPE,
	KW_BINARY,
	KW_SYMBOL,
	KW_MINKEY,
	KW_MAXKEY,
	KW_OPTIONS,
	KW_NUMBERINT,
	KW_UNDEFINED,
	KW_TIMESTAMP,
	KW_DBPOINTER,
	KW_NUMBERLONG,
	KW_NUMBERDOUBLE,
	KW_NUMBERDECIMAL,
	KW_REGULAREXPRESSION
} jp_keyword;

/* results of jp_parse_ejson() */
#define EJ_ERROR 0
#define EJ_OK	 1
#define EJ_PLAIN 2

typedef struct jp_frame
{
	size_t		start;			/* offset of this document's int32 length */
	size_t		type_pos;		/* offset of its type byte in the parent */
	uint32_t	index;			/* next array index */
	bool		is_array;
	bool		limited;		/* max_doc_size applies to this document */
} jp_frame;

typedef struct jp
{
	const char *start;			/* the text */
	const char *p;				/* current position */
	const char *end;			/* one past the last byte */
	uint8_t    *buf;			/* output */
	size_t		len;			/* bytes of output written */
	size_t		cap;			/* allocated bytes */
	bool		heap;			/* buf is malloc'ed */
	bool		in_scope;		/* inside a $scope document */
	int			depth;			/* open objects + arrays */
	int			max_depth;
	size_t		max_doc_size;	/* 0: none */
	size_t		limit_base;		/* start of the limited document, or
								 * SIZE_MAX */
	const char *limit_open;		/* its '{' in the text */
	uint32_t	limit_index;	/* its index in the top-level array */
	bool		limit_in_array; /* it is an element of the top-level array */
	jp_frame   *frames;			/* one per open object or array */
	int			frames_cap;
	asp_error  *err;
	jp_frame	stack_frames[JP_STACK_FRAMES];
	uint8_t		stack_buf[JP_STACK_BUF];
} jp;

/* a JSON number as scanned by jp_scan_number() */
typedef struct numtok
{
	const char *start;
	const char *end;
	bool		neg;
	bool		is_int;			/* no fraction, no exponent */
	bool		big;			/* integer magnitude does not fit uint64 */
	uint64_t	mag;			/* integer magnitude (if is_int && !big) */
} numtok;

/* ---------------------------------------------------------------------
 * Inline helpers
 * ---------------------------------------------------------------------
 */

/* hexval: value of a hex digit, or -1 */
static inline int
hexval(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* skip_ws: skip JSON whitespace (space, tab, CR, LF) */
static inline const char *
skip_ws(const char *p, const char *end)
{
	while (p < end && (uint8_t) *p <= ' ' &&
		   (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
		p++;
	return p;
}

/* put_u32 / put_u64: little-endian stores */
static inline void
put_u32(uint8_t *d, uint32_t v)
{
	v = BSON_UINT32_TO_LE(v);
	memcpy(d, &v, 4);
}

static inline void
put_u64(uint8_t *d, uint64_t v)
{
	v = BSON_UINT64_TO_LE(v);
	memcpy(d, &v, 8);
}

/* ---------------------------------------------------------------------
 * json.c
 * ---------------------------------------------------------------------
 */

/* errors: set j->err with the location of at in the text */
extern JP_INTERNAL void jp_where(jp *j, const char *at);
extern JP_INTERNAL bool jp_fail(jp *j, asp_error_code code, const char *at,
								const char *fmt,...)
			__attribute__((format(printf, 4, 5)));
extern JP_INTERNAL bool jp_size_error(jp *j, size_t limit);

#define jp_syntax(j, at, ...) jp_fail((j), ASP_ERR_SYNTAX, (at), "invalid JSON: " __VA_ARGS__)
#define jp_ejson(j, at, ...) jp_fail((j), ASP_ERR_SYNTAX, (at), "invalid extended JSON: " __VA_ARGS__)

/* output buffer: make room for need bytes (an absolute size) */
extern JP_INTERNAL bool jp_grow(jp *j, size_t need);

#define JP_ENSURE(j, need) (LIKELY((need) <= (j)->cap) || jp_grow((j), (need)))

/* strings and numbers */
extern JP_INTERNAL bool jp_decode_string(jp *j, size_t off, size_t *outlen,
										 bool is_key);
extern JP_INTERNAL bool jp_scan_number(jp *j, numtok *nt);
extern JP_INTERNAL bool jp_number_to_double(jp *j, const char *s, const char *e,
											const char *at, double *out);

/* the main loop (also reads a $scope document) */
extern JP_INTERNAL bool jp_parse_container(jp *j, bool limit_root,
										   bool limit_children);

/* ---------------------------------------------------------------------
 * json_ejson.c
 * ---------------------------------------------------------------------
 */

extern JP_INTERNAL jp_keyword jp_classify_keyword(const uint8_t *k, size_t n,
												  bool in_scope);
extern JP_INTERNAL int jp_parse_ejson(jp *j, jp_keyword kw, size_t type_pos);

#endif							/* ASP_ENGINE_JSON_INT_H */
