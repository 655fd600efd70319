#!/usr/bin/env bash
# runtime_test.sh: the runtime around the workers, on a throwaway instance
# with asp.max_processors = 2:
#  a. a server restart (pg_ctl restart -m fast) with a running processor:
#     it is still STARTED, its worker runs again (inputMessageCount grows)
#     and its table keeps growing;
#  b. two sessions starting the same processor at once: exactly one
#     succeeds, the other gets "already started"; one worker runs.  Then
#     two sessions stopping it at once: both return, it is STOPPED and no
#     worker is left;
#  c. out of slots: a third processor cannot start (SQLSTATE 53000, the
#     hint names asp.max_processors);
#  d. window state in shared memory: a processor paced over many rounds
#     (its windows go through the shared state store batch by batch)
#     writes the same rows as one that sees each window in one round;
#     stateSize > 0 while its windows are open; with asp.max_state_memory
#     lowered to 64kB (reload), a processor with a big window state is
#     FAILED at once with a message naming the setting, while the server
#     and a processor with a small state keep running.
# Output: TAP lines and a summary; exit status 1 on failure.  Assumes asp
# is built and installed (test/run_tests.sh does that first).
set -uo pipefail
cd "$(dirname "$0")/.."
. test/pgenv.sh
. test/lib.sh   # tap, q, start_instance, wait_ready, wait_for

W=$(make_workdir)
PORT=${ASP_RUNTIME_PORT:-54332}
start_instance "asp.max_processors = 2
asp.restart_backoff_ms = 100
asp.checkpoint_interval = '300ms'"

pipeline() {  # pipeline table
  echo '[{"$source": {"connectionName": "sample_stream_solar"}},
    {"$merge": {"into": {"connectionName": "local", "db": "public", "coll": "'"$1"'"}}}]'
}
input() { q -c "SELECT (asp.stats('$1')->>'inputMessageCount')::bigint"; }
rows() { q -c "SELECT count(*) FROM $1" 2>/dev/null || echo 0; }
state() { q -c "SELECT state FROM asp.list_processors() WHERE name = '$1'"; }
workers() {  # the number of workers of a processor
  q -c "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'asp stream processor' AND application_name = '$1'"
}

if q >/dev/null <<SQL
CREATE EXTENSION asp;
SELECT asp.create_processor('r', '$(pipeline r_out)');
SELECT asp.create_processor('c', '$(pipeline c_out)');
SELECT asp.create_processor('d', '$(pipeline d_out)');
SELECT asp.start_processor('r');
SQL
then tap 1 "processors r, c, d created, r started"
else tap 0 "processors r, c, d created, r started"; exit 1; fi

# a. server restart with a running processor
wait_for "SELECT to_regclass('public.r_out') IS NOT NULL AND EXISTS (SELECT FROM r_out)" 15
rows_before=$(rows r_out)
tap $([ "$rows_before" -gt 0 ] && echo 1 || echo 0) "r writes rows before the restart ($rows_before)"
if as_user pg_ctl -D "$W/data" -m fast -w restart -l "$W/server.log" >/dev/null && wait_ready; then
  tap 1 "pg_ctl restart -m fast"
else tap 0 "pg_ctl restart -m fast"; fi
tap $([ "$(state r)" = STARTED ] && echo 1 || echo 0) "r is still STARTED after the restart"
wait_for "SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'asp stream processor' AND application_name = 'r'" 15
tap $([ "$(workers r)" = 1 ] && echo 1 || echo 0) "r's worker runs again"
# the new worker's first commit publishes the count it resumed from; then it grows
wait_for "SELECT (asp.stats('r')->>'inputMessageCount')::bigint > 0" 15
in0=$(input r)
wait_for "SELECT (asp.stats('r')->>'inputMessageCount')::bigint > ${in0:-0}" 15
in1=$(input r)
tap $([ "${in1:-0}" -gt "${in0:-0}" ] && echo 1 || echo 0) "r's inputMessageCount grows after the restart (${in0:-none} -> ${in1:-none})"
wait_for "SELECT count(*) > $rows_before FROM r_out" 15
rows_after=$(rows r_out)
tap $([ "$rows_after" -gt "$rows_before" ] && echo 1 || echo 0) "r's table keeps growing ($rows_before -> $rows_after rows)"
ops=$(q -c "SELECT string_agg(o->>'name', ',') || ':' || bool_and((o->>'inputMessageCount')::bigint > 0)
             FROM json_array_elements(asp.stats('r', true)->'operatorStats') o")
tap $([ "$ops" = '$source,$merge:true' ] && echo 1 || echo 0) "verbose stats of r: operatorStats $ops"

# b. two sessions start the same processor at once, then stop it at once
both() {  # both sql: run sql in two sessions at once; sets rc1 rc2 err1 err2
  q -c "$1" >"$W/o1" 2>"$W/e1" & local p1=$!
  q -c "$1" >"$W/o2" 2>"$W/e2" & local p2=$!
  wait $p1; rc1=$?
  wait $p2; rc2=$?
  err1=$(cat "$W/e1"); err2=$(cat "$W/e2")
}
both "SELECT asp.start_processor('c')"
ok=0
if [ $rc1 = 0 ] && [ $rc2 != 0 ]; then case "$err2" in *"already started"*) ok=1 ;; esac; fi
if [ $rc2 = 0 ] && [ $rc1 != 0 ]; then case "$err1" in *"already started"*) ok=1 ;; esac; fi
tap $ok "two concurrent start_processor('c'): one succeeds, the other is refused (rc $rc1/$rc2: ${err1}${err2})"
tap $([ "$(state c)" = STARTED ] && echo 1 || echo 0) "c is STARTED"
wait_for "SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'asp stream processor' AND application_name = 'c'" 15
sleep 1.5   # a second launcher round must not start another worker
tap $([ "$(workers c)" = 1 ] && echo 1 || echo 0) "c has exactly one worker ($(workers c))"

