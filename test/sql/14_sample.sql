-- asp.sample: the most recent output documents of a running processor
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS asp;
RESET client_min_messages;

-- wait_for: poll a boolean query every 0.2 s, at most n times
CREATE FUNCTION pg_temp.wait_for(q text, n int) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
  ok boolean;
BEGIN
  FOR i IN 1..n LOOP
    EXECUTE q INTO ok;
    IF ok THEN
      RETURN true;
    END IF;
    PERFORM pg_sleep(0.2);
  END LOOP;
  RETURN false;
END $$;

-- average watts per group in 1-second windows, into a table
SELECT asp.create_processor('sample_solar', $$[
  {"$source": {"connectionName": "sample_stream_solar"}},
  {"$tumblingWindow": {"interval": {"size": 1, "unit": "second"},
     "pipeline": [{"$group": {"_id": "$group_id", "avg_watts": {"$avg": "$obs.watts"}}}]}},
  {"$merge": {"into": {"connectionName": "local", "db": "public", "coll": "sample_solar_out"}}}]$$);
-- not running yet
SELECT * FROM asp.sample('sample_solar');
SELECT asp.start_processor('sample_solar');
-- the worker reads (run alone, this waits for the launcher's first
-- restart: it starts before pg_regress creates the database)
SELECT pg_temp.wait_for($$SELECT (asp.stats('sample_solar')->>'inputMessageCount')::bigint > 0$$, 100)
  AS running;
-- the first 1-second window closes: at most 10 s
SELECT pg_temp.wait_for($$SELECT EXISTS (SELECT FROM asp.sample('sample_solar'))$$, 50) AS sampled;
-- the shape of the documents
SELECT count(*) BETWEEN 1 AND 10 AS at_most_10,
       bool_and(d->'_id' IS NOT NULL) AS has_id,
       bool_and(json_typeof(d->'avg_watts') = 'number') AS has_avg_watts,
       bool_and(d#>'{_stream_meta,window,start}' IS NOT NULL
                AND d#>'{_stream_meta,window,end}' IS NOT NULL) AS has_window
FROM asp.sample('sample_solar') AS d;
-- max_docs bounds the count; the newest come last
SELECT count(*) AS one FROM asp.sample('sample_solar', 1);
SELECT count(*) <= 1000 AS at_most_1000 FROM asp.sample('sample_solar', 1000);
-- oldest first: window starts never decrease
SELECT bool_and(s >= prev) IS NOT FALSE AS newest_last
FROM (SELECT d#>>'{_stream_meta,window,start}' AS s,
             lag(d#>>'{_stream_meta,window,start}') OVER (ORDER BY n) AS prev
      FROM asp.sample('sample_solar', 1000) WITH ORDINALITY AS t(d, n)) AS w;
-- errors
SELECT * FROM asp.sample('sample_solar', 0);
SELECT * FROM asp.sample('sample_solar', 1001);
SELECT * FROM asp.sample('sample_solar', NULL);
SELECT * FROM asp.sample(NULL);
SELECT * FROM asp.sample('no_such_processor');
SELECT asp.stop_processor('sample_solar');
-- stopped: not running
SELECT * FROM asp.sample('sample_solar');
SELECT asp.drop_processor('sample_solar');
DROP TABLE public.sample_solar_out;
