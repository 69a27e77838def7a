#!/usr/bin/env bash
# Import benchmark (issue: foundation). Times `kensa db import FILE` into an
# empty database against `gzip -dc FILE` in the same run, alternating the
# two, and prints the median of N runs of each plus peak memory.
#
#   bench/import.sh [FILE] [RUNS]
#
# FILE defaults to the NVD 2002-2016 API 2.0 set in ../shared.
set -euo pipefail
cd "$(dirname "$0")/.."
file=${1:-../shared/data/vuln/nvd-api2-2002-2016/nvd-cve-2002-2016.api2.jsonl.gz}
runs=${2:-5}
[ -f "$file" ] || { echo "bench/import.sh: $file not found (needs ../shared)" >&2; exit 1; }
cargo build --release -q -p kensa-cli
bin=target/release/kensa
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
median() { sort -n | awk '{a[NR]=$1} END {m=int((NR+1)/2); print a[m]}'; }
: >"$tmp/gz"; : >"$tmp/kensa"; : >"$tmp/rss"
for _ in $(seq "$runs"); do
  /usr/bin/time -f "%e" -o "$tmp/t" sh -c "gzip -dc '$file' >/dev/null"
  cat "$tmp/t" >>"$tmp/gz"
  rm -f "$tmp/db"*
  /usr/bin/time -f "%e %M" -o "$tmp/t" "$bin" -q --db "$tmp/db" db import "$file"
  awk '{print $1}' "$tmp/t" >>"$tmp/kensa"
  awk '{print $2}' "$tmp/t" >>"$tmp/rss"
done
gz=$(median <"$tmp/gz"); k=$(median <"$tmp/kensa"); rss=$(median <"$tmp/rss")
size=$(stat -c %s "$tmp/db")
echo "file:            $file"
echo "runs:            $runs (median)   machine: $(nproc) cores, $(date -u +%F)"
echo "gzip -dc:        ${gz} s"
echo "kensa db import: ${k} s   (ratio $(awk -v a="$k" -v b="$gz" 'BEGIN{printf "%.2f", a/b}')x)"
echo "peak RSS:        $((rss / 1024)) MB"
echo "database size:   $((size / 1048576)) MB"
