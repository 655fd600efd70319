-- roles and privileges: asp_admin, asp_developer, asp_monitor, connection
-- grants, processors running as their owner, and the audit of refusals
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS asp;
DROP ROLE IF EXISTS regress_asp_admin, regress_asp_dev1, regress_asp_dev2,
  regress_asp_mon, regress_asp_nobody;
RESET client_min_messages;
\pset null '(null)'
SELECT coalesce(max(id), 0) AS audit_start FROM asp.audit_log \gset

-- the extension's roles: NOLOGIN, created only if missing
SELECT rolname, rolcanlogin, rolsuper FROM pg_roles
WHERE rolname IN ('asp_admin', 'asp_developer', 'asp_monitor') ORDER BY rolname;
SELECT has_schema_privilege(r, 'asp', 'USAGE') AS usage, r AS role
FROM unnest(ARRAY['asp_admin', 'asp_developer', 'asp_monitor']) r;

CREATE ROLE regress_asp_admin IN ROLE asp_admin;
CREATE ROLE regress_asp_dev1 LOGIN IN ROLE asp_developer;
CREATE ROLE regress_asp_dev2 IN ROLE asp_developer;
CREATE ROLE regress_asp_mon IN ROLE asp_monitor;
CREATE ROLE regress_asp_nobody;
GRANT USAGE ON SCHEMA asp TO regress_asp_nobody;
CREATE SCHEMA regress_asp_s;
CREATE TABLE regress_asp_s.open_t (_id jsonb PRIMARY KEY, doc jsonb NOT NULL);
CREATE TABLE regress_asp_s.closed_t (_id jsonb PRIMARY KEY, doc jsonb NOT NULL);
GRANT USAGE ON SCHEMA regress_asp_s TO asp_developer;
GRANT INSERT, SELECT, UPDATE ON regress_asp_s.open_t TO asp_developer;
GRANT SELECT ON regress_asp_s.closed_t TO asp_developer;

-- a role with none of asp's roles: every function refuses, with a hint
SET ROLE regress_asp_nobody;
\set VERBOSITY default
SELECT asp.create_connection('k', 'kafka', '{"bootstrapServers": "b:9092", "security": {"password": "hunter2-x"}}');
SELECT asp.alter_connection('local', '{}');
SELECT asp.drop_connection('local');
SELECT asp.grant_connection('local', 'regress_asp_nobody');
SELECT asp.revoke_connection('local', 'asp_developer');
SELECT * FROM asp.list_connections();
SELECT asp.test_connection('local');
SELECT asp.create_processor('p', '[{"$source": {"documents": []}}]');
SELECT asp.modify_processor('p');
SELECT asp.start_processor('p');
SELECT asp.stop_processor('p');
SELECT asp.drop_processor('p');
SELECT * FROM asp.list_processors();
SELECT asp.stats('p');
SELECT * FROM asp.sample('p');
SELECT * FROM asp.process('[{"$source": {"connectionName": "sample_stream_solar"}}]', '{"maxDocs": 1}');
-- a documents source needs no connection
SELECT count(*) FROM asp.process('[{"$source": {"documents": [{"a": 1}]}}]');
SELECT * FROM asp.audit_log;
SELECT * FROM asp.connections;
SELECT * FROM asp.processors;
RESET ROLE;
-- every refusal above is in the audit log, although each statement failed
SELECT role, action, target, success, detail FROM asp.audit_log
WHERE id > :audit_start ORDER BY id;
-- ... even when the transaction that tried it rolls back
SELECT max(id) AS audit_mark FROM asp.audit_log \gset
BEGIN;
SET LOCAL ROLE regress_asp_nobody;
SELECT asp.drop_connection('local');
ROLLBACK;
SELECT role, action, target, success, detail FROM asp.audit_log WHERE id > :audit_mark;
-- ... and when a PL/pgSQL block catches the error
SET ROLE regress_asp_nobody;
DO $$
BEGIN
  PERFORM asp.drop_processor('p');
EXCEPTION WHEN insufficient_privilege THEN
  RAISE NOTICE 'caught: %; current_user is %', SQLERRM, current_user;
END $$;
RESET ROLE;
SELECT role, action, success FROM asp.audit_log WHERE id > :audit_mark ORDER BY id;

-- asp_admin: connections and their grants, but not the stored secrets
SET ROLE regress_asp_admin;
SELECT asp.create_connection('regress_kafka', 'kafka', $${"bootstrapServers": "127.0.0.1:1",
  "security": {"protocol": "SASL_SSL", "mechanism": "PLAIN", "username": "u", "password": "hunter2-team"}}$$);
SELECT name, config, grantees FROM asp.list_connections() WHERE name = 'regress_kafka';
SELECT config FROM asp.connections;
SELECT asp.alter_connection('regress_kafka', $${"bootstrapServers": "127.0.0.1:1",
  "security": {"protocol": "SASL_SSL", "mechanism": "PLAIN", "username": "u", "password": "******"}}$$);
