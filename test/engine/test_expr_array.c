/*-------------------------------------------------------------------------
 *
 * test_expr_array.c
 *	  TAP tests of the array and object operators: element access, $map,
 *	  $filter, $reduce, $sortArray, $zip, set operators, $mergeObjects,
 *	  $getField, $setField, $unsetField, $arrayToObject, $objectToArray;
 *	  null/missing handling, runtime and compile errors.
 *
 *-------------------------------------------------------------------------
 */
#include "expr_util.h"

#define LONG(s) "{\"$numberLong\": \"" s "\"}"
#define DEC(s) "{\"$numberDecimal\": \"" s "\"}"

static const char *const DOC = "{\"a\": [1, 2, 3], \"e\": [], \"s\": \"str\", \"n\": null, "
"\"o\": {\"x\": 1, \"y\": 2}, \"docs\": [{\"v\": 3, \"w\": \"c\"}, {\"v\": 1, \"w\": \"a\"}, {\"v\": 2, \"w\": \"b\"}]}";

/* test_size: $size and $isArray */
static void
test_size(void)
{
	expect_value("{\"$size\": \"$a\"}", DOC, "3");
	expect_value("{\"$size\": \"$e\"}", DOC, "0");
	expect_value("{\"$size\": [[1, 2]]}", NULL, "2");
	expect_value("{\"$size\": [[]]}", NULL, "0");
	expect_error("{\"$size\": \"$s\"}", DOC, "The argument to $size must be an array. Type of argument is string");
	expect_error("{\"$size\": \"$nope\"}", DOC, "Type of argument is missing");
	expect_error("{\"$size\": null}", NULL, "Type of argument is null");
	expect_error("{\"$size\": [1, 2]}", NULL, "compile: expression $size takes exactly 1 argument, 2 were passed in");

	expect_value("{\"$isArray\": \"$a\"}", DOC, "true");
	expect_value("{\"$isArray\": [[]]}", NULL, "true");
	expect_value("{\"$isArray\": \"$s\"}", DOC, "false");
	expect_value("{\"$isArray\": \"$nope\"}", DOC, "false");
	expect_value("{\"$isArray\": [null]}", NULL, "false");
	expect_error("{\"$isArray\": [1, 2]}", NULL, "takes exactly 1 argument");
}

/* test_elem_at: $arrayElemAt, $first, $last */
static void
test_elem_at(void)
{
	expect_value("{\"$arrayElemAt\": [\"$a\", 0]}", DOC, "1");
	expect_value("{\"$arrayElemAt\": [\"$a\", 2]}", DOC, "3");
	expect_value("{\"$arrayElemAt\": [\"$a\", -1]}", DOC, "3");
	expect_value("{\"$arrayElemAt\": [\"$a\", -3]}", DOC, "1");
	expect_value("{\"$arrayElemAt\": [\"$a\", 3]}", DOC, NULL);
	expect_value("{\"$arrayElemAt\": [\"$a\", -4]}", DOC, NULL);
	expect_value("{\"$arrayElemAt\": [\"$a\", 1.0]}", DOC, "2");
	expect_value("{\"$arrayElemAt\": [\"$a\", " LONG("1") "]}", DOC, "2");
	expect_value("{\"$arrayElemAt\": [\"$a\", " DEC("1") "]}", DOC, "2");
	expect_value("{\"$arrayElemAt\": [\"$e\", 0]}", DOC, NULL);
	expect_value("{\"$arrayElemAt\": [\"$nope\", 0]}", DOC, "null");
	expect_value("{\"$arrayElemAt\": [\"$a\", null]}", DOC, "null");
	expect_value("{\"$arrayElemAt\": [\"$n\", 1]}", DOC, "null");
	expect_error("{\"$arrayElemAt\": [\"$s\", 0]}", DOC, "$arrayElemAt's first argument must be an array, but is string");
	expect_error("{\"$arrayElemAt\": [\"$a\", \"1\"]}", DOC, "$arrayElemAt's second argument must be a numeric value, but is string");
	expect_error("{\"$arrayElemAt\": [\"$a\", 1.5]}", DOC, "$arrayElemAt's second argument must be representable as a 32-bit integer: 1.5");
	expect_error("{\"$arrayElemAt\": [\"$a\", " LONG("4294967296") "]}", DOC, "representable as a 32-bit integer");
	expect_error("{\"$arrayElemAt\": [\"$a\"]}", DOC, "compile: expression $arrayElemAt takes exactly 2 arguments, 1 were passed in");

	expect_value("{\"$first\": \"$a\"}", DOC, "1");
	expect_value("{\"$last\": \"$a\"}", DOC, "3");
	expect_value("{\"$first\": [[7]]}", NULL, "7");
	expect_value("{\"$first\": \"$e\"}", DOC, NULL);
	expect_value("{\"$last\": \"$e\"}", DOC, NULL);
	expect_value("{\"$first\": \"$n\"}", DOC, "null");
	expect_value("{\"$last\": \"$nope\"}", DOC, "null");
	expect_value("{\"$first\": \"$docs.w\"}", DOC, "\"c\"");
	expect_error("{\"$first\": \"$s\"}", DOC, "$first's argument must be an array, but is string");
	expect_error("{\"$last\": 5}", NULL, "$last's argument must be an array, but is int");
	expect_error("{\"$first\": [1, 2]}", NULL, "compile: expression $first takes exactly 1 argument");
}

