-- the stateless stages: $project, $addFields/$set, $unset, $replaceRoot/$replaceWith,
-- $unwind, $redact, $match, $validate, chains of them, and their dead letter queue entries
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS asp;
RESET client_min_messages;
\pset null '(null)'
-- stages_run: the rows of a pipeline without the fields that change from run to run:
-- _ts (the time a document was read) and _stream_meta, also inside DLQ entries
CREATE FUNCTION stages_run(pipeline json) RETURNS TABLE(kind text, doc jsonb)
LANGUAGE sql AS $f$
  SELECT kind, CASE kind WHEN 'dlq' THEN doc::jsonb - '_stream_meta' #- '{doc,_ts}' #- '{doc,_stream_meta}'
                         ELSE doc::jsonb - '_ts' - '_stream_meta' END
  FROM asp.process(pipeline) $f$;
-- pipelines are dollar-quoted: $$...$$, or $p$...$p$ when they use $$ variables

--
-- $project
--
-- inclusion: _id is kept unless excluded; non-zero numbers and true include;
-- _ts and _stream_meta are dropped like any field not named
SELECT * FROM stages_run($$[
  {"$source": {"documents": [{"_id": 1, "a": 1, "b": {"c": 2, "d": 3}, "e": 4, "f": 5}]}},
  {"$project": {"a": 1, "b.c": true, "f": 7}}]$$);
SELECT doc::jsonb FROM asp.process($$[
  {"$source": {"documents": [{"_id": 1, "a": 1, "b": 2}]}},
  {"$project": {"_id": 0, "a": 1}}]$$);
SELECT doc::jsonb FROM asp.process($$[
  {"$source": {"documents": [{"_id": 1, "a": 1, "b": 2}]}},
  {"$project": {"_id": 1}}]$$);
-- a missing included field is just absent, _id too; a sub-field of a scalar is absent
SELECT doc::jsonb FROM asp.process($$[
  {"$source": {"documents": [{"a": 1, "b": 5}]}},
  {"$project": {"a": 1, "zz": 1, "b.c": 1}}]$$);
-- exclusion: everything else is kept (including _ts and _stream_meta)
SELECT * FROM stages_run($$[
  {"$source": {"documents": [{"_id": 1, "a": 1, "b": {"c": 2, "d": 3}, "e": 4}]}},
  {"$project": {"b.c": 0, "e": false}}]$$);
SELECT * FROM stages_run($$[
  {"$source": {"documents": [{"_id": 1, "a": 1, "b": 2}]}},
  {"$project": {"_id": 0}}]$$);
SELECT * FROM stages_run($$[
  {"$source": {"documents": [{"_id": 1, "a": 1, "b": 2}]}},
  {"$project": {"_id": 0, "a": 0}}]$$);
-- _id may be included in an exclusion projection, in any position
SELECT * FROM stages_run($$[
  {"$source": {"documents": [{"_id": 1, "a": 1, "b": 2}]}},
  {"$project": {"_id": 1, "a": 0}}]$$);
SELECT * FROM stages_run($$[
  {"$source": {"documents": [{"_id": 1, "a": 1, "b": 2}]}},
  {"$project": {"a": 0, "_id": 1}}]$$);
-- a dotted _id path
SELECT doc::jsonb FROM asp.process($$[
  {"$source": {"documents": [{"_id": {"x": 1, "y": 2}, "a": 1}]}},
  {"$project": {"_id.x": 1, "a": 1}}]$$);
-- computed fields: expressions, field paths, literals, arrays of expressions, strings
SELECT doc::jsonb FROM asp.process($p$[
  {"$source": {"documents": [{"_id": 1, "a": 1, "b": {"c": 2}, "e": 4}]}},
  {"$project": {"sum": {"$add": ["$a", "$e"]}, "c": "$b.c", "lit": {"$literal": 1},
                "zero": {"$literal": 0}, "s": "text", "arr": ["$a", 2, {"$add": ["$e", 1]}],
                "n": null, "obj": {"x": {"$literal": 5}}, "root": "$$ROOT.a",
                "nothing": "$missing"}}]$p$);
-- a computed _id
SELECT doc::jsonb FROM asp.process($$[
  {"$source": {"documents": [{"_id": 1, "a": "k"}]}},
  {"$project": {"_id": "$a"}}]$$);
