#!/usr/bin/env bash
# servers.sh: test servers for the connectors, as separate processes on
# 127.0.0.1 at ports the system picks.  Source it from the top directory:
#
#   . test/servers.sh
#   start_kafka_mock [-b brokers] [-t topic[:partitions]]...   # sets KAFKA_BOOTSTRAP
#   start_mongo_server [--user U --password P]                  # sets MONGO_URI, MONGO_PORT
#   ...
#   stop_test_servers        # also done on exit if you call it from your trap
#
# start_kafka_mock runs test/kafka_mock/bin/kafka_mock (librdkafka's mock
# cluster; built with `make test/kafka_mock/bin/kafka_mock`, done here if
# missing); KAFKA_BOOTSTRAP is its "127.0.0.1:port,..." list.
# start_mongo_server runs test/mongo_server.py (a MongoDB wire-protocol
# server over mongomock, with SCRAM-SHA-256 when given a user);
# MONGO_URI is "mongodb://127.0.0.1:port" (no credentials).  Each call
# starts another server and overwrites the variables.
#
# The servers read a FIFO that this shell holds open: they also end when
# the shell that started them ends, even by kill -9.

ASP_SERVERS_DIR=""
ASP_SERVER_PIDS=()

# _servers_init: the directory holding the FIFO and the servers' output
_servers_init() {
  [ -n "$ASP_SERVERS_DIR" ] && return 0
  ASP_SERVERS_DIR=$(mktemp -d /tmp/asp-servers.XXXXXX)
  mkfifo "$ASP_SERVERS_DIR/alive"
  # read-write: opening does not block; the servers see EOF once we are gone
  exec {ASP_SERVERS_FD}<>"$ASP_SERVERS_DIR/alive"
}

# _servers_start name command...: start a server, wait for its first line
# of output (the port or bootstrap list, 20 s at most) and put it in
# _SERVER_LINE (not a command substitution: the server must be a child of
# this shell, which holds the FIFO)
_servers_start() {
  local name=$1 out i pid
  shift
  _servers_init
  out="$ASP_SERVERS_DIR/$name.$RANDOM.out"
  "$@" <"$ASP_SERVERS_DIR/alive" >"$out" 2>"$out.err" {ASP_SERVERS_FD}>&- &
  pid=$!
  ASP_SERVER_PIDS+=($pid)
  _SERVER_LINE=""
  for ((i = 0; i < 200; i++)); do
    _SERVER_LINE=$(head -n 1 "$out" 2>/dev/null)
    [ -n "$_SERVER_LINE" ] && return 0
    kill -0 $pid 2>/dev/null || break
    sleep 0.1
  done
  echo "servers.sh: $name did not start:" >&2
  cat "$out.err" >&2
  return 1
}

# start_kafka_mock [kafka_mock args]: sets KAFKA_BOOTSTRAP
start_kafka_mock() {
  [ -x test/kafka_mock/bin/kafka_mock ] || make -s test/kafka_mock/bin/kafka_mock >&2
  _servers_start kafka_mock test/kafka_mock/bin/kafka_mock "$@" || return 1
  export KAFKA_BOOTSTRAP=$_SERVER_LINE
}

# start_mongo_server [mongo_server.py args]: sets MONGO_URI and MONGO_PORT
start_mongo_server() {
  _servers_start mongo_server /usr/bin/python3 test/mongo_server.py "$@" || return 1
  export MONGO_PORT=$_SERVER_LINE
  export MONGO_URI="mongodb://127.0.0.1:$MONGO_PORT"
}

# stop_test_servers: SIGTERM every server started here, wait, clean up
stop_test_servers() {
  local p
  for p in "${ASP_SERVER_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${ASP_SERVER_PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  ASP_SERVER_PIDS=()
  if [ -n "$ASP_SERVERS_DIR" ]; then
    exec {ASP_SERVERS_FD}>&-
    rm -rf "$ASP_SERVERS_DIR"
    ASP_SERVERS_DIR=""
  fi
}