/* test_in: $in and $indexOfArray */
static void
test_in(void)
{
	expect_value("{\"$in\": [2, \"$a\"]}", DOC, "true");
	expect_value("{\"$in\": [2.0, \"$a\"]}", DOC, "true");
	expect_value("{\"$in\": [" LONG("3") ", \"$a\"]}", DOC, "true");
	expect_value("{\"$in\": [5, \"$a\"]}", DOC, "false");
	expect_value("{\"$in\": [\"x\", []]}", NULL, "false");
	expect_value("{\"$in\": [null, [1, null]]}", NULL, "true");
	expect_value("{\"$in\": [[1], [[1], 2]]}", NULL, "true");
	expect_value("{\"$in\": [{\"$literal\": {\"x\": 1, \"y\": 2}}, [\"$o\"]]}", DOC, "true");
	expect_error("{\"$in\": [1, \"$s\"]}", DOC, "$in requires an array as a second argument, found: string");
	expect_error("{\"$in\": [1, \"$nope\"]}", DOC, "$in requires an array as a second argument, found: missing");
	expect_error("{\"$in\": [1]}", NULL, "compile: expression $in takes exactly 2 arguments, 1 were passed in");

	expect_value("{\"$indexOfArray\": [\"$a\", 2]}", DOC, "1");
	expect_value("{\"$indexOfArray\": [\"$a\", 9]}", DOC, "-1");
	expect_value("{\"$indexOfArray\": [[1, 2, 1, 2], 2, 2]}", NULL, "3");
	expect_value("{\"$indexOfArray\": [[1, 2, 1, 2], 2, 2, 3]}", NULL, "-1");
	expect_value("{\"$indexOfArray\": [[1, 2, 1, 2], 2, 0, 100]}", NULL, "1");
	expect_value("{\"$indexOfArray\": [[1, 2, 1, 2], 2, 10]}", NULL, "-1");
	expect_value("{\"$indexOfArray\": [[1, 2], 2, 1.0, " LONG("2") "]}", NULL, "1");
	expect_value("{\"$indexOfArray\": [\"$nope\", 2]}", DOC, "null");
	expect_value("{\"$indexOfArray\": [null, 2]}", NULL, "null");
	expect_error("{\"$indexOfArray\": [\"$s\", 2]}", DOC, "$indexOfArray requires an array as a first argument, found: string");
	expect_error("{\"$indexOfArray\": [\"$a\", 2, -1]}", DOC, "$indexOfArray requires a nonnegative starting index, found: -1");
	expect_error("{\"$indexOfArray\": [\"$a\", 2, 1.5]}", DOC, "$indexOfArray requires an integral starting index, found a value of type: double, with value: 1.5");
	expect_error("{\"$indexOfArray\": [\"$a\", 2, 0, \"x\"]}", DOC, "requires an integral ending index, found a value of type: string");
	expect_error("{\"$indexOfArray\": [\"$a\", 2, 0, -2]}", DOC, "requires a nonnegative ending index");
	expect_error("{\"$indexOfArray\": [\"$a\"]}", DOC, "compile: expression $indexOfArray takes 2 to 4 arguments, 1 were passed in");
}

/* test_concat_slice: $concatArrays, $slice, $reverseArray */
static void
test_concat_slice(void)
{
	expect_value("{\"$concatArrays\": [\"$a\", [4], \"$e\"]}", DOC, "[1, 2, 3, 4]");
	expect_value("{\"$concatArrays\": []}", NULL, "[]");
	expect_value("{\"$concatArrays\": [[[1]], [null]]}", NULL, "[[1], null]");
	expect_value("{\"$concatArrays\": [\"$a\", null]}", DOC, "null");
	expect_value("{\"$concatArrays\": [\"$a\", \"$nope\"]}", DOC, "null");
	expect_value("{\"$concatArrays\": [null, \"$s\"]}", DOC, "null");
	expect_error("{\"$concatArrays\": [\"$a\", \"$s\"]}", DOC, "$concatArrays only supports arrays, not string");

	expect_value("{\"$slice\": [\"$a\", 2]}", DOC, "[1, 2]");
	expect_value("{\"$slice\": [\"$a\", -2]}", DOC, "[2, 3]");
	expect_value("{\"$slice\": [\"$a\", 10]}", DOC, "[1, 2, 3]");
	expect_value("{\"$slice\": [\"$a\", -10]}", DOC, "[1, 2, 3]");
	expect_value("{\"$slice\": [\"$a\", 0]}", DOC, "[]");
	expect_value("{\"$slice\": [\"$a\", 1, 1]}", DOC, "[2]");
	expect_value("{\"$slice\": [\"$a\", 1, 10]}", DOC, "[2, 3]");
	expect_value("{\"$slice\": [\"$a\", -2, 1]}", DOC, "[2]");
	expect_value("{\"$slice\": [\"$a\", -10, 2]}", DOC, "[1, 2]");
	expect_value("{\"$slice\": [\"$a\", 5, 2]}", DOC, "[]");
	expect_value("{\"$slice\": [\"$nope\", 1]}", DOC, "null");
	expect_value("{\"$slice\": [\"$a\", null]}", DOC, "null");
	expect_value("{\"$slice\": [\"$a\", 1, null]}", DOC, "null");
	expect_error("{\"$slice\": [\"$s\", 1]}", DOC, "First argument to $slice must be an array, but is of type: string");
	expect_error("{\"$slice\": [\"$a\", \"1\"]}", DOC, "Second argument to $slice must be a numeric value, but is of type: string");
	expect_error("{\"$slice\": [\"$a\", 1.5]}", DOC, "Second argument to $slice can't be represented as a 32-bit integer: 1.5");
	expect_error("{\"$slice\": [\"$a\", 1, \"x\"]}", DOC, "Third argument to $slice must be numeric, but is of type: string");
	expect_error("{\"$slice\": [\"$a\", 1, 0.5]}", DOC, "Third argument to $slice can't be represented as a 32-bit integer");
	expect_error("{\"$slice\": [\"$a\", 1, 0]}", DOC, "Third argument to $slice must be positive: 0");
	expect_error("{\"$slice\": [\"$a\", 1, -1]}", DOC, "must be positive: -1");
	expect_error("{\"$slice\": [\"$a\"]}", DOC, "compile: expression $slice takes 2 to 3 arguments, 1 were passed in");

	expect_value("{\"$reverseArray\": \"$a\"}", DOC, "[3, 2, 1]");
	expect_value("{\"$reverseArray\": \"$e\"}", DOC, "[]");
	expect_value("{\"$reverseArray\": [[[1, 2], 3]]}", NULL, "[3, [1, 2]]");
	expect_value("{\"$reverseArray\": \"$nope\"}", DOC, "null");
	expect_error("{\"$reverseArray\": \"$s\"}", DOC, "The argument to $reverseArray must be an array, but was of type: string");
}

