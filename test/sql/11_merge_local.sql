-- $merge into the built-in "local" connection: tables of this database
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS asp;
RESET client_min_messages;
\pset null '(null)'
CREATE SCHEMA merge_t;

-- a missing table is created as (_id jsonb PRIMARY KEY, doc jsonb NOT NULL);
-- asp.process still returns what reached the sink
SELECT kind, doc FROM asp.process($$[
  {"$source": {"documents": [{"_id": 1, "sensor": "A", "temp": 45},
                             {"_id": "b", "sensor": "B", "temp": 5, "at": {"$date": "2024-05-01T10:00:00Z"}},
                             {"_id": {"$oid": "65a1b2c3d4e5f60718293a4b"}, "n": {"$numberDecimal": "1.10"},
                              "l": {"$numberLong": "9007199254740993"}, "d": 2.5, "sub": {"x": [1, null, true]}}]}},
  {"$project": {"_ts": 0, "_stream_meta": 0}},
  {"$merge": {"into": {"connectionName": "local", "db": "merge_t", "coll": "readings"}}}]$$);
\d merge_t.readings
SELECT _id, doc FROM merge_t.readings ORDER BY _id::text;

-- a document without _id gets an ObjectId, as in MongoDB
SELECT kind, doc::jsonb - '_id' AS doc, jsonb_typeof(doc::jsonb->'_id'->'$oid') AS oid_type,
       length(doc::jsonb->'_id'->>'$oid') AS oid_len
FROM asp.process($$[
  {"$source": {"documents": [{"sensor": "C", "temp": 20}]}},
  {"$project": {"_ts": 0, "_stream_meta": 0}},
  {"$merge": {"into": {"connectionName": "local", "db": "merge_t", "coll": "readings"}}}]$$);
SELECT doc - '_id' AS doc, _id ? '$oid' AS is_oid, _id = doc->'_id' AS same_id
FROM merge_t.readings WHERE doc->>'sensor' = 'C';

-- whenMatched "merge" (the default): top-level fields of the new document win
SELECT kind, doc FROM asp.process($$[
  {"$source": {"documents": [{"_id": 1, "temp": 50, "note": "hot"}, {"_id": 2, "sensor": "D"}]}},
  {"$project": {"_ts": 0, "_stream_meta": 0}},
  {"$merge": {"into": {"connectionName": "local", "db": "merge_t", "coll": "readings"}}}]$$);
SELECT _id, doc FROM merge_t.readings WHERE _id IN ('1', '2') ORDER BY _id::text;

-- whenMatched "replace"
SELECT kind, doc FROM asp.process($$[
  {"$source": {"documents": [{"_id": 1, "replaced": true}]}},
  {"$project": {"_ts": 0, "_stream_meta": 0}},
  {"$merge": {"into": {"connectionName": "local", "db": "merge_t", "coll": "readings"},
              "whenMatched": "replace"}}]$$);
SELECT _id, doc FROM merge_t.readings WHERE _id = '1';

-- whenMatched "keepExisting": existing rows stay, new ones are inserted
SELECT kind, doc FROM asp.process($$[
  {"$source": {"documents": [{"_id": 1, "kept": false}, {"_id": 3, "new": true}]}},
  {"$project": {"_ts": 0, "_stream_meta": 0}},
  {"$merge": {"into": {"connectionName": "local", "db": "merge_t", "coll": "readings"},
              "whenMatched": "keepExisting"}}]$$);
SELECT _id, doc FROM merge_t.readings WHERE _id IN ('1', '3') ORDER BY _id::text;

-- whenMatched "fail": the duplicate goes to the DLQ, the others are written
SELECT kind, doc FROM asp.process($$[
  {"$source": {"documents": [{"_id": 4, "v": 1}, {"_id": 1, "v": 2}, {"_id": 5, "v": 3}]}},
  {"$project": {"_ts": 0, "_stream_meta": 0}},
  {"$merge": {"into": {"connectionName": "local", "db": "merge_t", "coll": "readings"},
              "whenMatched": "fail"}}]$$);
SELECT _id, doc FROM merge_t.readings WHERE _id IN ('1', '4', '5') ORDER BY _id::text;

