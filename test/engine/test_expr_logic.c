/*-------------------------------------------------------------------------
 *
 * test_expr_logic.c
 *	  Unit tests (TAP) of the comparison, boolean and conditional
 *	  operators (expr_logic.c).
 *
 * Build and run from the repository root (or `make check-engine`):
 *
 *   gcc -std=gnu11 -O1 -g -Wall -Wextra -Werror \
 *       $(pkg-config --cflags libbson-1.0 libpcre2-8) -Isrc/engine -Itest/engine \
 *       -o /tmp/test_expr_logic test/engine/test_expr_logic.c src/engine/[a-z]*.c \
 *       $(pkg-config --libs libbson-1.0 libpcre2-8) -lm
 *   /tmp/test_expr_logic
 *
 *-------------------------------------------------------------------------
 */
#include "expr_util.h"

#define DEC(s) "{\"$numberDecimal\": \"" s "\"}"
#define LONG(s) "{\"$numberLong\": \"" s "\"}"
#define DBL(s) "{\"$numberDouble\": \"" s "\"}"

static void
test_comparison(void)
{
	expect_value("{\"$eq\": [1, 1]}", NULL, "true");
	expect_value("{\"$eq\": [1, 1.0]}", NULL, "true");
	expect_value("{\"$eq\": [1, " LONG("1") "]}", NULL, "true");
	expect_value("{\"$eq\": [1, " DEC("1.00") "]}", NULL, "true");
	expect_value("{\"$eq\": [\"a\", \"a\"]}", NULL, "true");
	expect_value("{\"$eq\": [\"a\", \"A\"]}", NULL, "false");
	expect_value("{\"$eq\": [[1, 2], [1, 2]]}", NULL, "true");
	expect_value("{\"$eq\": [{\"a\": 1}, {\"a\": 1}]}", NULL, "true");
	expect_value("{\"$eq\": [null, null]}", NULL, "true");
	expect_value("{\"$eq\": [\"$missing\", null]}", NULL, "false");
	expect_value("{\"$eq\": [\"$missing\", \"$other\"]}", NULL, "true");
	expect_value("{\"$eq\": [" DBL("NaN") ", " DBL("NaN") "]}", NULL, "true");
	expect_value("{\"$eq\": [\"$a\", 5]}", "{\"a\": 5}", "true");
	expect_value("{\"$ne\": [1, 2]}", NULL, "true");
	expect_value("{\"$ne\": [1, 1]}", NULL, "false");
	expect_value("{\"$ne\": [\"$missing\", null]}", NULL, "true");
	expect_value("{\"$gt\": [2, 1]}", NULL, "true");
	expect_value("{\"$gt\": [1, 1]}", NULL, "false");
	/* no type bracketing: every string sorts above every number */
	expect_value("{\"$gt\": [\"a\", 1]}", NULL, "true");
	expect_value("{\"$gt\": [null, \"$missing\"]}", NULL, "true");
	expect_value("{\"$gt\": [1, null]}", NULL, "true");
	expect_value("{\"$gte\": [1, 1]}", NULL, "true");
	expect_value("{\"$gte\": [0, 1]}", NULL, "false");
	expect_value("{\"$lt\": [1, 2]}", NULL, "true");
	expect_value("{\"$lt\": [" DBL("NaN") ", -1e308]}", NULL, "true");
	expect_value("{\"$lt\": [{\"a\": 1}, [1]]}", NULL, "true");
	expect_value("{\"$lte\": [2, 2]}", NULL, "true");
	expect_value("{\"$lte\": [3, 2]}", NULL, "false");
	expect_value("{\"$cmp\": [1, 2]}", NULL, "-1");
	expect_value("{\"$cmp\": [2, 2]}", NULL, "0");
	expect_value("{\"$cmp\": [\"b\", \"a\"]}", NULL, "1");
	expect_value("{\"$cmp\": [true, false]}", NULL, "1");
	expect_error("{\"$eq\": [1]}", NULL, "expression $eq takes exactly 2 arguments, 1 were passed in");
	expect_error("{\"$gt\": [1, 2, 3]}", NULL, "expression $gt takes exactly 2 arguments, 3 were passed in");
	expect_error("{\"$cmp\": 1}", NULL, "expression $cmp takes exactly 2 arguments, 1 were passed in");
}