SELECT doc::jsonb FROM asp.process($$[
  {"$source": {"documents": [{"_id": 1, "a": "k"}]}},
  {"$project": {"_id": {"$concat": ["$a", "-x"]}, "a": 1}}]$$);
-- nested specs: the same as dotted paths; inclusions and computed fields mix
SELECT doc::jsonb FROM asp.process($$[
  {"$source": {"documents": [{"_id": 1, "a": 1, "b": {"c": 2, "d": 3, "e": {"f": 4, "g": 5}}}]}},
  {"$project": {"_id": 0, "b": {"c": 1, "e": {"g": 1}, "x": {"$add": ["$a", 10]}}}}]$$);
SELECT * FROM stages_run($$[
  {"$source": {"documents": [{"_id": 1, "a": 1, "b": {"c": 2, "d": 3, "e": {"f": 4, "g": 5}}}]}},
  {"$project": {"b": {"e": {"f": 0}, "d": 0}}}]$$);
-- a computed dotted path creates sub-documents, and replaces a scalar on its way
SELECT doc::jsonb FROM asp.process($$[
  {"$source": {"documents": [{"_id": 1, "a": 1, "s": 5}]}},
  {"$project": {"_id": 0, "x.y.z": "$a", "s.t": {"$literal": true}}}]$$);
-- arrays in paths: inclusion goes into every element (also nested arrays) and drops scalars
SELECT doc::jsonb FROM asp.process($$[
  {"$source": {"documents": [{"_id": 1, "a": [{"b": 1, "c": 2}, {"b": 3, "c": 4}, 5, [{"b": 6, "c": 7}, 8], {"c": 9}]}]}},
  {"$project": {"_id": 0, "a.b": 1}}]$$);
-- exclusion goes into every element and keeps scalars
SELECT doc::jsonb - '_ts' - '_stream_meta' FROM asp.process($$[
  {"$source": {"documents": [{"_id": 1, "a": [{"b": 1, "c": 2}, {"b": 3, "c": 4}, 5, [{"b": 6, "c": 7}, 8], {"c": 9}]}]}},
  {"$project": {"_id": 0, "a.b": 0}}]$$);
-- a computed field under an array is set in every element; scalar elements become documents
SELECT doc::jsonb FROM asp.process($$[
  {"$source": {"documents": [{"_id": 1, "a": [{"b": 1, "c": 2}, 5, {"c": 9}]}]}},
  {"$project": {"_id": 0, "a.b": 1, "a.x": {"$literal": 0}}}]$$);
-- $$REMOVE leaves the field out, also conditionally
SELECT doc::jsonb FROM asp.process($p$[
  {"$source": {"documents": [{"_id": 1, "a": 1, "b": 2}, {"_id": 2, "a": 5, "b": 3}]}},
  {"$project": {"a": 1, "gone": "$$REMOVE",
                "big": {"$cond": [{"$gt": ["$a", 2]}, "$b", "$$REMOVE"]}}}]$p$);
-- field order: included fields in document order, then computed fields in spec order
SELECT doc::text FROM asp.process($$[
  {"$source": {"documents": [{"z": 1, "_id": 7, "a": 2, "m": {"y": 1, "x": 2}}]}},
  {"$project": {"c2": {"$literal": 2}, "a": 1, "c1": {"$literal": 1}, "z": 1, "_id": 1,
                "m": {"new": {"$literal": 0}, "x": 1, "y": 1}}}]$$);
-- exclusion keeps the order of the document
SELECT doc::text FROM asp.process($$[
  {"$source": {"documents": [{"z": 1, "_id": 7, "a": 2, "m": 3}]}},
  {"$project": {"_ts": 0, "_stream_meta": 0, "a": 0}}]$$);
