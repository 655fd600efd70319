/*-------------------------------------------------------------------------
 *
 * json.c
 *	  Fast single-pass JSON / MongoDB Extended JSON reader writing BSON.
 *
 * The reader walks the text once and writes BSON bytes straight into one
 * growable buffer: a document is opened by writing a placeholder for its
 * int32 length, which is patched when the document closes; an element's
 * type byte is reserved before its key and filled in once the value is
 * seen.  There is no token list, no tree and no allocation per value; the
 * buffer starts on the C stack and moves to the heap only for documents
 * that do not fit.  Nesting uses an explicit frame stack, never C
 * recursion, so deep input cannot overflow the C stack.  (The one nested
 * call is for the scope document of {"$code", "$scope"}; libbson does not
 * recognise $code inside a scope, neither do we, so it cannot go deeper.)
 *
 * Extended JSON wrappers ({"$oid": ...} and friends) are recognised by
 * the first key of an object that is not the top-level object (libbson
 * reads {"$oid": "..."} at the top level as a plain document, and so do
 * we).  The wrapper is parsed by dedicated code that writes the value in
 * place of the document.  Strings a wrapper needs before it can emit its
 * value are decoded into the free space after the end of the output.
 *
 * The output is byte-for-byte what libbson 1.23's bson_init_from_json()
 * produces for every input both accept; test/engine/test_json.c checks
 * that on a corpus and with random mutations.  Deliberate differences:
 *
 *	 Plain JSON (we are stricter, as RFC 8259 asks):
 *	 - NaN, Infinity and -Infinity literals are rejected (libbson reads
 *	   them as doubles); use {"$numberDouble": "NaN"}.
 *	 - "-01" is rejected (libbson reads it as 0).
 *	 - raw control characters U+0000..U+001F in strings are rejected
 *	   (libbson rejects only some of them).
 *	 - the overlong UTF-8 NUL C0 80 is rejected (libbson accepts it in
 *	   string values).
 *	 - any non-whitespace after the value is rejected (libbson stops after
 *	   the first value and ignores the rest, e.g. a second document).
 *	 - an integer outside the int64 range becomes a double (libbson
 *	   reports "out of range", or worse, see below).
 *	 - the default depth limit of 100 allows 100 nested levels (libbson
 *	   allows 99).
 *
 *	 Extended JSON (we reject the garbage libbson silently accepts):
 *	 - a repeated key inside a wrapper, and keys of two different
 *	   wrappers mixed in one object, are errors (libbson keeps the last
 *	   value, or for $symbol appends the field twice, or picks a type).
 *	 - $oid and $uuid need exact hexadecimal digits, and a binary subType
 *	   1 or 2 hex digits (libbson uses sscanf, which takes "0x1", " 1",
 *	   "123", "array" or a "g" as some number).
 *	 - $timestamp t and i must fit in uint32 (libbson truncates).
 *	 - {"$undefined": false} is an error (libbson makes undefined).
 *	 - {"$date": {}} is an error (libbson makes the epoch).
 *	 - regex options keep unknown letters after the known, sorted ones
 *	   (libbson drops them), so {"$options": "q"} reaches the query
 *	   compiler and fails there as in MongoDB instead of being ignored.
 *	 - $numberInt / $numberLong strings must be an optional '-' and
 *	   digits (libbson also takes leading blanks and '+').
 *	 - $numberDouble must be a JSON number or exactly "Infinity",
 *	   "-Infinity" or "NaN" (libbson takes any strtod() prefix, so "abc"
 *	   is 0.0 and "1.5abc" is 1.5).
 *	 - a $numberDecimal that bson_decimal128_from_string() rejects is an
 *	   error (libbson stores NaN).
 *	 - NUL (\u0000) in $code, in $dbPointer's $ref and in base64 text is
 *	   an error (libbson truncates at the NUL).
 *	 - $date strings also accept "+01:00" style offsets and more than
 *	   three fraction digits (truncated to milliseconds), which libbson
 *	   rejects, and reject a day past the end of its month (libbson turns
 *	   2024-02-30 into March 1st).
 *
 *	 - $code (with or without $scope) inside an array is read correctly;
 *	   libbson 1.23 fails on it ("Error storing Javascript code", after
 *	   reading uninitialised memory).
 *	 - integer literals of 2^64 or more are doubles; libbson silently
 *	   wraps them modulo 2^64 (10000000000000000000000 becomes the int64
 *	   1864712049423024128).  Between 2^63 and 2^64 libbson reports "out
 *	   of range".
 *	 - libbson (jsonsl) accepts some invalid JSON that we reject: a missing
 *	   ',' before a string in an array (["a" "b"]), "1E.5", "0.e1", and a
 *	   \uD800-\uDBFF escape not directly followed by a low surrogate
 *	   escape (it pairs it with a later one, so "\uD883D\uDE00" gives
 *	   "D" and U+30E00).
 *
 *	 Query operators that share a name with legacy Extended JSON:
 *	 - an object whose first key is $regex or $options is a legacy regular
 *	   expression only if it is exactly {"$regex": string} or {"$regex":
 *	   string, "$options": string} (either order); this matches libbson,
 *	   so {"email": {"$regex": "^.+@"}} gives a BSON regex field exactly as
 *	   libbson does (the server treats {f: {$regex: "x"}} and {f: /x/} the
 *	   same).  Other shapes, e.g. {"$regex": {"$regularExpression": ...}},
 *	   {"$regex": "x", "b": 1} or {"$options": "i"}, stay plain documents
 *	   (libbson reports errors for them).  A shape that mixes in another
 *	   Extended JSON key, or repeats $regex, is an error.
 *	 - an object whose first key is $type is legacy binary only if it is
 *	   exactly {"$type": string, "$binary": string}; otherwise it is a
 *	   plain document, so {"$type": "array"}, {"$type": "double"} and
 *	   {"$type": 2} work as query operators (libbson reports errors for
 *	   those whose string starts with a hex digit, and for numbers).
 *
 *-------------------------------------------------------------------------
 */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

#if defined(__GNUC__)
#define LIKELY(x)	__builtin_expect(!!(x), 1)
#define UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define LIKELY(x)	(x)
#define UNLIKELY(x) (x)
#endif

/* initial output buffer, on the C stack */
#define JP_STACK_BUF 1024
/* frames kept on the C stack; deeper input moves them to the heap */
#define JP_STACK_FRAMES 128
/* largest number literal copied to the stack for strtod() */
#define JP_NUM_STACK 128

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

/* results of parse_ejson */
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

static bool parse_container(jp *j, bool limit_root, bool limit_children);

/* ---------------------------------------------------------------------
 * Character tables
 * ---------------------------------------------------------------------
 */

/* str_plain: 1 for bytes that a string copies verbatim: 0x20..0x7F except
 * '"' and '\\' */
#define R4(v) v, v, v, v
#define R16(v) R4(v), R4(v), R4(v), R4(v)
static const uint8_t str_plain[256] = {
	R16(0), R16(0),				/* 0x00..0x1F */
	1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,	/* 0x20..0x2F: '"' */
	R16(1),						/* 0x30..0x3F */
	R16(1),						/* 0x40..0x4F */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,	/* 0x50..0x5F: '\\' */
	R16(1), R16(1),				/* 0x60..0x7F */
	R16(0), R16(0), R16(0), R16(0), R16(0), R16(0), R16(0), R16(0)	/* high */
};

