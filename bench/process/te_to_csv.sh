#!/usr/bin/env bash
# Converts the Braatz Tennessee Eastman .dat files (whitespace-separated,
# 52 variables: XMEAS 1-41, XMV 1-11; d00.dat stored transposed) into wide
# CSV with a time column (3-minute samples) and a `fault` label column.
# Usage: te_to_csv.sh SRC_DIR OUT_DIR
# Test files (_te) carry the fault from sample 161 on; d00 files are normal.
set -euo pipefail
src=$1 out=$2
mkdir -p "$out"
header="time$(for i in $(seq 1 41); do printf ',XMEAS_%d' "$i"; done)$(for i in $(seq 1 11); do printf ',XMV_%d' "$i"; done),fault"
convert() { # file transposed fault_from
    local file=$1 transposed=$2 from=$3
    local name; name=$(basename "$file" .dat)
    {
        echo "$header"
        if [ "$transposed" = 1 ]; then
            awk '{ for (i = 1; i <= NF; i++) v[i, NR] = $i; if (NF > n) n = NF } END { for (r = 1; r <= n; r++) { line = v[r, 1]; for (c = 2; c <= NR; c++) line = line "," v[r, c]; print line } }' "$file"
        else
            awk '{ $1 = $1; gsub(/ /, ","); print }' "$file"
        fi | awk -v from="$from" 'BEGIN { OFS = "," } {
            t = (NR - 1) * 180; d = int(t / 86400); s = t % 86400
            printf "2000-01-%02dT%02d:%02d:%02dZ,%s,%d\n", d + 1, int(s / 3600), int(s % 3600 / 60), s % 60, $0, (from > 0 && NR >= from) ? 1 : 0
        }'
    } > "$out/$name.csv"
}
convert "$src/d00.dat" 1 0
convert "$src/d00_te.dat" 0 0
for i in $(seq -w 1 21); do
    convert "$src/d${i}_te.dat" 0 161
done
