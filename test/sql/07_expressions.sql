-- aggregation expressions, evaluated by $project on inline documents
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS asp;
RESET client_min_messages;
\set VERBOSITY default
\pset null '(null)'

-- ex(docs, spec): runs {"$project": spec} on the documents and returns one row
-- per output field, in output order, with its value and its BSON type (so
-- that 5 the int and 5.0 the double can be told apart).  A field whose
-- expression gives "missing" is not output at all.  A document that fails
-- shows as a 'dlq' row with the stage and the reason.
CREATE FUNCTION ex(docs text, spec text)
RETURNS TABLE(kind text, field text, value jsonb, type text) LANGUAGE sql AS $f$
  SELECT p.kind,
         coalesce(p.doc->>'k', p.doc->>'operatorName'),
         coalesce(p.doc->'v', p.doc->'errInfo'->'reason')::jsonb,
         p.doc->>'type'
  FROM asp.process(('[{"$source": {"documents": [' || docs || ']}},
     {"$project": ' || spec || '},
     {"$project": {"_id": 0, "f": {"$objectToArray": "$$ROOT"}}},
     {"$unwind": "$f"},
     {"$match": {"f.k": {"$nin": ["_ts", "_stream_meta"]}}},
     {"$project": {"k": "$f.k", "v": "$f.v", "type": {"$type": "$f.v"}}}]')::json) p $f$;

--
-- field paths, variables, literals
--
-- dotted paths traverse arrays (elements that are not documents are skipped);
-- a missing field is not output; literals in arrays and documents; $literal
-- keeps a string that starts with $ and an operator-like document as they are
SELECT * FROM ex($${"a": {"b": 1, "c": [1, 2, {"d": 3}]}, "arr": [{"x": 1}, {"x": 2}, {"y": 3}], "s": "hi"}$$,
  $${"_id": 0, "ab": "$a.b", "ac": "$a.c", "acd": "$a.c.d", "arrx": "$arr.x", "arry": "$arr.y",
     "missing": "$nope", "missing2": "$a.nope.x", "str": "plain",
     "arrlit": ["$s", 1, "$nope", null], "obj": {"x": "$s", "y": {"$literal": 1}},
     "lit": {"$literal": "$a"}, "lit2": {"$literal": {"$add": [1, 2]}}, "lit3": {"$literal": 5}}$$);
-- $$ROOT and $$CURRENT (the document as it enters the stage), $$REMOVE
SELECT kind, doc::jsonb - '_ts' - '_stream_meta' AS doc FROM asp.process($j$[
  {"$source": {"documents": [{"a": 1, "b": {"c": 2}}]}},
  {"$project": {"_ts": 0, "_stream_meta": 0}},
  {"$project": {"_id": 0, "root": "$$ROOT", "cur": "$$CURRENT", "bc": "$$ROOT.b.c", "cc": "$$CURRENT.b.c",
                "gone": "$$REMOVE", "maybe": {"$cond": [{"$gt": ["$a", 5]}, "$a", "$$REMOVE"]}}}]$j$);
-- $addFields sees the same $$ROOT; a field set to $$REMOVE is removed
SELECT kind, doc::jsonb - '_ts' - '_stream_meta' AS doc FROM asp.process($j$[
  {"$source": {"documents": [{"a": 1, "b": 2}]}},
  {"$addFields": {"c": {"$add": ["$$ROOT.a", "$$CURRENT.b"]}, "b": "$$REMOVE", "d.e": "$a"}}]$j$);
-- $let, nested $let shadowing a variable, variables of $map inside $let
SELECT * FROM ex($j${"a": 3, "l": [1, 2]}$j$,
  $j${"_id": 0,
     "let": {"$let": {"vars": {"x": "$a", "y": 10}, "in": {"$add": ["$$x", "$$y"]}}},
     "nested": {"$let": {"vars": {"x": 1}, "in": {"$let": {"vars": {"x": {"$add": ["$$x", 1]}}, "in": "$$x"}}}},
     "mapped": {"$let": {"vars": {"k": "$a"}, "in": {"$map": {"input": "$l", "in": {"$multiply": ["$$this", "$$k"]}}}}},
     "varpath": {"$let": {"vars": {"o": {"p": {"q": 7}}}, "in": "$$o.p.q"}},
     "now": {"$type": "$$NOW"}, "source": {"$meta": "stream.source.type"}}$j$);

--
-- arithmetic
--
SELECT * FROM ex($${"a": 7, "b": 2, "d": 2.5, "n": -3.7}$$,
  $${"_id": 0,
     "add": {"$add": ["$a", "$b", 1]}, "add_d": {"$add": ["$a", "$d"]},
     "sub": {"$subtract": ["$a", "$b"]}, "mul": {"$multiply": ["$a", "$b", "$d"]},
     "div": {"$divide": ["$a", "$b"]}, "div_exact": {"$divide": [6, 3]},
     "mod": {"$mod": ["$a", "$b"]}, "mod_d": {"$mod": [7.5, 2]},
     "abs": {"$abs": "$n"}, "abs_i": {"$abs": -5},
     "ceil": {"$ceil": "$n"}, "floor": {"$floor": "$n"}, "ceil_i": {"$ceil": 5},
     "round": {"$round": ["$n"]}, "round2": {"$round": [1234.5678, 2]}, "round_neg": {"$round": [1234.5678, -2]},
     "round_i": {"$round": [1234, -2]}, "round_even": {"$round": [2.5]}, "round_even2": {"$round": [3.5]},
     "trunc": {"$trunc": "$n"}, "trunc1": {"$trunc": [1234.5678, 1]}, "trunc_neg": {"$trunc": [1299, -2]},
     "sqrt": {"$sqrt": 16}, "pow": {"$pow": [2, 10]}, "pow_neg": {"$pow": [2, -1]}, "pow_d": {"$pow": [4, 0.5]},
     "exp": {"$exp": 0}, "ln": {"$ln": 1}, "log": {"$log": [100, 10]}, "log10": {"$log10": 1000}}$$);
-- dates in arithmetic: date + ms, date - ms, date - date (a long of ms);
-- a fractional number of ms is rounded to the nearest (half away from zero)
SELECT * FROM ex($${"d": {"$date": "2024-01-01T00:00:00Z"}, "e": {"$date": "2024-01-02T00:00:01.5Z"}}$$,
  $${"_id": 0, "plus": {"$add": ["$d", 1500]}, "plus2": {"$add": [60000, "$d", 1]},
     "minus": {"$subtract": ["$d", 1000]}, "diff": {"$subtract": ["$e", "$d"]},
     "plus_frac": {"$add": ["$d", 0.6]}, "plus_half": {"$add": ["$d", 1.5]},
     "minus_frac": {"$subtract": ["$d", 0.6]}, "minus_half": {"$subtract": ["$d", 1.5]}}$$);

--
-- comparison and boolean
--
-- numbers compare by value across types; other types by BSON order
-- (null < numbers < strings < objects < arrays < booleans < dates);
-- a missing field is below null; arrays and documents compare element by element
SELECT * FROM ex($${"x": 1, "n": null}$$,
  $${"_id": 0,
     "eq": {"$eq": [1, 1.0]}, "eq_l": {"$eq": [{"$numberLong": "1"}, {"$numberDecimal": "1.00"}]},
     "eq_s": {"$eq": ["a", "a"]}, "ne": {"$ne": ["a", "b"]},
     "gt_s": {"$gt": ["b", "a"]}, "gt_num_str": {"$gt": [1, "a"]}, "lt_null_num": {"$lt": [null, 0]},
     "lt_str_obj": {"$lt": ["z", {}]}, "lt_obj_arr": {"$lt": [{}, []]}, "lt_arr_bool": {"$lt": [[], false]},
     "lt_bool_date": {"$lt": [true, {"$toDate": {"$numberLong": "0"}}]},
     "missing_eq_null": {"$eq": ["$nope", null]}, "missing_lt_null": {"$lt": ["$nope", null]},
     "null_eq_null": {"$eq": ["$n", null]}, "gte": {"$gte": ["$x", 1]}, "lte": {"$lte": ["$x", 0]},
     "arr_eq": {"$eq": [[1, 2], [1, 2.0]]}, "arr_gt": {"$gt": [[1, 3], [1, 2, 9]]},
     "obj_eq_order": {"$eq": [{"a": 1, "b": 2}, {"b": 2, "a": 1}]},
     "cmp": {"$cmp": [1, 2]}, "cmp_s": {"$cmp": ["b", "a"]}, "cmp_eq": {"$cmp": [2, 2.0]},
     "cmp_missing": {"$cmp": ["$nope", null]}}$$);
-- truthiness: false, 0, null and missing are false; everything else is true
-- (including "", [] and {}); $and/$or of nothing
SELECT * FROM ex($${"z": 0}$$,
  $${"_id": 0,
     "and": {"$and": [true, 1, "x"]}, "and_zero": {"$and": [true, "$z"]}, "and_null": {"$and": [null]},
     "and_empty": {"$and": []}, "and_truthy": {"$and": ["", [], {}]},
     "or": {"$or": [false, 0, 2]}, "or_missing": {"$or": [false, "$nope"]}, "or_empty": {"$or": []},
     "not": {"$not": [0]}, "not_arr": {"$not": [[]]}, "not_missing": {"$not": ["$nope"]},
     "not_decimal0": {"$not": [{"$numberDecimal": "0.0"}]}}$$);

--
-- conditionals
--
SELECT * FROM ex($${"a": 5, "n": null}$$,
  $${"_id": 0,
     "cond_obj": {"$cond": {"if": {"$gt": ["$a", 3]}, "then": "big", "else": "small"}},
     "cond_arr": {"$cond": [{"$lt": ["$a", 3]}, "big", "small"]},
     "cond_truthy": {"$cond": ["$nope", "yes", "no"]}, "cond_str": {"$cond": ["", "yes", "no"]},
     "ifnull": {"$ifNull": ["$nope", "default"]}, "ifnull_null": {"$ifNull": ["$n", "default"]},
     "ifnull_present": {"$ifNull": ["$a", "default"]}, "ifnull_many": {"$ifNull": [null, "$nope", 3, 4]},
     "ifnull_all_null": {"$ifNull": ["$nope", null]},
     "switch": {"$switch": {"branches": [{"case": {"$lt": ["$a", 0]}, "then": "neg"},
                                         {"case": {"$lt": ["$a", 10]}, "then": "small"},
                                         {"case": {"$lt": ["$a", 100]}, "then": "medium"}],
                            "default": "huge"}},
     "switch_default": {"$switch": {"branches": [{"case": {"$eq": ["$a", 0]}, "then": "zero"}], "default": "other"}}}$$);

--
-- strings, with non-ASCII text (code points vs bytes)
--
SELECT * FROM ex($${"s": "Hello World", "u": "Grüße, 日本語!", "n": null}$$,
  $${"_id": 0,
     "concat": {"$concat": ["$s", "-", "x"]}, "concat_u": {"$concat": ["$u", "→"]},
     "concat_null": {"$concat": ["a", "$n"]}, "concat_missing": {"$concat": ["a", "$nope"]},
     "substrCP": {"$substrCP": ["$u", 0, 5]}, "substrCP2": {"$substrCP": ["$u", 7, 3]},
     "substrCP_past": {"$substrCP": ["$u", 9, 100]}, "substrCP_null": {"$substrCP": ["$n", 0, 1]},
     "substrBytes": {"$substrBytes": ["$u", 0, 4]}, "substr": {"$substr": ["$s", 6, 5]},
     "upper": {"$toUpper": "$s"}, "lower": {"$toLower": "$s"},
     "upper_null": {"$toUpper": "$n"}, "upper_num": {"$toUpper": 5},
     "strLenCP": {"$strLenCP": "$u"}, "strLenBytes": {"$strLenBytes": "$u"},
     "strcasecmp": {"$strcasecmp": ["abc", "ABC"]}, "strcasecmp2": {"$strcasecmp": ["a", "B"]}}$$);
-- $toUpper/$toLower only change ASCII letters, as in MongoDB
SELECT * FROM ex($${"u": "Grüße, Ärger"}$$,
  $${"_id": 0, "upper": {"$toUpper": "$u"}, "lower": {"$toLower": "$u"}}$$);
-- $split
SELECT * FROM ex($${"csv": "a,b,,c", "u": "日本語", "n": null}$$,
  $${"_id": 0, "split": {"$split": ["$csv", ","]}, "split_u": {"$split": ["$u", "本"]},
     "split_none": {"$split": ["$csv", ";"]}, "split_edge": {"$split": [",a,", ","]},
     "split_multi": {"$split": ["a::b::c", "::"]}, "split_null": {"$split": ["$n", ","]}}$$);
-- $trim, $ltrim, $rtrim: whitespace by default (incl. Unicode spaces), or the given chars
SELECT * FROM ex($${"p": " \t\n hi there \u00a0\u2003", "x": "xxpadxx", "u": "¡¡hola!!"}$$,
  $${"_id": 0, "trim": {"$trim": {"input": "$p"}}, "ltrim": {"$ltrim": {"input": "$p"}},
     "rtrim": {"$rtrim": {"input": "  a  "}},
     "trim_chars": {"$trim": {"input": "$x", "chars": "x"}}, "ltrim_chars": {"$ltrim": {"input": "$x", "chars": "xp"}},
     "rtrim_chars": {"$rtrim": {"input": "$x", "chars": "xd"}}, "trim_u": {"$trim": {"input": "$u", "chars": "¡!"}},
     "trim_null": {"$trim": {"input": "$nope"}}}$$);
-- regular expressions: options, captures (an unmatched group is null), code
-- point indexes, no match
SELECT * FROM ex($${"s": "Hello World", "u": "日本語abc123def45"}$$,
  $${"_id": 0,
     "match": {"$regexMatch": {"input": "$s", "regex": "^hel", "options": "i"}},
     "match_no": {"$regexMatch": {"input": "$s", "regex": "^hel"}},
     "match_re": {"$regexMatch": {"input": "$s", "regex": {"$regularExpression": {"pattern": "WORLD$", "options": "i"}}}},
     "find": {"$regexFind": {"input": "$s", "regex": "(o)(x)?"}},
     "find_u": {"$regexFind": {"input": "$u", "regex": "[a-z]+"}},
     "find_none": {"$regexFind": {"input": "$s", "regex": "xyz"}},
     "find_all": {"$regexFindAll": {"input": "$u", "regex": "([0-9])[0-9]*"}},
     "find_all_none": {"$regexFindAll": {"input": "$s", "regex": "xyz"}},
     "find_null": {"$regexFind": {"input": "$nope", "regex": "a"}}}$$);
-- $indexOfCP / $indexOfBytes, $replaceOne / $replaceAll
SELECT * FROM ex($${"u": "Grüße, 日本語!", "n": null}$$,
  $${"_id": 0,
     "indexOfCP": {"$indexOfCP": ["$u", "日本"]}, "indexOfBytes": {"$indexOfBytes": ["$u", "日本"]},
     "indexOfCP_start": {"$indexOfCP": ["abcabc", "b", 2]}, "indexOfCP_range": {"$indexOfCP": ["abcabc", "c", 0, 2]},
     "indexOfCP_none": {"$indexOfCP": ["$u", "x"]}, "indexOfCP_null": {"$indexOfCP": ["$n", "x"]},
     "replaceOne": {"$replaceOne": {"input": "a-b-c", "find": "-", "replacement": "+"}},
     "replaceAll": {"$replaceAll": {"input": "a-b-c", "find": "-", "replacement": "+"}},
     "replaceAll_u": {"$replaceAll": {"input": "日本日本", "find": "本", "replacement": "ü"}},
     "replaceAll_null": {"$replaceAll": {"input": "$n", "find": "a", "replacement": "b"}}}$$);

--
-- arrays
--
SELECT * FROM ex($j${"a": [1, 2, 3, 4, 5], "e": [], "n": null}$j$,
  $j${"_id": 0,
     "size": {"$size": "$a"}, "size_e": {"$size": "$e"},
     "elem0": {"$arrayElemAt": ["$a", 0]}, "elem_neg": {"$arrayElemAt": ["$a", -1]},
     "elem_out": {"$arrayElemAt": ["$a", 10]}, "elem_dbl": {"$arrayElemAt": ["$a", 1.0]},
     "elem_null": {"$arrayElemAt": ["$n", 0]},
     "filter": {"$filter": {"input": "$a", "as": "x", "cond": {"$gt": ["$$x", 2]}}},
     "filter_this": {"$filter": {"input": "$a", "cond": {"$eq": [{"$mod": ["$$this", 2]}, 0]}}},
     "filter_limit": {"$filter": {"input": "$a", "cond": {"$gt": ["$$this", 2]}, "limit": 1}},
     "filter_null": {"$filter": {"input": "$n", "cond": true}},
     "map": {"$map": {"input": "$a", "as": "x", "in": {"$multiply": ["$$x", 10]}}},
     "map_this": {"$map": {"input": "$e", "in": "$$this"}},
     "reduce": {"$reduce": {"input": "$a", "initialValue": 0, "in": {"$add": ["$$value", "$$this"]}}},
     "reduce_str": {"$reduce": {"input": ["a", "b", "c"], "initialValue": "", "in": {"$concat": ["$$value", "$$this"]}}},
     "reduce_null": {"$reduce": {"input": "$n", "initialValue": 0, "in": 1}},
     "in": {"$in": [2, "$a"]}, "in_no": {"$in": ["2", "$a"]},
     "concat": {"$concatArrays": ["$a", [6], "$e"]}, "concat_null": {"$concatArrays": ["$a", "$n"]},
     "isArray": {"$isArray": ["$a"]}, "isArray_no": {"$isArray": "$n"}}$j$);
SELECT * FROM ex($${"a": [1, 2, 3, 4, 5], "e": [], "n": null}$$,
  $${"_id": 0,
     "slice": {"$slice": ["$a", 2]}, "slice_neg": {"$slice": ["$a", -2]}, "slice_pos": {"$slice": ["$a", 1, 2]},
     "slice_negpos": {"$slice": ["$a", -2, 1]}, "slice_past": {"$slice": ["$a", 10, 2]},
     "slice_null": {"$slice": ["$n", 1]},
     "first": {"$first": "$a"}, "last": {"$last": "$a"}, "first_e": {"$first": "$e"},
     "first_null": {"$first": "$n"}, "first_type_e": {"$type": {"$first": "$e"}},
     "range": {"$range": [0, 5]}, "range_step": {"$range": [0, 10, 3]}, "range_down": {"$range": [5, 0, -2]},
     "range_empty": {"$range": [0, -1]},
     "reverse": {"$reverseArray": "$a"}, "reverse_null": {"$reverseArray": "$n"},
     "indexOf": {"$indexOfArray": ["$a", 3]}, "indexOf_start": {"$indexOfArray": [[1, 2, 1, 2], 2, 2]},
     "indexOf_num": {"$indexOfArray": [[1, 2.0], 2]}, "indexOf_none": {"$indexOfArray": ["$a", 9]},
     "indexOf_null": {"$indexOfArray": ["$n", 1]}}$$);
-- $arrayToObject (pairs or {k, v} documents; a repeated key keeps the last
-- value), $objectToArray
SELECT * FROM ex($${"o": {"a": 1, "b": {"c": 2}}, "kv": [{"k": "x", "v": 1}, {"k": "y", "v": 2}]}$$,
  $${"_id": 0,
     "a2o_pairs": {"$arrayToObject": [[["k1", 1], ["k2", [2]]]]},
     "a2o_kv": {"$arrayToObject": "$kv"},
     "a2o_dup": {"$arrayToObject": [[["k", 1], ["k", 2]]]},
     "a2o_null": {"$arrayToObject": "$nope"},
     "o2a": {"$objectToArray": "$o"}, "o2a_empty": {"$objectToArray": {"$literal": {}}},
     "roundtrip": {"$arrayToObject": {"$objectToArray": "$o"}}}$$);
-- $sortArray: by value (BSON order across types) and by fields of documents
SELECT * FROM ex($${"mixed": [20, 4, {"a": "Free"}, 6, 21, 5, "Gratis", {"a": null}, {"a": {"sale": true, "price": 19}},
                              {"$numberDecimal": "10.23"}, {"a": "On sale"}],
                    "team": [{"name": "pat", "age": 30}, {"name": "dallas", "age": 42}, {"name": "charlie", "age": 36}]}$$,
  $${"_id": 0, "asc": {"$sortArray": {"input": "$mixed", "sortBy": 1}},
     "desc": {"$sortArray": {"input": [3, 1, 2], "sortBy": -1}},
     "by_age": {"$sortArray": {"input": "$team", "sortBy": {"age": -1}}},
     "by_name": {"$sortArray": {"input": "$team", "sortBy": {"name": 1}}},
     "null": {"$sortArray": {"input": "$nope", "sortBy": 1}}}$$);

--
-- objects
--
SELECT * FROM ex($${"o": {"a": 1, "b": 2}, "p": {"a.b": 5, "$price": 9}, "n": null}$$,
  $${"_id": 0,
     "merge": {"$mergeObjects": ["$o", {"c": 3}, {"a": 10}]},
     "merge_null": {"$mergeObjects": ["$o", "$n", "$nope"]}, "merge_only_null": {"$mergeObjects": ["$n"]},
     "get": {"$getField": {"field": "a.b", "input": "$p"}},
     "get_dollar": {"$getField": {"field": {"$literal": "$price"}, "input": "$p"}},
     "get_short": {"$getField": "o"}, "get_missing": {"$type": {"$getField": {"field": "x", "input": "$o"}}},
     "get_null": {"$getField": {"field": "a", "input": "$n"}}}$$);

--
-- types and conversions
--
SELECT * FROM ex($${"i": 1, "l": {"$numberLong": "2"}, "d": 1.5, "dec": {"$numberDecimal": "1.10"}, "s": "x",
                    "o": {}, "a": [], "b": true, "n": null, "dt": {"$date": "2024-01-01T00:00:00Z"},
                    "oid": {"$oid": "65a1b2c3d4e5f60718293a4b"},
                    "re": {"$regularExpression": {"pattern": "^a", "options": "i"}},
                    "ts": {"$timestamp": {"t": 1, "i": 2}}, "bin": {"$binary": {"base64": "AQID", "subType": "00"}},
                    "min": {"$minKey": 1}, "max": {"$maxKey": 1}}$$,
  $${"_id": 0, "i": {"$type": "$i"}, "l": {"$type": "$l"}, "d": {"$type": "$d"}, "dec": {"$type": "$dec"},
     "s": {"$type": "$s"}, "o": {"$type": "$o"}, "a": {"$type": "$a"}, "b": {"$type": "$b"},
     "n": {"$type": "$n"}, "missing": {"$type": "$nope"}, "dt": {"$type": "$dt"}, "oid": {"$type": "$oid"},
     "re": {"$type": "$re"}, "ts": {"$type": "$ts"}, "bin": {"$type": "$bin"},
     "min": {"$type": "$min"}, "max": {"$type": "$max"}}$$);
-- $isNumber
SELECT * FROM ex($${"n": null}$$,
  $${"_id": 0, "int": {"$isNumber": 1}, "long": {"$isNumber": {"$numberLong": "1"}}, "dbl": {"$isNumber": 1.5},
     "dec": {"$isNumber": {"$numberDecimal": "1"}}, "str": {"$isNumber": "1"},
     "null": {"$isNumber": "$n"}, "missing": {"$isNumber": "$nope"}}$$);
-- $convert with onError and onNull, "to" as a name or a number
SELECT * FROM ex($${"s": "42", "bad": "4x", "n": null}$$,
  $${"_id": 0,
     "int": {"$convert": {"input": "$s", "to": "int"}},
     "int_code": {"$convert": {"input": "$s", "to": 16}},
     "long": {"$convert": {"input": "$s", "to": "long"}},
     "double": {"$convert": {"input": "$s", "to": "double"}},
     "decimal": {"$convert": {"input": "$s", "to": "decimal"}},
     "bool": {"$convert": {"input": "$s", "to": "bool"}},
     "string": {"$convert": {"input": 7, "to": "string"}},
     "date": {"$convert": {"input": "2024-01-01T10:00:00Z", "to": "date"}},
     "onerror": {"$convert": {"input": "$bad", "to": "int", "onError": "bad input"}},
     "onerror_expr": {"$convert": {"input": "$bad", "to": "int", "onError": {"$concat": ["bad: ", "$bad"]}}},
     "onnull": {"$convert": {"input": "$n", "to": "int", "onNull": -1}},
     "onnull_missing": {"$convert": {"input": "$nope", "to": "int", "onNull": -2}},
     "null_no_onnull": {"$convert": {"input": "$n", "to": "int"}},
     "onerror_not_null": {"$convert": {"input": "$n", "to": "int", "onError": 0}}}$$);
-- the $toX shorthands
SELECT * FROM ex($${"n": null}$$,
  $${"_id": 0,
     "toInt_s": {"$toInt": "12"}, "toInt_d": {"$toInt": 12.9}, "toInt_neg": {"$toInt": -12.9}, "toInt_b": {"$toInt": true},
     "toLong_s": {"$toLong": "9007199254740993"}, "toLong_date": {"$toLong": {"$toDate": "2024-01-01T00:00:00Z"}},
     "toDouble_s": {"$toDouble": "1.5"}, "toDouble_b": {"$toDouble": true}, "toDouble_exp": {"$toDouble": "-2.5e3"},
     "toDecimal_s": {"$toDecimal": "1.10"}, "toDecimal_i": {"$toDecimal": 3},
     "toString_d": {"$toString": 1.5}, "toString_l": {"$toString": {"$numberLong": "123"}},
     "toString_dec": {"$toString": {"$numberDecimal": "1.10"}}, "toString_b": {"$toString": false},
     "toString_date": {"$toString": {"$toDate": "2024-01-01T00:00:00Z"}},
     "toString_oid": {"$toString": {"$toObjectId": "65a1b2c3d4e5f60718293a4b"}},
     "toBool_0": {"$toBool": 0}, "toBool_2": {"$toBool": 2}, "toBool_s": {"$toBool": "false"},
     "toBool_empty": {"$toBool": ""}, "toBool_null": {"$toBool": "$n"},
     "toDate_s": {"$toDate": "2024-02-29T12:30:00.5+01:00"}, "toDate_l": {"$toDate": {"$numberLong": "86400000"}},
     "toDate_d": {"$toDate": 1.5e3}, "toDate_oid": {"$toDate": {"$toObjectId": "65a1b2c3d4e5f60718293a4b"}},
     "toInt_null": {"$toInt": "$n"}, "toInt_missing": {"$toInt": "$nope"}}$$);

--
-- dates
--
-- $dateFromString: ISO strings with offsets, formats, time zones (Olson names
-- across a DST change, fixed offsets), onError, onNull
SELECT * FROM ex($${"n": null}$$,
  $${"_id": 0,
     "iso": {"$dateFromString": {"dateString": "2024-01-01T10:00:00+02:00"}},
     "iso_ms": {"$dateFromString": {"dateString": "2024-01-01T10:00:00.123Z"}},
     "date_only": {"$dateFromString": {"dateString": "2024-06-15"}},
     "format": {"$dateFromString": {"dateString": "15/06/2024", "format": "%d/%m/%Y"}},
     "format_time": {"$dateFromString": {"dateString": "2024-06-15 08:09:10", "format": "%Y-%m-%d %H:%M:%S"}},
     "tz_winter": {"$dateFromString": {"dateString": "2024-01-15T12:00:00", "timezone": "America/New_York"}},
     "tz_summer": {"$dateFromString": {"dateString": "2024-07-15T12:00:00", "timezone": "America/New_York"}},
     "tz_after_dst": {"$dateFromString": {"dateString": "2024-03-10T03:30:00", "timezone": "America/New_York"}},
     "tz_offset": {"$dateFromString": {"dateString": "2024-01-01T00:00:00", "timezone": "+05:30"}},
     "tz_format": {"$dateFromString": {"dateString": "06/15/2024 14:00", "format": "%m/%d/%Y %H:%M", "timezone": "Europe/Paris"}},
     "onerror": {"$dateFromString": {"dateString": "not a date", "onError": "bad"}},
     "onnull": {"$dateFromString": {"dateString": "$n", "onNull": "no date"}},
     "null": {"$dateFromString": {"dateString": "$nope"}}}$$);
-- $dateToString: default format, format specifiers, time zones
SELECT * FROM ex($${"d": {"$date": "2024-03-10T07:30:05.042Z"}, "n": null}$$,
  $${"_id": 0,
     "default": {"$dateToString": {"date": "$d"}},
     "format": {"$dateToString": {"date": "$d", "format": "%Y/%m/%d %H:%M:%S.%L"}},
     "ny": {"$dateToString": {"date": "$d", "format": "%Y-%m-%dT%H:%M:%S%z", "timezone": "America/New_York"}},
     "ny_before": {"$dateToString": {"date": {"$subtract": ["$d", 3600000]}, "format": "%H:%M %z (%Z)", "timezone": "America/New_York"}},
     "kolkata": {"$dateToString": {"date": "$d", "format": "%H:%M %z", "timezone": "Asia/Kolkata"}},
     "offset": {"$dateToString": {"date": "$d", "format": "%H:%M", "timezone": "-03:30"}},
     "parts": {"$dateToString": {"date": "$d", "format": "%j %w %u %U %V %G %%"}},
     "null": {"$dateToString": {"date": "$n"}},
     "onnull": {"$dateToString": {"date": "$nope", "onNull": "none"}}}$$);
-- $dateTrunc: units, binSize, startOfWeek, time zones
SELECT * FROM ex($${"d": {"$date": "2024-03-10T07:38:45.500Z"}}$$,
  $${"_id": 0,
     "second": {"$dateTrunc": {"date": "$d", "unit": "second"}},
     "minute15": {"$dateTrunc": {"date": "$d", "unit": "minute", "binSize": 15}},
     "hour": {"$dateTrunc": {"date": "$d", "unit": "hour"}},
     "day": {"$dateTrunc": {"date": "$d", "unit": "day"}},
     "day_ny": {"$dateTrunc": {"date": "$d", "unit": "day", "timezone": "America/New_York"}},
     "week": {"$dateTrunc": {"date": "$d", "unit": "week"}},
     "week_monday": {"$dateTrunc": {"date": "$d", "unit": "week", "startOfWeek": "monday"}},
     "month": {"$dateTrunc": {"date": "$d", "unit": "month"}},
     "quarter": {"$dateTrunc": {"date": "$d", "unit": "quarter"}},
     "year": {"$dateTrunc": {"date": "$d", "unit": "year"}}}$$);
-- date parts in UTC and in time zones, on both sides of the US spring DST
-- change (2024-03-10 02:00 EST -> 03:00 EDT) and of the EU autumn change
SELECT * FROM ex($${"i": 1, "d": {"$date": "2024-03-10T06:59:59.250Z"}},
                 {"i": 2, "d": {"$date": "2024-03-10T07:00:00.000Z"}},
                 {"i": 3, "d": {"$date": "2024-10-27T00:30:00Z"}},
                 {"i": 4, "d": {"$date": "2024-10-27T01:30:00Z"}}$$,
  $${"_id": 0, "i": 1,
     "year": {"$year": "$d"}, "month": {"$month": "$d"}, "day": {"$dayOfMonth": "$d"},
     "hour": {"$hour": "$d"}, "minute": {"$minute": "$d"}, "second": {"$second": "$d"}, "ms": {"$millisecond": "$d"},
     "ny_hour": {"$hour": {"date": "$d", "timezone": "America/New_York"}},
     "ny_day": {"$dayOfMonth": {"date": "$d", "timezone": "America/New_York"}},
     "paris_hour": {"$hour": {"date": "$d", "timezone": "Europe/Paris"}},
     "paris_minute": {"$minute": {"date": "$d", "timezone": "Europe/Paris"}},
     "offset_hour": {"$hour": {"date": "$d", "timezone": "+05:30"}},
     "offset_minute": {"$minute": {"date": "$d", "timezone": "+05:30"}}}$$);
-- week-based parts: 2024-12-30 is a Monday in ISO week 1 of 2025
SELECT * FROM ex($${"d": {"$date": "2024-12-30T12:00:00Z"}, "s": {"$date": "2023-01-01T00:00:00Z"}}$$,
  $${"_id": 0,
     "dayOfWeek": {"$dayOfWeek": "$d"}, "dayOfYear": {"$dayOfYear": "$d"}, "week": {"$week": "$d"},
     "isoWeek": {"$isoWeek": "$d"}, "isoWeekYear": {"$isoWeekYear": "$d"}, "isoDayOfWeek": {"$isoDayOfWeek": "$d"},
     "sun_dayOfWeek": {"$dayOfWeek": "$s"}, "sun_week": {"$week": "$s"}, "sun_isoWeek": {"$isoWeek": "$s"},
     "sun_isoWeekYear": {"$isoWeekYear": "$s"}, "sun_isoDayOfWeek": {"$isoDayOfWeek": "$s"},
     "null": {"$year": "$nope"}}$$);
-- $dateAdd / $dateSubtract / $dateDiff: month ends are clamped; days in a
-- time zone keep the local time across DST, hours do not
SELECT * FROM ex($${"jan31": {"$date": "2024-01-31T10:00:00Z"}, "sat": {"$date": "2024-03-09T12:00:00Z"}}$$,
  $${"_id": 0,
     "plus_month": {"$dateAdd": {"startDate": "$jan31", "unit": "month", "amount": 1}},
     "plus_year": {"$dateAdd": {"startDate": {"$toDate": "2024-02-29T00:00:00Z"}, "unit": "year", "amount": 1}},
     "plus_day_ny": {"$dateAdd": {"startDate": "$sat", "unit": "day", "amount": 1, "timezone": "America/New_York"}},
     "plus_24h_ny": {"$dateAdd": {"startDate": "$sat", "unit": "hour", "amount": 24, "timezone": "America/New_York"}},
     "plus_ms": {"$dateAdd": {"startDate": "$sat", "unit": "millisecond", "amount": 1500}},
     "minus_week": {"$dateSubtract": {"startDate": "$sat", "unit": "week", "amount": 2}},
     "minus_month": {"$dateSubtract": {"startDate": {"$toDate": "2024-03-31T00:00:00Z"}, "unit": "month", "amount": 1}},
     "diff_month": {"$dateDiff": {"startDate": "$jan31", "endDate": {"$toDate": "2024-03-01T00:00:00Z"}, "unit": "month"}},
     "diff_day": {"$dateDiff": {"startDate": "$jan31", "endDate": "$sat", "unit": "day"}},
     "diff_hour_neg": {"$dateDiff": {"startDate": "$sat", "endDate": "$jan31", "unit": "hour"}},
     "diff_year": {"$dateDiff": {"startDate": {"$toDate": "2023-12-31T23:59:59Z"}, "endDate": {"$toDate": "2024-01-01T00:00:00Z"}, "unit": "year"}},
     "diff_week": {"$dateDiff": {"startDate": {"$toDate": "2024-03-09T00:00:00Z"}, "endDate": {"$toDate": "2024-03-10T12:00:00Z"}, "unit": "week"}},
     "diff_week_mon": {"$dateDiff": {"startDate": {"$toDate": "2024-03-09T00:00:00Z"}, "endDate": {"$toDate": "2024-03-10T12:00:00Z"}, "unit": "week", "startOfWeek": "monday"}},
     "null": {"$dateAdd": {"startDate": "$nope", "unit": "day", "amount": 1}}}$$);

-- more edges: paths through nested arrays, numeric path parts (no array
-- indexing in expressions), $reduce into a document, dates before 1970,
-- truthiness in $filter/$cond/$switch, time zones and bins in date arithmetic
SELECT * FROM ex($j${"a": [[{"b": 1}], {"b": 2}], "s": [10, 20], "d": {"$date": "1969-12-31T23:59:59.999Z"}}$j$,
  $j${"_id": 0,
     "nested": "$a.b", "numeric_part": "$s.0",
     "reduce_doc": {"$reduce": {"input": [1, 2, 3], "initialValue": {"sum": 0, "product": 1},
                                "in": {"sum": {"$add": ["$$value.sum", "$$this"]}, "product": {"$multiply": ["$$value.product", "$$this"]}}}},
     "pre1970_str": {"$toString": "$d"}, "pre1970_ms": {"$millisecond": "$d"}, "pre1970_year": {"$year": "$d"},
     "pre1970_dow": {"$dayOfWeek": "$d"}, "pre1970_double": {"$toDouble": "$d"},
     "filter_truthy": {"$filter": {"input": [0, 1, null, "", []], "cond": "$$this"}},
     "cond_null": {"$cond": [null, 1, 2]}, "switch_truthy": {"$switch": {"branches": [{"case": "x", "then": "string is true"}]}},
     "toBool_dec0": {"$toBool": {"$numberDecimal": "0"}}, "toLong_zeros": {"$toLong": "007"},
     "add_month_paris": {"$dateAdd": {"startDate": {"$toDate": "2024-03-31T12:00:00Z"}, "unit": "month", "amount": 1, "timezone": "Europe/Paris"}},
     "diff_quarter": {"$dateDiff": {"startDate": {"$toDate": "2024-01-15T00:00:00Z"}, "endDate": {"$toDate": "2024-07-01T00:00:00Z"}, "unit": "quarter"}},
     "trunc_2weeks": {"$dateTrunc": {"date": {"$toDate": "2024-03-13T00:00:00Z"}, "unit": "week", "binSize": 2}},
     "trunc_5hours": {"$dateTrunc": {"date": {"$toDate": "2024-03-13T07:00:00Z"}, "unit": "hour", "binSize": 5}}}$j$);

--
-- null and missing propagation: most operators give null for a null or
-- missing argument (the field is then output as null); a few do otherwise
--
SELECT * FROM ex($${"n": null}$$,
  $${"_id": 0,
     "add": {"$add": [1, "$n"]}, "add_missing": {"$add": [1, "$nope"]}, "mul": {"$multiply": ["$nope", 2]},
     "abs": {"$abs": "$n"}, "sqrt": {"$sqrt": "$nope"}, "round": {"$round": ["$n", 1]},
     "divide": {"$divide": ["$n", 0]}, "mod": {"$mod": [1, "$nope"]},
     "concat": {"$concat": ["$nope"]}, "split": {"$split": ["$n", ","]}, "upper": {"$toUpper": "$nope"},
     "substrCP": {"$substrCP": ["$nope", 0, 1]}, "elemAt": {"$arrayElemAt": ["$n", 0]},
     "map": {"$map": {"input": "$nope", "in": 1}}, "size_type": {"$type": "$nope.x"},
     "year": {"$year": "$n"}, "dateToString": {"$dateToString": {"date": "$nope"}},
     "objectToArray": {"$objectToArray": "$n"}, "mergeObjects": {"$mergeObjects": ["$n"]},
     "toInt": {"$toInt": "$nope"}, "ifNull": {"$ifNull": ["$nope", "$n"]}}$$);

--
-- runtime errors: the document goes to the dead letter queue with the
-- reason; the other documents come out
--
SELECT kind, doc::jsonb - '_ts' - '_stream_meta' #- '{doc,_ts}' #- '{doc,_stream_meta}' AS doc FROM asp.process($$[
  {"$source": {"documents": [{"id": 1, "a": 1, "b": 0}, {"id": 2, "a": 6, "b": 3}, {"id": 3, "a": 1, "b": 0.0}]}},
  {"$project": {"_id": 0, "id": 1, "q": {"$divide": ["$a", "$b"]}}}]$$);