/* hexval: value of a hex digit, or -1 */
static int
hexval(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* b64val: value of a base64 digit, or -1 */
static int
b64val(uint8_t c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* is_c_space: isspace() in the C locale, as libbson's base64 decoder uses */
static bool
is_c_space(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' ||
		c == '\r';
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
 * Errors
 * ---------------------------------------------------------------------
 */

/* jp_location: "line L, column C (byte offset B)" for position at */
static void
jp_location(jp *j, const char *at, char *out, size_t outsize)
{
	const char *s;
	size_t		line = 1;
	size_t		col = 1;

	if (at < j->start)
		at = j->start;
	if (at > j->end)
		at = j->end;
	for (s = j->start; s < at; s++)
	{
		if (*s == '\n')
		{
			line++;
			col = 1;
		}
		else if (((uint8_t) *s & 0xC0) != 0x80)
			col++;				/* count characters, not UTF-8 bytes */
	}
	snprintf(out, outsize, "line %zu, column %zu (byte offset %zu)",
			 line, col, (size_t) (at - j->start));
}

/* jp_where: add "at line L, column C (byte offset B)" for position at */
static void
jp_where(jp *j, const char *at)
{
	char		loc[128];

	jp_location(j, at, loc, sizeof(loc));
	asp_error_detail(j->err, "at %s", loc);
}

/* jp_fail: set an error with a location; always returns false */
static bool
jp_fail(jp *j, asp_error_code code, const char *at, const char *fmt,...)
			__attribute__((format(printf, 4, 5)));

static bool
jp_fail(jp *j, asp_error_code code, const char *at, const char *fmt,...)
{
	char		msg[ASP_ERROR_MSG_LEN];
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	asp_error_set(j->err, code, "%s", msg);
	jp_where(j, at);
	return false;
}

#define jp_syntax(j, at, ...) jp_fail((j), ASP_ERR_SYNTAX, (at), "invalid JSON: " __VA_ARGS__)
#define jp_ejson(j, at, ...) jp_fail((j), ASP_ERR_SYNTAX, (at), "invalid extended JSON: " __VA_ARGS__)

/* jp_size_error: report a value over the BSON maximum of INT32_MAX bytes */
static bool
jp_size_error(jp *j, size_t limit)
{
	asp_error_set(j->err, ASP_ERR_LIMIT,
				  "document exceeds the maximum BSON size of %zu bytes", limit);
	jp_where(j, j->p);
	return false;
}

/*
 * jp_limit_error: report the limited document as over max_doc_size; size
 * is its size, or 0 if it is not complete yet
 */
static bool
jp_limit_error(jp *j, size_t size)
{
	char		loc[128];
	char		sz[64];

	asp_error_set(j->err, ASP_ERR_LIMIT,
				  "document exceeds the maximum BSON size of %zu bytes",
				  j->max_doc_size);
	if (size > 0)
		snprintf(sz, sizeof(sz), "is %zu bytes", size);
	else
		snprintf(sz, sizeof(sz), "is larger");
	if (j->limit_in_array)
	{
		jp_location(j, j->limit_open, loc, sizeof(loc));
		asp_error_detail(j->err,
						 "the document at index %u of the array, which starts at %s, %s",
						 j->limit_index, loc, sz);
	}
	else
		asp_error_detail(j->err, "the document %s", sz);
	return false;
}

/* ---------------------------------------------------------------------
 * Output buffer
 * ---------------------------------------------------------------------
 */

/* jp_grow: make room for need bytes of output (an absolute size) */
static bool
jp_grow(jp *j, size_t need)
{
	size_t		ncap;
	uint8_t    *nb;

	if (need > (size_t) INT32_MAX)
		return jp_size_error(j, (size_t) INT32_MAX);
	/* fail early on a limited document that is already too big */
	if (j->limit_base != SIZE_MAX && j->len - j->limit_base > j->max_doc_size)
		return jp_limit_error(j, 0);
	if (need <= j->cap)
		return true;
	ncap = j->cap * 2;
	while (ncap < need)
		ncap *= 2;
	if (ncap > (size_t) INT32_MAX + 1)
		ncap = (size_t) INT32_MAX + 1;
	if (j->heap)
		nb = realloc(j->buf, ncap);
	else
	{
		nb = malloc(ncap);
		if (nb)
			memcpy(nb, j->buf, j->cap);
	}
	if (nb == NULL)
	{
		asp_error_set(j->err, ASP_ERR_INTERNAL,
					  "out of memory while converting JSON to BSON");
		return false;
	}
	j->buf = nb;
	j->cap = ncap;
	j->heap = true;
	return true;
}

#define JP_ENSURE(j, need) (LIKELY((need) <= (j)->cap) || jp_grow((j), (need)))

/* jp_grow_frames: double the frame stack (only for deep input) */
static bool
jp_grow_frames(jp *j)
{
	int			ncap = j->frames_cap * 2;
	jp_frame   *nf;

	if (j->frames == j->stack_frames)
	{
		nf = malloc(sizeof(jp_frame) * (size_t) ncap);
		if (nf)
			memcpy(nf, j->frames, sizeof(jp_frame) * (size_t) j->frames_cap);
	}
	else
		nf = realloc(j->frames, sizeof(jp_frame) * (size_t) ncap);
	if (nf == NULL)
	{
		asp_error_set(j->err, ASP_ERR_INTERNAL,
					  "out of memory while converting JSON to BSON");
		return false;
	}
	j->frames = nf;
	j->frames_cap = ncap;
	return true;
}

/* ---------------------------------------------------------------------
 * Strings
 * ---------------------------------------------------------------------
 */

/*
 * decode_string: decode the JSON string at j->p (its opening quote) into
 * the output buffer at offset off, followed by a NUL; *outlen gets the
 * decoded length without the NUL.  j->p is left after the closing quote.
 * Keys may not contain NUL (BSON keys are C strings).  The decoded string
 * is never longer than the quoted text.
 */
static bool
decode_string(jp *j, size_t off, size_t *outlen, bool is_key)
{
	const uint8_t *s = (const uint8_t *) j->p + 1;
	const uint8_t *e = (const uint8_t *) j->end;
	size_t		o = off;

	for (;;)
	{
		const uint8_t *r = s;
		size_t		n;
		uint8_t		c;

		while (r < e && str_plain[*r])
			r++;
		n = (size_t) (r - s);
		if (!JP_ENSURE(j, o + n + 8))
			return false;
		memcpy(j->buf + o, s, n);
		o += n;
		s = r;
		if (UNLIKELY(s >= e))
			return jp_syntax(j, j->end, "unterminated string");
		c = *s;
		if (LIKELY(c == '"'))
			break;
		if (c == '\\')
		{
			uint32_t	cp;
			int			h0,
						h1,
						h2,
						h3;

			if (s + 1 >= e)
				return jp_syntax(j, j->end, "unterminated string");
			switch (s[1])
			{
				case '"':
				case '\\':
				case '/':
					j->buf[o++] = s[1];
					s += 2;
					continue;
				case 'b':
					j->buf[o++] = '\b';
					s += 2;
					continue;
				case 'f':
					j->buf[o++] = '\f';
					s += 2;
					continue;
				case 'n':
					j->buf[o++] = '\n';
					s += 2;
					continue;
				case 'r':
					j->buf[o++] = '\r';
					s += 2;
					continue;
				case 't':
					j->buf[o++] = '\t';
					s += 2;
					continue;
				case 'u':
					break;
				default:
					return jp_syntax(j, (const char *) s,
									 "invalid escape sequence in string");
			}
			if (e - s < 6 ||
				(h0 = hexval(s[2])) < 0 || (h1 = hexval(s[3])) < 0 ||
				(h2 = hexval(s[4])) < 0 || (h3 = hexval(s[5])) < 0)
				return jp_syntax(j, (const char *) s,
								 "expected four hexadecimal digits after \\u in string");
			cp = (uint32_t) ((h0 << 12) | (h1 << 8) | (h2 << 4) | h3);
			if (cp >= 0xD800 && cp <= 0xDBFF)
			{
				uint32_t	lo;

				if (e - s < 12 || s[6] != '\\' || s[7] != 'u' ||
					(h0 = hexval(s[8])) < 0 || (h1 = hexval(s[9])) < 0 ||
					(h2 = hexval(s[10])) < 0 || (h3 = hexval(s[11])) < 0 ||
					(lo = (uint32_t) ((h0 << 12) | (h1 << 8) | (h2 << 4) | h3)) < 0xDC00 ||
					lo > 0xDFFF)
					return jp_syntax(j, (const char *) s,
									 "unpaired UTF-16 surrogate in \\u escape");
				cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
				s += 12;
			}
			else if (cp >= 0xDC00 && cp <= 0xDFFF)
				return jp_syntax(j, (const char *) s,
								 "unpaired UTF-16 surrogate in \\u escape");
			else
				s += 6;
			if (cp < 0x80)
			{
				if (cp == 0 && is_key)
					return jp_syntax(j, (const char *) s - 6,
									 "object key contains a NUL character (\\u0000)");
				j->buf[o++] = (uint8_t) cp;
			}
			else if (cp < 0x800)
			{
				j->buf[o++] = (uint8_t) (0xC0 | (cp >> 6));
				j->buf[o++] = (uint8_t) (0x80 | (cp & 0x3F));
			}
			else if (cp < 0x10000)
			{
				j->buf[o++] = (uint8_t) (0xE0 | (cp >> 12));
				j->buf[o++] = (uint8_t) (0x80 | ((cp >> 6) & 0x3F));
				j->buf[o++] = (uint8_t) (0x80 | (cp & 0x3F));
			}
			else
			{
				j->buf[o++] = (uint8_t) (0xF0 | (cp >> 18));
				j->buf[o++] = (uint8_t) (0x80 | ((cp >> 12) & 0x3F));
				j->buf[o++] = (uint8_t) (0x80 | ((cp >> 6) & 0x3F));
				j->buf[o++] = (uint8_t) (0x80 | (cp & 0x3F));
			}
		}
		else if (c < 0x20)
			return jp_syntax(j, (const char *) s,
							 "control character U+%04X must be escaped in a string",
							 (unsigned) c);
		else
		{
			/* a multi-byte UTF-8 sequence: validate it fully */
			size_t		need;
			uint8_t		lo = 0x80,
						hi = 0xBF;

			if (c >= 0xC2 && c <= 0xDF)
				need = 2;
			else if (c >= 0xE0 && c <= 0xEF)
			{
				need = 3;
				if (c == 0xE0)
					lo = 0xA0;	/* overlong */
				else if (c == 0xED)
					hi = 0x9F;	/* UTF-16 surrogates */
			}
			else if (c >= 0xF0 && c <= 0xF4)
			{
				need = 4;
				if (c == 0xF0)
					lo = 0x90;	/* overlong */
				else if (c == 0xF4)
					hi = 0x8F;	/* above U+10FFFF */
			}
			else
				return jp_syntax(j, (const char *) s,
								 "invalid UTF-8 byte sequence in string");
			if ((size_t) (e - s) < need || s[1] < lo || s[1] > hi ||
				(need > 2 && (s[2] & 0xC0) != 0x80) ||
				(need > 3 && (s[3] & 0xC0) != 0x80))
				return jp_syntax(j, (const char *) s,
								 "invalid UTF-8 byte sequence in string");
			memcpy(j->buf + o, s, need);
			o += need;
			s += need;
		}
	}
	j->buf[o] = '\0';
	*outlen = o - off;
	j->p = (const char *) s + 1;
	return true;
}

/* ---------------------------------------------------------------------
 * Numbers
 * ---------------------------------------------------------------------
 */

typedef struct numtok
{
	const char *start;
	const char *end;
	bool		neg;
	bool		is_int;			/* no fraction, no exponent */
	bool		big;			/* integer magnitude does not fit uint64 */
	uint64_t	mag;			/* integer magnitude (if is_int && !big) */
} numtok;

/* scan_number: scan a JSON number at j->p; j->p is left after it */
static bool
scan_number(jp *j, numtok *nt)
{
	const char *s = j->p;
	const char *e = j->end;
	uint64_t	mag = 0;

	nt->start = s;
	nt->neg = false;
	nt->big = false;
	nt->is_int = true;
	if (s < e && *s == '-')
	{
		nt->neg = true;
		s++;
	}
	if (s >= e || *s < '0' || *s > '9')
		return jp_syntax(j, s, "expected a digit in number");
	if (*s == '0')
	{
		s++;
		if (s < e && *s >= '0' && *s <= '9')
			return jp_syntax(j, nt->start,
							 "leading zeros are not allowed in numbers");
	}
	else
	{
		while (s < e && *s >= '0' && *s <= '9')
		{
			unsigned	d = (unsigned) (*s - '0');

			if (mag > (UINT64_MAX - d) / 10)
				nt->big = true;
			else
				mag = mag * 10 + d;
			s++;
		}
	}
	if (s < e && *s == '.')
	{
		s++;
		if (s >= e || *s < '0' || *s > '9')
			return jp_syntax(j, s, "expected a digit after the decimal point");
		while (s < e && *s >= '0' && *s <= '9')
			s++;
		nt->is_int = false;
	}
	if (s < e && (*s == 'e' || *s == 'E'))
	{
		s++;
		if (s < e && (*s == '+' || *s == '-'))
			s++;
		if (s >= e || *s < '0' || *s > '9')
			return jp_syntax(j, s, "expected a digit in the exponent");
		while (s < e && *s >= '0' && *s <= '9')
			s++;
		nt->is_int = false;
	}
	nt->mag = mag;
	nt->end = s;
	j->p = s;
	return true;
}

/*
 * fast_double: convert a JSON number exactly when that is easy: at most 19
 * significant digits forming an integer m <= 2^53 and a power of ten
 * |e| <= 22.  Both m and 10^e are then exact doubles and one IEEE multiply
 * or divide rounds correctly.  Returns false when strtod() is needed.
 */
static bool
fast_double(const char *s, const char *e, double *out)
{
#if defined(FLT_EVAL_METHOD) && FLT_EVAL_METHOD == 0
	static const double pow10[23] = {
		1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
		1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22
	};
	bool		neg = false;
	uint64_t	m = 0;
	int			nd = 0;
	int			exp10 = 0;
	double		d;

	if (s < e && *s == '-')
	{
		neg = true;
		s++;
	}
	for (; s < e && *s >= '0' && *s <= '9'; s++)
	{
		if (m == 0 && *s == '0')
			continue;
		if (++nd > 19)
			return false;
		m = m * 10 + (uint64_t) (*s - '0');
	}
	if (s < e && *s == '.')
	{
		for (s++; s < e && *s >= '0' && *s <= '9'; s++)
		{
			exp10--;
			if (m == 0 && *s == '0')
				continue;
			if (++nd > 19)
				return false;
			m = m * 10 + (uint64_t) (*s - '0');
		}
	}
	if (s < e && (*s == 'e' || *s == 'E'))
	{
		bool		eneg = false;
		int			ev = 0;

		s++;
		if (s < e && (*s == '+' || *s == '-'))
			eneg = (*s++ == '-');
		for (; s < e && *s >= '0' && *s <= '9'; s++)
		{
			if (ev > 100000)
				return false;
			ev = ev * 10 + (*s - '0');
		}
		exp10 += eneg ? -ev : ev;
	}
	if (m == 0)
	{
		*out = neg ? -0.0 : 0.0;
		return true;
	}
	if (m > ((uint64_t) 1 << 53) || exp10 < -22 || exp10 > 22)
		return false;
	d = (double) m;
	if (exp10 < 0)
		d /= pow10[-exp10];
	else
		d *= pow10[exp10];
	*out = neg ? -d : d;
	return true;
#else
	(void) s;
	(void) e;
	(void) out;
	return false;
#endif
}

/*
 * number_to_double: convert the JSON number text [s, e) to a double with
 * correct rounding.  Overflow to infinity is an error, as in libbson;
 * underflow gives 0 or a subnormal.  The strtod() path assumes the "C"
 * LC_NUMERIC locale (which PostgreSQL backends always use); in any other
 * locale it fails cleanly instead of misreading.
 */
static bool
number_to_double(jp *j, const char *s, const char *e, const char *at,
				 double *out)
{
	char		stackcopy[JP_NUM_STACK];
	char	   *copy = stackcopy;
	size_t		n = (size_t) (e - s);
	char	   *endp;
	double		d;

	if (fast_double(s, e, out))
		return true;
	if (n >= sizeof(stackcopy))
	{
		copy = malloc(n + 1);
		if (copy == NULL)
		{
			asp_error_set(j->err, ASP_ERR_INTERNAL,
						  "out of memory while converting JSON to BSON");
			return false;
		}
	}
	memcpy(copy, s, n);
	copy[n] = '\0';
	errno = 0;
	d = strtod(copy, &endp);
	if (endp != copy + n || (errno == ERANGE && isinf(d)))
	{
		bool		range = (endp == copy + n);

		if (copy != stackcopy)
			free(copy);
		if (range)
			return jp_syntax(j, at, "number %.*s is out of range for a double",
							 (int) (n > 64 ? 64 : n), s);
		return jp_syntax(j, at, "cannot convert number to a double");
	}
	if (copy != stackcopy)
		free(copy);
	*out = d;
	return true;
}

/*
 * json_number_len: length of the longest JSON number at the start of
 * [s, e), or 0 if there is none.
 */
static size_t
json_number_len(const uint8_t *s, const uint8_t *e)
{
	const uint8_t *p = s;

	if (p < e && *p == '-')
		p++;
	if (p >= e || *p < '0' || *p > '9')
		return 0;
	if (*p == '0')
		p++;
	else
		while (p < e && *p >= '0' && *p <= '9')
			p++;
	if (p < e && *p == '.')
	{
		p++;
		if (p >= e || *p < '0' || *p > '9')
			return 0;
		while (p < e && *p >= '0' && *p <= '9')
			p++;
	}
	if (p < e && (*p == 'e' || *p == 'E'))
	{
		p++;
		if (p < e && (*p == '+' || *p == '-'))
			p++;
		if (p >= e || *p < '0' || *p > '9')
			return 0;
		while (p < e && *p >= '0' && *p <= '9')
			p++;
	}
	return (size_t) (p - s);
}

/*
 * parse_int_string: parse "[-]digits" (leading zeros allowed) into an
 * int64 within [min, max]
 */
static bool
parse_int_string(const uint8_t *s, size_t n, int64_t min, int64_t max,
				 int64_t *out)
{
	bool		neg = false;
	uint64_t	mag = 0;
	size_t		i = 0;

	if (n > 0 && s[0] == '-')
	{
		neg = true;
		i = 1;
	}
	if (i >= n)
		return false;
	for (; i < n; i++)
	{
		if (s[i] < '0' || s[i] > '9')
			return false;
		if (mag > ((uint64_t) 1 << 63) / 10)
			return false;
		mag = mag * 10 + (uint64_t) (s[i] - '0');
		if (mag > ((uint64_t) 1 << 63))
			return false;
	}
	if (neg)
	{
		if (mag == ((uint64_t) 1 << 63))
		{
			if (min != INT64_MIN)
				return false;
			*out = INT64_MIN;
			return true;
		}
		*out = -(int64_t) mag;
	}
	else
	{
		if (mag > (uint64_t) INT64_MAX)
			return false;
		*out = (int64_t) mag;
	}
	return *out >= min && *out <= max;
}

/* ---------------------------------------------------------------------
 * Extended JSON helpers
 * ---------------------------------------------------------------------
 */

/* classify_keyword: which Extended JSON keyword is key k[0..n), if any */
static jp_keyword
classify_keyword(const uint8_t *k, size_t n, bool in_scope)
{
	jp_keyword	kw = KW_NONE;

#define KEYIS(lit) (n == sizeof(lit) - 1 && memcmp(k, lit, n) == 0)
	if (n < 4 || k[0] != '$')
		return KW_NONE;
	switch (n)
	{
		case 4:
			if (KEYIS("$oid"))
				kw = KW_OID;
			break;
		case 5:
			if (KEYIS("$date"))
				kw = KW_DATE;
			else if (KEYIS("$code"))
				kw = KW_CODE;
			else if (KEYIS("$type"))
				kw = KW_TYPE;
			else if (KEYIS("$uuid"))
				kw = KW_UUID;
			break;
		case 6:
			if (KEYIS("$regex"))
				kw = KW_REGEX;
			else if (KEYIS("$scope"))
				kw = KW_SCOPE;
			break;
		case 7:
			if (KEYIS("$binary"))
				kw = KW_BINARY;
			else if (KEYIS("$symbol"))
				kw = KW_SYMBOL;
			else if (KEYIS("$minKey"))
				kw = KW_MINKEY;
			else if (KEYIS("$maxKey"))
				kw = KW_MAXKEY;
			break;
		case 8:
			if (KEYIS("$options"))
				kw = KW_OPTIONS;
			break;
		case 10:
			if (KEYIS("$numberInt"))
				kw = KW_NUMBERINT;
			else if (KEYIS("$undefined"))
				kw = KW_UNDEFINED;
			else if (KEYIS("$timestamp"))
				kw = KW_TIMESTAMP;
			else if (KEYIS("$dbPointer"))
				kw = KW_DBPOINTER;
			break;
		case 11:
			if (KEYIS("$numberLong"))
				kw = KW_NUMBERLONG;
			break;
		case 13:
			if (KEYIS("$numberDouble"))
				kw = KW_NUMBERDOUBLE;
			break;
		case 14:
			if (KEYIS("$numberDecimal"))
				kw = KW_NUMBERDECIMAL;
			break;
		case 18:
			if (KEYIS("$regularExpression"))
				kw = KW_REGULAREXPRESSION;
			break;
		default:
			break;
	}
#undef KEYIS

	/*
	 * Inside a $scope document libbson does not recognise $code and $scope
	 * (it makes such objects plain documents); we do the same.
	 */
	if (in_scope && (kw == KW_CODE || kw == KW_SCOPE))
		return KW_NONE;
	return kw;
}

/* key_is: does the decoded key at buf[off..off+n) equal lit */
static inline bool
key_is(jp *j, size_t off, size_t n, const char *lit)
{
	return n == strlen(lit) && memcmp(j->buf + off, lit, n) == 0;
}

/* ej_colon: skip whitespace, a ':' and whitespace after a key */
static bool
ej_colon(jp *j)
{
	j->p = skip_ws(j->p, j->end);
	if (j->p >= j->end || *j->p != ':')
		return jp_syntax(j, j->p, "expected ':' after object key");
	j->p = skip_ws(j->p + 1, j->end);
	return true;
}

/*
 * ej_next: after a member value of a wrapper object: consume '}' and
 * return 0, or consume ',' and the next key (decoded at offset off, length
 * in *klen) and its ':' and return 1; -1 on error.
 */
static int
ej_next(jp *j, size_t off, size_t *klen)
{
	j->p = skip_ws(j->p, j->end);
	if (j->p < j->end && *j->p == '}')
	{
		j->p++;
		return 0;
	}
	if (j->p >= j->end || *j->p != ',')
	{
		jp_syntax(j, j->p, "expected ',' or '}' after object member");
		return -1;
	}
	j->p = skip_ws(j->p + 1, j->end);
	if (j->p >= j->end || *j->p != '"')
	{
		jp_syntax(j, j->p, "expected a string key after ',' in object");
		return -1;
	}
	if (!decode_string(j, off, klen, true) || !ej_colon(j))
		return -1;
	return 1;
}

/* ej_open: enter a nested object of a wrapper ('{' expected at j->p) */
static bool
ej_open(jp *j, const char *what)
{
	if (j->p >= j->end || *j->p != '{')
		return jp_ejson(j, j->p, "%s must be an object", what);
	if (j->depth >= j->max_depth)
	{
		asp_error_set(j->err, ASP_ERR_LIMIT,
					  "JSON nesting depth exceeds the limit of %d levels",
					  j->max_depth);
		jp_where(j, j->p);
		return false;
	}
	j->depth++;
	j->p = skip_ws(j->p + 1, j->end);
	return true;
}

/*
 * ej_first_key: read the first key of a wrapper's nested object (after
 * ej_open); returns 1 with the key at off, 0 if the object is empty ('}'
 * consumed), -1 on error
 */
static int
ej_first_key(jp *j, size_t off, size_t *klen)
{
	if (j->p < j->end && *j->p == '}')
	{
		j->p++;
		return 0;
	}
	if (j->p >= j->end || *j->p != '"')
	{
		jp_syntax(j, j->p, "expected a string key or '}' after '{'");
		return -1;
	}
	if (!decode_string(j, off, klen, true) || !ej_colon(j))
		return -1;
	return 1;
}

/* ej_string: decode a string value that a wrapper requires, at offset off */
static bool
ej_string(jp *j, size_t off, size_t *n, const char *what)
{
	if (j->p >= j->end || *j->p != '"')
		return jp_ejson(j, j->p, "%s must be a string", what);
	return decode_string(j, off, n, false);
}

/* ej_end: the wrapper object must end here */
static bool
ej_end(jp *j, const char *what)
{
	j->p = skip_ws(j->p, j->end);
	if (j->p < j->end && *j->p == '}')
	{
		j->p++;
		return true;
	}
	if (j->p < j->end && *j->p == ',')
		return jp_ejson(j, j->p, "unexpected extra key in %s object", what);
	return jp_syntax(j, j->p, "expected ',' or '}' after object member");
}

/* has_nul: does buf[off..off+n) contain a NUL byte */
static inline bool
has_nul(jp *j, size_t off, size_t n)
{
	return n > 0 && memchr(j->buf + off, 0, n) != NULL;
}

/* parse_oid: 24 hex digits at s to 12 bytes at d (d may equal s) */
static bool
parse_oid(const uint8_t *s, size_t n, uint8_t *d)
{
	size_t		i;

	if (n != 24)
		return false;
	for (i = 0; i < 24; i++)
		if (hexval(s[i]) < 0)
			return false;
	for (i = 0; i < 12; i++)
		d[i] = (uint8_t) ((hexval(s[2 * i]) << 4) | hexval(s[2 * i + 1]));
	return true;
}

/* parse_subtype: a binary subtype given as 1 or 2 hex digits */
static int
parse_subtype(const uint8_t *s, size_t n)
{
	if (n == 1 && hexval(s[0]) >= 0)
		return hexval(s[0]);
	if (n == 2 && hexval(s[0]) >= 0 && hexval(s[1]) >= 0)
		return (hexval(s[0]) << 4) | hexval(s[1]);
	return -1;
}

/*
 * b64_decode: decode base64 text d[0..n) in place (the output never
 * overtakes the input); returns the decoded length or -1.  The rules are
 * those of the BSD b64_pton() that libbson uses: white space anywhere is
 * skipped, '=' padding must be complete and followed only by white space,
 * and the unused bits of the last digit must be zero.
 */
static int64_t
b64_decode(uint8_t *d, size_t n)
{
	size_t		i;
	size_t		o = 0;
	int			state = 0;
	unsigned	bits = 0;
	bool		pad = false;

	for (i = 0; i < n; i++)
	{
		uint8_t		c = d[i];
		int			v;

		if (is_c_space(c))
			continue;
		if (c == '=')
		{
			pad = true;
			i++;
			break;
		}
		v = b64val(c);
		if (v < 0)
			return -1;
		switch (state)
		{
			case 0:
				bits = (unsigned) v << 2;
				state = 1;
				break;
			case 1:
				d[o++] = (uint8_t) (bits | ((unsigned) v >> 4));
				bits = ((unsigned) v & 0x0F) << 4;
				state = 2;
				break;
			case 2:
				d[o++] = (uint8_t) (bits | ((unsigned) v >> 2));
				bits = ((unsigned) v & 0x03) << 6;
				state = 3;
				break;
			default:
				d[o++] = (uint8_t) (bits | (unsigned) v);
				bits = 0;
				state = 0;
				break;
		}
	}
	if (!pad)
		return state == 0 ? (int64_t) o : -1;
	if (state < 2)
		return -1;
	if (state == 2)
	{
		/* a second '=' must follow, after optional white space */
		while (i < n && is_c_space(d[i]))
			i++;
		if (i >= n || d[i] != '=')
			return -1;
		i++;
	}
	for (; i < n; i++)
		if (!is_c_space(d[i]))
			return -1;
	if ((bits & 0xFF) != 0)
		return -1;
	return (int64_t) o;
}

/* days_from_civil: days since 1970-01-01 of a proleptic Gregorian date */
static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t		era;
	unsigned	yoe,
				doy,
				doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned) (y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t) doe - 719468;
}

/*
 * parse_iso_date: yyyy-mm-ddThh:mm[:ss[.fff...]] followed by Z, +hhmm,
 * -hhmm, +hh:mm or -hh:mm; to milliseconds since the epoch.  Seconds may
 * be 60 (libbson does the same); fraction digits after the third are
 * dropped.
 */
static bool
parse_iso_date(const uint8_t *s, size_t n, int64_t *out)
{
	size_t		i = 0;
	int			v[6] = {0, 0, 0, 0, 0, 0};
	int64_t		ms = 0;
	int			tz = 0;
	static const int dim[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int			year;

#define DIGITS(cnt, dst) \
	do { \
		int _k; \
		(dst) = 0; \
		for (_k = 0; _k < (cnt); _k++) \
		{ \
			if (i >= n || s[i] < '0' || s[i] > '9') \
				return false; \
			(dst) = (dst) * 10 + (s[i++] - '0'); \
		} \
	} while (0)
#define EXPECT(ch) \
	do { \
		if (i >= n || s[i] != (ch)) \
			return false; \
		i++; \
	} while (0)

	DIGITS(4, v[0]);
	EXPECT('-');
	DIGITS(2, v[1]);
	EXPECT('-');
	DIGITS(2, v[2]);
	EXPECT('T');
	DIGITS(2, v[3]);
	EXPECT(':');
	DIGITS(2, v[4]);
	if (i < n && s[i] == ':')
	{
		i++;
		DIGITS(2, v[5]);
		if (i < n && s[i] == '.')
		{
			int			k = 0;

			i++;
			if (i >= n || s[i] < '0' || s[i] > '9')
				return false;
			while (i < n && s[i] >= '0' && s[i] <= '9')
			{
				if (k < 3)
					ms = ms * 10 + (s[i] - '0');
				k++;
				i++;
			}
			for (; k < 3; k++)
				ms *= 10;
		}
	}
	if (i >= n)
		return false;
	if (s[i] == 'Z')
		i++;
	else if (s[i] == '+' || s[i] == '-')
	{
		int			sign = s[i] == '-' ? -1 : 1;
		int			th,
					tm;

		i++;
		DIGITS(2, th);
		if (i < n && s[i] == ':')
			i++;
		DIGITS(2, tm);
		if (th > 23 || tm > 59)
			return false;
		tz = sign * (th * 60 + tm);
	}
	else
		return false;
	if (i != n)
		return false;
#undef DIGITS
#undef EXPECT

	year = v[0];
	if (v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > dim[v[1] - 1] ||
		v[3] > 23 || v[4] > 59 || v[5] > 60)
		return false;
	if (v[1] == 2 && v[2] == 29 &&
		!((year % 4 == 0 && year % 100 != 0) || year % 400 == 0))
		return false;
	*out = ((days_from_civil(year, (unsigned) v[1], (unsigned) v[2]) * 24 +
			 v[3]) * 60 + v[4]) * 60000 + (int64_t) v[5] * 1000 + ms -
		(int64_t) tz * 60000;
	return true;
}

/*
 * regex_options: the known flags sorted, as libbson writes them ("ilmsux"),
 * followed by any other letters in their first-seen order.  libbson drops
 * unknown letters; we keep them so that a query with {"$options": "q"}
 * fails as in MongoDB ("invalid flag in regex options: q") instead of
 * silently matching without the flag.  out has room for n + 1 bytes.
 */
static size_t
regex_options(const uint8_t *s, size_t n, char *out)
{
	static const char known[] = "ilmsux";
	size_t		k = 0;
	size_t		i;
	int			f;

	for (f = 0; known[f]; f++)
		if (n > 0 && memchr(s, known[f], n) != NULL)
			out[k++] = known[f];
	for (i = 0; i < n; i++)
		if (s[i] != 0 && strchr(known, s[i]) == NULL && memchr(out, s[i], k) == NULL)
			out[k++] = (char) s[i];
	out[k] = '\0';
	return k;
}

/* emit_regex: pattern already at v[0..plen] (with its NUL); add options */
static bool
emit_regex(jp *j, size_t v, size_t plen, const char *opts, size_t olen,
		   size_t type_pos)
{
	if (!JP_ENSURE(j, v + plen + 1 + olen + 1))
		return false;
	memcpy(j->buf + v + plen + 1, opts, olen + 1);
	j->len = v + plen + 1 + olen + 1;
	j->buf[type_pos] = BT_REGEX;
	return true;
}

/* emit_binary: data already at v+9 (blen bytes); write the header */
static bool
emit_binary(jp *j, size_t v, size_t blen, int subtype, size_t type_pos)
{
	if (blen > (size_t) INT32_MAX - 4)
		return jp_size_error(j, (size_t) INT32_MAX);
	if (subtype == 2)
	{
		/* the old binary subtype repeats the length inside the payload */
		put_u32(j->buf + v, (uint32_t) blen + 4);
		j->buf[v + 4] = 2;
		put_u32(j->buf + v + 5, (uint32_t) blen);
		j->len = v + 9 + blen;
	}
	else
	{
		put_u32(j->buf + v, (uint32_t) blen);
		j->buf[v + 4] = (uint8_t) subtype;
		memmove(j->buf + v + 5, j->buf + v + 9, blen);
		j->len = v + 5 + blen;
	}
	j->buf[type_pos] = BT_BINARY;
	return true;
}

/* reverse_bytes / rotate_bytes: rotate buf[a..c) so that [b..c) comes first */
static void
reverse_bytes(uint8_t *p, size_t n)
{
	size_t		i;

	for (i = 0; i < n / 2; i++)
	{
		uint8_t		t = p[i];

		p[i] = p[n - 1 - i];
		p[n - 1 - i] = t;
	}
}

static void
rotate_bytes(uint8_t *buf, size_t a, size_t b, size_t c)
{
	reverse_bytes(buf + a, b - a);
	reverse_bytes(buf + b, c - b);
	reverse_bytes(buf + a, c - a);
}

/* parse_scope: parse the $scope document at j->p, appending at j->len */
static bool
parse_scope(jp *j)
{
	bool		ok;
	bool		save = j->in_scope;

	if (j->p >= j->end || *j->p != '{')
		return jp_ejson(j, j->p, "$scope must be an object");
	j->in_scope = true;
	ok = parse_container(j, false, false);
	j->in_scope = save;
	return ok;
}

/*
 * parse_legacy_pair: the objects whose first key is $regex, $options or
 * $type, which are also query operators.  They are legacy Extended JSON
 * only in the exact shapes {"$regex": s}, {"$regex": s, "$options": s},
 * {"$options": s, "$regex": s}, {"$type": s, "$binary": s}; other shapes
 * are plain documents (EJ_PLAIN), except that mixing in another Extended
 * JSON key or repeating the keyword is an error.
 */
static int
parse_legacy_pair(jp *j, jp_keyword kw, size_t v, size_t type_pos)
{
	size_t		n1,
				n2,
				klen,
				koff;
	jp_keyword	kw2;
	jp_keyword	want;
	const char *at;
	char		opts[264];	/* 6 known flags + up to 255 other distinct bytes */
	size_t		olen = 0;
	int			subtype = -1;
	int64_t		blen;

	want = kw == KW_REGEX ? KW_OPTIONS : kw == KW_OPTIONS ? KW_REGEX : KW_BINARY;

	/* the first value; a syntax problem is left to the plain parser */
	j->p = skip_ws(j->p, j->end);
	if (j->p >= j->end || *j->p != ':')
		return EJ_PLAIN;
	j->p = skip_ws(j->p + 1, j->end);
	if (j->p >= j->end || *j->p != '"')
		return EJ_PLAIN;
	at = j->p;
	if (kw == KW_REGEX)
	{
		/* the pattern goes straight to its final place */
		if (!decode_string(j, v, &n1, false))
			return EJ_ERROR;
		if (has_nul(j, v, n1))
			return jp_ejson(j, at, "$regex must not contain NUL characters");
		koff = v + n1 + 1;
	}
	else
	{
		if (!decode_string(j, v, &n1, false))
			return EJ_ERROR;
		if (kw == KW_OPTIONS)
		{
			if (has_nul(j, v, n1))
				return jp_ejson(j, at, "$options must not contain NUL characters");
			olen = regex_options(j->buf + v, n1, opts);
		}
		else
			subtype = parse_subtype(j->buf + v, n1);
		koff = v;
	}

	/* what follows decides */
	j->p = skip_ws(j->p, j->end);
	if (j->p < j->end && *j->p == '}')
	{
		j->p++;
		if (kw != KW_REGEX)
			return EJ_PLAIN;
		return emit_regex(j, v, n1, "", 0, type_pos) ? EJ_OK : EJ_ERROR;
	}
	if (j->p >= j->end || *j->p != ',')
		return EJ_PLAIN;
	j->p = skip_ws(j->p + 1, j->end);
	if (j->p >= j->end || *j->p != '"')
		return EJ_PLAIN;
	at = j->p;
	if (!decode_string(j, koff, &klen, true))
		return EJ_ERROR;
	kw2 = classify_keyword(j->buf + koff, klen, false);
	if (kw2 == KW_NONE)
		return EJ_PLAIN;
	if (kw2 == kw)
		return jp_ejson(j, at, "duplicate key \"%s\"",
						kw == KW_REGEX ? "$regex" : kw == KW_OPTIONS ? "$options" : "$type");
	if (kw2 != want)
		return jp_ejson(j, at, "unexpected key \"%.*s\" after \"%s\"",
						(int) klen, (const char *) j->buf + koff,
						kw == KW_REGEX ? "$regex" : kw == KW_OPTIONS ? "$options" : "$type");
	if (!ej_colon(j))
		return EJ_ERROR;
	at = j->p;

	/* the second value */
	if (want == KW_OPTIONS)
	{
		if (!ej_string(j, koff, &n2, "$options"))
			return EJ_ERROR;
		if (has_nul(j, koff, n2))
			return jp_ejson(j, at, "$options must not contain NUL characters");
		olen = regex_options(j->buf + koff, n2, opts);
	}
	else if (want == KW_REGEX)
	{
		if (!ej_string(j, v, &n1, "$regex"))
			return EJ_ERROR;
		if (has_nul(j, v, n1))
			return jp_ejson(j, at, "$regex must not contain NUL characters");
	}
	else
	{
		if (!ej_string(j, v + 9, &n2, "$binary"))
			return EJ_ERROR;
		if (has_nul(j, v + 9, n2))
			return jp_ejson(j, at, "$binary must not contain NUL characters");
		blen = b64_decode(j->buf + v + 9, n2);
		if (blen < 0)
			return jp_ejson(j, at, "$binary must be base64 text");
		n2 = (size_t) blen;
	}
	if (!ej_end(j, want == KW_BINARY ? "$type and $binary" : "$regex and $options"))
		return EJ_ERROR;
	if (want == KW_BINARY)
	{
		if (subtype < 0)
			return jp_ejson(j, at, "$type must be a binary subtype of one or two hexadecimal digits");
		return emit_binary(j, v, n2, subtype, type_pos) ? EJ_OK : EJ_ERROR;
	}
	return emit_regex(j, v, n1, opts, olen, type_pos) ? EJ_OK : EJ_ERROR;
}

/*
 * parse_ejson: parse an Extended JSON wrapper whose first key kw has just
 * been read (j->p is after the key).  The value is written at j->len, the
 * element type at buf[type_pos].  The wrapper's own '{' is counted in
 * j->depth; nested objects are counted while open.  Returns EJ_OK,
 * EJ_ERROR, or EJ_PLAIN when the object must be read as a plain document.
 */
static int
parse_ejson(jp *j, jp_keyword kw, size_t type_pos)
{
	size_t		v = j->len;
	size_t		n,
				klen;
	const char *at;
	int			r;

	if (kw == KW_REGEX || kw == KW_OPTIONS || kw == KW_TYPE)
		return parse_legacy_pair(j, kw, v, type_pos);

	if (!ej_colon(j))
		return EJ_ERROR;
	at = j->p;

	switch (kw)
	{
		case KW_OID:
			if (!ej_string(j, v, &n, "$oid"))
				return EJ_ERROR;
			if (!parse_oid(j->buf + v, n, j->buf + v))
				return jp_ejson(j, at, "$oid must be a string of 24 hexadecimal digits");
			j->len = v + 12;
			j->buf[type_pos] = BT_OID;
			return ej_end(j, "$oid") ? EJ_OK : EJ_ERROR;

		case KW_SYMBOL:
			if (!ej_string(j, v + 4, &n, "$symbol"))
				return EJ_ERROR;
			put_u32(j->buf + v, (uint32_t) n + 1);
			j->len = v + 4 + n + 1;
			j->buf[type_pos] = BT_SYMBOL;
			return ej_end(j, "$symbol") ? EJ_OK : EJ_ERROR;

		case KW_NUMBERINT:
		case KW_NUMBERLONG:
			{
				int64_t		iv;
				bool		is32 = (kw == KW_NUMBERINT);

				if (!ej_string(j, v, &n, is32 ? "$numberInt" : "$numberLong"))
					return EJ_ERROR;
				if (!parse_int_string(j->buf + v, n,
									  is32 ? INT32_MIN : INT64_MIN,
									  is32 ? INT32_MAX : INT64_MAX, &iv))
					return jp_ejson(j, at, "%s must be a string holding a %d-bit integer",
									is32 ? "$numberInt" : "$numberLong",
									is32 ? 32 : 64);
				if (is32)
				{
					put_u32(j->buf + v, (uint32_t) (int32_t) iv);
					j->len = v + 4;
					j->buf[type_pos] = BT_INT32;
				}
				else
				{
					put_u64(j->buf + v, (uint64_t) iv);
					j->len = v + 8;
					j->buf[type_pos] = BT_INT64;
				}
				return ej_end(j, is32 ? "$numberInt" : "$numberLong") ? EJ_OK : EJ_ERROR;
			}

		case KW_NUMBERDOUBLE:
			{
				double		d;
				uint64_t	bits;
				const uint8_t *s;

				if (!ej_string(j, v, &n, "$numberDouble"))
					return EJ_ERROR;
				s = j->buf + v;
				if (n == 8 && memcmp(s, "Infinity", 8) == 0)
					d = INFINITY;
				else if (n == 9 && memcmp(s, "-Infinity", 9) == 0)
					d = -INFINITY;
				else if (n == 3 && memcmp(s, "NaN", 3) == 0)
				{
					/* the bits strtod("NaN") gives, as libbson stores */
					bits = UINT64_C(0x7FF8000000000000);
					memcpy(&d, &bits, 8);
				}
				else if (n > 0 && json_number_len(s, s + n) == n)
				{
					if (!number_to_double(j, (const char *) s, (const char *) s + n,
										  at, &d))
						return EJ_ERROR;
				}
				else
					return jp_ejson(j, at, "$numberDouble must be a string holding a number, \"Infinity\", \"-Infinity\" or \"NaN\"");
				memcpy(&bits, &d, 8);
				put_u64(j->buf + v, bits);
				j->len = v + 8;
				j->buf[type_pos] = BT_DOUBLE;
				return ej_end(j, "$numberDouble") ? EJ_OK : EJ_ERROR;
			}

		case KW_NUMBERDECIMAL:
			{
				bson_decimal128_t dec;

				if (!ej_string(j, v, &n, "$numberDecimal"))
					return EJ_ERROR;
				if (has_nul(j, v, n) ||
					!bson_decimal128_from_string((const char *) j->buf + v, &dec))
					return jp_ejson(j, at, "$numberDecimal must be a string holding a decimal number");
				put_u64(j->buf + v, dec.low);
				put_u64(j->buf + v + 8, dec.high);
				j->len = v + 16;
				j->buf[type_pos] = BT_DEC128;
				return ej_end(j, "$numberDecimal") ? EJ_OK : EJ_ERROR;
			}

		case KW_DATE:
			{
				int64_t		ms;

				if (j->p < j->end && *j->p == '"')
				{
					if (!decode_string(j, v, &n, false))
						return EJ_ERROR;
					if (!parse_iso_date(j->buf + v, n, &ms))
						return jp_ejson(j, at, "$date string must be an ISO-8601 date and time like \"2024-01-02T03:04:05.678Z\" or \"2024-01-02T03:04:05+01:00\"");
				}
				else if (j->p < j->end && *j->p == '{')
				{
					if (!ej_open(j, "$date"))
						return EJ_ERROR;
					r = ej_first_key(j, v, &klen);
					if (r < 0)
						return EJ_ERROR;
					if (r == 0 || !key_is(j, v, klen, "$numberLong"))
						return jp_ejson(j, at, "$date object must be {\"$numberLong\": \"...\"}");
					at = j->p;
					if (!ej_string(j, v, &n, "$numberLong"))
						return EJ_ERROR;
					if (!parse_int_string(j->buf + v, n, INT64_MIN, INT64_MAX, &ms))
						return jp_ejson(j, at, "$numberLong must be a string holding a 64-bit integer");
					if (!ej_end(j, "$numberLong"))
						return EJ_ERROR;
					j->depth--;
				}
				else if (j->p < j->end && (*j->p == '-' || (*j->p >= '0' && *j->p <= '9')))
				{
					numtok		nt;

					if (!scan_number(j, &nt))
						return EJ_ERROR;
					if (!nt.is_int || nt.big ||
						nt.mag > (nt.neg ? (uint64_t) 1 << 63 : (uint64_t) INT64_MAX))
						return jp_ejson(j, at, "$date number must be a 64-bit integer of milliseconds");
					ms = nt.neg ? (int64_t) (0 - nt.mag) : (int64_t) nt.mag;
				}
				else
					return jp_ejson(j, at, "$date must be a string, an integer or {\"$numberLong\": \"...\"}");
				if (!JP_ENSURE(j, v + 8))
					return EJ_ERROR;
				put_u64(j->buf + v, (uint64_t) ms);
				j->len = v + 8;
				j->buf[type_pos] = BT_DATE;
				return ej_end(j, "$date") ? EJ_OK : EJ_ERROR;
			}

		case KW_UNDEFINED:
			if (j->end - j->p < 4 || memcmp(j->p, "true", 4) != 0)
				return jp_ejson(j, at, "$undefined must be true");
			j->p += 4;
			j->buf[type_pos] = BT_UNDEF;
			return ej_end(j, "$undefined") ? EJ_OK : EJ_ERROR;

		case KW_MINKEY:
		case KW_MAXKEY:
			{
				numtok		nt;

				if (j->p >= j->end || (*j->p != '-' && (*j->p < '0' || *j->p > '9')) ||
					!scan_number(j, &nt) || !nt.is_int || nt.neg || nt.mag != 1)
				{
					if (j->err->code == ASP_OK)
						jp_ejson(j, at, "%s must be 1", kw == KW_MINKEY ? "$minKey" : "$maxKey");
					return EJ_ERROR;
				}
				j->buf[type_pos] = kw == KW_MINKEY ? BT_MINKEY : BT_MAXKEY;
				return ej_end(j, kw == KW_MINKEY ? "$minKey" : "$maxKey") ? EJ_OK : EJ_ERROR;
			}

		case KW_TIMESTAMP:
			{
				bool		has_t = false,
							has_i = false;
				uint32_t	tv = 0,
							iv = 0;

				if (!ej_open(j, "$timestamp"))
					return EJ_ERROR;
				r = ej_first_key(j, v, &klen);
				while (r == 1)
				{
					bool		is_t = key_is(j, v, klen, "t");
					numtok		nt;
					const char *vat = j->p;

					if (!is_t && !key_is(j, v, klen, "i"))
						return jp_ejson(j, at, "unexpected key \"%.*s\" in $timestamp", (int) klen,
										(const char *) j->buf + v);
					if (is_t ? has_t : has_i)
						return jp_ejson(j, at, "duplicate key \"%s\" in $timestamp", is_t ? "t" : "i");
					if (j->p >= j->end || (*j->p != '-' && (*j->p < '0' || *j->p > '9')))
						return jp_ejson(j, vat, "$timestamp %s must be an unsigned 32-bit integer", is_t ? "t" : "i");
					if (!scan_number(j, &nt))
						return EJ_ERROR;
					if (!nt.is_int || nt.neg || nt.big || nt.mag > UINT32_MAX)
						return jp_ejson(j, vat, "$timestamp %s must be an unsigned 32-bit integer", is_t ? "t" : "i");
					if (is_t)
					{
						has_t = true;
						tv = (uint32_t) nt.mag;
					}
					else
					{
						has_i = true;
						iv = (uint32_t) nt.mag;
					}
					r = ej_next(j, v, &klen);
				}
				if (r < 0)
					return EJ_ERROR;
				j->depth--;
				if (!has_t || !has_i)
					return jp_ejson(j, at, "$timestamp must have both \"t\" and \"i\"");
				if (!JP_ENSURE(j, v + 8))
					return EJ_ERROR;
				put_u32(j->buf + v, iv);
				put_u32(j->buf + v + 4, tv);
				j->len = v + 8;
				j->buf[type_pos] = BT_TSTAMP;
				return ej_end(j, "$timestamp") ? EJ_OK : EJ_ERROR;
			}

		case KW_REGULAREXPRESSION:
			{
				bool		has_p = false,
							has_o = false;
				size_t		plen = 0;
				char		opts[264];	/* 6 known flags + up to 255 other distinct bytes */
				size_t		olen = 0;

				if (!ej_open(j, "$regularExpression"))
					return EJ_ERROR;
				r = ej_first_key(j, v, &klen);
				while (r == 1)
				{
					bool		is_p = key_is(j, v + (has_p ? plen + 1 : 0), klen, "pattern");
					size_t		koff = v + (has_p ? plen + 1 : 0);
					const char *vat = j->p;

					if (!is_p && !key_is(j, koff, klen, "options"))
						return jp_ejson(j, at, "unexpected key \"%.*s\" in $regularExpression",
										(int) klen, (const char *) j->buf + koff);
					if (is_p ? has_p : has_o)
						return jp_ejson(j, at, "duplicate key \"%s\" in $regularExpression",
										is_p ? "pattern" : "options");
					if (is_p)
					{
						if (!ej_string(j, v, &plen, "$regularExpression pattern"))
							return EJ_ERROR;
						if (has_nul(j, v, plen))
							return jp_ejson(j, vat, "$regularExpression pattern must not contain NUL characters");
						has_p = true;
					}
					else
					{
						if (!ej_string(j, koff, &n, "$regularExpression options"))
							return EJ_ERROR;
						if (has_nul(j, koff, n))
							return jp_ejson(j, vat, "$regularExpression options must not contain NUL characters");
						olen = regex_options(j->buf + koff, n, opts);
						has_o = true;
					}
					r = ej_next(j, v + (has_p ? plen + 1 : 0), &klen);
				}
				if (r < 0)
					return EJ_ERROR;
				j->depth--;
				if (!has_p || !has_o)
					return jp_ejson(j, at, "$regularExpression must have both \"pattern\" and \"options\"");
				if (!emit_regex(j, v, plen, opts, olen, type_pos))
					return EJ_ERROR;
				return ej_end(j, "$regularExpression") ? EJ_OK : EJ_ERROR;
			}

		case KW_BINARY:
			{
				int			subtype = -1;
				int64_t		blen = -1;

				if (j->p < j->end && *j->p == '"')
				{
					/* legacy {"$binary": "base64", "$type": "hex"} */
					if (!decode_string(j, v + 9, &n, false))
						return EJ_ERROR;
					blen = has_nul(j, v + 9, n) ? -1 : b64_decode(j->buf + v + 9, n);
					if (blen < 0)
						return jp_ejson(j, at, "$binary must be base64 text");
					r = ej_next(j, v + 9 + (size_t) blen, &klen);
					if (r < 0)
						return EJ_ERROR;
					if (r == 0)
						return jp_ejson(j, at, "legacy $binary must be followed by \"$type\"");
					if (!key_is(j, v + 9 + (size_t) blen, klen, "$type"))
						return jp_ejson(j, at, "unexpected key \"%.*s\" after $binary",
										(int) klen, (const char *) j->buf + v + 9 + blen);
					at = j->p;
					if (!ej_string(j, v + 9 + (size_t) blen, &n, "$type"))
						return EJ_ERROR;
					subtype = parse_subtype(j->buf + v + 9 + blen, n);
					if (subtype < 0)
						return jp_ejson(j, at, "$type must be a binary subtype of one or two hexadecimal digits");
				}
				else if (j->p < j->end && *j->p == '{')
				{
					/* canonical {"$binary": {"base64": ..., "subType": ...}} */
					if (!ej_open(j, "$binary"))
						return EJ_ERROR;
					r = ej_first_key(j, v + 9 + (blen < 0 ? 0 : (size_t) blen), &klen);
					while (r == 1)
					{
						size_t		koff = v + 9 + (blen < 0 ? 0 : (size_t) blen);
						bool		is_b = key_is(j, koff, klen, "base64");
						const char *vat = j->p;

						if (!is_b && !key_is(j, koff, klen, "subType"))
							return jp_ejson(j, at, "unexpected key \"%.*s\" in $binary",
											(int) klen, (const char *) j->buf + koff);
						if (is_b ? blen >= 0 : subtype >= 0)
							return jp_ejson(j, at, "duplicate key \"%s\" in $binary",
											is_b ? "base64" : "subType");
						if (is_b)
						{
							if (!ej_string(j, v + 9, &n, "$binary base64"))
								return EJ_ERROR;
							blen = has_nul(j, v + 9, n) ? -1 : b64_decode(j->buf + v + 9, n);
							if (blen < 0)
								return jp_ejson(j, vat, "$binary base64 must be base64 text");
						}
						else
						{
							if (!ej_string(j, koff, &n, "$binary subType"))
								return EJ_ERROR;
							subtype = parse_subtype(j->buf + koff, n);
							if (subtype < 0)
								return jp_ejson(j, vat, "$binary subType must be one or two hexadecimal digits");
						}
						r = ej_next(j, v + 9 + (blen < 0 ? 0 : (size_t) blen), &klen);
					}
					if (r < 0)
						return EJ_ERROR;
					j->depth--;
					if (blen < 0 || subtype < 0)
						return jp_ejson(j, at, "$binary must have both \"base64\" and \"subType\"");
				}
				else
					return jp_ejson(j, at, "$binary must be an object or a string");
				if (!emit_binary(j, v, (size_t) blen, subtype, type_pos))
					return EJ_ERROR;
				return ej_end(j, "$binary") ? EJ_OK : EJ_ERROR;
			}

		case KW_UUID:
			{
				uint8_t    *s;
				uint8_t		raw[16];
				int			i,
							k = 0;

				if (!ej_string(j, v + 21, &n, "$uuid"))
					return EJ_ERROR;
				s = j->buf + v + 21;
				if (n != 36)
					return jp_ejson(j, at, "$uuid must be a string like \"00112233-4455-6677-8899-aabbccddeeff\"");
				for (i = 0; i < 36; i++)
				{
					if (i == 8 || i == 13 || i == 18 || i == 23)
					{
						if (s[i] != '-')
							return jp_ejson(j, at, "$uuid must be a string like \"00112233-4455-6677-8899-aabbccddeeff\"");
						continue;
					}
					if (hexval(s[i]) < 0 || hexval(s[i + 1]) < 0)
						return jp_ejson(j, at, "$uuid must be a string like \"00112233-4455-6677-8899-aabbccddeeff\"");
					raw[k++] = (uint8_t) ((hexval(s[i]) << 4) | hexval(s[i + 1]));
					i++;
				}
				put_u32(j->buf + v, 16);
				j->buf[v + 4] = 4;
				memcpy(j->buf + v + 5, raw, 16);
				j->len = v + 21;
				j->buf[type_pos] = BT_BINARY;
				return ej_end(j, "$uuid") ? EJ_OK : EJ_ERROR;
			}

		case KW_CODE:
			/* [int32 total][int32 len][code NUL][scope], total only with scope */
			if (!ej_string(j, v + 8, &n, "$code"))
				return EJ_ERROR;
			if (has_nul(j, v + 8, n))
				return jp_ejson(j, at, "$code must not contain NUL characters");
			r = ej_next(j, v + 8 + n + 1, &klen);
			if (r < 0)
				return EJ_ERROR;
			if (r == 0)
			{
				memmove(j->buf + v + 4, j->buf + v + 8, n + 1);
				put_u32(j->buf + v, (uint32_t) n + 1);
				j->len = v + 4 + n + 1;
				j->buf[type_pos] = BT_CODE;
				return EJ_OK;
			}
			if (!key_is(j, v + 8 + n + 1, klen, "$scope"))
				return jp_ejson(j, j->p, "unexpected key \"%.*s\" after $code", (int) klen,
								(const char *) j->buf + v + 8 + n + 1);
			put_u32(j->buf + v + 4, (uint32_t) n + 1);
			j->len = v + 8 + n + 1;
			if (!parse_scope(j))
				return EJ_ERROR;
			put_u32(j->buf + v, (uint32_t) (j->len - v));
			j->buf[type_pos] = BT_CODEWS;
			return ej_end(j, "$code and $scope") ? EJ_OK : EJ_ERROR;

		case KW_SCOPE:
			{
				size_t		scope_end;

				j->len = v + 4;
				if (!parse_scope(j))
					return EJ_ERROR;
				scope_end = j->len;
				r = ej_next(j, scope_end, &klen);
				if (r < 0)
					return EJ_ERROR;
				if (r == 0)
					return jp_ejson(j, at, "$scope must be accompanied by $code");
				if (!key_is(j, scope_end, klen, "$code"))
					return jp_ejson(j, j->p, "unexpected key \"%.*s\" after $scope", (int) klen,
									(const char *) j->buf + scope_end);
				at = j->p;
				if (!ej_string(j, scope_end + 4, &n, "$code"))
					return EJ_ERROR;
				if (has_nul(j, scope_end + 4, n))
					return jp_ejson(j, at, "$code must not contain NUL characters");
				put_u32(j->buf + scope_end, (uint32_t) n + 1);
				/* move the code in front of the scope */
				rotate_bytes(j->buf, v + 4, scope_end, scope_end + 4 + n + 1);
				j->len = scope_end + 4 + n + 1;
				put_u32(j->buf + v, (uint32_t) (j->len - v));
				j->buf[type_pos] = BT_CODEWS;
				return ej_end(j, "$scope and $code") ? EJ_OK : EJ_ERROR;
			}

		case KW_DBPOINTER:
			{
				/* [int32 len][ns NUL][12-byte oid] */
				bool		has_ref = false,
							has_id = false;
				size_t		nslen = 0;
				uint8_t		oid[12];

				if (!ej_open(j, "$dbPointer"))
					return EJ_ERROR;
				r = ej_first_key(j, v + 4, &klen);
				while (r == 1)
				{
					size_t		koff = v + 4 + (has_ref ? nslen + 1 : 0);
					bool		is_ref = key_is(j, koff, klen, "$ref");
					const char *vat = j->p;

					if (!is_ref && !key_is(j, koff, klen, "$id"))
						return jp_ejson(j, at, "unexpected key \"%.*s\" in $dbPointer",
										(int) klen, (const char *) j->buf + koff);
					if (is_ref ? has_ref : has_id)
						return jp_ejson(j, at, "duplicate key \"%s\" in $dbPointer",
										is_ref ? "$ref" : "$id");
					if (is_ref)
					{
						if (!ej_string(j, v + 4, &nslen, "$dbPointer $ref"))
							return EJ_ERROR;
						if (has_nul(j, v + 4, nslen))
							return jp_ejson(j, vat, "$dbPointer $ref must not contain NUL characters");
						has_ref = true;
					}
					else
					{
						int			r2;

						if (!ej_open(j, "$dbPointer $id"))
							return EJ_ERROR;
						r2 = ej_first_key(j, koff, &klen);
						if (r2 < 0)
							return EJ_ERROR;
						if (r2 == 0 || !key_is(j, koff, klen, "$oid"))
							return jp_ejson(j, vat, "$dbPointer $id must be {\"$oid\": \"...\"}");
						if (!ej_string(j, koff, &n, "$oid"))
							return EJ_ERROR;
						if (!parse_oid(j->buf + koff, n, oid))
							return jp_ejson(j, vat, "$oid must be a string of 24 hexadecimal digits");
						if (!ej_end(j, "$oid"))
							return EJ_ERROR;
						j->depth--;
						has_id = true;
					}
					r = ej_next(j, v + 4 + (has_ref ? nslen + 1 : 0), &klen);
				}
				if (r < 0)
					return EJ_ERROR;
				j->depth--;
				if (!has_ref || !has_id)
					return jp_ejson(j, at, "$dbPointer must have both \"$ref\" and \"$id\"");
				if (!JP_ENSURE(j, v + 4 + nslen + 1 + 12))
					return EJ_ERROR;
				put_u32(j->buf + v, (uint32_t) nslen + 1);
				memcpy(j->buf + v + 4 + nslen + 1, oid, 12);
				j->len = v + 4 + nslen + 1 + 12;
				j->buf[type_pos] = BT_DBPTR;
				return ej_end(j, "$dbPointer") ? EJ_OK : EJ_ERROR;
			}

		default:
			break;
	}
	asp_error_set(j->err, ASP_ERR_INTERNAL, "unexpected extended JSON keyword");
	return EJ_ERROR;
}

/* ---------------------------------------------------------------------
 * The main loop
 * ---------------------------------------------------------------------
 */

/* write_index_key: the decimal array index i plus NUL at d; returns length */
static inline size_t
write_index_key(uint8_t *d, uint32_t i)
{
	char		tmp[12];
	size_t		n = 0,
				k;

	if (i < 10)
	{
		d[0] = (uint8_t) ('0' + i);
		d[1] = '\0';
		return 2;
	}
	do
	{
		tmp[n++] = (char) ('0' + i % 10);
		i /= 10;
	} while (i > 0);
	for (k = 0; k < n; k++)
		d[k] = (uint8_t) tmp[n - 1 - k];
	d[n] = '\0';
	return n + 1;
}

/*
 * parse_container: parse the object or array at j->p, writing the BSON
 * document at j->len.  Nesting is handled with j->frames, not recursion.
 * The object this call starts with (the top-level value or a $scope) is
 * never read as Extended JSON.  limit_root applies max_doc_size to that
 * document; limit_children to each document directly inside it.
 */
static bool
parse_container(jp *j, bool limit_root, bool limit_children)
{
	int			base = j->depth;
	jp_frame   *f;
	size_t		type_pos = SIZE_MAX;
	bool		no_ejson = false;
	bool		skip_ej;
	const char *obj_open;
	size_t		klen;
	size_t		slen;

open:
	/* j->p is at '{' or '['; type_pos is the type byte in the parent */
	if (UNLIKELY(j->depth >= j->max_depth))
	{
		asp_error_set(j->err, ASP_ERR_LIMIT,
					  "JSON nesting depth exceeds the limit of %d levels",
					  j->max_depth);
		jp_where(j, j->p);
		return false;
	}
	if (!JP_ENSURE(j, j->len + 32))
		return false;
	if (UNLIKELY(j->depth >= j->frames_cap) && !jp_grow_frames(j))
		return false;
	f = &j->frames[j->depth++];
	f->start = j->len;
	f->type_pos = type_pos;
	f->index = 0;
	f->is_array = (*j->p == '[');
	f->limited = false;
	skip_ej = no_ejson;
	no_ejson = false;
	obj_open = j->p;
	j->len += 4;
	j->p = skip_ws(j->p + 1, j->end);
	if (f->is_array)
	{
		if (j->p < j->end && *j->p == ']')
		{
			j->p++;
			goto close;
		}
		goto array_element;
	}
	if ((j->depth - 1 == base) ? limit_root :
		(limit_children && j->depth - 2 == base))
	{
		f->limited = true;
		j->limit_base = f->start;
		j->limit_open = obj_open;
		j->limit_in_array = (j->depth - 1 != base);
		j->limit_index = j->limit_in_array ? j->frames[base].index - 1 : 0;
	}
	if (j->p < j->end && *j->p == '}')
	{
		j->p++;
		goto close;
	}
	if (UNLIKELY(j->p >= j->end || *j->p != '"'))
		return jp_syntax(j, j->p, "expected a string key or '}' after '{'");

	/* the first key decides whether this is an Extended JSON wrapper */
	type_pos = j->len;
	if (!decode_string(j, type_pos + 1, &klen, true))
		return false;
	if (j->buf[type_pos + 1] == '$' && j->depth - 1 > base && !skip_ej)
	{
		jp_keyword	kw = classify_keyword(j->buf + type_pos + 1, klen, j->in_scope);

		if (kw != KW_NONE)
		{
			int			r;
			size_t		vpos = f->start;
			size_t		ptype = f->type_pos;

			if (f->limited)
				j->limit_base = SIZE_MAX;
			j->len = vpos;
			r = parse_ejson(j, kw, ptype);
			if (r == EJ_ERROR)
				return false;
			j->depth--;
			if (r == EJ_OK)
				goto after_value;
			/* a plain document after all: read it again as one */
			j->p = obj_open;
			j->len = vpos;
			type_pos = ptype;
			no_ejson = true;
			goto open;
		}
	}
	goto member_after_key;

member:
	/* j->p is at the '"' of a key */
	type_pos = j->len;
	if (!decode_string(j, type_pos + 1, &klen, true))
		return false;
member_after_key:
	j->len = type_pos + 1 + klen + 1;
	j->p = skip_ws(j->p, j->end);
	if (UNLIKELY(j->p >= j->end || *j->p != ':'))
		return jp_syntax(j, j->p, "expected ':' after object key");
	j->p = skip_ws(j->p + 1, j->end);
	goto value;

array_element:
	f = &j->frames[j->depth - 1];
	if (!JP_ENSURE(j, j->len + 16))
		return false;
	type_pos = j->len;
	j->len += 1 + write_index_key(j->buf + j->len + 1, f->index);
	f->index++;
	/* fall through */

value:
	if (!JP_ENSURE(j, j->len + 16))
		return false;
	if (UNLIKELY(j->p >= j->end))
		return jp_syntax(j, j->p, "expected a value");
	switch (*j->p)
	{
		case '"':
			j->buf[type_pos] = BT_UTF8;
			if (!decode_string(j, j->len + 4, &slen, false))
				return false;
			put_u32(j->buf + j->len, (uint32_t) slen + 1);
			j->len += 4 + slen + 1;
			break;
		case '{':
			j->buf[type_pos] = BT_DOC;
			goto open;
		case '[':
			j->buf[type_pos] = BT_ARRAY;
			goto open;
		case 't':
			if (j->end - j->p < 4 || memcmp(j->p, "true", 4) != 0)
				return jp_syntax(j, j->p, "expected a value (true, false, null, a number, a string, an object or an array)");
			j->buf[type_pos] = BT_BOOL;
			j->buf[j->len++] = 1;
			j->p += 4;
			break;
		case 'f':
			if (j->end - j->p < 5 || memcmp(j->p, "false", 5) != 0)
				return jp_syntax(j, j->p, "expected a value (true, false, null, a number, a string, an object or an array)");
			j->buf[type_pos] = BT_BOOL;
			j->buf[j->len++] = 0;
			j->p += 5;
			break;
		case 'n':
			if (j->end - j->p < 4 || memcmp(j->p, "null", 4) != 0)
				return jp_syntax(j, j->p, "expected a value (true, false, null, a number, a string, an object or an array)");
			j->buf[type_pos] = BT_NULL;
			j->p += 4;
			break;
		case '-':
		case '0':
		case '1':
		case '2':
		case '3':
		case '4':
		case '5':
		case '6':
		case '7':
		case '8':
		case '9':
			{
				numtok		nt;
				double		d;

				if (!scan_number(j, &nt))
					return false;
				if (LIKELY(nt.is_int && !nt.big))
				{
					if (!nt.neg)
					{
						if (nt.mag <= INT32_MAX)
						{
							j->buf[type_pos] = BT_INT32;
							put_u32(j->buf + j->len, (uint32_t) nt.mag);
							j->len += 4;
							break;
						}
						if (nt.mag <= INT64_MAX)
						{
							j->buf[type_pos] = BT_INT64;
							put_u64(j->buf + j->len, nt.mag);
							j->len += 8;
							break;
						}
					}
					else
					{
						if (nt.mag <= (uint64_t) INT32_MAX + 1)
						{
							j->buf[type_pos] = BT_INT32;
							put_u32(j->buf + j->len, (uint32_t) (0 - nt.mag));
							j->len += 4;
							break;
						}
						if (nt.mag <= (uint64_t) 1 << 63)
						{
							j->buf[type_pos] = BT_INT64;
							put_u64(j->buf + j->len, 0 - nt.mag);
							j->len += 8;
							break;
						}
					}
				}
				/* a fraction, an exponent, or an integer beyond int64 */
				if (!number_to_double(j, nt.start, nt.end, nt.start, &d))
					return false;
				{
					uint64_t	bits;

					memcpy(&bits, &d, 8);
					j->buf[type_pos] = BT_DOUBLE;
					put_u64(j->buf + j->len, bits);
					j->len += 8;
				}
				break;
			}
		case 'N':
		case 'I':
			jp_syntax(j, j->p, "expected a value (true, false, null, a number, a string, an object or an array)");
			asp_error_hint(j->err, "NaN and Infinity are not JSON; write {\"$numberDouble\": \"NaN\"} or {\"$numberDouble\": \"Infinity\"}");
			return false;
		default:
			return jp_syntax(j, j->p, "expected a value (true, false, null, a number, a string, an object or an array)");
	}

after_value:
	f = &j->frames[j->depth - 1];
	j->p = skip_ws(j->p, j->end);
	if (UNLIKELY(j->p >= j->end))
		goto bad_separator;
	if (*j->p == ',')
	{
		j->p = skip_ws(j->p + 1, j->end);
		if (f->is_array)
			goto array_element;
		if (LIKELY(j->p < j->end && *j->p == '"'))
			goto member;
		return jp_syntax(j, j->p, "expected a string key after ',' in object");
	}
	if (*j->p == (f->is_array ? ']' : '}'))
	{
		j->p++;
		goto close;
	}
bad_separator:
	if (f->is_array)
		return jp_syntax(j, j->p, "expected ',' or ']' after array element");
	return jp_syntax(j, j->p, "expected ',' or '}' after object member");

close:
	{
		size_t		size;

		f = &j->frames[j->depth - 1];
		if (!JP_ENSURE(j, j->len + 1))
			return false;
		j->buf[j->len++] = '\0';
		size = j->len - f->start;
		if (UNLIKELY(size > (size_t) INT32_MAX))
			return jp_size_error(j, (size_t) INT32_MAX);
		put_u32(j->buf + f->start, (uint32_t) size);
		if (f->limited)
		{
			if (size > j->max_doc_size)
				return jp_limit_error(j, size);
			j->limit_base = SIZE_MAX;
		}
		j->depth--;
		if (j->depth == base)
			return true;
		goto after_value;
	}
}

/*
 * json_parse: the common part of the entry points: parse text into
 * j->buf[0..j->len)
 */
static bool
json_parse(jp *j, bool *is_array)
{
	bool		arr;

	j->p = skip_ws(j->p, j->end);
	if (j->p >= j->end)
		return jp_syntax(j, j->p, "expected an object or an array, but the text is empty");
	if (*j->p != '{' && *j->p != '[')
	{
		jp_syntax(j, j->p, "expected '{' or '[' at the start of the text");
		asp_error_hint(j->err, "The text must be one JSON object or one JSON array.");
		return false;
	}
	arr = (*j->p == '[');
	if (!parse_container(j, !arr && j->max_doc_size > 0,
						 arr && j->max_doc_size > 0))
		return false;
	j->p = skip_ws(j->p, j->end);
	if (j->p != j->end)
	{
		jp_syntax(j, j->p, "unexpected data after the end of the JSON %s",
				  arr ? "array" : "object");
		asp_error_hint(j->err, "The text must hold exactly one JSON object or array.");
		return false;
	}
	if (is_array)
		*is_array = arr;
	return true;
}

/* jp_init: set up the parser state */
static void
jp_init(jp *j, const char *text, size_t len, const asp_json_opts *opts,
		asp_error *err)
{
	j->start = text;
	j->p = text;
	j->end = text + len;
	j->buf = j->stack_buf;
	j->len = 0;
	j->cap = sizeof(j->stack_buf);
	j->heap = false;
	j->in_scope = false;
	j->depth = 0;
	j->max_depth = (opts && opts->max_depth > 0) ? opts->max_depth :
		ASP_JSON_DEFAULT_MAX_DEPTH;
	j->max_doc_size = opts ? opts->max_doc_size : 0;
	j->limit_base = SIZE_MAX;
	j->limit_open = text;
	j->limit_index = 0;
	j->limit_in_array = false;
	j->frames = j->stack_frames;
	j->frames_cap = JP_STACK_FRAMES;
	j->err = err;
}

/* jp_free: release what the parser allocated */
static void
jp_free(jp *j)
{
	if (j->heap)
		free(j->buf);
	if (j->frames != j->stack_frames)
		free(j->frames);
}

/* asp_json_to_bson: parse one JSON object or array into BSON (see json.h) */
bool
asp_json_to_bson(const char *text, size_t len, const asp_json_opts *opts,
				 bson_t *out, bool *is_array, asp_error *err)
{
	jp			j;
	uint8_t    *dst;
	bool		ok;
	asp_error	tmp_err;

	if (err == NULL)
		err = &tmp_err;
	asp_error_init(err);
	if (text == NULL)
		len = 0;
	jp_init(&j, text ? text : "", len, opts, err);
	ok = json_parse(&j, is_array);
	if (ok)
	{
		bson_reinit(out);
		dst = bson_reserve_buffer(out, (uint32_t) j.len);
		if (dst == NULL)
		{
			asp_error_set(err, ASP_ERR_INTERNAL,
						  "cannot store a BSON document of %zu bytes", j.len);
			ok = false;
		}
		else
			memcpy(dst, j.buf, j.len);
	}
	jp_free(&j);
	return ok;
}

/* asp_json_append: parse and append the value as a field of parent */
bool
asp_json_append(bson_t *parent, const char *key, int key_len,
				const char *text, size_t len, const asp_json_opts *opts,
				asp_error *err)
{
	jp			j;
	bool		arr = false;
	bool		ok;
	asp_error	tmp_err;

	if (err == NULL)
		err = &tmp_err;
	asp_error_init(err);
	if (text == NULL)
		len = 0;
	jp_init(&j, text ? text : "", len, opts, err);
	ok = json_parse(&j, &arr);
	if (ok)
	{
		bson_t		view;

		if (!bson_init_static(&view, j.buf, j.len) ||
			!(arr ? bson_append_array(parent, key, key_len, &view) :
			  bson_append_document(parent, key, key_len, &view)))
		{
			asp_error_set(err, ASP_ERR_LIMIT,
						  "cannot append a BSON value of %zu bytes to the document",
						  j.len);
			ok = false;
		}
	}
	jp_free(&j);
	return ok;
}
