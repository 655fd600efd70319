-- bad input: a clear error or a DLQ entry, never a crash
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS asp;
RESET client_min_messages;
\set VERBOSITY default
-- malformed JSON is refused by the json type itself
SELECT * FROM asp.process('[{"$source": ');
-- JSON the json type accepts but BSON cannot hold
SELECT * FROM asp.process('[{"$source": {"documents": [{"s": "\ud800"}]}}]');
SELECT * FROM asp.process('[{"$source": {"documents": [{"a\u0000b": 1}]}}]');
SELECT * FROM asp.process('[{"$source": {"documents": [{"d": {"$date": "yesterday"}}]}}]');
SELECT * FROM asp.process('[{"$source": {"documents": [{"n": {"$numberLong": "12x"}}]}}]');
SELECT * FROM asp.process('[{"$source": {"documents": [{"o": {"$oid": "123"}}]}}]');
-- a string with a NUL inside is fine as a value
SELECT doc::text FROM asp.process('[{"$source": {"documents": [{"s": "a\u0000b"}]}}, {"$project": {"_id": 0, "s": 1}}]');
-- deep nesting: 1,000 levels
SELECT * FROM asp.process(('[{"$source": {"documents": [' || repeat('{"a": ', 1000) || '1' || repeat('}', 1000) || ']}}]')::json);
-- 100 levels of nesting in a document are fine
SELECT count(*) FROM asp.process(('[{"$source": {"documents": [' || repeat('{"a": ', 100) || '1' || repeat('}', 100) || ']}}]')::json);
-- a 17 MB document is over the 16 MB limit
SELECT * FROM asp.process(('[{"$source": {"documents": [{"big": "' || repeat('x', 17 * 1024 * 1024) || '"}]}}]')::json);
-- a 1 MB document is fine
SELECT length(doc->>'big') FROM asp.process(('[{"$source": {"documents": [{"big": "' || repeat('x', 1024 * 1024) || '"}]}}]')::json);
-- wrong option types
SELECT * FROM asp.process('[{"$source": {"documents": []}}, {"$unwind": {"path": "$a", "preserveNullAndEmptyArrays": "yes"}}]');
SELECT * FROM asp.process('[{"$source": {"documents": []}}, {"$validate": {"validator": {}, "validationAction": "explode"}}]');
SELECT * FROM asp.process('[{"$source": {"documents": []}}, {"$project": "a"}]');
SELECT * FROM asp.process('[{"$source": {"documents": []}}, {"$match": []}]');
-- runtime errors go to the DLQ, and the run continues
SELECT kind, doc->'errInfo'->>'reason' AS reason, doc->'doc'->'a' AS a FROM asp.process($$[
  {"$source": {"documents": [{"a": 1, "b": 0}, {"a": "x", "b": 1}, {"a": 6, "b": 3}]}},
  {"$project": {"_id": 0, "q": {"$divide": ["$a", "$b"]}, "s": {"$add": ["$a", 1]}}}]$$);
-- a window result over 16 MB ($push of 18 one-megabyte strings) goes to the DLQ
SELECT kind, doc->'operatorName' AS op, doc->'errInfo'->>'reason' AS reason
FROM asp.process(('[{"$source": {"documents": ['
  || (SELECT string_agg('{"t": {"$date": "2024-01-01T00:00:0' || (i % 10) || 'Z"}, "s": "' || repeat('x', 1024 * 1024) || '"}', ',')
      FROM generate_series(1, 18) i)
  || '], "timeField": {"$toDate": "$t"}}}, {"$tumblingWindow": {"interval": {"size": 1, "unit": "minute"},'
  || ' "pipeline": [{"$group": {"_id": null, "all": {"$push": "$s"}}}]}}]')::json);
-- the session still works after all of that
SELECT count(*) FROM asp.process('[{"$source": {"documents": [{}, {}]}}]');
-- invalid UTF-8 can only reach asp.process in a SQL_ASCII database
CREATE DATABASE asp_ascii ENCODING 'SQL_ASCII' TEMPLATE template0 LC_COLLATE 'C' LC_CTYPE 'C';
\c asp_ascii
SET client_min_messages = warning;
CREATE EXTENSION asp;
SELECT * FROM asp.process(convert_from('\x5b7b2224736f75726365223a207b22646f63756d656e7473223a205b7b2273223a2022ff227d5d7d7d5d'::bytea, 'SQL_ASCII')::json);
SELECT * FROM asp.process(E'[{"$source": {"documents": [{"s": "\xc3\x28"}]}}]'::json);
SELECT count(*) FROM asp.process(E'[{"$source": {"documents": [{"s": "caf\xc3\xa9"}]}}]'::json);
\c regression
DROP DATABASE asp_ascii;