-- whenNotMatched "discard": only existing rows change
SELECT kind, doc FROM asp.process($$[
  {"$source": {"documents": [{"_id": 3, "updated": 1}, {"_id": 99, "updated": 1}]}},
  {"$project": {"_ts": 0, "_stream_meta": 0}},
  {"$merge": {"into": {"connectionName": "local", "db": "merge_t", "coll": "readings"},
              "whenNotMatched": "discard"}}]$$);
SELECT _id, doc FROM merge_t.readings WHERE _id IN ('3', '99') ORDER BY _id::text;
SELECT kind, doc FROM asp.process($$[
  {"$source": {"documents": [{"_id": 3, "only": "this"}, {"_id": 98}]}},
  {"$project": {"_ts": 0, "_stream_meta": 0}},
  {"$merge": {"into": {"connectionName": "local", "db": "merge_t", "coll": "readings"},
              "whenMatched": "replace", "whenNotMatched": "discard"}}]$$);
SELECT _id, doc FROM merge_t.readings WHERE _id IN ('3', '98') ORDER BY _id::text;

-- the same key twice in a run: written in order (the second merges into the first)
SELECT kind, doc FROM asp.process($$[
  {"$source": {"documents": [{"_id": 6, "a": 1}, {"_id": 6, "b": 2}, {"_id": 6.0, "a": 3}]}},
  {"$project": {"_ts": 0, "_stream_meta": 0}},
  {"$merge": {"into": {"connectionName": "local", "db": "merge_t", "coll": "readings"}}}]$$);
SELECT _id, doc FROM merge_t.readings WHERE _id = '6';

-- not supported / refused combinations
SELECT * FROM asp.process($$[
  {"$source": {"documents": [{"_id": 1}]}},
  {"$merge": {"into": {"connectionName": "local", "db": "merge_t", "coll": "readings"},
              "whenMatched": [{"$set": {"x": 1}}]}}]$$);
SELECT * FROM asp.process($$[
  {"$source": {"documents": [{"_id": 1}]}},
  {"$merge": {"into": {"connectionName": "local", "db": "merge_t", "coll": "readings"},
              "whenMatched": "fail", "whenNotMatched": "discard"}}]$$);
SELECT * FROM asp.process($$[
  {"$source": {"documents": [{"_id": 1}]}},
  {"$merge": {"into": {"connectionName": "local", "db": "merge_t", "coll": {"$concat": ["a", "b"]}}}}]$$);
-- $emit and other connections stay refused in asp.process
SELECT * FROM asp.process($$[
  {"$source": {"documents": [{"_id": 1}]}},
  {"$emit": {"connectionName": "local", "topic": "t"}}]$$);

-- a missing schema
SELECT * FROM asp.process($$[
  {"$source": {"documents": [{"_id": 1}]}},
  {"$merge": {"into": {"connectionName": "local", "db": "no_such_schema", "coll": "t"}}}]$$);
-- a missing table can only be created for on: "_id"
SELECT * FROM asp.process($$[
  {"$source": {"documents": [{"_id": 1, "k": 1}]}},
  {"$merge": {"into": {"connectionName": "local", "db": "merge_t", "coll": "not_there"}, "on": "k"}}]$$);
-- the default table matched on another field
SELECT * FROM asp.process($$[
  {"$source": {"documents": [{"_id": 1, "k": 1}]}},
  {"$merge": {"into": {"connectionName": "local", "db": "merge_t", "coll": "readings"}, "on": "k"}}]$$);

-- a typed table: fields and dotted paths map to columns by name, "doc" gets the whole document
CREATE TABLE merge_t.solar (
  device_id text,
  group_id int,
  "obs.watts" int,
  ts timestamptz,
  inserted boolean DEFAULT true,
  doc jsonb,
  PRIMARY KEY (device_id, ts));
