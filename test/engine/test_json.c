/*-------------------------------------------------------------------------
 *
 * test_json.c
 *	  TAP tests for the JSON / Extended JSON reader (src/engine/json.c).
 *
 * Build and run from the repository root:
 *
 *	 gcc -std=gnu11 -O2 -g -Wall -Wextra -Werror $(pkg-config --cflags libbson-1.0) -Isrc/engine -o /tmp/test_json test/engine/test_json.c src/engine/json.c src/engine/json_ejson.c src/engine/error.c $(pkg-config --libs libbson-1.0) -lm && /tmp/test_json
 *
 * and under valgrind:  valgrind --leak-check=full --error-exitcode=1 /tmp/test_json
 *
 * TEST_JSON_VERBOSE=1 lists the mutated texts only one reader accepts.
 *
 * Output is TAP ("ok N - ...", "not ok N - ...", plan "1..N" at the end);
 * the exit status is non-zero if any test fails.
 *
 * The reader must produce byte-for-byte the BSON that libbson's
 * bson_init_from_json() produces whenever both accept the text, so most
 * tests compare the two.  The deliberate differences (json.c lists them)
 * are tested separately: where we are stricter we check our error, where
 * we accept more we compare with libbson on an equivalent text or with
 * BSON built by hand.  Every text given to our reader is copied so that it
 * ends exactly at a PROT_NONE guard page and has no terminating NUL: any
 * read past len crashes the test.
 *
 *-------------------------------------------------------------------------
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <bson/bson.h>

#include "json.h"

static int	n_tests = 0;
static int	n_failed = 0;

/* ---------------------------------------------------------------------
 * TAP and helpers
 * ---------------------------------------------------------------------
 */

/* ok: report one test result */
static bool
ok(bool cond, const char *fmt,...)
			__attribute__((format(printf, 2, 3)));

static bool
ok(bool cond, const char *fmt,...)
{
	va_list		ap;

	n_tests++;
	if (!cond)
		n_failed++;
	printf("%s %d - ", cond ? "ok" : "not ok", n_tests);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	return cond;
}

/* diag: a TAP comment line */
static void
diag(const char *fmt,...)
			__attribute__((format(printf, 1, 2)));

