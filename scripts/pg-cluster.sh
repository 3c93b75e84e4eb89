#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests and benchmarks, on a free port in a temporary
# folder, run as the `postgres` user (the server refuses to run as root).
#
#   eval "$(scripts/pg-cluster.sh start)"   # exports INSIGNIA_TEST_POSTGRES and PG_CLUSTER_DIR
#   scripts/pg-cluster.sh stop "$PG_CLUSTER_DIR"
#
# Installs the Debian package postgresql-15 when its server is missing.
set -euo pipefail

PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"

as_postgres() {
  if [ "$(id -un)" = "postgres" ]; then "$@"
  elif [ "$(id -u)" = "0" ]; then runuser -u postgres -- "$@"
  else sudo -u postgres -- "$@"
  fi
}

as_root() {
  if [ "$(id -u)" = "0" ]; then "$@"; else sudo "$@"; fi
}

case "${1:-}" in
  start)
    if [ ! -x "$PG_BIN/initdb" ]; then
      echo "pg-cluster.sh: installing postgresql-15 (Debian package)" >&2
      as_root apt-get update -qq >&2
      as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-15 >&2
    fi
    dir="$(mktemp -d /tmp/insignia-pg.XXXXXX)"
    as_root chown postgres "$dir"
    port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    as_postgres "$PG_BIN/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 --locale=C.UTF-8 >/dev/null
    # Tests create and drop a database each; durability is not what they check.
    as_postgres "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -o \
      "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=400 -c fsync=off \
       -c synchronous_commit=off -c full_page_writes=off -c shared_buffers=128MB" start >/dev/null
    echo "export PG_CLUSTER_DIR=$dir"
    echo "export INSIGNIA_TEST_POSTGRES=postgres://postgres@127.0.0.1:$port/postgres"
    ;;
  stop)
    dir="${2:?usage: pg-cluster.sh stop DIR}"
    as_postgres "$PG_BIN/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
    as_root rm -rf "$dir"
    ;;
  *)
    echo "usage: pg-cluster.sh start | stop DIR" >&2
    exit 2
    ;;
esac
