#!/usr/bin/env bash
# A throw-away PostgreSQL cluster from Debian's package, for the tests that take a database URL.
#   source scripts/postgres.sh; pg_start; …EDGEWARD_TEST_DATABASE_URL is set…; pg_stop
# The cluster lives in a temp folder, listens only on a unix socket there, and is deleted by pg_stop.
# As root (CI) it runs as Debian's 'postgres' user: initdb refuses to run as root. max_connections is
# raised because every test builds its own app and engine, each with a connection pool.

pg_bin() {
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1
}

pg_start() {
  if [ -z "$(pg_bin)" ]; then
    echo "==> installing Debian's postgresql"
    local sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq postgresql >/dev/null
  fi
  local bin; bin="$(pg_bin)"
  PG_DIR="$(mktemp -d /tmp/edgeward-pg.XXXXXX)"
  local as=()
  if [ "$(id -u)" -eq 0 ]; then
    chown postgres:postgres "$PG_DIR"
    as=(runuser -u postgres --)
  fi
  PG_AS=("${as[@]}")
  PG_CTL="$bin/pg_ctl"
  # from / : the postgres user may not enter the checkout (pg_ctl then warns "could not change directory")
  pushd / >/dev/null
  "${as[@]}" "$bin/initdb" -D "$PG_DIR/data" -U postgres -A trust --no-sync >/dev/null
  "${as[@]}" "$PG_CTL" -D "$PG_DIR/data" -l "$PG_DIR/log" -w \
    -o "-k $PG_DIR -c listen_addresses='' -c fsync=off -c max_connections=400" start >/dev/null
  "${as[@]}" "$bin/createdb" -h "$PG_DIR" -U postgres edgeward
  popd >/dev/null
  export EDGEWARD_TEST_DATABASE_URL="postgresql+psycopg://postgres@/edgeward?host=$PG_DIR"
}

pg_stop() {
  if [ -n "${PG_DIR:-}" ] && [ -d "$PG_DIR/data" ]; then
    (cd / && "${PG_AS[@]}" "$PG_CTL" -D "$PG_DIR/data" -m fast -w stop >/dev/null) || true
  fi
  [ -n "${PG_DIR:-}" ] && rm -rf "$PG_DIR"
  unset EDGEWARD_TEST_DATABASE_URL PG_DIR
}
