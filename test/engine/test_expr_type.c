/*-------------------------------------------------------------------------
 *
 * test_expr_type.c
 *	  TAP tests of the type operators: $type, $isNumber, $convert and the
 *	  $to* shorthands, including the conversion matrix, onError/onNull and
 *	  every error.
 *
 *-------------------------------------------------------------------------
 */
#include "expr_util.h"
#include "../../src/engine/expr_type.h"
#include "../../src/engine/tz.h"

#define LONG(s) "{\"$numberLong\": \"" s "\"}"
#define DEC(s) "{\"$numberDecimal\": \"" s "\"}"
#define DATE(s) "{\"$date\": \"" s "\"}"
#define DATEMS(s) "{\"$date\": {\"$numberLong\": \"" s "\"}}"
#define OID "{\"$oid\": \"5f1a2b3c4d5e6f7a8b9c0d1e\"}"

/*
 * expect_type: {"$type": <arg>} built with the BSON API, because libbson's
 * JSON parser takes a "$type" key for legacy extended JSON binary data.
 */
static void
expect_type(const char *arg_json, const char *doc_json, const char *expected)
{
	char		wrapped[512];
	bson_t	   *argb,
			   *db;
	bson_t		eb = BSON_INITIALIZER,
				op;
	bson_iter_t it;
	bson_error_t berr;
	asp_error	err;
	asp_expr_compiler c;
	asp_expr   *e;
	asp_arena  *arena;
	asp_eval_ctx ctx;
	bson_value_t v;

	snprintf(wrapped, sizeof(wrapped), "{\"a\": %s}", arg_json);
	argb = bson_new_from_json((const uint8_t *) wrapped, -1, &berr);
	db = bson_new_from_json((const uint8_t *) (doc_json ? doc_json : "{}"), -1, &berr);
	if (argb == NULL || db == NULL || !bson_iter_init_find(&it, argb, "a"))
	{
		ok(0, "$type of %s: bad test JSON", arg_json);
		return;
	}
	bson_append_document_begin(&eb, "e", 1, &op);
	bson_append_value(&op, "$type", 5, bson_iter_value(&it));
	bson_append_document_end(&eb, &op);
	bson_iter_init_find(&it, &eb, "e");
	asp_error_init(&err);
	asp_expr_compiler_init(&c, &err, "test");
	e = asp_expr_compile_iter(&c, &it);
	if (e == NULL)
	{
		ok(expected == NULL || strstr(err.message, expected) != NULL, "$type of %s fails: %s", arg_json, err.message);
	}
	else
	{
		arena = asp_arena_new(1024);
		asp_eval_ctx_init(&ctx, arena, &err);
		asp_eval_ctx_set_root(&ctx, bson_get_data(db), db->len);
		if (!asp_expr_eval(e, &ctx, &v))
			ok(0, "$type of %s: error %s", arg_json, err.message);
		else
			ok(v.value_type == BSON_TYPE_UTF8 && strcmp(v.value.v_utf8.str, expected) == 0,
			   "$type of %s on %s -> %s", arg_json, doc_json ? doc_json : "{}", expected);
		asp_arena_free(arena);
		asp_expr_free(e);
	}
	bson_destroy(&eb);
	bson_destroy(argb);
	bson_destroy(db);
}

/* test_type: $type and $isNumber */
static void
test_type(void)
{
	expect_type("1", NULL, "int");
	expect_type(LONG("1"), NULL, "long");
	expect_type("1.5", NULL, "double");
	expect_type(DEC("1"), NULL, "decimal");
	expect_type("\"x\"", NULL, "string");
	expect_type("\"$a\"", "{\"a\": {\"b\": 1}}", "object");
	expect_type("[[1]]", NULL, "array");
	expect_type("\"$a\"", "{\"a\": [1]}", "array");
	expect_type("true", NULL, "bool");
	expect_type("null", NULL, "null");
	expect_type("\"$nope\"", NULL, "missing");
	expect_type(DATE("2024-01-01T00:00:00Z"), NULL, "date");
	expect_type(OID, NULL, "objectId");
	expect_type("{\"$timestamp\": {\"t\": 1, \"i\": 2}}", NULL, "timestamp");
	expect_type("{\"$regularExpression\": {\"pattern\": \"a\", \"options\": \"\"}}", NULL, "regex");
	expect_type("{\"$minKey\": 1}", NULL, "minKey");
	expect_type("{\"$maxKey\": 1}", NULL, "maxKey");
	expect_type("{\"$binary\": {\"base64\": \"AA==\", \"subType\": \"00\"}}", NULL, "binData");
	expect_type("{\"$undefined\": true}", NULL, "undefined");
	expect_type("{\"$toLong\": 1}", NULL, "long");
	expect_type("[1, 2]", NULL, "takes exactly 1 argument");

	expect_value("{\"$isNumber\": 1}", NULL, "true");
	expect_value("{\"$isNumber\": " LONG("1") "}", NULL, "true");
	expect_value("{\"$isNumber\": 2.5}", NULL, "true");
	expect_value("{\"$isNumber\": " DEC("2.5") "}", NULL, "true");
	expect_value("{\"$isNumber\": \"1\"}", NULL, "false");
	expect_value("{\"$isNumber\": null}", NULL, "false");
	expect_value("{\"$isNumber\": \"$nope\"}", NULL, "false");
}

