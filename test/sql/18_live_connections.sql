--
-- 18_live_connections: asp.test_connection against live peers over TCP:
-- librdkafka's mock cluster (3 brokers, 2 topics) and the MongoDB
-- wire-protocol test server (one without and one with SCRAM-SHA-256), all
-- started by run_tests.sh on 127.0.0.1 with addresses passed in the
-- environment.  Ports vary from run to run, so they are never printed.
--
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS asp;
RESET client_min_messages;

\getenv kafka ASP_LIVE_KAFKA
\getenv mongo ASP_LIVE_MONGO_URI
\getenv mongo_auth ASP_LIVE_MONGO_AUTH_URI

-- Kafka: cluster metadata
SELECT asp.create_connection('live_kafka', 'kafka',
  json_build_object('bootstrapServers', :'kafka'));
SELECT asp.test_connection('live_kafka');
-- one broker address of three is enough
SELECT asp.alter_connection('live_kafka',
  json_build_object('bootstrapServers', '127.0.0.1:1,' || split_part(:'kafka', ',', 2)));
SELECT asp.test_connection('live_kafka');
-- librdkafka's properties pass through
SELECT asp.alter_connection('live_kafka',
  json_build_object('bootstrapServers', :'kafka',
                    'config', json_build_object('client.id', 'asp-live', 'socket.timeout.ms', 5000)));
SELECT asp.test_connection('live_kafka');

-- MongoDB: ping, no authentication
SELECT asp.create_connection('live_mongo', 'mongodb', json_build_object('uri', :'mongo'));
SELECT asp.test_connection('live_mongo');

-- MongoDB with SCRAM-SHA-256: the right password, then a wrong one
SELECT asp.create_connection('live_mongo_auth', 'mongodb',
  json_build_object('uri', :'mongo_auth', 'username', 'asp_live', 'password', 'live-pw-1'));
SELECT asp.test_connection('live_mongo_auth');
SELECT asp.alter_connection('live_mongo_auth',
  json_build_object('uri', :'mongo_auth', 'username', 'asp_live', 'password', 'wrong-pw-2'));
SELECT r->>'ok' AS ok, r->>'error' AS error,
       r::text ~ 'wrong-pw|live-pw' AS shows_secret
  FROM asp.test_connection('live_mongo_auth', 3000) AS r;
-- no credentials at all, against the server that wants them: ping needs none
SELECT asp.alter_connection('live_mongo_auth', json_build_object('uri', :'mongo_auth'));
SELECT asp.test_connection('live_mongo_auth');

-- the listing never shows a password, and the audit log records the probes
SELECT name, type, config::text ~ 'pw' AS shows_secret FROM asp.list_connections()
 WHERE name LIKE 'live%' ORDER BY name;
SELECT action, target, success, detail FROM asp.audit_log
 WHERE target LIKE 'live%' AND action = 'connection.test' ORDER BY id;

SELECT asp.drop_connection('live_kafka');
SELECT asp.drop_connection('live_mongo');
SELECT asp.drop_connection('live_mongo_auth');
