#!/usr/bin/env bash
# Shortlist coverage of `kensa alias propose` (issue #16): which unresolved
# components of the firmware evaluation set (bench/firmware-eval) would be
# sent to a model, and whether the right product is among their candidates.
# No model is needed: the endpoint is a closed port, so every request fails
# and the JSON still lists each component's shortlist.
#
#   bench/propose-shortlist.sh [WORKDIR] [--no-mappings]   (KENSA=path/to/kensa to skip the build)
set -euo pipefail
cd "$(dirname "$0")/.."
work=${1:-/tmp/kensa-propose-eval}
v=../shared/data/vuln
mkdir -p "$work"
if [ -z "${KENSA:-}" ]; then
  cargo build --release -q -p kensa-cli
  KENSA=${CARGO_TARGET_DIR:-target}/release/kensa
fi
db="$work/all.db"
[ "${2:-}" = "--no-mappings" ] && db="$work/nomap.db"
if [ ! -f "$db" ]; then
  "$KENSA" -q --db "$db" db import "$v"/nvd-api2-2002-2016/*.jsonl.gz \
    "$v/anchore-nvd-data-overrides/nvd-overrides.jsonl.gz" "$v/cisa-vulnrichment/vulnrichment-cve5.jsonl.gz" \
    "$v/cisa-kev/known_exploited_vulnerabilities.json" "$v/cisa-csaf/cisa-csaf-advisories.jsonl.gz" \
    "$v/pypa-advisory-db-osv/pypa-advisory-db-osv.tar.gz"
fi
if [ "${2:-}" != "--no-mappings" ]; then
  "$KENSA" -q --db "$db" db import --no-rescan "$v/name-mappings/openembedded-cve-product.tsv"
fi
e=bench/firmware-eval
python3 $e/eval.py make $e/laird-som60.manifest.csv $e/truth.tsv "$work" >/dev/null
KENSA_LLM_BASE_URL=http://127.0.0.1:9/v1 KENSA_LLM_MODEL=none \
  "$KENSA" -q --db "$db" alias propose --sbom "$work/firmware.cdx.json" --format json --jobs 8 \
  >"$work/propose.json" || true
python3 $e/shortlist.py "$work/propose.json"
