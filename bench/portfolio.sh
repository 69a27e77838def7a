#!/usr/bin/env bash
# Portfolio benchmark (issue #3): PRODUCTS stored products of COMPONENTS
# components each (bench/synth_portfolio.py, drawn from a pool of POOL
# distinct components) in a database holding all of ../shared/data/vuln
# except NVD's modified feed; then that feed (2,393 CVEs modified on
# 2024-10-25) is imported and the portfolio rescanned. Each run starts from
# a copy of the same database. Prints the median of RUNS for the rescan
# alone (`kensa portfolio rescan` after `db import --no-rescan`) and for
# import plus automatic rescan, with peak memory.
#
#   bench/portfolio.sh [PRODUCTS] [COMPONENTS] [POOL] [RUNS] [WORKDIR]
set -euo pipefail
cd "$(dirname "$0")/.."
products=${1:-1000}; per=${2:-300}; pool=${3:-20000}; runs=${4:-5}; work=${5:-/tmp/kensa-bench}
v=../shared/data/vuln
feed="$v/nvd-api2-2002-2016/nvd-cve-modified-2024-10-25.api2.jsonl.gz"
mkdir -p "$work"
cargo build --release -q -p kensa-cli
bin=target/release/kensa
base="$work/portfolio-base.db"
if [ ! -f "$base" ]; then
  "$bin" -q --db "$base" db import "$v/nvd-api2-2002-2016/nvd-cve-2002-2016.api2.jsonl.gz" \
    "$v/anchore-nvd-data-overrides/nvd-overrides.jsonl.gz" "$v/cisa-vulnrichment/vulnrichment-cve5.jsonl.gz" \
    "$v/cisa-kev/known_exploited_vulnerabilities.json" "$v/cisa-csaf/cisa-csaf-advisories.jsonl.gz" \
    "$v/pypa-advisory-db-osv/pypa-advisory-db-osv.tar.gz"
fi
db="$work/portfolio-$products-$per-$pool.db"
if [ ! -f "$db" ]; then
  sbdir="$work/portfolio-$products-$per-$pool"
  [ -f "$sbdir/manifest.tsv" ] || python3 bench/synth_portfolio.py "$base" "$products" "$per" "$pool" "$sbdir"
  cp "$base" "$db.tmp"
  /usr/bin/time -f "product add --manifest: %e s, %M KB" "$bin" -q --db "$db.tmp" product add --manifest "$sbdir/manifest.tsv"
  mv "$db.tmp" "$db"
fi
"$bin" --db "$db" portfolio rescan --format json | python3 -c "import json,sys; r=json.load(sys.stdin); print('distinct components:', r['components'])"
run="$work/portfolio-run.db"
: >"$work/t-rescan"; : >"$work/t-both"
for _ in $(seq "$runs"); do
  cp "$db" "$run"
  "$bin" -q --db "$run" db import --no-rescan "$feed"
  /usr/bin/time -f "%e %M" -a -o "$work/t-rescan" "$bin" --db "$run" portfolio rescan --format json >"$work/rescan.json"
  cp "$db" "$run"
  # A database Kensa last checked (the copy is a change it has not seen).
  "$bin" -q --db "$run" db check >/dev/null
  /usr/bin/time -f "%e %M" -a -o "$work/t-both" "$bin" -q --db "$run" db import "$feed"
done
med() { sort -n "$1" | awk '{t[NR]=$1; m[NR]=$2} END {i=int((NR+1)/2); printf "%s s, peak RSS %d MB", t[i], m[i]/1024}'; }
echo "portfolio: $products products x $per components (pool $pool)"
echo "rescan after importing the modified feed (median of $runs): $(med "$work/t-rescan")"
echo "import + automatic rescan (median of $runs): $(med "$work/t-both")"
python3 -c "import json,sys; r=json.load(open(sys.argv[1])); print('rescanned', r['rescanned'], 'of', r['components'], 'components;', r['changed_vulnerabilities'], 'vulnerabilities changed;', len(r['new_findings']), 'new findings,', len(r['resolved_findings']), 'resolved')" "$work/rescan.json"
