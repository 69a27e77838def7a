#!/usr/bin/env bash
# Two `kensa serve` nodes against one (issue #12): the portfolio benchmark's
# products (bench/portfolio.sh) in a throwaway PostgreSQL cluster, each
# node with its own copy of the intelligence; 50 concurrent API clients for
# SECONDS seconds on bench/server.sh's mix (reads of products, findings,
# the queue, vulnerabilities and checklists; every 20th request an
# assessment save), first all on one node, then spread over two. Prints
# throughput and latency percentiles for both, and the same mix on the
# SQLite file for reference.
#
#   bench/nodes.sh [PRODUCTS] [COMPONENTS] [POOL] [SECONDS] [WORKDIR]
set -euo pipefail
cd "$(dirname "$0")/.."
products=${1:-1000}; per=${2:-300}; pool=${3:-20000}; seconds=${4:-30}; work=${5:-/tmp/kensa-bench}
sqlite_db="$work/portfolio-$products-$per-$pool.db"
[ -f "$sqlite_db" ] || bench/portfolio.sh "$products" "$per" "$pool" 1 "$work" >/dev/null
cargo build --release -q -p kensa-cli
cargo build --release -q -p kensa-server --example load
bin=$PWD/target/release/kensa
load=$PWD/target/release/examples/load
base_db="$work/portfolio-base.db"
manifest="$work/portfolio-$products-$per-$pool/manifest.tsv"

source bench/lib/pg.sh
pids=()
pg_cleanup_hook() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
port=55433
start_pg "$port"
"$pgbin/psql" -q -h 127.0.0.1 -p "$port" -U kensa -d postgres -c "CREATE DATABASE bench"
url="postgres://kensa@127.0.0.1:$port/bench"
for n in a b; do
  rm -rf "$work/node-$n"; mkdir -p "$work/node-$n"
  cp "$base_db" "$work/node-$n/intel-000000000000.db"
done
node=("$bin" -q --db "$url" --intel "$work/node-a")
/usr/bin/time -f "PostgreSQL product add --manifest: %e s" "${node[@]}" product add --manifest "$manifest"
printf 'bench-password-1\n' | "${node[@]}" user add bench --admin --password-stdin
token=$("${node[@]}" token create bench | tail -n 1)

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
start() { # DB INTEL → base URL
  local p; p=$(free_port)
  if [ -n "$2" ]; then
    "$bin" --db "$1" --intel "$2" serve --listen "127.0.0.1:$p" --connections 8 >/dev/null 2>>"$work/nodes-serve.log" &
  else
    "$bin" --db "$1" serve --listen "127.0.0.1:$p" --connections 8 >/dev/null 2>>"$work/nodes-serve.log" &
  fi
  pids+=($!)
  for _ in $(seq 150); do curl -sf "http://127.0.0.1:$p/readyz" >/dev/null && break; sleep 0.2; done
  echo "http://127.0.0.1:$p"
}
source bench/lib/server-mix.sh
run() { "$load" --token "$1" --clients 50 --seconds "$seconds" "${@:2}" "${mix[@]}"; }

echo "kensa serve on PostgreSQL: $products products x $per components, $(nproc) cores, $(date -u +%Y-%m-%d), 50 clients, ${seconds}s"
a=$(start "$url" "$work/node-a")
b=$(start "$url" "$work/node-b")
echo "one node:  $(run "$token" --base "$a")"
echo "two nodes: $(run "$token" --base "$a" --base "$b")"
for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
pids=()
srv="$work/nodes-sqlite.db"
cp "$sqlite_db" "$srv"
printf 'bench-password-1\n' | "$bin" -q --db "$srv" user add bench --admin --password-stdin
stoken=$("$bin" -q --db "$srv" token create bench | tail -n 1)
s=$(start "$srv" "")
echo "SQLite, one node: $(run "$stoken" --base "$s")"