# c. out of slots: r and c run, asp.max_processors = 2
out=$(q -c '\set VERBOSITY verbose' -c "SELECT asp.start_processor('d')" 2>&1); rc=$?
case "$out" in *53000*) code=1 ;; *) code=0 ;; esac
case "$out" in *HINT*asp.max_processors*) hint=1 ;; *) hint=0 ;; esac
tap $([ $rc != 0 ] && [ $code = 1 ] && echo 1 || echo 0) "a third processor cannot start: SQLSTATE 53000"
tap $hint "the hint names asp.max_processors"
tap $([ "$(state d)" = CREATED ] && echo 1 || echo 0) "d stays CREATED"

both "SELECT asp.stop_processor('c')"
ok=0
if [ $rc1 = 0 ] && [ $rc2 = 0 ]; then ok=1; fi
if [ $rc1 = 0 ] && [ $rc2 != 0 ]; then case "$err2" in *"is not started"*) ok=1 ;; esac; fi
if [ $rc2 = 0 ] && [ $rc1 != 0 ]; then case "$err1" in *"is not started"*) ok=1 ;; esac; fi
tap $ok "two concurrent stop_processor('c') both return (rc $rc1/$rc2${err1:+: $err1}${err2:+: $err2})"
tap $([ "$(state c)" = STOPPED ] && echo 1 || echo 0) "c is STOPPED"
wait_for "SELECT count(*) = 0 FROM pg_stat_activity WHERE backend_type = 'asp stream processor' AND application_name = 'c'" 15
tap $([ "$(workers c)" = 0 ] && echo 1 || echo 0) "no worker of c is left"
# the freed slot serves the third processor
q -c "SELECT asp.start_processor('d')" >/dev/null 2>&1
tap $([ "$(state d)" = STARTED ] && echo 1 || echo 0) "d starts in the slot c freed"

# d. window state in shared memory
q -c "SELECT asp.stop_processor('r')" >/dev/null 2>&1
q -c "SELECT asp.stop_processor('d')" >/dev/null 2>&1
WPIPE='[{"$source": {"connectionName": "sample_stream_solar"}},
  {"$hoppingWindow": {"interval": {"size": 2, "unit": "second"}, "hopSize": {"size": 1, "unit": "second"},
    "allowedLateness": {"size": 0, "unit": "second"}, "pipeline": [
    {"$group": {"_id": "$device_id", "n": {"$sum": 1}, "avg": {"$avg": "$obs.watts"},
                "sd": {"$stdDevPop": "$obs.watts"}, "f": {"$first": "$obs.temp"}, "l": {"$last": "$obs.temp"},
                "p": {"$push": "$obs.watts"}, "top": {"$topN": {"n": 2, "sortBy": {"obs.watts": -1}, "output": "$obs.temp"}}}},
    {"$sort": {"_id": 1}}]}},
  {"$project": {"_id": 0, "device": "$_id", "window": "$_stream_meta.window.start",
                "n": 1, "avg": 1, "sd": 1, "f": 1, "l": 1, "p": 1, "top": 1}},
  {"$merge": {"into": {"connectionName": "local", "db": "public", "coll": "COLL"}, "on": ["device", "window"]}}]'
WSAMPLE='"seed": 3, "start": {"$date": "2024-05-01T00:00:00Z"}, "rate": 50, "maxDocs": 3000'
q >/dev/null 2>&1 <<SQL
CREATE TABLE ws_one (device text, "window" timestamptz, n int, avg float8, sd float8, f float8, l float8, p jsonb, top jsonb,
                     PRIMARY KEY (device, "window"));
