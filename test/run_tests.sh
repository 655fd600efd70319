#!/usr/bin/env bash
# run_tests.sh: every test.  Installs what is missing, builds and installs
# asp, runs the engine's unit tests (prove), the crash test (crash_test.sh:
# exactly-once output across kill -9), the runtime test (runtime_test.sh:
# server restart, concurrent start/stop, out of slots), the connector tests
# (connectors_test.sh: connection checks against a Kafka mock cluster and a
# MongoDB wire-protocol test server), then the SQL regression tests
# (pg_regress on a temporary instance that preloads asp, run as an
# ordinary user).  The last lines are pg_regress's summary.
set -euo pipefail
cd "$(dirname "$0")/.."
bash test/setup.sh
. test/pgenv.sh

# ASP_TESTS="03_stages 05_windows" runs only those SQL tests;
# ASP_SKIP_ENGINE=1 skips the engine unit tests (both for development).
if [ -z "${ASP_SKIP_ENGINE:-}" ]; then
  echo "== engine unit tests =="
  make -s check-engine
fi

# ASP_SKIP_CRASH=1 skips the crash test (exactly-once across kill -9)
if [ -z "${ASP_SKIP_CRASH:-}" ]; then
  echo "== crash test =="
  bash test/crash_test.sh
fi

# ASP_SKIP_RUNTIME=1 skips the runtime test (server restart, concurrent
# start and stop, out of slots)
if [ -z "${ASP_SKIP_RUNTIME:-}" ]; then
  echo "== runtime test =="
  bash test/runtime_test.sh
fi

# ASP_SKIP_CONNECTORS=1 skips the connector tests (connection checks
# against the Kafka mock cluster and the MongoDB test server)
if [ -z "${ASP_SKIP_CONNECTORS:-}" ]; then
  echo "== connector tests =="
  bash test/connectors_test.sh
fi

echo "== SQL regression tests =="
W=$(make_workdir)
trap 'rm -rf "$W"' EXIT
# pg_regress 15 reads test/sql/*.sql and test/expected/*.out under --inputdir
mkdir -p "$W/test"
cp -r test/sql expected "$W/test/"
cp test/regress.conf "$W/"
[ "$(id -u)" -eq 0 ] && chown -R "$TEST_USER" "$W"
TESTS=${ASP_TESTS:-$(cd test/sql && ls *.sql | sed 's/\.sql$//' | sort)}
# live peers for 18_live_connections (read there with psql's \getenv): a
# librdkafka mock cluster and two MongoDB wire-protocol servers, one with
# SCRAM-SHA-256; on 127.0.0.1, stopped when this script exits
. test/servers.sh
trap 'stop_test_servers; rm -rf "$W"' EXIT
start_kafka_mock -b 3 -t asp_live_a:2 -t asp_live_b
start_mongo_server --user asp_live --password 'live-pw-1'
export ASP_LIVE_MONGO_AUTH_URI=$MONGO_URI
start_mongo_server
export ASP_LIVE_MONGO_URI=$MONGO_URI ASP_LIVE_KAFKA=$KAFKA_BOOTSTRAP
set +e
( cd "$W" && as_user "$PGXS_DIR/src/test/regress/pg_regress" \
    --bindir="$PGBIN" --temp-instance="$W/tmp_check" --temp-config="$W/regress.conf" \
    --inputdir=test --outputdir="$W" --port=${ASP_TEST_PORT:-54330} $TESTS )
rc=$?
set -e
mkdir -p results && cp "$W"/results/*.out results/ 2>/dev/null || true
if [ $rc -ne 0 ] && [ -f "$W/regression.diffs" ]; then
  cp "$W/regression.diffs" ./regression.diffs
  head -c 20000 regression.diffs
  echo "(full diff in regression.diffs)"
  # repeat the summary so the output still ends with it
  grep -E "tests? (passed|failed)|failed \(ignoring" "$W/regression.out" 2>/dev/null || true
fi
exit $rc
