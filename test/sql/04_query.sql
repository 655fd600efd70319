-- the query operators of $match (and $validate): comparisons with type bracketing,
-- $in/$nin, $exists, $type, $regex, logical operators, array operators, $mod, $expr,
-- $comment, $jsonSchema, dotted paths over arrays, null and missing, compile errors
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS asp;
RESET client_min_messages;
\pset null '(null)'
-- the documents, in named sets; each has an _id
CREATE TABLE query_docs (set text, n serial, doc text);
-- query_ids: the _id of the documents of a set that {"$match": filter} lets through,
-- in order ("-" for none); a dead letter queue entry shows as dlq(<_id>)
CREATE FUNCTION query_ids(docset text, filter text) RETURNS text LANGUAGE sql AS $f$
  SELECT coalesce(string_agg(CASE kind WHEN 'output' THEN doc->>'_id'
                                      ELSE 'dlq(' || (doc->'doc'->>'_id') || ')' END, ' ' ORDER BY i), '-')
  FROM asp.process(('[{"$source": {"documents": ['
                    || (SELECT string_agg(doc, ', ' ORDER BY n) FROM query_docs WHERE set = docset)
                    || ']}}, {"$match": ' || filter || '}]')::json)
       WITH ORDINALITY AS r(kind, doc, i) $f$;

--
-- comparisons: type bracketing, numbers of every type compare by value
--
INSERT INTO query_docs (set, doc) VALUES
  ('cmp', '{"_id": 1, "a": 5}'),
  ('cmp', '{"_id": 2, "a": 5.0}'),
  ('cmp', '{"_id": 3, "a": {"$numberLong": "5"}}'),
  ('cmp', '{"_id": 4, "a": {"$numberDecimal": "5.000"}}'),
  ('cmp', '{"_id": 5, "a": 10}'),
  ('cmp', '{"_id": 6, "a": "5"}'),
  ('cmp', '{"_id": 7, "a": "abc"}'),
  ('cmp', '{"_id": 8, "a": null}'),
  ('cmp', '{"_id": 9}'),
  ('cmp', '{"_id": 10, "a": [1, 5, 20]}'),
  ('cmp', '{"_id": 11, "a": [[5]]}'),
  ('cmp', '{"_id": 12, "a": true}'),
  ('cmp', '{"_id": 13, "a": {"$date": "2024-01-01T00:00:00Z"}}'),
  ('cmp', '{"_id": 14, "a": {"b": 5}}'),
  ('cmp', '{"_id": 15, "a": -3.5}'),
  ('cmp', '{"_id": 16, "a": {"$numberDouble": "NaN"}}'),
  ('cmp', '{"_id": 17, "a": {"$numberDouble": "Infinity"}}'),
  ('cmp', '{"_id": 18, "a": {"c": 1, "b": 5}}');
SELECT f AS filter, query_ids('cmp', f) AS ids FROM (VALUES
  ('{"a": 5}'),
  ('{"a": {"$eq": 5}}'),
  ('{"a": 5.0}'),
  ('{"a": {"$numberLong": "5"}}'),
  ('{"a": {"$numberDecimal": "5"}}'),
  ('{"a": {"$eq": {"$numberDecimal": "5.0"}}}'),
  ('{"a": "5"}'),
  ('{"a": {"$ne": 5}}'),
  ('{"a": {"$gt": 5}}'),
  ('{"a": {"$gte": 5}}'),
  ('{"a": {"$lt": 5}}'),
  ('{"a": {"$lte": 5}}'),
  ('{"a": {"$gt": 4.5, "$lt": 5.5}}'),
  ('{"a": {"$gt": "a"}}'),
  ('{"a": {"$gte": "5"}}'),
  ('{"a": {"$lt": "b"}}'),
  ('{"a": {"$gt": false}}'),
  ('{"a": {"$lt": {"$date": "2025-01-01T00:00:00Z"}}}'),
  ('{"a": {"$gt": {"$date": "2024-01-01T00:00:00Z"}}}'),
  ('{"a": {"$gte": {"$date": "2024-01-01T00:00:00Z"}}}'),
  ('{"a": {"$gt": null}}'),
  ('{"a": {"$gte": null}}'),
  ('{"a": {"$lt": null}}'),
  ('{"a": {"$lte": null}}'),
  ('{"a": {"$eq": {"$numberDouble": "NaN"}}}'),
  ('{"a": {"$gte": {"$numberDouble": "NaN"}}}'),
  ('{"a": {"$lt": {"$numberDouble": "NaN"}}}'),
  ('{"a": {"$gt": {"$numberDouble": "-Infinity"}}}'),
  ('{"a": {"$gte": {"$numberDouble": "Infinity"}}}'),
  ('{"a": [1, 5, 20]}'),
  ('{"a": [5, 1, 20]}'),
  ('{"a": [5]}'),
  ('{"a": [[5]]}'),
  ('{"a": {"b": 5}}'),
  ('{"a": {"b": 5, "c": 1}}'),
  ('{"a": {"c": 1, "b": 5}}'),
  ('{"a": {"$gt": {"b": 4}}}'),
  ('{"a": {"$gte": [1, 5]}}'),
  ('{"a.b": 5}')) AS v(f);

