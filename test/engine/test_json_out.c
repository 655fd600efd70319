/*-------------------------------------------------------------------------
 *
 * test_json_out.c
 *	  Tests for asp_bson_to_json(), the BSON -> relaxed Extended JSON writer.
 *
 * Build and run from the repository root:
 *
 *	 gcc -std=gnu11 -O2 -g -Wall -Wextra -Werror $(pkg-config --cflags libbson-1.0) \
 *		 -Isrc/engine -o /tmp/test_json_out test/engine/test_json_out.c \
 *		 src/engine/json_out.c src/engine/error.c \
 *		 $(pkg-config --libs libbson-1.0) -lm
 *	 /tmp/test_json_out
 *
 * Set ASP_TEST_NO_BENCH=1 to skip the timing comparison with libbson
 * (useful under valgrind).
 *
 *-------------------------------------------------------------------------
 */
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bson/bson.h>

#include "json_out.h"
#include "tap.h"

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

/* rnd: xorshift64* pseudo random numbers (reproducible) */
static uint64_t
rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1DULL;
}

/* to_json: our text of b (malloc'd), or NULL on failure */
static char *
to_json(const bson_t *b, bool is_array)
{
	asp_strbuf	sb;
	char	   *r;

	asp_strbuf_init(&sb);
	if (!asp_bson_to_json(bson_get_data(b), b->len, is_array, &sb))
	{
		asp_strbuf_free(&sb);
		return NULL;
	}
	r = strdup(sb.data);
	asp_strbuf_free(&sb);
	return r;
}

/* check_json: b renders exactly as expected */
static void
check_json(const bson_t *b, const char *expected, const char *name)
{
	char	   *got = to_json(b, false);

	if (!ok(got != NULL && strcmp(got, expected) == 0, "%s", name))
	{
		diag("expected: %s", expected);
		diag("got:      %s", got ? got : "(failure)");
	}
	free(got);
}

/* same_bytes: the JSON text of b parses back (libbson) to identical bytes */
static bool
same_bytes(const bson_t *b, bool verbose)
{
	char	   *json = to_json(b, false);
	bson_error_t error;
	bson_t	   *back;
	bool		same;

	if (json == NULL)
		return false;
	back = bson_new_from_json((const uint8_t *) json, -1, &error);
	same = back != NULL && back->len == b->len &&
		memcmp(bson_get_data(back), bson_get_data(b), b->len) == 0;
	if (!same && verbose)
	{
		diag("json: %s", json);
		if (back == NULL)
			diag("libbson: %s", error.message);
	}
	if (back)
		bson_destroy(back);
	free(json);
	return same;
}

/* check_double: the text of {"v": d} */
static void
check_double(double d, const char *expected_value)
{
	bson_t		b = BSON_INITIALIZER;
	char		expected[128];

	bson_append_double(&b, "v", 1, d);
	snprintf(expected, sizeof(expected), "{\"v\": %s}", expected_value);
	check_json(&b, expected, expected_value);
	bson_destroy(&b);
}

/* check_date: the text of {"d": <date ms>} */
static void
check_date(int64_t ms, const char *expected_value)
{
	bson_t		b = BSON_INITIALIZER;
	char		expected[128];
	char		name[160];

	bson_append_date_time(&b, "d", 1, ms);
	snprintf(expected, sizeof(expected), "{\"d\": %s}", expected_value);
	snprintf(name, sizeof(name), "date %" PRId64 " -> %s", ms, expected_value);
	check_json(&b, expected, name);
	ok(same_bytes(&b, true), "date %" PRId64 " round trips through libbson", ms);
	bson_destroy(&b);
}

