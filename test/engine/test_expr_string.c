/*-------------------------------------------------------------------------
 *
 * test_expr_string.c
 *	  Unit tests (TAP) of the string and regex operators (expr_string.c,
 *	  expr_regex.c).
 *
 * Build and run from the repository root (or `make check-engine`):
 *
 *   gcc -std=gnu11 -O1 -g -Wall -Wextra -Werror \
 *       $(pkg-config --cflags libbson-1.0 libpcre2-8) -Isrc/engine -Itest/engine \
 *       -o /tmp/test_expr_string test/engine/test_expr_string.c src/engine/[a-z]*.c \
 *       $(pkg-config --libs libbson-1.0 libpcre2-8) -lm
 *   /tmp/test_expr_string
 *
 * Beware that libbson's JSON parser reads {"$regex": ..., "$options": ...}
 * as a BSON regex; regex values are written {"$regularExpression": ...}.
 *
 *-------------------------------------------------------------------------
 */
#include "expr_util.h"
#include "../../src/engine/regex.h"

#define DEC(s) "{\"$numberDecimal\": \"" s "\"}"
#define LONG(s) "{\"$numberLong\": \"" s "\"}"
#define DATE(ms) "{\"$date\": {\"$numberLong\": \"" ms "\"}}"
#define RE(p, o) "{\"$regularExpression\": {\"pattern\": \"" p "\", \"options\": \"" o "\"}}"

static void
test_concat(void)
{
	expect_value("{\"$concat\": [\"a\", \"b\", \"c\"]}", NULL, "\"abc\"");
	expect_value("{\"$concat\": []}", NULL, "\"\"");
	expect_value("{\"$concat\": [\"$first\", \" \", \"$last\"]}",
				 "{\"first\": \"Ada\", \"last\": \"Lovelace\"}", "\"Ada Lovelace\"");
	expect_value("{\"$concat\": [\"a\", null]}", NULL, "null");
	expect_value("{\"$concat\": [\"a\", \"$missing\"]}", NULL, "null");
	expect_value("{\"$concat\": \"héllo\"}", NULL, "\"héllo\"");
	expect_error("{\"$concat\": [\"a\", 1]}", NULL, "$concat only supports strings, not int");
	expect_error("{\"$concat\": [\"a\", [\"b\"]]}", NULL, "$concat only supports strings, not array");
}