-- numbers compare exactly across types: no rounding through double
INSERT INTO query_docs (set, doc) VALUES
  ('num', '{"_id": 1, "x": {"$numberLong": "9007199254740993"}}'),
  ('num', '{"_id": 2, "x": {"$numberDouble": "9007199254740992"}}'),
  ('num', '{"_id": 3, "x": 0.1}'),
  ('num', '{"_id": 4, "x": {"$numberDecimal": "0.1"}}'),
  ('num', '{"_id": 5, "x": 0.5}'),
  ('num', '{"_id": 6, "x": {"$numberDecimal": "-0"}}'),
  ('num', '{"_id": 7, "x": 0}'),
  ('num', '{"_id": 8, "x": {"$numberInt": "-2147483648"}}'),
  ('num', '{"_id": 9, "x": {"$numberLong": "-9223372036854775808"}}');
SELECT f AS filter, query_ids('num', f) AS ids FROM (VALUES
  ('{"x": {"$numberLong": "9007199254740993"}}'),
  ('{"x": {"$numberLong": "9007199254740992"}}'),
  ('{"x": {"$gt": {"$numberDouble": "9007199254740992"}}}'),
  ('{"x": {"$numberDecimal": "9007199254740993"}}'),
  ('{"x": {"$numberDecimal": "0.1"}}'),
  ('{"x": 0.1}'),
  ('{"x": {"$numberDecimal": "0.50"}}'),
  ('{"x": 0}'),
  ('{"x": {"$numberDouble": "-0.0"}}'),
  ('{"x": {"$lt": {"$numberLong": "-2147483648"}}}'),
  ('{"x": {"$lte": -2147483648}}'),
  ('{"x": {"$lt": {"$numberDecimal": "-1E+30"}}}')) AS v(f);

--
-- $in and $nin
--
SELECT f AS filter, query_ids('cmp', f) AS ids FROM (VALUES
  ('{"a": {"$in": [5, "abc"]}}'),
  ('{"a": {"$in": [{"$numberDecimal": "10.0"}, true]}}'),
  ('{"a": {"$in": [null]}}'),
  ('{"a": {"$in": []}}'),
  ('{"a": {"$in": [[5], {"b": 5}]}}'),
  ('{"a": {"$in": [{"$regularExpression": {"pattern": "^ab", "options": ""}}, 20]}}'),
  ('{"a": {"$in": [{"$regularExpression": {"pattern": "^AB", "options": "i"}}]}}'),
  ('{"a": {"$nin": [5, null]}}'),
  ('{"a": {"$nin": []}}'),
  ('{"a": {"$nin": [{"$regularExpression": {"pattern": "^[a-z]", "options": ""}}, 5, 10, null]}}')) AS v(f);

--
-- $exists
--
SELECT f AS filter, query_ids('cmp', f) AS ids FROM (VALUES
  ('{"a": {"$exists": true}}'),
  ('{"a": {"$exists": false}}'),
  ('{"a": {"$exists": 1}}'),
  ('{"a": {"$exists": 0}}'),
  ('{"a.b": {"$exists": true}}'),
  ('{"a.c": {"$exists": true}, "a.b": {"$exists": true}}'),
  ('{"nope": {"$exists": false}, "a": {"$exists": true, "$type": "string"}}')) AS v(f);

--
-- $type: names, numeric codes, "number", arrays of types; arrays match by their elements
-- and by being arrays
--
SELECT f AS filter, query_ids('cmp', f) AS ids FROM (VALUES
  ('{"a": {"$type": "string"}}'),
  ('{"a": {"$type": 2}}'),
  ('{"a": {"$type": "number"}}'),
  ('{"a": {"$type": "int"}}'),
  ('{"a": {"$type": 16}}'),
  ('{"a": {"$type": "long"}}'),
  ('{"a": {"$type": 18}}'),
  ('{"a": {"$type": "double"}}'),
  ('{"a": {"$type": 1.0}}'),
  ('{"a": {"$type": "decimal"}}'),
  ('{"a": {"$type": 19}}'),
  ('{"a": {"$type": "array"}}'),
  ('{"a": {"$type": 4}}'),
  ('{"a": {"$type": "object"}}'),
  ('{"a": {"$type": "null"}}'),
  ('{"a": {"$type": 10}}'),
  ('{"a": {"$type": "bool"}}'),
  ('{"a": {"$type": "date"}}'),
  ('{"a": {"$type": 9}}'),
  ('{"a": {"$type": ["null", "bool"]}}'),
  ('{"a": {"$type": ["date", 3, "long"]}}'),
  ('{"a": {"$type": {"$numberLong": "2"}}}')) AS v(f);
