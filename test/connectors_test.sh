#!/usr/bin/env bash
# connectors_test.sh: the connector unit tests (test/connectors/test_*.c,
# TAP, run by prove) with the test servers up: librdkafka's mock cluster
# (3 brokers, 2 topics) and two MongoDB wire-protocol servers, one of them
# with SCRAM-SHA-256 authentication (test/servers.sh).  The servers'
# addresses reach the tests in environment variables; the servers are
# stopped on exit.  No PostgreSQL needed.
set -euo pipefail
cd "$(dirname "$0")/.."
. test/servers.sh
trap stop_test_servers EXIT

make -s connector-tests test/kafka_mock/bin/kafka_mock

start_kafka_mock -b 3 -t asp_test_a:3 -t asp_test_b
export KAFKA_BROKERS=3 KAFKA_TOPICS=2
start_mongo_server --user asp_tester --password 'tester-pw-1'
export MONGO_AUTH_URI=$MONGO_URI MONGO_AUTH_USER=asp_tester MONGO_AUTH_PASSWORD='tester-pw-1'
start_mongo_server
echo "# kafka mock: $KAFKA_BOOTSTRAP; mongo: $MONGO_URI, with auth: $MONGO_AUTH_URI"

prove -v --exec '' test/connectors/bin/test_*
