#!/usr/bin/env bash
# Scan scaling benchmark (issue #3): the same SBOM of N components scanned
# against the NVD 2002-2016 set (1x) and against ten copies of it whose
# copies 2-10 name distinct products (10x records, 10x products; see
# bench/synth.py --distinct-products). Prints the median of RUNS scans per
# database, and the scan of N/10 and N components on 1x for the component
# axis.
#
#   bench/scan_scale.sh [N] [RUNS] [WORKDIR]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-10000}; runs=${2:-3}; work=${3:-/tmp/kensa-bench}
src=../shared/data/vuln/nvd-api2-2002-2016/nvd-cve-2002-2016.api2.jsonl.gz
mkdir -p "$work"
cargo build --release -q -p kensa-cli
bin=target/release/kensa
[ -f "$work/scale-1x.db" ] || "$bin" -q --db "$work/scale-1x.db" db import "$src"
if [ ! -f "$work/scale-10x.db" ]; then
  [ -f "$work/nvd-x10-distinct.jsonl.gz" ] || python3 bench/synth.py "$src" "$work/nvd-x10-distinct.jsonl.gz" 10 --distinct-products
  "$bin" -q --db "$work/scale-10x.db.tmp" db import "$work/nvd-x10-distinct.jsonl.gz"
  mv "$work/scale-10x.db.tmp" "$work/scale-10x.db"
fi
small=$((n / 10))
[ -f "$work/scale-sbom-$n.cdx.json" ] || python3 bench/synth_sbom.py "$work/scale-1x.db" "$n" "$work/scale-sbom-$n.cdx.json"
[ -f "$work/scale-sbom-$small.cdx.json" ] || python3 bench/synth_sbom.py "$work/scale-1x.db" "$small" "$work/scale-sbom-$small.cdx.json"
measure() {
  : >"$work/t"
  for _ in $(seq "$runs"); do
    /usr/bin/time -f "%e %U %S %M" -a -o "$work/t" "$bin" --db "$1" scan "$2" --format json >"$work/out.json"
  done
  sort -n "$work/t" | awk '{t[NR]=$1; u[NR]=$2+$3; m[NR]=$4} END {i=int((NR+1)/2); printf "%8s s wall %8.2f s cpu %6d MB", t[i], u[i], m[i]/1024}'
  python3 -c "import json,sys; s=json.load(open(sys.argv[1]))['summary']; print('  findings', s['findings'])" "$work/out.json"
}
printf '%-26s' "1x db, $small components"; measure "$work/scale-1x.db" "$work/scale-sbom-$small.cdx.json"
printf '%-26s' "1x db, $n components"; measure "$work/scale-1x.db" "$work/scale-sbom-$n.cdx.json"
printf '%-26s' "10x db, $n components"; measure "$work/scale-10x.db" "$work/scale-sbom-$n.cdx.json"
ls -l "$work/scale-1x.db" "$work/scale-10x.db" | awk '{printf "%s %d MB\n", $9, $5/1048576}'