static void
test_substr(void)
{
	expect_value("{\"$substrBytes\": [\"abcdef\", 1, 3]}", NULL, "\"bcd\"");
	expect_value("{\"$substrBytes\": [\"abcdef\", 4, 10]}", NULL, "\"ef\"");
	expect_value("{\"$substrBytes\": [\"abcdef\", 2, -1]}", NULL, "\"cdef\"");
	expect_value("{\"$substrBytes\": [\"abc\", 5, 1]}", NULL, "\"\"");
	expect_value("{\"$substrBytes\": [\"abcdef\", 1.9, 2.9]}", NULL, "\"bc\"");
	expect_value("{\"$substr\": [\"abcdef\", 0, 2]}", NULL, "\"ab\"");
	expect_value("{\"$substrBytes\": [\"héllo\", 1, 2]}", NULL, "\"é\"");
	expect_value("{\"$substrBytes\": [null, 0, 2]}", NULL, "\"\"");
	expect_value("{\"$substrBytes\": [12345, 1, 2]}", NULL, "\"23\"");
	expect_value("{\"$substrBytes\": [2.5, 0, 10]}", NULL, "\"2.5\"");
	expect_value("{\"$substrBytes\": [" DATE("0") ", 0, 10]}", NULL, "\"1970-01-01\"");
	expect_error("{\"$substrBytes\": [\"héllo\", 2, 1]}", NULL,
				 "$substrBytes:  Invalid range, starting index is a UTF-8 continuation byte.");
	expect_error("{\"$substrBytes\": [\"héllo\", 0, 2]}", NULL,
				 "$substrBytes:  Invalid range, ending index is in the middle of a UTF-8 character.");
	expect_error("{\"$substrBytes\": [\"abc\", -1, 1]}", NULL,
				 "$substrBytes:  starting index must be non-negative (got: -1)");
	expect_error("{\"$substrBytes\": [\"abc\", \"1\", 1]}", NULL,
				 "$substrBytes:  starting index must be a numeric type (is BSON type string)");
	expect_error("{\"$substrBytes\": [\"abc\", 0, null]}", NULL,
				 "$substrBytes:  length must be a numeric type (is BSON type null)");
	expect_error("{\"$substr\": [\"abc\", 0, null]}", NULL, "$substrBytes:  length must be a numeric type");
	expect_error("{\"$substrBytes\": [[1], 0, 1]}", NULL, "can't convert from BSON type array to String");
	expect_error("{\"$substrBytes\": [\"abc\", 0]}", NULL,
				 "expression $substrBytes takes exactly 3 arguments, 2 were passed in");

	expect_value("{\"$substrCP\": [\"héllo\", 1, 3]}", NULL, "\"éll\"");
	expect_value("{\"$substrCP\": [\"日本語です\", 2, 2]}", NULL, "\"語で\"");
	expect_value("{\"$substrCP\": [\"abc\", 1, 100]}", NULL, "\"bc\"");
	expect_value("{\"$substrCP\": [\"abc\", 5, 1]}", NULL, "\"\"");
	expect_value("{\"$substrCP\": [\"abc\", 1.0, " LONG("1") "]}", NULL, "\"b\"");
	expect_value("{\"$substrCP\": [\"$missing\", 0, 1]}", NULL, "\"\"");
	expect_error("{\"$substrCP\": [\"abc\", 0, -1]}", NULL, "$substrCP: length must be a nonnegative integer.");
	expect_error("{\"$substrCP\": [\"abc\", -1, 1]}", NULL,
				 "$substrCP: the starting index must be nonnegative integer.");
	expect_error("{\"$substrCP\": [\"abc\", 1.5, 1]}", NULL,
				 "$substrCP: starting index cannot be represented as a 32-bit integral value: 1.5");
	expect_error("{\"$substrCP\": [\"abc\", 0, 1e10]}", NULL,
				 "$substrCP: length cannot be represented as a 32-bit integral value");
	expect_error("{\"$substrCP\": [\"abc\", \"a\", 1]}", NULL,
				 "$substrCP: starting index must be a numeric type (is BSON type string)");
	expect_error("{\"$substrCP\": [\"abc\", 0, true]}", NULL,
				 "$substrCP: length must be a numeric type (is BSON type bool)");
}

static void
test_case(void)
{
	expect_value("{\"$toUpper\": \"abc Déf\"}", NULL, "\"ABC DéF\"");
	expect_value("{\"$toLower\": \"ABC DÉF\"}", NULL, "\"abc dÉf\"");
	expect_value("{\"$toUpper\": null}", NULL, "\"\"");
	expect_value("{\"$toLower\": \"$missing\"}", NULL, "\"\"");
	expect_value("{\"$toUpper\": [1.5]}", NULL, "\"1.5\"");
	expect_value("{\"$toUpper\": " LONG("123") "}", NULL, "\"123\"");
	expect_value("{\"$toLower\": " DEC("1.5E+3") "}", NULL, "\"1.5e+3\"");
	expect_value("{\"$toUpper\": " DATE("1700000000123") "}", NULL, "\"2023-11-14T22:13:20.123Z\"");
	expect_value("{\"$toUpper\": " DATE("-1") "}", NULL, "\"1969-12-31T23:59:59.999Z\"");
	expect_error("{\"$toUpper\": {\"a\": 1}}", NULL, "can't convert from BSON type object to String");
	expect_error("{\"$toLower\": [\"a\", \"b\"]}", NULL, "expression $toLower takes exactly 1 argument, 2 were passed in");

	expect_value("{\"$strcasecmp\": [\"Hello\", \"hELLO\"]}", NULL, "0");
	expect_value("{\"$strcasecmp\": [\"abc\", \"ABD\"]}", NULL, "-1");
	expect_value("{\"$strcasecmp\": [\"b\", \"A\"]}", NULL, "1");
	expect_value("{\"$strcasecmp\": [\"ab\", \"abc\"]}", NULL, "-1");
	expect_value("{\"$strcasecmp\": [null, \"\"]}", NULL, "0");
	expect_value("{\"$strcasecmp\": [1, \"1\"]}", NULL, "0");
	expect_error("{\"$strcasecmp\": [[], \"a\"]}", NULL, "can't convert from BSON type array to String");
}

