/*-------------------------------------------------------------------------
 *
 * test_expr_arith.c
 *	  Unit tests (TAP) of the arithmetic operators (expr_arith.c and the
 *	  decimal functions of expr_arith_dec.c).
 *
 * Build and run from the repository root (or `make check-engine`):
 *
 *   gcc -std=gnu11 -O1 -g -Wall -Wextra -Werror \
 *       $(pkg-config --cflags libbson-1.0 libpcre2-8) -Isrc/engine -Itest/engine \
 *       -o /tmp/test_expr_arith test/engine/test_expr_arith.c src/engine/[a-z]*.c \
 *       $(pkg-config --libs libbson-1.0 libpcre2-8) -lm
 *   /tmp/test_expr_arith
 *
 * Expected decimal results of $ln, $log, $log10, $exp and $pow are those
 * of MongoDB's own tests (jstests/aggregation/expressions/log_pow_exp.js).
 *
 *-------------------------------------------------------------------------
 */
#include "expr_util.h"

#define DEC(s) "{\"$numberDecimal\": \"" s "\"}"
#define LONG(s) "{\"$numberLong\": \"" s "\"}"
#define INT(s) "{\"$numberInt\": \"" s "\"}"
#define DBL(s) "{\"$numberDouble\": \"" s "\"}"
#define DATE(ms) "{\"$date\": {\"$numberLong\": \"" ms "\"}}"

static void
test_add(void)
{
	expect_value("{\"$add\": [1, 2]}", NULL, "3");
	expect_value("{\"$add\": []}", NULL, "0");
	expect_value("{\"$add\": [\"$a\", \"$b\"]}", "{\"a\": 5, \"b\": 7}", "12");
	expect_value("{\"$add\": [" INT("2147483647") ", 1]}", NULL, LONG("2147483648"));
	expect_value("{\"$add\": [" INT("-2147483648") ", -1]}", NULL, LONG("-2147483649"));
	expect_value("{\"$add\": [" LONG("1") ", 2]}", NULL, LONG("3"));
	expect_value("{\"$add\": [" LONG("9223372036854775807") ", 1]}", NULL,
				 DBL("9.2233720368547758E+18"));
	expect_value("{\"$add\": [1, 2.5]}", NULL, "3.5");
	expect_value("{\"$add\": [0.1, 0.2]}", NULL, DBL("0.30000000000000004"));
	expect_value("{\"$add\": [1, " DEC("2.5") "]}", NULL, DEC("3.5"));
	/* a double total widened to decimal keeps 34 digits; a double operand 15 */
	expect_value("{\"$add\": [0.1, " DEC("1") "]}", NULL, DEC("1.100000000000000005551115123125783"));
	expect_value("{\"$add\": [" DEC("1") ", 0.1]}", NULL, DEC("1.100000000000000"));
	/* dates */
	expect_value("{\"$add\": [" DATE("1000") ", 500]}", NULL, DATE("1500"));
	expect_value("{\"$add\": [500, " DATE("1000") ", " LONG("1") "]}", NULL, DATE("1501"));
	expect_value("{\"$add\": [" DATE("1000") ", 1.5]}", NULL, DATE("1002"));
	expect_value("{\"$add\": [" DATE("1000") ", " DEC("2.5") "]}", NULL, DATE("1002"));
	expect_error("{\"$add\": [" DATE("1000") ", " DATE("1") "]}", NULL,
				 "only one date allowed in an $add expression");
	expect_error("{\"$add\": [" DATE("1000") ", 1e300]}", NULL, "date overflow in $add");
	/* null and missing */
	expect_value("{\"$add\": [1, null]}", NULL, "null");
	expect_value("{\"$add\": [1, \"$nope\"]}", NULL, "null");
	expect_value("{\"$add\": [null, \"x\"]}", NULL, "null");
	/* errors */
	expect_error("{\"$add\": [1, \"x\"]}", NULL, "$add only supports numeric or date types, not string");
	expect_error("{\"$add\": [true]}", NULL, "$add only supports numeric or date types, not bool");
	expect_error("{\"$add\": [\"$a\", 1]}", "{\"a\": [1]}", "not array");
}