SELECT kind, doc::jsonb - '_ts' - '_stream_meta' #- '{doc,_ts}' #- '{doc,_stream_meta}' AS doc FROM asp.process($$[
  {"$source": {"documents": [{"id": 1, "a": 5}, {"id": 2, "a": "five"}]}},
  {"$project": {"_id": 0, "id": 1, "r": {"$mod": ["$a", 0]}}}]$$);
SELECT kind, doc->'errInfo'->>'reason' AS reason, doc->>'operatorName' AS op, doc->'doc'->'id' AS id,
       doc::jsonb - '_ts' - '_stream_meta' - 'errInfo' - 'operatorName' - 'doc' AS out FROM asp.process($$[
  {"$source": {"documents": [{"id": 1, "a": 2}, {"id": 2, "a": "two"}, {"id": 3, "a": {"x": 1}}, {"id": 4, "a": 2.5}]}},
  {"$addFields": {"r": {"$add": ["$a", 1]}}},
  {"$project": {"_id": 0, "id": 1, "r": 1}}]$$);
SELECT kind, doc->'errInfo'->>'reason' AS reason, doc->>'operatorName' AS op, doc->'doc'->'id' AS id,
       doc::jsonb - '_ts' - '_stream_meta' - 'errInfo' - 'operatorName' - 'doc' AS out FROM asp.process($$[
  {"$source": {"documents": [{"id": 1, "a": [1, 2]}, {"id": 2, "a": "ab"}, {"id": 3, "a": null}, {"id": 4}]}},
  {"$project": {"_id": 0, "id": 1, "n": {"$size": "$a"}}}]$$);
