#!/usr/bin/env bash
# OT decode benchmark (issue #6). Decodes a synthetic Modbus/DNP3 capture
# and the largest shared OT captures with `kensa ot decode --format jsonl`
# and, in the same run, with `tshark -r FILE -T json` (Debian's tshark;
# installed with apt-get when missing and possible). Reports MB/s, PDUs/s,
# peak RSS and the speed ratio; memory flatness is shown by decoding
# synthetic captures of two sizes.
#
#   bench/ot.sh [SYNTH_MB] [RUNS]
#
# SYNTH_MB (default 200) is the larger synthetic capture; the smaller is a
# quarter of it. RUNS (default 3): kensa timings are the best of RUNS;
# tshark runs once per file (it is the slow side).
set -euo pipefail
cd "$(dirname "$0")/.."
synth_mb=${1:-200}
runs=${2:-3}
data=../shared/data/ot

cargo build --release -q -p kensa-cli
kensa=target/release/kensa

if ! command -v tshark >/dev/null; then
  echo "tshark missing: trying apt-get install -y tshark" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q tshark >/dev/null 2>&1 \
    || echo "tshark could not be installed; kensa figures only" >&2
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
small_mb=$(( synth_mb / 4 ))
$kensa ot synth "$tmp/synth-${small_mb}MB.pcap" --megabytes "$small_mb"
$kensa ot synth "$tmp/synth-${synth_mb}MB.pcap" --megabytes "$synth_mb"

inputs=("$tmp/synth-${small_mb}MB.pcap" "$tmp/synth-${synth_mb}MB.pcap")
if [ -d "$data" ]; then
  # The three largest shared captures that carry decoded protocols.
  while IFS= read -r f; do inputs+=("$f"); done < <(
    find "$data" -type f \( -name '*.pcap' -o -name '*.pcapng' \) -printf '%s\t%p\n' \
      | sort -rn | cut -f2 | while IFS= read -r f; do
          n=$($kensa -q ot decode "$f" 2>/dev/null | head -1000 | wc -l)
          [ "$n" -gt 0 ] && echo "$f"
        done | head -3)
fi

# Prints "seconds peak_kb" for one command, output discarded.
measure() {
  /usr/bin/time -f "%e %M" -o "$tmp/time" "$@" >/dev/null 2>"$tmp/stderr" || {
    echo "failed: $* ($(tail -1 "$tmp/stderr"))" >&2
    echo "nan 0"
    return
  }
  cat "$tmp/time"
}

printf '| capture | MB | PDUs | kensa s | kensa MB/s | kensa PDUs/s | kensa peak RSS | tshark s | tshark peak RSS | speed-up |\n'
printf '|---|---|---|---|---|---|---|---|---|---|\n'
for f in "${inputs[@]}"; do
  bytes=$(stat -c %s "$f")
  mb=$(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1e6 }')
  pdus=$($kensa -q ot decode "$f" | grep -vc '"malformed"' || true)
  best=""; rss=0
  for _ in $(seq "$runs"); do
    read -r s kb < <(measure "$kensa" -q ot decode "$f" --format jsonl)
    if [ -z "$best" ] || awk -v a="$s" -v b="$best" 'BEGIN { exit !(a < b) }'; then best=$s; fi
    [ "$kb" -gt "$rss" ] && rss=$kb
  done
  # /usr/bin/time reports 0.00 s for sub-10 ms runs; floor at 0.01 s.
  t=$(awk -v s="$best" 'BEGIN { print (s < 0.01 ? 0.01 : s) }')
  kmbs=$(awk -v b="$bytes" -v t="$t" 'BEGIN { printf "%.0f", b / 1e6 / t }')
  kpps=$(awk -v p="$pdus" -v t="$t" 'BEGIN { printf "%.0f", p / t }')
  if command -v tshark >/dev/null; then
    read -r ts tkb < <(measure tshark -r "$f" -T json)
    ratio=$(awk -v a="$ts" -v b="$t" 'BEGIN { printf "%.0f×", a / b }')
    tshark_cols="$ts | $(( tkb / 1024 )) MB | $ratio"
  else
    tshark_cols="n/a | n/a | n/a"
  fi
  printf '| %s | %s | %s | %s | %s | %s | %s MB | %s |\n' \
    "${f#"$tmp/"}" "$mb" "$pdus" "$best" "$kmbs" "$kpps" "$(( rss / 1024 ))" "$tshark_cols"
done