/* test_range: $range */
static void
test_range(void)
{
	expect_value("{\"$range\": [0, 5]}", NULL, "[0, 1, 2, 3, 4]");
	expect_value("{\"$range\": [0, 10, 3]}", NULL, "[0, 3, 6, 9]");
	expect_value("{\"$range\": [10, 0, -4]}", NULL, "[10, 6, 2]");
	expect_value("{\"$range\": [0, -3]}", NULL, "[]");
	expect_value("{\"$range\": [5, 5]}", NULL, "[]");
	expect_value("{\"$range\": [0, 3, -1]}", NULL, "[]");
	expect_value("{\"$range\": [1.0, " LONG("3") "]}", NULL, "[1, 2]");
	expect_value("{\"$range\": [2147483646, 2147483647, 5]}", NULL, "[2147483646]");
	expect_value("{\"$range\": [-2147483648, -2147483647]}", NULL, "[-2147483648]");
	expect_error("{\"$range\": [\"a\", 5]}", NULL, "$range requires a numeric starting value, found value of type: string");
	expect_error("{\"$range\": [null, 5]}", NULL, "found value of type: null");
	expect_error("{\"$range\": [0.5, 5]}", NULL, "$range requires a starting value that can be represented as a 32-bit integer, found value: 0.5");
	expect_error("{\"$range\": [0, \"5\"]}", NULL, "$range requires a numeric ending value, found value of type: string");
	expect_error("{\"$range\": [0, 5.5]}", NULL, "$range requires an ending value that can be represented as a 32-bit integer");
	expect_error("{\"$range\": [0, 5, \"x\"]}", NULL, "$range requires a numeric step value, found value of type: string");
	expect_error("{\"$range\": [0, 5, 1.5]}", NULL, "$range requires a step value that can be represented as a 32-bit integer");
	expect_error("{\"$range\": [0, 5, 0]}", NULL, "$range requires a non-zero step value");
	expect_error("{\"$range\": [0, 2000000000]}", NULL, "larger than the 16MB document limit");
	expect_error("{\"$range\": [0]}", NULL, "compile: expression $range takes 2 to 3 arguments");
}

/* test_map: $map */
static void
test_map(void)
{
	expect_value("{\"$map\": {\"input\": \"$a\", \"as\": \"x\", \"in\": {\"$toString\": \"$$x\"}}}", DOC, "[\"1\", \"2\", \"3\"]");
	expect_value("{\"$map\": {\"input\": \"$a\", \"in\": {\"$toString\": \"$$this\"}}}", DOC, "[\"1\", \"2\", \"3\"]");
	expect_value("{\"$map\": {\"input\": \"$docs\", \"as\": \"d\", \"in\": \"$$d.w\"}}", DOC, "[\"c\", \"a\", \"b\"]");
	expect_value("{\"$map\": {\"input\": \"$docs\", \"in\": \"$$this.nope\"}}", DOC, "[null, null, null]");
	expect_value("{\"$map\": {\"input\": \"$e\", \"in\": 1}}", DOC, "[]");
	expect_value("{\"$map\": {\"input\": [1, 2], \"in\": \"$s\"}}", DOC, "[\"str\", \"str\"]");
	expect_value("{\"$map\": {\"input\": \"$nope\", \"in\": 1}}", DOC, "null");
	expect_value("{\"$map\": {\"input\": null, \"in\": 1}}", DOC, "null");
	/* nested: the inner variable shadows nothing, both visible */
	expect_value("{\"$map\": {\"input\": [[1, 2], [3]], \"as\": \"row\", \"in\": "
				 "{\"$map\": {\"input\": \"$$row\", \"as\": \"c\", \"in\": [\"$$c\", {\"$size\": \"$$row\"}]}}}}",
				 NULL, "[[[1, 2], [2, 2]], [[3, 1]]]");
	/* same name nested: the inner one wins */
	expect_value("{\"$map\": {\"input\": [[1, 2]], \"in\": {\"$map\": {\"input\": \"$$this\", \"in\": \"$$this\"}}}}",
				 NULL, "[[1, 2]]");
	expect_value("{\"$map\": {\"input\": \"$a\", \"as\": \"v\", \"in\": {\"$arrayElemAt\": [[10, 20, 30, 40], \"$$v\"]}}}",
				 DOC, "[20, 30, 40]");
	expect_error("{\"$map\": {\"input\": \"$s\", \"in\": 1}}", DOC, "input to $map must be an array not string");
	expect_error("{\"$map\": {\"input\": \"$a\", \"in\": {\"$size\": \"$$this\"}}}", DOC, "The argument to $size must be an array");
	expect_error("{\"$map\": {\"in\": 1}}", NULL, "compile: missing 'input' parameter to $map");
	expect_error("{\"$map\": {\"input\": []}}", NULL, "compile: missing 'in' parameter to $map");
	expect_error("{\"$map\": {\"input\": [], \"in\": 1, \"foo\": 1}}", NULL, "compile: unrecognized parameter to $map: foo");
	expect_error("{\"$map\": {\"input\": [], \"as\": \"Bad\", \"in\": 1}}", NULL, "compile: 'Bad' is not a valid variable name");
	expect_error("{\"$map\": {\"input\": [], \"as\": 5, \"in\": 1}}", NULL, "compile: 'as' of $map must be a variable name");
	expect_error("{\"$map\": [1]}", NULL, "compile: $map only supports an object as its argument");
	expect_error("{\"$map\": {\"input\": [], \"as\": \"x\", \"in\": \"$$y\"}}", NULL, "compile: use of undefined variable: y");
	/* the variable is not visible outside the body */
	expect_error("{\"$map\": {\"input\": \"$$x\", \"as\": \"x\", \"in\": 1}}", NULL, "use of undefined variable: x");
}