static void
test_boolean(void)
{
	expect_value("{\"$and\": [true, 1, \"x\"]}", NULL, "true");
	expect_value("{\"$and\": [true, 0]}", NULL, "false");
	expect_value("{\"$and\": []}", NULL, "true");
	expect_value("{\"$and\": [null]}", NULL, "false");
	expect_value("{\"$and\": [\"$missing\"]}", NULL, "false");
	expect_value("{\"$and\": [[]]}", NULL, "true");
	expect_value("{\"$and\": [" DEC("0") "]}", NULL, "false");
	expect_value("{\"$and\": \"$a\"}", "{\"a\": 1}", "true");
	/* short-circuit: the division is never evaluated */
	expect_value("{\"$and\": [false, {\"$divide\": [1, \"$zero\"]}]}", "{\"zero\": 0}", "false");
	expect_value("{\"$or\": [false, 0, null]}", NULL, "false");
	expect_value("{\"$or\": [false, 2]}", NULL, "true");
	expect_value("{\"$or\": []}", NULL, "false");
	expect_value("{\"$or\": [true, {\"$divide\": [1, \"$zero\"]}]}", "{\"zero\": 0}", "true");
	expect_error("{\"$or\": [false, {\"$divide\": [1, \"$zero\"]}]}", "{\"zero\": 0}", "can't $divide by zero");
	expect_value("{\"$not\": [true]}", NULL, "false");
	expect_value("{\"$not\": 0}", NULL, "true");
	expect_value("{\"$not\": [\"$missing\"]}", NULL, "true");
	expect_value("{\"$not\": [[false]]}", NULL, "false");
	expect_error("{\"$not\": [1, 2]}", NULL, "expression $not takes exactly 1 argument, 2 were passed in");
	expect_error("{\"$not\": []}", NULL, "expression $not takes exactly 1 argument, 0 were passed in");
}

static void
test_cond(void)
{
	expect_value("{\"$cond\": [true, 1, 2]}", NULL, "1");
	expect_value("{\"$cond\": [0, 1, 2]}", NULL, "2");
	expect_value("{\"$cond\": [\"$a\", \"yes\", \"no\"]}", "{\"a\": 1}", "\"yes\"");
	expect_value("{\"$cond\": [\"$a\", \"yes\", \"no\"]}", NULL, "\"no\"");
	expect_value("{\"$cond\": {\"if\": {\"$gt\": [\"$a\", 5]}, \"then\": \"big\", \"else\": \"small\"}}",
				 "{\"a\": 7}", "\"big\"");
	expect_value("{\"$cond\": {\"else\": 2, \"then\": 1, \"if\": false}}", NULL, "2");
	expect_value("{\"$cond\": [true, \"$missing\", 1]}", NULL, NULL);
	/* the branch not taken is not evaluated */
	expect_value("{\"$cond\": [true, 1, {\"$divide\": [1, \"$zero\"]}]}", "{\"zero\": 0}", "1");
	expect_error("{\"$cond\": [true, 1]}", NULL, "expression $cond takes exactly 3 arguments, 2 were passed in");
	expect_error("{\"$cond\": true}", NULL, "expression $cond takes exactly 3 arguments, 1 were passed in");
	expect_error("{\"$cond\": {\"if\": true, \"then\": 1}}", NULL, "$cond requires 'if', 'then' and 'else'");
	expect_error("{\"$cond\": {\"if\": true, \"then\": 1, \"else\": 2, \"x\": 3}}", NULL,
				 "unrecognized parameter to $cond: x");
	expect_error("{\"$cond\": {\"if\": {\"$bogus\": 1}, \"then\": 1, \"else\": 2}}", NULL,
				 "unrecognized expression operator '$bogus'");
}

