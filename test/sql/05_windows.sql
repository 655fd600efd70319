-- event-time windows: tumbling and hopping, lateness, boundaries, empty windows
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS asp;
RESET client_min_messages;
-- helper: documents with a time field t in seconds since 2024-01-01T00:00:00Z
CREATE FUNCTION win_docs(variadic pairs text[]) RETURNS text LANGUAGE sql AS $$
  SELECT '[' || string_agg(p, ',') || ']' FROM unnest(pairs) p $$;

-- tumbling: each document in exactly one window; windows close in order;
-- the end of the source closes the rest.  Window bounds are [start, end).
SELECT kind, doc FROM asp.process($$[
  {"$source": {"documents": [
     {"k": "a", "t": {"$date": "2024-01-01T00:00:00Z"}, "v": 1},
     {"k": "a", "t": {"$date": "2024-01-01T00:00:09.999Z"}, "v": 2},
     {"k": "b", "t": {"$date": "2024-01-01T00:00:10Z"}, "v": 3},
     {"k": "a", "t": {"$date": "2024-01-01T00:00:25Z"}, "v": 4}],
     "timeField": {"$toDate": "$t"}}},
  {"$tumblingWindow": {"interval": {"size": 10, "unit": "second"}, "allowedLateness": {"size": 0, "unit": "second"},
     "pipeline": [{"$group": {"_id": "$k", "sum": {"$sum": "$v"}, "n": {"$sum": 1}}}]}}]$$);

-- window bounds through $meta, inside the window pipeline
SELECT doc FROM asp.process($$[
  {"$source": {"documents": [{"t": {"$date": "2024-01-01T00:00:07Z"}}], "timeField": {"$toDate": "$t"}}},
  {"$tumblingWindow": {"interval": {"size": 5, "unit": "second"},
     "pipeline": [{"$group": {"_id": null, "n": {"$sum": 1}}},
                  {"$project": {"_id": 0, "n": 1, "from": {"$meta": "stream.window.start"}, "to": {"$meta": "stream.window.end"}}}]}}]$$);

-- allowed lateness: with 2 s, a document 1 s behind the watermark still counts;
-- one 20 s behind is late and goes to the dead letter queue
SELECT kind, doc FROM asp.process($$[
  {"$source": {"documents": [
     {"id": 1, "t": {"$date": "2024-01-01T00:00:01Z"}},
     {"id": 2, "t": {"$date": "2024-01-01T00:00:11Z"}},
     {"id": 3, "t": {"$date": "2024-01-01T00:00:09Z"}},
     {"id": 4, "t": {"$date": "2024-01-01T00:00:30Z"}},
     {"id": 5, "t": {"$date": "2024-01-01T00:00:05Z"}}],
     "timeField": {"$toDate": "$t"}}},
  {"$tumblingWindow": {"interval": {"size": 10, "unit": "second"}, "allowedLateness": {"size": 2, "unit": "second"},
     "pipeline": [{"$group": {"_id": null, "ids": {"$push": "$id"}}}]}}]$$);

-- the default allowed lateness is 3 seconds
SELECT kind, doc->'ids' AS ids, doc->'errInfo' AS err FROM asp.process($$[
  {"$source": {"documents": [
     {"id": 1, "t": {"$date": "2024-01-01T00:00:01Z"}},
     {"id": 2, "t": {"$date": "2024-01-01T00:00:12.999Z"}},
     {"id": 3, "t": {"$date": "2024-01-01T00:00:02Z"}},
     {"id": 4, "t": {"$date": "2024-01-01T00:00:13Z"}},
     {"id": 5, "t": {"$date": "2024-01-01T00:00:03Z"}}],
     "timeField": {"$toDate": "$t"}}},
  {"$tumblingWindow": {"interval": {"size": 10, "unit": "second"},
     "pipeline": [{"$group": {"_id": null, "ids": {"$push": "$id"}}}]}}]$$);

