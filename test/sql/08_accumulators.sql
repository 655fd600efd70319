-- $group accumulators inside a 1-minute $tumblingWindow
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS asp;
RESET client_min_messages;
\set VERBOSITY default
\pset null '(null)'

-- acc(docs, group): runs {"$group": group} in a 1-minute tumbling window over
-- the documents (event time from their field t) and returns one row per
-- output field of each group, in output order, with its value and its BSON
-- type.  Groups leave in the order they were first seen.
CREATE FUNCTION acc(docs text, grp text)
RETURNS TABLE(kind text, field text, value jsonb, type text) LANGUAGE sql AS $f$
  SELECT p.kind,
         coalesce(p.doc->>'k', p.doc->>'operatorName'),
         coalesce(p.doc->'v', p.doc->'errInfo'->'reason')::jsonb,
         p.doc->>'type'
  FROM asp.process(('[{"$source": {"documents": [' || docs || '], "timeField": {"$toDate": "$t"}}},
     {"$tumblingWindow": {"interval": {"size": 1, "unit": "minute"}, "pipeline": [{"$group": ' || grp || '}]}},
     {"$project": {"_id": 0, "f": {"$objectToArray": "$$ROOT"}}},
     {"$unwind": "$f"},
     {"$match": {"f.k": {"$nin": ["_ts", "_stream_meta"]}}},
     {"$project": {"k": "$f.k", "v": "$f.v", "type": {"$type": "$f.v"}}}]')::json) p $f$;

-- the documents used below: k is the group, v a value of many types (or missing)
\set docs '{"k": "a", "v": 1, "t": {"$date": "2024-01-01T00:00:01Z"}}, {"k": "b", "v": 2.5, "t": {"$date": "2024-01-01T00:00:02Z"}}, {"k": "a", "v": "x", "t": {"$date": "2024-01-01T00:00:03Z"}}, {"k": "a", "v": null, "t": {"$date": "2024-01-01T00:00:04Z"}}, {"k": "b", "t": {"$date": "2024-01-01T00:00:05Z"}}, {"k": "a", "v": {"$numberLong": "10"}, "t": {"$date": "2024-01-01T00:00:06Z"}}, {"k": "b", "v": 4, "t": {"$date": "2024-01-01T00:00:07Z"}}, {"k": "c", "v": "only text", "t": {"$date": "2024-01-01T00:00:08Z"}}, {"k": "c", "t": {"$date": "2024-01-01T00:00:09Z"}}'

-- the whole window result, as it leaves the window
SELECT kind, doc::jsonb - '_stream_meta' AS doc FROM asp.process(('[{"$source": {"documents": [' || :'docs' || '],
     "timeField": {"$toDate": "$t"}}},
  {"$tumblingWindow": {"interval": {"size": 1, "unit": "minute"},
     "pipeline": [{"$group": {"_id": "$k", "n": {"$sum": 1}}}]}}]')::json);
-- window bounds are in _stream_meta
SELECT (doc->'_stream_meta')::jsonb AS meta FROM asp.process(('[{"$source": {"documents": [' || :'docs' || '],
     "timeField": {"$toDate": "$t"}}},
  {"$tumblingWindow": {"interval": {"size": 1, "unit": "minute"},
     "pipeline": [{"$group": {"_id": null, "n": {"$sum": 1}}}]}}]')::json);

--
-- $sum, $avg, $count: non-numeric values (strings, null, missing) are
-- ignored; $sum of nothing numeric is 0, $avg of it null; $sum: 1 and $count
-- count documents; int + long sums to a long, with a double to a double
--
SELECT * FROM acc(:'docs', $${"_id": "$k", "sum": {"$sum": "$v"}, "avg": {"$avg": "$v"},
                             "n": {"$sum": 1}, "count": {"$count": {}}, "sum2": {"$sum": 2.5}}$$);