/* test_to_int: every source type to int */
static void
test_to_int(void)
{
	expect_value("{\"$toInt\": 5}", NULL, "5");
	expect_value("{\"$toInt\": " LONG("5") "}", NULL, "5");
	expect_value("{\"$toInt\": " LONG("-2147483648") "}", NULL, "-2147483648");
	expect_error("{\"$toInt\": " LONG("2147483648") "}", NULL, "Conversion would overflow target type");
	expect_value("{\"$toInt\": 5.9}", NULL, "5");
	expect_value("{\"$toInt\": -5.9}", NULL, "-5");
	expect_value("{\"$toInt\": 2147483647.0}", NULL, "2147483647");
	expect_error("{\"$toInt\": 2147483648.0}", NULL, "Conversion would overflow target type in $convert with no onError value: 2147483648");
	expect_error("{\"$toInt\": -2147483649.0}", NULL, "would overflow");
	expect_error("{\"$toInt\": {\"$numberDouble\": \"NaN\"}}", NULL, "Attempt to convert NaN value to integer type");
	expect_error("{\"$toInt\": {\"$numberDouble\": \"Infinity\"}}", NULL, "Attempt to convert infinity value to integer type");
	expect_value("{\"$toInt\": " DEC("7.9") "}", NULL, "7");
	expect_value("{\"$toInt\": " DEC("-7.9") "}", NULL, "-7");
	expect_error("{\"$toInt\": " DEC("3000000000") "}", NULL, "would overflow target type in $convert with no onError value: 3000000000");
	expect_error("{\"$toInt\": " DEC("NaN") "}", NULL, "NaN value");
	expect_error("{\"$toInt\": " DEC("-Infinity") "}", NULL, "infinity value");
	expect_value("{\"$toInt\": true}", NULL, "1");
	expect_value("{\"$toInt\": false}", NULL, "0");
	expect_value("{\"$toInt\": \"123\"}", NULL, "123");
	expect_value("{\"$toInt\": \"-123\"}", NULL, "-123");
	expect_value("{\"$toInt\": \"+7\"}", NULL, "7");
	expect_value("{\"$toInt\": \"007\"}", NULL, "7");
	expect_error("{\"$toInt\": \"1.5\"}", NULL, "Failed to parse number '1.5' in $convert with no onError value: Did not consume whole string.");
	expect_error("{\"$toInt\": \" 1\"}", NULL, "Did not consume whole string.");
	expect_error("{\"$toInt\": \"\"}", NULL, "Failed to parse number '' in $convert with no onError value: No digits");
	expect_error("{\"$toInt\": \"-\"}", NULL, "No digits");
	expect_error("{\"$toInt\": \"2147483648\"}", NULL, "Overflow");
	expect_error("{\"$toInt\": \"99999999999999999999\"}", NULL, "Overflow");
	expect_error("{\"$toInt\": \"0x1A\"}", NULL, "Illegal hexadecimal input in $convert with no onError value: 0x1A");
	expect_error("{\"$toInt\": " DATE("2024-01-01T00:00:00Z") "}", NULL, "Unsupported conversion from date to int in $convert with no onError value");
	expect_error("{\"$toInt\": " OID "}", NULL, "Unsupported conversion from objectId to int");
	expect_error("{\"$toInt\": {\"$literal\": {\"a\": 1}}}", NULL, "Unsupported conversion from object to int");
	expect_value("{\"$toInt\": null}", NULL, "null");
	expect_value("{\"$toInt\": \"$nope\"}", NULL, "null");
	expect_value("{\"$toInt\": {\"$undefined\": true}}", NULL, "null");
}