-- hopping: 10 s windows every 5 s: a document belongs to two windows
SELECT doc->'_stream_meta'->'window' AS win, doc->'ids' AS ids FROM asp.process($$[
  {"$source": {"documents": [
     {"id": 1, "t": {"$date": "2024-01-01T00:00:01Z"}},
     {"id": 2, "t": {"$date": "2024-01-01T00:00:06Z"}},
     {"id": 3, "t": {"$date": "2024-01-01T00:00:12Z"}}],
     "timeField": {"$toDate": "$t"}}},
  {"$hoppingWindow": {"interval": {"size": 10, "unit": "second"}, "hopSize": {"size": 5, "unit": "second"},
     "pipeline": [{"$group": {"_id": null, "ids": {"$push": "$id"}}}]}}]$$);

-- hopping with size not a multiple of hop (7 s every 3 s)
SELECT doc->'_stream_meta'->'window' AS win, doc->'ids' AS ids FROM asp.process($$[
  {"$source": {"documents": [
     {"id": 1, "t": {"$date": "2024-01-01T00:00:04Z"}},
     {"id": 2, "t": {"$date": "2024-01-01T00:00:08Z"}}],
     "timeField": {"$toDate": "$t"}}},
  {"$hoppingWindow": {"interval": {"size": 7, "unit": "second"}, "hopSize": {"size": 3, "unit": "second"},
     "pipeline": [{"$group": {"_id": null, "ids": {"$push": "$id"}}}]}}]$$);

-- empty windows emit nothing: a gap of 50 s gives no output for the windows in between;
-- a window whose documents are all filtered out emits nothing either
SELECT doc->'_stream_meta'->'window'->'start' AS start, doc->'n' AS n FROM asp.process($$[
  {"$source": {"documents": [
     {"t": {"$date": "2024-01-01T00:00:01Z"}, "keep": true},
     {"t": {"$date": "2024-01-01T00:00:15Z"}, "keep": false},
     {"t": {"$date": "2024-01-01T00:00:51Z"}, "keep": true}],
     "timeField": {"$toDate": "$t"}}},
  {"$tumblingWindow": {"interval": {"size": 10, "unit": "second"},
     "pipeline": [{"$match": {"keep": true}}, {"$group": {"_id": null, "n": {"$sum": 1}}}]}}]$$);

-- offset shifts the window grid
SELECT doc->'_stream_meta'->'window' AS win FROM asp.process($$[
  {"$source": {"documents": [{"t": {"$date": "2024-01-01T10:20:00Z"}}], "timeField": {"$toDate": "$t"}}},
  {"$tumblingWindow": {"interval": {"size": 1, "unit": "hour"}, "offset": {"offsetFromUtc": 15, "unit": "minute"},
     "pipeline": [{"$count": "n"}]}}]$$);

-- a window pipeline without a blocking stage emits its documents at close;
-- $sort, $limit and $count inside windows; stages after the window
SELECT doc FROM asp.process($$[
  {"$source": {"documents": [
     {"v": 3, "t": {"$date": "2024-01-01T00:00:01Z"}},
     {"v": 1, "t": {"$date": "2024-01-01T00:00:02Z"}},
     {"v": 2, "t": {"$date": "2024-01-01T00:00:03Z"}}],
     "timeField": {"$toDate": "$t"}}},
  {"$tumblingWindow": {"interval": {"size": 1, "unit": "minute"},
     "pipeline": [{"$project": {"_id": 0, "v": 1}}, {"$sort": {"v": -1}}, {"$limit": 2}]}},
  {"$project": {"v": 1}}]$$);
SELECT doc FROM asp.process($$[
  {"$source": {"documents": [
     {"v": 3, "t": {"$date": "2024-01-01T00:00:01Z"}},
     {"v": 1, "t": {"$date": "2024-01-01T00:00:02Z"}}],
     "timeField": {"$toDate": "$t"}}},
  {"$tumblingWindow": {"interval": {"size": 1, "unit": "minute"},
     "pipeline": [{"$count": "total"}]}}, {"$project": {"total": 1, "_id": 0}}]$$);