INSERT INTO query_docs (set, doc) VALUES
  ('types', '{"_id": 1, "t": {"$oid": "65a1b2c3d4e5f60718293a4b"}}'),
  ('types', '{"_id": 2, "t": {"$regularExpression": {"pattern": "x", "options": ""}}}'),
  ('types', '{"_id": 3, "t": {"$timestamp": {"t": 1, "i": 2}}}'),
  ('types', '{"_id": 4, "t": {"$binary": {"base64": "AQID", "subType": "00"}}}'),
  ('types', '{"_id": 5, "t": {"$minKey": 1}}'),
  ('types', '{"_id": 6, "t": {"$maxKey": 1}}'),
  ('types', '{"_id": 7, "t": {"$numberInt": "1"}}');
SELECT f AS filter, query_ids('types', f) AS ids FROM (VALUES
  ('{"t": {"$type": "objectId"}}'),
  ('{"t": {"$type": 7}}'),
  ('{"t": {"$type": "regex"}}'),
  ('{"t": {"$type": 11}}'),
  ('{"t": {"$type": "timestamp"}}'),
  ('{"t": {"$type": 17}}'),
  ('{"t": {"$type": "binData"}}'),
  ('{"t": {"$type": 5}}'),
  ('{"t": {"$type": "minKey"}}'),
  ('{"t": {"$type": -1}}'),
  ('{"t": {"$type": "maxKey"}}'),
  ('{"t": {"$type": 127}}'),
  ('{"t": {"$type": "int"}}')) AS v(f);

--
-- $regex: $options, regular expression values, multi-line, dotall, extended, UTF-8
--
INSERT INTO query_docs (set, doc) VALUES
  ('str', '{"_id": 1, "s": "apple"}'),
  ('str', '{"_id": 2, "s": "Apple pie"}'),
  ('str', '{"_id": 3, "s": "banana\nApple"}'),
  ('str', '{"_id": 4, "s": ["cherry", "apricot"]}'),
  ('str', '{"_id": 5, "s": 42}'),
  ('str', '{"_id": 6, "s": null}'),
  ('str', '{"_id": 7, "s": {"$regularExpression": {"pattern": "^ap", "options": ""}}}'),
  ('str', '{"_id": 8, "s": "a.b"}'),
  ('str', '{"_id": 9}'),
  ('str', '{"_id": 10, "s": "été"}');
SELECT f AS filter, query_ids('str', f) AS ids FROM (VALUES
  ('{"s": {"$regex": "^ap"}}'),
  ('{"s": {"$regex": "^ap", "$options": "i"}}'),
  ('{"s": {"$options": "i", "$regex": "^ap"}}'),
  ('{"s": {"$regex": "^apple", "$options": "i"}}'),
  ('{"s": {"$regex": "^apple", "$options": "im"}}'),
  ('{"s": {"$regex": "pie$"}}'),
  ('{"s": {"$regex": "a.b"}}'),
  ('{"s": {"$regex": "a\\.b"}}'),
  ('{"s": {"$regex": "banana.apple", "$options": "i"}}'),
  ('{"s": {"$regex": "banana.apple", "$options": "si"}}'),
  ('{"s": {"$regex": "a n a # comment", "$options": "x"}}'),
  ('{"s": {"$regex": "^.t.$"}}'),
  ('{"s": {"$regex": "^\\p{Ll}"}}'),
  ('{"s": {"$regex": ""}}'),
  ('{"s": {"$regularExpression": {"pattern": "^a", "options": "i"}}}'),
  ('{"s": {"$regex": {"$regularExpression": {"pattern": "^a", "options": "i"}}}}'),
  ('{"s": {"$regex": {"$regularExpression": {"pattern": "^a", "options": ""}}}}'),
  ('{"s": {"$eq": {"$regularExpression": {"pattern": "^ap", "options": ""}}}}'),
  ('{"s": {"$in": [{"$regularExpression": {"pattern": "^b", "options": ""}}, 42]}}'),
  ('{"s": {"$not": {"$regex": "^ap"}}}'),
  ('{"s": {"$not": {"$regularExpression": {"pattern": "^a", "options": "i"}}}}'),
  ('{"s": {"$nin": [{"$regularExpression": {"pattern": "p", "options": ""}}]}}')) AS v(f);

--
-- $and, $or, $nor, $not
--
SELECT f AS filter, query_ids('cmp', f) AS ids FROM (VALUES
  ('{"$and": [{"a": {"$gt": 1}}, {"a": {"$lt": 10}}]}'),
  ('{"a": {"$gt": 1, "$lt": 10}}'),
  ('{"$and": [{"a": {"$type": "number"}}, {"a": {"$ne": 5}}, {"a": {"$ne": 10}}]}'),
  ('{"$or": [{"a": "abc"}, {"a": {"$type": "bool"}}, {"nope": 1}]}'),
  ('{"$or": [{"a": {"$exists": false}}, {"a.b": 5}]}'),
  ('{"$nor": [{"a": {"$type": "number"}}, {"a": {"$type": "string"}}]}'),
  ('{"$nor": [{"a": {"$exists": true}}]}'),
  ('{"a": {"$not": {"$gt": 5}}}'),
  ('{"a": {"$not": {"$type": "number"}}}'),
  ('{"a": {"$not": {"$in": [5, null], "$type": "number"}}}'),
  ('{"$and": [{"$or": [{"a": 5}, {"a": 10}]}, {"$nor": [{"a": {"$type": "array"}}]}, {"a": {"$not": {"$type": "long"}}}]}')) AS v(f);

