#!/usr/bin/env bash
# Team server benchmark (issue #11) on the portfolio benchmark's database
# (bench/portfolio.sh: PRODUCTS products of COMPONENTS components, all of
# ../shared/data/vuln). Starts `kensa serve` on loopback and measures
#   1. latency of the pages and API calls a person waits for (one client,
#      REQUESTS requests each): the queue page, a product's findings page,
#      and the same two through the API;
#   2. 50 concurrent API clients for SECONDS seconds on a mix of reads
#      (products, findings, queue, vulnerabilities, checklists) with every
#      20th request an assessment save: throughput, errors, p50/p95/p99.
#
#   bench/server.sh [PRODUCTS] [COMPONENTS] [POOL] [SECONDS] [REQUESTS] [WORKDIR]
set -euo pipefail
cd "$(dirname "$0")/.."
products=${1:-1000}; per=${2:-300}; pool=${3:-20000}; seconds=${4:-60}; requests=${5:-200}
work=${6:-/tmp/kensa-bench}
db="$work/portfolio-$products-$per-$pool.db"
[ -f "$db" ] || bench/portfolio.sh "$products" "$per" "$pool" 1 "$work"
cargo build --release -q -p kensa-cli
cargo build --release -q -p kensa-server --example load
bin=target/release/kensa
load=target/release/examples/load
srv="$work/server-bench.db"
cp "$db" "$srv"
printf 'bench-password-1\n' | "$bin" -q --db "$srv" user add bench --admin --password-stdin
token=$("$bin" -q --db "$srv" token create bench | tail -n 1)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
"$bin" --db "$srv" serve --listen "127.0.0.1:$port" 2>"$work/serve.log" &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -sf "$base/readyz" >/dev/null && break; sleep 0.2; done
# A web session, as a browser gets one.
jar="$work/cookies"; rm -f "$jar"
csrf=$(curl -s -c "$jar" "$base/login" | grep -o 'name="csrf" value="[^"]*"' | sed 's/.*value="//;s/"$//')
curl -s -b "$jar" -c "$jar" -o /dev/null -d "username=bench&password=bench-password-1&csrf=$csrf&next=/" "$base/login"
session=$(awk '$6 == "kensa_session" {print $7}' "$jar")
p=product-0001
# A vulnerability the product has, for its finding page.
v=$(curl -s -H "Authorization: Bearer $token" "$base/api/v1/products/$p/findings?limit=1" \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["vulnerability"]["id"])')
echo "kensa serve benchmark: $products products x $per components, $(nproc) cores, $(date -u +%Y-%m-%d)"
echo "finding page: $p / $v; vulnerability for checklists: CVE-2014-0160"
lat() { "$load" --base "$base" --clients 1 --requests "$requests" "$@"; }
echo "page  /queue                    $(lat --cookie "kensa_session=$session" --path /queue)"
echo "page  /products/$p      $(lat --cookie "kensa_session=$session" --path /products/$p)"
echo "page  /products/$p/findings/$v $(lat --cookie "kensa_session=$session" --path /products/$p/findings/$v)"
echo "api   /api/v1/queue?limit=100   $(lat --token "$token" --path '/api/v1/queue?limit=100')"
echo "api   /api/v1/products/$p/findings?limit=100 $(lat --token "$token" --path "/api/v1/products/$p/findings?limit=100")"
echo "api   /api/v1/products?limit=100 $(lat --token "$token" --path '/api/v1/products?limit=100')"
source bench/lib/server-mix.sh
echo "load  50 clients ${seconds}s    $("$load" --base "$base" --token "$token" --clients 50 --seconds "$seconds" \
  "${mix[@]}")"
