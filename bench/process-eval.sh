#!/usr/bin/env bash
# Detection measures for `kensa ot process` on BATADAL and Tennessee Eastman
# (docs/PROCESS-DETECTION.md). Thresholds come from normal data only.
#
#   bench/process-eval.sh [OUT_DIR]
#
# BATADAL: learn on dataset03.csv (normal), evaluate on dataset04.csv
# (development set) and, when present, test_dataset.csv (held-out check).
# Tennessee Eastman: learn on d00.dat (normal, stored transposed), evaluate on
# d00_te.dat (false alarms) and d01_te..d21_te (fault from sample 161).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
data=${KENSA_SHARED:-$root/../shared}/data/ot
out=${1:-$(mktemp -d)}
mkdir -p "$out"
kensa=${KENSA:-}
if [ -z "$kensa" ]; then
    cargo build --release -q -p kensa-cli --manifest-path "$root/Cargo.toml"
    kensa=${CARGO_TARGET_DIR:-$root/target}/release/kensa
fi

echo "== BATADAL"
b=$data/batadal
"$kensa" ot process learn "$b/dataset03.csv" -o "$out/batadal.json"
for set in dataset04 test_dataset; do
    [ -f "$b/$set.csv" ] || { echo "($set.csv absent: skipped)"; continue; }
    echo "-- $set.csv"
    tags=()
    [ "$set" = dataset04 ] && tags=(--attack-tags "$here/process/batadal-attack-tags.txt")
    "$kensa" ot process evaluate --model "$out/batadal.json" "$b/$set.csv" --labels ATT_FLAG "${tags[@]}" | tee "$out/$set.txt"
    "$kensa" ot process evaluate --model "$out/batadal.json" "$b/$set.csv" --labels ATT_FLAG "${tags[@]}" --format json > "$out/$set.json"
done

echo "== Tennessee Eastman"
bash "$here/process/te_to_csv.sh" "$data/tennessee-eastman" "$out/te"
"$kensa" ot process learn "$out/te/d00.csv" -o "$out/te.json"
for f in "$out"/te/d*_te.csv; do
    "$kensa" ot process evaluate --model "$out/te.json" "$f" --labels fault --format json > "$out/$(basename "$f" .csv).json"
done
python3 - "$out" <<'PY'
import json, sys
out = sys.argv[1]
rows, fdr = [], []
for i in range(1, 22):
    m = json.load(open(f"{out}/d{i:02d}_te.json"))
    k, r = m["kensa"], m["random"]
    rows.append((i, k["point"]["recall"], k["point"]["false_positive_rate"], r["point"]["recall"]))
    if i not in (3, 9, 15):
        fdr.append(k["point"]["recall"])
normal = json.load(open(f"{out}/d00_te.json"))["kensa"]
print("fault  FDR    FAR(first 160)  random FDR")
for i, d, f, r in rows:
    print(f"{i:5d}  {d:.3f}  {f:.3f}           {r:.3f}")
print(f"mean FDR (faults 3, 9, 15 excluded): {sum(fdr) / len(fdr):.3f}")
print(f"false-alarm rate on d00_te (normal): {normal['point']['false_positive_rate']:.3f} "
      f"({normal['alarm_rows']} of {normal['rows']} rows, {normal['false_alarm_episodes']} episodes)")
PY