static void
test_subtract(void)
{
	expect_value("{\"$subtract\": [5, 3]}", NULL, "2");
	expect_value("{\"$subtract\": [" INT("-2147483648") ", 1]}", NULL, LONG("-2147483649"));
	expect_value("{\"$subtract\": [" LONG("5") ", 3]}", NULL, LONG("2"));
	expect_value("{\"$subtract\": [" LONG("-9223372036854775808") ", 1]}", NULL,
				 DBL("-9.2233720368547758E+18"));
	expect_value("{\"$subtract\": [5, 0.5]}", NULL, "4.5");
	expect_value("{\"$subtract\": [" DEC("5.5") ", 1]}", NULL, DEC("4.5"));
	expect_value("{\"$subtract\": [" DATE("5000") ", " DATE("1000") "]}", NULL, LONG("4000"));
	expect_value("{\"$subtract\": [" DATE("5000") ", 1000]}", NULL, DATE("4000"));
	expect_value("{\"$subtract\": [" DATE("5000") ", 2.9]}", NULL, DATE("4997"));	/* a fractional ms count rounds, as in $add */
	expect_value("{\"$subtract\": [" DATE("5000") ", null]}", NULL, "null");
	expect_value("{\"$subtract\": [null, 1]}", NULL, "null");
	expect_value("{\"$subtract\": [\"$x\", \"$y\"]}", NULL, "null");
	expect_error("{\"$subtract\": [" DATE("5000") ", \"a\"]}", NULL, "can't $subtract string from Date");
	expect_error("{\"$subtract\": [5, " DATE("1") "]}", NULL, "can't $subtract date from int");
	expect_error("{\"$subtract\": [\"a\", 1]}", NULL, "can't $subtract int from string");
	expect_error("{\"$subtract\": [1]}", NULL, "expression $subtract takes exactly 2 arguments, 1 were passed in");
	expect_error("{\"$subtract\": [1, 2, 3]}", NULL, "takes exactly 2 arguments");
}

static void
test_multiply(void)
{
	expect_value("{\"$multiply\": [2, 3]}", NULL, "6");
	expect_value("{\"$multiply\": []}", NULL, "1");
	expect_value("{\"$multiply\": [65536, 65536]}", NULL, LONG("4294967296"));
	expect_value("{\"$multiply\": [" LONG("2") ", 3]}", NULL, LONG("6"));
	expect_value("{\"$multiply\": [" LONG("9223372036854775807") ", 2]}", NULL,
				 DBL("1.8446744073709552E+19"));
	expect_value("{\"$multiply\": [2, 1.5]}", NULL, "3.0");
	expect_value("{\"$multiply\": [2, " DEC("1.5") "]}", NULL, DEC("3.0"));
	expect_value("{\"$multiply\": [0.5, " DEC("3") "]}", NULL, DEC("1.500000000000000"));
	expect_value("{\"$multiply\": [2, null]}", NULL, "null");
	expect_error("{\"$multiply\": [2, \"x\"]}", NULL, "$multiply only supports numeric types, not string");
}

static void
test_divide(void)
{
	expect_value("{\"$divide\": [6, 3]}", NULL, "2.0");
	expect_value("{\"$divide\": [1, 4]}", NULL, "0.25");
	expect_value("{\"$divide\": [" LONG("7") ", 2]}", NULL, "3.5");
	expect_value("{\"$divide\": [" DEC("1") ", 4]}", NULL, DEC("0.25"));
	expect_value("{\"$divide\": [" DEC("10") ", " DEC("3") "]}", NULL,
				 DEC("3.333333333333333333333333333333333"));
	expect_value("{\"$divide\": [1, null]}", NULL, "null");
	expect_value("{\"$divide\": [\"x\", null]}", NULL, "null");
	expect_error("{\"$divide\": [1, 0]}", NULL, "can't $divide by zero");
	expect_error("{\"$divide\": [1, 0.0]}", NULL, "can't $divide by zero");
	expect_error("{\"$divide\": [1, " DEC("0") "]}", NULL, "can't $divide by zero");
	expect_error("{\"$divide\": [\"x\", 1]}", NULL, "$divide only supports numeric types, not string and int");
}

