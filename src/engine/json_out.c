/*-------------------------------------------------------------------------
 *
 * json_out.c
 *	  Fast BSON -> MongoDB relaxed Extended JSON (v2) writer.
 *
 * Output follows the relaxed form of the MongoDB Extended JSON v2
 * specification:
 *
 *	 int32, int64		plain numbers
 *	 double				shortest round-trip decimal; ".0" added to integral
 *						values (5.0, -0.0); 1e+21, 1e-7 for large/small;
 *						{"$numberDouble": "NaN" | "Infinity" | "-Infinity"}
 *	 decimal128			{"$numberDecimal": "..."}
 *	 date				{"$date": "YYYY-MM-DDTHH:MM:SS[.mmm]Z"} for years
 *						1970..9999 (milliseconds omitted when zero, as the
 *						spec asks), else {"$date": {"$numberLong": "..."}}
 *	 oid				{"$oid": "<24 hex>"}
 *	 binary				{"$binary": {"base64": "...", "subType": "xx"}}
 *	 regex				{"$regularExpression": {"pattern": ..., "options": ...}}
 *	 timestamp			{"$timestamp": {"t": N, "i": N}}
 *	 minKey / maxKey	{"$minKey": 1} / {"$maxKey": 1}
 *	 undefined			{"$undefined": true}
 *	 symbol, code		{"$symbol": "..."}, {"$code": "..."}
 *	 code with scope	{"$code": "...", "$scope": {...}}
 *	 dbPointer			{"$dbPointer": {"$ref": "...", "$id": {"$oid": "..."}}}
 *
 * Strings and keys escape '"', '\\', \b \f \n \r \t and other control
 * characters as \u00XX; DEL and non-ASCII bytes are copied raw.
 *
 * Speed: everything is appended into one buffer with geometric growth;
 * there is no per-value allocation.  Nested documents use an explicit
 * stack of iterators (on the C stack for the first levels, malloc'd
 * beyond), so depth is bounded only by the document size.
 *
 *-------------------------------------------------------------------------
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bson/bson.h>

#include "json_out.h"

/* levels of nesting kept on the C stack before the frame stack is malloc'd */
#define JSON_OUT_LOCAL_FRAMES 32

/* room for any scalar written in one go (numbers, dates, oids, ...) */
#define JSON_OUT_SCALAR_ROOM 96

typedef struct json_frame
{
	bson_iter_t iter;
	uint32_t	end;			/* offset of the document's final NUL byte */
	bool		is_array;
	bool		first;			/* no element written yet */
	bool		close_extra;	/* $scope of code with scope: close the
								 * {"$code": ..., "$scope": ...} wrapper too */
} json_frame;

static const char hex_digits[] = "0123456789abcdef";

/*
 * json_escape: for each byte, 0 when it is copied as is, else the character
 * after the backslash ('u' for \u00XX)
 */
static const char json_escape[256] = {
	'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'b', 't', 'n', 'u', 'f', 'r', 'u', 'u',
	'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u',
	0, 0, '"', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, '\\', 0, 0, 0,
	/* the rest (0x60 .. 0xff) is zero */
};

static const char base64_digits[] =
"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* asp_strbuf_init: make an empty buffer that owns no memory yet */
void
asp_strbuf_init(asp_strbuf *sb)
{
	sb->data = NULL;
	sb->len = 0;
	sb->cap = 0;
}

/* asp_strbuf_reset: empty the buffer but keep its memory for reuse */
void
asp_strbuf_reset(asp_strbuf *sb)
{
	sb->len = 0;
	if (sb->data != NULL)
		sb->data[0] = '\0';
}

/* asp_strbuf_free: release the buffer's memory and make it empty */
void
asp_strbuf_free(asp_strbuf *sb)
{
	free(sb->data);
	asp_strbuf_init(sb);
}

/*
 * asp_strbuf_reserve: make room for extra more bytes plus a terminating
 * '\0' (geometric growth); false when out of memory (buffer unchanged)
 */