/* test_types: every BSON type */
static void
test_types(void)
{
	bson_t		b = BSON_INITIALIZER;
	bson_t		child;
	bson_t		scope = BSON_INITIALIZER;
	bson_oid_t	oid;
	bson_decimal128_t dec;
	const uint8_t bin[] = {0x00, 0x01, 0x02, 0xfe, 0xff};

	bson_oid_init_from_string(&oid, "5f1b2c3d4e5f60718293a4b5");

	bson_append_int32(&b, "i32", -1, -42);
	check_json(&b, "{\"i32\": -42}", "int32");
	bson_reinit(&b);
	bson_append_int32(&b, "a", -1, INT32_MIN);
	bson_append_int32(&b, "b", -1, INT32_MAX);
	check_json(&b, "{\"a\": -2147483648, \"b\": 2147483647}", "int32 limits");
	bson_reinit(&b);
	bson_append_int64(&b, "a", -1, INT64_MIN);
	bson_append_int64(&b, "b", -1, INT64_MAX);
	bson_append_int64(&b, "c", -1, 0);
	check_json(&b, "{\"a\": -9223372036854775808, \"b\": 9223372036854775807, \"c\": 0}",
			   "int64 as plain numbers");
	bson_reinit(&b);
	bson_append_utf8(&b, "s", -1, "hello", -1);
	check_json(&b, "{\"s\": \"hello\"}", "string");
	bson_reinit(&b);
	bson_append_bool(&b, "t", -1, true);
	bson_append_bool(&b, "f", -1, false);
	bson_append_null(&b, "n", -1);
	check_json(&b, "{\"t\": true, \"f\": false, \"n\": null}", "bool and null");
	bson_reinit(&b);
	bson_append_oid(&b, "_id", -1, &oid);
	check_json(&b, "{\"_id\": {\"$oid\": \"5f1b2c3d4e5f60718293a4b5\"}}", "objectid");
	bson_reinit(&b);
	bson_decimal128_from_string("1.2345E-10", &dec);
	bson_append_decimal128(&b, "d", -1, &dec);
	bson_decimal128_from_string("-Infinity", &dec);
	bson_append_decimal128(&b, "e", -1, &dec);
	check_json(&b, "{\"d\": {\"$numberDecimal\": \"1.2345E-10\"}, \"e\": {\"$numberDecimal\": \"-Infinity\"}}",
			   "decimal128");
	bson_reinit(&b);
	bson_append_binary(&b, "b", -1, BSON_SUBTYPE_BINARY, bin, 5);
	bson_append_binary(&b, "u", -1, BSON_SUBTYPE_UUID, bin, 4);
	bson_append_binary(&b, "e", -1, BSON_SUBTYPE_USER, bin, 0);
	bson_append_binary(&b, "o", -1, BSON_SUBTYPE_BINARY_DEPRECATED, bin, 3);
	check_json(&b, "{\"b\": {\"$binary\": {\"base64\": \"AAEC/v8=\", \"subType\": \"00\"}}, "
			   "\"u\": {\"$binary\": {\"base64\": \"AAEC/g==\", \"subType\": \"04\"}}, "
			   "\"e\": {\"$binary\": {\"base64\": \"\", \"subType\": \"80\"}}, "
			   "\"o\": {\"$binary\": {\"base64\": \"AAEC\", \"subType\": \"02\"}}}",
			   "binary (padding, subtypes, empty, old binary)");
	ok(same_bytes(&b, true), "binary round trips through libbson");
	bson_reinit(&b);
	bson_append_regex(&b, "r", -1, "^a\"b\\d+$", "imx");
	check_json(&b, "{\"r\": {\"$regularExpression\": {\"pattern\": \"^a\\\"b\\\\d+$\", \"options\": \"imx\"}}}",
			   "regex");
	bson_reinit(&b);
	bson_append_timestamp(&b, "ts", -1, UINT32_MAX, 7);
	check_json(&b, "{\"ts\": {\"$timestamp\": {\"t\": 4294967295, \"i\": 7}}}", "timestamp");
	bson_reinit(&b);
	bson_append_minkey(&b, "lo", -1);
	bson_append_maxkey(&b, "hi", -1);
	bson_append_undefined(&b, "u", -1);
	check_json(&b, "{\"lo\": {\"$minKey\": 1}, \"hi\": {\"$maxKey\": 1}, \"u\": {\"$undefined\": true}}",
			   "minKey, maxKey, undefined");
	bson_reinit(&b);
	bson_append_symbol(&b, "sym", -1, "abc", -1);
	bson_append_code(&b, "code", -1, "function() { return \"x\"; }");
	check_json(&b, "{\"sym\": {\"$symbol\": \"abc\"}, \"code\": {\"$code\": \"function() { return \\\"x\\\"; }\"}}",
			   "symbol and code");
	bson_reinit(&b);
	BSON_APPEND_INT32(&scope, "x", 1);
	BSON_APPEND_UTF8(&scope, "y", "z");
	bson_append_code_with_scope(&b, "cws", -1, "x + 1", &scope);
	bson_append_int32(&b, "after", -1, 2);
	check_json(&b, "{\"cws\": {\"$code\": \"x + 1\", \"$scope\": {\"x\": 1, \"y\": \"z\"}}, \"after\": 2}",
			   "code with scope");
	ok(same_bytes(&b, true), "code with scope round trips through libbson");
	bson_reinit(&b);
	bson_append_dbpointer(&b, "p", -1, "db.coll", &oid);
	check_json(&b, "{\"p\": {\"$dbPointer\": {\"$ref\": \"db.coll\", \"$id\": {\"$oid\": \"5f1b2c3d4e5f60718293a4b5\"}}}}",
			   "dbPointer");
	ok(same_bytes(&b, true), "dbPointer round trips through libbson");
	bson_reinit(&b);
	bson_append_date_time(&b, "d", -1, 1704067200123);
	check_json(&b, "{\"d\": {\"$date\": \"2024-01-01T00:00:00.123Z\"}}", "date");
	bson_reinit(&b);
	check_json(&b, "{}", "empty document");
	bson_append_document_begin(&b, "o", -1, &child);
	bson_append_document_end(&b, &child);
	bson_append_array_begin(&b, "a", -1, &child);
	bson_append_array_end(&b, &child);
	check_json(&b, "{\"o\": {}, \"a\": []}", "empty nested document and array");
	bson_reinit(&b);
	bson_append_array_begin(&b, "a", -1, &child);
	BSON_APPEND_INT32(&child, "0", 1);
	BSON_APPEND_INT32(&child, "1", 2);
	bson_append_array_end(&b, &child);
	bson_append_document_begin(&b, "c", -1, &child);
	BSON_APPEND_UTF8(&child, "d", "x");
	bson_append_document_end(&b, &child);
	check_json(&b, "{\"a\": [1, 2], \"c\": {\"d\": \"x\"}}", "nested document and array");
	bson_destroy(&scope);
	bson_destroy(&b);
}