-- errors: empty, mixing, collisions, bad field names, bad sub-projections
\set VERBOSITY default
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$project": {}}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$project": 1}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$project": {"a": 1, "b": 0}}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$project": {"a": 0, "b": 1}}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$project": {"a": 0, "b": "$x"}}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$project": {"b": "$x", "a": 0}}]$$);
SELECT * FROM asp.process($p$[{"$source": {"documents": []}}, {"$project": {"a": 0, "b": "$$REMOVE"}}]$p$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$project": {"a": 1, "a.b": 1}}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$project": {"a.b": 1, "a": 1}}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$project": {"a": {"b": 1}, "a.b": 0}}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$project": {"a": {}}}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$project": {"$a": 1}}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$project": {"a..b": 1}}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$project": {"": 1}}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$project": {"a": {"$add": [1, 2], "b": 1}}}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$project": {"a": {"b": 1, "$add": [1, 2]}}}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$project": {"a": "$"}}]$$);
SELECT * FROM asp.process($p$[{"$source": {"documents": []}}, {"$project": {"a": "$$nosuchvar"}}]$p$);
\set VERBOSITY terse
-- a run-time error in a computed field: the document goes to the DLQ, the next one passes
SELECT * FROM stages_run($$[
  {"$source": {"documents": [{"_id": 1, "a": "x"}, {"_id": 2, "a": 2}]}},
  {"$project": {"v": {"$add": ["$a", 1]}}}]$$);

--
-- $addFields and $set
--
-- an existing field is replaced in place, a new one appended; expressions see the input
-- document, not the fields set by the same stage
SELECT doc::text FROM asp.process($$[
  {"$source": {"documents": [{"a": 1, "b": 2, "c": 3}]}},
  {"$project": {"_ts": 0, "_stream_meta": 0}},
  {"$set": {"d": "$b", "b": 20, "e": "$d", "a": {"$add": ["$a", 100]}}}]$$);
SELECT doc::text FROM asp.process($p$[
  {"$source": {"documents": [{"a": 1, "b": 2, "c": 3}]}},
  {"$project": {"_ts": 0, "_stream_meta": 0}},
  {"$addFields": {"b": "$$ROOT.c", "z": [1, "$a"]}}]$p$);
-- a field whose expression is missing is removed (also with $$REMOVE)
SELECT * FROM stages_run($p$[
  {"$source": {"documents": [{"_id": 1, "a": 1, "b": 2, "c": 3}]}},
  {"$set": {"a": "$nope", "b": "$$REMOVE", "n": "$alsonope"}}]$p$);
-- dotted paths: into a sub-document, creating one, replacing a scalar, into arrays
SELECT * FROM stages_run($$[
  {"$source": {"documents": [{"_id": 1, "sub": {"x": 1}, "s": 5,
                              "arr": [{"x": 1}, 2, [{"x": 3}, 4], {"y": 5}]}]}},
  {"$set": {"sub.y": 2, "new.deep.z": "$sub.x", "s.t": 1, "arr.k": "$_id"}}]$$);
-- a nested spec merges into the sub-document rather than replacing it
SELECT * FROM stages_run($$[
  {"$source": {"documents": [{"_id": 1, "specs": {"doors": 4, "wheels": 4}}]}},
  {"$addFields": {"specs": {"fuel_type": "unleaded", "doors": {"$add": ["$specs.doors", 1]}}}}]$$);
-- setting _id, and a field with an expression object
SELECT * FROM stages_run($$[
  {"$source": {"documents": [{"_id": 1, "a": [3, 4]}]}},
  {"$set": {"_id": {"$concat": ["id-", {"$toString": "$_id"}]}, "n": {"$size": "$a"}}}]$$);
-- errors
\set VERBOSITY default
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$set": 1}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$addFields": []}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$set": {"$a": 1}}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$set": {"a.": 1}}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$set": {"a": 1, "a.b": 2}}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$addFields": {"a": {"$frob": 1}}}]$$);
\set VERBOSITY terse
-- run-time errors: the DLQ entry names the stage as written ($set stays $set)
SELECT * FROM stages_run($$[
  {"$source": {"documents": [{"_id": 1, "a": "x"}, {"_id": 2, "a": 2}]}},
  {"$set": {"v": {"$add": ["$a", 1]}}}]$$);
SELECT * FROM stages_run($$[
  {"$source": {"documents": [{"_id": 1, "a": 0}]}},
  {"$addFields": {"v": {"$divide": [1, "$a"]}}}]$$);

--
-- $unset
--
SELECT * FROM stages_run($$[
  {"$source": {"documents": [{"_id": 1, "a": 1, "b": {"c": 2, "d": 3}, "e": 4}]}},
  {"$unset": "a"}]$$);
SELECT * FROM stages_run($$[
  {"$source": {"documents": [{"_id": 1, "a": 1, "b": {"c": 2, "d": 3}, "e": 4}]}},
  {"$unset": ["_id", "b.c", "e", "nope", "b.nope.deeper"]}]$$);