static void
test_split_len(void)
{
	expect_value("{\"$split\": [\"a,b,,c\", \",\"]}", NULL, "[\"a\", \"b\", \"\", \"c\"]");
	expect_value("{\"$split\": [\"abc\", \",\"]}", NULL, "[\"abc\"]");
	expect_value("{\"$split\": [\"\", \",\"]}", NULL, "[\"\"]");
	expect_value("{\"$split\": [\"a--b--\", \"--\"]}", NULL, "[\"a\", \"b\", \"\"]");
	expect_value("{\"$split\": [\"日本語\", \"本\"]}", NULL, "[\"日\", \"語\"]");
	expect_value("{\"$split\": [null, \",\"]}", NULL, "null");
	expect_value("{\"$split\": [\"a\", \"$missing\"]}", NULL, "null");
	expect_error("{\"$split\": [\"a\", \"\"]}", NULL, "$split requires a non-empty separator");
	expect_error("{\"$split\": [1, \",\"]}", NULL,
				 "$split requires an expression that evaluates to a string as a first argument, found: int");
	expect_error("{\"$split\": [\"a\", 1]}", NULL,
				 "$split requires an expression that evaluates to a string as a second argument, found: int");

	expect_value("{\"$strLenBytes\": \"héllo\"}", NULL, "6");
	expect_value("{\"$strLenBytes\": \"\"}", NULL, "0");
	expect_value("{\"$strLenCP\": \"héllo\"}", NULL, "5");
	expect_value("{\"$strLenCP\": \"日本語\"}", NULL, "3");
	expect_error("{\"$strLenCP\": null}", NULL, "$strLenCP requires a string argument, found: null");
	expect_error("{\"$strLenCP\": \"$missing\"}", NULL, "$strLenCP requires a string argument, found: missing");
	expect_error("{\"$strLenBytes\": 1}", NULL, "$strLenBytes requires a string argument, found: int");
}

