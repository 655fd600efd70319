-- asp.process: basic behaviour, output format, options
CREATE EXTENSION asp;
\pset null '(null)'

-- a documents source: _ts and _stream_meta are appended, field order kept
SELECT kind, doc::jsonb - '_ts' AS doc
FROM asp.process('[{"$source": {"documents": [{"b": 1, "a": 2}, {"z": "x", "y": [1, 2]}]}}]');

-- key order of the pipeline is preserved (no jsonb normalisation)
SELECT doc FROM asp.process($$[
  {"$source": {"documents": [{"z": 1, "a": 2, "m": 3}]}},
  {"$project": {"_id": 0, "z": 1, "m": 1, "a": 1}}]$$);

-- timeField sets _ts; tsFieldName renames it
SELECT doc FROM asp.process($$[
  {"$source": {"documents": [{"t": "2024-01-01T00:00:05Z", "v": 1}],
               "timeField": {"$dateFromString": {"dateString": "$t"}},
               "tsFieldName": "eventTime"}}]$$);

-- extended JSON in and out: dates, longs, decimals, object ids
SELECT doc FROM asp.process($$[
  {"$source": {"documents": [{"_id": {"$oid": "65a1b2c3d4e5f60718293a4b"},
                              "d": {"$date": "2024-02-29T12:00:00.123Z"},
                              "l": {"$numberLong": "9007199254740993"},
                              "dec": {"$numberDecimal": "1.10"},
                              "dbl": 1.5, "i": 7}]}},
  {"$project": {"_ts": 0, "_stream_meta": 0}}]$$);

-- the sample connection, bounded by maxDocs, deterministic with sampleStart/sampleSeed
SELECT count(*) FROM asp.process('[{"$source": {"connectionName": "sample_stream_solar"}}]',
                                 '{"maxDocs": 25}');
SELECT doc FROM asp.process('[{"$source": {"connectionName": "sample_stream_solar"}}, {"$limit": 1}]',
                            '{"maxDocs": 3}');
SELECT doc::jsonb - '_ts' FROM asp.process(
  '[{"$source": {"connectionName": "sample_stream_solar"}}, {"$project": {"_id": 0, "device_id": 1, "timestamp": 1, "_stream_meta": 1}}]',
  '{"maxDocs": 3, "sampleStart": {"$date": "2024-05-01T10:00:00Z"}}');
-- same seed and start, same stream
SELECT (SELECT array_agg(doc::text) FROM asp.process('[{"$source": {"connectionName": "sample_stream_solar"}}]',
          '{"maxDocs": 50, "sampleSeed": 7, "sampleStart": {"$date": "2024-05-01T10:00:00Z"}}'))
     = (SELECT array_agg(doc::text) FROM asp.process('[{"$source": {"connectionName": "sample_stream_solar"}}]',
          '{"maxDocs": 50, "sampleSeed": 7, "sampleStart": {"$date": "2024-05-01T10:00:00Z"}}')) AS same_stream;
-- the asp.process_max_docs setting is the default bound
SET asp.process_max_docs = 4;
SELECT count(*) FROM asp.process('[{"$source": {"connectionName": "sample_stream_solar"}}]');
RESET asp.process_max_docs;
SHOW asp.process_timeout;

-- options are checked
SELECT * FROM asp.process('[{"$source": {"documents": []}}]', '{"maxdocs": 1}');
SELECT * FROM asp.process('[{"$source": {"documents": []}}]', '{"maxDocs": -1}');
SELECT * FROM asp.process('[{"$source": {"documents": []}}]', '{"maxDocs": "10"}');
SELECT * FROM asp.process('[{"$source": {"documents": []}}]', '[1]');
SELECT * FROM asp.process('[{"$source": {"documents": []}}]', '{"sampleStart": "yesterday"}');
SELECT * FROM asp.process(NULL);
-- $merge into "local" writes a table (see 11_merge_local) and returns what it wrote
SELECT kind, doc::jsonb - '_id' - '_ts' AS doc, doc::jsonb->'_id' ? '$oid' AS has_oid
FROM asp.process('[{"$source": {"documents": [{"a": 1}]}}, {"$merge": {"into": {"connectionName": "local", "db": "public", "coll": "t"}}}]');
DROP TABLE public.t;
-- unknown connections
SELECT * FROM asp.process('[{"$source": {"connectionName": "kafka1", "topic": "t"}}]');
-- asp.process in a query, with SQL around it
SELECT (doc->>'n')::int * 10 AS n10
FROM asp.process('[{"$source": {"documents": [{"n": 1}, {"n": 2}, {"n": 3}]}}]')
WHERE (doc->>'n')::int > 1;
