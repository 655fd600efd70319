#!/usr/bin/env bash
# setup.sh: install what is missing on Debian 12, then build and install asp.
# Used by test/demo.sh and test/run_tests.sh; safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

PKGS="postgresql-15 postgresql-server-dev-15 libbson-dev libmongoc-dev librdkafka-dev
      libpcre2-dev pkg-config make gcc perl python3-pymongo python3-mongomock"
missing=()
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

export PATH="/usr/lib/postgresql/15/bin:$PATH"
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
# one build and install at a time (several test runs may share a machine)
(
  flock 9
  make -s PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config
  $SUDO make -s install PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config >/dev/null
) 9>/tmp/asp-build.lock