SELECT kind, doc->'errInfo'->>'reason' AS reason, doc->>'operatorName' AS op, doc->'doc'->'id' AS id,
       doc::jsonb - '_ts' - '_stream_meta' - 'errInfo' - 'operatorName' - 'doc' AS out FROM asp.process($$[
  {"$source": {"documents": [{"id": 1, "i": 1}, {"id": 2, "i": 1.5}, {"id": 3, "i": "1"}, {"id": 4, "i": {"$numberLong": "1"}}]}},
  {"$project": {"_id": 0, "id": 1, "e": {"$arrayElemAt": [["x", "y"], "$i"]}}}]$$);
SELECT kind, doc->'errInfo'->>'reason' AS reason, doc->>'operatorName' AS op, doc->'doc'->'id' AS id,
       doc::jsonb - '_ts' - '_stream_meta' - 'errInfo' - 'operatorName' - 'doc' AS out FROM asp.process($$[
  {"$source": {"documents": [{"id": 1, "a": 1}, {"id": 2, "a": 7}]}},
  {"$project": {"_id": 0, "id": 1, "s": {"$switch": {"branches": [{"case": {"$eq": ["$a", 1]}, "then": "one"}]}}}}]$$);
SELECT kind, doc->'errInfo'->>'reason' AS reason, doc->>'operatorName' AS op, doc->'doc'->'id' AS id,
       doc::jsonb - '_ts' - '_stream_meta' - 'errInfo' - 'operatorName' - 'doc' AS out FROM asp.process($$[
  {"$source": {"documents": [{"id": 1, "s": "12"}, {"id": 2, "s": "twelve"}, {"id": 3, "s": "2147483648"}, {"id": 4, "s": null}]}},
  {"$project": {"_id": 0, "id": 1, "i": {"$convert": {"input": "$s", "to": "int"}}}}]$$);