bool
asp_strbuf_reserve(asp_strbuf *sb, size_t extra)
{
	size_t		need;
	size_t		newcap;
	char	   *p;

	if (extra >= SIZE_MAX - sb->len)
		return false;
	need = sb->len + extra + 1;
	if (need <= sb->cap)
		return true;
	newcap = sb->cap < 256 ? 256 : sb->cap;
	while (newcap < need)
	{
		if (newcap > SIZE_MAX / 2)
		{
			newcap = need;
			break;
		}
		newcap *= 2;
	}
	p = realloc(sb->data, newcap);
	if (p == NULL)
		return false;
	sb->data = p;
	sb->cap = newcap;
	return true;
}

/* sb_reserve: inline fast path of asp_strbuf_reserve */
static inline bool
sb_reserve(asp_strbuf *sb, size_t extra)
{
	if (sb->len + extra < sb->cap)
		return true;
	return asp_strbuf_reserve(sb, extra);
}

/* sb_put: append n bytes */
static inline bool
sb_put(asp_strbuf *sb, const char *s, size_t n)
{
	if (!sb_reserve(sb, n))
		return false;
	memcpy(sb->data + sb->len, s, n);
	sb->len += n;
	return true;
}

#define SB_PUTS(sb, lit) sb_put((sb), (lit), sizeof(lit) - 1)

/* sb_putc: append one byte */
static inline bool
sb_putc(asp_strbuf *sb, char c)
{
	if (!sb_reserve(sb, 1))
		return false;
	sb->data[sb->len++] = c;
	return true;
}

/* write_u64: write the decimal digits of v at p; returns the end */
static char *
write_u64(char *p, uint64_t v)
{
	char		tmp[24];
	int			n = 0;

	do
	{
		tmp[n++] = (char) ('0' + v % 10);
		v /= 10;
	} while (v != 0);
	while (n > 0)
		*p++ = tmp[--n];
	return p;
}

/* write_i64: write the decimal text of v at p; returns the end */
static char *
write_i64(char *p, int64_t v)
{
	if (v < 0)
	{
		*p++ = '-';
		return write_u64(p, (uint64_t) 0 - (uint64_t) v);
	}
	return write_u64(p, (uint64_t) v);
}

/* write_2d: write v (0..99) as two digits */
static inline char *
write_2d(char *p, unsigned v)
{
	*p++ = (char) ('0' + v / 10);
	*p++ = (char) ('0' + v % 10);
	return p;
}

/*
 * format_double: write the shortest text of the finite double v that
 * strtod reads back to the same bits, with ".0" added when it would
 * otherwise look like an integer; returns the length (buf >= 32 bytes)
 */
static int
format_double(double v, char *buf)
{
	static const char *const fmts[] = {"%.15g", "%.16g", "%.17g"};
	char	   *p;
	char	   *e;
	int			n = 0;
	int			i;

	/* fast path: integral values that print without an exponent */
	if (v > -1e15 && v < 1e15 && v == (double) (int64_t) v)
	{
		p = buf;
		if (v == 0 && signbit(v))
			*p++ = '-';
		p = write_i64(p, (int64_t) v);
		*p++ = '.';
		*p++ = '0';
		*p = '\0';
		return (int) (p - buf);
	}

	/*
	 * fast path: few decimals (sensor readings, prices).  If m / 10^k == v
	 * with m and 10^k exact, the division is correctly rounded just like
	 * strtod, so the text of m shifted by k places reads back to v; the
	 * first such k gives the fewest digits.  The range matches the one %g
	 * prints without an exponent.
	 */
	if (fabs(v) >= 1e-4 && fabs(v) < 1e15)
	{
		static const double pow10[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8};
		double		a = fabs(v);
		int			k;

		for (k = 1; k <= 8; k++)
		{
			double		m = nearbyint(a * pow10[k]);

			if (m >= 9007199254740992.0)
				break;
			if (m / pow10[k] == a)
			{
				uint64_t	um = (uint64_t) m;
				uint64_t	p10 = (uint64_t) pow10[k];
				uint64_t	frac = um % p10;
				int			j;

				p = buf;
				if (v < 0)
					*p++ = '-';
				p = write_u64(p, um / p10);
				*p++ = '.';
				for (j = k - 1; j >= 0; j--)
				{
					p[j] = (char) ('0' + frac % 10);
					frac /= 10;
				}
				p += k;
				*p = '\0';
				return (int) (p - buf);
			}
		}
	}

	if (fabs(v) >= DBL_MIN)
	{
		/*
		 * A normal double has at least 15 significant digits of precision,
		 * so a text of 15 or fewer digits that reads back to v is what
		 * %.15g prints; otherwise 16 or 17 digits are needed.
		 */
		for (i = 0; i < 3; i++)
		{
			n = snprintf(buf, 32, fmts[i], v);
			if (i == 2 || strtod(buf, NULL) == v)
				break;
		}
	}
	else
	{
		/* subnormals have fewer digits of precision: search them all */
		for (i = 1; i <= 17; i++)
		{
			n = snprintf(buf, 32, "%.*g", i, v);
			if (i == 17 || strtod(buf, NULL) == v)
				break;
		}
	}

	/* drop the zero padding of the exponent: 1e-07 -> 1e-7 */
	e = memchr(buf, 'e', n);
	if (e != NULL)
	{
		char	   *d = e + 1;
		char	   *s;

		if (*d == '+' || *d == '-')
			d++;
		s = d;
		while (*s == '0' && s[1] != '\0')
			s++;
		if (s != d)
		{
			memmove(d, s, (size_t) (buf + n - s) + 1);
			n -= (int) (s - d);
		}
		return n;
	}
	if (memchr(buf, '.', n) == NULL)
	{
		buf[n++] = '.';
		buf[n++] = '0';
		buf[n] = '\0';
	}
	return n;
}