static void
diag(const char *fmt,...)
{
	va_list		ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

/* shown: a printable, shortened copy of a text for test names */
static const char *
shown(const char *text, size_t len)
{
	static char buf[8][100];
	static int	which = 0;
	char	   *out = buf[which++ % 8];
	size_t		i,
				o = 0;

	for (i = 0; i < len && o < 80; i++)
	{
		unsigned char c = (unsigned char) text[i];

		if (c >= 0x20 && c < 0x7F)
			out[o++] = (char) c;
		else
			o += (size_t) snprintf(out + o, 8, "\\x%02x", c);
	}
	if (i < len)
	{
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
	return out;
}

/* the guard area: texts are placed so that they end at a PROT_NONE page */
static uint8_t *guard_base = NULL;
static size_t guard_size = 0;

/* guard_init: map the area once */
static void
guard_init(void)
{
	long		page = sysconf(_SC_PAGESIZE);

	guard_size = (size_t) 4 << 20;
	guard_base = mmap(NULL, guard_size + (size_t) page, PROT_READ | PROT_WRITE,
					  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (guard_base == MAP_FAILED ||
		mprotect(guard_base + guard_size, (size_t) page, PROT_NONE) != 0)
	{
		perror("mmap");
		exit(2);
	}
}

/* mine: run our reader on a copy of text that ends at the guard page */
static bool
mine(const char *text, size_t len, const asp_json_opts *opts, bson_t *out,
	 bool *is_array, asp_error *err)
{
	const char *copy;
	char	   *heap = NULL;
	bool		r;

	if (len <= guard_size)
	{
		uint8_t    *dst = guard_base + guard_size - len;

		memcpy(dst, text, len);
		copy = (const char *) dst;
	}
	else
	{
		heap = malloc(len);
		memcpy(heap, text, len);
		copy = heap;
	}
	bson_init(out);
	r = asp_json_to_bson(copy, len, opts, out, is_array, err);
	free(heap);
	return r;
}

/*
 * lib_broken: does text have a $code or $scope object directly inside an
 * array?  libbson 1.23 cannot read those (it does not set the key of the
 * code element and fails with "Error storing Javascript code" after
 * reading uninitialised memory), so such texts are not given to it; the
 * reader's output for them is checked against hand-built BSON instead.
 */
static bool
lib_broken(const char *text, size_t len)
{
	char		stack[256];
	int			depth = 0;
	size_t		i;

	for (i = 0; i < len; i++)
	{
		char		c = text[i];

		if (c == '[' || c == '{')
		{
			if (depth < (int) sizeof(stack))
				stack[depth] = c;
			depth++;
		}
		else if ((c == ']' || c == '}') && depth > 0)
			depth--;
		else if (c == '"')
		{
			if (depth >= 2 && depth <= (int) sizeof(stack) &&
				stack[depth - 1] == '{' && stack[depth - 2] == '[' &&
				((len - i > 6 && memcmp(text + i + 1, "$code", 5) == 0) ||
				 (len - i > 7 && memcmp(text + i + 1, "$scope", 6) == 0)))
				return true;
			for (i++; i < len && text[i] != '"'; i++)
				if (text[i] == '\\')
					i++;
		}
	}
	return false;
}

/* lib: run libbson's reader */
static bool
lib(const char *text, size_t len, bson_t *out, bson_error_t *berr)
{
	if (lib_broken(text, len))
	{
		snprintf(berr->message, sizeof(berr->message),
				 "not run: libbson cannot read $code inside arrays");
		return false;
	}
	return bson_init_from_json(out, text, (ssize_t) len, berr);
}

/*
 * known_flags_only: a copy of a document whose regex options keep only the
 * letters libbson keeps ("ilmsux").  Our reader deliberately keeps other
 * letters too (so the matcher can reject them, see json.c), and this is
 * the only place where the two may differ in bytes.
 */
static void
known_flags_only(const uint8_t *data, uint32_t len, bson_t *out)
{
	bson_iter_t it;

	if (!bson_iter_init_from_data(&it, data, len))
		return;
	while (bson_iter_next(&it))
	{
		const char *k = bson_iter_key(&it);

		if (BSON_ITER_HOLDS_REGEX(&it))
		{
			const char *opts;
			const char *re = bson_iter_regex(&it, &opts);
			char		kept[8];
			int			n = 0;
			const char *f;

			for (f = "ilmsux"; *f; f++)
				if (strchr(opts, *f))
					kept[n++] = *f;
			kept[n] = '\0';
			bson_append_regex(out, k, -1, re, kept);
		}
		else if (BSON_ITER_HOLDS_DOCUMENT(&it) || BSON_ITER_HOLDS_ARRAY(&it))
		{
			const uint8_t *d;
			uint32_t	dl;
			bson_t		sub;

			if (BSON_ITER_HOLDS_DOCUMENT(&it))
			{
				bson_iter_document(&it, &dl, &d);
				bson_append_document_begin(out, k, -1, &sub);
			}
			else
			{
				bson_iter_array(&it, &dl, &d);
				bson_append_array_begin(out, k, -1, &sub);
			}
			known_flags_only(d, dl, &sub);
			if (BSON_ITER_HOLDS_DOCUMENT(&it))
				bson_append_document_end(out, &sub);
			else
				bson_append_array_end(out, &sub);
		}
		else
			bson_append_iter(out, k, -1, &it);
	}
}

/* same_bson: byte equality, up to unknown regex option letters (see above) */
static bool
same_bson(const bson_t *a, const bson_t *b)
{
	bson_t		na = BSON_INITIALIZER,
				nb = BSON_INITIALIZER;
	bool		same;

	if (a->len == b->len &&
		memcmp(bson_get_data(a), bson_get_data(b), a->len) == 0)
		return true;
	known_flags_only(bson_get_data(a), a->len, &na);
	known_flags_only(bson_get_data(b), b->len, &nb);
	same = na.len == nb.len && memcmp(bson_get_data(&na), bson_get_data(&nb), na.len) == 0;
	bson_destroy(&na);
	bson_destroy(&nb);
	return same;
}

/* show_bson: print a document as a TAP comment */
static void
show_bson(const char *who, const bson_t *b)
{
	char	   *s = bson_as_canonical_extended_json(b, NULL);
	const uint8_t *d = bson_get_data(b);
	char		hex[400];
	size_t		i,
				o = 0;

	for (i = 0; i < b->len && o + 3 < sizeof(hex); i++)
		o += (size_t) snprintf(hex + o, 3, "%02x", d[i]);
	diag("  %s: %s", who, s ? s : "(unprintable)");
	diag("  %s bytes: %s%s", who, hex, i < b->len ? "..." : "");
	bson_free(s);
}

/* check_same_len: both readers accept text and produce the same bytes */
static bool
check_same_len(const char *text, size_t len, const char *what)
{
	bson_t		a,
				b;
	bson_error_t berr;
	asp_error	err;
	bool		arr;
	bool		okm,
				okl,
				res;

	okm = mine(text, len, NULL, &a, &arr, &err);
	okl = lib(text, len, &b, &berr);
	res = okm && okl && same_bson(&a, &b) && arr == (text[strspn(text, " \t\r\n")] == '[');
	ok(res, "%s: %s", what, shown(text, len));
	if (!res)
	{
		if (!okm)
			diag("  ours failed: %s (%s)", err.message, err.detail);
		else
			show_bson("ours", &a);
		if (!okl)
			diag("  libbson failed: %s", berr.message);
		else
			show_bson("libbson", &b);
	}
	bson_destroy(&a);
	if (okl)
		bson_destroy(&b);
	return res;
}

static bool
check_same(const char *text, const char *what)
{
	return check_same_len(text, strlen(text), what);
}

/* check_error_len: our reader rejects text with code and message part */
static bool
check_error_len(const char *text, size_t len, const asp_json_opts *opts,
				asp_error_code code, const char *msg_part, const char *what)
{
	bson_t		a;
	asp_error	err;
	bool		arr;
	bool		okm,
				res;

	okm = mine(text, len, opts, &a, &arr, &err);
	res = !okm && err.code == code &&
		(msg_part == NULL || strstr(err.message, msg_part) != NULL) &&
		(strstr(err.message, "maximum BSON size") ? err.detail[0] != '\0' :
		 strstr(err.detail, "at line ") != NULL) &&
		a.len == 5;
	ok(res, "%s: %s", what, shown(text, len));
	if (!res)
	{
		if (okm)
			show_bson("ours (accepted!)", &a);
		else
			diag("  got code %d: %s | %s", (int) err.code, err.message, err.detail);
		diag("  wanted code %d and a message containing \"%s\"", (int) code,
			 msg_part ? msg_part : "");
	}
	bson_destroy(&a);
	return res;
}

static bool
check_error(const char *text, asp_error_code code, const char *msg_part,
			const char *what)
{
	return check_error_len(text, strlen(text), NULL, code, msg_part, what);
}

/* check_like_lib: our output for text equals libbson's for lib_text */
static bool
check_like_lib(const char *text, const char *lib_text, const char *what)
{
	bson_t		a,
				b;
	bson_error_t berr;
	asp_error	err;
	bool		arr;
	bool		okm,
				okl,
				res;

	okm = mine(text, strlen(text), NULL, &a, &arr, &err);
	okl = lib(lib_text, strlen(lib_text), &b, &berr);
	res = okm && okl && same_bson(&a, &b);
	ok(res, "%s: %s equals libbson's %s", what, shown(text, strlen(text)),
	   shown(lib_text, strlen(lib_text)));
	if (!res)
	{
		if (!okm)
			diag("  ours failed: %s (%s)", err.message, err.detail);
		else
			show_bson("ours", &a);
		if (!okl)
			diag("  libbson failed: %s", berr.message);
		else
			show_bson("libbson", &b);
	}
	bson_destroy(&a);
	if (okl)
		bson_destroy(&b);
	return res;
}

/* check_expect: our output equals a document built by hand */
static bool
check_expect(const char *text, bson_t *expected, const char *what)
{
	bson_t		a;
	asp_error	err;
	bool		arr;
	bool		okm,
				res;

	okm = mine(text, strlen(text), NULL, &a, &arr, &err);
	res = okm && same_bson(&a, expected);
	ok(res, "%s: %s", what, shown(text, strlen(text)));
	if (!res)
	{
		if (!okm)
			diag("  ours failed: %s (%s)", err.message, err.detail);
		else
			show_bson("ours", &a);
		show_bson("expected", expected);
	}
	bson_destroy(&a);
	bson_destroy(expected);
	return res;
}

/*
 * fix_big_ints: copy text with ".0" appended to every integer literal of
 * 20 or more digits outside strings.  libbson silently wraps integers of
 * 2^64 and more modulo 2^64 (a bug); we read them as doubles, which is
 * what libbson gives for the same literal with ".0".  Returns NULL when
 * there is no such literal.
 */
static char *
fix_big_ints(const char *text, size_t len, size_t *outlen)
{
	char	   *out = malloc(len * 2 + 1);
	size_t		i = 0,
				o = 0;
	bool		in_str = false,
				changed = false;

	while (i < len)
	{
		char		c = text[i];

		if (in_str)
		{
			out[o++] = c;
			if (c == '\\' && i + 1 < len)
				out[o++] = text[++i];
			else if (c == '"')
				in_str = false;
			i++;
			continue;
		}
		if (c == '"')
			in_str = true;
		if ((c >= '0' && c <= '9') && (i == 0 || !strchr("0123456789.eE+-", text[i - 1]) ||
									   text[i - 1] == '-'))
		{
			size_t		k = i;

			while (k < len && text[k] >= '0' && text[k] <= '9')
				k++;
			memcpy(out + o, text + i, k - i);
			o += k - i;
			if (k - i >= 20 && (k >= len || !strchr(".eE", text[k])) &&
				(i == 0 || !strchr(".eE", text[i - 1 - (text[i - 1] == '-')])))
			{
				memcpy(out + o, ".0", 2);
				o += 2;
				changed = true;
			}
			i = k;
			continue;
		}
		out[o++] = c;
		i++;
	}
	out[o] = '\0';
	*outlen = o;
	if (!changed)
	{
		free(out);
		return NULL;
	}
	return out;
}

/*
 * same_as_lib_fixed: when the outputs differ, is it only libbson's integer
 * wraparound?  Compare ours with libbson on the fixed text.
 */
static bool
same_as_lib_fixed(const char *text, size_t len, const bson_t *ours)
{
	size_t		flen;
	char	   *fixed = fix_big_ints(text, len, &flen);
	bson_t		b;
	bson_error_t berr;
	bool		r = false;

	if (fixed == NULL)
		return false;
	if (lib(fixed, flen, &b, &berr))
	{
		r = same_bson(ours, &b);
		bson_destroy(&b);
	}
	free(fixed);
	return r;
}

/* lib_accepts: does libbson accept text (for the notes on differences) */
static bool
lib_accepts(const char *text, size_t len)
{
	bson_t		b;
	bson_error_t berr;

	if (!lib(text, len, &b, &berr))
		return false;
	bson_destroy(&b);
	return true;
}

/* respace: copy JSON text with whitespace added around every token */
static char *
respace(const char *text)
{
	static const char *ws[] = {" ", "\n", "\t", "\r\n", "  \t "};
	size_t		n = strlen(text);
	char	   *out = malloc(n * 8 + 16);
	size_t		o = 0;
	size_t		i;
	bool		in_str = false;
	int			k = 0;

	memcpy(out + o, " \n", 2);
	o += 2;
	for (i = 0; i < n; i++)
	{
		char		c = text[i];

		if (in_str)
		{
			out[o++] = c;
			if (c == '\\')
				out[o++] = text[++i];
			else if (c == '"')
				in_str = false;
			continue;
		}
		if (c == ' ')
			continue;
		if (c == '"')
		{
			in_str = true;
			out[o++] = c;
			continue;
		}
		if (strchr("{}[]:,", c))
		{
			const char *w = ws[k++ % 5];

			memcpy(out + o, w, strlen(w));
			o += strlen(w);
			out[o++] = c;
			w = ws[k++ % 5];
			memcpy(out + o, w, strlen(w));
			o += strlen(w);
		}
		else
			out[o++] = c;
	}
	memcpy(out + o, "\r\n\t ", 4);
	o += 4;
	out[o] = '\0';
	return out;
}

/* rnd: xorshift64 pseudo-random numbers (the tests are deterministic) */
static uint64_t
rnd(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/* ---------------------------------------------------------------------
 * The corpus: texts both readers accept, with identical output
 * ---------------------------------------------------------------------
 */

#define OID "\"0123456789abcdef01234567\""

static const char *const valid_corpus[] = {
	/* empty containers, nesting */
	"{}",
	"[]",
	"{\"a\":{}}",
	"{\"a\":[]}",
	"[[]]",
	"[{}]",
	"[[[[]]],{},[{}]]",
	"{\"a\": {\"b\": {\"c\": [1, [2, {\"d\": [3]}]]}}}",
	"{\"a\": [1, [2, [3, {}]]]}",
	"[1, \"a\", null, true, false, {\"x\": 1}, [2], -3.5]",
	"{\"z\": 1, \"a\": 2, \"m\": 3, \"\": 4}",
	"{\"a\": 1, \"a\": 2, \"a\": {\"a\": 3}}",
	"{\"a\": [0,1,2,3,4,5,6,7,8,9,10,11,12]}",

	/* literals */
	"{\"a\": true, \"b\": false, \"c\": null}",
	"[true,false,null]",

	/* integers */
	"{\"a\": 0}",
	"{\"a\": 1}",
	"{\"a\": -1}",
	"{\"a\": -0}",
	"{\"a\": 2147483647}",
	"{\"a\": 2147483648}",
	"{\"a\": -2147483648}",
	"{\"a\": -2147483649}",
	"{\"a\": 4294967295}",
	"{\"a\": 4294967296}",
	"{\"a\": 9007199254740993}",
	"{\"a\": 9223372036854775807}",
	"{\"a\": -9223372036854775807}",
	"{\"a\": -9223372036854775808}",
	"{\"a\": 1234567890123}",

	/* doubles */
	"{\"a\": 1.0}",
	"{\"a\": -0.0}",
	"{\"a\": 0.0}",
	"{\"a\": 0e0}",
	"{\"a\": 0.1}",
	"{\"a\": 0.5}",
	"{\"a\": 1.5}",
	"{\"a\": -1.5}",
	"{\"a\": 1e5}",
	"{\"a\": 1E5}",
	"{\"a\": 1e+5}",
	"{\"a\": 1E-5}",
	"{\"a\": 1.5e300}",
	"{\"a\": 1e-400}",
	"{\"a\": -1e-400}",
	"{\"a\": 4.9e-324}",
	"{\"a\": 2.2250738585072011e-308}",
	"{\"a\": 2.2250738585072014e-308}",
	"{\"a\": 1.7976931348623157e308}",
	"{\"a\": 0.30000000000000004}",
	"{\"a\": 9007199254740993.0}",
	"{\"a\": 9007199254740992.0}",
	"{\"a\": 1e22}",
	"{\"a\": 1e23}",
	"{\"a\": 123456789012345678901234567890e-10}",
	"{\"a\": 3.14159265358979323846264338327950288}",
	"{\"a\": 0.000001}",
	"{\"a\": -123.456e-7}",
	"{\"a\": 1.00000000000000000000000000000000000000001}",
	"{\"a\": 2.5e-22}",
	"{\"a\": 7e-23}",
	"{\"a\": 0.00000000000000000000000000000000000000000000000001}",
	"{\"a\": 12345678901234567890e3}",

	/* strings */
	"{\"a\": \"\"}",
	"{\"a\": \"hello world\"}",
	"{\"a\": \"\\\"\\\\\\/\\b\\f\\n\\r\\t\"}",
	"{\"a\": \"\\u0041\\u00e9\\u4e2d\\ud83d\\ude00\"}",
	"{\"a\": \"\\u007f\\u0080\\u07ff\\u0800\\uffff\\ud800\\udc00\\udbff\\udfff\"}",
	"{\"a\": \"\\u00E9\\u4E2D\\uD83D\\uDE00\"}",
	"{\"a\": \"x\\u0000y\"}",
	"{\"a\": \"\\u0000\"}",
	"{\"a\": \"\xc3\xa9\xe4\xb8\xad\xf0\x9f\x98\x80\"}",
	"{\"a\": \"\xc2\x80\xdf\xbf\xe0\xa0\x80\xed\x9f\xbf\xee\x80\x80\xef\xbf\xbf\xf0\x90\x80\x80\xf4\x8f\xbf\xbf\"}",
	"{\"a\": \"\x7f\"}",
	"{\"\xc3\xa9\": 1}",
	"{\"\\ud83d\\ude00\": {\"\\u00e9\": \"\\u20ac\"}}",
	"{\"a\\\"b\": 1, \"c\\\\d\": 2, \"e\\nf\": 3}",
	"{\"a\": \"tab\\tnew\\nline\"}",

	/* dollar keys that are not Extended JSON */
	"{\"$match\": {\"x\": {\"$gte\": 5, \"$lt\": 10}}}",
	"[{\"$match\": {\"status\": \"A\"}}, {\"$group\": {\"_id\": \"$cust_id\", \"total\": {\"$sum\": \"$amount\"}}}]",
	"{\"a\": {\"$in\": [1, 2, 3]}}",
	"{\"a\": {\"$ref\": \"coll\", \"$id\": {\"$oid\": " OID "}}}",
	"{\"a\": {\"x\": 1, \"$oid\": " OID "}}",
	"{\"a\": {\"$oidx\": 1}}",
	"{\"a\": {\"$\": 1}}",

	/* keywords at the top level are plain keys (libbson does the same) */
	"{\"$oid\": " OID "}",
	"{\"$date\": 5}",
	"{\"$regex\": \"x\"}",
	"{\"$numberLong\": \"1\"}",
	"{\"$binary\": {\"base64\": \"AA==\", \"subType\": \"00\"}}",

	/* $oid */
	"{\"a\": {\"$oid\": " OID "}}",
	"{\"a\": {\"$oid\": \"0123456789ABCDEF01234567\"}}",
	"{\"a\": {\"\\u0024oid\": " OID "}}",
	"[{\"$oid\": " OID "}, {\"$oid\": \"ffffffffffffffffffffffff\"}]",

	/* $date */
	"{\"a\": {\"$date\": \"2024-01-02T03:04:05Z\"}}",
	"{\"a\": {\"$date\": \"2024-01-02T03:04:05.123Z\"}}",
	"{\"a\": {\"$date\": \"2024-01-02T03:04:05.1Z\"}}",
	"{\"a\": {\"$date\": \"2024-01-02T03:04:05.12Z\"}}",
	"{\"a\": {\"$date\": \"2024-01-02T03:04:05.000Z\"}}",
	"{\"a\": {\"$date\": \"2024-01-02T03:04:05+0100\"}}",
	"{\"a\": {\"$date\": \"2024-01-02T03:04:05-0130\"}}",
	"{\"a\": {\"$date\": \"2024-01-02T03:04:05.999+2359\"}}",
	"{\"a\": {\"$date\": \"1970-01-01T00:00:00-0000\"}}",
	"{\"a\": {\"$date\": \"2024-01-02T03:04Z\"}}",
	"{\"a\": {\"$date\": \"1969-12-31T23:59:59.999Z\"}}",
	"{\"a\": {\"$date\": \"1900-01-01T00:00:00Z\"}}",
	"{\"a\": {\"$date\": \"0000-01-01T00:00:00Z\"}}",
	"{\"a\": {\"$date\": \"0001-01-01T00:00:00Z\"}}",
	"{\"a\": {\"$date\": \"1600-02-29T00:00:00Z\"}}",
	"{\"a\": {\"$date\": \"2000-02-29T12:00:00Z\"}}",
	"{\"a\": {\"$date\": \"2100-03-01T00:00:00Z\"}}",
	"{\"a\": {\"$date\": \"9999-12-31T23:59:59.999Z\"}}",
	"{\"a\": {\"$date\": \"2016-12-31T23:59:60Z\"}}",
	"{\"a\": {\"$date\": {\"$numberLong\": \"1704164645000\"}}}",
	"{\"a\": {\"$date\": {\"$numberLong\": \"-62135596800000\"}}}",
	"{\"a\": {\"$date\": {\"$numberLong\": \"-1\"}}}",
	"{\"a\": {\"$date\": 1704164645000}}",
	"{\"a\": {\"$date\": -1}}",
	"{\"a\": {\"$date\": 0}}",
	"{\"a\": {\"$date\": 9223372036854775807}}",
	"{\"a\": {\"$date\": -9223372036854775808}}",

	/* numbers in wrappers */
	"{\"a\": {\"$numberInt\": \"1\"}}",
	"{\"a\": {\"$numberInt\": \"-2147483648\"}}",
	"{\"a\": {\"$numberInt\": \"2147483647\"}}",
	"{\"a\": {\"$numberInt\": \"-0\"}}",
	"{\"a\": {\"$numberInt\": \"007\"}}",
	"{\"a\": {\"$numberLong\": \"9223372036854775807\"}}",
	"{\"a\": {\"$numberLong\": \"-9223372036854775808\"}}",
	"{\"a\": {\"$numberLong\": \"00012\"}}",
	"{\"a\": {\"$numberLong\": \"1\"}}",
	"{\"a\": {\"$numberDouble\": \"1.5\"}}",
	"{\"a\": {\"$numberDouble\": \"1\"}}",
	"{\"a\": {\"$numberDouble\": \"-0.0\"}}",
	"{\"a\": {\"$numberDouble\": \"-0\"}}",
	"{\"a\": {\"$numberDouble\": \"Infinity\"}}",
	"{\"a\": {\"$numberDouble\": \"-Infinity\"}}",
	"{\"a\": {\"$numberDouble\": \"NaN\"}}",
	"{\"a\": {\"$numberDouble\": \"1e-400\"}}",
	"{\"a\": {\"$numberDouble\": \"1.0e5\"}}",
	"{\"a\": {\"$numberDouble\": \"1.7976931348623157e308\"}}",
	"{\"a\": {\"$numberDouble\": \"-1.2345678901234567e-300\"}}",
	"{\"a\": {\"$numberDecimal\": \"1.5\"}}",
	"{\"a\": {\"$numberDecimal\": \"NaN\"}}",
	"{\"a\": {\"$numberDecimal\": \"-Infinity\"}}",
	"{\"a\": {\"$numberDecimal\": \"Infinity\"}}",
	"{\"a\": {\"$numberDecimal\": \"1E+6144\"}}",
	"{\"a\": {\"$numberDecimal\": \"-0\"}}",
	"{\"a\": {\"$numberDecimal\": \"0.0001\"}}",
	"{\"a\": {\"$numberDecimal\": \"1e-6176\"}}",
	"{\"a\": {\"$numberDecimal\": \"9.999999999999999999999999999999999E+6144\"}}",
	"{\"a\": {\"$numberDecimal\": \"-1234567890.0987654321\"}}",

	/* binary */
	"{\"a\": {\"$binary\": {\"base64\": \"AA==\", \"subType\": \"00\"}}}",
	"{\"a\": {\"$binary\": {\"subType\": \"04\", \"base64\": \"AQIDBAUGBwgJCgsMDQ4PEA==\"}}}",
	"{\"a\": {\"$binary\": {\"base64\": \"\", \"subType\": \"00\"}}}",
	"{\"a\": {\"$binary\": {\"base64\": \"AQID\", \"subType\": \"02\"}}}",
	"{\"a\": {\"$binary\": {\"base64\": \"AAA=\", \"subType\": \"05\"}}}",
	"{\"a\": {\"$binary\": {\"base64\": \"////\", \"subType\": \"ff\"}}}",
	"{\"a\": {\"$binary\": {\"base64\": \"AA==\", \"subType\": \"80\"}}}",
	"{\"a\": {\"$binary\": {\"base64\": \"AA==\", \"subType\": \"1\"}}}",
	"{\"a\": {\"$binary\": {\"base64\": \"AA==\", \"subType\": \"0A\"}}}",
	"{\"a\": {\"$binary\": {\"base64\": \" A A = = \", \"subType\": \"00\"}}}",
	"{\"a\": {\"$binary\": {\"base64\": \"AQID\\nBAUG\\r\\nBwg=\", \"subType\": \"00\"}}}",
	"{\"a\": {\"$binary\": {\"base64\": \"SGVsbG8sIFdvcmxkIQ==\", \"subType\": \"00\"}}}",
	"{\"a\": {\"$binary\": \"AA==\", \"$type\": \"00\"}}",
	"{\"a\": {\"$binary\": \"AQID\", \"$type\": \"2\"}}",
	"{\"a\": {\"$binary\": \"AA==\", \"$type\": \"ff\"}}",
	"{\"a\": {\"$type\": \"00\", \"$binary\": \"AA==\"}}",
	"{\"a\": {\"$type\": \"5\", \"$binary\": \"AA==\"}}",
	"{\"a\": {\"$uuid\": \"73ffd264-44b3-4c69-90e8-e7d1dfc035d4\"}}",
	"{\"a\": {\"$uuid\": \"73FFD264-44B3-4C69-90E8-E7D1DFC035D4\"}}",

	/* regular expressions */
	"{\"a\": {\"$regularExpression\": {\"pattern\": \"^x\", \"options\": \"i\"}}}",
	"{\"a\": {\"$regularExpression\": {\"options\": \"i\", \"pattern\": \"x\"}}}",
	"{\"a\": {\"$regularExpression\": {\"pattern\": \"x\", \"options\": \"xsi\"}}}",
	"{\"a\": {\"$regularExpression\": {\"pattern\": \"x\", \"options\": \"ulmsxiq\"}}}",
	"{\"a\": {\"$regularExpression\": {\"pattern\": \"\", \"options\": \"\"}}}",
	"{\"a\": {\"$regex\": \"^x\"}}",
	"{\"a\": {\"$regex\": \"^x\", \"$options\": \"i\"}}",
	"{\"a\": {\"$options\": \"i\", \"$regex\": \"^x\"}}",
	"{\"a\": {\"$regex\": \"x\", \"$options\": \"xsimq\"}}",
	"{\"a\": {\"$regex\": \"\", \"$options\": \"\"}}",
	"{\"email\": {\"$regex\": \"^.+@.+\\\\..+$\"}}",
	"{\"$match\": {\"name\": {\"$regex\": \"^a\", \"$options\": \"i\"}}}",

	/* timestamp */
	"{\"a\": {\"$timestamp\": {\"t\": 1, \"i\": 2}}}",
	"{\"a\": {\"$timestamp\": {\"i\": 2, \"t\": 1}}}",
	"{\"a\": {\"$timestamp\": {\"t\": 4294967295, \"i\": 4294967295}}}",
	"{\"a\": {\"$timestamp\": {\"t\": 0, \"i\": 0}}}",

	/* symbol, code, scope */
	"{\"a\": {\"$symbol\": \"abc\"}}",
	"{\"a\": {\"$symbol\": \"\"}}",
	"{\"a\": {\"$symbol\": \"a\\u0000b\"}}",
	"{\"a\": {\"$code\": \"function() { return 1; }\"}}",
	"{\"a\": {\"$code\": \"\"}}",
	"{\"a\": {\"$code\": \"x\", \"$scope\": {\"b\": 1}}}",
	"{\"a\": {\"$scope\": {\"b\": 1}, \"$code\": \"x\"}}",
	"{\"a\": {\"$code\": \"x\", \"$scope\": {}}}",
	"{\"a\": {\"$scope\": {}, \"$code\": \"\"}}",
	"{\"a\": {\"$code\": \"x\", \"$scope\": {\"b\": {\"$oid\": " OID "}}}}",
	"{\"a\": {\"$code\": \"x\", \"$scope\": {\"b\": {\"$code\": \"y\"}}}}",
	"{\"a\": {\"$code\": \"x\", \"$scope\": {\"b\": {\"$code\": \"y\", \"$scope\": {}}}}}",
	"{\"a\": {\"$code\": \"x\", \"$scope\": {\"b\": {\"$scope\": {\"$code\": \"y\"}}}}}",
	"{\"a\": {\"$code\": \"x\", \"$scope\": {\"$oid\": " OID "}}}",
	"{\"a\": {\"$code\": \"x\", \"$scope\": {\"b\": [1, {\"c\": 2}]}}}",
	"{\"a\": {\"$scope\": {\"b\": [1, {\"$oid\": " OID "}]}, \"$code\": \"function(){}\"}}",
	"{\"a\": {\"$code\": \"x\", \"$scope\": {\"b\": 1}}, \"z\": {\"$code\": \"q\"}}",

	/* min/max key, undefined */
	"{\"a\": {\"$minKey\": 1}}",
	"{\"a\": {\"$maxKey\": 1}}",
	"{\"a\": {\"$undefined\": true}}",
	"{\"a\": [{\"$minKey\": 1}, {\"$maxKey\": 1}, {\"$undefined\": true}]}",

	/* dbPointer */
	"{\"a\": {\"$dbPointer\": {\"$ref\": \"db.c\", \"$id\": {\"$oid\": " OID "}}}}",
	"{\"a\": {\"$dbPointer\": {\"$id\": {\"$oid\": " OID "}, \"$ref\": \"db.c\"}}}",
	"{\"a\": {\"$dbPointer\": {\"$ref\": \"\", \"$id\": {\"$oid\": " OID "}}}}",

	/* $type as a query operator (a plain document, as in libbson) */
	"{\"a\": {\"$type\": \"string\"}}",
	"{\"a\": {\"$type\": \"string\", \"b\": 1}}",
	"{\"a\": {\"$type\": {\"$numberInt\": \"2\"}}}",
	"{\"a\": {\"$type\": \"string\", \"b\": {\"$oid\": " OID "}}}",
	"{\"$project\": {\"t\": {\"$type\": \"$field\"}}}",

	/* everything together */
	"{\"_id\": {\"$oid\": " OID "}, \"n\": {\"$numberLong\": \"42\"}, "
	"\"d\": {\"$date\": \"2024-05-01T10:00:03.000Z\"}, \"f\": 1.25, "
	"\"s\": \"x\", \"b\": {\"$binary\": {\"base64\": \"AQID\", \"subType\": \"00\"}}, "
	"\"r\": {\"$regularExpression\": {\"pattern\": \"a+\", \"options\": \"i\"}}, "
	"\"t\": {\"$timestamp\": {\"t\": 5, \"i\": 6}}, \"m\": [{\"$minKey\": 1}, {\"$maxKey\": 1}], "
	"\"dec\": {\"$numberDecimal\": \"0.1\"}, \"nested\": {\"deep\": [[{\"x\": null}]]}}",
	"{\"device_id\":\"device_7\",\"group_id\":7,\"timestamp\":\"2024-05-01T10:00:03.000+00:00\","
	"\"max_watts\":450,\"event_type\":0,\"obs\":{\"watts\":312,\"temp\":21}}",

	/* whitespace */
	"  {  \"a\"  :  [ 1 , 2 ]  }  \n",
	"\t{\r\n\"a\"\n:\n1\n}\r\n",
	"\n[\n]\n",
	"[ {\"$oid\" : " OID " } , { \"$date\" :\t{ \"$numberLong\" : \"5\" } } ]",
};

/* ---------------------------------------------------------------------
 * Test groups
 * ---------------------------------------------------------------------
 */

/* test_corpus: every corpus text, as is and with whitespace everywhere */
static void
test_corpus(void)
{
	size_t		i;

	diag("corpus: output identical to libbson");
	for (i = 0; i < sizeof(valid_corpus) / sizeof(valid_corpus[0]); i++)
		check_same(valid_corpus[i], "same as libbson");

	diag("corpus with whitespace around every token");
	for (i = 0; i < sizeof(valid_corpus) / sizeof(valid_corpus[0]); i++)
	{
		char	   *s = respace(valid_corpus[i]);

		check_same(s, "same as libbson, respaced");
		free(s);
	}
}

/* test_big: documents large enough to leave the stack buffer */
static void
test_big(void)
{
	char	   *s;
	size_t		o = 0;
	int			i;

	diag("large documents");

	/* many members */
	s = malloc(1 << 20);
	o = (size_t) sprintf(s, "{");
	for (i = 0; i < 10000; i++)
		o += (size_t) sprintf(s + o, "%s\"k%d\": %d", i ? "," : "", i, i * 7);
	o += (size_t) sprintf(s + o, "}");
	check_same_len(s, o, "10000 members");

	/* a long array: keys up to "99999" */
	o = (size_t) sprintf(s, "[");
	for (i = 0; i < 100000; i++)
		o += (size_t) sprintf(s + o, "%s%d", i ? "," : "", i % 3 == 0 ? -i : i);
	o += (size_t) sprintf(s + o, "]");
	check_same_len(s, o, "100000-element top-level array");

	/* a long string with escapes and multi-byte characters */
	o = (size_t) sprintf(s, "{\"s\": \"");
	for (i = 0; i < 20000; i++)
		o += (size_t) sprintf(s + o, "%s", (i % 5 == 0) ? "\\u00e9" : (i % 7 == 0) ? "\xe4\xb8\xad" : (i % 11 == 0) ? "\\n" : "abcd");
	o += (size_t) sprintf(s + o, "\"}");
	check_same_len(s, o, "long string");

	/* big binary, both forms */
	o = (size_t) sprintf(s, "{\"b\": {\"$binary\": {\"base64\": \"");
	for (i = 0; i < 30000; i++)
		o += (size_t) sprintf(s + o, "AQID");
	o += (size_t) sprintf(s + o, "\", \"subType\": \"00\"}}}");
	check_same_len(s, o, "90000-byte binary");
	o = (size_t) sprintf(s, "{\"b\": {\"$binary\": {\"subType\": \"02\", \"base64\": \"");
	for (i = 0; i < 30000; i++)
		o += (size_t) sprintf(s + o, "BAUG");
	o += (size_t) sprintf(s + o, "\"}}}");
	check_same_len(s, o, "90000-byte binary, subtype 2");

	/* a large scope given before the code, and a large code */
	o = (size_t) sprintf(s, "{\"c\": {\"$scope\": {");
	for (i = 0; i < 3000; i++)
		o += (size_t) sprintf(s + o, "%s\"v%d\": [%d, \"%d\"]", i ? "," : "", i, i, i);
	o += (size_t) sprintf(s + o, "}, \"$code\": \"");
	for (i = 0; i < 3000; i++)
		o += (size_t) sprintf(s + o, "x = x + %d; ", i);
	o += (size_t) sprintf(s + o, "\"}}");
	check_same_len(s, o, "large $scope before $code");

	/* many nested documents in an array */
	o = (size_t) sprintf(s, "[");
	for (i = 0; i < 5000; i++)
		o += (size_t) sprintf(s + o, "%s{\"i\": %d, \"o\": {\"$oid\": " OID "}, \"a\": [{\"b\": {\"c\": %d.5}}]}",
							  i ? "," : "", i, i);
	o += (size_t) sprintf(s + o, "]");
	check_same_len(s, o, "5000 documents in an array");
	free(s);
}

/* test_numbers_random: random JSON numbers, same doubles as libbson */
static void
test_numbers_random(void)
{
	uint64_t	x = 88172645463325252ULL;
	int			i,
				bad = 0,
				shown_bad = 0;
	char		text[128];

#define NEXT() rnd(&x)
	diag("random numbers");
	for (i = 0; i < 20000; i++)
	{
		char		num[100];
		size_t		o = 0;
		int			nd = 1 + (int) (NEXT() % 25);
		int			dot = (int) (NEXT() % (uint64_t) (nd + 1));
		int			k;
		bson_t		a,
					b;
		bson_error_t berr;
		asp_error	err;
		bool		arr,
					okm,
					okl;

		if (NEXT() % 2)
			num[o++] = '-';
		for (k = 0; k < nd; k++)
		{
			int			d = (int) (NEXT() % 10);

			if (k == 0 && d == 0 && nd > 1 && dot != 1)
				d = 1 + (int) (NEXT() % 9);
			if (k == dot && k > 0)
				num[o++] = '.';
			num[o++] = (char) ('0' + d);
		}
		if (NEXT() % 3 == 0)
			o += (size_t) sprintf(num + o, "e%s%d", NEXT() % 2 ? "-" : "",
								  (int) (NEXT() % (NEXT() % 4 == 0 ? 340 : 30)));
		num[o] = '\0';
		snprintf(text, sizeof(text), "{\"n\": %s}", num);
		okm = mine(text, strlen(text), NULL, &a, &arr, &err);
		okl = lib(text, strlen(text), &b, &berr);
		if (okl != okm || (okl && !same_bson(&a, &b)))
		{
			/*
			 * libbson rejects integers beyond int64 or wraps them modulo
			 * 2^64; we make doubles, equal to libbson's for "<digits>.0"
			 */
			bool		expected = okm && strchr(num, '.') == NULL &&
				strchr(num, 'e') == NULL &&
				(same_as_lib_fixed(text, strlen(text), &a) ||
				 (!okl && strlen(num) - (num[0] == '-') >= 19));

			if (!expected)
			{
				bad++;
				if (shown_bad++ < 5)
					diag("  mismatch on %s: ours %s, libbson %s", text,
						 okm ? "ok" : err.message, okl ? "ok" : berr.message);
			}
		}
		bson_destroy(&a);
		if (okl)
			bson_destroy(&b);
	}
	ok(bad == 0, "20000 random numbers convert like libbson (%d mismatches)", bad);

	/* doubles printed with %.17g and %.*e round-trip exactly */
	bad = 0;
	for (i = 0; i < 20000; i++)
	{
		uint64_t	bits = NEXT();
		double		d;
		bson_t		a;
		asp_error	err;
		bool		arr;
		bson_iter_t it;

		double		got = 0;

		memcpy(&d, &bits, 8);
		if (d != d || d - d != 0)
			continue;			/* NaN or infinity */
		if (i % 2)
			snprintf(text, sizeof(text), "[%.17g]", d);
		else
			snprintf(text, sizeof(text), "[%.16e]", d);
		if (!strchr(text, '.') && !strchr(text, 'e'))
			continue;			/* an integer: not a double in JSON */
		if (mine(text, strlen(text), NULL, &a, &arr, &err) &&
			bson_iter_init_find(&it, &a, "0") && BSON_ITER_HOLDS_DOUBLE(&it))
			got = bson_iter_double(&it);
		if (memcmp(&got, &d, 8) != 0)
		{
			if (bad++ < 5)
				diag("  round trip failed for %s", text);
		}
		bson_destroy(&a);
	}
	ok(bad == 0, "random doubles round-trip exactly (%d failures)", bad);
#undef NEXT
}

/* test_extensions: texts we accept and libbson rejects */
static void
test_extensions(void)
{
	diag("accepted here, rejected by libbson: compared with an equivalent text");
	check_like_lib("{\"a\": 9223372036854775808}", "{\"a\": 9223372036854775808.0}",
				   "integer above int64 is a double");
	check_like_lib("{\"a\": -9223372036854775809}", "{\"a\": -9223372036854775809.0}",
				   "integer below int64 is a double");
	check_like_lib("{\"a\": 123456789012345678901234567890}",
				   "{\"a\": 1.2345678901234567890123456789e29}",
				   "huge integer is a double");
	check_like_lib("{\"a\": 18446744073709551616}", "{\"a\": 18446744073709551616.0}",
				   "2^64 is a double");
	/* libbson wraps these modulo 2^64 (1e22 becomes 1864712049423024128) */
	check_like_lib("{\"a\": 10000000000000000000000}", "{\"a\": 1e22}",
				   "10^22 is a double");
	check_like_lib("{\"a\": -92233720368547775808}", "{\"a\": -92233720368547775808.0}",
				   "-92233720368547775808 is a double");
	check_like_lib("{\"a\": {\"$date\": \"2024-01-02T03:04:05+01:00\"}}",
				   "{\"a\": {\"$date\": \"2024-01-02T03:04:05+0100\"}}",
				   "$date with +hh:mm offset");
	check_like_lib("{\"a\": {\"$date\": \"2024-05-01T10:00:03.000+00:00\"}}",
				   "{\"a\": {\"$date\": \"2024-05-01T10:00:03.000Z\"}}",
				   "$date with +00:00 offset");
	check_like_lib("{\"a\": {\"$date\": \"2024-01-02T03:04:05.123-05:30\"}}",
				   "{\"a\": {\"$date\": \"2024-01-02T03:04:05.123-0530\"}}",
				   "$date with -hh:mm offset");
	check_like_lib("{\"a\": {\"$date\": \"2024-01-02T03:04:05.123456789Z\"}}",
				   "{\"a\": {\"$date\": \"2024-01-02T03:04:05.123Z\"}}",
				   "$date fraction beyond milliseconds is truncated");
	check_like_lib("{\"a\": {\"$date\": \"1969-12-31T23:59:59.9999Z\"}}",
				   "{\"a\": {\"$date\": \"1969-12-31T23:59:59.999Z\"}}",
				   "$date fraction truncated before the epoch");

	diag("$code inside arrays (libbson 1.23 fails on them)");
	check_expect("{\"a\": [{\"$code\": \"x\"}]}",
				 BCON_NEW("a", "[", BCON_CODE("x"), "]"),
				 "$code in an array");
	{
		bson_t	   *expected = bson_new();
		bson_t		arr,
					scope;

		bson_init(&scope);
		BSON_APPEND_INT32(&scope, "v", 1);
		bson_append_array_begin(expected, "a", 1, &arr);
		BSON_APPEND_INT32(&arr, "0", 1);
		bson_append_code_with_scope(&arr, "1", 1, "f()", &scope);
		bson_append_array_end(expected, &arr);
		bson_destroy(&scope);
		check_expect("{\"a\": [1, {\"$scope\": {\"v\": 1}, \"$code\": \"f()\"}]}", expected,
					 "$code with $scope in an array");
	}

	diag("query operators that stay plain documents (libbson reports errors)");
	check_expect("{\"a\": {\"$regex\": {\"$regularExpression\": {\"pattern\": \"x\", \"options\": \"\"}}}}",
				 BCON_NEW("a", "{", "$regex", BCON_REGEX("x", ""), "}"),
				 "$regex with a regular expression value");
	check_expect("{\"a\": {\"$regex\": \"x\", \"b\": 1}}",
				 BCON_NEW("a", "{", "$regex", BCON_UTF8("x"), "b", BCON_INT32(1), "}"),
				 "$regex with another key");
	check_expect("{\"a\": {\"$regex\": 1}}",
				 BCON_NEW("a", "{", "$regex", BCON_INT32(1), "}"),
				 "$regex with a number");
	check_expect("{\"a\": {\"$options\": \"i\"}}",
				 BCON_NEW("a", "{", "$options", BCON_UTF8("i"), "}"),
				 "$options alone");
	check_expect("{\"a\": {\"$type\": \"array\"}}",
				 BCON_NEW("a", "{", "$type", BCON_UTF8("array"), "}"),
				 "$type query operator with a hex-looking name");
	check_expect("{\"a\": {\"$type\": \"double\", \"b\": 1}}",
				 BCON_NEW("a", "{", "$type", BCON_UTF8("double"), "b", BCON_INT32(1), "}"),
				 "$type with another key");
	check_expect("{\"a\": {\"$type\": 2}}",
				 BCON_NEW("a", "{", "$type", BCON_INT32(2), "}"),
				 "$type with a number");
	check_expect("{\"a\": {\"$type\": [\"string\", 16]}}",
				 BCON_NEW("a", "{", "$type", "[", BCON_UTF8("string"), BCON_INT32(16), "]", "}"),
				 "$type with an array");
	check_expect("{\"$match\": {\"x\": {\"$type\": \"date\"}, \"y\": {\"$regex\": {\"$regularExpression\": {\"pattern\": \"^a\", \"options\": \"i\"}}, \"$options\": \"m\"}}}",
				 BCON_NEW("$match", "{", "x", "{", "$type", BCON_UTF8("date"), "}",
						  "y", "{", "$regex", BCON_REGEX("^a", "i"), "$options", BCON_UTF8("m"), "}", "}"),
				 "query with $type and a $regex document");
	{
		bson_oid_t	oid;

		bson_oid_init_from_string(&oid, "0123456789abcdef01234567");
		check_expect("[{\"$regex\": \"x\", \"y\": {\"$oid\": " OID "}}]",
					 BCON_NEW("0", "{", "$regex", BCON_UTF8("x"), "y", BCON_OID(&oid), "}"),
					 "plain fallback keeps Extended JSON inside");
	}

	diag("100 nested levels: accepted (libbson stops at 99)");
	{
		char		s[256];
		bson_t		a;
		asp_error	err;
		bool		arr;

		memset(s, '[', 100);
		memset(s + 100, ']', 100);
		ok(mine(s, 200, NULL, &a, &arr, &err) && arr && bson_validate(&a, 0, NULL),
		   "100 nested arrays accepted with the default limit");
		bson_destroy(&a);
	}
}

/* test_stricter: texts libbson accepts and we reject, on purpose */
static void
test_stricter(void)
{
	static const struct
	{
		const char *text;
		const char *msg;
	}			cases[] = {
		{"{\"a\": NaN}", "expected a value"},
		{"{\"a\": Infinity}", "expected a value"},
		{"{\"a\": -Infinity}", "expected a digit"},
		{"{\"a\": -01}", "leading zeros"},
		{"{\"a\": \"\x01\"}", "control character"},
		{"{\"a\": \"\x1f\"}", "control character"},
		{"{\"a\": \"\xc0\x80\"}", "invalid UTF-8"},
		{"{\"a\": 1}{\"b\": 2}", "unexpected data after"},
		{"{\"a\": 1} {\"b\": 2}", "unexpected data after"},
		{"{\"a\": 1}]", "unexpected data after"},
		{"{\"a\": {\"$oid\": \"0123456789abcdef0123456g\"}}", "$oid"},
		{"{\"a\": {\"$oid\": " OID ", \"$oid\": " OID "}}", "unexpected extra key"},
		{"{\"a\": {\"$uuid\": \"73ffd264-44b3-4c69-90e8-e7d1dfc035dg\"}}", "$uuid"},
		{"{\"a\": {\"$uuid\": \"+3ffd264-44b3-4c69-90e8-e7d1dfc035d4\"}}", "$uuid"},
		{"{\"a\": {\"$uuid\": \"73ffd264-44b3-4c69-90e8-e7d1dfc035d4\", \"$type\": \"03\"}}", "unexpected extra key"},
		{"{\"a\": {\"$binary\": \"AA==\", \"$type\": \"array\"}}", "$type must be a binary subtype"},
		{"{\"a\": {\"$binary\": \"AA==\", \"$type\": \"0x1\"}}", "$type must be a binary subtype"},
		{"{\"a\": {\"$binary\": \"AA==\", \"$type\": \" 1\"}}", "$type must be a binary subtype"},
		{"{\"a\": {\"$binary\": \"AA==\", \"$type\": \"123\"}}", "$type must be a binary subtype"},
		{"{\"a\": {\"$binary\": \"AA==\", \"$type\": \"00\", \"$binary\": \"AQ==\"}}", "unexpected extra key"},
		{"{\"a\": {\"$binary\": {\"base64\": \"AA==\", \"subType\": \"00\", \"base64\": \"AQ==\"}}}", "duplicate key"},
		{"{\"a\": {\"$type\": \"string\", \"$binary\": \"AA==\"}}", "$type must be a binary subtype"},
		{"{\"a\": {\"$timestamp\": {\"t\": 4294967296, \"i\": 1}}}", "unsigned 32-bit"},
		{"{\"a\": {\"$timestamp\": {\"t\": 1, \"i\": 2, \"t\": 5}}}", "duplicate key"},
		{"{\"a\": {\"$undefined\": false}}", "$undefined must be true"},
		{"{\"a\": {\"$symbol\": \"abc\", \"$symbol\": \"def\"}}", "unexpected extra key"},
		{"{\"a\": {\"$regex\": \"x\", \"$regex\": \"y\"}}", "duplicate key"},
		{"{\"a\": {\"$regularExpression\": {\"pattern\": \"x\", \"options\": \"i\", \"pattern\": \"y\"}}}", "duplicate key"},
		{"{\"a\": {\"$numberLong\": \"1\", \"$numberLong\": \"2\"}}", "unexpected extra key"},
		{"{\"a\": {\"$numberInt\": \" 1\"}}", "$numberInt"},
		{"{\"a\": {\"$numberInt\": \"+1\"}}", "$numberInt"},
		{"{\"a\": {\"$numberDouble\": \"abc\"}}", "$numberDouble"},
		{"{\"a\": {\"$numberDouble\": \"1.5abc\"}}", "$numberDouble"},
		{"{\"a\": {\"$numberDouble\": \"\"}}", "$numberDouble"},
		{"{\"a\": {\"$numberDouble\": \" 1.5\"}}", "$numberDouble"},
		{"{\"a\": {\"$numberDouble\": \"0x1p3\"}}", "$numberDouble"},
		{"{\"a\": {\"$numberDouble\": \"inf\"}}", "$numberDouble"},
		{"{\"a\": {\"$numberDouble\": \"-NaN\"}}", "$numberDouble"},
		{"{\"a\": {\"$numberDecimal\": \"abc\"}}", "$numberDecimal"},
		{"{\"a\": {\"$numberDecimal\": \"\"}}", "$numberDecimal"},
		{"{\"a\": {\"$date\": {}}}", "$date object must be"},
		{"{\"a\": {\"$date\": 1, \"$date\": 2}}", "unexpected extra key"},
		{"{\"a\": {\"$date\": {\"$numberLong\": \"1\", \"$numberLong\": \"2\"}}}", "unexpected extra key"},
		{"{\"a\": {\"$date\": \"2024-02-30T00:00:00Z\"}}", "ISO-8601"},
		{"{\"a\": {\"$date\": \"2023-02-29T00:00:00Z\"}}", "ISO-8601"},
		{"{\"a\": {\"$date\": \"2024-04-31T00:00:00Z\"}}", "ISO-8601"},
		{"{\"a\": {\"$code\": \"x\\u0000y\"}}", "NUL"},
		{"{\"a\": {\"$code\": \"x\", \"$code\": \"y\"}}", "unexpected key"},
		{"{\"a\": {\"$dbPointer\": {\"$ref\": \"a\\u0000b\", \"$id\": {\"$oid\": " OID "}}}}", "NUL"},
		{"{\"a\": {\"$binary\": {\"base64\": \"AA==\\u0000x\", \"subType\": \"00\"}}}", "base64"},
	};
	size_t		i;

	diag("rejected here, accepted by libbson (deliberate, see json.c)");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
	{
		size_t		len = strlen(cases[i].text);

		check_error_len(cases[i].text, len, NULL, ASP_ERR_SYNTAX, cases[i].msg,
						"rejected on purpose");
		if (!lib_accepts(cases[i].text, len))
			diag("  note: this libbson rejects it too");
	}
}

/* test_errors: malformed text */
static void
test_errors(void)
{
	static const struct
	{
		const char *text;
		size_t		len;		/* 0: strlen */
		const char *msg;
	}			cases[] = {
		{"", 0, "empty"},
		{"   \n ", 0, "empty"},
		{"\"x\"", 0, "expected '{' or '['"},
		{"1", 0, "expected '{' or '['"},
		{"null", 0, "expected '{' or '['"},
		{"\xef\xbb\xbf{}", 0, "expected '{' or '['"},
		{"{\"a\": 1} x", 0, "unexpected data after"},
		{"[] []", 0, "unexpected data after"},
		{"{\"a\": 1,}", 0, "expected a string key after ','"},
		{"{,}", 0, "expected a string key or '}'"},
		{"[1,]", 0, "expected a value"},
		{"[,1]", 0, "expected a value"},
		{"[1 2]", 0, "expected ',' or ']' after array element"},
		{"{\"a\": 1 \"b\": 2}", 0, "expected ',' or '}' after object member"},
		{"{\"a\" 1}", 0, "expected ':'"},
		{"{\"a\": }", 0, "expected a value"},
		{"{a: 1}", 0, "expected a string key or '}'"},
		{"{'a': 1}", 0, "expected a string key or '}'"},
		{"{\"a\": 'x'}", 0, "expected a value"},
		{"{\"a\": 01}", 0, "leading zeros"},
		{"{\"a\": 00}", 0, "leading zeros"},
		{"{\"a\": +1}", 0, "expected a value"},
		{"{\"a\": .5}", 0, "expected a value"},
		{"{\"a\": 1.}", 0, "decimal point"},
		{"{\"a\": 1.e5}", 0, "decimal point"},
		{"{\"a\": -}", 0, "expected a digit"},
		{"{\"a\": -x}", 0, "expected a digit"},
		{"{\"a\": 1e}", 0, "exponent"},
		{"{\"a\": 1e+}", 0, "exponent"},
		{"{\"a\": 1x}", 0, "expected ',' or '}'"},
		{"{\"a\": 0x10}", 0, "expected ',' or '}'"},
		{"{\"a\": 1e400}", 0, "out of range"},
		{"{\"a\": -1e400}", 0, "out of range"},
		{"{\"a\": 1", 0, "expected ',' or '}'"},
		{"{\"a\": tru}", 0, "expected a value"},
		{"{\"a\": True}", 0, "expected a value"},
		{"{\"a\": nul}", 0, "expected a value"},
		{"{\"a\": nulll}", 0, "expected ',' or '}'"},
		{"{\"a\": falsey}", 0, "expected ',' or '}'"},
		{"{\"a\": \"x}", 0, "unterminated string"},
		{"{\"a\": \"x\\", 0, "unterminated string"},
		{"{\"a\": \"\\x\"}", 0, "invalid escape"},
		{"{\"a\": \"\\U00e9\"}", 0, "invalid escape"},
		{"{\"a\": \"\\'\"}", 0, "invalid escape"},
		{"{\"a\": \"\\u12\"}", 0, "four hexadecimal digits"},
		{"{\"a\": \"\\u12\"", 0, "four hexadecimal digits"},
		{"{\"a\": \"\\uZZZZ\"}", 0, "four hexadecimal digits"},
		{"{\"a\": \"\\ud83d\"}", 0, "surrogate"},
		{"{\"a\": \"\\ude00\"}", 0, "surrogate"},
		{"{\"a\": \"\\ude00\\ud83d\"}", 0, "surrogate"},
		{"{\"a\": \"\\ud83dx\"}", 0, "surrogate"},
		{"{\"a\": \"\\ud83d\\u0041\"}", 0, "surrogate"},
		{"{\"a\": \"\\ud83d\\ud83d\"}", 0, "surrogate"},
		{"{\"a\": \"\\ud83d\\", 0, "surrogate"},
		{"{\"a\": \"\t\"}", 0, "control character"},
		{"{\"a\": \"\n\"}", 0, "control character"},
		{"{\"a\": \"\x7f\x01\"}", 0, "control character"},
		{"{\"a\": \"\x80\"}", 0, "invalid UTF-8"},
		{"{\"a\": \"\xbf\"}", 0, "invalid UTF-8"},
		{"{\"a\": \"\xc1\xbf\"}", 0, "invalid UTF-8"},
		{"{\"a\": \"\xc3\"}", 0, "invalid UTF-8"},
		{"{\"a\": \"\xc3", 0, "invalid UTF-8"},
		{"{\"a\": \"\xe0\x80\xaf\"}", 0, "invalid UTF-8"},
		{"{\"a\": \"\xe2\x82\"}", 0, "invalid UTF-8"},
		{"{\"a\": \"\xed\xa0\x80\"}", 0, "invalid UTF-8"},
		{"{\"a\": \"\xed\xbf\xbf\"}", 0, "invalid UTF-8"},
		{"{\"a\": \"\xf0\x80\x80\x80\"}", 0, "invalid UTF-8"},
		{"{\"a\": \"\xf0\x9f\x98\"}", 0, "invalid UTF-8"},
		{"{\"a\": \"\xf4\x90\x80\x80\"}", 0, "invalid UTF-8"},
		{"{\"a\": \"\xf5\x80\x80\x80\"}", 0, "invalid UTF-8"},
		{"{\"a\": \"\xff\"}", 0, "invalid UTF-8"},
		{"{\"\xff\": 1}", 0, "invalid UTF-8"},
		{"{\"a\": \"x\x00y\"}", 9, "control character"},
		{"{\"a\":\x00 1}", 8, "expected a value"},
		{"{\"a\": 1}\x00", 9, "unexpected data after"},
		{"{\"a\": \xff}", 0, "expected a value"},
		{"{\"\\u0000\": 1}", 0, "NUL"},
		{"{\"a\\u0000b\": 1}", 0, "NUL"},
		{"{\"a\": {\"b\\u0000\": 1}}", 0, "NUL"},
		{"[{\"x\": 1}, {\"\\u0000\": 2}]", 0, "NUL"},
		{"{\"a\": {\"$code\": \"x\", \"$scope\": {\"\\u0000\": 1}}}", 0, "NUL"},
		{"{\"a\": [}", 0, "expected a value"},
		{"{\"a\": [1}", 0, "expected ',' or ']'"},
		{"{\"a\": {]}", 0, "expected a string key or '}'"},
		{"[1}", 0, "expected ',' or ']'"},
		{"{\"a\": 1]", 0, "expected ',' or '}'"},
		{"}", 0, "expected '{' or '['"},
	};
	size_t		i;

	diag("malformed JSON");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_error_len(cases[i].text,
						cases[i].len ? cases[i].len : strlen(cases[i].text),
						NULL, ASP_ERR_SYNTAX, cases[i].msg, "syntax error");

	check_error("{\"a\": [1, 2", ASP_ERR_SYNTAX, "expected ',' or ']'", "unclosed array");

	/* the hint for NaN */
	{
		bson_t		a;
		asp_error	err;
		bool		arr;

		mine("[NaN]", 5, NULL, &a, &arr, &err);
		ok(strstr(err.hint, "$numberDouble") != NULL, "NaN gets a hint: %s", err.hint);
		bson_destroy(&a);
	}

	/* error locations */
	{
		const char *t = "{\n  \"a\": 1,\n  \"b\": x\n}";
		bson_t		a;
		asp_error	err;
		bool		arr;

		mine(t, strlen(t), NULL, &a, &arr, &err);
		ok(strcmp(err.message, "invalid JSON: expected a value (true, false, null, a number, a string, an object or an array)") == 0 &&
		   strcmp(err.detail, "at line 3, column 8 (byte offset 19)") == 0,
		   "error message and location: %s | %s", err.message, err.detail);
		bson_destroy(&a);

		t = "{\"\xc3\xa9\xc3\xa9\": 1 2}";
		mine(t, strlen(t), NULL, &a, &arr, &err);
		ok(strcmp(err.message, "invalid JSON: expected ',' or '}' after object member") == 0 &&
		   strcmp(err.detail, "at line 1, column 10 (byte offset 11)") == 0,
		   "columns count characters: %s | %s", err.message, err.detail);
		bson_destroy(&a);

		t = "{\"a\": {\"$oid\": \"xyz\"}}";
		mine(t, strlen(t), NULL, &a, &arr, &err);
		ok(err.code == ASP_ERR_SYNTAX &&
		   strcmp(err.message, "invalid extended JSON: $oid must be a string of 24 hexadecimal digits") == 0 &&
		   strcmp(err.detail, "at line 1, column 16 (byte offset 15)") == 0,
		   "extended JSON error: %s | %s", err.message, err.detail);
		bson_destroy(&a);
	}
}

/* test_ejson_errors: malformed Extended JSON (libbson rejects it too) */
static void
test_ejson_errors(void)
{
	static const char *const cases[] = {
		"{\"a\": {\"$oid\": \"0123456789abcdef0123456\"}}",
		"{\"a\": {\"$oid\": 1}}",
		"{\"a\": {\"$oid\": " OID ", \"x\": 1}}",
		"{\"a\": {\"$oid\": {}}}",
		"{\"a\": {\"$date\": \"2024-01-02T03:04:05\"}}",
		"{\"a\": {\"$date\": \"2024-01-02\"}}",
		"{\"a\": {\"$date\": \"2024-01-02 03:04:05Z\"}}",
		"{\"a\": {\"$date\": \"2024-13-01T00:00:00Z\"}}",
		"{\"a\": {\"$date\": \"2024-01-01T24:00:00Z\"}}",
		"{\"a\": {\"$date\": \"2024-01-01T23:60:00Z\"}}",
		"{\"a\": {\"$date\": \"2024-01-01T23:59:59+24:00\"}}",
		"{\"a\": {\"$date\": \"2024-01-01T23:59:59+1\"}}",
		"{\"a\": {\"$date\": \"2024-01-01t23:59:59z\"}}",
		"{\"a\": {\"$date\": \"+2024-01-01T00:00:00Z\"}}",
		"{\"a\": {\"$date\": \"10000-01-01T00:00:00Z\"}}",
		"{\"a\": {\"$date\": \"2024-01-01T00:00:00.Z\"}}",
		"{\"a\": {\"$date\": \"2024-01-01T00:00:00Zx\"}}",
		"{\"a\": {\"$date\": \"2024-1-1T0:0:0Z\"}}",
		"{\"a\": {\"$date\": 1.5}}",
		"{\"a\": {\"$date\": true}}",
		"{\"a\": {\"$date\": null}}",
		"{\"a\": {\"$date\": [1]}}",
		"{\"a\": {\"$date\": 9223372036854775808}}",
		"{\"a\": {\"$date\": {\"$numberLong\": \"x\"}}}",
		"{\"a\": {\"$date\": {\"$numberLong\": 1}}}",
		"{\"a\": {\"$date\": {\"$numberInt\": \"1\"}}}",
		"{\"a\": {\"$date\": {\"$numberLong\": \"1\"}, \"b\": 1}}",
		"{\"a\": {\"$numberInt\": \"2147483648\"}}",
		"{\"a\": {\"$numberInt\": \"1 \"}}",
		"{\"a\": {\"$numberInt\": \"\"}}",
		"{\"a\": {\"$numberInt\": \"-\"}}",
		"{\"a\": {\"$numberInt\": \"0x10\"}}",
		"{\"a\": {\"$numberInt\": 1}}",
		"{\"a\": {\"$numberLong\": \"9223372036854775808\"}}",
		"{\"a\": {\"$numberLong\": \"-9223372036854775809\"}}",
		"{\"a\": {\"$numberLong\": \"1.0\"}}",
		"{\"a\": {\"$numberLong\": \"1\", \"$numberInt\": \"2\"}}",
		"{\"a\": {\"$numberDouble\": \"1e400\"}}",
		"{\"a\": {\"$numberDouble\": \"-1e400\"}}",
		"{\"a\": {\"$numberDouble\": 1.5}}",
		"{\"a\": {\"$numberDecimal\": 1}}",
		"{\"a\": {\"$binary\": {\"base64\": \"AA==\", \"subType\": \"x\"}}}",
		"{\"a\": {\"$binary\": {\"base64\": \"AA==\"}}}",
		"{\"a\": {\"$binary\": {\"subType\": \"00\"}}}",
		"{\"a\": {\"$binary\": {}}}",
		"{\"a\": {\"$binary\": {\"base64\": \"AA\", \"subType\": \"00\"}}}",
		"{\"a\": {\"$binary\": {\"base64\": \"A\", \"subType\": \"00\"}}}",
		"{\"a\": {\"$binary\": {\"base64\": \"AA==AA==\", \"subType\": \"00\"}}}",
		"{\"a\": {\"$binary\": {\"base64\": \"AB==\", \"subType\": \"00\"}}}",
		"{\"a\": {\"$binary\": {\"base64\": \"AAB=\", \"subType\": \"00\"}}}",
		"{\"a\": {\"$binary\": {\"base64\": \"AA=\", \"subType\": \"00\"}}}",
		"{\"a\": {\"$binary\": {\"base64\": \"AAAA=\", \"subType\": \"00\"}}}",
		"{\"a\": {\"$binary\": {\"base64\": \"AA=A\", \"subType\": \"00\"}}}",
		"{\"a\": {\"$binary\": {\"base64\": \"=\", \"subType\": \"00\"}}}",
		"{\"a\": {\"$binary\": {\"base64\": \"A===\", \"subType\": \"00\"}}}",
		"{\"a\": {\"$binary\": {\"base64\": \"-_==\", \"subType\": \"00\"}}}",
		"{\"a\": {\"$binary\": {\"base64\": \"AA==\", \"subType\": \"00\", \"x\": 1}}}",
		"{\"a\": {\"$binary\": {\"base64\": \"AA==\", \"subType\": \"\"}}}",
		"{\"a\": {\"$binary\": {\"base64\": \"AA==\", \"subType\": \"00\"}, \"$type\": \"00\"}}",
		"{\"a\": {\"$binary\": {\"base64\": \"AA==\", \"subType\": \"00\"}, \"b\": 1}}",
		"{\"a\": {\"$binary\": \"AA==\"}}",
		"{\"a\": {\"$binary\": 1}}",
		"{\"a\": {\"$binary\": \"AA==\", \"$type\": \"\"}}",
		"{\"a\": {\"$uuid\": \"73ffd26444b34c6990e8e7d1dfc035d4\"}}",
		"{\"a\": {\"$uuid\": 1}}",
		"{\"a\": {\"$regularExpression\": {\"pattern\": \"x\"}}}",
		"{\"a\": {\"$regularExpression\": {\"options\": \"x\"}}}",
		"{\"a\": {\"$regularExpression\": {\"pattern\": \"x\", \"options\": \"i\"}, \"b\": 1}}",
		"{\"a\": {\"$regularExpression\": {\"pattern\": \"x\", \"options\": \"i\", \"x\": 1}}}",
		"{\"a\": {\"$regularExpression\": {\"pattern\": 1, \"options\": \"i\"}}}",
		"{\"a\": {\"$regularExpression\": {\"pattern\": \"x\\u0000\", \"options\": \"i\"}}}",
		"{\"a\": {\"$regularExpression\": \"x\"}}",
		"{\"a\": {\"$regex\": \"x\\u0000y\"}}",
		"{\"a\": {\"$regex\": \"x\", \"$options\": 1}}",
		"{\"a\": {\"$regex\": \"x\", \"$options\": \"i\", \"b\": 1}}",
		"{\"a\": {\"$regex\": \"x\", \"$oid\": " OID "}}",
		"{\"a\": {\"$timestamp\": {\"t\": -1, \"i\": 1}}}",
		"{\"a\": {\"$timestamp\": {\"t\": 1}}}",
		"{\"a\": {\"$timestamp\": {\"t\": 1, \"i\": 2, \"x\": 3}}}",
		"{\"a\": {\"$timestamp\": {\"t\": \"1\", \"i\": 2}}}",
		"{\"a\": {\"$timestamp\": {\"t\": 1.0, \"i\": 2}}}",
		"{\"a\": {\"$timestamp\": 1}}",
		"{\"a\": {\"$timestamp\": {\"t\": 1, \"i\": 2}, \"b\": 1}}",
		"{\"a\": {\"$scope\": {}}}",
		"{\"a\": {\"$code\": 1}}",
		"{\"a\": {\"$code\": \"x\", \"$scope\": 1}}",
		"{\"a\": {\"$code\": \"x\", \"$scope\": {\"b\": 1}, \"c\": 1}}",
		"{\"a\": {\"$code\": \"x\", \"c\": 1}}",
		"{\"a\": {\"$minKey\": 2}}",
		"{\"a\": {\"$minKey\": true}}",
		"{\"a\": {\"$minKey\": \"1\"}}",
		"{\"a\": {\"$minKey\": -1}}",
		"{\"a\": {\"$maxKey\": 0}}",
		"{\"a\": {\"$maxKey\": 1.0}}",
		"{\"a\": {\"$undefined\": 1}}",
		"{\"a\": {\"$symbol\": 1}}",
		"{\"a\": {\"$dbPointer\": {\"$ref\": \"db.c\"}}}",
		"{\"a\": {\"$dbPointer\": {\"$ref\": \"db.c\", \"$id\": \"x\"}}}",
		"{\"a\": {\"$dbPointer\": {\"$ref\": \"db.c\", \"$id\": {\"$oid\": " OID "}, \"x\": 1}}}",
		"{\"a\": {\"$dbPointer\": {}}}",
		"{\"a\": {\"$dbPointer\": \"x\"}}",
		"{\"a\": {\"$dbPointer\": {\"$ref\": \"db.c\", \"$id\": {\"$oid\": " OID "}}, \"b\": 1}}",
		"{\"a\": {\"$dbPointer\": {\"$ref\": 1, \"$id\": {\"$oid\": " OID "}}}}",
		"{\"a\": {\"$type\": 2, \"$binary\": \"AA==\"}}",
		"{\"a\": {\"$type\": \"00\", \"$binary\": 1}}",
		"{\"a\": {\"$type\": \"00\", \"$binary\": \"AA==\", \"b\": 1}}",
	};
	size_t		i;

	diag("malformed extended JSON (libbson rejects it as well)");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
	{
		size_t		len = strlen(cases[i]);

		/*
		 * {"$type": 2, ...} is a plain document here (a $type query
		 * operator) and an error in libbson
		 */
		if (strncmp(cases[i], "{\"a\": {\"$type\": 2,", 18) == 0)
		{
			bson_t		a;
			asp_error	err;
			bool		arr;

			ok(mine(cases[i], len, NULL, &a, &arr, &err) && !lib_accepts(cases[i], len),
			   "plain document here, error in libbson: %s", shown(cases[i], len));
			bson_destroy(&a);
			continue;
		}
		check_error_len(cases[i], len, NULL, ASP_ERR_SYNTAX, "invalid", "extended JSON error");
		if (lib_accepts(cases[i], len))
			diag("  note: libbson accepts this one");
	}
}

/* test_truncation: every proper prefix of valid texts is an error */
static void
test_truncation(void)
{
	size_t		i;

	diag("every truncation of valid texts fails cleanly");
	for (i = 0; i < sizeof(valid_corpus) / sizeof(valid_corpus[0]); i++)
	{
		const char *t = valid_corpus[i];
		size_t		len = strlen(t);
		size_t		k;
		int			bad = 0;

		while (len > 0 && strchr(" \t\r\n", t[len - 1]))
			len--;
		for (k = 0; k < len; k++)
		{
			bson_t		a;
			asp_error	err;
			bool		arr;

			if (mine(t, k, NULL, &a, &arr, &err) || err.code != ASP_ERR_SYNTAX ||
				err.detail[0] == '\0' || a.len != 5)
				bad++;
			bson_destroy(&a);
		}
		ok(bad == 0, "all %zu truncations rejected: %s", len, shown(t, len));
	}
}

/* test_depth: the nesting limit */
static void
test_depth(void)
{
	size_t		n = 1000000;
	char	   *s = malloc(n * 6 + 16);
	bson_t		a;
	asp_error	err;
	bool		arr;
	asp_json_opts opts;
	clock_t		c0;
	size_t		i,
				o;

	diag("nesting depth");

	memset(s, '[', 101);
	memset(s + 101, ']', 101);
	check_error_len(s, 202, NULL, ASP_ERR_LIMIT,
					"JSON nesting depth exceeds the limit of 100 levels",
					"101 nested arrays");
	mine(s, 202, NULL, &a, &arr, &err);
	ok(strcmp(err.detail, "at line 1, column 101 (byte offset 100)") == 0,
	   "depth error location: %s", err.detail);
	bson_destroy(&a);

	o = 0;
	for (i = 0; i < 1000; i++)
		o += (size_t) sprintf(s + o, "{\"a\":");
	o += (size_t) sprintf(s + o, "1");
	for (i = 0; i < 1000; i++)
		s[o++] = '}';
	check_error_len(s, o, NULL, ASP_ERR_LIMIT, "nesting depth", "1000 nested objects");

	/* with a 1000 limit the same text is fine (frames on the heap) */
	opts.max_depth = 1000;
	opts.max_doc_size = 0;
	ok(mine(s, o, &opts, &a, &arr, &err) && !arr && bson_validate(&a, 0, NULL),
	   "1000 nested objects with max_depth 1000");
	bson_destroy(&a);
	opts.max_depth = 999;
	check_error_len(s, o, &opts, ASP_ERR_LIMIT, "limit of 999 levels",
					"1000 nested objects with max_depth 999");

	memset(s, '[', n);
	c0 = clock();
	check_error_len(s, n, NULL, ASP_ERR_LIMIT, "nesting depth", "1,000,000 '['");
	ok((double) (clock() - c0) / CLOCKS_PER_SEC < 0.5, "1,000,000 '[' fails quickly");

	o = 0;
	for (i = 0; i < n; i++)
		o += (size_t) sprintf(s + o, "{\"a\":");
	check_error_len(s, o, NULL, ASP_ERR_LIMIT, "nesting depth", "1,000,000 '{\"a\":'");

	/* no practical limit: the frame stack grows with the input */
	opts.max_depth = INT32_MAX;
	memset(s, '[', 100000);
	memset(s + 100000, ']', 100000);
	{
		bool		r = mine(s, 200000, &opts, &a, &arr, &err) && arr;

		ok(r && a.len == 8 * 99999 + 5,
		   "100000 nested arrays with max_depth INT32_MAX (%u bytes of BSON)", a.len);
	}
	bson_destroy(&a);
	memset(s, '[', n);
	check_error_len(s, n, &opts, ASP_ERR_SYNTAX, "expected a value",
					"1,000,000 '[' with max_depth INT32_MAX");

	/* a small limit, counting Extended JSON objects as levels too */
	opts.max_depth = 3;
	opts.max_doc_size = 0;
	{
		const char *t3 = "{\"a\":{\"b\":{}}}";
		const char *toid = "{\"a\":{\"b\":{\"$oid\":" OID "}}}";

		ok(mine(t3, strlen(t3), &opts, &a, &arr, &err), "3 levels with max_depth 3");
		bson_destroy(&a);
		ok(mine(toid, strlen(toid), &opts, &a, &arr, &err), "$oid at level 3 with max_depth 3");
		bson_destroy(&a);
	}
	check_error_len("{\"a\":{\"b\":{\"c\":{}}}}", strlen("{\"a\":{\"b\":{\"c\":{}}}}"), &opts,
					ASP_ERR_LIMIT, "limit of 3 levels", "4 levels with max_depth 3");
	check_error_len("{\"a\":{\"b\":[[]]}}", strlen("{\"a\":{\"b\":[[]]}}"), &opts,
					ASP_ERR_LIMIT, "limit of 3 levels", "4 levels (arrays) with max_depth 3");
	check_error_len("{\"a\":{\"b\":{\"$date\":{\"$numberLong\":\"1\"}}}}",
					strlen("{\"a\":{\"b\":{\"$date\":{\"$numberLong\":\"1\"}}}}"), &opts,
					ASP_ERR_LIMIT, "limit of 3 levels", "$date's inner object is level 4");
	check_error_len("{\"a\":{\"$code\":\"x\",\"$scope\":{\"b\":{}}}}",
					strlen("{\"a\":{\"$code\":\"x\",\"$scope\":{\"b\":{}}}}"), &opts,
					ASP_ERR_LIMIT, "limit of 3 levels", "$scope nesting counts");
	free(s);
}

/* test_size_limit: max_doc_size */
static void
test_size_limit(void)
{
	asp_json_opts opts = {0, 0};
	bson_t		a;
	asp_error	err;
	bool		arr;
	const char *doc = "{\"a\": \"0123456789012345678901234567890123456789\", \"b\": [1, 2, 3]}";
	uint32_t	size;
	char	   *s;
	size_t		o,
				i;

	diag("document size limit");
	mine(doc, strlen(doc), NULL, &a, &arr, &err);
	size = a.len;
	bson_destroy(&a);

	opts.max_doc_size = size;
	ok(mine(doc, strlen(doc), &opts, &a, &arr, &err), "document of exactly max_doc_size (%u bytes)", size);
	bson_destroy(&a);
	opts.max_doc_size = size - 1;
	check_error_len(doc, strlen(doc), &opts, ASP_ERR_LIMIT,
					"document exceeds the maximum BSON size of", "one byte over max_doc_size");
	mine(doc, strlen(doc), &opts, &a, &arr, &err);
	{
		char		want[100];

		snprintf(want, sizeof(want), "document exceeds the maximum BSON size of %u bytes", size - 1);
		ok(strcmp(err.message, want) == 0, "size error message: %s", err.message);
	}
	bson_destroy(&a);

	/* arrays: each document is limited, not the array */
	s = malloc(1 << 20);
	o = (size_t) sprintf(s, "[");
	for (i = 0; i < 100; i++)
		o += (size_t) sprintf(s + o, "%s%s", i ? ", " : "", doc);
	o += (size_t) sprintf(s + o, "]");
	opts.max_doc_size = size;
	{
		bool		r = mine(s, o, &opts, &a, &arr, &err) && arr && a.len > 50 * size;

		ok(r, "array of 100 documents of max_doc_size each (array is %u bytes)", a.len);
	}
	bson_destroy(&a);
	opts.max_doc_size = size - 1;
	check_error_len(s, o, &opts, ASP_ERR_LIMIT, "maximum BSON size",
					"array element one byte over max_doc_size");
	mine(s, o, &opts, &a, &arr, &err);
	ok(strcmp(err.detail, "the document at index 0 of the array, which starts at line 1, column 2 (byte offset 1), is 82 bytes") == 0,
	   "size error names the element: %s", err.detail);
	bson_destroy(&a);

	/* only the 51st element is too big */
	o = (size_t) sprintf(s, "[");
	for (i = 0; i < 100; i++)
		o += (size_t) sprintf(s + o, "%s%s", i ? ", " : "",
							  i == 50 ? "{\"a\": \"0123456789012345678901234567890123456789x\", \"b\": [1, 2, 3]}" : doc);
	o += (size_t) sprintf(s + o, "]");
	opts.max_doc_size = size;
	mine(s, o, &opts, &a, &arr, &err);
	ok(err.code == ASP_ERR_LIMIT && strstr(err.detail, "index 50 of the array") != NULL &&
	   strstr(err.detail, "is 83 bytes") != NULL,
	   "oversized element 50 is reported: %s | %s", err.message, err.detail);
	bson_destroy(&a);

	/* non-document elements are not limited */
	o = (size_t) sprintf(s, "[\"");
	for (i = 0; i < 1000; i++)
		s[o++] = 'x';
	o += (size_t) sprintf(s + o, "\", [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18], {\"$binary\": {\"base64\": \"");
	for (i = 0; i < 100; i++)
		o += (size_t) sprintf(s + o, "AAAA");
	o += (size_t) sprintf(s + o, "\", \"subType\": \"00\"}}]");
	opts.max_doc_size = 64;
	ok(mine(s, o, &opts, &a, &arr, &err), "strings, arrays and binaries in an array are not limited: %s", err.message);
	bson_destroy(&a);

	/* a large document fails early */
	o = (size_t) sprintf(s, "{\"a\": [");
	for (i = 0; i < 100000; i++)
		o += (size_t) sprintf(s + o, "%s1", i ? "," : "");
	o += (size_t) sprintf(s + o, "]}");
	opts.max_doc_size = 1000;
	check_error_len(s, o, &opts, ASP_ERR_LIMIT, "maximum BSON size of 1000 bytes",
					"large document over the limit");
	mine(s, o, &opts, &a, &arr, &err);
	ok(strcmp(err.detail, "the document is larger") == 0,
	   "the size error is found before the end: %s", err.detail);
	bson_destroy(&a);
	o = (size_t) sprintf(s, "[{}, {\"a\": [");
	for (i = 0; i < 100000; i++)
		o += (size_t) sprintf(s + o, "%s1", i ? "," : "");
	o += (size_t) sprintf(s + o, "]}]");
	mine(s, o, &opts, &a, &arr, &err);
	ok(strcmp(err.detail, "the document at index 1 of the array, which starts at line 1, column 6 (byte offset 5), is larger") == 0,
	   "the size error in an array is found before the end: %s", err.detail);
	bson_destroy(&a);
	free(s);
}

/* test_api: the entry points */
static void
test_api(void)
{
	bson_t		a,
				parent;
	asp_error	err;
	bool		arr = true;
	bson_iter_t it;

	diag("API");
	bson_init(&a);
	ok(asp_json_to_bson("{\"x\": 1}", 8, NULL, &a, &arr, &err) && !arr && err.code == ASP_OK,
	   "object: is_array false");
	bson_destroy(&a);
	bson_init(&a);
	ok(asp_json_to_bson("[1]", 3, NULL, &a, &arr, &err) && arr, "array: is_array true");
	bson_destroy(&a);
	bson_init(&a);
	ok(asp_json_to_bson("{}", 2, NULL, &a, NULL, NULL), "NULL is_array and NULL err");
	bson_destroy(&a);
	bson_init(&a);
	ok(!asp_json_to_bson("{", 1, NULL, &a, NULL, NULL) && a.len == 5, "failure with NULL err leaves out empty");
	bson_destroy(&a);
	bson_init(&a);
	ok(!asp_json_to_bson(NULL, 0, NULL, &a, NULL, &err) && err.code == ASP_ERR_SYNTAX, "NULL text");
	bson_destroy(&a);

	/* the text is taken only up to len */
	bson_init(&a);
	ok(asp_json_to_bson("{\"x\": 1}garbage", 8, NULL, &a, &arr, &err) &&
	   bson_iter_init_find(&it, &a, "x") && bson_iter_int32(&it) == 1,
	   "bytes after len are ignored");
	bson_destroy(&a);

	bson_init(&parent);
	BSON_APPEND_INT32(&parent, "before", 1);
	ok(asp_json_append(&parent, "doc", -1, "{\"y\": {\"$numberLong\": \"5\"}}", 27, NULL, &err) &&
	   asp_json_append(&parent, "arr", 3, "[1, 2]", 6, NULL, &err) &&
	   !asp_json_append(&parent, "bad", -1, "[1, ", 4, NULL, &err) &&
	   bson_iter_init_find(&it, &parent, "doc") && BSON_ITER_HOLDS_DOCUMENT(&it) &&
	   bson_iter_init_find(&it, &parent, "arr") && BSON_ITER_HOLDS_ARRAY(&it) &&
	   !bson_iter_init_find(&it, &parent, "bad") && bson_validate(&parent, 0, NULL),
	   "asp_json_append adds documents and arrays");
	{
		bson_t	   *expected = BCON_NEW("before", BCON_INT32(1),
										"doc", "{", "y", BCON_INT64(5), "}",
										"arr", "[", BCON_INT32(1), BCON_INT32(2), "]");

		ok(same_bson(&parent, expected), "asp_json_append output");
		bson_destroy(expected);
	}
	bson_destroy(&parent);
}

/* test_mutations: random mutations of valid texts */
static void
test_mutations(void)
{
	static const char pool[] = "{}[]:,\"\\ 0123456789-+.eEtrufalsn$ubxI\x01\x7f\x80\xc3\xa9\xff";
	static const char *const tokens[] = {
		"\"$oid\"", "\"$date\"", "\"$regex\"", "\"$options\"", "\"$type\"", "\"$binary\"",
		"\"$code\"", "\"$scope\"", "\"$numberLong\"", "\"$numberInt\"", "\"$numberDouble\"",
		"\"$numberDecimal\"", "\"$timestamp\"", "\"$minKey\"", "\"$undefined\"", "\"$uuid\"",
		"\"$dbPointer\"", "\"$symbol\"", "\"$regularExpression\"", "\\u0000", "\\ud83d",
		"{", "}", "[", "]", "1e400", "-0", "null", "true", "\"\"", ",", ":", "{\"a\":1}",
		"9223372036854775808", "\"00\"", "\"AA==\"", OID,
	};
	uint64_t	x = 0x9E3779B97F4A7C15ULL;
	size_t		ncorpus = sizeof(valid_corpus) / sizeof(valid_corpus[0]);
	int			iter,
				both = 0,
				wrapped = 0,
				only_lib = 0,
				only_ours = 0,
				neither = 0,
				mismatch = 0,
				bad_err = 0;
	char		buf[4096];
	bool		verbose = getenv("TEST_JSON_VERBOSE") != NULL;

#define NEXT() rnd(&x)
	diag("random mutations");
	for (iter = 0; iter < 20000; iter++)
	{
		const char *src = valid_corpus[NEXT() % ncorpus];
		size_t		len = strlen(src);
		int			nmut = 1 + (int) (NEXT() % 3);
		int			m;
		bson_t		a,
					b;
		bson_error_t berr;
		asp_error	err;
		bool		arr,
					okm,
					okl;

		if (len >= sizeof(buf) / 2)
			continue;
		memcpy(buf, src, len);
		for (m = 0; m < nmut; m++)
		{
			size_t		pos = len ? NEXT() % (len + 1) : 0;

			switch (NEXT() % 6)
			{
				case 0:			/* replace a byte */
					if (pos < len)
						buf[pos] = pool[NEXT() % (sizeof(pool) - 1)];
					break;
				case 1:			/* delete a byte */
					if (pos < len)
					{
						memmove(buf + pos, buf + pos + 1, len - pos - 1);
						len--;
					}
					break;
				case 2:			/* insert a byte */
					if (len + 1 < sizeof(buf) / 2)
					{
						memmove(buf + pos + 1, buf + pos, len - pos);
						buf[pos] = pool[NEXT() % (sizeof(pool) - 1)];
						len++;
					}
					break;
				case 3:			/* insert a token */
					{
						const char *t = tokens[NEXT() % (sizeof(tokens) / sizeof(tokens[0]))];
						size_t		tl = strlen(t);

						if (len + tl < sizeof(buf) / 2)
						{
							memmove(buf + pos + tl, buf + pos, len - pos);
							memcpy(buf + pos, t, tl);
							len += tl;
						}
						break;
					}
				case 4:			/* duplicate a span */
					{
						size_t		span = 1 + NEXT() % 12;

						if (pos + span <= len && len + span < sizeof(buf) / 2)
						{
							memmove(buf + pos + span, buf + pos, len - pos);
							len += span;
						}
						break;
					}
				default:		/* truncate */
					len = pos;
					break;
			}
		}

		okm = mine(buf, len, NULL, &a, &arr, &err);
		okl = lib(buf, len, &b, &berr);
		if (!okm && (err.code != ASP_ERR_SYNTAX && err.code != ASP_ERR_LIMIT))
			bad_err++;
		if (!okm && (err.message[0] == '\0' || err.detail[0] == '\0'))
			bad_err++;
		if (okm && !bson_validate(&a, BSON_VALIDATE_NONE, NULL))
			bad_err++;
		if (okm && okl)
		{
			both++;
			if (!same_bson(&a, &b) && same_as_lib_fixed(buf, len, &a))
				wrapped++;		/* libbson's integer wraparound, see above */
			else if (!same_bson(&a, &b))
			{
				mismatch++;
				if (mismatch <= 10)
				{
					diag("  mismatch on %s", shown(buf, len));
					show_bson("ours", &a);
					show_bson("libbson", &b);
				}
			}
		}
		else if (okl)
		{
			only_lib++;
			if (verbose)
				diag("  only libbson accepts %s (ours: %s)", shown(buf, len), err.message);
		}
		else if (okm)
		{
			only_ours++;
			if (verbose)
				diag("  only ours accepts %s (libbson: %s)", shown(buf, len), berr.message);
		}
		else
			neither++;
		bson_destroy(&a);
		if (okl)
			bson_destroy(&b);
	}
	diag("  both accepted %d (%d differ only by libbson's integer wraparound), only libbson %d, only ours %d, neither %d",
		 both, wrapped, only_lib, only_ours, neither);
	ok(mismatch == 0, "20000 mutations: identical output whenever both accept (%d mismatches)", mismatch);
	ok(bad_err == 0, "20000 mutations: every failure is a located syntax/limit error, every success valid BSON");
#undef NEXT
}

/* main: run everything, print the plan, exit non-zero on failure */
int
main(void)
{
	guard_init();
	test_corpus();
	test_big();
	test_numbers_random();
	test_extensions();
	test_stricter();
	test_errors();
	test_ejson_errors();
	test_truncation();
	test_depth();
	test_size_limit();
	test_api();
	test_mutations();
	printf("1..%d\n", n_tests);
	if (n_failed)
		diag("%d of %d tests failed", n_failed, n_tests);
	return n_failed ? 1 : 0;
}