-- other runtime errors
SELECT * FROM ex($${"a": 1}$$, $${"_id": 0, "e": {"$concat": ["a", 1]}}$$);
SELECT * FROM ex($${"a": 1}$$, $${"_id": 0, "e": {"$in": [1, "$a"]}}$$);
SELECT * FROM ex($${"a": 1}$$, $${"_id": 0, "e": {"$sqrt": -1}}$$);
SELECT * FROM ex($${"a": 1}$$, $${"_id": 0, "e": {"$log10": 0}}$$);
SELECT * FROM ex($${"a": 1}$$, $${"_id": 0, "e": {"$toInt": "1.5"}}$$);
SELECT * FROM ex($${"a": 1}$$, $${"_id": 0, "e": {"$toDate": "yesterday"}}$$);
SELECT * FROM ex($${"a": 1}$$, $${"_id": 0, "e": {"$dateFromString": {"dateString": "2024-13-45"}}}$$);
SELECT * FROM ex($${"a": 1}$$, $${"_id": 0, "e": {"$substrBytes": ["ü", 1, 1]}}$$);
SELECT * FROM ex($${"a": 1}$$, $${"_id": 0, "e": {"$arrayToObject": [[["k"]]]}}$$);
SELECT * FROM ex($${"a": 1}$$, $${"_id": 0, "e": {"$first": "$a"}}$$);
SELECT * FROM ex($${"a": 1}$$, $${"_id": 0, "e": {"$strLenCP": "$a"}}$$);
SELECT * FROM ex($${"a": 1}$$, $${"_id": 0, "e": {"$dateToString": {"date": "$a"}}}$$);
SELECT * FROM ex($${"a": [1, 2]}$$, $${"_id": 0, "e": {"$arrayElemAt": ["$a", {"$numberLong": "4294967296"}]}}$$);
SELECT * FROM ex($${"a": [1, 2]}$$, $${"_id": 0, "e": {"$slice": ["$a", 1, 0]}}$$);
SELECT * FROM ex($${"a": [1, 2]}$$, $${"_id": 0, "e": {"$mergeObjects": ["$a"]}}$$);
SELECT * FROM ex($${"a": [1, 2]}$$, $${"_id": 0, "e": {"$concatArrays": ["$a", 1]}}$$);
SELECT * FROM ex($${"a": [1, 2]}$$, $${"_id": 0, "e": {"$range": [0, 5, 0]}}$$);
SELECT * FROM ex($${"a": "hello"}$$, $${"_id": 0, "e": {"$substrCP": ["$a", -1, 2]}}$$);
SELECT * FROM ex($${"a": [1, 2]}$$, $${"_id": 0, "e": {"$add": [{"$toDate": "2024-01-01"}, {"$toDate": "2024-01-01"}]}}$$);
SELECT * FROM ex($${"tz": "Mars/Olympus"}$$, $${"_id": 0, "e": {"$hour": {"date": {"$toDate": "2024-01-01"}, "timezone": "$tz"}}}$$);

