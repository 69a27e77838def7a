#!/usr/bin/env bash
# Throughput and peak memory of `kensa ot process learn` and `detect` on
# synthetic plant data: by default a year of 1-second rows for 100 tags
# (31.5 million rows, gzip-compressed wide CSV, ~9 GB).
#
#   bench/process.sh [DAYS] [TAGS] [WORK_DIR]
#
# Needs GNU time (/usr/bin/time) for peak memory.
set -euo pipefail
days=${1:-365}
tags=${2:-100}
work=${3:-$(mktemp -d)}
mkdir -p "$work"
root=$(cd "$(dirname "$0")/.." && pwd)
kensa=${KENSA:-}
if [ -z "$kensa" ]; then
    cargo build --release -q -p kensa-cli --manifest-path "$root/Cargo.toml"
    kensa=${CARGO_TARGET_DIR:-$root/target}/release/kensa
fi
data=$work/plant-${days}d-${tags}tags.csv.gz
[ -f "$data" ] || "$kensa" ot process synth "$data" --days "$days" --tags "$tags" --step 1
rows=$((days * 86400))
echo "data: $data ($(du -h "$data" | cut -f1), $rows rows, $tags tags)"

measure() { # label command...
    local label=$1; shift
    /usr/bin/time -f "%e %U %S %M" -o "$work/time.txt" "$@"
    read -r seconds user system kib < "$work/time.txt"
    awk -v l="$label" -v s="$seconds" -v c="$(echo "$user + $system" | bc)" -v k="$kib" -v r="$rows" \
        'BEGIN { printf "%-7s %8.1f s wall %10.0f rows/s  %8.1f s CPU %10.0f rows/CPU-s  peak %6.1f MiB\n", l, s, r / s, c, r / c, k / 1024 }'
}
measure learn "$kensa" -q ot process learn "$data" -o "$work/model.json"
measure detect sh -c "\"$kensa\" ot process detect --model \"$work/model.json\" \"$data\" > /dev/null"
