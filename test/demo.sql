-- demo.sql: the main job, the calcStats stream processor of the book's
-- section 15.6.6 running in a background worker: solar panel readings from
-- sample_stream_solar through a 10-second tumbling window, average watts
-- and maximum temperature per group, merged into the table solar_stats.
-- A short ephemeral run of the same window with asp.process comes first.
CREATE EXTENSION asp;
\pset pager off

\echo
\echo '== 1. Ephemeral run (asp.process): 400 readings, 20 s of event time, two windows =='
SELECT doc->>'_id' AS group_id,
       doc#>>'{_stream_meta,window,start,$date}' AS window_start,
       doc->'avg_watts' AS avg_watts,
       doc->'max_temp' AS max_temp
FROM asp.process($$[
  {"$source": {"connectionName": "sample_stream_solar",
               "timeField": {"$dateFromString": {"dateString": "$timestamp"}}}},
  {"$tumblingWindow": {
     "interval": {"size": 10, "unit": "second"},
     "pipeline": [
       {"$group": {"_id": "$group_id",
                   "avg_watts": {"$avg": "$obs.watts"},
                   "max_temp": {"$max": "$obs.temp"}}}]}}
]$$, '{"maxDocs": 400, "sampleStart": {"$date": "2024-05-01T10:00:00Z"}}')
WHERE kind = 'output'
ORDER BY window_start, (doc->>'_id')::int
LIMIT 20;

\echo
\echo '== 2. The calcStats stream processor (asp.create_processor, asp.start_processor) =='
SELECT asp.create_processor('calcStats', $$[
  {"$source": {"connectionName": "sample_stream_solar",
               "timeField": {"$dateFromString": {"dateString": "$timestamp"}}}},
  {"$tumblingWindow": {
     "interval": {"size": 10, "unit": "second"},
     "pipeline": [
       {"$group": {"_id": "$group_id",
                   "avg_watts": {"$avg": "$obs.watts"},
                   "max_temp": {"$max": "$obs.temp"}}}]}},
  {"$merge": {"into": {"connectionName": "local", "db": "public", "coll": "solar_stats"}}}
]$$);
SELECT asp.start_processor('calcStats');
SELECT name, state FROM asp.list_processors();

\echo
\echo '== waiting for two windows (up to 45 s): a 10-second window is written 3 s after its end =='
DO $$
DECLARE
  rows bigint := 0;
  outputs bigint := 0;
BEGIN
  FOR i IN 1..225 LOOP
    BEGIN
      -- EXECUTE (not to_regclass) sees the table once the worker created it
      EXECUTE 'SELECT count(*) FROM public.solar_stats' INTO rows;
    EXCEPTION WHEN undefined_table THEN
      rows := 0;
    END;
    outputs := (asp.stats('calcStats')->>'outputMessageCount')::bigint;
    EXIT WHEN rows >= 10 AND outputs >= 20;
    PERFORM pg_sleep(0.2);
  END LOOP;
  RAISE NOTICE 'after % s: % documents written into solar_stats, which has % rows',
    round(extract(epoch FROM clock_timestamp() - now())), outputs, rows;
END $$;

\echo
\echo '== public.solar_stats: $merge upserts on _id (the group), so each row holds the latest window =='
SELECT doc->>'_id' AS group_id,
       doc#>>'{_stream_meta,window,start,$date}' AS window_start,
       doc->'avg_watts' AS avg_watts,
       doc->'max_temp' AS max_temp
FROM public.solar_stats
ORDER BY window_start, (doc->>'_id')::int;

\echo
\echo '== asp.stats(''calcStats'') =='
SELECT key, value FROM json_each(asp.stats('calcStats'));

\echo
\echo '== asp.sample(''calcStats'', 3): its most recent output documents =='
SELECT * FROM asp.sample('calcStats', 3);

SELECT asp.stop_processor('calcStats');
SELECT name, state FROM asp.list_processors();
