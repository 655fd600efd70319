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
#     hint names asp.max_processors).
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

echo "1..$n"
if [ $failed -ne 0 ]; then
  echo "# runtime test: $failed of $n failed (server log: last lines)"
  tail -20 "$W/server.log" | sed 's/^/# /'
  exit 1
fi
echo "# runtime test: all $n passed"
