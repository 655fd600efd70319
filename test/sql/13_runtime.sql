-- running stream processors: the launcher, workers, start/stop/stats
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS asp;
RESET client_min_messages;
\pset null '(null)'

\i test/sql/include/wait_for.psql

-- a processor over sample_stream_solar: 1-second windows per group into a
-- table, one row per group and window
SELECT asp.create_processor('rt_solar', $$[
  {"$source": {"connectionName": "sample_stream_solar"}},
  {"$tumblingWindow": {"interval": {"size": 1, "unit": "second"},
     "pipeline": [{"$group": {"_id": "$group_id", "n": {"$sum": 1}}},
                  {"$project": {"_id": {"g": "$_id", "start": {"$meta": "stream.window.start"}}, "n": 1}}]}},
  {"$merge": {"into": {"connectionName": "local", "db": "public", "coll": "rt_solar_out"}}}]$$);
-- not running: zeros, no watermark (processorId is the catalog id)
SELECT (asp.stats('rt_solar')::jsonb - 'processorId')::text AS stats,
       asp.stats('rt_solar')->>'processorId' = (SELECT id::text FROM asp.list_processors()
                                                WHERE name = 'rt_solar') AS id_ok;
SELECT asp.start_processor('rt_solar');
SELECT state FROM asp.list_processors() WHERE name = 'rt_solar';
-- starting a started processor is an error
SELECT asp.start_processor('rt_solar');
-- windows reach the table
SELECT pg_temp.wait_for($$SELECT to_regclass('public.rt_solar_out') IS NOT NULL
                            AND EXISTS (SELECT FROM public.rt_solar_out)$$) AS rows_appeared;
SELECT s->>'name' AS name, s->>'status' AS status,
       (s->>'inputMessageCount')::bigint > 0 AS has_input,
       (s->>'inputMessageSize')::bigint > 0 AS has_input_bytes,
       s->>'watermark' IS NOT NULL AS has_watermark
FROM asp.stats('rt_solar') AS s;
SELECT json_object_keys(asp.stats('rt_solar', true));
SELECT asp.stop_processor('rt_solar');
SELECT state, error_msg FROM asp.list_processors() WHERE name = 'rt_solar';
-- stopped: nothing more is written
CREATE TEMP TABLE rt_count AS SELECT count(*) AS n FROM public.rt_solar_out;
SELECT pg_sleep(1.5);
SELECT (SELECT n FROM rt_count) = count(*) AS no_growth FROM public.rt_solar_out;
SELECT (asp.stats('rt_solar')->>'inputMessageCount')::bigint AS input_when_stopped;
-- stopping a stopped processor is an error
SELECT asp.stop_processor('rt_solar');
-- restart, then drop while it runs: stopped first
SELECT asp.start_processor('rt_solar');
SELECT pg_temp.wait_for($$SELECT (asp.stats('rt_solar')->>'inputMessageCount')::bigint > 0$$) AS running_again;
SELECT asp.drop_processor('rt_solar');
SELECT count(*) AS left_over FROM asp.list_processors() WHERE name = 'rt_solar';
-- the worker is gone
SELECT pg_temp.wait_for($$SELECT NOT EXISTS (SELECT FROM pg_stat_activity
                            WHERE backend_type = 'asp stream processor')$$) AS worker_gone;

-- a documents source: pushed once, then the processor idles until stopped
SELECT asp.create_processor('rt_docs',
  '[{"$source": {"documents": [{"_id": 1, "a": 1}, {"_id": 2, "a": 2}, {"_id": 3, "a": 3}]}},
    {"$match": {"a": {"$gte": 2}}},
    {"$merge": {"into": {"connectionName": "local", "db": "public", "coll": "rt_docs_out"}}}]');
SELECT asp.start_processor('rt_docs');
SELECT pg_temp.wait_for($$SELECT to_regclass('public.rt_docs_out') IS NOT NULL
                            AND (SELECT count(*) FROM public.rt_docs_out) = 2$$) AS written;
SELECT _id, doc->'a' AS a FROM public.rt_docs_out ORDER BY _id;
-- the statistics follow the commit of each round
SELECT pg_temp.wait_for($$SELECT (asp.stats('rt_docs')->>'outputMessageCount')::bigint = 2$$) AS counted;
SELECT s->>'status' AS status, s->>'inputMessageCount' AS input, s->>'outputMessageCount' AS output
FROM asp.stats('rt_docs') AS s;
-- verbose: one entry per stage, in order (executionTimeMillis varies)
SELECT o->>'name' AS name, o->>'inputMessageCount' AS input, o->>'outputMessageCount' AS output,
       o->>'dlqMessageCount' AS dlq, o->>'maxMemoryUsage' AS mem,
       (o->>'executionTimeMillis')::bigint >= 0 AS has_time
