#!/usr/bin/env bash
# Extracts the trigger-condition tree of every vulnerability in a database
# that holds all of ../shared/data/vuln (imported as bench/all.sh does), one
# <ID>.json per vulnerability into a fresh folder, then all of them into one
# JSON Lines file, and reports the times.
#
#   bench/logic.sh          # import everything first (≈ 7 s), then extract
#   bench/logic.sh DB       # extract from an existing database
set -euo pipefail
cd "$(dirname "$0")/.."
v=../shared/data/vuln
cargo build --release -q -p kensa-cli
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
db=${1:-}
if [ -z "$db" ]; then
  [ -d "$v" ] || { echo "bench/logic.sh: $v not found" >&2; exit 1; }
  db="$tmp/all.db"
  target/release/kensa --db "$db" -q db import \
    "$v/nvd-api2-2002-2016/nvd-cve-2002-2016.api2.jsonl.gz" \
    "$v/nvd-api2-2002-2016/nvd-cve-modified-2024-10-25.api2.jsonl.gz" \
    "$v/anchore-nvd-data-overrides/nvd-overrides.jsonl.gz" \
    "$v/cisa-vulnrichment/vulnrichment-cve5.jsonl.gz" \
    "$v/cisa-kev/known_exploited_vulnerabilities.json" \
    "$v/cisa-csaf/cisa-csaf-advisories.jsonl.gz" \
    "$v/pypa-advisory-db-osv/pypa-advisory-db-osv.tar.gz"
fi
/usr/bin/time -f "into a folder: %e s wall, %U s user, %S s sys, peak RSS %M KB" \
  target/release/kensa --db "$db" logic extract --all --out "$tmp/out"
echo "documents written: $(find "$tmp/out" -name '*.json' | wc -l), $(du -sm "$tmp/out" | cut -f1) MB"
rm -rf "$tmp/out"
/usr/bin/time -f "into one JSON Lines file: %e s wall, %U s user, %S s sys, peak RSS %M KB" \
  target/release/kensa --db "$db" logic extract --all --out "$tmp/all.jsonl"
echo "documents written: $(wc -l < "$tmp/all.jsonl"), $(( $(stat -c %s "$tmp/all.jsonl") / 1048576 )) MB"