/* append_string: append s[0..n) as a quoted, escaped JSON string */
static bool
append_string(asp_strbuf *sb, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *) s;
	size_t		run = 0;		/* start of the bytes not yet copied */
	size_t		i;
	char	   *p;

	if (!sb_reserve(sb, n + 2))
		return false;
	sb->data[sb->len++] = '"';
	for (i = 0; i < n; i++)
	{
		char		esc = json_escape[u[i]];

		if (esc == 0)
			continue;
		/* room for the pending run, this escape, the rest and the quote */
		if (!sb_reserve(sb, (i - run) + 6 + (n - i) + 1))
			return false;
		memcpy(sb->data + sb->len, s + run, i - run);
		sb->len += i - run;
		p = sb->data + sb->len;
		*p++ = '\\';
		*p++ = esc;
		if (esc == 'u')
		{
			*p++ = '0';
			*p++ = '0';
			*p++ = hex_digits[u[i] >> 4];
			*p++ = hex_digits[u[i] & 0xf];
		}
		sb->len = (size_t) (p - sb->data);
		run = i + 1;
	}
	/* the initial reserve (or the last one) covers the tail and the quote */
	memcpy(sb->data + sb->len, s + run, n - run);
	sb->len += n - run;
	sb->data[sb->len++] = '"';
	return true;
}

/* append_oid: append "<24 hex digits>" (quoted) */
static bool
append_oid(asp_strbuf *sb, const bson_oid_t *oid)
{
	char	   *p;
	int			i;

	if (!sb_reserve(sb, 26))
		return false;
	p = sb->data + sb->len;
	*p++ = '"';
	for (i = 0; i < 12; i++)
	{
		*p++ = hex_digits[oid->bytes[i] >> 4];
		*p++ = hex_digits[oid->bytes[i] & 0xf];
	}
	*p++ = '"';
	sb->len = (size_t) (p - sb->data);
	return true;
}

/* append_base64: append the quoted standard base64 (padded) of data[0..n) */
static bool
append_base64(asp_strbuf *sb, const uint8_t *data, uint32_t n)
{
	char	   *p;
	uint32_t	i;

	if (!sb_reserve(sb, ((size_t) n + 2) / 3 * 4 + 2))
		return false;
	p = sb->data + sb->len;
	*p++ = '"';
	for (i = 0; i + 3 <= n; i += 3)
	{
		uint32_t	v = ((uint32_t) data[i] << 16) |
			((uint32_t) data[i + 1] << 8) | data[i + 2];

		*p++ = base64_digits[(v >> 18) & 63];
		*p++ = base64_digits[(v >> 12) & 63];
		*p++ = base64_digits[(v >> 6) & 63];
		*p++ = base64_digits[v & 63];
	}
	if (n - i == 1)
	{
		uint32_t	v = (uint32_t) data[i] << 16;

		*p++ = base64_digits[(v >> 18) & 63];
		*p++ = base64_digits[(v >> 12) & 63];
		*p++ = '=';
		*p++ = '=';
	}
	else if (n - i == 2)
	{
		uint32_t	v = ((uint32_t) data[i] << 16) | ((uint32_t) data[i + 1] << 8);

		*p++ = base64_digits[(v >> 18) & 63];
		*p++ = base64_digits[(v >> 12) & 63];
		*p++ = base64_digits[(v >> 6) & 63];
		*p++ = '=';
	}
	*p++ = '"';
	sb->len = (size_t) (p - sb->data);
	return true;
}

