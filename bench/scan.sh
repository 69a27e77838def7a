#!/usr/bin/env bash
# Scan benchmark (issue #3): a synthetic SBOM of N real product names
# (bench/synth_sbom.py, no CPEs, so every component goes through name
# resolution) against a database holding all of ../shared/data/vuln.
# Prints the median of RUNS scans and peak memory.
#
#   bench/scan.sh [N] [RUNS] [WORKDIR]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-10000}; runs=${2:-5}; work=${3:-/tmp/kensa-bench}
v=../shared/data/vuln
mkdir -p "$work"
cargo build --release -q -p kensa-cli
bin=target/release/kensa
db="$work/all.db"
if [ ! -f "$db" ]; then
  "$bin" -q --db "$db" db import "$v"/nvd-api2-2002-2016/*.jsonl.gz \
    "$v/anchore-nvd-data-overrides/nvd-overrides.jsonl.gz" "$v/cisa-vulnrichment/vulnrichment-cve5.jsonl.gz" \
    "$v/cisa-kev/known_exploited_vulnerabilities.json" "$v/cisa-csaf/cisa-csaf-advisories.jsonl.gz" \
    "$v/pypa-advisory-db-osv/pypa-advisory-db-osv.tar.gz"
fi
sbom="$work/sbom-$n.cdx.json"
[ -f "$sbom" ] || python3 bench/synth_sbom.py "$db" "$n" "$sbom"
: >"$work/t"
for _ in $(seq "$runs"); do
  /usr/bin/time -f "%e %M" -a -o "$work/t" "$bin" --db "$db" scan "$sbom" --format json >"$work/out.json"
done
sort -n "$work/t" | awk -v r="$runs" '{t[NR]=$1; m[NR]=$2} END {i=int((NR+1)/2); printf "components: %s\nscan (median of %d): %s s\npeak RSS: %d MB\n", "'"$n"'", r, t[i], m[i]/1024}'
python3 -c "import json,sys; print('summary:', json.load(open(sys.argv[1]))['summary'])" "$work/out.json"