--
-- compile errors: the pipeline is refused before anything runs
--
-- wrong number of arguments
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$project": {"x": {"$size": [1, 2]}}}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$project": {"x": {"$substrCP": ["abc", 1]}}}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$project": {"x": {"$cond": [true, 1]}}}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$project": {"x": {"$divide": [1]}}}]$$);
-- unknown or missing parameters
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$project": {"x": {"$filter": {"input": [], "cond": true, "foo": 1}}}}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$project": {"x": {"$map": {"in": 1}}}}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$project": {"x": {"$cond": {"if": true, "then": 1}}}}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$project": {"x": {"$dateToString": {"date": "$d", "fmt": "%Y"}}}}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$project": {"x": {"$switch": {"branches": [{"case": true}]}}}}]$$);
-- unknown operator; operator among fields
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$project": {"x": {"$frobnicate": 1}}}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$project": {"x": {"$add": [1, 2], "y": 1}}}]$$);
-- variables: bad names, undefined variables, assigning to a system variable
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$project": {"x": {"$let": {"vars": {"Bad": 1}, "in": 1}}}}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$project": {"x": {"$let": {"vars": {"ROOT": 1}, "in": 1}}}}]$$);
SELECT * FROM asp.process($j$[{"$source": {"documents": []}}, {"$project": {"x": "$$undefinedVar"}}]$j$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$project": {"x": {"$map": {"input": [], "as": "1x", "in": 1}}}}]$$);
SELECT * FROM asp.process($j$[{"$source": {"documents": []}}, {"$project": {"x": {"$let": {"vars": {"v": 1}, "in": "$$w"}}}}]$j$);
-- bad field paths and constant arguments of the wrong type
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$project": {"x": "$"}}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$project": {"x": "$a..b"}}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$project": {"x": {"$regexMatch": {"input": "a", "regex": "("}}}}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$project": {"x": {"$convert": {"input": 1, "to": "pumpkin"}}}}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$project": {"x": {"$dateTrunc": {"date": "$d", "unit": "fortnight"}}}}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$project": {"x": {"$hour": {"date": "$d", "timezone": "Mars/Olympus"}}}}]$$);

DROP FUNCTION ex(text, text);