-- through arrays, keeping scalars
SELECT * FROM stages_run($$[
  {"$source": {"documents": [{"_id": 1, "a": [{"b": 1, "c": 2}, 3, [{"b": 4, "c": 5}]]}]}},
  {"$unset": "a.b"}]$$);
-- errors
\set VERBOSITY default
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$unset": 1}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$unset": []}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$unset": ["a", 1]}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$unset": {"a": 1}}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$unset": ""}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$unset": "$a"}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$unset": ["a", "a.b"]}]$$);
\set VERBOSITY terse

--
-- $replaceRoot and $replaceWith
--
SELECT * FROM stages_run($$[
  {"$source": {"documents": [{"_id": 1, "sub": {"x": 1, "y": {"z": 2}}}]}},
  {"$replaceRoot": {"newRoot": "$sub"}}]$$);
SELECT * FROM stages_run($$[
  {"$source": {"documents": [{"_id": 1, "sub": {"x": 1, "y": {"z": 2}}}]}},
  {"$replaceWith": "$sub.y"}]$$);
SELECT * FROM stages_run($$[
  {"$source": {"documents": [{"_id": 1, "a": 2, "sub": {"x": 1}}]}},
  {"$replaceWith": {"id": "$_id", "twice": {"$multiply": ["$a", 2]}, "lit": {"$literal": "$a"}}}]$$);
SELECT * FROM stages_run($$[
  {"$source": {"documents": [{"_id": 1, "name": "n", "sub": {"x": 1, "name": "m"}}]}},
  {"$replaceRoot": {"newRoot": {"$mergeObjects": [{"name": "default", "extra": true}, "$sub", {"id": "$_id"}]}}}]$$);
-- the new root must be a document: anything else goes to the DLQ with the reason
SELECT * FROM stages_run($$[
  {"$source": {"documents": [{"_id": 1, "sub": 5}, {"_id": 2, "sub": true},
                             {"_id": 3, "sub": null}, {"_id": 4}, {"_id": 5, "sub": {"ok": true}}]}},
  {"$replaceRoot": {"newRoot": "$sub"}}]$$);
SELECT * FROM stages_run($$[
  {"$source": {"documents": [{"_id": 1, "sub": "text"}]}},
  {"$replaceWith": "$sub"}]$$);
SELECT kind, doc->>'operatorName' AS operator,
       doc->'errInfo'->>'reason' LIKE '%Type of resulting value: ''array''' AS array_reason
FROM asp.process($$[
  {"$source": {"documents": [{"_id": 1, "sub": [{"a": 1}]}]}},
  {"$replaceWith": "$sub"}]$$);
-- errors
\set VERBOSITY default
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$replaceRoot": "$a"}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$replaceRoot": {}}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$replaceRoot": {"newRoot": "$a", "extra": 1}}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$replaceRoot": {"newroot": "$a"}}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$replaceWith": {"$frob": 1}}]$$);
\set VERBOSITY terse

--
-- $unwind
--
-- the string form: one document per element; null, missing and [] give nothing;
-- a non-array value passes as it is; nested arrays are not flattened
SELECT * FROM stages_run($$[
  {"$source": {"documents": [{"_id": 1, "a": [1, {"x": 2}, [3, 4]]}, {"_id": 2, "a": []},
                             {"_id": 3, "a": null}, {"_id": 4}, {"_id": 5, "a": "scalar"},
                             {"_id": 6, "a": {"k": [1, 2]}}]}},
  {"$unwind": "$a"}]$$);
-- the unwound field keeps its position
SELECT doc::text FROM asp.process($$[
  {"$source": {"documents": [{"x": 1, "a": [1, 2], "z": 3}]}},
  {"$project": {"_ts": 0, "_stream_meta": 0}},
  {"$unwind": {"path": "$a"}}]$$);
-- a dotted path: through sub-documents only; an array on the way is not unwound
SELECT * FROM stages_run($$[
  {"$source": {"documents": [{"_id": 1, "a": {"b": [1, 2], "c": 0}},
                             {"_id": 2, "a": [{"b": [1, 2]}]}]}},
  {"$unwind": "$a.b"}]$$);
-- includeArrayIndex: the index (a long), null for values that were not unwound
SELECT * FROM stages_run($$[
  {"$source": {"documents": [{"_id": 1, "a": ["x", "y"]}, {"_id": 2, "a": "s"}, {"_id": 3, "a": []}]}},
  {"$unwind": {"path": "$a", "includeArrayIndex": "idx"}}]$$);