--
-- array operators: $all, $elemMatch, $size
--
INSERT INTO query_docs (set, doc) VALUES
  ('arr', '{"_id": 1, "tags": ["a", "b", "c"]}'),
  ('arr', '{"_id": 2, "tags": ["a"]}'),
  ('arr', '{"_id": 3, "tags": "a"}'),
  ('arr', '{"_id": 4, "tags": []}'),
  ('arr', '{"_id": 5, "tags": [["a", "b"]]}'),
  ('arr', '{"_id": 6}'),
  ('arr', '{"_id": 7, "items": [{"k": 1, "v": 5}, {"k": 2, "v": 1}]}'),
  ('arr', '{"_id": 8, "items": [{"k": 1, "v": 1}, {"k": 2, "v": 5}]}'),
  ('arr', '{"_id": 9, "nums": [1, 3, 5, 7]}'),
  ('arr', '{"_id": 10, "nums": [2, 4]}'),
  ('arr', '{"_id": 11, "nums": [[1, 2], [3, 4]]}'),
  ('arr', '{"_id": 12, "nums": 4}');
SELECT f AS filter, query_ids('arr', f) AS ids FROM (VALUES
  ('{"tags": {"$all": ["a", "b"]}}'),
  ('{"tags": {"$all": ["b", "a"]}}'),
  ('{"tags": {"$all": ["a"]}}'),
  ('{"tags": {"$all": [["a", "b"]]}}'),
  ('{"tags": {"$all": []}}'),
  ('{"tags": {"$all": ["a", "z"]}}'),
  ('{"nums": {"$all": [{"$numberLong": "3"}, 7.0]}}'),
  ('{"items": {"$all": [{"$elemMatch": {"k": 1, "v": 5}}, {"$elemMatch": {"k": 2, "v": {"$gte": 1}}}]}}'),
  ('{"items": {"$all": [{"$elemMatch": {"v": 5}}, {"$elemMatch": {"k": 2}}]}}'),
  ('{"nums": {"$elemMatch": {"$gt": 2, "$lt": 4}}}'),
  ('{"nums": {"$gt": 2, "$lt": 4}}'),
  ('{"items": {"$elemMatch": {"k": 1, "v": 5}}}'),
  ('{"items.k": 1, "items.v": 5}'),
  ('{"items": {"$elemMatch": {"k": {"$gt": 1}, "v": {"$in": [1, 5]}}}}'),
  ('{"nums": {"$elemMatch": {"$elemMatch": {"$gt": 3}}}}'),
  ('{"nums": {"$elemMatch": {"$ne": 1}}}'),
  ('{"nums": {"$elemMatch": {"$type": "array"}}}'),
  ('{"tags": {"$elemMatch": {"$eq": "a"}}}'),
  ('{"tags": {"$elemMatch": {"$not": {"$eq": "a"}}}}'),
  ('{"tags": {"$size": 3}}'),
  ('{"tags": {"$size": 0}}'),
  ('{"tags": {"$size": 1}}'),
  ('{"nums": {"$size": 2}}'),
  ('{"nums": {"$size": 2.0}}'),
  ('{"nums": {"$size": {"$numberLong": "4"}}}'),
  ('{"tags": {"$not": {"$size": 1}}}')) AS v(f);

--
-- $mod: doubles and decimals are truncated toward zero; the sign follows the dividend
--
INSERT INTO query_docs (set, doc) VALUES
  ('mod', '{"_id": 1, "n": 6}'),
  ('mod', '{"_id": 2, "n": 6.5}'),
  ('mod', '{"_id": 3, "n": -7}'),
  ('mod', '{"_id": 4, "n": {"$numberLong": "9"}}'),
  ('mod', '{"_id": 5, "n": {"$numberDecimal": "12.2"}}'),
  ('mod', '{"_id": 6, "n": "6"}'),
  ('mod', '{"_id": 7, "n": [1, 5]}'),
  ('mod', '{"_id": 8, "n": {"$numberDouble": "NaN"}}'),
  ('mod', '{"_id": 9, "n": {"$numberDouble": "Infinity"}}'),
  ('mod', '{"_id": 10}');
SELECT f AS filter, query_ids('mod', f) AS ids FROM (VALUES
  ('{"n": {"$mod": [3, 0]}}'),
  ('{"n": {"$mod": [3.9, 0]}}'),
  ('{"n": {"$mod": [{"$numberLong": "3"}, {"$numberLong": "0"}]}}'),
  ('{"n": {"$mod": [3, -1]}}'),
  ('{"n": {"$mod": [-3, -1]}}'),
  ('{"n": {"$mod": [4, 1]}}'),
  ('{"n": {"$mod": [2, 1.5]}}'),
  ('{"n": {"$not": {"$mod": [2, 0]}}}')) AS v(f);