/* test_to_long: every source type to long */
static void
test_to_long(void)
{
	expect_value("{\"$toLong\": 5}", NULL, LONG("5"));
	expect_value("{\"$toLong\": " LONG("-9223372036854775808") "}", NULL, LONG("-9223372036854775808"));
	expect_value("{\"$toLong\": 1e18}", NULL, LONG("1000000000000000000"));
	expect_value("{\"$toLong\": -3.7}", NULL, LONG("-3"));
	expect_error("{\"$toLong\": 9223372036854775808.0}", NULL, "would overflow target type");
	expect_value("{\"$toLong\": -9223372036854775808.0}", NULL, LONG("-9223372036854775808"));
	expect_value("{\"$toLong\": " DEC("9223372036854775807") "}", NULL, LONG("9223372036854775807"));
	expect_value("{\"$toLong\": " DEC("-9223372036854775808.5") "}", NULL, LONG("-9223372036854775808"));
	expect_error("{\"$toLong\": " DEC("9223372036854775808") "}", NULL, "would overflow");
	expect_value("{\"$toLong\": true}", NULL, LONG("1"));
	expect_value("{\"$toLong\": " DATEMS("-1000") "}", NULL, LONG("-1000"));
	expect_value("{\"$toLong\": " DATE("2024-01-01T00:00:00Z") "}", NULL, LONG("1704067200000"));
	expect_value("{\"$toLong\": \"9223372036854775807\"}", NULL, LONG("9223372036854775807"));
	expect_value("{\"$toLong\": \"-9223372036854775808\"}", NULL, LONG("-9223372036854775808"));
	expect_error("{\"$toLong\": \"9223372036854775808\"}", NULL, "Overflow");
	expect_error("{\"$toLong\": \"1e3\"}", NULL, "Did not consume whole string.");
	expect_error("{\"$toLong\": \"0X10\"}", NULL, "Illegal hexadecimal input");
	expect_error("{\"$toLong\": " OID "}", NULL, "Unsupported conversion from objectId to long");
}

/* test_to_double: every source type to double */
static void
test_to_double(void)
{
	expect_value("{\"$toDouble\": 5}", NULL, "5.0");
	expect_value("{\"$toDouble\": " LONG("9007199254740993") "}", NULL, "9007199254740992.0");
	expect_value("{\"$toDouble\": 2.5}", NULL, "2.5");
	expect_value("{\"$toDouble\": " DEC("2.5") "}", NULL, "2.5");
	expect_value("{\"$toDouble\": " DEC("0.1") "}", NULL, "0.1");
	expect_error("{\"$toDouble\": " DEC("1E+400") "}", NULL, "Conversion would overflow target type in $convert with no onError value: 1E+400");
	expect_error("{\"$toDouble\": " DEC("1E-400") "}", NULL, "would overflow");
	expect_value("{\"$toDouble\": " DEC("Infinity") "}", NULL, "{\"$numberDouble\": \"Infinity\"}");
	expect_value("{\"$toDouble\": " DEC("NaN") "}", NULL, "{\"$numberDouble\": \"NaN\"}");
	expect_value("{\"$toDouble\": true}", NULL, "1.0");
	expect_value("{\"$toDouble\": false}", NULL, "0.0");
	expect_value("{\"$toDouble\": " DATEMS("1500") "}", NULL, "1500.0");
	expect_value("{\"$toDouble\": \"1.5\"}", NULL, "1.5");
	expect_value("{\"$toDouble\": \"-1e3\"}", NULL, "-1000.0");
	expect_value("{\"$toDouble\": \".5\"}", NULL, "0.5");
	expect_value("{\"$toDouble\": \"+2\"}", NULL, "2.0");
	expect_value("{\"$toDouble\": \"NaN\"}", NULL, "{\"$numberDouble\": \"NaN\"}");
	expect_value("{\"$toDouble\": \"-Infinity\"}", NULL, "{\"$numberDouble\": \"-Infinity\"}");
	expect_value("{\"$toDouble\": \"inf\"}", NULL, "{\"$numberDouble\": \"Infinity\"}");
	expect_error("{\"$toDouble\": \"1e400\"}", NULL, "Failed to parse number '1e400' in $convert with no onError value: Out of range");
	expect_error("{\"$toDouble\": \" 1\"}", NULL, "Leading whitespace");
	expect_error("{\"$toDouble\": \"\"}", NULL, "Empty string");
	expect_error("{\"$toDouble\": \"abc\"}", NULL, "Did not consume any digits");
	expect_error("{\"$toDouble\": \"1.5x\"}", NULL, "Did not consume whole string.");
	expect_error("{\"$toDouble\": \"0x10\"}", NULL, "Illegal hexadecimal input");
	expect_error("{\"$toDouble\": " OID "}", NULL, "Unsupported conversion from objectId to double");
	expect_error("{\"$toDouble\": [[1]]}", NULL, "Unsupported conversion from array to double");
	/* a long string goes through the arena */
	{
		char		expr[512];
		char		digits[300];

		memset(digits, '0', 200);
		digits[200] = '\0';
		snprintf(expr, sizeof(expr), "{\"$toDouble\": \"0.%s1\"}", digits);
		expect_value(expr, NULL, "1e-201");
		snprintf(expr, sizeof(expr), "{\"$toDouble\": \"1%sx\"}", digits);
		expect_error(expr, NULL, "Did not consume whole string.");
	}
}

