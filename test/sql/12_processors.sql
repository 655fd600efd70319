-- stream processors: the catalog and the functions that manage it
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS asp;
RESET client_min_messages;
\pset null '(null)'
-- sqlstate_of: the SQLSTATE of a statement's error, 'ok' if none
CREATE FUNCTION pg_temp.sqlstate_of(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE q;
  RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE;
END $$;

-- create: the book's calcStats (section 15.6.6) writing its windows into a
-- table of this database, and a pipeline over a documents array
SELECT asp.create_processor('calcStats', $$[
  {"$source": {"connectionName": "sample_stream_solar",
               "timeField": {"$dateFromString": {"dateString": "$timestamp"}}}},
  {"$tumblingWindow": {"interval": {"size": 10, "unit": "second"},
     "pipeline": [{"$group": {"_id": "$group_id", "max_temp": {"$max": "$obs.temp"},
                              "avg_watts": {"$avg": "$obs.watts"}}}]}},
  {"$merge": {"into": {"connectionName": "local", "db": "public", "coll": "solar_stats"}}}]$$);
SELECT asp.create_processor('docs-1', '[{"$source": {"documents": [{"a": 1}, {"a": 2}]}}, {"$match": {"a": 2}}]',
                            '{"dlq": {"connectionName": "local", "db": "public", "coll": "docs_dlq"}}');
-- NULL options are the default, no options
SELECT asp.create_processor('no_options', '[{"$source": {"documents": []}}]', NULL);

-- list: the pipeline text as given (key order kept: max_temp before avg_watts)
SELECT id, name, state, error_msg, pipeline, options, owner = current_user::regrole AS owned_by_me
FROM asp.list_processors();
SELECT name, created <= now() AS created_ok, last_modified = created AS unmodified,
       last_state_change = created AS state_unchanged
FROM asp.list_processors() ORDER BY name;
SELECT json_typeof(pipeline) AS pipeline_type,
       pipeline->1->'$tumblingWindow'->'pipeline'->0->'$group' AS group_spec
FROM asp.list_processors() WHERE name = 'calcStats';
SELECT name, resume_from_checkpoint FROM asp.processors ORDER BY id;

-- duplicate names
SELECT asp.create_processor('calcStats', '[{"$source": {"documents": []}}]');
-- names are case-sensitive
SELECT asp.create_processor('CALCSTATS', '[{"$source": {"documents": []}}]');
SELECT asp.drop_processor('CALCSTATS');

-- bad names
SELECT asp.create_processor('', '[{"$source": {"documents": []}}]');
SELECT asp.create_processor('calc stats', '[{"$source": {"documents": []}}]');
SELECT asp.create_processor('calc.stats', '[{"$source": {"documents": []}}]');
SELECT asp.create_processor('réacteur', '[{"$source": {"documents": []}}]');
SELECT asp.create_processor(repeat('x', 65), '[{"$source": {"documents": []}}]');
SELECT asp.create_processor(repeat('x', 64), '[{"$source": {"documents": []}}]');
SELECT asp.drop_processor(repeat('x', 64));

-- NULL arguments
SELECT asp.create_processor(NULL, '[{"$source": {"documents": []}}]');
SELECT asp.create_processor('p', NULL);
SELECT asp.modify_processor(NULL);
SELECT asp.drop_processor(NULL);

-- invalid pipelines: the same errors as asp.process
SELECT asp.create_processor('bad', '{"$source": {"documents": []}}');
SELECT * FROM asp.process('{"$source": {"documents": []}}');
SELECT asp.create_processor('bad', '[{"$source": {"documents": []}}, {"$group": {"_id": 1}}]');
SELECT * FROM asp.process('[{"$source": {"documents": []}}, {"$group": {"_id": 1}}]');
SELECT asp.create_processor('bad', '[{"$source": {"connectionName": "kafka_prod"}}]');
SELECT * FROM asp.process('[{"$source": {"connectionName": "kafka_prod"}}]');
SELECT asp.create_processor('bad', $$[{"$source": {"connectionName": "sample_stream_solar"}},
  {"$tumblingWindow": {"interval": {"size": 0, "unit": "second"}, "pipeline": []}}]$$);
SELECT asp.create_processor('bad', $$[{"$source": {"documents": []}},
  {"$merge": {"into": {"connectionName": "atlas", "db": "d", "coll": "c"}}}]$$);
SELECT asp.create_processor('bad', $$[{"$source": {"documents": []}},
  {"$emit": {"connectionName": "local", "topic": "t"}}]$$);
SELECT asp.create_processor('bad', '[{"$source": {"documents": [{"d": {"$date": "yesterday"}}]}}]');
-- the json type itself refuses text that is not JSON
SELECT asp.create_processor('bad', '[{"$source": ');
SELECT count(*) AS bad_processors FROM asp.list_processors() WHERE name = 'bad';

-- dead letter queue options
SELECT asp.create_processor('dlq_ok', '[{"$source": {"documents": []}}]',
                            '{"dlq": {"coll": "c", "db": "d", "connectionName": "local"}}');
SELECT asp.create_processor('bad', '[{"$source": {"documents": []}}]',
                            '{"dlq": {"connectionName": "local", "db": "d"}}');
SELECT asp.create_processor('bad', '[{"$source": {"documents": []}}]',
                            '{"dlq": {"connectionName": "local", "db": 1, "coll": "c"}}');
SELECT asp.create_processor('bad', '[{"$source": {"documents": []}}]',
                            '{"dlq": {"connectionName": "local", "db": "", "coll": "c"}}');
SELECT asp.create_processor('bad', '[{"$source": {"documents": []}}]', '{"dlq": "local.d.c"}');
SELECT asp.create_processor('bad', '[{"$source": {"documents": []}}]',
                            '{"dlq": {"connectionName": "local", "db": "d", "coll": "c", "ttl": 5}}');
SELECT asp.create_processor('bad', '[{"$source": {"documents": []}}]', '{"tier": "SP10"}');
SELECT asp.create_processor('bad', '[{"$source": {"documents": []}}]',
                            '{"dlq": {"connectionName": "atlas", "db": "d", "coll": "c"}}');
SELECT asp.create_processor('bad', '[{"$source": {"documents": []}}]', '[]');
SELECT asp.create_processor('bad', '[{"$source": {"documents": []}}]', '{"dlq": {');
SELECT asp.create_processor('bad', '[{"$source": {"documents": []}}]',
                            '{"dlq": {"connectionName": "local", "db": "d", "coll": "c"}, "dlq": {}}');
SELECT name, options FROM asp.list_processors() WHERE name IN ('dlq_ok', 'bad') ORDER BY name;

-- modify: the pipeline only (options kept), then the options only (pipeline kept)
SELECT asp.modify_processor('docs-1', '[{"$source": {"documents": [{"b": 1}]}}, {"$project": {"b": 1, "a": 1}}]');
SELECT name, pipeline, options FROM asp.list_processors() WHERE name = 'docs-1';
SELECT asp.modify_processor('docs-1', options => '{}');
SELECT name, pipeline, options FROM asp.list_processors() WHERE name = 'docs-1';
SELECT last_modified > created AS modified_later, last_state_change = created AS state_unchanged
FROM asp.list_processors() WHERE name = 'docs-1';
-- the resume flag: false, then NULL keeps it, then the default (true)
SELECT asp.modify_processor('docs-1', resume_from_checkpoint => false);
SELECT name, resume_from_checkpoint FROM asp.processors WHERE name = 'docs-1';
SELECT asp.modify_processor('docs-1', resume_from_checkpoint => NULL);
SELECT name, resume_from_checkpoint FROM asp.processors WHERE name = 'docs-1';
SELECT asp.modify_processor('docs-1');
SELECT name, resume_from_checkpoint FROM asp.processors WHERE name = 'docs-1';
-- modify validates like create, and changes nothing on error
SELECT asp.modify_processor('docs-1', '[{"$match": {}}]');
SELECT asp.modify_processor('docs-1', options => '{"dlq": {"connectionName": "local"}}');
SELECT name, pipeline, options FROM asp.list_processors() WHERE name = 'docs-1';

-- a running processor cannot be modified (started through the catalog here;
-- 13_runtime runs processors, and drops a running one, which stops it first)
UPDATE asp.processors SET state = 'STARTED' WHERE name = 'dlq_ok';
SELECT asp.modify_processor('dlq_ok', '[{"$source": {"documents": []}}]');
UPDATE asp.processors SET state = 'FAILED', error_msg = 'boom' WHERE name = 'dlq_ok';
SELECT name, state, error_msg FROM asp.list_processors() WHERE name = 'dlq_ok';
SELECT asp.modify_processor('dlq_ok', resume_from_checkpoint => false);
SELECT asp.drop_processor('dlq_ok');

-- unknown names
SELECT asp.modify_processor('nope', '[{"$source": {"documents": []}}]');
SELECT asp.drop_processor('nope');
SELECT asp.drop_processor('calc stats');

-- drop
SELECT asp.drop_processor('no_options');
SELECT asp.drop_processor('no_options');
SELECT name FROM asp.list_processors() ORDER BY id;

-- ownership: members of asp_developer create processors, which they own;
-- only their owner (or asp_admin, or a superuser) modifies or drops them,
-- and a developer lists only its own; the catalog table itself is out of
-- reach (roles and privileges in detail: 17_roles)
CREATE ROLE asp_proc_alice;
CREATE ROLE asp_proc_bob;
GRANT asp_developer TO asp_proc_alice, asp_proc_bob;
SET ROLE asp_proc_alice;
SELECT asp.create_processor('alice_p', '[{"$source": {"documents": []}}]');
SELECT name, CASE WHEN owner::text LIKE 'asp_proc_%' THEN owner::text ELSE '(the superuser)' END AS owner
FROM asp.list_processors() ORDER BY id;
SELECT asp.drop_processor('calcStats');
SELECT asp.modify_processor('calcStats', '[{"$source": {"documents": []}}]');
SELECT * FROM asp.processors;
UPDATE asp.processors SET owner = 0;
SET ROLE asp_proc_bob;
SELECT asp.drop_processor('alice_p');
SELECT asp.modify_processor('alice_p', resume_from_checkpoint => false);
SET ROLE asp_proc_alice;
SELECT asp.modify_processor('alice_p', '[{"$source": {"documents": [{"x": 1}]}}]');
SELECT asp.drop_processor('alice_p');
SELECT asp.create_processor('alice_q', '[{"$source": {"documents": []}}]');
RESET ROLE;
-- members of the owning role act as its owner, as for other objects
GRANT asp_proc_alice TO asp_proc_bob;
SET ROLE asp_proc_bob;
SELECT asp.modify_processor('alice_q', resume_from_checkpoint => false);
RESET ROLE;
-- a superuser may drop anyone's processor
SELECT asp.drop_processor('alice_q');
SELECT name, CASE WHEN owner::text LIKE 'asp_proc_%' THEN owner::text ELSE '(the superuser)' END AS owner
FROM asp.list_processors() ORDER BY id;
-- an error inside a block leaves the caller's role in place
SET ROLE asp_proc_bob;
DO $$
BEGIN
  PERFORM asp.drop_processor('calcStats');
EXCEPTION WHEN insufficient_privilege THEN
  RAISE NOTICE 'caught: %; current_user is %', SQLERRM, current_user;
END $$;
SELECT current_user;
RESET ROLE;
SET ROLE asp_proc_alice;
SELECT pg_temp.sqlstate_of($q$SELECT asp.drop_processor('calcStats')$q$) AS not_owner;
RESET ROLE;
DROP ROLE asp_proc_alice, asp_proc_bob;

-- the catalog is an extension configuration table: pg_dump keeps its rows
SELECT c.relname, e.extconfig IS NOT NULL AS dumped
FROM pg_extension e JOIN pg_class c ON c.oid = ANY (e.extconfig) WHERE e.extname = 'asp';

-- the SQLSTATEs of the errors above (not owner: 42501, above)
UPDATE asp.processors SET state = 'STARTED' WHERE name = 'calcStats';
SELECT q, pg_temp.sqlstate_of(q) FROM (VALUES
  ($q$SELECT asp.create_processor('docs-1', '[{"$source": {"documents": []}}]')$q$),
  ($q$SELECT asp.create_processor('a b', '[{"$source": {"documents": []}}]')$q$),
  ($q$SELECT asp.create_processor(NULL, '[{"$source": {"documents": []}}]')$q$),
  ($q$SELECT asp.create_processor('x', '[{"$source": {}}]')$q$),
  ($q$SELECT asp.create_processor('x', '[{"$source": {"documents": []}}]', '{"a": 1}')$q$),
  ($q$SELECT asp.modify_processor('calcStats')$q$),
  ($q$SELECT asp.drop_processor('nope')$q$),
  ($q$SELECT asp.modify_processor('nope')$q$)) v(q);
UPDATE asp.processors SET state = 'STOPPED' WHERE name = 'calcStats';

-- clean up
SELECT asp.drop_processor(name) FROM asp.list_processors();
SELECT count(*) AS processors FROM asp.list_processors();