--
-- $min, $max: null and missing are ignored, other values compare in BSON
-- order (numbers < strings < objects < arrays < booleans < dates)
--
SELECT * FROM acc($${"k": 1, "v": 3, "t": {"$date": "2024-01-01T00:00:01Z"}},
                    {"k": 1, "v": "abc", "t": {"$date": "2024-01-01T00:00:02Z"}},
                    {"k": 1, "v": null, "t": {"$date": "2024-01-01T00:00:03Z"}},
                    {"k": 1, "t": {"$date": "2024-01-01T00:00:04Z"}},
                    {"k": 1, "v": {"a": 1}, "t": {"$date": "2024-01-01T00:00:05Z"}},
                    {"k": 1, "v": [0, 1], "t": {"$date": "2024-01-01T00:00:06Z"}},
                    {"k": 1, "v": true, "t": {"$date": "2024-01-01T00:00:07Z"}},
                    {"k": 1, "v": 2.5, "t": {"$date": "2024-01-01T00:00:08Z"}},
                    {"k": 1, "v": {"$date": "2020-01-01T00:00:00Z"}, "t": {"$date": "2024-01-01T00:00:09Z"}},
                    {"k": 2, "v": "pear", "t": {"$date": "2024-01-01T00:00:10Z"}},
                    {"k": 2, "v": "apple", "t": {"$date": "2024-01-01T00:00:11Z"}},
                    {"k": 2, "v": "Zebra", "t": {"$date": "2024-01-01T00:00:12Z"}},
                    {"k": 3, "v": null, "t": {"$date": "2024-01-01T00:00:13Z"}},
                    {"k": 3, "t": {"$date": "2024-01-01T00:00:14Z"}},
                    {"k": 4, "v": 1, "t": {"$date": "2024-01-01T00:00:15Z"}},
                    {"k": 4, "v": {"$numberLong": "1"}, "t": {"$date": "2024-01-01T00:00:16Z"}},
                    {"k": 4, "v": 0.5, "t": {"$date": "2024-01-01T00:00:17Z"}}$$,
  $${"_id": "$k", "min": {"$min": "$v"}, "max": {"$max": "$v"}}$$);

--
-- $first, $last (a missing value is null), $push (missing values are left
-- out, null is kept), $addToSet (no duplicates; numbers equal across types;
-- documents with fields in another order differ; missing is left out; the
-- set has no order, so it is sorted here)
--
SELECT * FROM acc(:'docs', $${"_id": "$k", "first": {"$first": "$v"}, "last": {"$last": "$v"},
                             "push": {"$push": "$v"}}$$);
-- (as text: jsonb would show both documents with their keys sorted)
SELECT kind, doc::text FROM asp.process($$[
  {"$source": {"documents": [
     {"v": 1, "t": {"$date": "2024-01-01T00:00:01Z"}},
     {"v": 1.0, "t": {"$date": "2024-01-01T00:00:02Z"}},
     {"v": "1", "t": {"$date": "2024-01-01T00:00:03Z"}},
     {"v": {"a": 1, "b": 2}, "t": {"$date": "2024-01-01T00:00:04Z"}},
     {"v": {"b": 2, "a": 1}, "t": {"$date": "2024-01-01T00:00:05Z"}},
     {"v": {"a": 1, "b": 2}, "t": {"$date": "2024-01-01T00:00:06Z"}},
     {"v": [1, 2], "t": {"$date": "2024-01-01T00:00:07Z"}},
     {"v": [1, 2], "t": {"$date": "2024-01-01T00:00:08Z"}},
     {"v": null, "t": {"$date": "2024-01-01T00:00:09Z"}},
     {"t": {"$date": "2024-01-01T00:00:10Z"}}],
     "timeField": {"$toDate": "$t"}}},
  {"$tumblingWindow": {"interval": {"size": 1, "unit": "minute"},
     "pipeline": [{"$group": {"_id": null, "set": {"$addToSet": "$v"}, "n": {"$sum": 1}}}]}},
  {"$project": {"_id": 0, "n": 1, "set": {"$sortArray": {"input": "$set", "sortBy": 1}}}}]$$);