-- a file of the database server as a CA or key needs pg_read_server_files
SELECT asp.create_connection('regress_kafka_ca', 'kafka',
  '{"bootstrapServers": "127.0.0.1:1", "config": {"ssl.ca.location": "/etc/ssl/certs"}}');
SELECT asp.alter_connection('regress_kafka', $${"bootstrapServers": "127.0.0.1:1",
  "config": {"ssl.ca.location": "/etc/ssl/certs"}}$$);
SELECT asp.create_connection('regress_mongo_ca', 'mongodb',
  '{"uri": "mongodb://127.0.0.1:1/?tls=true&tlsCAFile=/etc/ssl/certs/ca-certificates.crt"}');
RESET ROLE;
GRANT pg_read_server_files TO regress_asp_admin;
SET ROLE regress_asp_admin;
SELECT asp.create_connection('regress_kafka_ca', 'kafka',
  '{"bootstrapServers": "127.0.0.1:1", "config": {"ssl.ca.location": "/etc/ssl/certs"}}');
SELECT asp.drop_connection('regress_kafka_ca');
RESET ROLE;
REVOKE pg_read_server_files FROM regress_asp_admin;

-- asp_developer: its own processors, with the connections granted to it
SET ROLE regress_asp_dev1;
SELECT asp.create_connection('k', 'kafka', '{"bootstrapServers": "b:9092"}');
SELECT name, type, config, grantees FROM asp.list_connections();
SELECT asp.test_connection('sample_stream_solar');
SELECT asp.test_connection('regress_kafka');
SELECT asp.create_processor('dev1_p', $$[{"$source": {"connectionName": "sample_stream_solar"}},
  {"$merge": {"into": {"connectionName": "local", "db": "regress_asp_s", "coll": "open_t"}}}]$$);
-- a connection not granted to it
SELECT asp.create_processor('dev1_k', '[{"$source": {"connectionName": "regress_kafka", "topic": "t"}}]');
SELECT * FROM asp.process('[{"$source": {"connectionName": "regress_kafka", "topic": "t"}}]');
-- tables it may not write: at creation, naming the missing grant
SELECT asp.create_processor('dev1_c', $$[{"$source": {"documents": []}},
  {"$merge": {"into": {"connectionName": "local", "db": "regress_asp_s", "coll": "closed_t"}}}]$$);
SELECT asp.create_processor('dev1_c', $$[{"$source": {"documents": []}},
  {"$merge": {"into": {"connectionName": "local", "db": "regress_asp_s", "coll": "closed_t"},
              "whenMatched": "keepExisting"}}]$$);
SELECT asp.create_processor('dev1_c', $$[{"$source": {"documents": []}},
  {"$merge": {"into": {"connectionName": "local", "db": "regress_asp_s", "coll": "new_t"}}}]$$);
SELECT asp.create_processor('dev1_c', $$[{"$source": {"documents": []}},
  {"$merge": {"into": {"connectionName": "local", "db": "public", "coll": "t"}}}]$$);
SELECT asp.create_processor('dev1_c', '[{"$source": {"documents": []}}]',
  '{"dlq": {"connectionName": "local", "db": "regress_asp_s", "coll": "closed_t"}}');
SELECT asp.modify_processor('dev1_p', options => '{"dlq": {"connectionName": "local", "db": "regress_asp_s", "coll": "closed_t"}}');
-- not for another owner
SELECT asp.create_processor('dev1_o', '[{"$source": {"documents": []}}]', owner => 'regress_asp_dev2');
SELECT asp.create_processor('dev1_o', '[{"$source": {"documents": []}}]', owner => 'regress_asp_dev1');
SELECT name, owner FROM asp.list_processors() ORDER BY name;
RESET ROLE;

-- a team gets one connection: a grant to the role (or a role it is in)
SET ROLE regress_asp_admin;
SELECT asp.grant_connection('regress_kafka', 'regress_asp_dev1');
SELECT name, grantees FROM asp.list_connections() WHERE name = 'regress_kafka';
RESET ROLE;
SET ROLE regress_asp_dev1;
SELECT name FROM asp.list_connections();
SELECT asp.create_processor('dev1_k', '[{"$source": {"connectionName": "regress_kafka", "topic": "t"}}]');
RESET ROLE;
-- revoked: start fails, naming the grant that is missing
SET ROLE regress_asp_admin;
SELECT asp.revoke_connection('regress_kafka', 'regress_asp_dev1');
RESET ROLE;
SET ROLE regress_asp_dev1;
SELECT asp.start_processor('dev1_k');
SELECT name, state FROM asp.list_processors() WHERE name = 'dev1_k';
RESET ROLE;
-- a table privilege revoked: start fails too
REVOKE UPDATE ON regress_asp_s.open_t FROM asp_developer;
SET ROLE regress_asp_dev1;
SELECT asp.start_processor('dev1_p');
RESET ROLE;
GRANT UPDATE ON regress_asp_s.open_t TO asp_developer;
-- the built-in grants can be revoked by an admin, and given back
SET ROLE regress_asp_admin;
SELECT asp.revoke_connection('sample_stream_solar', 'asp_developer');
SET ROLE regress_asp_dev1;
SELECT asp.start_processor('dev1_p');
SELECT count(*) FROM asp.process('[{"$source": {"connectionName": "sample_stream_solar"}}]', '{"maxDocs": 1}');
SET ROLE regress_asp_admin;
SELECT asp.grant_connection('sample_stream_solar', 'asp_developer');
RESET ROLE;

