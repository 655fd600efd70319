/*-------------------------------------------------------------------------
 *
 * json_ejson.c
 *	  MongoDB Extended JSON wrappers for the JSON reader (json.c).
 *
 * json.c's main loop calls jp_parse_ejson() when the first key of a
 * nested object is an Extended JSON keyword (jp_classify_keyword()).  The
 * wrapper's value is written in place of the document that was opened
 * for it: $oid, $symbol, $numberInt, $numberLong, $numberDouble,
 * $numberDecimal, $date (an ISO-8601 string, {"$numberLong": ...} or
 * integer milliseconds), $timestamp, $binary (canonical and legacy
 * {"$binary": ..., "$type": ...}), $uuid, $regularExpression and the
 * legacy {"$regex", "$options"} pair, $code and {"$code", "$scope"},
 * $dbPointer, $minKey, $maxKey and $undefined.  The objects whose first
 * key is $regex, $options or $type are also query operators, and are
 * wrappers only in their exact legacy shapes (parse_legacy_pair()).
 *
 * Strings a wrapper needs before it can emit its value are decoded into
 * the free space after the end of the output.  The deliberate differences
 * from libbson's reading of these wrappers are listed at the top of
 * json.c.
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "json_int.h"

/* ---------------------------------------------------------------------
 * Base64 and number text
 * ---------------------------------------------------------------------
 */

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

/* jp_classify_keyword: which Extended JSON keyword is key k[0..n), if any */
jp_keyword
jp_classify_keyword(const uint8_t *k, size_t n, bool in_scope)
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
	if (!jp_decode_string(j, off, klen, true) || !ej_colon(j))
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
	if (!jp_decode_string(j, off, klen, true) || !ej_colon(j))
		return -1;
	return 1;
}

/* ej_string: decode a string value that a wrapper requires, at offset off */
static bool
ej_string(jp *j, size_t off, size_t *n, const char *what)
{
	if (j->p >= j->end || *j->p != '"')
		return jp_ejson(j, j->p, "%s must be a string", what);
	return jp_decode_string(j, off, n, false);
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
	ok = jp_parse_container(j, false, false);
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
		if (!jp_decode_string(j, v, &n1, false))
			return EJ_ERROR;
		if (has_nul(j, v, n1))
			return jp_ejson(j, at, "$regex must not contain NUL characters");
		koff = v + n1 + 1;
	}
	else
	{
		if (!jp_decode_string(j, v, &n1, false))
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
	if (!jp_decode_string(j, koff, &klen, true))
		return EJ_ERROR;
	kw2 = jp_classify_keyword(j->buf + koff, klen, false);
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
 * jp_parse_ejson: parse an Extended JSON wrapper whose first key kw has just
 * been read (j->p is after the key).  The value is written at j->len, the
 * element type at buf[type_pos].  The wrapper's own '{' is counted in
 * j->depth; nested objects are counted while open.  Returns EJ_OK,
 * EJ_ERROR, or EJ_PLAIN when the object must be read as a plain document.
 */
int
jp_parse_ejson(jp *j, jp_keyword kw, size_t type_pos)
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
					if (!jp_number_to_double(j, (const char *) s, (const char *) s + n,
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
					if (!jp_decode_string(j, v, &n, false))
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

					if (!jp_scan_number(j, &nt))
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
					!jp_scan_number(j, &nt) || !nt.is_int || nt.neg || nt.mag != 1)
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
					if (!jp_scan_number(j, &nt))
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
					if (!jp_decode_string(j, v + 9, &n, false))
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