/* test_filter: $filter */
static void
test_filter(void)
{
	expect_value("{\"$filter\": {\"input\": [1, \"a\", 2, null], \"cond\": {\"$isNumber\": \"$$this\"}}}", NULL, "[1, 2]");
	expect_value("{\"$filter\": {\"input\": [1, \"a\", 2, null], \"as\": \"v\", \"cond\": {\"$isNumber\": \"$$v\"}, \"limit\": 1}}", NULL, "[1]");
	expect_value("{\"$filter\": {\"input\": [1, \"a\", 2, 3], \"cond\": {\"$isNumber\": \"$$this\"}, \"limit\": 2.0}}", NULL, "[1, 2]");
	expect_value("{\"$filter\": {\"input\": [1, 2], \"cond\": true, \"limit\": null}}", NULL, "[1, 2]");
	expect_value("{\"$filter\": {\"input\": [1, 2], \"cond\": true, \"limit\": \"$nope\"}}", NULL, "[1, 2]");
	expect_value("{\"$filter\": {\"input\": [0, 1, false, null, \"\", [], {}], \"cond\": \"$$this\"}}", NULL, "[1, \"\", [], {}]");
	expect_value("{\"$filter\": {\"input\": \"$docs\", \"as\": \"d\", \"cond\": {\"$in\": [\"$$d.w\", [\"a\", \"b\"]]}}}",
				 DOC, "[{\"v\": 1, \"w\": \"a\"}, {\"v\": 2, \"w\": \"b\"}]");
	expect_value("{\"$filter\": {\"input\": [], \"cond\": true, \"limit\": -5}}", NULL, "[]");
	expect_value("{\"$filter\": {\"input\": \"$nope\", \"cond\": true}}", DOC, "null");
	expect_value("{\"$filter\": {\"input\": \"$n\", \"cond\": true}}", DOC, "null");
	expect_error("{\"$filter\": {\"input\": \"$s\", \"cond\": true}}", DOC, "input to $filter must be an array not string");
	expect_error("{\"$filter\": {\"input\": [1], \"cond\": true, \"limit\": 0}}", NULL, "$filter: limit must be greater than 0: 0");
	expect_error("{\"$filter\": {\"input\": [1], \"cond\": true, \"limit\": 1.5}}", NULL, "$filter: limit must be represented as a 32-bit integral value: 1.5");
	expect_error("{\"$filter\": {\"input\": [1], \"cond\": true, \"limit\": \"x\"}}", NULL, "limit must be represented as a 32-bit integral value");
	expect_error("{\"$filter\": {\"input\": [1]}}", NULL, "compile: missing 'cond' parameter to $filter");
	expect_error("{\"$filter\": {\"cond\": true}}", NULL, "compile: missing 'input' parameter to $filter");
	expect_error("{\"$filter\": {\"input\": [1], \"cond\": true, \"foo\": 1}}", NULL, "compile: unrecognized parameter to $filter: foo");
	expect_error("{\"$filter\": {\"input\": [1], \"cond\": true, \"limit\": \"$$this\"}}", NULL, "use of undefined variable: this");
	expect_error("{\"$filter\": \"x\"}", NULL, "compile: $filter only supports an object as its argument");
}

/* test_reduce: $reduce */
static void
test_reduce(void)
{
	expect_value("{\"$reduce\": {\"input\": \"$a\", \"initialValue\": [], \"in\": {\"$concatArrays\": [[\"$$this\"], \"$$value\"]}}}",
				 DOC, "[3, 2, 1]");
	expect_value("{\"$reduce\": {\"input\": [[1], [2, 3], []], \"initialValue\": [0], \"in\": {\"$concatArrays\": [\"$$value\", \"$$this\"]}}}",
				 NULL, "[0, 1, 2, 3]");
	expect_value("{\"$reduce\": {\"input\": [], \"initialValue\": 42, \"in\": 0}}", NULL, "42");
	expect_value("{\"$reduce\": {\"input\": [1, 2], \"initialValue\": 0, \"in\": \"$$this\"}}", NULL, "2");
	expect_value("{\"$reduce\": {\"input\": [1, 2], \"initialValue\": 0, \"in\": \"$$REMOVE\"}}", NULL, NULL);
	expect_value("{\"$reduce\": {\"input\": \"$docs\", \"initialValue\": \"\", \"in\": {\"$arrayElemAt\": [[\"$$value\", \"$$this.w\"], 1]}}}",
				 DOC, "\"b\"");
	expect_value("{\"$reduce\": {\"input\": \"$nope\", \"initialValue\": 0, \"in\": 1}}", DOC, "null");
	expect_value("{\"$reduce\": {\"input\": null, \"initialValue\": 0, \"in\": 1}}", DOC, "null");
	expect_error("{\"$reduce\": {\"input\": \"$s\", \"initialValue\": 0, \"in\": 1}}", DOC, "$reduce requires that 'input' be an array, found: \"str\"");
	expect_error("{\"$reduce\": {\"input\": [], \"in\": 1}}", NULL, "compile: missing 'initialValue' parameter to $reduce");
	expect_error("{\"$reduce\": {\"initialValue\": 0, \"in\": 1}}", NULL, "compile: missing 'input' parameter to $reduce");
	expect_error("{\"$reduce\": {\"input\": [], \"initialValue\": 0}}", NULL, "compile: missing 'in' parameter to $reduce");
	expect_error("{\"$reduce\": {\"input\": [], \"initialValue\": 0, \"in\": 1, \"as\": \"x\"}}", NULL, "compile: unrecognized parameter to $reduce: as");
	expect_error("{\"$reduce\": {\"input\": [], \"initialValue\": \"$$value\", \"in\": 1}}", NULL, "use of undefined variable: value");
	expect_error("{\"$reduce\": 1}", NULL, "compile: $reduce only supports an object as its argument");
}