--
-- bit tests
--
INSERT INTO query_docs (set, doc) VALUES
  ('bits', '{"_id": 1, "b": 5}'),
  ('bits', '{"_id": 2, "b": 6}'),
  ('bits', '{"_id": 3, "b": -1}'),
  ('bits', '{"_id": 4, "b": 5.5}'),
  ('bits', '{"_id": 5, "b": "5"}'),
  ('bits', '{"_id": 6, "b": {"$numberLong": "4294967296"}}');
SELECT f AS filter, query_ids('bits', f) AS ids FROM (VALUES
  ('{"b": {"$bitsAllSet": 5}}'),
  ('{"b": {"$bitsAllSet": [0, 2]}}'),
  ('{"b": {"$bitsAnySet": [1]}}'),
  ('{"b": {"$bitsAllClear": 1}}'),
  ('{"b": {"$bitsAnyClear": [0, 1]}}'),
  ('{"b": {"$bitsAllSet": [32]}}'),
  ('{"b": {"$bitsAllSet": [63]}}')) AS v(f);

--
-- $expr: aggregation expressions, no array traversal, no type bracketing
--
INSERT INTO query_docs (set, doc) VALUES
  ('expr', '{"_id": 1, "a": 5, "b": 3, "v": 0}'),
  ('expr', '{"_id": 2, "a": 2, "b": 8, "v": 1}'),
  ('expr', '{"_id": 3, "a": "x", "b": 8, "v": ""}'),
  ('expr', '{"_id": 4, "a": [7, 9], "b": 8, "v": []}'),
  ('expr', '{"_id": 5, "b": 1, "v": null}'),
  ('expr', '{"_id": 6, "a": null, "v": false}'),
  ('expr', '{"_id": 7, "a": 8, "b": 8}');
SELECT f AS filter, query_ids('expr', f) AS ids FROM (VALUES
  ('{"$expr": {"$gt": ["$a", "$b"]}}'),
  ('{"$expr": {"$gt": ["$a", 4]}}'),
  ('{"a": {"$gt": 4}}'),
  ('{"$expr": {"$eq": ["$a", 7]}}'),
  ('{"$expr": {"$in": [7, {"$cond": [{"$isArray": "$a"}, "$a", []]}]}}'),
  ('{"$expr": {"$eq": ["$a", null]}}'),
  ('{"a": null}'),
  ('{"$expr": {"$lt": ["$a", null]}}'),
  ('{"$expr": "$v"}'),
  ('{"$expr": true}'),
  ('{"$expr": {"$and": [{"$eq": ["$b", 8]}, {"$eq": [{"$type": "$a"}, "string"]}]}}'),
  ('{"b": 8, "$expr": {"$isArray": "$a"}}'),
  ('{"$expr": {"$eq": ["$$ROOT._id", "$$CURRENT._id"]}, "_id": {"$lt": 3}}')) AS v(f);
-- a run-time error in $expr goes to the dead letter queue
SELECT query_ids('expr', '{"$expr": {"$gt": [{"$add": ["$a", 1]}, 6]}}') AS ids;

--
-- $comment is ignored
--
SELECT f AS filter, query_ids('cmp', f) AS ids FROM (VALUES
  ('{"$comment": "fives", "a": 5}'),
  ('{"a": 5, "$comment": {"any": ["value"]}}'),
  ('{"$comment": "all"}')) AS v(f);

--
-- $jsonSchema
--
INSERT INTO query_docs (set, doc) VALUES
  ('schema', '{"_id": 1, "name": "Ada", "age": 36, "email": "ada@example.org", "tags": ["a", "b"], "address": {"city": "Paris", "zip": "75001"}}'),
  ('schema', '{"_id": 2, "name": "Bob", "age": 17.5, "tags": []}'),
  ('schema', '{"_id": 3, "name": 7}'),
  ('schema', '{"_id": 4, "age": 30}'),
  ('schema', '{"_id": 5, "name": "Cy", "age": 200, "extra": "yes"}'),
  ('schema', '{"_id": 6, "name": "", "tags": ["a", "a"]}'),
  ('schema', '{"_id": 7, "name": "Di", "address": {"city": 5}}'),
  ('schema', '{"_id": 8, "name": "Eve", "status": "active"}'),
  ('schema', '{"_id": 9, "name": "Fay", "status": "unknown", "email": "fay"}');
