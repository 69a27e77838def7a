#!/usr/bin/env bash
# Scale benchmark: imports 1x, 5x and 10x synthetic copies of the NVD
# 2002-2016 set (ids rebased by bench/synth.py, so every record is new) into
# empty databases and reports time, records per second and peak memory,
# with `gzip -dc` of the same file for reference.
#
#   bench/scale.sh [WORKDIR]   (needs ../shared; WORKDIR defaults to /tmp/kensa-bench)
set -euo pipefail
cd "$(dirname "$0")/.."
src=../shared/data/vuln/nvd-api2-2002-2016/nvd-cve-2002-2016.api2.jsonl.gz
work=${1:-/tmp/kensa-bench}
mkdir -p "$work"
cargo build --release -q -p kensa-cli
for k in 1 5 10; do
  [ -f "$work/nvd-x$k.jsonl.gz" ] || python3 bench/synth.py "$src" "$work/nvd-x$k.jsonl.gz" "$k"
done
printf '%-6s %10s %12s %10s %14s %10s %10s\n' copies records "gzip -dc s" "import s" "records/s" "peak MB" "db MB"
for k in 1 5 10; do
  f="$work/nvd-x$k.jsonl.gz"
  rm -f "$work/db"*
  gz=$( { /usr/bin/time -f "%e" sh -c "gzip -dc '$f' >/dev/null"; } 2>&1 )
  out=$( { /usr/bin/time -f "%e %M" target/release/kensa -q --db "$work/db" db import "$f"; } 2>&1 )
  secs=${out% *}; rss=${out#* }
  n=$((80844 * k))
  printf '%-6s %10d %12s %10s %14.0f %10d %10d\n' "${k}x" "$n" "$gz" "$secs" \
    "$(awk -v n="$n" -v s="$secs" 'BEGIN{print n/s}')" $((rss / 1024)) $(( $(stat -c %s "$work/db") / 1048576 ))
done
rm -f "$work/db"*