-- preserveNullAndEmptyArrays: null, missing, [] and scalars are kept; [] removes the field
SELECT * FROM stages_run($$[
  {"$source": {"documents": [{"_id": 1, "a": [1, 2]}, {"_id": 2, "a": []}, {"_id": 3, "a": null},
                             {"_id": 4}, {"_id": 5, "a": 7}]}},
  {"$unwind": {"path": "$a", "preserveNullAndEmptyArrays": true}}]$$);
SELECT * FROM stages_run($$[
  {"$source": {"documents": [{"_id": 1, "a": [1, 2]}, {"_id": 2, "a": []}, {"_id": 3, "a": null},
                             {"_id": 4}, {"_id": 5, "a": 7}]}},
  {"$unwind": {"path": "$a", "preserveNullAndEmptyArrays": true, "includeArrayIndex": "i"}}]$$);
SELECT * FROM stages_run($$[
  {"$source": {"documents": [{"_id": 1, "a": [1]}, {"_id": 2, "a": []}, {"_id": 3, "a": null}]}},
  {"$unwind": {"path": "$a", "preserveNullAndEmptyArrays": false, "includeArrayIndex": "i"}}]$$);
-- includeArrayIndex with a dotted name; an existing field is overwritten
SELECT * FROM stages_run($$[
  {"$source": {"documents": [{"_id": 1, "a": ["p", "q"], "meta": {"src": "s"}, "i": "old"}]}},
  {"$unwind": {"path": "$a", "includeArrayIndex": "meta.pos"}},
  {"$unwind": {"path": "$a", "includeArrayIndex": "i"}}]$$);
-- two unwinds: the cross product
SELECT * FROM stages_run($$[
  {"$source": {"documents": [{"_id": 1, "a": [1, 2], "b": ["x", "y"]}]}},
  {"$unwind": "$a"}, {"$unwind": "$b"}]$$);
-- errors
\set VERBOSITY default
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$unwind": "a"}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$unwind": "$"}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$unwind": 1}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$unwind": {}}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$unwind": {"path": 1}}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$unwind": {"path": "a"}}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$unwind": {"path": "$a", "includeArrayIndex": "$i"}}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$unwind": {"path": "$a", "includeArrayIndex": 1}}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$unwind": {"path": "$a", "includeArrayIndex": ""}}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$unwind": {"path": "$a", "preserveNullAndEmptyArrays": 1}}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$unwind": {"path": "$a", "extra": true}}]$$);
\set VERBOSITY terse

--
-- $redact
--
-- $$DESCEND into sub-documents and arrays of them, $$PRUNE the ones above level 3;
-- a sub-document without "level" has a missing level, which is below 3
SELECT * FROM stages_run($p$[
  {"$source": {"documents": [{"_id": 1, "level": 1,
      "a": {"level": 2, "x": 1, "deeper": {"level": 4, "y": 1}},
      "b": {"level": 5, "y": 2},
      "c": [{"level": 1, "z": 1}, {"level": 9, "z": 2}, 3, [{"level": 7}, {"level": 0}]],
      "d": 7, "e": {"w": 1}}]}},
  {"$project": {"_ts": 0, "_stream_meta": 0}},
  {"$redact": {"$cond": [{"$lte": ["$level", 3]}, "$$DESCEND", "$$PRUNE"]}}]$p$);
-- $$KEEP keeps a whole sub-tree without looking inside it
SELECT * FROM stages_run($p$[
  {"$source": {"documents": [{"_id": 1, "level": 1,
      "a": {"level": 2, "keep": true, "inner": {"level": 9}},
      "b": {"level": 2, "inner": {"level": 9}, "other": {"level": 3}}}]}},
  {"$project": {"_ts": 0, "_stream_meta": 0}},
  {"$redact": {"$switch": {"branches": [
      {"case": {"$eq": ["$keep", true]}, "then": "$$KEEP"},
      {"case": {"$gt": ["$level", 3]}, "then": "$$PRUNE"}], "default": "$$DESCEND"}}}]$p$);
