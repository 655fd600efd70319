-- demo.sql: the main job on the embedded default.
-- Solar panel readings (as sample_stream_solar produces them) through a
-- 10-second tumbling window: average watts and maximum temperature per
-- group, exactly the calcStats processor of the book's section 15.6.6.
CREATE EXTENSION asp;
\pset pager off
\echo
\echo '== 10-second tumbling window over solar readings (asp.process) =='
SELECT kind,
       doc->>'_id' AS group_id,
       doc->'avg_watts' AS avg_watts,
       doc->'max_temp' AS max_temp,
       doc#>>'{_stream_meta,window,start,$date}' AS window_start
FROM asp.process($$[
  {"$source": {"connectionName": "sample_stream_solar",
               "timeField": {"$dateFromString": {"dateString": "$timestamp"}}}},
  {"$tumblingWindow": {
     "interval": {"size": 10, "unit": "second"},
     "pipeline": [
       {"$group": {"_id": "$group_id",
                   "avg_watts": {"$avg": "$obs.watts"},
                   "max_temp": {"$max": "$obs.temp"}}},
       {"$sort": {"_id": 1}}]}}
]$$, '{"maxDocs": 600, "sampleStart": {"$date": "2024-05-01T10:00:00Z"}}')
ORDER BY window_start, (doc->>'_id')::int;
