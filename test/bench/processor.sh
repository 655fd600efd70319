#!/usr/bin/env bash
#-------------------------------------------------------------------------
#
# processor.sh
#	  The processor figure of the engine benchmark (P2): S2's pipeline run
#	  by a persistent stream processor in its background worker, on an
#	  unthrottled seeded sample_stream_solar source, then a $set of _id to
#	  {group_id, window start} (one row per group and window) and $merge
#	  into a local table.
#
# Usage: processor.sh <number of documents>
#
# Needs asp installed ("make install", as test/setup.sh does): it starts a
# throwaway PostgreSQL 15 with shared_preload_libraries = 'asp' (as the
# "postgres" OS user when run as root; unix socket only, in a scratch
# directory under /tmp), creates the processor with options
#	 {"sample": {"seed": 42, "start": {"$date": "2024-05-01T00:00:00Z"},
#				 "maxDocs": N, "unthrottled": true}}
# and runs it three times, from scratch each time, with "devices": 1000 in
# options.sample (1,000 devices in 10 groups, a reading per device every
# 500 ms: the shape of S2's stream, so each 10-second window holds 2,000
# documents per group and the sink writes one row per 2,000 documents, as
# S2 emits one result per 2,000) with asp.checkpoint_interval = '1s' (the
# default) and '1h' (only the final checkpoint, at stop), then with the
# generator's default 10 devices and '1s' (20 documents per group and
# window: one sink row per 20 documents, so $merge's cost shows).  A run is
# over when the worker idles: its CPU time and its newest asp.sample
# document unchanged for 1 s (and, with '1s', asp.stats showing
# inputMessageCount = N).  The worker's CPU time is utime + stime of its
# /proc/<pid>/stat (pid from pg_stat_activity), read before the stop; the
# stop (final checkpoint) is not counted.  After the stop, the sink table
# (one row per (group_id, window start)) gives the sum of n, which must
# equal N.
#
# Output, one line per run, read by bench.c:
#	 PROC interval=<i> docs=<N> cpu_s=<s> wall_s=<s> rows=<r> sum_n=<n> dlq=<d>
#		  stats_in=<c> devices=<options.sample.devices>
# or, when the processor cannot run, a single line
#	 PROCSKIP <reason>
# and exit status 3.  Everything it started is stopped and its scratch
# directory removed on exit.
#
#-------------------------------------------------------------------------
set -uo pipefail

N=${1:?usage: processor.sh <number of documents>}
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
PORT=${BENCH_PROC_PORT:-54390}
TIMEOUT=${BENCH_PROC_TIMEOUT:-300}		# seconds per run

say() { echo "processor: $*" >&2; }
skip() { echo "PROCSKIP $*"; say "skipped: $*"; exit 3; }

[ -x "$PGBIN/initdb" ] && [ -x "$PGBIN/pg_ctl" ] && [ -x "$PGBIN/psql" ] ||
	skip "PostgreSQL binaries not found in $PGBIN"
pkglib=$("$PGBIN/pg_config" --pkglibdir 2>/dev/null || echo /usr/lib/postgresql/15/lib)
[ -f "$pkglib/asp.so" ] || skip "asp is not installed in $pkglib (run make install)"
if [ "$(id -u)" -eq 0 ]; then
	PGUSER_OS=${BENCH_PG_OSUSER:-postgres}
	id "$PGUSER_OS" >/dev/null 2>&1 ||
		skip "running as root and there is no '$PGUSER_OS' user to run PostgreSQL"
	as_user() { runuser -u "$PGUSER_OS" -- "$@"; }
else
	as_user() { "$@"; }
fi

work=$(mktemp -d /tmp/asp_bench_proc.XXXXXX)
chmod 755 "$work"
[ "$(id -u)" -eq 0 ] && chown "$PGUSER_OS" "$work"
started=""
cleanup() {
	if [ -n "$started" ]; then
		as_user "$PGBIN/pg_ctl" -D "$work/data" -m immediate -w stop >/dev/null 2>&1 || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT

as_user "$PGBIN/initdb" -D "$work/data" -U postgres -A trust -E UTF8 --locale=C \
	--no-sync >"$work/initdb.log" 2>&1 || skip "initdb failed: $(tail -1 "$work/initdb.log")"
cat >>"$work/data/postgresql.conf" <<CONF
shared_preload_libraries = 'asp'
asp.database_name = 'postgres'
listen_addresses = ''
port = $PORT
unix_socket_directories = '$work'
autovacuum = off
jit = off
CONF
if ! as_user "$PGBIN/pg_ctl" -D "$work/data" -l "$work/server.log" -w -t 60 start >/dev/null 2>&1; then
	skip "the server with shared_preload_libraries = 'asp' did not start: $(tail -1 "$work/server.log" 2>/dev/null)"
fi
started=yes

q() {
	as_user "$PGBIN/psql" -X -q -A -t -h "$work" -p "$PORT" -U postgres -d postgres \
		-v ON_ERROR_STOP=1 "$@"
}
err=$(q -c "CREATE EXTENSION asp" 2>&1) || skip "CREATE EXTENSION asp failed: $err"

PIPELINE='[{"$source": {"connectionName": "sample_stream_solar",
    "timeField": {"$dateFromString": {"dateString": "$timestamp"}}}},
  {"$tumblingWindow": {"interval": {"size": 10, "unit": "second"}, "pipeline": [
    {"$group": {"_id": "$group_id",
                "avg_watts": {"$avg": "$obs.watts"}, "max_temp": {"$max": "$obs.temp"},
                "n": {"$sum": 1}}}]}},
  {"$set": {"_id": {"group_id": "$_id", "start": "$_stream_meta.window.start"}}},
  {"$merge": {"into": {"connectionName": "local", "db": "public", "coll": "COLL"}}}]'