/* test_to_decimal: every source type to decimal */
static void
test_to_decimal(void)
{
	expect_value("{\"$toDecimal\": 5}", NULL, DEC("5"));
	expect_value("{\"$toDecimal\": " LONG("-12") "}", NULL, DEC("-12"));
	expect_value("{\"$toDecimal\": 0.1}", NULL, DEC("0.100000000000000"));
	expect_value("{\"$toDecimal\": 2.5}", NULL, DEC("2.50000000000000"));
	expect_value("{\"$toDecimal\": " DEC("1.23") "}", NULL, DEC("1.23"));
	expect_value("{\"$toDecimal\": true}", NULL, DEC("1"));
	expect_value("{\"$toDecimal\": false}", NULL, DEC("0"));
	expect_value("{\"$toDecimal\": " DATEMS("1500") "}", NULL, DEC("1500"));
	expect_value("{\"$toDecimal\": \"1.2300\"}", NULL, DEC("1.2300"));
	expect_value("{\"$toDecimal\": \"-1E+3\"}", NULL, DEC("-1E+3"));
	expect_value("{\"$toDecimal\": \"NaN\"}", NULL, DEC("NaN"));
	expect_value("{\"$toDecimal\": \"Infinity\"}", NULL, DEC("Infinity"));
	expect_error("{\"$toDecimal\": \"1.2.3\"}", NULL, "Failed to parse number '1.2.3'");
	expect_error("{\"$toDecimal\": \"\"}", NULL, "Empty string");
	expect_error("{\"$toDecimal\": \"0x5\"}", NULL, "Illegal hexadecimal input");
	expect_error("{\"$toDecimal\": " OID "}", NULL, "Unsupported conversion from objectId to decimal");
}