-- the decision on the root: keep, or prune (no output)
SELECT * FROM stages_run($p$[
  {"$source": {"documents": [{"_id": 1, "level": 1, "s": {"level": 9}}, {"_id": 2, "level": 9}, {"_id": 3, "level": 5}]}},
  {"$redact": {"$cond": {"if": {"$eq": ["$level", 1]}, "then": "$$KEEP",
                         "else": {"$cond": [{"$eq": ["$level", 9]}, "$$PRUNE", "$$DESCEND"]}}}}]$p$);
-- $$ROOT stays the whole document while $$CURRENT descends
SELECT * FROM stages_run($p$[
  {"$source": {"documents": [{"_id": 1, "tag": "pub", "s": {"tag": "secret", "t": {"tag": "pub"}}, "u": {"tag": "pub"}}]}},
  {"$project": {"_ts": 0, "_stream_meta": 0}},
  {"$redact": {"$cond": [{"$and": [{"$eq": ["$$ROOT.tag", "pub"]}, {"$ne": ["$tag", "secret"]}]}, "$$DESCEND", "$$PRUNE"]}}]$p$);
-- any other result is a run-time error: DLQ
SELECT * FROM stages_run($$[
  {"$source": {"documents": [{"_id": 1, "v": 5}, {"_id": 2, "v": "keep"}, {"_id": 3, "v": "other"}]}},
  {"$project": {"_ts": 0, "_stream_meta": 0}},
  {"$redact": "$v"}]$$);
SELECT * FROM stages_run($p$[
  {"$source": {"documents": [{"_id": 1, "sub": {"x": 1}}]}},
  {"$project": {"_ts": 0, "_stream_meta": 0}},
  {"$redact": {"$cond": [{"$eq": ["$_id", 1]}, "$$DESCEND", "$x"]}}]$p$);
SELECT * FROM stages_run($$[
  {"$source": {"documents": [{"_id": 1}]}},
  {"$redact": "$missing"}]$$);
-- errors
\set VERBOSITY default
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$redact": {"$frob": 1}}]$$);
SELECT * FROM asp.process($p$[{"$source": {"documents": []}}, {"$redact": "$$UNKNOWN"}]$p$);
\set VERBOSITY terse

--
-- $match
--
SELECT * FROM stages_run($$[
  {"$source": {"documents": [{"_id": 1, "a": 1}, {"_id": 2, "a": 5}, {"_id": 3}]}},
  {"$match": {"a": {"$gte": 2}}}]$$);
SELECT * FROM stages_run($$[
  {"$source": {"documents": [{"_id": 1, "a": 1}, {"_id": 2}]}},
  {"$match": {}}]$$);
-- the source fields can be matched
SELECT * FROM stages_run($$[
  {"$source": {"documents": [{"_id": 1}]}},
  {"$match": {"_stream_meta.source.type": "documents", "_ts": {"$type": "date"}}}]$$);
-- a run-time error in $expr: DLQ with operatorName $match
SELECT * FROM stages_run($$[
  {"$source": {"documents": [{"_id": 1, "a": 0}, {"_id": 2, "a": 4}]}},
  {"$match": {"$expr": {"$gt": [{"$divide": [8, "$a"]}, 1]}}}]$$);
\set VERBOSITY default
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$match": [1]}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$match": {"a": {"$gt": 1, "b": 2}}}]$$);
\set VERBOSITY terse

--
-- $validate
--
-- discard (the default): invalid documents disappear, no DLQ
SELECT * FROM stages_run($$[
  {"$source": {"documents": [{"_id": 1, "a": 5}, {"_id": 2, "a": 0}, {"_id": 3}]}},
  {"$validate": {"validator": {"a": {"$gt": 1}}}}]$$);
SELECT * FROM stages_run($$[
  {"$source": {"documents": [{"_id": 1, "a": 5}, {"_id": 2, "a": 0}]}},
  {"$validate": {"validator": {"a": {"$gt": 1}}, "validationAction": "discard"}}]$$);
-- dlq: invalid documents go to the DLQ with a reason
SELECT * FROM stages_run($$[
  {"$source": {"documents": [{"_id": 1, "a": 5}, {"_id": 2, "a": 0}, {"_id": 3}]}},
  {"$validate": {"validator": {"a": {"$gt": 1}}, "validationAction": "dlq"}}]$$);
