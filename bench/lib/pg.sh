# Sourced by the PostgreSQL benchmarks: `start_pg PORT` starts a throwaway
# cluster from Debian's `postgresql` (as the postgres user when root) on
# 127.0.0.1:PORT, sets $pgbin and $pgdir, and stops and removes it when the
# script exits (after the caller's `pg_cleanup_hook`, if defined).
start_pg() {
  local port=$1
  pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  pgdir=$(mktemp -d /tmp/kensa-pgbench.XXXXXX)
  as_pg=()
  if [ "$(id -u)" = 0 ]; then chown postgres "$pgdir"; as_pg=(runuser -u postgres --); fi
  "${as_pg[@]}" "$pgbin/initdb" -D "$pgdir/data" -U kensa -A trust --no-sync -E UTF8 --no-locale >/dev/null
  "${as_pg[@]}" "$pgbin/pg_ctl" -w -D "$pgdir/data" -l "$pgdir/log" \
    -o "-p $port -k $pgdir -c listen_addresses=127.0.0.1 -c shared_buffers=512MB -c max_connections=200" \
    start >/dev/null
  trap stop_pg EXIT
}

stop_pg() {
  if declare -F pg_cleanup_hook >/dev/null; then pg_cleanup_hook; fi
  "${as_pg[@]}" "$pgbin/pg_ctl" -D "$pgdir/data" -m immediate stop >/dev/null
  rm -rf "$pgdir"
}