OPTIONS='{"sample": {"seed": 42, "start": {"$date": "2024-05-01T00:00:00Z"}, "maxDocs": '$N',
  "devices": DEVICES, "unthrottled": true}, "dlq": {"connectionName": "local", "db": "public", "coll": "COLL_dlq"}}'
clk_tck=$(getconf CLK_TCK)

# ticks <pid>: utime + stime of a process, empty if it is gone
ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat" 2>/dev/null; }

# run <interval> <name> <options.sample.devices>
run() {
	local iv=$1 name=$2 devices=$3 pid="" t0 i c prev="" s prevs="" still=0 inmsg="" cpu wall out
	local opts=${OPTIONS//COLL/$name}
	opts=${opts/DEVICES/$devices}
	q -c "ALTER SYSTEM SET asp.checkpoint_interval = '$iv'" -c "SELECT pg_reload_conf()" >/dev/null ||
		skip "cannot set asp.checkpoint_interval"
	sleep 0.2
	err=$(q -c "SELECT asp.create_processor('$name', '${PIPELINE/COLL/$name}', '$opts')" 2>&1) ||
		skip "create_processor failed: $err"
	t0=$(date +%s%N)
	err=$(q -c "SELECT asp.start_processor('$name')" 2>&1) || skip "start_processor failed: $err"
	for ((i = 0; i < 100; i++)); do
		pid=$(q -c "SELECT pid FROM pg_stat_activity WHERE application_name = '$name'
			AND backend_type = 'asp stream processor'" 2>/dev/null | head -1)
		[ -n "$pid" ] && break
		sleep 0.1
	done
	[ -n "$pid" ] || skip "no worker for processor $name after 10 s: $(q -c "SELECT error_msg FROM asp.processors WHERE name = '$name'" 2>&1)"
	# until idle: CPU and newest sample unchanged for 1 s (and all input counted with 1s)
	for ((i = 0; i < TIMEOUT * 4; i++)); do
		sleep 0.25
		c=$(ticks "$pid")
		[ -n "$c" ] || skip "the worker of $name (pid $pid) exited: $(q -c "SELECT status || ' ' || coalesce(error_msg, '') FROM asp.processors WHERE name = '$name'" 2>&1)"
		s=$(q -c "SELECT string_agg(x::text, '') FROM asp.sample('$name', 1) x" 2>/dev/null)
		if [ "$c" = "$prev" ] && [ "$s" = "$prevs" ] && [ -n "$s" ]; then
			still=$((still + 1))
		else
			still=0
		fi
		prev=$c
		prevs=$s
		if [ $still -ge 4 ]; then
			[ "$iv" != 1s ] && break
			inmsg=$(q -c "SELECT (asp.stats('$name')->>'inputMessageCount')" 2>/dev/null)
			[ "$inmsg" = "$N" ] && break
		fi
	done
	[ $still -ge 4 ] || skip "processor $name did not finish within ${TIMEOUT}s"
	cpu=$(awk -v t="$prev" -v h="$clk_tck" 'BEGIN { printf "%.3f", t / h }')
	# wall time until done, without the idle second of the detection
	wall=$(awk -v a="$t0" -v b="$(date +%s%N)" 'BEGIN { printf "%.3f", (b - a) / 1e9 - 1.0 }')
	[ -n "$inmsg" ] || inmsg=$(q -c "SELECT (asp.stats('$name')->>'inputMessageCount')" 2>/dev/null)
	q -c "SELECT asp.stop_processor('$name')" >/dev/null 2>&1 || say "stop_processor($name) failed"
	out=$(q -F ' ' -c "SELECT count(*), coalesce(sum((doc->>'n')::bigint), 0) FROM public.\"$name\"" 2>&1) ||
		skip "cannot read the sink table $name: $out"
	d=$(q -c "SELECT count(*) FROM public.\"${name}_dlq\"" 2>/dev/null || echo 0)
	echo "PROC interval=$iv docs=$N cpu_s=$cpu wall_s=$wall rows=${out% *} sum_n=${out#* }" \
		"dlq=${d:-0} stats_in=${inmsg:-none} devices=$devices"
	say "$name: checkpoint_interval $iv, worker pid $pid, $cpu CPU-s, $wall s wall"
}

run 1s p2_ckpt_1s 1000
run 1h p2_ckpt_1h 1000
run 1s p2_dev_10 10
