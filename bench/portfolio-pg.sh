#!/usr/bin/env bash
# Portfolio benchmark on PostgreSQL against SQLite (issue #12), same
# machine, same run, alternating: PRODUCTS products of COMPONENTS
# components (bench/portfolio.sh's synthetic SBOMs and base database of all
# of ../shared/data/vuln except NVD's modified feed). Per run and backend:
#   product add --manifest (every version in one transaction), the import
#   of the modified feed with --no-rescan (on PostgreSQL this includes
#   publishing the intelligence for the other nodes), the rescan after it,
#   and the queue's first 100 rows.
# PostgreSQL is a throwaway cluster from Debian's `postgresql` (run as the
# postgres user when root), removed at the end. Prints medians of RUNS.
#
#   bench/portfolio-pg.sh [PRODUCTS] [COMPONENTS] [POOL] [RUNS] [WORKDIR]
set -euo pipefail
cd "$(dirname "$0")/.."
products=${1:-1000}; per=${2:-300}; pool=${3:-20000}; runs=${4:-3}; work=${5:-/tmp/kensa-bench}
feed="../shared/data/vuln/nvd-api2-2002-2016/nvd-cve-modified-2024-10-25.api2.jsonl.gz"
# Builds the base database, the SBOMs and the release binary if missing.
bench/portfolio.sh "$products" "$per" "$pool" 1 "$work" >/dev/null
bin=$PWD/target/release/kensa
base="$work/portfolio-base.db"
manifest="$work/portfolio-$products-$per-$pool/manifest.tsv"

source bench/lib/pg.sh
port=55432
start_pg "$port"
psql() { "$pgbin/psql" -q -h 127.0.0.1 -p "$port" -U kensa "$@"; }
url="postgres://kensa@127.0.0.1:$port/bench"

t() { local out=$1; shift; /usr/bin/time -f "%e %M" -a -o "$out" "$@" >/dev/null; }
for f in add rescan import queue; do : >"$work/pg-$f"; : >"$work/sq-$f"; done
for _ in $(seq "$runs"); do
  # SQLite: the file holds everything.
  cp "$base" "$work/sq.db"
  t "$work/sq-add" "$bin" -q --db "$work/sq.db" product add --manifest "$manifest"
  t "$work/sq-import" "$bin" -q --db "$work/sq.db" db import --no-rescan "$feed"
  t "$work/sq-rescan" "$bin" -q --db "$work/sq.db" portfolio rescan --format json
  t "$work/sq-queue" "$bin" -q --db "$work/sq.db" queue --limit 100 --format json
  # PostgreSQL: a fresh database; the node's intelligence copy is the base file.
  psql -d postgres -c "DROP DATABASE IF EXISTS bench" -c "CREATE DATABASE bench"
  rm -rf "$work/pg-intel"; mkdir -p "$work/pg-intel"
  cp "$base" "$work/pg-intel/intel-000000000000.db"
  node=("$bin" -q --db "$url" --intel "$work/pg-intel")
  t "$work/pg-add" "${node[@]}" product add --manifest "$manifest"
  t "$work/pg-import" "${node[@]}" db import --no-rescan "$feed"
  t "$work/pg-rescan" "${node[@]}" portfolio rescan --format json
  t "$work/pg-queue" "${node[@]}" queue --limit 100 --format json
done
med() { sort -n "$1" | awk '{t[NR]=$1; m[NR]=$2} END {i=int((NR+1)/2); printf "%6.2f s  %5d MB", t[i], m[i]/1024}'; }
echo "portfolio: $products products x $per components (pool $pool), medians of $runs"
printf "%-40s %-20s %-20s\n" "" "SQLite" "PostgreSQL"
for f in add import rescan queue; do
  case $f in
    add) what="product add --manifest";;
    import) what="import modified feed (--no-rescan)";;
    rescan) what="rescan after it";;
    queue) what="queue, first 100 rows";;
  esac
  printf "%-40s %-20s %-20s\n" "$what" "$(med "$work/sq-$f")" "$(med "$work/pg-$f")"
done