-- $push and $first of documents built from expressions
SELECT * FROM acc(:'docs', $${"_id": "$k", "pairs": {"$push": {"v": "$v", "s": {"$second": "$t"}}},
                             "first": {"$first": {"$type": "$v"}}}$$);

--
-- $stdDevPop, $stdDevSamp: non-numeric values are ignored; the sample
-- deviation of one value is null; of no value both are null
--
SELECT * FROM acc($${"k": "x", "v": 2, "t": {"$date": "2024-01-01T00:00:01Z"}},
                    {"k": "x", "v": 4, "t": {"$date": "2024-01-01T00:00:02Z"}},
                    {"k": "x", "v": 4, "t": {"$date": "2024-01-01T00:00:03Z"}},
                    {"k": "x", "v": 4.0, "t": {"$date": "2024-01-01T00:00:04Z"}},
                    {"k": "x", "v": "5", "t": {"$date": "2024-01-01T00:00:05Z"}},
                    {"k": "x", "v": 5, "t": {"$date": "2024-01-01T00:00:06Z"}},
                    {"k": "x", "v": {"$numberLong": "5"}, "t": {"$date": "2024-01-01T00:00:07Z"}},
                    {"k": "x", "v": 7, "t": {"$date": "2024-01-01T00:00:08Z"}},
                    {"k": "x", "v": 9, "t": {"$date": "2024-01-01T00:00:09Z"}},
                    {"k": "y", "v": 42, "t": {"$date": "2024-01-01T00:00:10Z"}},
                    {"k": "z", "v": "none", "t": {"$date": "2024-01-01T00:00:11Z"}}$$,
  $${"_id": "$k", "pop": {"$stdDevPop": "$v"}, "samp": {"$stdDevSamp": "$v"}}$$);

--
-- $top, $bottom, $topN, $bottomN (by sortBy, missing sorts as null, lowest;
-- output may be any expression), $firstN, $lastN (in window order, a missing
-- value is null), $minN, $maxN (null and missing ignored)
--
\set players '{"p": "a", "score": 10, "t": {"$date": "2024-01-01T00:00:01Z"}}, {"p": "b", "score": 30, "t": {"$date": "2024-01-01T00:00:02Z"}}, {"p": "c", "score": 20, "t": {"$date": "2024-01-01T00:00:03Z"}}, {"p": "d", "t": {"$date": "2024-01-01T00:00:04Z"}}'
SELECT * FROM acc(:'players', $${"_id": null,
    "top": {"$top": {"sortBy": {"score": -1}, "output": ["$p", "$score"]}},
    "bottom": {"$bottom": {"sortBy": {"score": -1}, "output": ["$p", "$score"]}},
    "top_doc": {"$top": {"sortBy": {"score": 1}, "output": {"who": "$p"}}},
    "topN": {"$topN": {"n": 2, "sortBy": {"score": -1}, "output": "$p"}},
    "bottomN": {"$bottomN": {"n": 2, "sortBy": {"score": -1}, "output": ["$p", "$score"]}},
    "topN_all": {"$topN": {"n": 10, "sortBy": {"p": -1}, "output": "$p"}},
    "firstN": {"$firstN": {"input": "$score", "n": 2}},
    "lastN": {"$lastN": {"input": "$score", "n": 2}},
    "lastN_all": {"$lastN": {"input": "$p", "n": 10}},
    "minN": {"$minN": {"input": "$score", "n": 2}},
    "maxN": {"$maxN": {"input": "$score", "n": 2}},
    "maxN_all": {"$maxN": {"input": "$score", "n": 10}}}$$);
-- n may be an expression of the group key (its fields are the fields of _id)
SELECT * FROM acc(:'docs', $${"_id": {"k": "$k"},
    "firstN": {"$firstN": {"input": "$v", "n": {"$cond": [{"$eq": ["$k", "a"]}, 1, 2]}}}}$$);
