#!/usr/bin/env bash
# crash_test.sh: exactly-once output into local tables across crashes.
#
# Starts a throwaway PostgreSQL 15 (asp preloaded), creates two processors
# with the same pipeline over sample_stream_solar with the same generator
# parameters (options.sample: seed, start, maxDocs): A unthrottled, B paced
# at asp rate 40 (about 400 documents a second).  A runs to its end; B's
# worker is killed with SIGKILL twice while it runs, so that PostgreSQL
# restarts every backend (crash recovery) and the launcher restarts B from
# its last checkpoint.  Once both consumed maxDocs, their $merge tables
# must hold the same rows: none missing, none duplicated.  Output: TAP
# lines and a summary; exit status 1 on failure.  Assumes asp is built
# and installed (test/run_tests.sh does that first).
set -uo pipefail
cd "$(dirname "$0")/.."
. test/pgenv.sh
. test/lib.sh   # tap, q, start_instance, wait_ready

MAXDOCS=${ASP_CRASH_MAXDOCS:-4000}
W=$(make_workdir)
PORT=${ASP_CRASH_PORT:-54331}
start_instance "asp.restart_backoff_ms = 100
asp.checkpoint_interval = '300ms'
restart_after_crash = on"

PIPELINE='[{"$source": {"connectionName": "sample_stream_solar"}},
  {"$tumblingWindow": {"interval": {"size": 1, "unit": "second"}, "pipeline": [
    {"$group": {"_id": "$group_id", "n": {"$sum": 1}, "watts": {"$sum": "$obs.watts"},
                "maxTemp": {"$max": "$obs.temp"}, "devices": {"$addToSet": "$device_id"}}}]}},
  {"$project": {"_id": 0, "group": "$_id", "window": "$_stream_meta.window.start",
                "n": 1, "watts": 1, "maxTemp": 1, "devices": 1}},
  {"$merge": {"into": {"connectionName": "local", "db": "public", "coll": "COLL"}}}]'
SAMPLE='"seed": 11, "start": {"$date": "2024-05-01T00:00:00Z"}, "maxDocs": '$MAXDOCS
if q >/dev/null <<SQL
CREATE EXTENSION asp;
SELECT asp.create_processor('A', '${PIPELINE/COLL/out_a}',
  '{"sample": {$SAMPLE, "rate": 40, "unthrottled": true}, "dlq": {"connectionName": "local", "db": "public", "coll": "dlq_a"}}');
SELECT asp.create_processor('B', '${PIPELINE/COLL/out_b}',
  '{"sample": {$SAMPLE, "rate": 40}, "dlq": {"connectionName": "local", "db": "public", "coll": "dlq_b"}}');
SELECT asp.start_processor('A');
SELECT asp.start_processor('B');
SQL
then tap 1 "processors A (unthrottled) and B (paced) created and started, maxDocs $MAXDOCS"
else tap 1 "processors A and B created and started"; exit 1; fi

# position: the checkpoint's position of a processor (empty if none)
position() {
  q -c "SELECT c.position FROM asp.checkpoints c JOIN asp.processors p ON p.id = c.processor_id WHERE p.name = '$1'" 2>/dev/null
}
# wait_done name seconds: until the processor's checkpoint is at maxDocs
wait_done() {
  local i
  for ((i = 0; i < $2 * 10; i++)); do
    [ "$(position "$1")" = "$MAXDOCS" ] && return 0
    sleep 0.1
  done
  return 1
}

wait_done A 20; tap $([ "$(position A)" = "$MAXDOCS" ] && echo 1 || echo 0) "A consumed $MAXDOCS documents uninterrupted"

kills=0
for k in 1 2; do
  sleep 2
  pid=""
  for ((i = 0; i < 100; i++)); do
    pid=$(q -c "SELECT pid FROM pg_stat_activity WHERE application_name = 'B' AND backend_type = 'asp stream processor'" 2>/dev/null | head -1)
    [ -n "$pid" ] && break
    sleep 0.1
  done
  before=$(position B)
  if [ -n "$pid" ] && [ "${before:-0}" != "$MAXDOCS" ] && kill -9 "$pid" 2>/dev/null; then
    kills=$((kills + 1))
    wait_ready
    tap 1 "kill -9 of B's worker (pid $pid) at checkpoint position ${before:-none}; server recovered"
  else
    tap 0 "kill -9 of B's worker (pid ${pid:-none}, position ${before:-none})"
  fi
done

wait_done B 40; tap $([ "$(position B)" = "$MAXDOCS" ] && echo 1 || echo 0) "B consumed $MAXDOCS documents after $kills crashes"
resumes=$(grep -c 'stream processor "B" resumes from its checkpoint' "$W/server.log")
tap $([ "$resumes" -ge "$kills" ] && [ "$kills" -ge 1 ] && echo 1 || echo 0) "B resumed from its checkpoint $resumes times"
sleep 0.5   # let A and B idle past their last commit

rows_a=$(q -c "SELECT count(*) FROM out_a")
rows_b=$(q -c "SELECT count(*) FROM out_b")
tap $([ "$rows_a" -gt 0 ] && [ "$rows_a" = "$rows_b" ] && echo 1 || echo 0) "same number of window results: A $rows_a, B $rows_b"
missing=$(q -c "SELECT count(*) FROM (SELECT doc - '_id' FROM out_a EXCEPT ALL SELECT doc - '_id' FROM out_b) s")
extra=$(q -c "SELECT count(*) FROM (SELECT doc - '_id' FROM out_b EXCEPT ALL SELECT doc - '_id' FROM out_a) s")
tap $([ "$missing" = 0 ] && echo 1 || echo 0) "no result of A missing from B ($missing missing)"
tap $([ "$extra" = 0 ] && echo 1 || echo 0) "no result duplicated or extra in B ($extra extra)"
dlq=$(q -c "SELECT (SELECT count(*) FROM dlq_a) + (SELECT count(*) FROM dlq_b)" 2>/dev/null || echo 0)
tap $([ "${dlq:-0}" = 0 ] && echo 1 || echo 0) "no dead letters (${dlq:-0})"
echo "1..$n"
if [ $failed -ne 0 ]; then
  echo "# crash test: $failed of $n failed (server log: last lines)"
  tail -20 "$W/server.log" | sed 's/^/# /'
  exit 1
fi
echo "# crash test: all $n passed ($kills crashes, A $rows_a rows = B $rows_b rows)"