/* test_sort_array: $sortArray */
static void
test_sort_array(void)
{
	expect_value("{\"$sortArray\": {\"input\": [3, 1, 2], \"sortBy\": 1}}", NULL, "[1, 2, 3]");
	expect_value("{\"$sortArray\": {\"input\": [3, 1, 2], \"sortBy\": -1}}", NULL, "[3, 2, 1]");
	expect_value("{\"$sortArray\": {\"input\": [\"b\", 1, null, 2.5, {\"$numberLong\": \"0\"}, [1], {\"a\": 1}, true], \"sortBy\": 1}}", NULL,
				 "[null, {\"$numberLong\": \"0\"}, 1, 2.5, \"b\", {\"a\": 1}, [1], true]");
	expect_value("{\"$sortArray\": {\"input\": \"$docs\", \"sortBy\": {\"v\": 1}}}", DOC,
				 "[{\"v\": 1, \"w\": \"a\"}, {\"v\": 2, \"w\": \"b\"}, {\"v\": 3, \"w\": \"c\"}]");
	expect_value("{\"$sortArray\": {\"input\": \"$docs\", \"sortBy\": {\"w\": -1}}}", DOC,
				 "[{\"v\": 3, \"w\": \"c\"}, {\"v\": 2, \"w\": \"b\"}, {\"v\": 1, \"w\": \"a\"}]");
	/* stable, multiple keys, missing fields sort as null */
	expect_value("{\"$sortArray\": {\"input\": [{\"k\": 1, \"i\": 1}, {\"i\": 2}, {\"k\": 0, \"i\": 3}, {\"k\": 1, \"i\": 4}], \"sortBy\": {\"k\": 1}}}", NULL,
				 "[{\"i\": 2}, {\"k\": 0, \"i\": 3}, {\"k\": 1, \"i\": 1}, {\"k\": 1, \"i\": 4}]");
	expect_value("{\"$sortArray\": {\"input\": [{\"k\": 1, \"i\": 1}, {\"k\": 0, \"i\": 3}, {\"k\": 1, \"i\": 4}], \"sortBy\": {\"k\": -1, \"i\": -1}}}", NULL,
				 "[{\"k\": 1, \"i\": 4}, {\"k\": 1, \"i\": 1}, {\"k\": 0, \"i\": 3}]");
	/* dotted paths and arrays: ascending uses the smallest element */
	expect_value("{\"$sortArray\": {\"input\": [{\"a\": {\"b\": [5, 9]}}, {\"a\": {\"b\": 7}}], \"sortBy\": {\"a.b\": 1}}}", NULL,
				 "[{\"a\": {\"b\": [5, 9]}}, {\"a\": {\"b\": 7}}]");
	expect_value("{\"$sortArray\": {\"input\": [{\"a\": {\"b\": [5, 9]}}, {\"a\": {\"b\": 7}}], \"sortBy\": {\"a.b\": -1}}}", NULL,
				 "[{\"a\": {\"b\": [5, 9]}}, {\"a\": {\"b\": 7}}]");
	expect_value("{\"$sortArray\": {\"input\": [{\"a\": [{\"b\": 3}, {\"b\": 1}]}, {\"a\": [{\"b\": 2}]}], \"sortBy\": {\"a.b\": 1}}}", NULL,
				 "[{\"a\": [{\"b\": 3}, {\"b\": 1}]}, {\"a\": [{\"b\": 2}]}]");
	expect_value("{\"$sortArray\": {\"input\": [3, {\"v\": 1}], \"sortBy\": {\"v\": -1}}}", NULL, "[{\"v\": 1}, 3]");
	/* larger input exercises the merge sort */
	expect_value("{\"$sortArray\": {\"input\": [20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1], \"sortBy\": 1}}", NULL,
				 "[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20]");
	expect_value("{\"$sortArray\": {\"input\": [], \"sortBy\": 1}}", NULL, "[]");
	expect_value("{\"$sortArray\": {\"input\": \"$nope\", \"sortBy\": 1}}", NULL, "null");
	expect_error("{\"$sortArray\": {\"input\": \"x\", \"sortBy\": 1}}", NULL, "The input argument to $sortArray must be an array, but was of type: string");
	expect_error("{\"$sortArray\": {\"input\": []}}", NULL, "compile: missing 'sortBy' parameter to $sortArray");
	expect_error("{\"$sortArray\": {\"sortBy\": 1}}", NULL, "compile: missing 'input' parameter to $sortArray");
	expect_error("{\"$sortArray\": {\"input\": [], \"sortBy\": 2}}", NULL, "compile: sortBy of $sortArray must be 1, -1 or an object");
	expect_error("{\"$sortArray\": {\"input\": [], \"sortBy\": {}}}", NULL, "compile: sortBy of $sortArray");
	expect_error("{\"$sortArray\": {\"input\": [], \"sortBy\": {\"a\": \"asc\"}}}", NULL, "compile: sortBy of $sortArray");
	expect_error("{\"$sortArray\": {\"input\": [], \"sortBy\": \"a\"}}", NULL, "compile: sortBy of $sortArray");
	expect_error("{\"$sortArray\": {\"input\": [], \"sortBy\": 1, \"x\": 1}}", NULL, "compile: unrecognized parameter to $sortArray: x");
}

