#!/usr/bin/env bash
# pgenv.sh: helpers to run commands as an ordinary user (initdb refuses root).
# Sourced by the test and demo scripts.

# TEST_USER: who runs the throwaway servers; the "postgres" account that
# the Debian package creates, or the current user when not root.
if [ "$(id -u)" -eq 0 ]; then
  TEST_USER=${ASP_TEST_USER:-postgres}
  as_user() { runuser -u "$TEST_USER" -- "$@"; }
else
  TEST_USER=$(id -un)
  as_user() { "$@"; }
fi
PGBIN=/usr/lib/postgresql/15/bin
PGXS_DIR=$(dirname "$($PGBIN/pg_config --pgxs)")/../..
export PATH="$PGBIN:$PATH"

# make_workdir: a scratch directory the test user owns
make_workdir() {
  local d
  d=$(mktemp -d /tmp/asp.XXXXXX)
  chmod 755 "$d"
  [ "$(id -u)" -eq 0 ] && chown "$TEST_USER" "$d"
  echo "$d"
}