static void
test_mod(void)
{
	expect_value("{\"$mod\": [10, 3]}", NULL, "1");
	expect_value("{\"$mod\": [-10, 3]}", NULL, "-1");
	expect_value("{\"$mod\": [10, 3.0]}", NULL, "1.0");	/* MongoDB 7.2+: the wider input type */
	expect_value("{\"$mod\": [" LONG("10") ", 3]}", NULL, LONG("1"));
	expect_value("{\"$mod\": [10.5, 3]}", NULL, "1.5");
	expect_value("{\"$mod\": [10, 3.5]}", NULL, "3.0");
	expect_value("{\"$mod\": [" INT("-2147483648") ", -1]}", NULL, "0");
	expect_value("{\"$mod\": [" DEC("7.5") ", 2]}", NULL, DEC("1.5"));
	expect_value("{\"$mod\": [" DEC("-7.5") ", 2]}", NULL, DEC("-1.5"));
	expect_value("{\"$mod\": [null, 2]}", NULL, "null");
	expect_value("{\"$mod\": [\"x\", null]}", NULL, "null");
	expect_error("{\"$mod\": [10, 0]}", NULL, "can't $mod by zero");
	expect_error("{\"$mod\": [10, " DEC("0") "]}", NULL, "can't $mod by zero");
	expect_error("{\"$mod\": [\"a\", 2]}", NULL, "$mod only supports numeric types, not string and int");
}

static void
test_abs_ceil_floor(void)
{
	expect_value("{\"$abs\": -5}", NULL, "5");
	expect_value("{\"$abs\": [-5]}", NULL, "5");
	expect_value("{\"$abs\": " INT("-2147483648") "}", NULL, LONG("2147483648"));
	expect_value("{\"$abs\": " LONG("-3") "}", NULL, LONG("3"));
	expect_value("{\"$abs\": -2.5}", NULL, "2.5");
	expect_value("{\"$abs\": " DEC("-2.50") "}", NULL, DEC("2.50"));
	expect_value("{\"$abs\": null}", NULL, "null");
	expect_value("{\"$abs\": \"$missing\"}", NULL, "null");
	expect_error("{\"$abs\": " LONG("-9223372036854775808") "}", NULL, "can't take $abs of long long min");
	expect_error("{\"$abs\": \"x\"}", NULL, "$abs only supports numeric types, not string");
	expect_error("{\"$abs\": [1, 2]}", NULL, "expression $abs takes exactly 1 argument, 2 were passed in");

	expect_value("{\"$ceil\": 0.9}", NULL, "1.0");
	expect_value("{\"$ceil\": -1.2}", NULL, "-1.0");
	expect_value("{\"$ceil\": " LONG("4") "}", NULL, LONG("4"));
	expect_value("{\"$ceil\": " DEC("1.1") "}", NULL, DEC("2"));
	expect_value("{\"$ceil\": " DEC("-1.1") "}", NULL, DEC("-1"));
	expect_value("{\"$ceil\": " DBL("Infinity") "}", NULL, DBL("Infinity"));
	expect_value("{\"$ceil\": null}", NULL, "null");
	expect_error("{\"$ceil\": \"x\"}", NULL, "$ceil only supports numeric types, not string");
	expect_value("{\"$floor\": 0.9}", NULL, "0.0");
	expect_value("{\"$floor\": -1.2}", NULL, "-2.0");
	expect_value("{\"$floor\": 7}", NULL, "7");
	expect_value("{\"$floor\": " DEC("-1.1") "}", NULL, DEC("-2"));
	expect_value("{\"$floor\": " DEC("1E+2") "}", NULL, DEC("100"));
	expect_value("{\"$floor\": " DBL("NaN") "}", NULL, DBL("NaN"));
	expect_error("{\"$floor\": true}", NULL, "$floor only supports numeric types, not bool");
}