static void
test_index_of(void)
{
	expect_value("{\"$indexOfBytes\": [\"abcabc\", \"c\"]}", NULL, "2");
	expect_value("{\"$indexOfBytes\": [\"abcabc\", \"c\", 3]}", NULL, "5");
	expect_value("{\"$indexOfBytes\": [\"abcabc\", \"c\", 0, 2]}", NULL, "-1");
	expect_value("{\"$indexOfBytes\": [\"abcabc\", \"x\"]}", NULL, "-1");
	expect_value("{\"$indexOfBytes\": [\"abc\", \"\", 3]}", NULL, "3");
	expect_value("{\"$indexOfBytes\": [\"abc\", \"a\", 5]}", NULL, "-1");
	expect_value("{\"$indexOfBytes\": [\"abc\", \"a\", 2, 1]}", NULL, "-1");
	expect_value("{\"$indexOfBytes\": [\"héllo\", \"l\"]}", NULL, "3");
	expect_value("{\"$indexOfBytes\": [null, \"a\"]}", NULL, "null");
	expect_value("{\"$indexOfBytes\": [\"$missing\", \"a\"]}", NULL, "null");
	expect_error("{\"$indexOfBytes\": [1, \"a\"]}", NULL,
				 "$indexOfBytes requires a string as the first argument, found: int");
	expect_error("{\"$indexOfBytes\": [\"a\", null]}", NULL,
				 "$indexOfBytes requires a string as the second argument, found: null");
	expect_error("{\"$indexOfBytes\": [\"a\", \"a\", 1.5]}", NULL,
				 "requires an integral starting index, found a value of type: double, with value: 1.5");
	expect_error("{\"$indexOfBytes\": [\"a\", \"a\", 0, \"x\"]}", NULL,
				 "requires an integral ending index, found a value of type: string, with value: \"x\"");
	expect_error("{\"$indexOfBytes\": [\"a\", \"a\", " DEC("1.5") "]}", NULL,
				 "found a value of type: decimal, with value: 1.5");
	expect_error("{\"$indexOfBytes\": [\"a\", \"a\", -1]}", NULL,
				 "$indexOfBytes requires a nonnegative starting index, found: -1");
	expect_error("{\"$indexOfBytes\": [\"a\"]}", NULL,
				 "expression $indexOfBytes takes 2 to 4 arguments, 1 were passed in");

	expect_value("{\"$indexOfCP\": [\"héllo\", \"l\"]}", NULL, "2");
	expect_value("{\"$indexOfCP\": [\"日本語日本語\", \"語\", 3]}", NULL, "5");
	expect_value("{\"$indexOfCP\": [\"日本語\", \"語\", 0, 2]}", NULL, "-1");
	expect_value("{\"$indexOfCP\": [\"abc\", \"x\"]}", NULL, "-1");
	expect_value("{\"$indexOfCP\": [\"\", \"\"]}", NULL, "0");
	expect_value("{\"$indexOfCP\": [\"abc\", \"\"]}", NULL, "0");
	expect_value("{\"$indexOfCP\": [\"abc\", \"\", 3]}", NULL, "-1");
	expect_value("{\"$indexOfCP\": [\"abc\", \"c\", 5]}", NULL, "-1");
	expect_value("{\"$indexOfCP\": [null, \"a\"]}", NULL, "null");
	expect_error("{\"$indexOfCP\": [1, \"a\"]}", NULL, "$indexOfCP requires a string as the first argument, found: int");
	expect_error("{\"$indexOfCP\": [\"a\", 1]}", NULL, "$indexOfCP requires a string as the second argument, found: int");
	expect_error("{\"$indexOfCP\": [\"a\", \"a\", -2]}", NULL, "$indexOfCP requires a nonnegative starting index, found: -2");
}

static void
test_trim(void)
{
	expect_value("{\"$trim\": {\"input\": \"  a b  \"}}", NULL, "\"a b\"");
	expect_value("{\"$ltrim\": {\"input\": \"  a b  \"}}", NULL, "\"a b  \"");
	expect_value("{\"$rtrim\": {\"input\": \"  a b  \"}}", NULL, "\"  a b\"");
	expect_value("{\"$trim\": {\"input\": \"\\t\\n a\\u00a0\\u2003\"}}", NULL, "\"a\"");
	expect_value("{\"$trim\": {\"input\": \"xxaxyx\", \"chars\": \"xy\"}}", NULL, "\"a\"");
	expect_value("{\"$trim\": {\"input\": \"ééaé\", \"chars\": \"é\"}}", NULL, "\"a\"");
	expect_value("{\"$trim\": {\"input\": \"  a  \", \"chars\": \"\"}}", NULL, "\"  a  \"");
	expect_value("{\"$trim\": {\"input\": \"    \"}}", NULL, "\"\"");
	expect_value("{\"$trim\": {\"input\": null}}", NULL, "null");
	expect_value("{\"$trim\": {\"input\": \"a\", \"chars\": \"$missing\"}}", NULL, "null");
	expect_error("{\"$trim\": {\"input\": 1}}", NULL, "$trim requires its input to be a string, got 1 (of type int) instead.");
	expect_error("{\"$ltrim\": {\"input\": \"a\", \"chars\": 1}}", NULL,
				 "$ltrim requires 'chars' to be a string, got 1 (of type int) instead.");
	expect_error("{\"$trim\": \"a\"}", NULL, "$trim only supports an object as an argument, found string");
	expect_error("{\"$trim\": {\"chars\": \"a\"}}", NULL, "$trim requires an 'input' field");
	expect_error("{\"$rtrim\": {\"input\": \"a\", \"x\": 1}}", NULL, "unrecognized parameter to $rtrim: x");
}

