#!/usr/bin/env bash
# A PostgreSQL cluster of Debian's `postgresql` package for the tests and benchmarks (never for production: the
# LM is pointed at a real database with LM_DATABASE_URL).
#   scripts/lib/postgres.sh start DIR   inits a cluster in DIR if there is none, starts it on a free loopback port
#                                       (the one of its last start if free; or finds it running) and prints its URL
#                                       (user and database `lm`, trust auth)
#   scripts/lib/postgres.sh stop DIR    stops the cluster of DIR if it runs
# initdb and the server refuse to run as root: as root they run as the package's `postgres` user.
# LM_PG_FSYNC=off (the tests) trades durability for speed; benchmarks keep PostgreSQL's defaults.
set -euo pipefail

cmd="${1:-}" dir="${2:-}"
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: $0 start|stop DIR" >&2; exit 2; }
bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
[ -x "$bin/pg_ctl" ] || { echo "PostgreSQL is not installed (Debian package postgresql)" >&2; exit 1; }

as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

running_port() {
  [ -f "$dir/postmaster.pid" ] || return 1
  as_owner "$bin/pg_ctl" -D "$dir" status >/dev/null 2>&1 || return 1
  sed -n 4p "$dir/postmaster.pid"
}

free_port() {
  local port
  for _ in $(seq 1 50); do
    # Below Linux's ephemeral range (32768+), where outgoing connections take their ports.
    port=$((20000 + RANDOM % 12000))
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "$port"; return 0; }
  done
  echo "no free loopback port found" >&2
  return 1
}

case "$cmd" in
  start)
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres "$dir" && chmod 700 "$dir"
    if [ ! -f "$dir/PG_VERSION" ]; then
      as_owner "$bin/initdb" -D "$dir" -U lm -A trust -E UTF8 --no-sync >"${dir%/}-initdb.log" 2>&1 \
        || { cat "${dir%/}-initdb.log" >&2; exit 1; }
    fi
    if ! port="$(running_port)"; then
      # The port of its last start when it is free again, so a restarted cluster keeps its URL.
      port="$(cat "$dir/lm-port" 2>/dev/null || true)"
      # A port found free may be taken before the server binds it: then another one.
      for attempt in 1 2 3; do
        if [ -z "$port" ] || (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then port="$(free_port)"; fi
        echo "$port" >"$dir/lm-port"
        as_owner "$bin/pg_ctl" -D "$dir" -l "$dir/server.log" -w -t 60 \
          -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=${LM_PG_FSYNC:-on} -c max_connections=200" start >/dev/null && break
        [ "$attempt" = 3 ] && { tail -n 20 "$dir/server.log" >&2; exit 1; }
        port=
      done
    fi
    as_owner "$bin/psql" -h 127.0.0.1 -p "$port" -U lm -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'lm'" | grep -q 1 \
      || as_owner "$bin/createdb" -h 127.0.0.1 -p "$port" -U lm lm
    echo "postgresql://lm@127.0.0.1:$port/lm"
    ;;
  stop)
    if running_port >/dev/null; then as_owner "$bin/pg_ctl" -D "$dir" -m fast -w stop >/dev/null; fi
    ;;
  *)
    echo "usage: $0 start|stop DIR" >&2
    exit 2
    ;;
esac