/*
 * civil_from_days: proleptic Gregorian year/month/day of the day number z
 * (days since 1970-01-01); H. Hinnant's algorithm
 */
static void
civil_from_days(int64_t z, int64_t *year, unsigned *month, unsigned *day)
{
	int64_t		era;
	unsigned	doe;
	unsigned	yoe;
	unsigned	doy;
	unsigned	mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned) (z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*day = doy - (153 * mp + 2) / 5 + 1;
	*month = mp < 10 ? mp + 3 : mp - 9;
	*year = (int64_t) yoe + era * 400 + (*month <= 2);
}

/* largest date printed as ISO-8601: 9999-12-31T23:59:59.999Z */
#define JSON_OUT_MAX_ISO_MS INT64_C(253402300799999)

/* append_date: append the relaxed $date value of ms since the epoch */
static bool
append_date(asp_strbuf *sb, int64_t ms)
{
	char	   *p;

	if (!sb_reserve(sb, JSON_OUT_SCALAR_ROOM))
		return false;
	p = sb->data + sb->len;
	if (ms >= 0 && ms <= JSON_OUT_MAX_ISO_MS)
	{
		int64_t		days = ms / 86400000;
		unsigned	msday = (unsigned) (ms % 86400000);
		unsigned	secs = msday / 1000;
		unsigned	millis = msday % 1000;
		int64_t		year;
		unsigned	month;
		unsigned	day;

		civil_from_days(days, &year, &month, &day);
		memcpy(p, "{\"$date\": \"", 11);
		p += 11;
		p = write_2d(p, (unsigned) (year / 100));
		p = write_2d(p, (unsigned) (year % 100));
		*p++ = '-';
		p = write_2d(p, month);
		*p++ = '-';
		p = write_2d(p, day);
		*p++ = 'T';
		p = write_2d(p, secs / 3600);
		*p++ = ':';
		p = write_2d(p, secs / 60 % 60);
		*p++ = ':';
		p = write_2d(p, secs % 60);
		if (millis != 0)
		{
			*p++ = '.';
			*p++ = (char) ('0' + millis / 100);
			p = write_2d(p, millis % 100);
		}
		memcpy(p, "Z\"}", 3);
		p += 3;
	}
	else
	{
		memcpy(p, "{\"$date\": {\"$numberLong\": \"", 27);
		p += 27;
		p = write_i64(p, ms);
		memcpy(p, "\"}}", 3);
		p += 3;
	}
	sb->len = (size_t) (p - sb->data);
	return true;
}

/* append_double: append the relaxed text of a double */
static bool
append_double(asp_strbuf *sb, double v)
{
	int			n;

	if (isnan(v))
		return SB_PUTS(sb, "{\"$numberDouble\": \"NaN\"}");
	if (isinf(v))
		return v > 0 ? SB_PUTS(sb, "{\"$numberDouble\": \"Infinity\"}")
			: SB_PUTS(sb, "{\"$numberDouble\": \"-Infinity\"}");
	if (!sb_reserve(sb, 32))
		return false;
	n = format_double(v, sb->data + sb->len);
	sb->len += (size_t) n;
	return true;
}

/* append_int: append a plain integer */
static bool
append_int(asp_strbuf *sb, int64_t v)
{
	if (!sb_reserve(sb, 24))
		return false;
	sb->len = (size_t) (write_i64(sb->data + sb->len, v) - sb->data);
	return true;
}

/*
 * append_scalar: append the value of the element at iter, which is not a
 * document, array or code with scope; false for an unknown type or when
 * out of memory
 */