SELECT doc FROM asp.process($$[
  {"$source": {"documents": [
     {"k": "x", "v": 3, "t": {"$date": "2024-01-01T00:00:01Z"}},
     {"k": "y", "v": 1, "t": {"$date": "2024-01-01T00:00:02Z"}},
     {"k": "x", "v": 5, "t": {"$date": "2024-01-01T00:00:02Z"}}],
     "timeField": {"$toDate": "$t"}}},
  {"$tumblingWindow": {"interval": {"size": 1, "unit": "minute"},
     "pipeline": [{"$group": {"_id": "$k", "s": {"$sum": "$v"}}}, {"$sort": {"s": 1}},
                  {"$group": {"_id": null, "order": {"$push": "$_id"}}}]}},
  {"$project": {"_id": 0, "order": 1}}]$$);

-- timeField that is not a date: the document goes to the DLQ, the run goes on
SELECT kind, doc->'errInfo' AS err, doc->'operatorName' AS op FROM asp.process($$[
  {"$source": {"documents": [{"t": "not a date"}, {"t": 5}, {"t": {"$date": "2024-01-01T00:00:01Z"}}],
               "timeField": {"$toDate": "$t"}}},
  {"$tumblingWindow": {"interval": {"size": 1, "unit": "minute"}, "pipeline": [{"$count": "n"}]}},
  {"$project": {"n": 1}}]$$);

-- group keys: numbers of different types group together; missing is null; documents as keys
SELECT doc FROM asp.process($$[
  {"$source": {"documents": [
     {"k": 1, "t": {"$date": "2024-01-01T00:00:01Z"}},
     {"k": {"$numberLong": "1"}, "t": {"$date": "2024-01-01T00:00:01Z"}},
     {"k": 1.0, "t": {"$date": "2024-01-01T00:00:01Z"}},
     {"t": {"$date": "2024-01-01T00:00:01Z"}},
     {"k": null, "t": {"$date": "2024-01-01T00:00:01Z"}},
     {"k": {"a": 1, "b": 2}, "t": {"$date": "2024-01-01T00:00:01Z"}},
     {"k": {"a": 1, "b": 2}, "t": {"$date": "2024-01-01T00:00:01Z"}}],
     "timeField": {"$toDate": "$t"}}},
  {"$tumblingWindow": {"interval": {"size": 1, "unit": "minute"},
     "pipeline": [{"$group": {"_id": "$k", "n": {"$sum": 1}}}]}},
  {"$project": {"_stream_meta": 0}}]$$);

-- a runtime error inside the window pipeline goes to the DLQ with window metadata
SELECT kind, doc FROM asp.process($$[
  {"$source": {"documents": [
     {"a": 1, "b": 0, "t": {"$date": "2024-01-01T00:00:01Z"}},
     {"a": 4, "b": 2, "t": {"$date": "2024-01-01T00:00:02Z"}}],
     "timeField": {"$toDate": "$t"}}},
  {"$tumblingWindow": {"interval": {"size": 1, "unit": "minute"},
     "pipeline": [{"$project": {"_id": 0, "q": {"$divide": ["$a", "$b"]}}}, {"$group": {"_id": null, "s": {"$sum": "$q"}}}]}}]$$);

-- $group can read the window bounds: each hopping window sees its own
SELECT doc::jsonb - '_stream_meta' AS doc FROM asp.process($$[
  {"$source": {"documents": [
     {"t": {"$date": "2024-01-01T00:00:06Z"}},
     {"t": {"$date": "2024-01-01T00:00:07Z"}}],
     "timeField": {"$toDate": "$t"}}},
  {"$hoppingWindow": {"interval": {"size": 10, "unit": "second"}, "hopSize": {"size": 5, "unit": "second"},
     "pipeline": [{"$group": {"_id": {"$meta": "stream.window.start"}, "n": {"$sum": 1},
                              "last": {"$last": {"$meta": "stream.window.end"}}}}]}}]$$);
SELECT doc::jsonb - '_stream_meta' AS doc FROM asp.process($$[
  {"$source": {"documents": [{"t": {"$date": "2024-01-01T00:00:06Z"}}], "timeField": {"$toDate": "$t"}}},
  {"$tumblingWindow": {"interval": {"size": 10, "unit": "second"},
     "pipeline": [{"$group": {"_id": {"$meta": "stream.window.start"}, "n": {"$sum": 1}}}]}}]$$);

DROP FUNCTION win_docs(text[]);