/* test_to_string: every source type to string, MongoDB's double rendering */
static void
test_to_string(void)
{
	expect_value("{\"$toString\": 5}", NULL, "\"5\"");
	expect_value("{\"$toString\": -5}", NULL, "\"-5\"");
	expect_value("{\"$toString\": " LONG("-9223372036854775808") "}", NULL, "\"-9223372036854775808\"");
	expect_value("{\"$toString\": 1.5}", NULL, "\"1.5\"");
	expect_value("{\"$toString\": 100.0}", NULL, "\"100\"");
	expect_value("{\"$toString\": 0.1}", NULL, "\"0.1\"");
	expect_value("{\"$toString\": -0.0}", NULL, "\"-0\"");
	expect_value("{\"$toString\": 0.0}", NULL, "\"0\"");
	expect_value("{\"$toString\": 1e21}", NULL, "\"1e+21\"");
	expect_value("{\"$toString\": 1e15}", NULL, "\"1000000000000000\"");
	expect_value("{\"$toString\": 1e16}", NULL, "\"1e+16\"");
	expect_value("{\"$toString\": 1.5e16}", NULL, "\"1.5e+16\"");
	expect_value("{\"$toString\": 123456789012345.6}", NULL, "\"123456789012345.6\"");
	expect_value("{\"$toString\": 0.0001}", NULL, "\"0.0001\"");
	expect_value("{\"$toString\": 0.00001}", NULL, "\"1e-05\"");
	expect_value("{\"$toString\": 1.2345e-7}", NULL, "\"1.2345e-07\"");
	expect_value("{\"$toString\": 1e300}", NULL, "\"1e+300\"");
	expect_value("{\"$toString\": 3.141592653589793}", NULL, "\"3.141592653589793\"");
	expect_value("{\"$toString\": 0.30000000000000004}", NULL, "\"0.30000000000000004\"");
	expect_value("{\"$toString\": {\"$numberDouble\": \"NaN\"}}", NULL, "\"NaN\"");
	expect_value("{\"$toString\": {\"$numberDouble\": \"-Infinity\"}}", NULL, "\"-Infinity\"");
	expect_value("{\"$toString\": " DEC("1.50") "}", NULL, "\"1.50\"");
	expect_value("{\"$toString\": " DEC("-1E+3") "}", NULL, "\"-1E+3\"");
	expect_value("{\"$toString\": " DEC("0.000001") "}", NULL, "\"0.000001\"");
	expect_value("{\"$toString\": " DEC("0.0000001") "}", NULL, "\"1E-7\"");
	expect_value("{\"$toString\": true}", NULL, "\"true\"");
	expect_value("{\"$toString\": false}", NULL, "\"false\"");
	expect_value("{\"$toString\": \"abc\"}", NULL, "\"abc\"");
	expect_value("{\"$toString\": " OID "}", NULL, "\"5f1a2b3c4d5e6f7a8b9c0d1e\"");
	expect_value("{\"$toString\": " DATE("2024-01-01T00:00:00Z") "}", NULL, "\"2024-01-01T00:00:00.000Z\"");
	expect_value("{\"$toString\": " DATEMS("-1") "}", NULL, "\"1969-12-31T23:59:59.999Z\"");
	expect_value("{\"$toString\": " DATEMS("-62167219200000") "}", NULL, "\"0000-01-01T00:00:00.000Z\"");
	expect_error("{\"$toString\": " DATEMS("-62167219200001") "}", NULL, "date component was outside the supported range of 0-9999: -1");
	expect_error("{\"$toString\": " DATEMS("253402300800000") "}", NULL, "outside the supported range of 0-9999: 10000");
	expect_error("{\"$convert\": {\"input\": " DATEMS("253402300800000") ", \"to\": \"string\", \"onError\": \"caught\"}}",
				 NULL, "outside the supported range");
	expect_error("{\"$toString\": {\"$literal\": {\"a\": 1}}}", NULL, "Unsupported conversion from object to string");
	expect_error("{\"$toString\": [[1]]}", NULL, "Unsupported conversion from array to string");
	expect_error("{\"$toString\": {\"$minKey\": 1}}", NULL, "Unsupported conversion from minKey to string");
}

/* test_to_bool: truthiness conversions */
static void
test_to_bool(void)
{
	expect_value("{\"$toBool\": true}", NULL, "true");
	expect_value("{\"$toBool\": 0}", NULL, "false");
	expect_value("{\"$toBool\": 2}", NULL, "true");
	expect_value("{\"$toBool\": " LONG("0") "}", NULL, "false");
	expect_value("{\"$toBool\": 0.0}", NULL, "false");
	expect_value("{\"$toBool\": -0.0}", NULL, "false");
	expect_value("{\"$toBool\": 0.1}", NULL, "true");
	expect_value("{\"$toBool\": {\"$numberDouble\": \"NaN\"}}", NULL, "true");
	expect_value("{\"$toBool\": " DEC("0.00") "}", NULL, "false");
	expect_value("{\"$toBool\": " DEC("NaN") "}", NULL, "true");
	expect_value("{\"$toBool\": \"\"}", NULL, "true");
	expect_value("{\"$toBool\": \"false\"}", NULL, "true");
	expect_value("{\"$toBool\": " OID "}", NULL, "true");
	expect_value("{\"$toBool\": " DATEMS("0") "}", NULL, "true");
	expect_value("{\"$toBool\": {\"$literal\": {}}}", NULL, "true");
	expect_value("{\"$toBool\": [[]]}", NULL, "true");
	expect_value("{\"$toBool\": {\"$minKey\": 1}}", NULL, "true");
	expect_value("{\"$toBool\": {\"$timestamp\": {\"t\": 0, \"i\": 0}}}", NULL, "true");
	expect_value("{\"$toBool\": null}", NULL, "null");
}