SELECT f AS filter, query_ids('schema', f) AS ids FROM (VALUES
  ('{"$jsonSchema": {}}'),
  ('{"$jsonSchema": {"bsonType": "object", "title": "people", "description": "ignored"}}'),
  ('{"$jsonSchema": {"required": ["name"]}}'),
  ('{"$jsonSchema": {"required": ["name", "age"]}}'),
  ('{"$jsonSchema": {"properties": {"name": {"bsonType": "string"}}}}'),
  ('{"$jsonSchema": {"properties": {"name": {"type": "string", "minLength": 1, "maxLength": 3}}}}'),
  ('{"$jsonSchema": {"properties": {"age": {"bsonType": "int", "minimum": 18, "maximum": 120}}}}'),
  ('{"$jsonSchema": {"properties": {"age": {"bsonType": ["int", "double"], "minimum": 17.5, "exclusiveMinimum": true}}}}'),
  ('{"$jsonSchema": {"properties": {"age": {"type": "number", "maximum": 36, "exclusiveMaximum": false}}}}'),
  ('{"$jsonSchema": {"properties": {"age": {"multipleOf": 2}}}}'),
  ('{"$jsonSchema": {"properties": {"email": {"pattern": "^[^@]+@[^@]+$"}}}}'),
  ('{"$jsonSchema": {"properties": {"tags": {"bsonType": "array", "minItems": 1, "uniqueItems": true, "items": {"bsonType": "string"}}}}}'),
  ('{"$jsonSchema": {"properties": {"tags": {"maxItems": 1}}}}'),
  ('{"$jsonSchema": {"properties": {"address": {"bsonType": "object", "required": ["city"], "properties": {"city": {"bsonType": "string"}}}}}}'),
  ('{"$jsonSchema": {"properties": {"address": {"maxProperties": 1}}}}'),
  ('{"$jsonSchema": {"properties": {"address": {"minProperties": 2, "additionalProperties": false, "properties": {"city": {}, "zip": {}}}}}}'),
  ('{"$jsonSchema": {"additionalProperties": false, "properties": {"_id": {}, "name": {}, "age": {}, "_ts": {}, "_stream_meta": {}}}}'),
  ('{"$jsonSchema": {"additionalProperties": {"bsonType": ["string", "array", "object", "date"]}, "properties": {"_id": {}, "age": {}}}}'),
  ('{"$jsonSchema": {"properties": {"status": {"enum": ["active", "inactive"]}}}}'),
  ('{"$jsonSchema": {"patternProperties": {"^ext": {"bsonType": "bool"}}}}'),
  ('{"$jsonSchema": {"anyOf": [{"required": ["email"]}, {"required": ["status"]}]}}'),
  ('{"$jsonSchema": {"oneOf": [{"required": ["name"]}, {"required": ["age"]}]}}'),
  ('{"$jsonSchema": {"allOf": [{"required": ["name"]}, {"required": ["age"]}]}}'),
  ('{"$jsonSchema": {"not": {"required": ["age"]}}}'),
  ('{"$jsonSchema": {"dependencies": {"email": ["age"]}}}'),
  ('{"$jsonSchema": {"dependencies": {"status": {"properties": {"status": {"enum": ["active"]}}}}}}'),
  ('{"$jsonSchema": {"required": ["age"]}, "age": {"$lt": 40}}'),
  ('{"$or": [{"$jsonSchema": {"required": ["status"]}}, {"age": {"$gt": 100}}]}')) AS v(f);

--
-- dotted paths and MongoDB's array traversal
--
INSERT INTO query_docs (set, doc) VALUES
  ('path', '{"_id": 1, "a": {"b": 1}}'),
  ('path', '{"_id": 2, "a": [{"b": 1}, {"b": 2}]}'),
  ('path', '{"_id": 3, "a": [{"b": [1, 3]}]}'),
  ('path', '{"_id": 4, "a": [1, 2]}'),
  ('path', '{"_id": 5, "a": {"b": [[1]]}}'),
  ('path', '{"_id": 6, "a": [{"c": 1}]}'),
  ('path', '{"_id": 7, "a": [[{"b": 1}]]}'),
  ('path', '{"_id": 8, "a": {"0": {"b": 1}}}'),
  ('path', '{"_id": 9, "a": [{"b": {"c": 2}}, {"b": {"c": 3}}]}'),
  ('path', '{"_id": 10, "a": 5}');
SELECT f AS filter, query_ids('path', f) AS ids FROM (VALUES
  ('{"a.b": 1}'),
  ('{"a.b": [1, 3]}'),
  ('{"a.b": [1]}'),
  ('{"a.b": {"$gt": 1}}'),
  ('{"a.b": {"$gt": 1, "$lt": 3}}'),
  ('{"a.b": {"$elemMatch": {"$gt": 1, "$lt": 3}}}'),
  ('{"a.b.c": 3}'),
  ('{"a.b": {"c": 3}}'),
  ('{"a.0": 1}'),
  ('{"a.1": 2}'),
  ('{"a.0.b": 1}'),
  ('{"a.1.b": 2}'),
  ('{"a.b.0": 1}'),
  ('{"a.b.1": 3}'),
  ('{"a.0.b.c": 2}'),
  ('{"a.c": {"$exists": true}}'),
  ('{"a": {"$size": 2}}'),
  ('{"a.b": {"$size": 2}}'),
  ('{"a.b": {"$type": "array"}}'),
  ('{"a.5": {"$exists": true}}')) AS v(f);