/* test_top_level_array: is_array renders [...] and ignores keys */
static void
test_top_level_array(void)
{
	bson_t		b = BSON_INITIALIZER;
	char	   *got;

	got = to_json(&b, true);
	ok(got != NULL && strcmp(got, "[]") == 0, "empty top-level array");
	free(got);
	BSON_APPEND_INT32(&b, "0", 1);
	BSON_APPEND_UTF8(&b, "1", "two");
	BSON_APPEND_DOUBLE(&b, "x", 3.5);
	got = to_json(&b, true);
	ok(got != NULL && strcmp(got, "[1, \"two\", 3.5]") == 0, "top-level array");
	free(got);
	bson_destroy(&b);
}

/* test_doubles: fixed double cases */
static void
test_doubles(void)
{
	check_double(0.1, "0.1");
	check_double(1.0, "1.0");
	check_double(5.0, "5.0");
	check_double(-3.0, "-3.0");
	check_double(0.0, "0.0");
	check_double(-0.0, "-0.0");
	check_double(1e21, "1e+21");
	check_double(1e15, "1e+15");
	check_double(123456789012345.0, "123456789012345.0");
	check_double(1e-7, "1e-7");
	check_double(1.5e-300, "1.5e-300");
	check_double(5e-324, "5e-324");
	check_double(2.2250738585072014e-308, "2.2250738585072014e-308");
	check_double(1.7976931348623157e308, "1.7976931348623157e+308");
	check_double(230.65, "230.65");
	check_double(2.0 / 3.0, "0.6666666666666666");
	check_double(0.1 + 0.2, "0.30000000000000004");
	check_double(-1.25, "-1.25");
	check_double(9007199254740993.0, "9007199254740992.0");
	check_double(NAN, "{\"$numberDouble\": \"NaN\"}");
	check_double(INFINITY, "{\"$numberDouble\": \"Infinity\"}");
	check_double(-INFINITY, "{\"$numberDouble\": \"-Infinity\"}");
}

/* shortest_len: length of the shortest %.Ng text that reads back to d */
static size_t
shortest_len(double d)
{
	char		buf[64];
	int			i;

	for (i = 1; i <= 17; i++)
	{
		snprintf(buf, sizeof(buf), "%.*g", i, d);
		if (strtod(buf, NULL) == d)
			break;
	}
	return (size_t) i;
}