/* test_to_date: numbers, strings, objectIds, timestamps to date */
static void
test_to_date(void)
{
	expect_value("{\"$toDate\": " LONG("1704067200000") "}", NULL, DATE("2024-01-01T00:00:00Z"));
	expect_value("{\"$toDate\": " LONG("-1") "}", NULL, DATEMS("-1"));
	expect_value("{\"$toDate\": 1704067200000.7}", NULL, DATEMS("1704067200000"));
	expect_value("{\"$toDate\": -1.5}", NULL, DATEMS("-1"));
	expect_value("{\"$toDate\": " DEC("1704067200000.9") "}", NULL, DATEMS("1704067200000"));
	expect_error("{\"$toDate\": 1e19}", NULL, "would overflow");
	expect_error("{\"$toDate\": {\"$numberDouble\": \"NaN\"}}", NULL, "NaN value");
	expect_error("{\"$toDate\": 5}", NULL, "Unsupported conversion from int to date in $convert with no onError value");
	expect_error("{\"$toDate\": true}", NULL, "Unsupported conversion from bool to date");
	expect_value("{\"$toDate\": \"2024-05-01T10:00:03.000+00:00\"}", NULL, DATE("2024-05-01T10:00:03Z"));
	expect_value("{\"$toDate\": \"2024-05-01T10:00:03Z\"}", NULL, DATE("2024-05-01T10:00:03Z"));
	expect_value("{\"$toDate\": \"2024-05-01T12:00:03+02:00\"}", NULL, DATE("2024-05-01T10:00:03Z"));
	expect_value("{\"$toDate\": \"2024-05-01\"}", NULL, DATE("2024-05-01T00:00:00Z"));
	expect_value("{\"$toDate\": \"May 1, 2024 10:00:03 GMT\"}", NULL, DATE("2024-05-01T10:00:03Z"));
	expect_error("{\"$toDate\": \"not a date\"}", NULL, "Error parsing date string 'not a date'");
	expect_error("{\"$toDate\": \"2024-02-30\"}", NULL, "The parsed date was invalid");
	expect_value("{\"$toDate\": " OID "}", NULL, DATE("2020-07-24T00:28:44Z"));
	expect_value("{\"$toDate\": {\"$timestamp\": {\"t\": 1704067200, \"i\": 5}}}", NULL, DATE("2024-01-01T00:00:00Z"));
	expect_value("{\"$toDate\": " DATEMS("42") "}", NULL, DATEMS("42"));
	expect_error("{\"$toDate\": {\"$literal\": {}}}", NULL, "Unsupported conversion from object to date");
}

/* test_to_object_id: strings to objectId */
static void
test_to_object_id(void)
{
	expect_value("{\"$toObjectId\": \"5f1a2b3c4d5e6f7a8b9c0d1e\"}", NULL, OID);
	expect_value("{\"$toObjectId\": \"5F1A2B3C4D5E6F7A8B9C0D1E\"}", NULL, OID);
	expect_value("{\"$toObjectId\": " OID "}", NULL, OID);
	expect_error("{\"$toObjectId\": \"5f1a\"}", NULL,
				 "Failed to parse objectId '5f1a' in $convert with no onError value: Invalid string length for parsing to OID, expected 24 but found 4");
	expect_error("{\"$toObjectId\": \"zf1a2b3c4d5e6f7a8b9c0d1e\"}", NULL, "Invalid character found in hex string");
	expect_error("{\"$toObjectId\": 5}", NULL, "Unsupported conversion from int to objectId");
	expect_value("{\"$toObjectId\": null}", NULL, "null");
}