/* test_zip: $zip */
static void
test_zip(void)
{
	expect_value("{\"$zip\": {\"inputs\": [[1, 2, 3], [\"a\", \"b\"]]}}", NULL, "[[1, \"a\"], [2, \"b\"]]");
	expect_value("{\"$zip\": {\"inputs\": [[1, 2, 3], [\"a\", \"b\"]], \"useLongestLength\": true}}", NULL,
				 "[[1, \"a\"], [2, \"b\"], [3, null]]");
	expect_value("{\"$zip\": {\"inputs\": [[1, 2, 3], [\"a\"]], \"useLongestLength\": true, \"defaults\": [0, \"z\"]}}", NULL,
				 "[[1, \"a\"], [2, \"z\"], [3, \"z\"]]");
	expect_value("{\"$zip\": {\"inputs\": [\"$a\"]}}", DOC, "[[1], [2], [3]]");
	expect_value("{\"$zip\": {\"inputs\": [\"$a\", \"$e\"]}}", DOC, "[]");
	expect_value("{\"$zip\": {\"inputs\": [\"$a\", \"$nope\"]}}", DOC, "null");
	expect_error("{\"$zip\": {\"inputs\": [\"$a\", \"$s\"]}}", DOC, "$zip found a non-array expression in input: \"str\"");
	expect_error("{\"$zip\": {\"inputs\": \"$a\"}}", DOC, "compile: inputs of $zip must be an array of expressions, found string");
	expect_error("{\"$zip\": {\"inputs\": []}}", NULL, "compile: $zip requires at least one input array");
	expect_error("{\"$zip\": {}}", NULL, "compile: missing 'inputs' parameter to $zip");
	expect_error("{\"$zip\": {\"inputs\": [[1]], \"defaults\": [0]}}", NULL, "compile: $zip cannot have defaults unless useLongestLength is true");
	expect_error("{\"$zip\": {\"inputs\": [[1]], \"useLongestLength\": true, \"defaults\": [0, 1]}}", NULL, "compile: defaults and inputs of $zip must have the same length");
	expect_error("{\"$zip\": {\"inputs\": [[1]], \"useLongestLength\": 1}}", NULL, "compile: useLongestLength of $zip must be a bool, found int");
	expect_error("{\"$zip\": {\"inputs\": [[1]], \"useLongestLength\": true, \"defaults\": 0}}", NULL, "compile: defaults of $zip must be an array");
	expect_error("{\"$zip\": {\"inputs\": [[1]], \"bogus\": 1}}", NULL, "compile: unrecognized parameter to $zip: bogus");
}

/* test_sets: set operators */
static void
test_sets(void)
{
	expect_value("{\"$setUnion\": [[3, 1, 1], [2, 1.0]]}", NULL, "[1, 2, 3]");
	expect_value("{\"$setUnion\": []}", NULL, "[]");
	expect_value("{\"$setUnion\": [[\"b\", \"a\"]]}", NULL, "[\"a\", \"b\"]");
	expect_value("{\"$setUnion\": [[1], null]}", NULL, "null");
	expect_value("{\"$setUnion\": [[1], \"$nope\"]}", NULL, "null");
	expect_error("{\"$setUnion\": [[1], 2]}", NULL, "All operands of $setUnion must be arrays. One argument is of type: int");
	expect_value("{\"$setIntersection\": [[3, 1, 2, 2], [2, 3, 4], [3, 2]]}", NULL, "[2, 3]");
	expect_value("{\"$setIntersection\": [[1], []]}", NULL, "[]");
	expect_value("{\"$setIntersection\": [[1], null]}", NULL, "null");
	expect_error("{\"$setIntersection\": [[1], \"x\"]}", NULL, "All operands of $setIntersection must be arrays. One argument is of type: string");
	expect_value("{\"$setDifference\": [[3, 1, 3, 2], [2]]}", NULL, "[3, 1]");
	expect_value("{\"$setDifference\": [[1], null]}", NULL, "null");
	expect_error("{\"$setDifference\": [1, [2]]}", NULL, "both operands of $setDifference must be arrays. First argument is of type: int");
	expect_error("{\"$setDifference\": [[1], 2]}", NULL, "Second argument is of type: int");
	expect_value("{\"$setEquals\": [[1, 2, 2], [2, 1], [1.0, 2]]}", NULL, "true");
	expect_value("{\"$setEquals\": [[1, 2], [1]]}", NULL, "false");
	expect_value("{\"$setEquals\": [[1, 2], [1, 3]]}", NULL, "false");
	expect_error("{\"$setEquals\": [[1], null]}", NULL, "All operands of $setEquals must be arrays. 2-th argument is of type: null");
	expect_error("{\"$setEquals\": [[1]]}", NULL, "compile: expression $setEquals takes at least 2 arguments");
	expect_value("{\"$setIsSubset\": [[1, 1], [1, 2]]}", NULL, "true");
	expect_value("{\"$setIsSubset\": [[1, 3], [1, 2]]}", NULL, "false");
	expect_value("{\"$setIsSubset\": [[], []]}", NULL, "true");
	expect_error("{\"$setIsSubset\": [null, []]}", NULL, "both operands of $setIsSubset must be arrays. First argument is of type: null");
	expect_error("{\"$setIsSubset\": [[], 1]}", NULL, "Second argument is of type: int");
	expect_value("{\"$anyElementTrue\": [[0, null, 2]]}", NULL, "true");
	expect_value("{\"$anyElementTrue\": [[0, false]]}", NULL, "false");
	expect_value("{\"$anyElementTrue\": [[]]}", NULL, "false");
	expect_value("{\"$allElementsTrue\": [[1, \"a\", []]]}", NULL, "true");
	expect_value("{\"$allElementsTrue\": [[1, 0]]}", NULL, "false");
	expect_value("{\"$allElementsTrue\": [[]]}", NULL, "true");
	expect_error("{\"$allElementsTrue\": [null]}", NULL, "$allElementsTrue's argument must be an array, but is null");
	expect_error("{\"$anyElementTrue\": \"$nope\"}", NULL, "$anyElementTrue's argument must be an array, but is missing");
}