-- a $jsonSchema validator together with query operators
SELECT * FROM stages_run($$[
  {"$source": {"documents": [
     {"_id": 1, "name": "Ada", "age": 36, "tags": ["x"]},
     {"_id": 2, "name": "Bob", "age": -1, "tags": ["x"]},
     {"_id": 3, "age": 40, "tags": ["x"]},
     {"_id": 4, "name": 7, "age": 30, "tags": ["x"]},
     {"_id": 5, "name": "Cy", "age": 30, "tags": ["x", "x"]},
     {"_id": 6, "name": "Di", "age": 30, "tags": ["x"], "status": "gone"}]}},
  {"$validate": {"validator": {
      "$jsonSchema": {"required": ["name", "age"],
                      "properties": {"name": {"bsonType": "string"},
                                     "age": {"bsonType": "int", "minimum": 0},
                                     "tags": {"bsonType": "array", "uniqueItems": true}}},
      "status": {"$ne": "gone"}},
    "validationAction": "dlq"}}]$$);
-- a run-time error in the validator goes to the DLQ even with discard
SELECT * FROM stages_run($$[
  {"$source": {"documents": [{"_id": 1, "a": "x"}, {"_id": 2, "a": 3}]}},
  {"$validate": {"validator": {"$expr": {"$gt": [{"$add": ["$a", 1]}, 2]}}}}]$$);
-- errors
\set VERBOSITY default
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$validate": {}}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$validate": 1}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$validate": {"validator": 1}}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$validate": {"validator": {}, "validationAction": "warn"}}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$validate": {"validator": {}, "validationAction": 1}}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$validate": {"validator": {}, "validationLevel": "strict"}}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$validate": {"validator": {"a": {"$frob": 1}}}}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$validate": {"validator": {"$jsonSchema": {"bsonType": "nosuchtype"}}}}]$$);
\set VERBOSITY terse

--
-- chains of stages
--
-- each document flows through every stage; a DLQ entry carries the failing stage's
-- name and the document as it reached that stage
SELECT * FROM stages_run($p$[
  {"$source": {"documents": [
     {"_id": 1, "temp": 50, "items": [{"n": "a", "q": 8}, {"n": "b", "q": 0}]},
     {"_id": 2, "temp": 10, "items": [{"n": "c", "q": 1}]},
     {"_id": 3, "temp": 60, "items": []},
     {"_id": 4, "temp": 70, "items": [{"n": "d", "q": "many"}]}]}},
  {"$match": {"temp": {"$gt": 20}}},
  {"$set": {"hot": true}},
  {"$unwind": {"path": "$items", "includeArrayIndex": "pos"}},
  {"$addFields": {"per": {"$divide": [100, {"$add": ["$items.q", 0]}]}}},
  {"$project": {"_id": 1, "hot": 1, "name": "$items.n", "pos": 1, "per": 1}},
  {"$replaceWith": {"$mergeObjects": ["$$ROOT", {"k": {"$concat": ["$name", "!"]}}]}},
  {"$unset": "hot"}]$p$);
-- the operatorName of every kind of failing stage
SELECT doc->>'operatorName' AS operator, doc->'errInfo'->>'reason' AS reason
FROM asp.process($p$[
  {"$source": {"documents": [{"_id": 1, "s": "x"}, {"_id": 2, "s": 1}, {"_id": 3, "s": 2},
                             {"_id": 4, "s": 3}, {"_id": 5, "s": 4}, {"_id": 6, "s": 5},
                             {"_id": 7, "s": 6}, {"_id": 8, "s": 7}]}},
  {"$match": {"$expr": {"$ne": [{"$add": ["$s", 0]}, -1]}}},
  {"$set": {"v": {"$cond": [{"$eq": ["$s", 1]}, {"$divide": [1, 0]}, 0]}}},
  {"$addFields": {"v": {"$cond": [{"$eq": ["$s", 2]}, {"$divide": [1, 0]}, 0]}}},
  {"$project": {"s": 1, "v": {"$cond": [{"$eq": ["$s", 3]}, {"$divide": [1, 0]}, 0]}}},
  {"$replaceRoot": {"newRoot": {"$cond": [{"$eq": ["$s", 4]}, 5, "$$ROOT"]}}},
  {"$replaceWith": {"$cond": [{"$eq": ["$s", 5]}, "str", "$$ROOT"]}},
  {"$redact": {"$cond": [{"$eq": ["$s", 6]}, "wrong", "$$DESCEND"]}},
  {"$validate": {"validator": {"s": {"$ne": 7}}, "validationAction": "dlq"}}]$p$)
WHERE kind = 'dlq';
