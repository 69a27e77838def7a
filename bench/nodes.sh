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

pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
pgdir=$(mktemp -d /tmp/kensa-pgbench.XXXXXX)
as_pg=()
if [ "$(id -u)" = 0 ]; then chown postgres "$pgdir"; as_pg=(runuser -u postgres --); fi
"${as_pg[@]}" "$pgbin/initdb" -D "$pgdir/data" -U kensa -A trust --no-sync -E UTF8 --no-locale >/dev/null
port=55433
"${as_pg[@]}" "$pgbin/pg_ctl" -w -D "$pgdir/data" -l "$pgdir/log" \
  -o "-p $port -k $pgdir -c listen_addresses=127.0.0.1 -c shared_buffers=512MB -c max_connections=200" start >/dev/null
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  "${as_pg[@]}" "$pgbin/pg_ctl" -D "$pgdir/data" -m immediate stop >/dev/null
  rm -rf "$pgdir"
}
trap cleanup EXIT
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
    "$bin" --db "$1" --intel "$2" serve --listen "127.0.0.1:$p" --connections 8 2>>"$work/nodes-serve.log" &
  else
    "$bin" --db "$1" serve --listen "127.0.0.1:$p" --connections 8 2>>"$work/nodes-serve.log" &
  fi
  pids+=($!)
  for _ in $(seq 150); do curl -sf "http://127.0.0.1:$p/readyz" >/dev/null && break; sleep 0.2; done
  echo "http://127.0.0.1:$p"
}
body="$work/answers.json"
echo '{"answers": {"c1": "no"}, "note": "benchmark"}' >"$body"
mix=()
for i in 0001 0042 0137 0256 0512 0777 0999; do
  mix+=(--path "/api/v1/products/product-$i/findings?limit=100")
done
mix+=(--path '/api/v1/queue?limit=100' --path '/api/v1/products?limit=50'
      --path /api/v1/vulnerabilities/CVE-2014-0160 --path /api/v1/vulnerabilities/CVE-2014-0160/checklist
      --put "/api/v1/products/product-0001/assessments/CVE-2014-0160" "$body" 20)
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