static void
test_if_null(void)
{
	expect_value("{\"$ifNull\": [\"$a\", \"default\"]}", "{\"a\": 3}", "3");
	expect_value("{\"$ifNull\": [\"$a\", \"default\"]}", "{\"a\": null}", "\"default\"");
	expect_value("{\"$ifNull\": [\"$a\", \"default\"]}", NULL, "\"default\"");
	expect_value("{\"$ifNull\": [\"$a\", \"$b\", \"c\"]}", "{\"b\": false}", "false");
	expect_value("{\"$ifNull\": [\"$a\", \"$b\", \"c\"]}", NULL, "\"c\"");
	expect_value("{\"$ifNull\": [\"$a\", \"$b\"]}", NULL, NULL);
	expect_value("{\"$ifNull\": [\"$a\", null]}", NULL, "null");
	expect_value("{\"$ifNull\": [0, 1]}", NULL, "0");
	expect_error("{\"$ifNull\": [1]}", NULL, "expression $ifNull takes at least 2 arguments, 1 were passed in");
	expect_error("{\"$ifNull\": \"$a\"}", NULL, "takes at least 2 arguments");
}

static void
test_switch(void)
{
	const char *sw = "{\"$switch\": {\"branches\": ["
		"{\"case\": {\"$lt\": [\"$x\", 0]}, \"then\": \"negative\"},"
		"{\"case\": {\"$eq\": [\"$x\", 0]}, \"then\": \"zero\"}],"
		"\"default\": \"positive\"}}";
	const char *nodefault = "{\"$switch\": {\"branches\": ["
		"{\"case\": {\"$lt\": [\"$x\", 0]}, \"then\": \"negative\"}]}}";

	expect_value(sw, "{\"x\": -3}", "\"negative\"");
	expect_value(sw, "{\"x\": 0}", "\"zero\"");
	expect_value(sw, "{\"x\": 4}", "\"positive\"");
	expect_value(nodefault, "{\"x\": -1}", "\"negative\"");
	expect_error(nodefault, "{\"x\": 1}",
				 "$switch could not find a matching branch for an input, and no default was specified.");
	expect_value("{\"$switch\": {\"branches\": [{\"case\": true, \"then\": 1}]}}", NULL, "1");
	expect_value("{\"$switch\": {\"branches\": [{\"case\": false, \"then\": 1}], \"default\": 2}}", NULL, "2");
	/* later branches are not evaluated */
	expect_value("{\"$switch\": {\"branches\": [{\"case\": true, \"then\": 1},"
				 "{\"case\": {\"$divide\": [1, \"$zero\"]}, \"then\": 2}]}}", "{\"zero\": 0}", "1");
	expect_error("{\"$switch\": [1]}", NULL, "$switch requires an object as an argument, found: array");
	expect_error("{\"$switch\": {\"branches\": {}}}", NULL, "$switch expected an array for 'branches', found: object");
	expect_error("{\"$switch\": {\"branches\": [1]}}", NULL, "$switch expected each branch to be an object, found: int");
	expect_error("{\"$switch\": {\"branches\": [{\"case\": true}]}}", NULL,
				 "$switch requires each branch have a 'then' expression");
	expect_error("{\"$switch\": {\"branches\": [{\"then\": 1}]}}", NULL,
				 "$switch requires each branch have a 'case' expression");
	expect_error("{\"$switch\": {\"branches\": [{\"case\": true, \"then\": 1, \"x\": 2}]}}", NULL,
				 "unrecognized parameter to a $switch branch: x");
	expect_error("{\"$switch\": {\"branches\": [], \"default\": 1}}", NULL, "$switch requires at least one branch");
	expect_error("{\"$switch\": {\"default\": 1}}", NULL, "$switch requires at least one branch");
	expect_error("{\"$switch\": {\"branches\": [{\"case\": true, \"then\": 1}], \"foo\": 1}}", NULL,
				 "unrecognized parameter to $switch: foo");
	expect_error("{\"$switch\": {\"branches\": [{\"case\": false, \"then\": 1}]}}", NULL,
				 "one cannot execute a switch statement where all the cases evaluate to false without a default");
}

int
main(void)
{
	test_comparison();
	test_boolean();
	test_cond();
	test_if_null();
	test_switch();
	return tap_done();
}
