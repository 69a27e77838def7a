#!/usr/bin/env bash
# Questions per finding before/after automatic answers on the demo product
# (issue #17, docs/ASSESSMENT.md). Usage: bench/auto-answers.sh [KENSA]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
kensa=${1:-${CARGO_TARGET_DIR:-$here/target}/release/kensa}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
"$kensa" -q demo --keep "$tmp/demo.db" >/dev/null
echo "== SBOM and findings only"
python3 "$here/bench/auto_answers.py" "$kensa" "$tmp/demo.db" rtu-gateway | head -5
echo "== with the facts file and the product profile"
python3 "$here/bench/auto_answers.py" "$kensa" "$tmp/demo.db" rtu-gateway \
  --facts "$here/demo/rtu-gateway.facts.yaml" --profile "$here/demo/rtu-gateway.profile.yaml"
