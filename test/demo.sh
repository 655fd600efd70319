#!/usr/bin/env bash
# demo.sh: the main job.  Installs what is missing, builds and installs asp,
# starts a throwaway PostgreSQL 15 as an ordinary user with
# shared_preload_libraries = 'asp' (its processors in database postgres),
# runs test/demo.sql (a short asp.process run, then the book's calcStats
# stream processor in a background worker: its table, stats and sample),
# and removes the server again.
set -euo pipefail
cd "$(dirname "$0")/.."
bash test/setup.sh
. test/pgenv.sh

W=$(make_workdir)
PORT=${ASP_DEMO_PORT:-54329}
trap 'as_user pg_ctl -D "$W/data" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$W"' EXIT
as_user initdb -D "$W/data" -A trust -U postgres >/dev/null
cat >>"$W/data/postgresql.conf" <<CONF
shared_preload_libraries = 'asp'
asp.database_name = 'postgres'
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$W'
CONF
as_user pg_ctl -D "$W/data" -l "$W/server.log" -w start >/dev/null
as_user psql -X -q -h "$W" -p "$PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 -f test/demo.sql
