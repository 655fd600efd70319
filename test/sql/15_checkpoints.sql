-- checkpoints: the asp.checkpoints row a worker writes with its output,
-- resuming from it, discarding it, and the sample options
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS asp;
RESET client_min_messages;
\pset null '(null)'

\i test/sql/include/wait_for.psql

-- the checkpoints are not readable by other roles
SELECT has_table_privilege('public', 'asp.checkpoints', 'SELECT') AS public_can_read;

-- options.sample validation
SELECT asp.create_processor('bad', '[{"$source": {"documents": []}}]', '{"sample": 5}');
SELECT asp.create_processor('bad', '[{"$source": {"documents": []}}]', '{"sample": {"speed": 5}}');
SELECT asp.create_processor('bad', '[{"$source": {"documents": []}}]', '{"sample": {"seed": -1}}');
SELECT asp.create_processor('bad', '[{"$source": {"documents": []}}]', '{"sample": {"rate": 0}}');
SELECT asp.create_processor('bad', '[{"$source": {"documents": []}}]', '{"sample": {"maxDocs": 1.5}}');
SELECT asp.create_processor('bad', '[{"$source": {"documents": []}}]', '{"sample": {"start": "2024-01-01"}}');
SELECT asp.create_processor('bad', '[{"$source": {"documents": []}}]', '{"sample": {"unthrottled": 1}}');
SELECT asp.create_processor('bad', '[{"$source": {"documents": []}}]', '{"sample": {}, "sample": {}}');
SELECT asp.create_processor('bad', '[{"$source": {"documents": []}}]', '{"sample": {"devices": 0}}');
SELECT asp.create_processor('bad', '[{"$source": {"documents": []}}]', '{"sample": {"devices": 100001}}');

-- options.sample.devices: how many devices report (default 10)
SELECT asp.create_processor('ck_devices',
  '[{"$source": {"connectionName": "sample_stream_solar"}},
    {"$tumblingWindow": {"interval": {"size": 1, "unit": "hour"},
      "pipeline": [{"$group": {"_id": "$device_id", "n": {"$sum": 1}, "g": {"$first": "$group_id"}}}]}},
    {"$merge": {"into": {"connectionName": "local", "db": "public", "coll": "ck_devices"}}}]',
  '{"sample": {"seed": 7, "start": {"$date": "2024-05-01T00:00:00Z"}, "devices": 250,
               "maxDocs": 1000, "unthrottled": true}}');
SELECT asp.start_processor('ck_devices');
SELECT pg_temp.wait_for($$SELECT count(*) = 250 FROM public.ck_devices$$) AS written;
SELECT asp.stop_processor('ck_devices');
SELECT count(*) AS devices, min((doc->>'n')::int) AS min_n, max((doc->>'n')::int) AS max_n,
       count(DISTINCT doc->>'g') AS groups
FROM public.ck_devices;
SELECT asp.drop_processor('ck_devices');
DROP TABLE public.ck_devices;

-- a documents processor whose $merge fails on a duplicate _id: a second
-- run that pushed the documents again would dead-letter them
CREATE TABLE public.ck_dlq (_id jsonb PRIMARY KEY, doc jsonb NOT NULL);
SELECT asp.create_processor('ck_docs',
  '[{"$source": {"documents": [{"_id": 1, "a": 1}, {"_id": 2, "a": 2}, {"_id": 3, "a": 3}]}},
    {"$merge": {"into": {"connectionName": "local", "db": "public", "coll": "ck_out"},
                "whenMatched": "fail"}}]',
  '{"dlq": {"connectionName": "local", "db": "public", "coll": "ck_dlq"}}');
SELECT asp.start_processor('ck_docs');
SELECT pg_temp.wait_for($$SELECT count(*) = 3 FROM public.ck_out$$) AS written;
SELECT pg_temp.wait_for($$SELECT position = 3 FROM asp.checkpoints c JOIN asp.processors p
                          ON p.id = c.processor_id WHERE p.name = 'ck_docs'$$) AS checkpointed;
