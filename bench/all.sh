#!/usr/bin/env bash
# Imports all of ../shared/data/vuln (NVD 2002-2016 + modified feed, Anchore
# overrides, CISA vulnrichment, KEV JSON + CSV, CISA CSAF, PyPA OSV) into an
# empty database, one `kensa db import` call, and reports time, peak memory
# and the database size.
#
#   bench/all.sh
set -euo pipefail
cd "$(dirname "$0")/.."
v=../shared/data/vuln
[ -d "$v" ] || { echo "bench/all.sh: $v not found" >&2; exit 1; }
cargo build --release -q -p kensa-cli
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
files=(
  "$v/nvd-api2-2002-2016/nvd-cve-2002-2016.api2.jsonl.gz"
  "$v/nvd-api2-2002-2016/nvd-cve-modified-2024-10-25.api2.jsonl.gz"
  "$v/anchore-nvd-data-overrides/nvd-overrides.jsonl.gz"
  "$v/cisa-vulnrichment/vulnrichment-cve5.jsonl.gz"
  "$v/cisa-kev/known_exploited_vulnerabilities.json"
  "$v/cisa-kev/known_exploited_vulnerabilities.csv"
  "$v/cisa-csaf/cisa-csaf-advisories.jsonl.gz"
  "$v/pypa-advisory-db-osv/pypa-advisory-db-osv.tar.gz"
)
/usr/bin/time -f "total: %e s wall, peak RSS %M KB" target/release/kensa --db "$tmp/all.db" db import "${files[@]}"
echo "database size: $(( $(stat -c %s "$tmp/all.db") / 1048576 )) MB"
target/release/kensa --db "$tmp/all.db" db stats | head -9