SELECT kind, doc FROM asp.process($$[
  {"$source": {"documents": [
     {"_id": 1, "device_id": "d1", "group_id": 1, "obs": {"watts": 100, "temp": 20}, "ts": {"$date": "2024-05-01T10:00:00Z"}},
     {"_id": 2, "device_id": "d2", "group_id": "abc", "obs": {"watts": 5}, "ts": {"$date": "2024-05-01T10:00:00Z"}},
     {"_id": 3, "device_id": "d3", "group_id": 3.0, "obs": {"watts": 7}, "ts": "2024-05-01T10:00:01+02:00"},
     {"_id": 4, "device_id": "d4", "group_id": 4, "obs": {"watts": 7}},
     {"_id": 5, "device_id": "d5", "group_id": 5, "obs": {"watts": 9.5}, "ts": {"$date": "2024-05-01T10:00:00.250Z"}},
     {"_id": 6, "device_id": "d6", "group_id": 6, "obs": {"watts": 8, "temp": 21}, "ts": {"$date": "2024-05-01T10:00:02.500Z"},
      "extra": [1, {"$oid": "65a1b2c3d4e5f60718293a4b"}]}]}},
  {"$project": {"_stream_meta": 0, "_ts": 0}},
  {"$merge": {"into": {"connectionName": "local", "db": "merge_t", "coll": "solar"},
              "on": ["device_id", "ts"]}}]$$);
SELECT device_id, group_id, "obs.watts", ts AT TIME ZONE 'UTC' AS ts_utc, inserted, doc
FROM merge_t.solar ORDER BY device_id;
-- merge on a typed table: only the columns whose fields are present change
SELECT kind FROM asp.process($$[
  {"$source": {"documents": [
     {"device_id": "d1", "ts": {"$date": "2024-05-01T10:00:00Z"}, "obs": {"watts": 111}}]}},
  {"$project": {"_id": 0, "_stream_meta": 0, "_ts": 0}},
  {"$merge": {"into": {"connectionName": "local", "db": "merge_t", "coll": "solar"},
              "on": ["device_id", "ts"]}}]$$);
SELECT device_id, group_id, "obs.watts", inserted, doc FROM merge_t.solar WHERE device_id = 'd1';
-- replace on a typed table: absent fields become NULL (or the column default), _id stays
SELECT kind FROM asp.process($$[
  {"$source": {"documents": [
     {"device_id": "d3", "ts": {"$date": "2024-05-01T08:00:01Z"}, "group_id": 33}]}},
  {"$project": {"_id": 0, "_stream_meta": 0, "_ts": 0}},
  {"$merge": {"into": {"connectionName": "local", "db": "merge_t", "coll": "solar"},
              "on": ["device_id", "ts"], "whenMatched": "replace"}}]$$);
SELECT device_id, group_id, "obs.watts", inserted, doc FROM merge_t.solar WHERE device_id = 'd3';

-- 'on' with a user unique index; an 'on' field missing from a document goes to the DLQ
CREATE TABLE merge_t.devices (id serial PRIMARY KEY, device_id text NOT NULL, label text, seen int);
CREATE UNIQUE INDEX ON merge_t.devices (device_id);
INSERT INTO merge_t.devices (device_id, label, seen) VALUES ('d1', 'roof', 0);
SELECT kind, doc FROM asp.process($$[
  {"$source": {"documents": [{"_id": 1, "device_id": "d1", "seen": 1},
                             {"_id": 2, "device_id": "d2", "label": "shed", "seen": 1},
                             {"_id": 3, "label": "no key"}]}},
  {"$project": {"_stream_meta": 0, "_ts": 0}},
  {"$merge": {"into": {"connectionName": "local", "db": "merge_t", "coll": "devices"},
              "on": "device_id", "whenMatched": "merge"}}]$$);
SELECT id, device_id, label, seen FROM merge_t.devices ORDER BY id;
-- no unique index on the 'on' columns
SELECT * FROM asp.process($$[
  {"$source": {"documents": [{"label": "x", "seen": 1}]}},
  {"$merge": {"into": {"connectionName": "local", "db": "merge_t", "coll": "devices"}, "on": ["label"]}}]$$);
-- an 'on' field without a column
SELECT * FROM asp.process($$[
  {"$source": {"documents": [{"label": "x", "seen": 1}]}},
  {"$merge": {"into": {"connectionName": "local", "db": "merge_t", "coll": "devices"}, "on": "serial_no"}}]$$);

-- the writes run with the caller's privileges
CREATE ROLE asp_merge_reader;
-- (asp_developer: the role may use the connection "local")
GRANT asp_developer TO asp_merge_reader;
GRANT USAGE ON SCHEMA asp, merge_t TO asp_merge_reader;
GRANT SELECT ON merge_t.readings TO asp_merge_reader;
SET ROLE asp_merge_reader;
SELECT * FROM asp.process($$[
  {"$source": {"documents": [{"_id": 1}]}},
  {"$merge": {"into": {"connectionName": "local", "db": "merge_t", "coll": "readings"}}}]$$);