-- MongoDB leaves the order of ties in $topN open; asp keeps the window order
SELECT * FROM acc($${"p": "x", "s": 1, "t": {"$date": "2024-01-01T00:00:01Z"}},
                    {"p": "y", "s": 2, "t": {"$date": "2024-01-01T00:00:02Z"}},
                    {"p": "z", "s": 1, "t": {"$date": "2024-01-01T00:00:03Z"}}$$,
  $${"_id": null, "topN": {"$topN": {"n": 3, "sortBy": {"s": 1}, "output": "$p"}},
     "top2": {"$topN": {"n": 3, "sortBy": {"s": 1, "p": -1}, "output": "$p"}}}$$);

--
-- _id: a document of expressions, null (one group), a computed value
--
SELECT * FROM acc(:'docs', $${"_id": {"k": "$k", "num": {"$isNumber": "$v"}}, "n": {"$sum": 1}}$$);
SELECT * FROM acc(:'docs', $${"_id": null, "n": {"$sum": 1}, "k": {"$last": "$k"}}$$);
SELECT * FROM acc(:'docs', $${"_id": {"$type": "$v"}, "n": {"$count": {}}}$$);
-- several windows, each with its own groups
SELECT (doc->'_stream_meta'->'window'->'start')::jsonb AS start, doc::jsonb - '_stream_meta' AS doc FROM asp.process($$[
  {"$source": {"documents": [
     {"k": "a", "v": 1, "t": {"$date": "2024-01-01T00:00:01Z"}},
     {"k": "b", "v": 2, "t": {"$date": "2024-01-01T00:00:30Z"}},
     {"k": "a", "v": 3, "t": {"$date": "2024-01-01T00:01:10Z"}},
     {"k": "a", "v": 4, "t": {"$date": "2024-01-01T00:01:20Z"}}],
     "timeField": {"$toDate": "$t"}}},
  {"$tumblingWindow": {"interval": {"size": 1, "unit": "minute"},
     "pipeline": [{"$group": {"_id": "$k", "sum": {"$sum": "$v"}, "vs": {"$push": "$v"}}}]}}]$$);

--
-- errors, refused when the pipeline is compiled
--
SELECT * FROM asp.process($$[{"$source": {"documents": []}},
  {"$tumblingWindow": {"interval": {"size": 1, "unit": "minute"}, "pipeline": [{"$group": {"_id": null, "m": {"$median2": "$v"}}}]}}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}},
  {"$tumblingWindow": {"interval": {"size": 1, "unit": "minute"}, "pipeline": [{"$group": {"_id": null, "c": {"$count": {"x": 1}}}}]}}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}},
  {"$tumblingWindow": {"interval": {"size": 1, "unit": "minute"}, "pipeline": [{"$group": {"_id": null, "f": {"$firstN": {"input": "$v", "n": 0}}}}]}}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}},
  {"$tumblingWindow": {"interval": {"size": 1, "unit": "minute"}, "pipeline": [{"$group": {"_id": null, "f": {"$topN": {"n": -2, "sortBy": {"v": 1}, "output": "$v"}}}}]}}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}},
  {"$tumblingWindow": {"interval": {"size": 1, "unit": "minute"}, "pipeline": [{"$group": {"_id": null, "f": {"$maxN": {"input": "$v", "n": 1.5}}}}]}}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}},
  {"$tumblingWindow": {"interval": {"size": 1, "unit": "minute"}, "pipeline": [{"$group": {"_id": null, "f": {"$sum": 1, "$avg": "$v"}}}]}}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}},
  {"$tumblingWindow": {"interval": {"size": 1, "unit": "minute"}, "pipeline": [{"$group": {"n": {"$sum": 1}}}]}}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}},
  {"$tumblingWindow": {"interval": {"size": 1, "unit": "minute"}, "pipeline": [{"$group": {"_id": null, "f": 1}}]}}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}},
  {"$tumblingWindow": {"interval": {"size": 1, "unit": "minute"}, "pipeline": [{"$group": {"_id": null, "a.b": {"$sum": 1}}}]}}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}},
  {"$tumblingWindow": {"interval": {"size": 1, "unit": "minute"}, "pipeline": [{"$group": {"_id": null, "f": {"$top": {"output": "$v"}}}}]}}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}},
  {"$tumblingWindow": {"interval": {"size": 1, "unit": "minute"}, "pipeline": [{"$group": {"_id": null, "f": {"$firstN": {"input": "$v"}}}}]}}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}},
  {"$tumblingWindow": {"interval": {"size": 1, "unit": "minute"}, "pipeline": [{"$group": {"_id": null, "f": {"$accumulator": {}}}}]}}]$$);
