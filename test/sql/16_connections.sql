-- the connection registry: create, alter, drop, list, test, grants
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS asp;
RESET client_min_messages;
\pset null '(null)'
-- err: the SQLSTATE and message of a statement's error, 'ok' if none
CREATE FUNCTION pg_temp.err(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  m text;
BEGIN
  EXECUTE q;
  RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS m = MESSAGE_TEXT;
  RETURN SQLSTATE || ': ' || m;
END $$;
-- names_key: for a config the checks refuse: the SQLSTATE, whether the
-- message names the key, and whether the message, detail or hint holds a
-- secret (the wording is the checks' own)
CREATE FUNCTION pg_temp.names_key(q text, key text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  m text;
  d text;
  h text;
BEGIN
  EXECUTE q;
  RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS m = MESSAGE_TEXT, d = PG_EXCEPTION_DETAIL, h = PG_EXCEPTION_HINT;
  RETURN SQLSTATE || ', names ' || key || ': ' || (position(key in m) > 0)
    || ', secret shown: ' || (concat(m, d, h) ~ '(hunter2|mongo-pw)');
END $$;
SELECT coalesce(max(id), 0) AS audit_start FROM asp.audit_log \gset

-- the built-in connections, usable by asp_developer by default
SELECT name, type, owner IS NOT NULL AS has_owner, config, grantees FROM asp.list_connections();
SELECT test_connection FROM asp.test_connection('sample_stream_solar');
SELECT test_connection FROM asp.test_connection('local');

-- a Kafka connection and a MongoDB connection, with secrets
SELECT asp.create_connection('kafka1', 'kafka', $${"bootstrapServers": "127.0.0.1:1",
  "security": {"protocol": "SASL_PLAINTEXT", "mechanism": "PLAIN", "username": "app",
               "password": "hunter2-kafka"}}$$);
SELECT asp.create_connection('mongo1', 'mongodb',
  '{"uri": "mongodb://app:mongo-pw-123@127.0.0.1:1/?serverSelectionTimeoutMS=300"}');
-- list: every secret masked
SELECT name, type, config FROM asp.list_connections() ORDER BY name;
SELECT count(*) AS configs_with_secrets FROM asp.list_connections()
WHERE config::text ~ '(hunter2|mongo-pw)';
-- stored as given, readable by superusers only
SELECT name, config FROM asp.connections WHERE NOT builtin ORDER BY name;
SELECT r AS role, has_table_privilege(r, 'asp.connections', 'SELECT') AS read_connections,
       has_table_privilege(r, 'asp.connection_grants', 'SELECT') AS read_grants,
       has_table_privilege(r, 'asp.audit_log', 'SELECT') AS read_audit,
       has_table_privilege(r, 'asp.audit_log', 'INSERT,UPDATE,DELETE,TRUNCATE') AS write_audit
FROM unnest(ARRAY['public', 'asp_admin', 'asp_developer', 'asp_monitor']) r;

-- bad input: names, types, NULLs, duplicates
SELECT asp.create_connection('kafka1', 'kafka', '{"bootstrapServers": "b:9092"}');
SELECT asp.create_connection('', 'kafka', '{"bootstrapServers": "b:9092"}');
SELECT asp.create_connection('bad name', 'kafka', '{"bootstrapServers": "b:9092"}');
SELECT asp.create_connection(repeat('k', 65), 'kafka', '{"bootstrapServers": "b:9092"}');
SELECT asp.create_connection(NULL, 'kafka', '{"bootstrapServers": "b:9092"}');
SELECT asp.create_connection('k', NULL, '{"bootstrapServers": "b:9092"}');
SELECT asp.create_connection('k', 'kafka', NULL);
SELECT asp.create_connection('k', 'rabbitmq', '{}');
SELECT asp.create_connection('k', 'postgres', '{}');
SELECT asp.create_connection('k', 'sample', '{}');
SELECT asp.create_connection('k', 'kafka', '[]');
SELECT asp.create_connection('k', 'kafka', '"b:9092"');
-- the json type refuses text that is not JSON (before asp sees it)
SELECT asp.create_connection('k', 'kafka', '{"bootstrapServers": ');
-- configs the checks refuse, naming the key, without showing a secret
SELECT pg_temp.names_key($q$SELECT asp.create_connection('k', 'kafka', '{"bootstrapServer": "b:9092"}')$q$, 'bootstrapServer');
SELECT pg_temp.names_key($q$SELECT asp.create_connection('k', 'kafka', '{}')$q$, 'bootstrapServers');
SELECT pg_temp.names_key($q$SELECT asp.create_connection('k', 'kafka', '{"bootstrapServers": 9092}')$q$, 'bootstrapServers');
SELECT pg_temp.names_key($q$SELECT asp.create_connection('k', 'kafka',
  '{"bootstrapServers": "b:9092", "security": {"protocol": "SASL_SSL", "mechanism": "PLAIN",
    "username": "app", "password": "hunter2-kafka", "user": "app"}}')$q$, 'security.user');
SELECT pg_temp.names_key($q$SELECT asp.create_connection('k', 'kafka',
  '{"bootstrapServers": "b:9092", "security": {"protocol": "SASL_SSL", "mechanism": "PLAIN",
    "username": "app", "password": 12345}}')$q$, 'security.password');
SELECT pg_temp.names_key($q$SELECT asp.create_connection('m', 'mongodb', '{}')$q$, 'uri');
SELECT pg_temp.names_key($q$SELECT asp.create_connection('m', 'mongodb', '{"uri": true}')$q$, 'uri');
SELECT pg_temp.names_key($q$SELECT asp.create_connection('m', 'mongodb',
  '{"uri": "mongodb://app:mongo-pw-123@h:27017", "url": "x"}')$q$, 'url');
SELECT count(*) AS not_created FROM asp.list_connections() WHERE name IN ('k', 'm');

-- alter: the config is replaced; a secret given masked keeps its value
SELECT asp.alter_connection('kafka1', $${"bootstrapServers": "127.0.0.1:2",
  "security": {"protocol": "SASL_PLAINTEXT", "mechanism": "PLAIN", "username": "app",
               "password": "******"}}$$);
SELECT config FROM asp.connections WHERE name = 'kafka1';
SELECT asp.alter_connection('mongo1', (SELECT config FROM asp.list_connections() WHERE name = 'mongo1'));
SELECT config FROM asp.connections WHERE name = 'mongo1';
SELECT asp.alter_connection('kafka1', $${"bootstrapServers": "127.0.0.1:1",
  "security": {"protocol": "SASL_PLAINTEXT", "mechanism": "PLAIN", "username": "app",
               "password": "hunter2-new"}}$$);
SELECT config FROM asp.list_connections() WHERE name = 'kafka1';
SELECT config ~ 'hunter2-new' AS new_password_stored FROM asp.connections WHERE name = 'kafka1';
SELECT pg_temp.names_key($q$SELECT asp.alter_connection('kafka1', '{"bootstrapServers": "b", "x": 1}')$q$, 'x');
SELECT asp.alter_connection('local', '{}');
SELECT asp.alter_connection('sample_stream_solar', '{}');
SELECT asp.alter_connection('nope', '{}');
SELECT asp.alter_connection(NULL, '{}');
SELECT asp.alter_connection('kafka1', NULL);
SELECT asp.alter_connection('kafka1', '[1]');

-- test_connection: unreachable servers give ok = false and the library's
-- message (its text varies: shown is whether there is one), never a secret
SELECT r->>'ok' AS ok, r->>'type' AS type, coalesce(r->>'error', '') <> '' AS has_error,
       r::text !~ '(hunter2|mongo-pw)' AS no_secret
FROM asp.test_connection('kafka1', 500) r;
SELECT r->>'ok' AS ok, r->>'type' AS type, coalesce(r->>'error', '') <> '' AS has_error,
       r::text !~ '(hunter2|mongo-pw)' AS no_secret
FROM asp.test_connection('mongo1', 500) r;
SELECT asp.test_connection('nope');
SELECT asp.test_connection(NULL);
SELECT asp.test_connection('kafka1', 0);
SELECT asp.test_connection('kafka1', NULL);

-- drop: refused while a processor uses the connection, naming them
SELECT asp.create_processor('uses_kafka1', '[{"$source": {"connectionName": "kafka1", "topic": "t"}}]');
SELECT asp.create_processor('uses_mongo1', $$[{"$source": {"documents": []}},
  {"$merge": {"into": {"connectionName": "mongo1", "db": "d", "coll": "c"}}}]$$);
SELECT asp.create_processor('also_kafka1', $$[{"$source": {"connectionName": "kafka1", "topic": "t"}},
  {"$match": {"a": 1}}]$$);
SELECT asp.drop_connection('kafka1');
SELECT asp.drop_connection('mongo1');
-- a Kafka connection cannot be a $merge target, nor MongoDB be $emit'ed to
SELECT asp.create_processor('bad', $$[{"$source": {"documents": []}},
  {"$merge": {"into": {"connectionName": "kafka1", "db": "d", "coll": "c"}}}]$$);
SELECT asp.create_processor('bad', $$[{"$source": {"documents": []}},
  {"$emit": {"connectionName": "mongo1", "topic": "t"}}]$$);
SELECT asp.drop_processor('uses_kafka1');
SELECT asp.drop_processor('also_kafka1');
SELECT asp.drop_processor('uses_mongo1');
SELECT asp.drop_connection('kafka1');
SELECT asp.drop_connection('kafka1');
SELECT asp.drop_connection('local');
SELECT asp.drop_connection('sample_stream_solar');
SELECT asp.drop_connection(NULL);

-- grants: bad input
SELECT asp.grant_connection('nope', 'asp_developer');
SELECT asp.grant_connection('mongo1', 'regress_asp_no_such_role');
SELECT asp.grant_connection(NULL, 'asp_developer');
SELECT asp.grant_connection('mongo1', NULL);
SELECT asp.revoke_connection('mongo1', 'regress_asp_no_such_role');
-- granting twice and revoking what was not granted say so
SELECT asp.grant_connection('mongo1', 'asp_monitor');
SELECT asp.grant_connection('mongo1', 'asp_monitor');
SELECT name, grantees FROM asp.list_connections() WHERE name = 'mongo1';
SELECT asp.revoke_connection('mongo1', 'asp_monitor');
SELECT asp.revoke_connection('mongo1', 'asp_monitor');
SELECT asp.drop_connection('mongo1');
SELECT name FROM asp.list_connections();

-- the audit log of all of the above: every action, successful or not,
-- with secrets masked
-- (the checks' own messages are not shown: their wording is theirs)
SELECT role = current_user AS me, action, target, success,
       CASE WHEN detail ~ '^22023: invalid (kafka|mongodb) connection config'
            THEN '22023: invalid connection config: (the message of the checks)'
            WHEN detail = 'owner ' || current_user THEN 'owner (me)' ELSE detail END AS detail
FROM asp.audit_log WHERE id > :audit_start ORDER BY id;
SELECT count(*) AS audit_rows_with_secrets FROM asp.audit_log WHERE detail ~ '(hunter2|mongo-pw)';