--
-- null and missing: {a: null} matches null and missing, and arrays holding null
--
INSERT INTO query_docs (set, doc) VALUES
  ('null', '{"_id": 1, "a": {}}'),
  ('null', '{"_id": 2, "a": null}'),
  ('null', '{"_id": 3, "a": 4}'),
  ('null', '{"_id": 4, "a": {"b": "hi"}}'),
  ('null', '{"_id": 5, "a": {"b": null}}'),
  ('null', '{"_id": 6}'),
  ('null', '{"_id": 7, "a": [[]]}'),
  ('null', '{"_id": 8, "a": []}'),
  ('null', '{"_id": 9, "a": [{"b": null}, {"b": null}, {}]}'),
  ('null', '{"_id": 10, "a": [{"b": 1}, {"b": 3}, {"b": "string"}]}'),
  ('null', '{"_id": 11, "a": [{"b": null}, {"b": 3}, {"b": null}]}'),
  ('null', '{"_id": 12, "a": [{"b": 3}, {}]}'),
  ('null', '{"_id": 13, "a": [null, null]}'),
  ('null', '{"_id": 14, "a": [1, "string", 4]}'),
  ('null', '{"_id": 15, "a": [1, "string", null, 4]}');
SELECT f AS filter, query_ids('null', f) AS ids FROM (VALUES
  ('{"a": null}'),
  ('{"a": {"$eq": null}}'),
  ('{"a": {"$ne": null}}'),
  ('{"a": {"$not": {"$gte": null}}}'),
  ('{"a": {"$in": [null, 75]}}'),
  ('{"a": {"$nin": [null, 75]}}'),
  ('{"a": {"$nin": [null, []]}}'),
  ('{"a": {"$exists": false}}'),
  ('{"a": {"$type": "null"}}'),
  ('{"a": []}'),
  ('{"a": {}}'),
  ('{"a.b": null}'),
  ('{"a.b": {"$ne": null}}'),
  ('{"a.b": {"$in": [null, 75]}}'),
  ('{"a.b": {"$nin": [null, 75]}}'),
  ('{"a.b": {"$exists": false}}'),
  ('{"a.b": {"$exists": true}}'),
  ('{"a": {"$elemMatch": {"$eq": null}}}'),
  ('{"a": {"$elemMatch": {"$ne": null}}}'),
  ('{"a": {"$elemMatch": {"b": null}}}'),
  ('{"a": {"$elemMatch": {"b": {"$ne": null}}}}'),
  ('{"a.b": {"$elemMatch": {"$eq": null}}}')) AS v(f);

--
-- BSON comparison order, seen through $expr (aggregation comparisons are not bracketed):
-- MinKey < null < numbers < strings < objects < arrays < binary < ObjectId < bool < date
-- < timestamp < regex < MaxKey; missing is below null
--
INSERT INTO query_docs (set, doc) VALUES
  ('order', '{"_id": 1, "v": {"$minKey": 1}, "w": null}'),
  ('order', '{"_id": 2, "v": null, "w": {"$numberDouble": "NaN"}}'),
  ('order', '{"_id": 3, "v": {"$numberDouble": "NaN"}, "w": {"$numberDouble": "-Infinity"}}'),
  ('order', '{"_id": 4, "v": 5, "w": ""}'),
  ('order', '{"_id": 5, "v": "z", "w": {}}'),
  ('order', '{"_id": 6, "v": {"a": 1}, "w": []}'),
  ('order', '{"_id": 7, "v": [], "w": {"$binary": {"base64": "AQ==", "subType": "00"}}}'),
  ('order', '{"_id": 8, "v": {"$binary": {"base64": "AQ==", "subType": "00"}}, "w": {"$oid": "000000000000000000000000"}}'),
  ('order', '{"_id": 9, "v": {"$oid": "ffffffffffffffffffffffff"}, "w": false}'),
  ('order', '{"_id": 10, "v": true, "w": {"$date": "1970-01-01T00:00:00Z"}}'),
  ('order', '{"_id": 11, "v": {"$date": "2100-01-01T00:00:00Z"}, "w": {"$timestamp": {"t": 0, "i": 1}}}'),
  ('order', '{"_id": 12, "v": {"$timestamp": {"t": 4000000000, "i": 1}}, "w": {"$regularExpression": {"pattern": "a", "options": ""}}}'),
  ('order', '{"_id": 13, "v": {"$regularExpression": {"pattern": "z", "options": ""}}, "w": {"$maxKey": 1}}'),
  ('order', '{"_id": 14, "w": null}'),
  ('order', '{"_id": 15, "v": "10", "w": "9"}'),
  ('order', '{"_id": 16, "v": "B", "w": "a"}'),
  ('order', '{"_id": 17, "v": [1, 2], "w": [1, 3]}'),
  ('order', '{"_id": 18, "v": [1, 2], "w": [1, 2, 0]}'),
  ('order', '{"_id": 19, "v": {"a": 1}, "w": {"a": 1, "b": 0}}'),
  ('order', '{"_id": 20, "v": {"$numberDecimal": "1.5"}, "w": 2}'),
  ('order', '{"_id": 21, "v": false, "w": true}'),
  ('order', '{"_id": 22, "v": {"b": 1}, "w": {"a": 2}}'),
  ('order', '{"_id": 23, "v": 2, "w": {"$numberLong": "2"}}'),
  ('order', '{"_id": 24, "v": 1, "w": {"$numberDecimal": "1.00"}}'),
  ('order', '{"_id": 25, "v": {"a": 2}, "w": {"a": "1"}}'),
  ('order', '{"_id": 26, "v": [2], "w": [1, 5]}');