static void
test_replace(void)
{
	expect_value("{\"$replaceOne\": {\"input\": \"a.b.c\", \"find\": \".\", \"replacement\": \"-\"}}",
				 NULL, "\"a-b.c\"");
	expect_value("{\"$replaceAll\": {\"input\": \"a.b.c\", \"find\": \".\", \"replacement\": \"--\"}}",
				 NULL, "\"a--b--c\"");
	expect_value("{\"$replaceAll\": {\"input\": \"aaa\", \"find\": \"aa\", \"replacement\": \"b\"}}",
				 NULL, "\"ba\"");
	expect_value("{\"$replaceOne\": {\"input\": \"abc\", \"find\": \"x\", \"replacement\": \"y\"}}",
				 NULL, "\"abc\"");
	expect_value("{\"$replaceOne\": {\"input\": \"abc\", \"find\": \"\", \"replacement\": \"-\"}}",
				 NULL, "\"-abc\"");
	expect_value("{\"$replaceAll\": {\"input\": \"abc\", \"find\": \"\", \"replacement\": \"-\"}}",
				 NULL, "\"-a-b-c-\"");
	expect_value("{\"$replaceAll\": {\"input\": \"é\", \"find\": \"\", \"replacement\": \"-\"}}",
				 NULL, "\"-é-\"");
	expect_value("{\"$replaceAll\": {\"input\": \"\", \"find\": \"\", \"replacement\": \"x\"}}",
				 NULL, "\"x\"");
	expect_value("{\"$replaceAll\": {\"input\": null, \"find\": \"a\", \"replacement\": \"b\"}}", NULL, "null");
	expect_value("{\"$replaceOne\": {\"input\": \"a\", \"find\": \"$missing\", \"replacement\": \"b\"}}",
				 NULL, "null");
	expect_error("{\"$replaceOne\": {\"input\": 1, \"find\": \"a\", \"replacement\": \"b\"}}", NULL,
				 "$replaceOne requires that 'input' be a string, found: 1");
	expect_error("{\"$replaceAll\": {\"input\": null, \"find\": 2, \"replacement\": \"b\"}}", NULL,
				 "$replaceAll requires that 'find' be a string, found: 2");
	expect_error("{\"$replaceAll\": {\"input\": \"a\", \"find\": \"a\", \"replacement\": [1]}}", NULL,
				 "$replaceAll requires that 'replacement' be a string");
	expect_error("{\"$replaceOne\": {\"input\": \"a\", \"find\": \"a\"}}", NULL,
				 "$replaceOne requires 'replacement' to be specified");
	expect_error("{\"$replaceOne\": {\"find\": \"a\", \"replacement\": \"b\"}}", NULL,
				 "$replaceOne requires 'input' to be specified");
	expect_error("{\"$replaceAll\": {\"input\": \"a\", \"find\": \"a\", \"replacement\": \"b\", \"z\": 1}}",
				 NULL, "unrecognized parameter to $replaceAll: z");
	expect_error("{\"$replaceAll\": \"a\"}", NULL, "$replaceAll requires an object as an argument, found: string");
}