static bool
append_scalar(asp_strbuf *sb, const bson_iter_t *iter)
{
	switch (bson_iter_type(iter))
	{
		case BSON_TYPE_DOUBLE:
			return append_double(sb, bson_iter_double(iter));
		case BSON_TYPE_INT32:
			return append_int(sb, bson_iter_int32(iter));
		case BSON_TYPE_INT64:
			return append_int(sb, bson_iter_int64(iter));
		case BSON_TYPE_UTF8:
			{
				uint32_t	n;
				const char *s = bson_iter_utf8(iter, &n);

				return append_string(sb, s, n);
			}
		case BSON_TYPE_BOOL:
			return bson_iter_bool(iter) ? SB_PUTS(sb, "true")
				: SB_PUTS(sb, "false");
		case BSON_TYPE_NULL:
			return SB_PUTS(sb, "null");
		case BSON_TYPE_DATE_TIME:
			return append_date(sb, bson_iter_date_time(iter));
		case BSON_TYPE_OID:
			return SB_PUTS(sb, "{\"$oid\": ") &&
				append_oid(sb, bson_iter_oid(iter)) &&
				sb_putc(sb, '}');
		case BSON_TYPE_DECIMAL128:
			{
				bson_decimal128_t dec;
				char		str[BSON_DECIMAL128_STRING];

				if (!bson_iter_decimal128(iter, &dec))
					return false;
				bson_decimal128_to_string(&dec, str);
				return SB_PUTS(sb, "{\"$numberDecimal\": \"") &&
					sb_put(sb, str, strlen(str)) &&
					SB_PUTS(sb, "\"}");
			}
		case BSON_TYPE_BINARY:
			{
				bson_subtype_t subtype;
				uint32_t	n;
				const uint8_t *data;
				char		st[2];

				bson_iter_binary(iter, &subtype, &n, &data);
				st[0] = hex_digits[((unsigned) subtype >> 4) & 0xf];
				st[1] = hex_digits[(unsigned) subtype & 0xf];
				return SB_PUTS(sb, "{\"$binary\": {\"base64\": ") &&
					append_base64(sb, data, n) &&
					SB_PUTS(sb, ", \"subType\": \"") &&
					sb_put(sb, st, 2) &&
					SB_PUTS(sb, "\"}}");
			}
		case BSON_TYPE_REGEX:
			{
				const char *options;
				const char *pattern = bson_iter_regex(iter, &options);

				return SB_PUTS(sb, "{\"$regularExpression\": {\"pattern\": ") &&
					append_string(sb, pattern, strlen(pattern)) &&
					SB_PUTS(sb, ", \"options\": ") &&
					append_string(sb, options, strlen(options)) &&
					SB_PUTS(sb, "}}");
			}
		case BSON_TYPE_TIMESTAMP:
			{
				uint32_t	t;
				uint32_t	i;
				char	   *p;

				bson_iter_timestamp(iter, &t, &i);
				if (!sb_reserve(sb, JSON_OUT_SCALAR_ROOM))
					return false;
				p = sb->data + sb->len;
				memcpy(p, "{\"$timestamp\": {\"t\": ", 21);
				p = write_u64(p + 21, t);
				memcpy(p, ", \"i\": ", 7);
				p = write_u64(p + 7, i);
				*p++ = '}';
				*p++ = '}';
				sb->len = (size_t) (p - sb->data);
				return true;
			}
		case BSON_TYPE_MINKEY:
			return SB_PUTS(sb, "{\"$minKey\": 1}");
		case BSON_TYPE_MAXKEY:
			return SB_PUTS(sb, "{\"$maxKey\": 1}");
		case BSON_TYPE_UNDEFINED:
			return SB_PUTS(sb, "{\"$undefined\": true}");
		case BSON_TYPE_SYMBOL:
			{
				uint32_t	n;
				const char *s = bson_iter_symbol(iter, &n);

				return SB_PUTS(sb, "{\"$symbol\": ") &&
					append_string(sb, s, n) &&
					sb_putc(sb, '}');
			}
		case BSON_TYPE_CODE:
			{
				uint32_t	n;
				const char *s = bson_iter_code(iter, &n);

				return SB_PUTS(sb, "{\"$code\": ") &&
					append_string(sb, s, n) &&
					sb_putc(sb, '}');
			}
		case BSON_TYPE_DBPOINTER:
			{
				uint32_t	n;
				const char *coll;
				const bson_oid_t *oid;

				bson_iter_dbpointer(iter, &n, &coll, &oid);
				return SB_PUTS(sb, "{\"$dbPointer\": {\"$ref\": ") &&
					append_string(sb, coll, n) &&
					SB_PUTS(sb, ", \"$id\": {\"$oid\": ") &&
					append_oid(sb, oid) &&
					SB_PUTS(sb, "}}}");
			}
		default:
			return false;
	}
}