/*
 * digits_of: significant digits in a number text (leading and trailing
 * zeros of the mantissa are not significant: "100.0" has 1, "0.05" has 1)
 */
static size_t
digits_of(const char *s)
{
	char		dig[64];
	size_t		n = 0;
	size_t		first = 0;

	for (; *s && *s != 'e' && *s != '}' && n < sizeof(dig); s++)
		if (*s >= '0' && *s <= '9')
			dig[n++] = *s;
	while (first < n && dig[first] == '0')
		first++;
	while (n > first && dig[n - 1] == '0')
		n--;
	return n - first;
}

/* test_random_doubles: 100,000 random doubles read back bit for bit */
static void
test_random_doubles(void)
{
	int			bad = 0;
	int			not_shortest = 0;
	int			i;
	asp_strbuf	sb;

	asp_strbuf_init(&sb);
	for (i = 0; i < 100000; i++)
	{
		bson_t		b = BSON_INITIALIZER;
		uint64_t	bits = rnd();
		double		d;
		double		back;
		const char *text;
		size_t		digits;

		if (i % 4 == 0)
			d = (double) (int64_t) (rnd() % 2000000) / 100.0;	/* "money" */
		else if (i % 4 == 1)
			d = (double) rnd() / (double) UINT64_MAX;
		else
		{
			memcpy(&d, &bits, sizeof(d));
			if (!isfinite(d))
				continue;
		}
		bson_append_double(&b, "v", 1, d);
		asp_strbuf_reset(&sb);
		if (!asp_bson_to_json(bson_get_data(&b), b.len, false, &sb) ||
			strncmp(sb.data, "{\"v\": ", 6) != 0)
		{
			bad++;
			bson_destroy(&b);
			continue;
		}
		text = sb.data + 6;
		back = strtod(text, NULL);
		if (memcmp(&back, &d, sizeof(d)) != 0)
		{
			if (bad++ < 5)
				diag("%.17g printed as %s", d, text);
		}
		digits = digits_of(text);
		if (digits > shortest_len(d) && d != 0)
		{
			if (not_shortest++ < 5)
				diag("%.17g printed as %s, shortest has %zu digits",
					 d, text, shortest_len(d));
		}
		bson_destroy(&b);
	}
	asp_strbuf_free(&sb);
	ok(bad == 0, "100,000 random doubles read back bit for bit (%d bad)", bad);
	ok(not_shortest == 0, "random doubles use the fewest digits (%d longer)",
	   not_shortest);
}

/* test_dates: ISO range, its edges, and $numberLong outside it */
static void
test_dates(void)
{
	int			i;
	int			bad = 0;

	check_date(0, "{\"$date\": \"1970-01-01T00:00:00Z\"}");
	check_date(1, "{\"$date\": \"1970-01-01T00:00:00.001Z\"}");
	check_date(1704067200000, "{\"$date\": \"2024-01-01T00:00:00Z\"}");
	check_date(1704067200123, "{\"$date\": \"2024-01-01T00:00:00.123Z\"}");
	check_date(951782400000, "{\"$date\": \"2000-02-29T00:00:00Z\"}");
	check_date(4107542399990, "{\"$date\": \"2100-02-28T23:59:59.990Z\"}");
	check_date(253402300799999, "{\"$date\": \"9999-12-31T23:59:59.999Z\"}");
	check_date(253402300800000, "{\"$date\": {\"$numberLong\": \"253402300800000\"}}");
	check_date(-1, "{\"$date\": {\"$numberLong\": \"-1\"}}");
	check_date(-62135596800000, "{\"$date\": {\"$numberLong\": \"-62135596800000\"}}");
	check_date(INT64_MIN, "{\"$date\": {\"$numberLong\": \"-9223372036854775808\"}}");
	check_date(INT64_MAX, "{\"$date\": {\"$numberLong\": \"9223372036854775807\"}}");

	/* compare the calendar arithmetic with gmtime_r on random instants */
	for (i = 0; i < 20000; i++)
	{
		int64_t		ms = (int64_t) (rnd() % (uint64_t) 253402300800000);
		time_t		secs = (time_t) (ms / 1000);
		struct tm	tm;
		char		expected[96];
		char	   *got;
		bson_t		b = BSON_INITIALIZER;

		if (i % 2 == 0)
			ms -= ms % 1000;
		gmtime_r(&secs, &tm);
		if (ms % 1000 == 0)
			snprintf(expected, sizeof(expected),
					 "{\"d\": {\"$date\": \"%04d-%02d-%02dT%02d:%02d:%02dZ\"}}",
					 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
					 tm.tm_hour, tm.tm_min, tm.tm_sec);
		else
			snprintf(expected, sizeof(expected),
					 "{\"d\": {\"$date\": \"%04d-%02d-%02dT%02d:%02d:%02d.%03dZ\"}}",
					 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
					 tm.tm_hour, tm.tm_min, tm.tm_sec, (int) (ms % 1000));
		bson_append_date_time(&b, "d", 1, ms);
		got = to_json(&b, false);
		if (got == NULL || strcmp(got, expected) != 0)
		{
			if (bad++ < 5)
				diag("ms %" PRId64 ": expected %s got %s", ms, expected,
					 got ? got : "(failure)");
		}
		free(got);
		bson_destroy(&b);
	}
	ok(bad == 0, "20,000 random dates match gmtime_r (%d bad)", bad);
}

