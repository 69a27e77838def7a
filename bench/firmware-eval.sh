#!/usr/bin/env bash
# Firmware detection evaluation (issue #16): a real Buildroot image's
# manifest (bench/firmware-eval/, see its README) scanned by name and
# version as the build wrote them, against the same components identified
# by their canonical CPE and upstream version, both against all of
# ../shared/data/vuln with the curated name mappings imported.
#
#   bench/firmware-eval.sh [WORKDIR]      (KENSA=path/to/kensa to skip the build)
set -euo pipefail
cd "$(dirname "$0")/.."
work=${1:-/tmp/kensa-firmware-eval}
v=../shared/data/vuln
mkdir -p "$work"
if [ -z "${KENSA:-}" ]; then
  cargo build --release -q -p kensa-cli
  KENSA=${CARGO_TARGET_DIR:-target}/release/kensa
fi
db="$work/all.db"
if [ ! -f "$db" ]; then
  "$KENSA" -q --db "$db" db import "$v"/nvd-api2-2002-2016/*.jsonl.gz \
    "$v/anchore-nvd-data-overrides/nvd-overrides.jsonl.gz" "$v/cisa-vulnrichment/vulnrichment-cve5.jsonl.gz" \
    "$v/cisa-kev/known_exploited_vulnerabilities.json" "$v/cisa-csaf/cisa-csaf-advisories.jsonl.gz" \
    "$v/pypa-advisory-db-osv/pypa-advisory-db-osv.tar.gz"
fi
"$KENSA" -q --db "$db" db import --no-rescan "$v/name-mappings/openembedded-cve-product.tsv"
e=bench/firmware-eval
python3 $e/eval.py make $e/laird-som60.manifest.csv $e/truth.tsv "$work"
"$KENSA" --db "$db" scan "$work/firmware.cdx.json" --format json >"$work/firmware.json"
"$KENSA" --db "$db" scan "$work/truth.cdx.json" --format json >"$work/truth.json"
python3 $e/eval.py score "$work/firmware.json" "$work/truth.json" ${SHOW:+--show}