/* test_convert: the named form, onError, onNull, 'to' forms and errors */
static void
test_convert(void)
{
	expect_value("{\"$convert\": {\"input\": \"12\", \"to\": \"int\"}}", NULL, "12");
	expect_value("{\"$convert\": {\"input\": \"12\", \"to\": 16}}", NULL, "12");
	expect_value("{\"$convert\": {\"input\": \"12\", \"to\": 16.0}}", NULL, "12");
	expect_value("{\"$convert\": {\"input\": \"12\", \"to\": " LONG("18") "}}", NULL, LONG("12"));
	expect_value("{\"$convert\": {\"input\": 1, \"to\": \"double\"}}", NULL, "1.0");
	expect_value("{\"$convert\": {\"input\": 1, \"to\": 1}}", NULL, "1.0");
	expect_value("{\"$convert\": {\"input\": 1, \"to\": \"string\"}}", NULL, "\"1\"");
	expect_value("{\"$convert\": {\"input\": 1, \"to\": \"bool\"}}", NULL, "true");
	expect_value("{\"$convert\": {\"input\": 1, \"to\": \"decimal\"}}", NULL, DEC("1"));
	expect_value("{\"$convert\": {\"input\": 1, \"to\": \"long\"}}", NULL, LONG("1"));
	expect_value("{\"$convert\": {\"input\": \"$s\", \"to\": \"$t\"}}", "{\"s\": \"7\", \"t\": \"long\"}", LONG("7"));
	expect_value("{\"$convert\": {\"input\": \"x\", \"to\": \"int\", \"onError\": -1}}", NULL, "-1");
	expect_value("{\"$convert\": {\"input\": \"x\", \"to\": \"int\", \"onError\": \"$fallback\"}}",
				 "{\"fallback\": 9}", "9");
	expect_value("{\"$convert\": {\"input\": \"x\", \"to\": \"int\", \"onError\": \"$nope\"}}", NULL, NULL);
	expect_value("{\"$convert\": {\"input\": {\"$literal\": {}}, \"to\": \"int\", \"onError\": 0}}", NULL, "0");
	expect_value("{\"$convert\": {\"input\": 1, \"to\": \"object\", \"onError\": \"no\"}}", NULL, "\"no\"");
	expect_error("{\"$convert\": {\"input\": 1, \"to\": \"object\"}}", NULL, "Unsupported conversion from int to object in $convert with no onError value");
	expect_value("{\"$convert\": {\"input\": null, \"to\": \"int\", \"onNull\": 0}}", NULL, "0");
	expect_value("{\"$convert\": {\"input\": \"$nope\", \"to\": \"int\", \"onNull\": \"n\"}}", NULL, "\"n\"");
	expect_value("{\"$convert\": {\"input\": \"$nope\", \"to\": \"int\"}}", NULL, "null");
	expect_value("{\"$convert\": {\"input\": null, \"to\": \"int\", \"onError\": 5}}", NULL, "null");
	expect_value("{\"$convert\": {\"input\": 1, \"to\": null}}", NULL, "null");
	expect_value("{\"$convert\": {\"input\": 1, \"to\": \"$nope\"}}", NULL, "null");
	expect_value("{\"$convert\": {\"input\": null, \"to\": null, \"onNull\": 3}}", NULL, "3");
	/* onError does not catch errors of 'to' or of the input expression */
	expect_error("{\"$convert\": {\"input\": 1, \"to\": \"$t\", \"onError\": 0}}", "{\"t\": \"nope\"}", "Unknown type name: nope");
	expect_error("{\"$convert\": {\"input\": 1, \"to\": \"$t\", \"onError\": 0}}", "{\"t\": 100}",
				 "In $convert, numeric value for 'to' does not correspond to a BSON type: 100");
	expect_error("{\"$convert\": {\"input\": 1, \"to\": \"$t\", \"onError\": 0}}", "{\"t\": 1.5}",
				 "In $convert, numeric 'to' argument is not an integer");
	expect_error("{\"$convert\": {\"input\": 1, \"to\": \"$t\", \"onError\": 0}}", "{\"t\": {\"a\": 1}}",
				 "$convert's 'to' argument must be a string or number, but is object");
	expect_error("{\"$convert\": {\"input\": null, \"to\": \"$t\"}}", "{\"t\": \"nope\"}", "Unknown type name");
	expect_error("{\"$convert\": {\"input\": {\"$toInt\": \"x\"}, \"to\": \"int\", \"onError\": 0}}", NULL,
				 "Failed to parse number 'x'");
	/* compile errors */
	expect_error("{\"$convert\": {\"input\": 1, \"to\": \"nope\"}}", NULL, "compile: unknown type name: nope");
	expect_error("{\"$convert\": {\"input\": 1, \"to\": 42}}", NULL, "compile: in $convert, numeric value for 'to' does not correspond to a BSON type: 42");
	expect_error("{\"$convert\": {\"input\": 1, \"to\": true}}", NULL, "compile: $convert's 'to' argument must be a string or number, but is bool");
	expect_error("{\"$convert\": {\"input\": 1, \"to\": \"number\"}}", NULL, "compile: unknown type name: number");
	expect_error("{\"$convert\": {\"to\": \"int\"}}", NULL, "compile: missing 'input' parameter to $convert");
	expect_error("{\"$convert\": {\"input\": 1}}", NULL, "compile: missing 'to' parameter to $convert");
	expect_error("{\"$convert\": {\"input\": 1, \"to\": \"int\", \"foo\": 1}}", NULL, "compile: unrecognized parameter to $convert: foo");
	expect_error("{\"$convert\": {\"input\": 1, \"to\": \"string\", \"base\": 16}}", NULL, "compile: $convert parameter 'base' is not supported");
	expect_error("{\"$convert\": {\"input\": 1, \"to\": \"int\", \"format\": \"hex\"}}", NULL, "not supported");
	expect_error("{\"$convert\": 1}", NULL, "compile: $convert only supports an object as its argument");
	expect_error("{\"$convert\": {\"input\": 1, \"to\": \"int\", \"onError\": {\"$bogus\": 1}}}", NULL, "compile: unrecognized expression operator '$bogus'");
	expect_error("{\"$toInt\": [1, 2]}", NULL, "compile: expression $toInt takes exactly 1 argument, 2 were passed in");
}