/* test_escapes: strings and keys */
static void
test_escapes(void)
{
	bson_t		b = BSON_INITIALIZER;
	const char	s[] = "q\"b\\s/\b\f\n\r\t\x01\x1f\x7f\xc3\xa9\xe2\x82\xac\0end";

	bson_append_utf8(&b, "k\"\n\x02\xc3\xa9", -1, s, (int) sizeof(s) - 1);
	check_json(&b, "{\"k\\\"\\n\\u0002\xc3\xa9\": \"q\\\"b\\\\s/\\b\\f\\n\\r\\t\\u0001\\u001f\x7f\xc3\xa9\xe2\x82\xac\\u0000end\"}",
			   "escapes in keys and strings (DEL, UTF-8 raw, NUL as \\u0000)");
	ok(same_bytes(&b, true), "escaped strings round trip through libbson");
	bson_reinit(&b);
	bson_append_utf8(&b, "", 0, "", 0);
	check_json(&b, "{\"\": \"\"}", "empty key and string");
	bson_destroy(&b);
}

/* cat: append a C string to an asp_strbuf (test helper) */
static void
cat(asp_strbuf *sb, const char *s)
{
	size_t		n = strlen(s);

	if (!asp_strbuf_reserve(sb, n))
		abort();
	memcpy(sb->data + sb->len, s, n + 1);
	sb->len += n;
}

/* build_nested: nest depth levels (alternating arrays and documents) */
static void
build_nested(bson_t *parent, int depth, asp_strbuf *expected, bool in_array)
{
	bson_t		child;
	bool		arr = (depth % 2 == 0);
	const char *key = in_array ? "0" : "k";

	if (depth == 0)
	{
		BSON_APPEND_INT32(parent, in_array ? "0" : "leaf", 7);
		cat(expected, in_array ? "7" : "\"leaf\": 7");
		return;
	}
	if (!in_array)
		cat(expected, "\"k\": ");
	cat(expected, arr ? "[" : "{");
	if (arr)
		bson_append_array_begin(parent, key, -1, &child);
	else
		bson_append_document_begin(parent, key, -1, &child);
	build_nested(&child, depth - 1, expected, arr);
	if (arr)
		bson_append_array_end(parent, &child);
	else
		bson_append_document_end(parent, &child);
	cat(expected, arr ? "]" : "}");
}

