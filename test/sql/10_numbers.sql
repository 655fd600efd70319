-- number types: int32, int64, double, decimal128; overflow, special values,
-- rounding and how each prints (relaxed Extended JSON)
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS asp;
RESET client_min_messages;
\set VERBOSITY default
\pset null '(null)'

-- num(docs, spec): runs {"$project": spec} on the documents and returns one
-- row per output field with its value exactly as printed and its BSON type.
-- A document that fails shows as a 'dlq' row with the reason.
CREATE FUNCTION num(docs text, spec text)
RETURNS TABLE(kind text, field text, value text, type text) LANGUAGE sql AS $f$
  SELECT p.kind,
         coalesce(p.doc->>'k', p.doc->>'operatorName'),
         coalesce(p.doc->'v', p.doc->'errInfo'->'reason')::text,
         p.doc->>'type'
  FROM asp.process(('[{"$source": {"documents": [' || docs || ']}},
     {"$project": ' || spec || '},
     {"$project": {"_id": 0, "f": {"$objectToArray": "$$ROOT"}}},
     {"$unwind": "$f"},
     {"$match": {"f.k": {"$nin": ["_ts", "_stream_meta"]}}},
     {"$project": {"k": "$f.k", "v": "$f.v", "type": {"$type": "$f.v"}}}]')::json) p $f$;

-- how each type prints: int and long as plain numbers (longs beyond 2^53
-- exactly), doubles always with a fraction or exponent, decimals as strings
SELECT * FROM num($${"i": 7, "l": {"$numberLong": "7"}, "d": 7.0, "dec": {"$numberDecimal": "7.00"},
                    "big": {"$numberLong": "9007199254740993"}, "lmax": {"$numberLong": "9223372036854775807"},
                    "lmin": {"$numberLong": "-9223372036854775808"}, "imin": {"$numberInt": "-2147483648"},
                    "frac": 230.65, "tiny": 5e-324, "huge": 1.7976931348623157e308, "e20": 1e20, "e21": 1e21,
                    "third": {"$numberDouble": "0.3333333333333333"}, "dec_exp": {"$numberDecimal": "1E+3"},
                    "dec_neg0": {"$numberDecimal": "-0"}, "dec_long": {"$numberDecimal": "1234567890123456789012345678901234"}}$$,
  $${"_id": 0, "i": 1, "l": 1, "d": 1, "dec": 1, "big": 1, "lmax": 1, "lmin": 1, "imin": 1, "frac": 1, "tiny": 1,
     "huge": 1, "e20": 1, "e21": 1, "third": 1, "dec_exp": 1, "dec_neg0": 1, "dec_long": 1}$$);

--
-- int32 overflow widens to int64; int64 overflow to double
--
SELECT * FROM num($${"imax": {"$numberInt": "2147483647"}, "imin": {"$numberInt": "-2147483648"},
                    "lmax": {"$numberLong": "9223372036854775807"}, "lmin": {"$numberLong": "-9223372036854775808"}}$$,
  $${"_id": 0,
     "add_fits": {"$add": [{"$numberInt": "2147483646"}, 1]},
     "add_over": {"$add": ["$imax", 1]},
     "sub_over": {"$subtract": ["$imin", 1]},
     "mul_over": {"$multiply": [{"$numberInt": "65536"}, {"$numberInt": "65536"}]},
     "mul_over2": {"$multiply": [{"$numberInt": "46341"}, {"$numberInt": "46341"}]},
     "abs_imin": {"$abs": "$imin"},
     "neg_imin": {"$multiply": ["$imin", -1]},
     "long_fits": {"$add": ["$lmax", -1]},
     "long_add_over": {"$add": ["$lmax", 1]},
     "long_sub_over": {"$subtract": ["$lmin", 1]},
     "long_mul_over": {"$multiply": ["$lmax", 2]},
     "big_plus_1": {"$add": [{"$numberLong": "9007199254740993"}, 1]},
     "big_times_1": {"$multiply": [{"$numberLong": "9007199254740993"}, 1]},
     "big_plus_dbl": {"$add": [{"$numberLong": "9007199254740993"}, 0.0]},
     "pow_int": {"$pow": [2, 30]}, "pow_long": {"$pow": [2, 31]}, "pow_dbl": {"$pow": [2, 63]},
     "mod_imin": {"$mod": ["$imin", -1]}}$$);
-- exact comparisons between long and double beyond 2^53
SELECT * FROM num($${"big": {"$numberLong": "9007199254740993"}, "dbl": 9007199254740992.0}$$,
  $${"_id": 0, "eq": {"$eq": ["$big", "$dbl"]}, "gt": {"$gt": ["$big", "$dbl"]},
     "cmp": {"$cmp": ["$dbl", "$big"]}, "eq_dec": {"$eq": ["$big", {"$numberDecimal": "9007199254740993"}]},
     "str": {"$toString": "$big"}}$$);
-- $abs of the smallest long cannot be represented
SELECT * FROM num($${"lmin": {"$numberLong": "-9223372036854775808"}}$$, $${"_id": 0, "a": {"$abs": "$lmin"}}$$);

--
-- $sum and $avg in a window: int32 sums widen to long (and back when the
-- total fits again), long sums overflow to double, $avg gives a double
--
SELECT doc->>'_id' AS g, doc->>'sum' AS sum, doc->>'sum_type' AS sum_type,
       doc->>'avg' AS avg, doc->>'avg_type' AS avg_type FROM asp.process($$[
  {"$source": {"documents": [
     {"g": "cross", "v": {"$numberInt": "2147483647"}, "t": {"$date": "2024-01-01T00:00:01Z"}},
     {"g": "cross", "v": {"$numberInt": "1"}, "t": {"$date": "2024-01-01T00:00:02Z"}},
     {"g": "back", "v": {"$numberInt": "2147483647"}, "t": {"$date": "2024-01-01T00:00:03Z"}},
     {"g": "back", "v": {"$numberInt": "1"}, "t": {"$date": "2024-01-01T00:00:04Z"}},
     {"g": "back", "v": {"$numberInt": "-1"}, "t": {"$date": "2024-01-01T00:00:05Z"}},
     {"g": "long", "v": {"$numberLong": "9223372036854775807"}, "t": {"$date": "2024-01-01T00:00:06Z"}},
     {"g": "long", "v": {"$numberLong": "1"}, "t": {"$date": "2024-01-01T00:00:07Z"}},
     {"g": "ints", "v": 2, "t": {"$date": "2024-01-01T00:00:08Z"}},
     {"g": "ints", "v": 2, "t": {"$date": "2024-01-01T00:00:09Z"}},
     {"g": "halves", "v": 1, "t": {"$date": "2024-01-01T00:00:10Z"}},
     {"g": "halves", "v": 2, "t": {"$date": "2024-01-01T00:00:11Z"}},
     {"g": "dec", "v": {"$numberDecimal": "0.1"}, "t": {"$date": "2024-01-01T00:00:12Z"}},
     {"g": "dec", "v": {"$numberDecimal": "0.2"}, "t": {"$date": "2024-01-01T00:00:13Z"}},
     {"g": "dbl", "v": 0.1, "t": {"$date": "2024-01-01T00:00:14Z"}},
     {"g": "dbl", "v": 0.2, "t": {"$date": "2024-01-01T00:00:15Z"}}],
     "timeField": {"$toDate": "$t"}}},
  {"$tumblingWindow": {"interval": {"size": 1, "unit": "minute"},
     "pipeline": [{"$group": {"_id": "$g", "sum": {"$sum": "$v"}, "avg": {"$avg": "$v"}}}]}},
  {"$addFields": {"sum_type": {"$type": "$sum"}, "avg_type": {"$type": "$avg"}}}]$$);

--
-- decimal128 stays decimal, with exact decimal arithmetic
--
SELECT * FROM num($${"a": {"$numberDecimal": "0.1"}, "b": {"$numberDecimal": "0.2"}}$$,
  $${"_id": 0,
     "dec_add": {"$add": ["$a", "$b"]},
     "dec_eq": {"$eq": [{"$add": ["$a", "$b"]}, {"$numberDecimal": "0.3"}]},
     "dbl_add": {"$add": [0.1, 0.2]},
     "dbl_eq": {"$eq": [{"$add": [0.1, 0.2]}, 0.3]},
     "dec_mul": {"$multiply": [{"$numberDecimal": "1.10"}, 2]},
     "dec_div": {"$divide": [{"$numberDecimal": "1"}, {"$numberDecimal": "3"}]},
     "dec_div_int": {"$divide": [{"$numberDecimal": "1"}, 4]},
     "dec_sub": {"$subtract": [{"$numberDecimal": "1.00"}, "$a"]},
     "dec_int": {"$add": ["$a", 1]},
     "dec_long": {"$add": ["$a", {"$numberLong": "9007199254740993"}]},
     "dec_exp": {"$add": [{"$numberDecimal": "1E+3"}, 1]},
     "dec_round": {"$round": [{"$numberDecimal": "2.5"}]},
     "dec_round2": {"$round": [{"$numberDecimal": "2.675"}, 2]},
     "dec_trunc": {"$trunc": [{"$numberDecimal": "-2.675"}, 2]},
     "dec_eq_int": {"$eq": [{"$numberDecimal": "1.0"}, 1]},
     "dec_mod": {"$mod": [{"$numberDecimal": "7.5"}, 2]},
     "dec_sqrt": {"$sqrt": {"$numberDecimal": "2"}},
     "dec_abs": {"$abs": {"$numberDecimal": "-1.50"}}}$$);
-- decimal with a double: in arithmetic the double is converted with 15
-- significant digits; comparisons are exact (decimal 0.1 < double 0.1)
SELECT * FROM num($${"a": {"$numberDecimal": "0.2"}}$$,
  $${"_id": 0,
     "dec_plus_dbl": {"$add": ["$a", 0.1]},
     "dbl_times_dec": {"$multiply": [0.1, {"$numberDecimal": "3"}]},
     "dec_minus_dbl": {"$subtract": [{"$numberDecimal": "1"}, 0.1]},
     "dec_eq_dbl": {"$eq": [{"$numberDecimal": "0.1"}, 0.1]},
     "dec_lt_dbl": {"$lt": [{"$numberDecimal": "0.1"}, 0.1]},
     "dec_eq_dbl_exact": {"$eq": [{"$numberDecimal": "0.5"}, 0.5]},
     "dbl_to_dec": {"$toDecimal": 0.1},
     "dec_to_dbl": {"$toDouble": {"$numberDecimal": "0.1"}},
     "dec_to_int": {"$toInt": {"$numberDecimal": "7.9"}},
     "dec_to_long": {"$toLong": {"$numberDecimal": "-7.9"}}}$$);

--
-- NaN and infinities: NaN equals NaN and sorts below every other number
-- (also below -Infinity); arithmetic follows IEEE 754
--
SELECT * FROM num($${"nan": {"$numberDouble": "NaN"}, "inf": {"$numberDouble": "Infinity"}, "ninf": {"$numberDouble": "-Infinity"}}$$,
  $${"_id": 0, "nan": "$nan", "inf": "$inf", "ninf": "$ninf",
     "nan_eq_nan": {"$eq": ["$nan", "$nan"]}, "nan_lt_ninf": {"$lt": ["$nan", "$ninf"]},
     "nan_gt_0": {"$gt": ["$nan", 0]}, "nan_lt_0": {"$lt": ["$nan", 0]}, "cmp": {"$cmp": ["$nan", "$ninf"]},
     "nan_ne_1": {"$ne": ["$nan", 1]}, "nan_eq_dec_nan": {"$eq": ["$nan", {"$numberDecimal": "NaN"}]},
     "sorted": {"$sortArray": {"input": [3, "$nan", "$ninf", 1, "$inf"], "sortBy": 1}},
     "inf_plus_1": {"$add": ["$inf", 1]}, "inf_minus_inf": {"$add": ["$inf", "$ninf"]},
     "inf_times_0": {"$multiply": ["$inf", 0]}, "one_over_inf": {"$divide": [1, "$inf"]},
     "nan_plus_1": {"$add": ["$nan", 1]}, "round_nan": {"$round": ["$nan"]},
     "is_number": {"$isNumber": "$nan"}, "to_string": {"$toString": "$ninf"},
     "over": {"$multiply": [1e308, 10]}, "under": {"$multiply": [-1e308, 10]}}$$);
-- NaN and infinities in a window: $max skips NaN (the lowest number), $min
-- finds it; $sum and $avg follow IEEE 754
SELECT doc::jsonb - '_stream_meta' AS doc FROM asp.process($$[
  {"$source": {"documents": [
     {"g": "nan", "v": {"$numberDouble": "NaN"}, "t": {"$date": "2024-01-01T00:00:01Z"}},
     {"g": "nan", "v": 5, "t": {"$date": "2024-01-01T00:00:02Z"}},
     {"g": "nan", "v": 1, "t": {"$date": "2024-01-01T00:00:03Z"}},
     {"g": "inf", "v": {"$numberDouble": "Infinity"}, "t": {"$date": "2024-01-01T00:00:04Z"}},
     {"g": "inf", "v": 5, "t": {"$date": "2024-01-01T00:00:05Z"}}],
     "timeField": {"$toDate": "$t"}}},
  {"$tumblingWindow": {"interval": {"size": 1, "unit": "minute"},
     "pipeline": [{"$group": {"_id": "$g", "max": {"$max": "$v"}, "min": {"$min": "$v"},
                              "sum": {"$sum": "$v"}, "avg": {"$avg": "$v"}}}]}}]$$);
-- converting NaN and infinities to integers fails
SELECT * FROM num($${"nan": {"$numberDouble": "NaN"}}$$, $${"_id": 0, "i": {"$toInt": "$nan"}}$$);
SELECT * FROM num($${"inf": {"$numberDouble": "Infinity"}}$$, $${"_id": 0, "l": {"$toLong": "$inf"}}$$);

--
-- negative zero: equal to 0, printed with its sign
--
SELECT * FROM num($${"nz": -0.0}$$,
  $${"_id": 0, "nz": "$nz", "mul": {"$multiply": [-1, 0.0]}, "eq": {"$eq": ["$nz", 0]},
     "lt": {"$lt": ["$nz", 0]}, "abs": {"$abs": "$nz"}, "str": {"$toString": "$nz"},
     "ceil": {"$ceil": -0.5}, "round": {"$round": [-0.4]}, "dec": {"$toDecimal": "$nz"}}$$);

--
-- $round rounds half to even (also for negative places); $trunc truncates;
-- ints stay ints
--
SELECT * FROM num($${"a": 1}$$,
  $${"_id": 0,
     "r_0_5": {"$round": [0.5]}, "r_1_5": {"$round": [1.5]}, "r_2_5": {"$round": [2.5]},
     "r_m2_5": {"$round": [-2.5]}, "r_10_5": {"$round": [10.5, 0]}, "r_11_5": {"$round": [11.5, 0]},
     "r_0_125": {"$round": [0.125, 2]}, "r_2_25": {"$round": [2.25, 1]}, "r_124_5": {"$round": [124.5, 0]},
     "r_125_5": {"$round": [125.5, -1]}, "r_int_25": {"$round": [25, -1]}, "r_int_35": {"$round": [35, -1]},
     "r_long": {"$round": [{"$numberLong": "1250"}, -2]}, "r_big_place": {"$round": [1234.5678, -4]},
     "r_frac": {"$round": [1234.5678, 2]},
     "t_neg": {"$trunc": [-2.7]}, "t_place": {"$trunc": [1234.5678, -2]}, "t_int": {"$trunc": [1299, -2]}}$$);

--
-- $mod: the result has the sign of the dividend; doubles use fmod; the
-- result type is the wider of the two (since MongoDB 7.2: an int divided by
-- an integral double gives a double)
--
SELECT * FROM num($${"a": 1}$$,
  $${"_id": 0,
     "m_7_3": {"$mod": [7, 3]}, "m_m7_3": {"$mod": [-7, 3]}, "m_7_m3": {"$mod": [7, -3]},
     "m_m7_m3": {"$mod": [-7, -3]}, "m_d": {"$mod": [7.5, 2]}, "m_md": {"$mod": [-7.5, 2]},
     "m_d_d": {"$mod": [5.5, 1.5]}, "m_long": {"$mod": [{"$numberLong": "10000000000"}, 3]},
     "m_int_dbl": {"$mod": [7, 2.0]}}$$);

--
-- conversions at the edges of the types
--
SELECT * FROM num($${"a": 1}$$,
  $${"_id": 0,
     "toInt_max": {"$toInt": {"$numberLong": "2147483647"}},
     "toInt_dbl": {"$toInt": 2147483646.9},
     "toLong_dbl": {"$toLong": 9.2233720368547e18},
     "toLong_str": {"$toLong": "-9223372036854775808"},
     "toDouble_long": {"$toDouble": {"$numberLong": "9007199254740993"}},
     "toDouble_str": {"$toDouble": "1e3"},
     "toDecimal_long": {"$toDecimal": {"$numberLong": "9223372036854775807"}},
     "str_int_1e3": {"$convert": {"input": "1e3", "to": "int", "onError": "not an int"}},
     "str_long_dec": {"$convert": {"input": "1.0", "to": "long", "onError": "not a long"}},
     "str_int_space": {"$convert": {"input": " 12", "to": "int", "onError": "not an int"}},
     "str_int_plus": {"$convert": {"input": "+12", "to": "int", "onError": "not an int"}},
     "str_dbl_bad": {"$convert": {"input": "1e999", "to": "double", "onError": "out of range"}}}$$);
-- $toInt of 2^31 (a long, a double, a string) is an error
SELECT * FROM num($${"id": 1, "v": {"$numberLong": "2147483648"}}, {"id": 2, "v": 2147483648.0}, {"id": 3, "v": "2147483648"},
                  {"id": 4, "v": -2147483648.0}, {"id": 5, "v": {"$numberDecimal": "2147483648"}},
                  {"id": 6, "v": 2147483647.5}$$,
  $${"_id": 0, "id": 1, "i": {"$toInt": "$v"}}$$);
SELECT * FROM num($${"v": "1e3"}$$, $${"_id": 0, "i": {"$toInt": "$v"}}$$);
SELECT * FROM num($${"v": 1e19}$$, $${"_id": 0, "l": {"$toLong": "$v"}}$$);

DROP FUNCTION num(text, text);