/* test_matrix: the conversion table, row by row (source type x target) */
static void
test_matrix(void)
{
	static const char *const targets[] = {"double", "string", "objectId", "bool", "date", "int", "long", "decimal"};
	static const struct
	{
		const char *input;
		const char *expect[8];	/* NULL: unsupported */
	}			rows[] = {
		{"2.0", {"2.0", "\"2\"", NULL, "true", DATEMS("2"), "2", LONG("2"), DEC("2.00000000000000")}},
		{"\"3\"", {"3.0", "\"3\"", "!Failed to parse objectId", "true", "!Error parsing date string", "3", LONG("3"), DEC("3")}},
		{OID, {NULL, "\"5f1a2b3c4d5e6f7a8b9c0d1e\"", OID, "true", DATE("2020-07-24T00:28:44Z"), NULL, NULL, NULL}},
		{"false", {"0.0", "\"false\"", NULL, "false", NULL, "0", LONG("0"), DEC("0")}},
		{DATEMS("4"), {"4.0", "\"1970-01-01T00:00:00.004Z\"", NULL, "true", DATEMS("4"), NULL, LONG("4"), DEC("4")}},
		{"5", {"5.0", "\"5\"", NULL, "true", NULL, "5", LONG("5"), DEC("5")}},
		{LONG("6"), {"6.0", "\"6\"", NULL, "true", DATEMS("6"), "6", LONG("6"), DEC("6")}},
		{DEC("7"), {"7.0", "\"7\"", NULL, "true", DATEMS("7"), "7", LONG("7"), DEC("7")}},
		{"{\"$timestamp\": {\"t\": 8, \"i\": 1}}", {NULL, NULL, NULL, "true", DATEMS("8000"), NULL, NULL, NULL}},
		{"{\"$regularExpression\": {\"pattern\": \"a\", \"options\": \"\"}}", {NULL, NULL, NULL, "true", NULL, NULL, NULL, NULL}},
		{"{\"$binary\": {\"base64\": \"AA==\", \"subType\": \"00\"}}", {NULL, NULL, NULL, "true", NULL, NULL, NULL, NULL}},
	};
	size_t		r;
	int			t;
	char		expr[512];

	for (r = 0; r < sizeof(rows) / sizeof(rows[0]); r++)
		for (t = 0; t < 8; t++)
		{
			snprintf(expr, sizeof(expr), "{\"$convert\": {\"input\": %s, \"to\": \"%s\"}}",
					 rows[r].input, targets[t]);
			if (rows[r].expect[t] && rows[r].expect[t][0] == '!')
				expect_error(expr, NULL, rows[r].expect[t] + 1);
			else if (rows[r].expect[t])
				expect_value(expr, NULL, rows[r].expect[t]);
			else
				expect_error(expr, NULL, "Unsupported conversion from");
		}
}

/* test_format_double: the C helper directly */
static void
test_format_double(void)
{
	char		buf[32];

	asp_format_double(1.0 / 3, buf, sizeof(buf));
	ok(strcmp(buf, "0.3333333333333333") == 0, "1/3 -> %s", buf);
	asp_format_double(-2.5e-300, buf, sizeof(buf));
	ok(strcmp(buf, "-2.5e-300") == 0, "-2.5e-300 -> %s", buf);
	asp_format_double(123456.0, buf, sizeof(buf));
	ok(strcmp(buf, "123456") == 0, "123456.0 -> %s", buf);
	asp_format_double(4.9e-324, buf, sizeof(buf));
	ok(strcmp(buf, "5e-324") == 0, "denormal min -> %s", buf);
	asp_format_double(1.7976931348623157e308, buf, sizeof(buf));
	ok(strcmp(buf, "1.7976931348623157e+308") == 0, "DBL_MAX -> %s", buf);
}

int
main(void)
{
	test_type();
	test_to_int();
	test_to_long();
	test_to_double();
	test_to_decimal();
	test_to_string();
	test_to_bool();
	test_to_date();
	test_to_object_id();
	test_convert();
	test_matrix();
	test_format_double();
	asp_tz_free_cache();
	return tap_done();
}