static void
test_round_trunc(void)
{
	expect_value("{\"$round\": 2.5}", NULL, "2.0");
	expect_value("{\"$round\": 3.5}", NULL, "4.0");
	expect_value("{\"$round\": -2.5}", NULL, "-2.0");
	expect_value("{\"$round\": [2.675, 2]}", NULL, "2.67");
	expect_value("{\"$round\": [1.2345, 2]}", NULL, "1.23");
	expect_value("{\"$round\": [1234.5678, -2]}", NULL, "1200.0");
	expect_value("{\"$round\": [" DEC("2.55") ", 1]}", NULL, DEC("2.6"));
	expect_value("{\"$round\": [" DEC("2.65") ", 1]}", NULL, DEC("2.6"));
	expect_value("{\"$round\": [" DEC("1234") ", -2]}", NULL, DEC("1.2E+3"));
	expect_value("{\"$round\": [" DEC("Infinity") ", 1]}", NULL, DEC("Infinity"));
	expect_value("{\"$round\": [1234, -2]}", NULL, "1200");
	expect_value("{\"$round\": [1250, -2]}", NULL, "1200");
	expect_value("{\"$round\": [1350, -2]}", NULL, "1400");
	expect_value("{\"$round\": [1234, 2]}", NULL, "1234");
	expect_value("{\"$round\": [" LONG("1234") ", -1]}", NULL, LONG("1230"));
	expect_value("{\"$round\": [2147483647, -1]}", NULL, LONG("2147483650"));
	expect_value("{\"$round\": [null, 1]}", NULL, "null");
	expect_value("{\"$round\": [1.5, null]}", NULL, "null");
	expect_value("{\"$round\": [1.5, 1.0]}", NULL, "1.5");
	expect_error("{\"$round\": [" LONG("9223372036854775807") ", -1]}", NULL,
				 "invalid conversion from Decimal128 result in $round resulting from arguments: [9223372036854775807, -1]");
	expect_error("{\"$round\": [1.5, 1.5]}", NULL, "precision argument to $round must be a integral value");
	expect_error("{\"$round\": [1.5, 101]}", NULL,
				 "cannot apply $round with precision value 101 value must be in [-20, 100]");
	expect_error("{\"$round\": [1.5, -21]}", NULL, "value must be in [-20, 100]");
	expect_error("{\"$round\": [1.5, \"a\"]}", NULL, "can't convert from BSON type string to long");
	expect_error("{\"$round\": \"a\"}", NULL, "$round only supports numeric types, not string");
	expect_error("{\"$round\": [1, 2, 3]}", NULL, "expression $round takes 1 to 2 arguments, 3 were passed in");

	expect_value("{\"$trunc\": 2.7}", NULL, "2.0");
	expect_value("{\"$trunc\": -2.7}", NULL, "-2.0");
	expect_value("{\"$trunc\": [2.789, 2]}", NULL, "2.78");
	expect_value("{\"$trunc\": [1299, -2]}", NULL, "1200");
	expect_value("{\"$trunc\": [" DEC("-2.789") ", 1]}", NULL, DEC("-2.7"));
	expect_value("{\"$trunc\": 7}", NULL, "7");
	expect_error("{\"$trunc\": [1, 200]}", NULL, "cannot apply $trunc with precision value 200");
}

