#!/usr/bin/env bash
# lib.sh: helpers shared by the tests that run a throwaway instance
# (crash_test.sh, runtime_test.sh).  Sourced after `cd` to the top
# directory; the caller sets W (make_workdir) and PORT first.
. test/pgenv.sh

n=0
failed=0
# tap <0|1> description: one TAP line, counting the failures
tap() {
  n=$((n + 1))
  if [ "$1" = 1 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi
}
# q psql-args...: psql on the throwaway instance, as postgres, unaligned, tuples only
q() { as_user psql -X -q -A -t -h "$W" -p "$PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 "$@"; }

# start_instance [extra postgresql.conf lines]: initdb and start a server
# in $W/data that preloads asp and listens on the socket in $W only;
# stopped (immediate) and removed on exit
cleanup_instance() {
  as_user pg_ctl -D "$W/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$W"
}
start_instance() {
  trap cleanup_instance EXIT
  as_user initdb -D "$W/data" -A trust -U postgres >/dev/null
  cat >>"$W/data/postgresql.conf" <<CONF
shared_preload_libraries = 'asp'
asp.database_name = 'postgres'
listen_addresses = ''
port = $PORT
unix_socket_directories = '$W'
${1:-}
CONF
  as_user pg_ctl -D "$W/data" -l "$W/server.log" -w start >/dev/null
}

# wait_ready: until the server accepts connections (30 s at most)
wait_ready() {
  local i
  for ((i = 0; i < 300; i++)); do
    q -c "SELECT 1" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  return 1
}

# wait_for sql seconds: until the query returns t (false after the time)
wait_for() {
  local i
  for ((i = 0; i < $2 * 10; i++)); do
    [ "$(q -c "$1" 2>/dev/null)" = t ] && return 0
    sleep 0.1
  done
  return 1
}