/* test_nesting: 200 levels through libbson, 100,000 levels of raw BSON */
static void
test_nesting(void)
{
	bson_t		b = BSON_INITIALIZER;
	asp_strbuf	expected;
	asp_strbuf	out;
	uint8_t    *raw;
	size_t		depth = 100000;
	size_t		size = 5 + depth * 8;
	size_t		i;
	bool		good;

	asp_strbuf_init(&expected);
	cat(&expected, "{");
	build_nested(&b, 200, &expected, false);
	cat(&expected, "}");
	check_json(&b, expected.data, "200 levels of nested arrays and documents");
	asp_strbuf_free(&expected);
	bson_destroy(&b);

	/* libbson's JSON reader stops at 100 levels: round trip 90 */
	bson_init(&b);
	asp_strbuf_init(&expected);
	cat(&expected, "{");
	build_nested(&b, 90, &expected, false);
	ok(same_bytes(&b, true), "90 levels round trip through libbson");
	asp_strbuf_free(&expected);
	bson_destroy(&b);

	/* {"a": {"a": ... {} ...}}: each level is len(4) type(1) "a\0"(2) ... NUL(1) */
	raw = malloc(size);
	for (i = 0; i <= depth; i++)
	{
		uint8_t    *p = raw + i * 7;
		uint32_t	l = (uint32_t) (size - i * 8);

		memcpy(p, &l, 4);		/* little endian hosts only; fine for tests */
		if (i < depth)
		{
			p[4] = 0x03;
			p[5] = 'a';
			p[6] = 0;
		}
		else
			p[4] = 0;
		raw[size - 1 - i] = 0;
	}
	asp_strbuf_init(&out);
	good = asp_bson_to_json(raw, (uint32_t) size, false, &out);
	ok(good && out.len == depth * 7 + 2 &&
	   strncmp(out.data, "{\"a\": {\"a\": {", 13) == 0 &&
	   out.data[out.len - 1] == '}' && out.data[depth * 6 + 1] == '}',
	   "100,000 levels of nesting without recursion");
	asp_strbuf_free(&out);
	free(raw);
}

/* add_random_value: append one random value of a type libbson reads back identically */
static void
add_random_value(bson_t *b, const char *key, int depth)
{
	bson_t		child;
	bson_oid_t	oid;
	bson_decimal128_t dec;
	uint8_t		bin[40];
	char		str[48];
	int			n;
	int			j;
	int			kind = (int) (rnd() % (depth < 3 ? 17 : 15));

	switch (kind)
	{
		case 0:
			bson_append_int32(b, key, -1, (int32_t) rnd());
			break;
		case 1:
			/* small int64s read back as int32: keep them out of range */
			bson_append_int64(b, key, -1, (int64_t) (rnd() | 0x100000000ULL));
			break;
		case 2:
			{
				double		d;
				uint64_t	bits = rnd();

				memcpy(&d, &bits, sizeof(d));
				if (!isfinite(d) || d == 0)
					d = (double) (int64_t) (rnd() % 100000) / 100.0;
				bson_append_double(b, key, -1, d);
				break;
			}
		case 3:
			n = (int) (rnd() % 40);
			for (j = 0; j < n; j++)
				str[j] = (char) (1 + rnd() % 127);
			bson_append_utf8(b, key, -1, str, n);
			break;
		case 4:
			bson_append_bool(b, key, -1, rnd() & 1);
			break;
		case 5:
			bson_append_null(b, key, -1);
			break;
		case 6:
			bson_append_date_time(b, key, -1,
								  (int64_t) (rnd() % 600000000000000ULL) - 300000000000000LL);
			break;
		case 7:
			bson_oid_init(&oid, NULL);
			bson_append_oid(b, key, -1, &oid);
			break;
		case 8:
			snprintf(str, sizeof(str), "%" PRId64 ".%03dE%d", (int64_t) rnd(),
					 (int) (rnd() % 1000), (int) (rnd() % 200) - 100);
			bson_decimal128_from_string(str, &dec);
			bson_append_decimal128(b, key, -1, &dec);
			break;
		case 9:
			n = (int) (rnd() % 40);
			for (j = 0; j < n; j++)
				bin[j] = (uint8_t) rnd();
			bson_append_binary(b, key, -1, (bson_subtype_t) (rnd() % 2 ? 0 : 0x80),
							   bin, (uint32_t) n);
			break;
		case 10:
			bson_append_regex(b, key, -1, "a.*\"b\\\\", "imsx");
			break;
		case 11:
			bson_append_timestamp(b, key, -1, (uint32_t) rnd(), (uint32_t) rnd());
			break;
		case 12:
			if (rnd() & 1)
				bson_append_minkey(b, key, -1);
			else
				bson_append_maxkey(b, key, -1);
			break;
		case 13:
			bson_append_undefined(b, key, -1);
			break;
		case 14:
			bson_append_symbol(b, key, -1, "sym\tbol", -1);
			break;
		case 15:
			bson_append_document_begin(b, key, -1, &child);
			n = (int) (rnd() % 5);
			for (j = 0; j < n; j++)
			{
				char		k[16];

				snprintf(k, sizeof(k), "f%d", j);
				add_random_value(&child, k, depth + 1);
			}
			bson_append_document_end(b, &child);
			break;
		default:
			bson_append_array_begin(b, key, -1, &child);
			n = (int) (rnd() % 5);
			for (j = 0; j < n; j++)
			{
				char		k[16];

				snprintf(k, sizeof(k), "%d", j);
				add_random_value(&child, k, depth + 1);
			}
			bson_append_array_end(b, &child);
			break;
	}
}

