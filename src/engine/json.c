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
 * we).  The wrapper is parsed by dedicated code (json_ejson.c) that writes
 * the value in place of the document.  Strings a wrapper needs before it
 * can emit its value are decoded into the free space after the end of the
 * output.
 *
 * This file is the driver: the entry points, the frame stack and main
 * loop, objects, arrays, numbers, strings and UTF-8 validation, error
 * locations and the output buffer.  json_int.h holds what it shares with
 * json_ejson.c.
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

#include "json_int.h"

/* largest number literal copied to the stack for strtod() */
#define JP_NUM_STACK 128

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
void
jp_where(jp *j, const char *at)
{
	char		loc[128];

	jp_location(j, at, loc, sizeof(loc));
	asp_error_detail(j->err, "at %s", loc);
}

/* jp_fail: set an error with a location; always returns false */
bool
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

/* jp_size_error: report a value over the BSON maximum of INT32_MAX bytes */
bool
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
bool
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
 * jp_decode_string: decode the JSON string at j->p (its opening quote) into
 * the output buffer at offset off, followed by a NUL; *outlen gets the
 * decoded length without the NUL.  j->p is left after the closing quote.
 * Keys may not contain NUL (BSON keys are C strings).  The decoded string
 * is never longer than the quoted text.
 */
bool
jp_decode_string(jp *j, size_t off, size_t *outlen, bool is_key)
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

/* jp_scan_number: scan a JSON number at j->p; j->p is left after it */
bool
jp_scan_number(jp *j, numtok *nt)
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
 * jp_number_to_double: convert the JSON number text [s, e) to a double with
 * correct rounding.  Overflow to infinity is an error, as in libbson;
 * underflow gives 0 or a subnormal.  The strtod() path assumes the "C"
 * LC_NUMERIC locale (which PostgreSQL backends always use); in any other
 * locale it fails cleanly instead of misreading.
 */
bool
jp_number_to_double(jp *j, const char *s, const char *e, const char *at,
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
 * jp_parse_container: parse the object or array at j->p, writing the BSON
 * document at j->len.  Nesting is handled with j->frames, not recursion.
 * The object this call starts with (the top-level value or a $scope) is
 * never read as Extended JSON.  limit_root applies max_doc_size to that
 * document; limit_children to each document directly inside it.
 */
bool
jp_parse_container(jp *j, bool limit_root, bool limit_children)
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
	if (!jp_decode_string(j, type_pos + 1, &klen, true))
		return false;
	if (j->buf[type_pos + 1] == '$' && j->depth - 1 > base && !skip_ej)
	{
		jp_keyword	kw = jp_classify_keyword(j->buf + type_pos + 1, klen, j->in_scope);

		if (kw != KW_NONE)
		{
			int			r;
			size_t		vpos = f->start;
			size_t		ptype = f->type_pos;

			if (f->limited)
				j->limit_base = SIZE_MAX;
			j->len = vpos;
			r = jp_parse_ejson(j, kw, ptype);
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
	if (!jp_decode_string(j, type_pos + 1, &klen, true))
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
			if (!jp_decode_string(j, j->len + 4, &slen, false))
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

				if (!jp_scan_number(j, &nt))
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
				if (!jp_number_to_double(j, nt.start, nt.end, nt.start, &d))
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
	if (!jp_parse_container(j, !arr && j->max_doc_size > 0,
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
