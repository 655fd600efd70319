#!/usr/bin/env bash
#-------------------------------------------------------------------------
#
# baseline.sh
#	  The PostgreSQL baseline of the engine benchmark: S2 (10 s tumbling
#	  windows, GROUP BY group_id, avg watts, max temp, count) computed by
#	  PostgreSQL itself over the same documents stored as jsonb.
#
# Usage: baseline.sh <file of JSON documents, one per line>
#
# Starts a throwaway PostgreSQL 15 instance (as the "postgres" OS user
# when run as root, since initdb refuses root) on 127.0.0.1 with its unix
# socket in a scratch directory under /tmp, loads the file with COPY (not
# timed), then runs the S2 query BENCH_PG_REPS times (default 3) per
# variant, with max_parallel_workers_per_gather = 0 (one core) and jit off.
# A variant's time is its best run; the backend's CPU time comes from its
# own /proc/self/stat (utime + stime) read just before and after the query,
# the wall time from psql's \timing.  Variants:
#	 float8   (doc->'obs'->>'watts')::float8, like the engine's double $avg
#	 numeric  the same with ::numeric
#
# Output, one line per variant, read by bench.c:
#	 PGBASE variant=<v> rows=<n> groups=<g> sum_count=<c> cpu_s=<s> wall_s=<s>
# Exits non-zero (and bench.c reports the baseline as skipped) when
# PostgreSQL cannot be started.  Everything it started is stopped and its
# scratch directory removed on exit.
#
#-------------------------------------------------------------------------
set -euo pipefail

input=${1:?usage: baseline.sh <json-lines-file>}
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
REPS=${BENCH_PG_REPS:-3}
PORT_FIRST=${BENCH_PG_PORT:-54340}

say() { echo "baseline: $*" >&2; }

if [ ! -x "$PGBIN/initdb" ] || [ ! -x "$PGBIN/pg_ctl" ] || [ ! -x "$PGBIN/psql" ]; then
	say "PostgreSQL binaries not found in $PGBIN"
	exit 3
fi
if [ "$(id -u)" -eq 0 ]; then
	PGUSER_OS=${BENCH_PG_OSUSER:-postgres}
	if ! id "$PGUSER_OS" >/dev/null 2>&1; then
		say "running as root and there is no '$PGUSER_OS' user to run PostgreSQL"
		exit 3
	fi
	as_user() { runuser -u "$PGUSER_OS" -- "$@"; }
else
	PGUSER_OS=$(id -un)
	as_user() { "$@"; }
fi

work=$(mktemp -d /tmp/asp_bench_pg.XXXXXX)
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

if ! as_user "$PGBIN/initdb" -D "$work/data" -U postgres -A trust -E UTF8 \
	--locale=C --no-sync >"$work/initdb.log" 2>&1; then
	say "initdb failed:"
	tail -5 "$work/initdb.log" >&2
	exit 3
fi

# start on the first free TCP port on 127.0.0.1 (another server may take
# a port between the probe and the start: then try the next one)
port=""
for p in $(seq "$PORT_FIRST" $((PORT_FIRST + 50))); do
	if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
		continue
	fi
	if as_user "$PGBIN/pg_ctl" -D "$work/data" -l "$work/server.log" -w -t 60 \
		-o "-p $p -k $work -c listen_addresses=127.0.0.1 -c shared_buffers=1GB \
			-c fsync=off -c synchronous_commit=off -c full_page_writes=off \
			-c autovacuum=off -c max_wal_size=4GB -c jit=off \
			-c max_parallel_workers_per_gather=0" start >/dev/null 2>&1; then
		port=$p
		started=yes
		break
	fi
	if ! grep -q "could not bind\|could not create listen socket" "$work/server.log" 2>/dev/null; then
		break
	fi
done
if [ -z "$port" ]; then
	say "the server did not start (ports $PORT_FIRST..$((PORT_FIRST + 50))):"
	tail -5 "$work/server.log" >&2 || true
	exit 3
fi

psql_run() {
	as_user "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$work" -p "$port" -U postgres \
		-d postgres "$@"
}

# load (not timed); VACUUM sets hint bits so that no timed run writes them
t0=$(date +%s%N)
psql_run -c "CREATE UNLOGGED TABLE t (doc jsonb)"
psql_run -c "COPY t FROM STDIN" <"$input"
psql_run -c "VACUUM (ANALYZE) t"
rows=$(psql_run -A -t -c "SELECT count(*) FROM t")
say "loaded $rows rows in $(awk -v a="$t0" -v b="$(date +%s%N)" 'BEGIN { printf "%.1f", (b - a) / 1e9 }') s (not timed), port $port"

clk_tck=$(getconf CLK_TCK)

for variant in float8 numeric; do
	query="SELECT (doc->>'group_id')::int AS g,
		date_bin('10 seconds', (doc->>'timestamp')::timestamptz, '2000-01-01') AS w,
		avg((doc->'obs'->>'watts')::$variant) AS avg_watts,
		max((doc->'obs'->>'temp')::$variant) AS max_temp,
		count(*) AS n
	FROM t GROUP BY 1, 2"
	check=$(psql_run -A -t -F ' ' -c "SET TimeZone = 'UTC'" \
		-c "SELECT count(*), sum(n) FROM ($query) q")
	best_cpu=""
	best_wall=""
	for _ in $(seq "$REPS"); do
		# one session: CPU ticks of this backend before and after, \timing around
		out=$(psql_run -A -t <<-EOF
			SET TimeZone = 'UTC';
			SET max_parallel_workers_per_gather = 0;
			SET jit = off;
			SET work_mem = '256MB';
			SELECT split_part(s, ' ', 14)::bigint + split_part(s, ' ', 15)::bigint AS c0
			  FROM pg_read_file('/proc/self/stat') AS s \gset
			\o /dev/null
			\timing on
			$query;
			\timing off
			\o
			SELECT 'CPU ' || (split_part(s, ' ', 14)::bigint + split_part(s, ' ', 15)::bigint - :c0)
			  FROM pg_read_file('/proc/self/stat') AS s;
		EOF
		)
		ticks=$(echo "$out" | sed -n 's/^CPU \([0-9]*\)$/\1/p')
		wall_ms=$(echo "$out" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p')
		if [ -z "$ticks" ] || [ -z "$wall_ms" ]; then
			say "could not read the timing of the $variant query:"
			echo "$out" >&2
			exit 3
		fi
		cpu=$(awk -v t="$ticks" -v h="$clk_tck" 'BEGIN { printf "%.3f", t / h }')
		wall=$(awk -v m="$wall_ms" 'BEGIN { printf "%.3f", m / 1000 }')
		if [ -z "$best_cpu" ] || awk -v a="$cpu" -v b="$best_cpu" 'BEGIN { exit !(a < b) }'; then
			best_cpu=$cpu
			best_wall=$wall
		fi
	done
	echo "PGBASE variant=$variant rows=$rows groups=${check% *} sum_count=${check#* }" \
		"cpu_s=$best_cpu wall_s=$best_wall"
done