/* test_corpus_round_trip: libbson parses our text back to the same bytes */
static void
test_corpus_round_trip(void)
{
	int			i;
	int			bad = 0;
	bson_t		b = BSON_INITIALIZER;
	bson_t	   *nan_back;
	char	   *json;
	bson_iter_t it;

	for (i = 0; i < 2000; i++)
	{
		int			n = 1 + (int) (rnd() % 8);
		int			j;

		bson_reinit(&b);
		for (j = 0; j < n; j++)
		{
			char		k[16];

			snprintf(k, sizeof(k), "key%d", j);
			add_random_value(&b, k, 0);
		}
		if (!same_bytes(&b, bad < 3))
			bad++;
	}
	ok(bad == 0, "2,000 random documents of all types read back byte for byte (%d bad)",
	   bad);

	/* NaN / Infinity: compare by value (NaN payloads need not survive) */
	bson_reinit(&b);
	BSON_APPEND_DOUBLE(&b, "n", NAN);
	BSON_APPEND_DOUBLE(&b, "p", INFINITY);
	BSON_APPEND_DOUBLE(&b, "m", -INFINITY);
	BSON_APPEND_DOUBLE(&b, "z", -0.0);
	json = to_json(&b, false);
	nan_back = bson_new_from_json((const uint8_t *) json, -1, NULL);
	ok(nan_back != NULL &&
	   bson_iter_init_find(&it, nan_back, "n") && isnan(bson_iter_double(&it)) &&
	   bson_iter_init_find(&it, nan_back, "p") && bson_iter_double(&it) == INFINITY &&
	   bson_iter_init_find(&it, nan_back, "m") && bson_iter_double(&it) == -INFINITY &&
	   bson_iter_init_find(&it, nan_back, "z") &&
	   BSON_ITER_HOLDS_DOUBLE(&it) && signbit(bson_iter_double(&it)),
	   "NaN, Infinity, -Infinity and -0.0 read back as such");
	if (nan_back)
		bson_destroy(nan_back);
	free(json);
	bson_destroy(&b);
}