SELECT f AS filter, query_ids('order', f) AS ids FROM (VALUES
  ('{"$expr": {"$lt": ["$v", "$w"]}}'),
  ('{"$expr": {"$eq": ["$v", "$w"]}}'),
  ('{"$expr": {"$gt": ["$v", "$w"]}}'),
  ('{"v": {"$lt": "a"}}'),
  ('{"v": {"$gt": {"$minKey": 1}}}'),
  ('{"v": {"$lt": {"$maxKey": 1}}}'),
  ('{"v": {"$gte": {"$oid": "000000000000000000000000"}}}'),
  ('{"v": {"$lt": {"$timestamp": {"t": 4000000000, "i": 2}}}}'),
  ('{"v": {"$gt": {"a": 0}}}'),
  ('{"v": {"$lt": []}}'),
  ('{"v": {"$lt": [3]}}')) AS v(f);

--
-- compile errors: each operator with bad arguments
--
\set VERBOSITY default
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$match": {"a": {"$frob": 1}}}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$match": {"$frob": 1}}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$match": {"a": {"$gt": 1, "b": 1}}}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$match": {"a": {"$gt": {"$regularExpression": {"pattern": "x", "options": ""}}}}}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$match": {"a": {"$in": 5}}}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$match": {"a": {"$nin": {"x": 1}}}}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$match": {"a": {"$in": [{"$gt": 1}]}}}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$match": {"a": {"$type": "nosuch"}}}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$match": {"a": {"$type": 100}}}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$match": {"a": {"$type": 2.5}}}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$match": {"a": {"$type": {}}}}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$match": {"a": {"$type": ["string", "nosuch"]}}}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$match": {"a": {"$regex": 5}}}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$match": {"a": {"$options": "i"}}}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$match": {"a": {"$regex": "("}}}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$match": {"a": {"$regex": "a", "$options": "q"}}}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$match": {"a": {"$regex": {"$regularExpression": {"pattern": "a", "options": "i"}}, "$options": "m"}}}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$match": {"$and": []}}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$match": {"$or": {"a": 1}}}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$match": {"$nor": [1]}}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$match": {"$or": [{"a": {"$frob": 1}}]}}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$match": {"a": {"$not": 5}}}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$match": {"a": {"$not": {}}}}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$match": {"$not": {"a": 1}}}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$match": {"a": {"$all": 5}}}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$match": {"a": {"$all": [{"$elemMatch": {"b": 1}}, 5]}}}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$match": {"a": {"$elemMatch": 5}}}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$match": {"a": {"$elemMatch": {"$expr": {"$eq": [1, 1]}}}}}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$match": {"a": {"$size": -1}}}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$match": {"a": {"$size": 1.5}}}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$match": {"a": {"$size": "2"}}}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$match": {"a": {"$mod": [0, 1]}}}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$match": {"a": {"$mod": [2]}}}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$match": {"a": {"$mod": [2, 1, 0]}}}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$match": {"a": {"$mod": 2}}}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$match": {"a": {"$mod": ["2", 1]}}}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$match": {"a": {"$bitsAllSet": -1}}}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$match": {"a": {"$bitsAnySet": ["x"]}}}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$match": {"$expr": {"$frob": 1}}}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$match": {"a": {"$expr": {"$eq": [1, 1]}}}}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$match": {"$jsonSchema": 5}}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$match": {"$jsonSchema": {"frob": 1}}}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$match": {"$jsonSchema": {"type": "integer"}}}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$match": {"$jsonSchema": {"required": "name"}}}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$match": {"$jsonSchema": {"required": []}}}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$match": {"$jsonSchema": {"properties": {"a": {"minimum": "x"}}}}}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$match": {"$jsonSchema": {"type": "string", "bsonType": "string"}}}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$match": {"$jsonSchema": {"$ref": "#/definitions/a"}}}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$match": {"a": {"$eq": {"$undefined": true}}}}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$match": {"$text": {"$search": "x"}}}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$match": {"loc": {"$near": [0, 0]}}}]$$);
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$match": {"a": {"$where": "1"}}}]$$);
-- the same errors in a $validate validator name the option
SELECT * FROM asp.process($$[{"$source": {"documents": []}}, {"$validate": {"validator": {"$or": [{"a": {"$size": -1}}]}}}]$$);