-- another developer: not dev1's processors
SET ROLE regress_asp_dev2;
SELECT name FROM asp.list_processors();
SELECT asp.modify_processor('dev1_p', resume_from_checkpoint => false);
SELECT asp.start_processor('dev1_p');
SELECT asp.stop_processor('dev1_p');
SELECT asp.drop_processor('dev1_p');
SELECT asp.stats('dev1_p');
SELECT * FROM asp.sample('dev1_p');
SELECT asp.modify_processor('nope');
RESET ROLE;

-- asp_monitor: sees every processor and connection (masked), reads stats
-- and the audit log, changes nothing
SET ROLE regress_asp_mon;
SELECT name, owner FROM asp.list_processors() WHERE name LIKE 'dev1%' ORDER BY name;
SELECT name, config, grantees FROM asp.list_connections() WHERE NOT name LIKE 'regress%' OR name = 'regress_kafka';
SELECT asp.stats('dev1_p')->>'status' AS status;
SELECT * FROM asp.sample('dev1_p');
SELECT asp.test_connection('local');
SELECT asp.create_processor('mon_p', '[{"$source": {"documents": []}}]');
SELECT asp.start_processor('dev1_p');
SELECT asp.drop_processor('dev1_p');
SELECT asp.grant_connection('regress_kafka', 'regress_asp_mon');
SELECT count(*) > 0 AS reads_audit FROM asp.audit_log;
SELECT count(*) AS audit_rows_with_secrets FROM asp.audit_log WHERE detail ~ 'hunter2';
INSERT INTO asp.audit_log (role, action, success) VALUES ('x', 'y', true);
DELETE FROM asp.audit_log;
-- statistics of the secret-holding table are not visible either
SELECT count(*) AS visible_stats FROM pg_stats WHERE schemaname = 'asp' AND tablename = 'connections';
RESET ROLE;

-- asp_admin manages every processor
SET ROLE regress_asp_admin;
SELECT asp.modify_processor('dev1_p', resume_from_checkpoint => false);
SELECT asp.drop_processor('dev1_o');
SELECT asp.drop_processor('dev1_k');
SELECT asp.drop_connection('regress_kafka');
RESET ROLE;
-- a superuser may create a processor owned by another role; that role's
-- privileges count
SELECT asp.create_processor('su_for_dev2', '[{"$source": {"documents": []}}]', owner => 'regress_asp_dev2');
SELECT asp.create_processor('su_for_nobody', $$[{"$source": {"connectionName": "sample_stream_solar"}}]$$,
  owner => 'regress_asp_nobody');
SELECT name, owner FROM asp.list_processors() WHERE name LIKE 'su_%';
SET ROLE regress_asp_dev2;
SELECT asp.drop_processor('su_for_dev2');
RESET ROLE;
SELECT asp.drop_processor('dev1_p');

-- the audit log of this file (secrets masked)
SELECT role, action, target, success, detail FROM asp.audit_log
WHERE id > :audit_mark AND role LIKE 'regress_asp_%' AND role <> 'regress_asp_nobody' ORDER BY id;
SELECT count(*) AS audit_rows_with_secrets FROM asp.audit_log WHERE detail ~ 'hunter2';

-- the server log (pg_regress's, ../../log/postmaster.log from the data
-- directory) has asp's audit lines, and no secret given in 16_connections
-- and above: asp logs neither its audit lines nor its errors about configs
-- with the statement
SELECT log ~ 'LOG:  asp audit: role "regress_asp_nobody" connection.create "k": refused' AS audit_lines,
       log ~ 'asp audit: role "regress_asp_admin" connection.create "regress_kafka": succeeded: type kafka, config' AS success_lines,
       log ~ '(hunter2|mongo-pw)' AS secrets_in_log
FROM (SELECT pg_read_file('../../log/postmaster.log') AS log) l;

DROP TABLE regress_asp_s.open_t, regress_asp_s.closed_t;
DROP SCHEMA regress_asp_s;
REVOKE USAGE ON SCHEMA asp FROM regress_asp_nobody;
DROP ROLE regress_asp_admin, regress_asp_dev1, regress_asp_dev2, regress_asp_mon, regress_asp_nobody;