RESET ROLE;
REVOKE ALL ON SCHEMA asp, merge_t FROM asp_merge_reader;
REVOKE ALL ON merge_t.readings FROM asp_merge_reader;
DROP ROLE asp_merge_reader;

-- more than one batch (1,000 documents) from the sample stream
SELECT kind, count(*) FROM asp.process($$[
  {"$source": {"connectionName": "sample_stream_solar"}},
  {"$project": {"device_id": 1, "group_id": 1, "watts": "$obs.watts", "_ts": 1}},
  {"$merge": {"into": {"connectionName": "local", "db": "merge_t", "coll": "solar_raw"}}}]$$,
  '{"maxDocs": 2500, "sampleStart": {"$date": "2024-05-01T10:00:00Z"}}') GROUP BY kind;
SELECT count(*), count(DISTINCT _id), count(DISTINCT doc->>'device_id') AS devices FROM merge_t.solar_raw;

-- the calcStats processor into a table, then what a BI tool would run over it
CREATE TABLE merge_t.solar_stats (
  group_id int,
  window_start timestamptz,
  avg_watts float8,
  max_temp int,
  PRIMARY KEY (group_id, window_start));
SELECT kind, count(*) FROM asp.process($$[
  {"$source": {"connectionName": "sample_stream_solar"}},
  {"$tumblingWindow": {"interval": {"size": 10, "unit": "second"},
     "pipeline": [{"$group": {"_id": "$group_id", "avg_watts": {"$avg": "$obs.watts"},
                              "max_temp": {"$max": "$obs.temp"}}}]}},
  {"$project": {"_id": 0, "group_id": "$_id", "window_start": "$_stream_meta.window.start",
                "avg_watts": 1, "max_temp": 1}},
  {"$merge": {"into": {"connectionName": "local", "db": "merge_t", "coll": "solar_stats"},
              "on": ["group_id", "window_start"]}}]$$,
  '{"maxDocs": 600, "sampleStart": {"$date": "2024-05-01T10:00:00Z"}}') GROUP BY kind;
SELECT window_start AT TIME ZONE 'UTC' AS window_start, count(*) AS groups,
       round(avg(avg_watts)::numeric, 2) AS avg_watts, max(max_temp) AS max_temp
FROM merge_t.solar_stats GROUP BY 1 ORDER BY 1;
SELECT group_id, count(*) AS windows FROM merge_t.solar_stats GROUP BY 1 ORDER BY 1;

-- after a batch of only new keys the next one is tried as a plain INSERT; a key
-- that exists makes it fall back to the merge statement (documents 1,001 to 2,000 are
-- the second batch; _id 1500 exists and is merged, keeping its other fields)
CREATE TABLE merge_t.batches (_id jsonb PRIMARY KEY, doc jsonb NOT NULL);
INSERT INTO merge_t.batches VALUES ('1500', '{"_id": 1500, "kept": true, "v": -1}');
SELECT kind, count(*) FROM asp.process(
  (SELECT '[{"$source": {"documents": [' ||
          string_agg(format('{"_id": %s, "v": %s}', i, i), ', ' ORDER BY i) ||
          ']}}, {"$project": {"_stream_meta": 0, "_ts": 0}},
          {"$merge": {"into": {"connectionName": "local", "db": "merge_t", "coll": "batches"}}}]'
   FROM generate_series(1, 2500) i)::json) GROUP BY kind;
SELECT count(*), sum((doc->>'v')::int), count(*) FILTER (WHERE _id = doc->'_id') AS same_id
FROM merge_t.batches;
SELECT doc FROM merge_t.batches WHERE _id = '1500';

-- the writes are part of the caller's transaction
BEGIN;
SELECT count(*) FROM asp.process($$[
  {"$source": {"documents": [{"_id": 100}, {"_id": 101}]}},
  {"$merge": {"into": {"connectionName": "local", "db": "merge_t", "coll": "readings"}}}]$$);
SELECT count(*) FROM merge_t.readings WHERE _id IN ('100', '101');
ROLLBACK;
SELECT count(*) FROM merge_t.readings WHERE _id IN ('100', '101');

DROP SCHEMA merge_t CASCADE;