/*
 * asp_bson_to_json: append the relaxed extended JSON text of the BSON
 * document doc[0..len) (or, with is_array, of the BSON array) to out;
 * false for corrupt BSON or out of memory, with out->len restored
 */
bool
asp_bson_to_json(const uint8_t *doc, uint32_t len, bool is_array,
				 asp_strbuf *out)
{
	json_frame	local[JSON_OUT_LOCAL_FRAMES];
	json_frame *stack = local;
	size_t		stack_cap = JSON_OUT_LOCAL_FRAMES;
	size_t		depth;
	size_t		start_len = out->len;
	bool		result = false;

	if (doc == NULL || !bson_iter_init_from_data(&local[0].iter, doc, len))
		goto done;
	local[0].end = len - 1;
	local[0].is_array = is_array;
	local[0].first = true;
	local[0].close_extra = false;
	depth = 1;
	if (!sb_putc(out, is_array ? '[' : '{'))
		goto done;

	while (depth > 0)
	{
		json_frame *f = &stack[depth - 1];
		uint32_t	pos = f->iter.next_off;
		const uint8_t *sub = NULL;
		uint32_t	sublen = 0;
		bool		sub_is_array = false;
		bool		sub_close_extra = false;
		bson_type_t type;

		if (!bson_iter_next(&f->iter))
		{
			/* a clean end stops exactly at the terminating NUL */
			if (pos != f->end || f->iter.err_off != 0)
				goto done;
			if (!sb_putc(out, f->is_array ? ']' : '}'))
				goto done;
			if (f->close_extra && !sb_putc(out, '}'))
				goto done;
			depth--;
			continue;
		}

		if (!f->first && !SB_PUTS(out, ", "))
			goto done;
		f->first = false;
		if (!f->is_array)
		{
			if (!append_string(out, bson_iter_key(&f->iter),
							   bson_iter_key_len(&f->iter)) ||
				!SB_PUTS(out, ": "))
				goto done;
		}

		type = bson_iter_type(&f->iter);
		if (type == BSON_TYPE_DOCUMENT || type == BSON_TYPE_ARRAY)
		{
			if (type == BSON_TYPE_DOCUMENT)
				bson_iter_document(&f->iter, &sublen, &sub);
			else
				bson_iter_array(&f->iter, &sublen, &sub);
			sub_is_array = (type == BSON_TYPE_ARRAY);
		}
		else if (type == BSON_TYPE_CODEWSCOPE)
		{
			uint32_t	codelen;
			const char *code;

			code = bson_iter_codewscope(&f->iter, &codelen, &sublen, &sub);
			if (code == NULL ||
				!SB_PUTS(out, "{\"$code\": ") ||
				!append_string(out, code, codelen) ||
				!SB_PUTS(out, ", \"$scope\": "))
				goto done;
			sub_close_extra = true;
		}
		else
		{
			if (!append_scalar(out, &f->iter))
				goto done;
			continue;
		}

		/* descend into the document / array / scope */
		if (sub == NULL)
			goto done;
		if (depth == stack_cap)
		{
			json_frame *ns;

			if (stack == local)
			{
				ns = malloc(sizeof(json_frame) * stack_cap * 2);
				if (ns != NULL)
					memcpy(ns, local, sizeof(local));
			}
			else
				ns = realloc(stack, sizeof(json_frame) * stack_cap * 2);
			if (ns == NULL)
				goto done;
			stack = ns;
			stack_cap *= 2;
		}
		f = &stack[depth];
		if (!bson_iter_init_from_data(&f->iter, sub, sublen))
			goto done;
		f->end = sublen - 1;
		f->is_array = sub_is_array;
		f->first = true;
		f->close_extra = sub_close_extra;
		depth++;
		if (!sb_putc(out, sub_is_array ? '[' : '{'))
			goto done;
	}

	out->data[out->len] = '\0';
	result = true;

done:
	if (stack != local)
		free(stack);
	if (!result)
	{
		out->len = start_len;
		if (out->data != NULL)
			out->data[start_len] = '\0';
	}
	return result;
}