static void
test_sqrt_exp_log(void)
{
	expect_value("{\"$sqrt\": 25}", NULL, "5.0");
	expect_value("{\"$sqrt\": 2.25}", NULL, "1.5");
	expect_value("{\"$sqrt\": " DEC("25") "}", NULL, DEC("5"));
	expect_value("{\"$sqrt\": " DEC("2") "}", NULL, DEC("1.414213562373095048801688724209698"));
	expect_value("{\"$sqrt\": " DEC("0.25") "}", NULL, DEC("0.5"));
	expect_value("{\"$sqrt\": " DEC("1E+2") "}", NULL, DEC("1E+1"));
	expect_value("{\"$sqrt\": null}", NULL, "null");
	expect_error("{\"$sqrt\": -1}", NULL, "$sqrt's argument must be greater than or equal to 0");
	expect_error("{\"$sqrt\": " DEC("-1") "}", NULL, "$sqrt's argument must be greater than or equal to 0");
	expect_error("{\"$sqrt\": \"x\"}", NULL, "$sqrt only supports numeric types, not string");

	expect_value("{\"$exp\": 0}", NULL, "1.0");
	expect_value("{\"$exp\": " DEC("1") "}", NULL, DEC("2.718281828459045235360287471352662"));
	expect_value("{\"$exp\": " DEC("-1") "}", NULL, DEC("0.3678794411714423215955237701614609"));
	expect_value("{\"$exp\": " DEC("0") "}", NULL, DEC("1"));
	expect_value("{\"$exp\": null}", NULL, "null");
	expect_error("{\"$exp\": \"x\"}", NULL, "$exp only supports numeric types, not string");

	expect_value("{\"$ln\": 1}", NULL, "0.0");
	expect_value("{\"$ln\": " DEC("1") "}", NULL, DEC("0"));
	expect_value("{\"$ln\": " DEC("2.5") "}", NULL, DEC("0.9162907318741550651835272117680110"));
	expect_value("{\"$ln\": " DEC("7") "}", NULL, DEC("1.945910149055313305105352743443180"));
	expect_value("{\"$ln\": " DEC("10") "}", NULL, DEC("2.302585092994045684017991454684364"));
	expect_value("{\"$ln\": " DEC("2.718281828459045235360287471352662") "}", NULL,
				 DEC("0.9999999999999999999999999999999998"));
	expect_value("{\"$ln\": " DEC("0.3678794411714423215955237701614609") "}", NULL,
				 DEC("-0.9999999999999999999999999999999998"));
	expect_value("{\"$ln\": " DBL("NaN") "}", NULL, DBL("NaN"));
	expect_value("{\"$ln\": null}", NULL, "null");
	expect_error("{\"$ln\": 0}", NULL, "$ln's argument must be a positive number, but is 0");
	expect_error("{\"$ln\": -1}", NULL, "$ln's argument must be a positive number, but is -1");
	expect_error("{\"$ln\": " DEC("-1") "}", NULL, "$ln's argument must be a positive number, but is -1");
	expect_error("{\"$ln\": \"x\"}", NULL, "$ln only supports numeric types, not string");

	expect_value("{\"$log10\": 100}", NULL, "2.0");
	expect_value("{\"$log10\": " DEC("1") "}", NULL, DEC("0"));
	expect_value("{\"$log10\": " DEC("100") "}", NULL, DEC("2"));
	expect_value("{\"$log10\": " DEC("2.5") "}", NULL, DEC("0.3979400086720376095725222105510140"));
	expect_value("{\"$log10\": " DEC("101") "}", NULL, DEC("2.004321373782642574275188178222938"));
	expect_error("{\"$log10\": 0}", NULL, "$log10's argument must be a positive number, but is 0");
	expect_error("{\"$log10\": [\"x\"]}", NULL, "$log10 only supports numeric types, not string");

	expect_value("{\"$log\": [100, 10]}", NULL, "2.0");
	expect_value("{\"$log\": [8, 2]}", NULL, "3.0");
	expect_value("{\"$log\": [" DEC("1") ", 8]}", NULL, DEC("0E+33"));
	expect_value("{\"$log\": [" DEC("8") ", 8]}", NULL, DEC("1"));
	expect_value("{\"$log\": [" DEC("64") ", 8]}", NULL, DEC("2.000000000000000000000000000000000"));
	expect_value("{\"$log\": [" DEC("81") ", 9]}", NULL, DEC("2"));
	expect_value("{\"$log\": [2.5, " DEC("9") "]}", NULL, DEC("0.4170218835732348650487566466679398"));
	expect_value("{\"$log\": [" DEC("163.0729") ", " DEC("12.77") "]}", NULL,
				 DEC("2.000000000000000000000000000000000"));
	expect_value("{\"$log\": [" DEC("170") ", " DEC("12.77") "]}", NULL,
				 DEC("2.016332738676605709114981994718173"));
	expect_value("{\"$log\": [" DEC("1024") ", 2]}", NULL, DEC("10"));
	expect_value("{\"$log\": [" DEC("1000") ", 10]}", NULL, DEC("3"));
	expect_value("{\"$log\": [null, 10]}", NULL, "null");
	expect_value("{\"$log\": [10, null]}", NULL, "null");
	expect_error("{\"$log\": [\"x\", 5]}", NULL, "$log's argument must be numeric, not string");
	expect_error("{\"$log\": [5, \"x\"]}", NULL, "$log's base must be numeric, not string");
	expect_error("{\"$log\": [0, 5]}", NULL, "$log's argument must be a positive number, but is 0");
	expect_error("{\"$log\": [5, 1]}", NULL, "$log's base must be a positive number not equal to 1, but is 1");
	expect_error("{\"$log\": [" DEC("5") ", " DEC("-1") "]}", NULL,
				 "$log's base must be a positive number not equal to 1, but is -1");
}

