#!/usr/bin/env bash
# The fixed costs of issue #18's checks, on a database holding all of
# ../shared/data/vuln (as bench/all.sh): the quick and full integrity checks
# (`db import` and `db sync` run the quick one before writing), a small
# import into that database (which pays the quick check), and a 4 MB gzip
# of 4 GiB of newlines (refused once past the 64 MiB blank-line bound).
#
#   bench/reliability.sh [WORKDIR]
set -euo pipefail
cd "$(dirname "$0")/.."
work=${1:-/tmp/kensa-bench-reliability}
v=../shared/data/vuln
[ -d "$v" ] || { echo "bench/reliability.sh: $v not found" >&2; exit 1; }
mkdir -p "$work"
cargo build --release -q -p kensa-cli
bin=${CARGO_TARGET_DIR:-target}/release/kensa
db="$work/all.db"
if [ ! -f "$db" ]; then
  "$bin" -q --db "$db" db import "$v"/nvd-api2-2002-2016/*.jsonl.gz \
    "$v/anchore-nvd-data-overrides/nvd-overrides.jsonl.gz" "$v/cisa-vulnrichment/vulnrichment-cve5.jsonl.gz" \
    "$v/cisa-kev/known_exploited_vulnerabilities.json" "$v/cisa-kev/known_exploited_vulnerabilities.csv" \
    "$v/cisa-csaf/cisa-csaf-advisories.jsonl.gz" "$v/pypa-advisory-db-osv/pypa-advisory-db-osv.tar.gz"
fi
echo "database: $(( $(stat -c %s "$db") / 1048576 )) MB"
for depth in "" --full; do
  /usr/bin/time -f "db check $depth: %e s, peak RSS %M KB" "$bin" --db "$db" db check $depth >/dev/null
done
/usr/bin/time -f "db import of the KEV catalog (quick check included): %e s" \
  "$bin" -q --db "$db" db import --no-rescan "$v/cisa-kev/known_exploited_vulnerabilities.json"
bomb="$work/newlines.gz"
[ -f "$bomb" ] || head -c 4G /dev/zero | tr '\0' '\n' | gzip -9 >"$bomb"
rm -f "$work/bomb.db"
echo "newlines: $(stat -c %s "$bomb") bytes of gzip"
/usr/bin/time -f "refused after: %e s, peak RSS %M KB" \
  "$bin" -q --db "$work/bomb.db" db import "$bomb" 2>&1 | grep -v "^  " || true