static void
test_regex(void)
{
	expect_value("{\"$regexMatch\": {\"input\": \"Hello World\", \"regex\": \"world\"}}", NULL, "false");
	expect_value("{\"$regexMatch\": {\"input\": \"Hello World\", \"regex\": \"world\", \"options\": \"i\"}}",
				 NULL, "true");
	expect_value("{\"$regexMatch\": {\"input\": \"Hello World\", \"regex\": " RE("world", "i") "}}",
				 NULL, "true");
	expect_value("{\"$regexMatch\": {\"input\": \"$s\", \"regex\": \"^a.c$\"}}", "{\"s\": \"abc\"}", "true");
	expect_value("{\"$regexMatch\": {\"input\": \"a\\nb\", \"regex\": \"^b\", \"options\": \"m\"}}", NULL, "true");
	expect_value("{\"$regexMatch\": {\"input\": \"a\\nb\", \"regex\": \"a.b\", \"options\": \"s\"}}", NULL, "true");
	expect_value("{\"$regexMatch\": {\"input\": \"ab\", \"regex\": \"a b\", \"options\": \"x\"}}", NULL, "true");
	expect_value("{\"$regexMatch\": {\"input\": null, \"regex\": \"a\"}}", NULL, "false");
	expect_value("{\"$regexMatch\": {\"input\": \"a\", \"regex\": null}}", NULL, "false");
	expect_value("{\"$regexMatch\": {\"input\": \"$missing\", \"regex\": \"a\"}}", NULL, "false");
	/* a pattern that is not constant is compiled per document */
	expect_value("{\"$regexMatch\": {\"input\": \"$s\", \"regex\": \"$p\", \"options\": \"$o\"}}",
				 "{\"s\": \"ABC\", \"p\": \"b\", \"o\": \"i\"}", "true");
	expect_value("{\"$regexMatch\": {\"input\": \"abc\", \"regex\": \"$p\"}}", NULL, "false");
	expect_error("{\"$regexMatch\": {\"input\": \"abc\", \"regex\": \"$p\"}}", "{\"p\": \"(\"}",
				 "Invalid Regex in $regexMatch: missing closing parenthesis");
	expect_error("{\"$regexMatch\": {\"input\": \"abc\", \"regex\": \"$p\"}}", "{\"p\": 1}",
				 "$regexMatch needs 'regex' to be of type string or regex");
	expect_error("{\"$regexMatch\": {\"input\": 1, \"regex\": \"a\"}}", NULL,
				 "$regexMatch needs 'input' to be of type string");
	/* errors in constant patterns are found at compile time */
	expect_error("{\"$regexMatch\": {\"input\": \"$s\", \"regex\": \"(\"}}", NULL,
				 "compile: invalid Regex in $regexMatch: missing closing parenthesis");
	expect_error("{\"$regexMatch\": {\"input\": \"$s\", \"regex\": \"a\", \"options\": \"z\"}}", NULL,
				 "compile: $regexMatch invalid flag in regex options: z");
	expect_error("{\"$regexMatch\": {\"input\": \"$s\", \"regex\": " RE("a", "i") ", \"options\": \"m\"}}",
				 NULL, "$regexMatch: found regex option(s) specified in both 'regex' and 'option' fields");
	expect_error("{\"$regexMatch\": {\"input\": \"$s\", \"regex\": 1}}", NULL,
				 "compile: $regexMatch needs 'regex' to be of type string or regex");
	expect_error("{\"$regexMatch\": {\"input\": \"$s\", \"regex\": \"a\", \"options\": 1}}", NULL,
				 "$regexMatch needs 'options' to be of type string");
	expect_error("{\"$regexMatch\": {\"input\": \"$s\", \"regex\": \"a\\u0000b\"}}", NULL,
				 "$regexMatch: regular expression cannot contain an embedded null byte");
	expect_error("{\"$regexMatch\": \"a\"}", NULL, "$regexMatch expects an object of named arguments but found: string");
	expect_error("{\"$regexMatch\": {\"regex\": \"a\"}}", NULL, "$regexMatch requires 'input' parameter");
	expect_error("{\"$regexMatch\": {\"input\": \"a\"}}", NULL, "$regexMatch requires 'regex' parameter");
	expect_error("{\"$regexMatch\": {\"input\": \"a\", \"regex\": \"a\", \"flags\": \"i\"}}", NULL,
				 "unrecognized parameter to $regexMatch: flags");

	expect_value("{\"$regexFind\": {\"input\": \"xx abc123 def456\", \"regex\": \"([a-z]+)(\\\\d+)\"}}", NULL,
				 "{\"match\": \"abc123\", \"idx\": 3, \"captures\": [\"abc\", \"123\"]}");
	expect_value("{\"$regexFind\": {\"input\": \"héllo wörld\", \"regex\": \"w(x)?ö\"}}", NULL,
				 "{\"match\": \"wö\", \"idx\": 6, \"captures\": [null]}");
	expect_value("{\"$regexFind\": {\"input\": \"abc\", \"regex\": \"z\"}}", NULL, "null");
	expect_value("{\"$regexFind\": {\"input\": null, \"regex\": \"z\"}}", NULL, "null");
	expect_value("{\"$regexFind\": {\"input\": \"ABC\", \"regex\": \"b\", \"options\": \"i\"}}", NULL,
				 "{\"match\": \"B\", \"idx\": 1, \"captures\": []}");
	expect_error("{\"$regexFind\": {\"input\": [], \"regex\": \"z\"}}", NULL,
				 "$regexFind needs 'input' to be of type string");

	expect_value("{\"$regexFindAll\": {\"input\": \"a1 b22 c333\", \"regex\": \"[a-z](\\\\d+)\"}}", NULL,
				 "[{\"match\": \"a1\", \"idx\": 0, \"captures\": [\"1\"]},"
				 " {\"match\": \"b22\", \"idx\": 3, \"captures\": [\"22\"]},"
				 " {\"match\": \"c333\", \"idx\": 7, \"captures\": [\"333\"]}]");
	expect_value("{\"$regexFindAll\": {\"input\": \"éaéa\", \"regex\": \"a\"}}", NULL,
				 "[{\"match\": \"a\", \"idx\": 1, \"captures\": []},"
				 " {\"match\": \"a\", \"idx\": 3, \"captures\": []}]");
	/* empty matches advance by one code point */
	expect_value("{\"$regexFindAll\": {\"input\": \"aé\", \"regex\": \"x*\"}}", NULL,
				 "[{\"match\": \"\", \"idx\": 0, \"captures\": []},"
				 " {\"match\": \"\", \"idx\": 1, \"captures\": []}]");
	expect_value("{\"$regexFindAll\": {\"input\": \"\", \"regex\": \"x*\"}}", NULL,
				 "[{\"match\": \"\", \"idx\": 0, \"captures\": []}]");
	expect_value("{\"$regexFindAll\": {\"input\": \"abc\", \"regex\": \"z\"}}", NULL, "[]");
	expect_value("{\"$regexFindAll\": {\"input\": \"$missing\", \"regex\": \"z\"}}", NULL, "[]");
	expect_value("{\"$regexFindAll\": {\"input\": \"aaa\", \"regex\": \"$p\"}}", "{\"p\": \"a\"}",
				 "[{\"match\": \"a\", \"idx\": 0, \"captures\": []},"
				 " {\"match\": \"a\", \"idx\": 1, \"captures\": []},"
				 " {\"match\": \"a\", \"idx\": 2, \"captures\": []}]");
	expect_error("{\"$regexFindAll\": {\"input\": \"a\", \"regex\": \"[\"}}", NULL,
				 "invalid Regex in $regexFindAll: missing terminating ] for character class");
}

int
main(void)
{
	test_concat();
	test_substr();
	test_case();
	test_split_len();
	test_index_of();
	test_trim();
	test_replace();
	test_regex();
	/* the per-thread PCRE2 match block, so that valgrind sees no leftovers */
	asp_regex_release_thread_cache();
	return tap_done();
}