static void
test_pow(void)
{
	expect_value("{\"$pow\": [4, 2]}", NULL, "16");
	expect_value("{\"$pow\": [" INT("4") ", " LONG("2") "]}", NULL, LONG("16"));
	expect_value("{\"$pow\": [" INT("3") ", " INT("35") "]}", NULL, LONG("50031545098999707"));
	expect_value("{\"$pow\": [" INT("-2") ", " LONG("63") "]}", NULL, LONG("-9223372036854775808"));
	expect_value("{\"$pow\": [" INT("2") ", " LONG("63") "]}", NULL, DBL("9.2233720368547758E+18"));
	expect_value("{\"$pow\": [" INT("4") ", " INT("-1") "]}", NULL, "0.25");
	expect_value("{\"$pow\": [" INT("1") ", " LONG("-2") "]}", NULL, LONG("1"));
	expect_value("{\"$pow\": [" LONG("-1") ", " LONG("-3") "]}", NULL, LONG("-1"));
	expect_value("{\"$pow\": [0, 0]}", NULL, "1");
	expect_value("{\"$pow\": [10, 2.0]}", NULL, "100.0");
	expect_value("{\"$pow\": [0.5, -1]}", NULL, "2.0");
	expect_value("{\"$pow\": [" DEC("10.0") ", -2]}", NULL, DEC("0.01000000000000000000000000000000000"));
	expect_value("{\"$pow\": [0.5, " DEC("-1") "]}", NULL, DEC("2.000000000000000000000000000000000"));
	expect_value("{\"$pow\": [-2, " DEC("2") "]}", NULL, DEC("4.000000000000000000000000000000000"));
	expect_value("{\"$pow\": [" DEC("10.0") ", 2]}", NULL, DEC("100.0000000000000000000000000000000"));
	expect_value("{\"$pow\": [" INT("5") ", " DEC("-112") "]}", NULL,
				 DEC("5192296858534827628530496329220096E-112"));
	expect_value("{\"$pow\": [" DBL("NaN") ", " DEC("2") "]}", NULL, DEC("NaN"));
	expect_value("{\"$pow\": [null, 2]}", NULL, "null");
	expect_value("{\"$pow\": [2, \"$nope\"]}", NULL, "null");
	expect_error("{\"$pow\": [0, -1]}", NULL, "$pow cannot take a base of 0 and a negative exponent");
	expect_error("{\"$pow\": [" DEC("0") ", " LONG("-1") "]}", NULL,
				 "$pow cannot take a base of 0 and a negative exponent");
	expect_error("{\"$pow\": [\"x\", 5]}", NULL, "$pow's base must be numeric, not string");
	expect_error("{\"$pow\": [5, \"x\"]}", NULL, "$pow's exponent must be numeric, not string");
}