/* test_merge_objects: $mergeObjects */
static void
test_merge_objects(void)
{
	expect_value("{\"$mergeObjects\": [{\"a\": 1, \"b\": 2}, {\"a\": 3, \"c\": 4}]}", NULL, "{\"a\": 3, \"b\": 2, \"c\": 4}");
	expect_value("{\"$mergeObjects\": [\"$o\", null, \"$nope\", {\"y\": [1]}]}", DOC, "{\"x\": 1, \"y\": [1]}");
	expect_value("{\"$mergeObjects\": \"$o\"}", DOC, "{\"x\": 1, \"y\": 2}");
	expect_value("{\"$mergeObjects\": []}", NULL, "{}");
	expect_value("{\"$mergeObjects\": [null]}", NULL, "{}");
	expect_value("{\"$mergeObjects\": [{}, {\"k\": {\"n\": 1}}, {\"k\": {\"m\": 2}}]}", NULL, "{\"k\": {\"m\": 2}}");
	expect_value("{\"$mergeObjects\": [{\"a\": 1, \"b\": 2, \"c\": 3, \"d\": 4, \"e\": 5, \"f\": 6, \"g\": 7, \"h\": 8, \"i\": 9, \"j\": 10, \"k\": 11, \"l\": 12, \"m\": 13, \"n\": 14, \"o\": 15, \"p\": 16, \"q\": 17, \"r\": 18}, "
				 "{\"r\": 0, \"a\": 0, \"s\": 19, \"j\": 0}]}", NULL,
				 "{\"a\": 0, \"b\": 2, \"c\": 3, \"d\": 4, \"e\": 5, \"f\": 6, \"g\": 7, \"h\": 8, \"i\": 9, \"j\": 0, \"k\": 11, \"l\": 12, \"m\": 13, \"n\": 14, \"o\": 15, \"p\": 16, \"q\": 17, \"r\": 0, \"s\": 19}");
	expect_error("{\"$mergeObjects\": [{\"a\": 1}, 5]}", NULL, "$mergeObjects requires object inputs, but input 5 is of type int");
	expect_error("{\"$mergeObjects\": [\"$a\"]}", DOC, "is of type array");
}

/* test_object_array: $objectToArray and $arrayToObject */
static void
test_object_array(void)
{
	expect_value("{\"$objectToArray\": \"$o\"}", DOC, "[{\"k\": \"x\", \"v\": 1}, {\"k\": \"y\", \"v\": 2}]");
	expect_value("{\"$objectToArray\": {\"$literal\": {}}}", NULL, "[]");
	expect_value("{\"$objectToArray\": {\"$literal\": {\"a\": {\"b\": [1]}}}}", NULL, "[{\"k\": \"a\", \"v\": {\"b\": [1]}}]");
	expect_value("{\"$objectToArray\": \"$nope\"}", NULL, "null");
	expect_value("{\"$objectToArray\": null}", NULL, "null");
	expect_error("{\"$objectToArray\": \"$a\"}", DOC, "$objectToArray requires a document input, found: array");

	expect_value("{\"$arrayToObject\": [[[\"a\", 1], [\"b\", 2]]]}", NULL, "{\"a\": 1, \"b\": 2}");
	expect_value("{\"$arrayToObject\": [[{\"k\": \"a\", \"v\": 1}, {\"v\": 2, \"k\": \"b\"}]]}", NULL, "{\"a\": 1, \"b\": 2}");
	expect_value("{\"$arrayToObject\": [[[\"a\", 1], [\"b\", 2], [\"a\", 3]]]}", NULL, "{\"a\": 3, \"b\": 2}");
	expect_value("{\"$arrayToObject\": [[]]}", NULL, "{}");
	expect_value("{\"$arrayToObject\": {\"$objectToArray\": \"$o\"}}", DOC, "{\"x\": 1, \"y\": 2}");
	expect_value("{\"$arrayToObject\": \"$nope\"}", NULL, "null");
	expect_value("{\"$arrayToObject\": [[[\"a\", null]]]}", NULL, "{\"a\": null}");
	expect_error("{\"$arrayToObject\": \"$s\"}", DOC, "$arrayToObject requires an array input, found: string");
	expect_error("{\"$arrayToObject\": [[1]]}", NULL, "Unrecognised input type format for $arrayToObject: int");
	expect_error("{\"$arrayToObject\": [[[\"a\", 1], {\"k\": \"b\", \"v\": 2}]]}", NULL, "Array was detected, now found: object");
	expect_error("{\"$arrayToObject\": [[{\"k\": \"b\", \"v\": 2}, [\"a\", 1]]]}", NULL, "Object was detected, now found: array");
	expect_error("{\"$arrayToObject\": [[[\"a\", 1, 2]]]}", NULL, "$arrayToObject requires an array of size 2 arrays,found array of size: 3");
	expect_error("{\"$arrayToObject\": [[[1, 1]]]}", NULL, "where the key must be of type string. Found key type: int");
	expect_error("{\"$arrayToObject\": [[{\"k\": \"a\"}]]}", NULL, "Found incorrect number of keys:1");
	expect_error("{\"$arrayToObject\": [[{\"k\": \"a\", \"x\": 1}]]}", NULL, "Missing either or both keys from");
	expect_error("{\"$arrayToObject\": [[{\"k\": 1, \"v\": 1}]]}", NULL, "the value of 'k' must be of type string. Found type: int");
	expect_error("{\"$arrayToObject\": [[[\"a\\u0000b\", 1]]]}", NULL, "Key field cannot contain an embedded null byte");
}

