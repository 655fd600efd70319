-- The listings of the book chapter on Atlas Stream Processing (chapter 15),
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS asp;
RESET client_min_messages;
-- run on inline documents with asp.process.  Sinks are left out: asp.process
-- shows what would reach them.

-- Listing 15.2: the skeleton; an empty $source is an error, with a hint
SELECT * FROM asp.process('[{"$source": {}}]');

-- 15.6.3: the first processor on sample_stream_solar shows its documents
SELECT doc->'device_id' IS NOT NULL AS has_device, doc->'obs'->'watts' IS NOT NULL AS has_watts,
       doc->'_stream_meta' AS meta
FROM asp.process('[{"$source": {"connectionName": "sample_stream_solar"}}]', '{"maxDocs": 2}');

-- Listing 15.3: validation with logic; invalid documents are discarded
SELECT kind, doc::jsonb - '_ts' - '_stream_meta' AS doc FROM asp.process($$[
  {"$source": {"documents": [
     {"name": "Ada", "age": 36, "email": "ada@example.org"},
     {"name": "Bob", "age": 17, "email": "bob@example.org"},
     {"name": "Cy", "age": 40.5, "email": "cy@example.org"},
     {"name": 7, "age": 30, "email": "seven@example.org"},
     {"name": "Di", "age": 52, "email": "not-an-email"},
     {"age": 33, "email": "anon@example.org"}]}},
  {"$validate": {"validator": {"$and": [
     {"name": {"$exists": true, "$type": "string"}},
     {"age": {"$exists": true, "$type": "int", "$gte": 18}},
     {"email": {"$exists": true, "$regex": "^.+@.+\\..+$"}}]},
   "validationAction": "discard"}}]$$);

-- Listing 15.4: the same with the dead letter queue; invalid sales go to the DLQ
SELECT kind, doc->'operatorName' AS op, doc->'doc'->'productId' AS product,
       doc->'errInfo' IS NOT NULL AS has_reason
FROM asp.process($$[
  {"$source": {"documents": [
     {"productId": "p1", "quantity": 3, "price": 9.5},
     {"productId": "p2", "quantity": 0, "price": 9.5},
     {"productId": "p3", "quantity": 2, "price": 10},
     {"productId": 4, "quantity": 1, "price": 1.25},
     {"productId": "p5", "quantity": 1, "price": -2.5}]}},
  {"$validate": {"validator": {"$and": [
     {"productId": {"$exists": true, "$type": "string"}},
     {"quantity": {"$exists": true, "$type": "int", "$gte": 1}},
     {"price": {"$exists": true, "$type": "double", "$gte": 0}}]},
   "validationAction": "dlq"}}]$$);
-- the DLQ document format
SELECT doc::jsonb - '_stream_meta' #- '{doc,_ts}' AS dlq FROM asp.process($$[
  {"$source": {"documents": [{"productId": "p2", "quantity": 0}]}},
  {"$validate": {"validator": {"quantity": {"$gte": 1}}, "validationAction": "dlq"}}]$$)
WHERE kind = 'dlq';

-- Listing 15.6: a 30-second hopping window every 10 seconds, average temperature per _id
SELECT doc->>'_id' AS id, doc->'avgTemperature' AS avg_temp,
       doc->'_stream_meta'->'window'->'start'->>'$date' AS start
FROM asp.process($$[
  {"$source": {"documents": [
     {"_id": "s1", "temperature": 20, "t": {"$date": "2024-01-01T00:00:05Z"}},
     {"_id": "s1", "temperature": 22, "t": {"$date": "2024-01-01T00:00:15Z"}},
     {"_id": "s2", "temperature": 30, "t": {"$date": "2024-01-01T00:00:25Z"}},
     {"_id": "s1", "temperature": 24, "t": {"$date": "2024-01-01T00:00:35Z"}}],
     "timeField": {"$toDate": "$t"}}},
  {"$hoppingWindow": {
     "interval": {"size": 30, "unit": "second"},
     "hopSize": {"size": 10, "unit": "second"},
     "pipeline": [{"$group": {"_id": "$_id", "avgTemperature": {"$avg": "$temperature"}}}]}}]$$)
ORDER BY start, id;

-- Listing 15.7: debugging with a document array, a projection and a filter
SELECT doc::jsonb - '_ts' - '_stream_meta' AS doc FROM asp.process($$[
  {"$source": {"documents": [{"sensor": "A", "temp": 45}, {"sensor": "B", "temp": 5}, {"sensor": "C", "temp": 20}]}},
  {"$project": {"sensor": 1, "temp": 1,
     "warning": {"$switch": {"branches": [
        {"case": {"$gt": ["$temp", 40]}, "then": "HIGH"},
        {"case": {"$lt": ["$temp", 10]}, "then": "LOW"}], "default": null}}}},
  {"$match": {"warning": {"$ne": null}}}]$$);

-- Section 15.6.6: calcStats, max temperature and average watts every 10 seconds
-- over sample_stream_solar (600 readings = 30 seconds of 10 devices)
SELECT count(*) AS windows_x_groups,
       count(DISTINCT doc->'_stream_meta'->'window'->'start'->>'$date') AS windows,
       bool_and((doc->>'max_temp')::numeric BETWEEN 5 AND 30) AS temps_in_range,
       bool_and(doc ? 'avg_watts') AS has_avg
FROM (SELECT doc::jsonb AS doc FROM asp.process($$[
  {"$source": {"connectionName": "sample_stream_solar",
               "timeField": {"$dateFromString": {"dateString": "$timestamp"}}}},
  {"$tumblingWindow": {"interval": {"size": 10, "unit": "second"},
     "pipeline": [{"$group": {"_id": "$group_id", "avg_watts": {"$avg": "$obs.watts"}, "max_temp": {"$max": "$obs.temp"}}}]}}]$$,
  '{"maxDocs": 600, "sampleStart": {"$date": "2024-05-01T10:00:00Z"}}')) s;
-- every reading lands in exactly one window: the counts add up
SELECT sum((doc->>'n')::int) AS readings FROM asp.process($$[
  {"$source": {"connectionName": "sample_stream_solar",
               "timeField": {"$dateFromString": {"dateString": "$timestamp"}}}},
  {"$tumblingWindow": {"interval": {"size": 10, "unit": "second"},
     "pipeline": [{"$group": {"_id": "$group_id", "n": {"$sum": 1}}}]}}]$$,
  '{"maxDocs": 600, "sampleStart": {"$date": "2024-05-01T10:00:00Z"}}');