SELECT asp.stop_processor('ck_docs');
SELECT c.position, length(c.state) > 0 AS has_state
FROM asp.checkpoints c JOIN asp.processors p ON p.id = c.processor_id WHERE p.name = 'ck_docs';

-- started again: resumes after the documents, nothing is written twice
SELECT asp.start_processor('ck_docs');
SELECT pg_temp.wait_for($$SELECT (asp.stats('ck_docs')->>'inputMessageCount')::bigint = 3$$) AS stats_restored;
SELECT pg_sleep(0.5);
SELECT asp.stop_processor('ck_docs');
SELECT (SELECT count(*) FROM public.ck_out) AS out_rows,
       (SELECT count(*) FROM public.ck_dlq) AS dlq_rows;

-- modify with the same pipeline keeps the checkpoint; resume_from_checkpoint
-- => false discards it, and the documents are pushed again
SELECT asp.modify_processor('ck_docs', options => '{"dlq": {"connectionName": "local", "db": "public", "coll": "ck_dlq"}}');
SELECT count(*) AS checkpoints FROM asp.checkpoints c JOIN asp.processors p
  ON p.id = c.processor_id WHERE p.name = 'ck_docs';
SELECT asp.modify_processor('ck_docs', resume_from_checkpoint => false);
SELECT count(*) AS checkpoints FROM asp.checkpoints c JOIN asp.processors p
  ON p.id = c.processor_id WHERE p.name = 'ck_docs';
SELECT asp.start_processor('ck_docs');
SELECT pg_temp.wait_for($$SELECT count(*) = 3 FROM public.ck_dlq$$) AS pushed_again;
SELECT asp.stop_processor('ck_docs');

-- a new pipeline discards the checkpoint too
SELECT asp.modify_processor('ck_docs', resume_from_checkpoint => true);
SELECT asp.start_processor('ck_docs');
SELECT pg_temp.wait_for($$SELECT count(*) = 1 FROM asp.checkpoints c JOIN asp.processors p
                          ON p.id = c.processor_id WHERE p.name = 'ck_docs'$$) AS checkpointed;
SELECT asp.stop_processor('ck_docs');
SELECT asp.modify_processor('ck_docs', pipeline => '[{"$source": {"documents": []}}]');
SELECT count(*) AS checkpoints FROM asp.checkpoints c JOIN asp.processors p
  ON p.id = c.processor_id WHERE p.name = 'ck_docs';

-- the generator with fixed parameters: maxDocs documents, then idle
SELECT asp.create_processor('ck_sample',
  '[{"$source": {"connectionName": "sample_stream_solar"}},
    {"$tumblingWindow": {"interval": {"size": 1, "unit": "second"},
                         "pipeline": [{"$group": {"_id": "$group_id", "n": {"$sum": 1}}}]}},
    {"$project": {"_id": 0, "g": "$_id", "n": 1}},
    {"$merge": {"into": {"connectionName": "local", "db": "public", "coll": "ck_sample_out"}}}]',
  '{"sample": {"seed": 3, "start": {"$date": "2024-01-01T00:00:00Z"}, "rate": 5, "maxDocs": 120,
               "unthrottled": true}}');
SELECT asp.start_processor('ck_sample');
SELECT pg_temp.wait_for($$SELECT position = 120 FROM asp.checkpoints c JOIN asp.processors p
                          ON p.id = c.processor_id WHERE p.name = 'ck_sample'$$) AS done;
SELECT pg_temp.wait_for($$SELECT sum((doc->>'n')::int) = 120 FROM public.ck_sample_out$$) AS all_counted;
-- 12 readings of each of 10 devices, 200 ms apart: 3 windows of 10 groups
SELECT count(*) AS results, count(DISTINCT doc->'g') AS groups FROM public.ck_sample_out;
-- dropping a processor drops its checkpoint
SELECT asp.drop_processor('ck_sample');
SELECT asp.drop_processor('ck_docs');
SELECT count(*) AS checkpoints FROM asp.checkpoints;

DROP TABLE public.ck_out, public.ck_dlq, public.ck_sample_out;