/* test_corrupt: corrupt BSON is refused and leaves the buffer as it was */
static void
test_corrupt(void)
{
	bson_t		b = BSON_INITIALIZER;
	bson_t		child;
	asp_strbuf	sb;
	uint8_t    *copy;
	uint32_t	len;
	int			i;
	int			accepted = 0;
	bool		restored = true;
	static const uint8_t bad_type[] = {12, 0, 0, 0, 0x42, 'a', 0, 0, 0, 0, 0, 0};
	static const uint8_t bad_strlen[] = {14, 0, 0, 0, 0x02, 'a', 0, 9, 0, 0, 0, 'x', 0, 0};
	static const uint8_t trailing[] = {11, 0, 0, 0, 0x0a, 'a', 0, 0, 0x0a, 'b', 0};
	static const uint8_t bad_len[] = {6, 0, 0, 0, 0, 0};

	asp_strbuf_init(&sb);
	asp_strbuf_reserve(&sb, 8);
	memcpy(sb.data, "prefix", 7);
	sb.len = 6;

	ok(!asp_bson_to_json(bad_type, sizeof(bad_type), false, &sb) &&
	   sb.len == 6 && strcmp(sb.data, "prefix") == 0,
	   "unknown element type refused, buffer restored");
	ok(!asp_bson_to_json(bad_strlen, sizeof(bad_strlen), false, &sb) && sb.len == 6,
	   "string length past the end refused");
	ok(!asp_bson_to_json(trailing, sizeof(trailing), false, &sb) && sb.len == 6,
	   "missing terminator refused");
	ok(!asp_bson_to_json(bad_len, sizeof(bad_len), false, &sb) && sb.len == 6,
	   "length mismatch refused");
	ok(!asp_bson_to_json(bad_len, 3, false, &sb) && sb.len == 6,
	   "too short refused");

	/* mutate a document with nesting at random: never crash, never leak */
	BSON_APPEND_UTF8(&b, "s", "string");
	bson_append_document_begin(&b, "d", -1, &child);
	BSON_APPEND_INT64(&child, "x", 1);
	BSON_APPEND_REGEX(&child, "r", "ab", "i");
	bson_append_document_end(&b, &child);
	BSON_APPEND_CODE_WITH_SCOPE(&b, "c", "f()", &child);
	BSON_APPEND_DOUBLE(&b, "f", 1.5);
	len = b.len;
	copy = malloc(len);
	for (i = 0; i < 20000; i++)
	{
		int			flips = 1 + (int) (rnd() % 3);
		int			j;

		memcpy(copy, bson_get_data(&b), len);
		for (j = 0; j < flips; j++)
			copy[rnd() % len] = (uint8_t) rnd();
		sb.len = 6;
		if (asp_bson_to_json(copy, len, false, &sb))
			accepted++;
		else if (sb.len != 6 || strcmp(sb.data, "prefix") != 0)
			restored = false;
	}
	ok(restored, "20,000 mutated documents: buffer restored after each failure (%d accepted)",
	   accepted);
	free(copy);

	/* appending: two documents in a row */
	bson_reinit(&b);
	BSON_APPEND_INT32(&b, "a", 1);
	sb.len = 6;
	ok(asp_bson_to_json(bson_get_data(&b), b.len, false, &sb) &&
	   asp_bson_to_json(bson_get_data(&b), b.len, false, &sb) &&
	   strcmp(sb.data, "prefix{\"a\": 1}{\"a\": 1}") == 0 &&
	   sb.len == strlen(sb.data), "appends to what the buffer holds");
	asp_strbuf_reset(&sb);
	ok(sb.len == 0 && sb.data[0] == '\0', "asp_strbuf_reset empties the buffer");
	asp_strbuf_free(&sb);
	ok(sb.data == NULL && sb.len == 0 && sb.cap == 0, "asp_strbuf_free releases it");
	bson_destroy(&b);
}

/* now_sec: monotonic seconds */
static double
now_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

/* bench: compare with bson_as_relaxed_extended_json on a solar-panel document */
static void
bench(void)
{
	bson_t	   *doc;
	asp_strbuf	sb;
	double		t0;
	double		ours;
	double		theirs;
	int			i;
	int			iters = 200000;
	const char *json =
		"{\"device_id\": \"device_7\", \"group_id\": 2, "
		"\"timestamp\": {\"$date\": \"2024-05-01T12:34:56.789Z\"}, "
		"\"max_watts\": 450, \"event_type\": 0, \"obs\": {\"watts\": 230.65, "
		"\"temp\": 17.5, \"tags\": [\"a\", \"b\", \"c\"], \"ok\": true}, "
		"\"_id\": {\"$oid\": \"5f1b2c3d4e5f60718293a4b5\"}}";

	if (getenv("ASP_TEST_NO_BENCH") != NULL)
		return;
	doc = bson_new_from_json((const uint8_t *) json, -1, NULL);
	asp_strbuf_init(&sb);
	t0 = now_sec();
	for (i = 0; i < iters; i++)
	{
		asp_strbuf_reset(&sb);
		asp_bson_to_json(bson_get_data(doc), doc->len, false, &sb);
	}
	ours = now_sec() - t0;
	t0 = now_sec();
	for (i = 0; i < iters; i++)
		bson_free(bson_as_relaxed_extended_json(doc, NULL));
	theirs = now_sec() - t0;
	diag("%s", sb.data);
	diag("asp_bson_to_json: %.0f ns/doc; bson_as_relaxed_extended_json: %.0f ns/doc (%.1fx)",
		 ours / iters * 1e9, theirs / iters * 1e9, theirs / ours);
	asp_strbuf_free(&sb);
	bson_destroy(doc);
}

int
main(void)
{
	test_types();
	test_top_level_array();
	test_doubles();
	test_random_doubles();
	test_dates();
	test_escapes();
	test_nesting();
	test_corpus_round_trip();
	test_corrupt();
	bench();
	return tap_done();
}