/* test_get_set_field: $getField, $setField, $unsetField */
static void
test_get_set_field(void)
{
	expect_value("{\"$getField\": \"s\"}", DOC, "\"str\"");
	expect_value("{\"$getField\": \"nope\"}", DOC, NULL);
	expect_value("{\"$getField\": {\"field\": \"x\", \"input\": \"$o\"}}", DOC, "1");
	expect_value("{\"$getField\": {\"field\": \"a.b\", \"input\": {\"$literal\": {\"a.b\": 5, \"a\": {\"b\": 6}}}}}", NULL, "5");
	expect_value("{\"$getField\": {\"field\": {\"$literal\": \"$p\"}, \"input\": {\"$literal\": {\"$p\": 7}}}}", NULL, "7");
	expect_value("{\"$getField\": {\"field\": \"$s\", \"input\": {\"$literal\": {\"str\": 8}}}}", DOC, "8");
	expect_value("{\"$getField\": {\"field\": \"x\", \"input\": \"$nope\"}}", DOC, NULL);
	expect_value("{\"$getField\": {\"field\": \"x\", \"input\": null}}", DOC, "null");
	expect_value("{\"$getField\": {\"field\": \"x\", \"input\": 5}}", DOC, NULL);
	expect_value("{\"$map\": {\"input\": \"$docs\", \"in\": {\"$getField\": {\"field\": \"v\", \"input\": \"$$this\"}}}}", DOC, "[3, 1, 2]");
	expect_error("{\"$getField\": {\"field\": \"$a\"}}", DOC, "$getField requires 'field' to evaluate to type String, but got array");
	expect_error("{\"$getField\": {\"field\": 5}}", NULL, "compile: $getField requires 'field' to evaluate to type String, but got int");
	expect_error("{\"$getField\": {\"input\": {}}}", NULL, "compile: missing 'field' parameter to $getField");
	expect_error("{\"$getField\": {\"field\": \"a\", \"x\": 1}}", NULL, "compile: unrecognized parameter to $getField: x");

	expect_value("{\"$setField\": {\"field\": \"y\", \"input\": \"$o\", \"value\": 9}}", DOC, "{\"x\": 1, \"y\": 9}");
	expect_value("{\"$setField\": {\"field\": \"z\", \"input\": \"$o\", \"value\": [1]}}", DOC, "{\"x\": 1, \"y\": 2, \"z\": [1]}");
	expect_value("{\"$setField\": {\"field\": \"x\", \"input\": \"$o\", \"value\": \"$$REMOVE\"}}", DOC, "{\"y\": 2}");
	expect_value("{\"$setField\": {\"field\": \"q\", \"input\": \"$o\", \"value\": \"$nope\"}}", DOC, "{\"x\": 1, \"y\": 2}");
	expect_value("{\"$setField\": {\"field\": {\"$literal\": \"$d\"}, \"input\": {}, \"value\": 1}}", NULL, "{\"$d\": 1}");
	expect_value("{\"$setField\": {\"field\": \"a.b\", \"input\": {}, \"value\": 1}}", NULL, "{\"a.b\": 1}");
	expect_value("{\"$setField\": {\"field\": \"x\", \"input\": null, \"value\": 1}}", NULL, "null");
	expect_value("{\"$setField\": {\"field\": \"x\", \"input\": \"$nope\", \"value\": 1}}", NULL, "null");
	expect_error("{\"$setField\": {\"field\": \"x\", \"input\": 5, \"value\": 1}}", NULL, "$setField requires 'input' to evaluate to type Object");
	expect_error("{\"$setField\": {\"field\": \"$x\", \"input\": {}, \"value\": 1}}", NULL, "compile: '$x' is a field path reference which is not allowed in 'field' of $setField");
	expect_error("{\"$setField\": {\"field\": 5, \"input\": {}, \"value\": 1}}", NULL, "compile: $setField requires 'field' to evaluate to type String, but got int");
	expect_error("{\"$setField\": {\"field\": {\"$toString\": \"$s\"}, \"input\": {}, \"value\": 1}}", NULL, "compile: $setField requires 'field' to evaluate to a constant");
	expect_error("{\"$setField\": {\"input\": {}, \"value\": 1}}", NULL, "compile: missing 'field' parameter to $setField");
	expect_error("{\"$setField\": {\"field\": \"a\", \"value\": 1}}", NULL, "compile: missing 'input' parameter to $setField");
	expect_error("{\"$setField\": {\"field\": \"a\", \"input\": {}}}", NULL, "compile: missing 'value' parameter to $setField");
	expect_error("{\"$setField\": 1}", NULL, "compile: $setField only supports an object as its argument");

	expect_value("{\"$unsetField\": {\"field\": \"x\", \"input\": \"$o\"}}", DOC, "{\"y\": 2}");
	expect_value("{\"$unsetField\": {\"field\": \"zz\", \"input\": \"$o\"}}", DOC, "{\"x\": 1, \"y\": 2}");
	expect_value("{\"$unsetField\": {\"field\": \"x\", \"input\": null}}", NULL, "null");
	expect_error("{\"$unsetField\": {\"field\": \"x\", \"input\": []}}", NULL, "$unsetField requires 'input' to evaluate to type Object");
	expect_error("{\"$unsetField\": {\"field\": \"x\", \"input\": {}, \"value\": 1}}", NULL, "compile: unrecognized parameter to $unsetField: value");
}

/* test_folding: constant arguments are folded, variables are not */
static void
test_folding(void)
{
	asp_error	err;
	asp_expr_compiler c;
	bson_t	   *b = bson_new_from_json((const uint8_t *) "{\"e\": {\"$size\": [[1, 2, 3]]}, "
									   "\"f\": {\"$map\": {\"input\": [1], \"in\": \"$$this\"}}, "
									   "\"g\": {\"$getField\": \"a\"}}", -1, NULL);
	bson_iter_t it;
	asp_expr   *e;

	asp_error_init(&err);
	asp_expr_compiler_init(&c, &err, "test");
	bson_iter_init_find(&it, b, "e");
	e = asp_expr_compile_iter(&c, &it);
	ok(e != NULL && e->is_const && e->constant.value.v_int32 == 3, "constant $size is folded");
	asp_expr_free(e);
	bson_iter_init_find(&it, b, "f");
	e = asp_expr_compile_iter(&c, &it);
	ok(e != NULL && !e->is_const, "$map with a variable body is not folded");
	asp_expr_free(e);
	bson_iter_init_find(&it, b, "g");
	e = asp_expr_compile_iter(&c, &it);
	ok(e != NULL && !e->is_const, "$getField on $$CURRENT is not folded");
	asp_expr_free(e);
	ok(c.nvars == 0, "variables popped after compilation");
	bson_destroy(b);
}

int
main(void)
{
	test_size();
	test_elem_at();
	test_in();
	test_concat_slice();
	test_range();
	test_map();
	test_filter();
	test_reduce();
	test_sort_array();
	test_zip();
	test_sets();
	test_merge_objects();
	test_object_array();
	test_get_set_field();
	test_folding();
	return tap_done();
}