CREATE TABLE ws_many (LIKE ws_one INCLUDING ALL);
SELECT asp.create_processor('ws_one', '${WPIPE/COLL/ws_one}', '{"sample": {$WSAMPLE, "unthrottled": true}}');
SELECT asp.create_processor('ws_many', '${WPIPE/COLL/ws_many}', '{"sample": {$WSAMPLE}}');
SELECT asp.start_processor('ws_one');
SELECT asp.start_processor('ws_many');
SQL
ckpos() { q -c "SELECT c.position FROM asp.checkpoints c JOIN asp.processors p ON p.id = c.processor_id WHERE p.name = '$1'" 2>/dev/null; }
wait_for "SELECT (asp.stats('ws_many')->>'stateSize')::bigint > 0" 15
ss=$(q -c "SELECT (asp.stats('ws_many')->>'stateSize')::bigint")
tap $([ "${ss:-0}" -gt 0 ] && echo 1 || echo 0) "stateSize of a running processor with open windows: ${ss:-none} bytes"
mem=$(q -c "SELECT (o->>'maxMemoryUsage')::bigint FROM json_array_elements(asp.stats('ws_many', true)->'operatorStats') o
             WHERE o->>'name' = '\$hoppingWindow'")
tap $([ "${mem:-0}" -gt 0 ] && echo 1 || echo 0) "operatorStats maxMemoryUsage of the window stage: ${mem:-none} bytes"
for ((i = 0; i < 300; i++)); do
  [ "$(ckpos ws_one)" = 3000 ] && [ "$(ckpos ws_many)" = 3000 ] && break
  sleep 0.1
done
tap $([ "$(ckpos ws_many)" = 3000 ] && echo 1 || echo 0) "ws_one and ws_many consumed 3000 documents ($(ckpos ws_one), $(ckpos ws_many))"
n_one=$(rows ws_one)
diff=$(q -c "SELECT count(*) FROM ((TABLE ws_one EXCEPT TABLE ws_many) UNION ALL (TABLE ws_many EXCEPT TABLE ws_one)) d")
tap $([ "${n_one:-0}" -gt 0 ] && [ "$diff" = 0 ] && echo 1 || echo 0) \
  "windows through the shared state store, round by round, give the rows of single-round windows ($n_one rows, $diff differ)"
ss=$(q -c "SELECT (asp.stats('ws_many')->>'stateSize')::bigint")
tap $([ "$ss" = 0 ] && echo 1 || echo 0) "stateSize is 0 once the source ended and every window closed ($ss)"
q -c "SELECT asp.stop_processor('ws_one'), asp.stop_processor('ws_many')" >/dev/null 2>&1

q -c "ALTER SYSTEM SET asp.max_state_memory = '64kB'" -c "SELECT pg_reload_conf()" >/dev/null
sleep 0.5
q >/dev/null 2>&1 <<'SQL'
SELECT asp.create_processor('big', '[{"$source": {"connectionName": "sample_stream_solar"}},
  {"$tumblingWindow": {"interval": {"size": 1, "unit": "hour"},
     "pipeline": [{"$group": {"_id": "$device_id", "docs": {"$push": "$$ROOT"}}}]}},
  {"$merge": {"into": {"connectionName": "local", "db": "public", "coll": "big_out"}}}]',
  '{"sample": {"unthrottled": true}}');
SELECT asp.create_processor('small', '[{"$source": {"connectionName": "sample_stream_solar"}},
  {"$tumblingWindow": {"interval": {"size": 1, "unit": "second"}, "pipeline": [{"$count": "n"}]}},
  {"$merge": {"into": {"connectionName": "local", "db": "public", "coll": "small_out"}}}]');
SELECT asp.start_processor('small');
SELECT asp.start_processor('big');
SQL
wait_for "SELECT state = 'FAILED' FROM asp.list_processors() WHERE name = 'big'" 15
msg=$(q -c "SELECT error_msg FROM asp.list_processors() WHERE name = 'big'")
tap $([ "$(state big)" = FAILED ] && echo 1 || echo 0) "a processor over asp.max_state_memory is FAILED"
case "$msg" in *'window state of processor "big" exceeds asp.max_state_memory (64kB)'*) ok=1 ;; *) ok=0 ;; esac
tap $ok "its error names the processor and the setting: $msg"
fails=$(grep -c 'exceeds asp.max_state_memory' "$W/server.log")
tap $([ "$fails" = 1 ] && echo 1 || echo 0) "it failed once, without restarts ($fails errors in the log)"
tap $([ "$(workers big)" = 0 ] && echo 1 || echo 0) "no worker of big is left"
in0=$(input small)
wait_for "SELECT (asp.stats('small')->>'inputMessageCount')::bigint > ${in0:-0}" 15
in1=$(input small)
tap $([ "$(state small)" = STARTED ] && [ "${in1:-0}" -gt "${in0:-0}" ] && echo 1 || echo 0) \
  "the server and a processor with a small window state keep running (${in0:-none} -> ${in1:-none} documents)"
q -c "SELECT asp.stop_processor('small')" >/dev/null 2>&1
q -c "ALTER SYSTEM RESET asp.max_state_memory" -c "SELECT pg_reload_conf()" >/dev/null

echo "1..$n"
if [ $failed -ne 0 ]; then
  echo "# runtime test: $failed of $n failed (server log: last lines)"
  tail -20 "$W/server.log" | sed 's/^/# /'
  exit 1
fi
echo "# runtime test: all $n passed"