FROM json_array_elements(asp.stats('rt_docs', true)->'operatorStats') AS o;
SELECT asp.stop_processor('rt_docs');
SELECT asp.drop_processor('rt_docs');

-- runtime errors go to the dead letter queue table of the options
SELECT asp.create_processor('rt_dlq',
  '[{"$source": {"documents": [{"_id": 1, "a": 1, "b": 0}, {"_id": 2, "a": 4, "b": 2}]}},
    {"$project": {"q": {"$divide": ["$a", "$b"]}}},
    {"$merge": {"into": {"connectionName": "local", "db": "public", "coll": "rt_dlq_out"}}}]',
  '{"dlq": {"connectionName": "local", "db": "public", "coll": "rt_dlq_dlq"}}');
SELECT asp.start_processor('rt_dlq');
SELECT pg_temp.wait_for($$SELECT (asp.stats('rt_dlq')->>'dlqMessageCount')::bigint = 1$$) AS counted;
SELECT _id, doc->'q' AS q FROM public.rt_dlq_out ORDER BY _id;
SELECT o->>'name' AS name, o->>'inputMessageCount' AS input, o->>'outputMessageCount' AS output,
       o->>'dlqMessageCount' AS dlq
FROM json_array_elements(asp.stats('rt_dlq', true)->'operatorStats') AS o;
SELECT count(*) AS dlq_rows, bool_and(doc->>'errInfo' IS NOT NULL) AS has_err_info,
       bool_and(doc->'doc'->>'_id' = '1') AS bad_doc
FROM public.rt_dlq_dlq;
SELECT asp.drop_processor('rt_dlq');

-- a processor whose owner cannot write its sink: refused at creation and
-- at start; if the privilege goes between the start and the worker's
-- start, the worker finds out and the processor is FAILED at once
CREATE TABLE public.rt_locked (_id jsonb PRIMARY KEY, doc jsonb NOT NULL);
SET client_min_messages = warning;
DROP ROLE IF EXISTS regress_asp_runtime;
RESET client_min_messages;
CREATE ROLE regress_asp_runtime LOGIN IN ROLE asp_developer;
SET ROLE regress_asp_runtime;
SELECT asp.create_processor('rt_locked',
  '[{"$source": {"documents": [{"_id": 1}]}},
    {"$merge": {"into": {"connectionName": "local", "db": "public", "coll": "rt_locked"}}}]');
RESET ROLE;
GRANT INSERT, SELECT, UPDATE ON public.rt_locked TO regress_asp_runtime;
SET ROLE regress_asp_runtime;
SELECT asp.create_processor('rt_locked',
  '[{"$source": {"documents": [{"_id": 1}]}},
    {"$merge": {"into": {"connectionName": "local", "db": "public", "coll": "rt_locked"}}}]');
RESET ROLE;
REVOKE INSERT ON public.rt_locked FROM regress_asp_runtime;
SET ROLE regress_asp_runtime;
SELECT asp.start_processor('rt_locked');
RESET ROLE;
GRANT INSERT ON public.rt_locked TO regress_asp_runtime;
BEGIN;
SET LOCAL ROLE regress_asp_runtime;
SELECT asp.start_processor('rt_locked');
RESET ROLE;
REVOKE INSERT, SELECT, UPDATE ON public.rt_locked FROM regress_asp_runtime;
COMMIT;
SELECT pg_temp.wait_for($$SELECT state = 'FAILED' FROM asp.list_processors()
                          WHERE name = 'rt_locked'$$) AS failed;
SELECT state, error_msg FROM asp.list_processors() WHERE name = 'rt_locked';
SELECT count(*) AS written FROM public.rt_locked;
-- a FAILED processor can be dropped
SELECT asp.drop_processor('rt_locked');
DROP ROLE regress_asp_runtime;

-- errors
SELECT asp.start_processor('no_such_processor');
SELECT asp.stop_processor('no_such_processor');
SELECT asp.stats('no_such_processor');

DROP TABLE public.rt_solar_out, public.rt_docs_out, public.rt_dlq_out, public.rt_dlq_dlq, public.rt_locked;