-- n that is not a positive integer at run time: the document goes to the DLQ
SELECT kind, doc->'errInfo'->>'reason' AS reason, doc->>'operatorName' AS op,
       doc::jsonb - '_stream_meta' - 'errInfo' - 'operatorName' - 'doc' AS out FROM asp.process($$[
  {"$source": {"documents": [{"k": 0, "v": 1, "t": {"$date": "2024-01-01T00:00:01Z"}}, {"k": 2, "v": 1, "t": {"$date": "2024-01-01T00:00:02Z"}}],
     "timeField": {"$toDate": "$t"}}},
  {"$tumblingWindow": {"interval": {"size": 1, "unit": "minute"},
     "pipeline": [{"$group": {"_id": {"k": "$k"}, "f": {"$firstN": {"input": "$v", "n": "$k"}}}}]}}]$$);

-- a document whose accumulator expression fails goes to the DLQ and counts
-- nowhere: not in the other accumulators of its group, and a group with no
-- other document does not exist
SELECT kind, doc::jsonb - '_stream_meta' #- '{doc,_stream_meta}' #- '{doc,_ts}' AS doc FROM asp.process($$[
  {"$source": {"documents": [{"v": 1, "t": {"$date": "2024-01-01T00:00:01Z"}},
                             {"v": 0, "t": {"$date": "2024-01-01T00:00:02Z"}},
                             {"v": 2, "t": {"$date": "2024-01-01T00:00:03Z"}}],
     "timeField": {"$toDate": "$t"}}},
  {"$tumblingWindow": {"interval": {"size": 1, "unit": "minute"},
     "pipeline": [{"$group": {"_id": null, "n": {"$sum": 1}, "vs": {"$push": "$v"},
                              "s": {"$sum": {"$divide": [1, "$v"]}}, "m": {"$min": "$v"}}}]}}]$$);
SELECT kind, doc::jsonb - '_stream_meta' #- '{doc,_stream_meta}' #- '{doc,_ts}' AS doc FROM asp.process($$[
  {"$source": {"documents": [{"k": "z", "v": 0, "t": {"$date": "2024-01-01T00:00:01Z"}},
                             {"k": "y", "v": 2, "t": {"$date": "2024-01-01T00:00:03Z"}}],
     "timeField": {"$toDate": "$t"}}},
  {"$tumblingWindow": {"interval": {"size": 1, "unit": "minute"},
     "pipeline": [{"$group": {"_id": "$k", "n": {"$sum": 1}, "s": {"$sum": {"$divide": [1, "$v"]}}}}]}}]$$);
-- an _id expression that fails
SELECT kind, doc::jsonb - '_stream_meta' #- '{doc,_stream_meta}' #- '{doc,_ts}' AS doc FROM asp.process($$[
  {"$source": {"documents": [{"k": "z", "v": 0, "t": {"$date": "2024-01-01T00:00:01Z"}},
                             {"k": "y", "v": 2, "t": {"$date": "2024-01-01T00:00:03Z"}}],
     "timeField": {"$toDate": "$t"}}},
  {"$tumblingWindow": {"interval": {"size": 1, "unit": "minute"},
     "pipeline": [{"$group": {"_id": {"$divide": [1, "$v"]}, "n": {"$sum": 1}}}]}}]$$);

DROP FUNCTION acc(text, text);