/* decimal edge cases: ranges, NaN and infinities, exact results */
static void
test_decimal_edges(void)
{
	expect_value("{\"$exp\": " DEC("20000") "}", NULL, DEC("Infinity"));
	expect_value("{\"$exp\": " DEC("-20000") "}", NULL, DEC("0E-6176"));
	expect_value("{\"$exp\": " DEC("-Infinity") "}", NULL, DEC("0"));
	expect_value("{\"$exp\": " DEC("11500") "}", NULL, DEC("2.435240665867620204020933336330887E+4994"));
	expect_value("{\"$ln\": " DEC("1E+5000") "}", NULL, DEC("11512.92546497022842008995727342182"));
	expect_value("{\"$log10\": " DEC("1E-5000") "}", NULL, DEC("-5000"));
	expect_value("{\"$ln\": " DEC("Infinity") "}", NULL, DEC("Infinity"));
	expect_value("{\"$ln\": " DEC("NaN") "}", NULL, DBL("NaN"));
	expect_value("{\"$sqrt\": " DEC("9.999999999999999999999999999999999E+6144") "}", NULL,
				 DEC("3.162277660168379331998893544432718E+3072"));
	expect_value("{\"$sqrt\": " DEC("-0") "}", NULL, DEC("-0"));
	expect_value("{\"$sqrt\": " DEC("NaN") "}", NULL, DEC("NaN"));
	expect_value("{\"$pow\": [" DEC("2") ", 100000]}", NULL, DEC("Infinity"));
	expect_value("{\"$pow\": [" DEC("0.5") ", 100000]}", NULL, DEC("0E-6176"));
	expect_value("{\"$pow\": [" DEC("-8") ", 3]}", NULL, DEC("-512.0000000000000000000000000000000"));
	expect_value("{\"$pow\": [" DEC("-8") ", 0.5]}", NULL, DEC("NaN"));
	expect_value("{\"$pow\": [" DEC("2") ", 0.5]}", NULL, DEC("1.414213562373095048801688724209698"));
	expect_value("{\"$pow\": [" DEC("7") ", 0]}", NULL, DEC("1"));
	expect_value("{\"$pow\": [" DEC("1") ", " DEC("Infinity") "]}", NULL, DEC("1"));
	expect_value("{\"$mod\": [" DEC("1E+40") ", 7]}", NULL, DEC("4"));
	expect_value("{\"$mod\": [5, " DEC("1E+40") "]}", NULL, DEC("5"));
	expect_value("{\"$mod\": [" DEC("Infinity") ", 7]}", NULL, DEC("NaN"));
	/* quantize needs more than 34 digits: NaN, as in MongoDB */
	expect_value("{\"$ceil\": " DEC("1E+40") "}", NULL, DEC("NaN"));
	expect_value("{\"$round\": [" DEC("1E+40") ", 0]}", NULL, DEC("NaN"));
	expect_value("{\"$trunc\": " DEC("-0.5") "}", NULL, DEC("-0"));
	expect_value("{\"$round\": " DEC("0.5") "}", NULL, DEC("0"));
	expect_value("{\"$round\": " DEC("1.5") "}", NULL, DEC("2"));
}

static void
test_folding_and_paths(void)
{
	/* constant arguments fold at compile time; errors still surface at run time */
	expect_value("{\"$add\": [1, {\"$multiply\": [2, 3]}]}", NULL, "7");
	expect_error("{\"$divide\": [1, {\"$subtract\": [2, 2]}]}", NULL, "can't $divide by zero");
	expect_value("{\"$multiply\": [\"$price\", \"$qty\"]}", "{\"price\": 2.5, \"qty\": 4}", "10.0");
	expect_value("{\"$round\": [{\"$divide\": [\"$a\", 3]}, 3]}", "{\"a\": 10}", "3.333");
}

int
main(void)
{
	test_add();
	test_subtract();
	test_multiply();
	test_divide();
	test_mod();
	test_abs_ceil_floor();
	test_round_trunc();
	test_sqrt_exp_log();
	test_pow();
	test_decimal_edges();
	test_folding_and_paths();
	return tap_done();
}
