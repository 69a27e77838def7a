#!/usr/bin/env bash
# The detection measures of docs/OT-DETECTION.md on the shared captures:
# attack episodes found, and false alarms per 1,000 normal packets, per
# capture and in total. Works with any kensa build that has `ot baseline
# learn` and `ot detect` (so the same script measures before and after).
#
#   bench/ot-eval.sh [path/to/kensa] > table.md      (data: ../shared/data/ot)
#
# Attack captures: each is one episode, checked against a baseline of other
# captures of the same hosts (the pairs of bench/ot-detect-eval.sh); it is
# found when at least one alert is raised (and "found at medium+" when one
# is medium or worse). Normal captures: every capture of 200 packets or
# more whose name and folder do not say attack, fuzzing or test (identical
# files counted once; EmreEkin's `dnp3dataset_capturerem_to_cite_the_paper`
# is left out: it is an intrusion dataset, with DNP3 from spoofed public
# addresses, cold restarts and rewritten retransmissions); each is learned on its first half and checked on its
# second half, so every alert there is a false alarm.
set -euo pipefail
cd "$(dirname "$0")/.."
K=${1:-target/debug/kensa}
D=${OT_DATA:-../shared/data/ot}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
[ -d "$D" ] || { echo "no data at $D" >&2; exit 1; }

packets() { "$K" -q ot decode --format summary "$1" | awk '/^packets/ {gsub(",", "", $2); print $2}'; }

# alerts, alerts at medium or worse, rules
alerts() {
  "$K" -q ot detect --baseline "$@" --format jsonl 2>/dev/null |
    jq -rs '[length, (map(select(.severity == "medium" or .severity == "high" or .severity == "critical")) | length),
             (map(.rule) | unique | join(" "))] | @tsv'
}

echo "| kind | capture | packets checked | alerts | medium+ | rules |"
echo "|---|---|---|---|---|---|"
found=0; found_m=0; episodes=0
attack() { # baseline capture label
  local n a m r
  n=$(packets "$2")
  IFS=$'\t' read -r a m r < <(alerts "$1" "$2")
  episodes=$((episodes + 1))
  [ "$a" -gt 0 ] && found=$((found + 1))
  [ "$m" -gt 0 ] && found_m=$((found_m + 1))
  echo "| attack | $3 | $n | $a | $m | ${r:-none} |"
}

G=$D/gymgit-s7-pcaps
"$K" -q ot baseline learn "$G/snap7_s300_readVar.pcapng" "$G/snap7_s300_setupCommunication.pcapng" -o "$T/s7a.json"
for f in snap7_s300_stop step7_s300_stop step7_s300_AuthPassword step7_s300_copyRamToRom; do
  attack "$T/s7a.json" "$G/$f.pcapng" "gymgit $f"
done
"$K" -q ot baseline learn "$G/step7_s300_readDiagData.pcapng" "$G/step7_s300_readVarTab.pcapng" "$G/wincc_s300_setup-alarm-read.pcapng" "$G/wincc_s300_setup-alarm-read_2.pcapng" -o "$T/s7b.json"
for f in step7_s300_download step7_s300_rwVarTab wincc_s300_setup-alarm-read-write; do
  attack "$T/s7b.json" "$G/$f.pcapng" "gymgit $f"
done
"$K" -q ot baseline learn "$G/tia_s300_goOnline.pcapng" -o "$T/s7c.json"
for f in tia_s300_downloadOb1 tia_s300_downloadHwConfig tia_s300_flashLed snap7_s300_everything; do
  attack "$T/s7c.json" "$G/$f.pcapng" "gymgit $f"
done
O=$D/ITI-ICS-Security-Tools/pcaps/openics
"$K" -q ot baseline learn --split first-half "$O/EIP-RebootorRestart.pcap" "$O/EIP-LockPLCAttempt.pcap" -o "$T/eip.json"
# Byte-identical duplicates (UnlockPLCAttempt = LockPLCAttempt,
# SoftwareDownload = RebootorRestart) are counted once.
for f in "$O"/EIP-*.pcap; do
  case "$(basename "$f")" in EIP-UnlockPLCAttempt.pcap|EIP-SoftwareDownload.pcap) continue;; esac
  attack "$T/eip.json" "$f" "openics $(basename "$f" .pcap)"
done
S=$D/suricata-verify/tests/dnp3
"$K" -q ot baseline learn "$S/dnp3-max-points/test.pcap" -o "$T/dnp3a.json"
for f in dnp3-flood/input.pcap dnp3-too-long-reassembly-request/input.pcap dnp3-too-long-reassembly-response/input.pcap; do
  attack "$T/dnp3a.json" "$S/$f" "suricata-verify $(dirname $f)"
done
"$K" -q ot baseline learn "$S/dnp3-select-operate/input.pcap" "$S/dnp3-en-spon/input.pcap" -o "$T/dnp3b.json"
for f in dnp3-write dnp3-file-write dnp3-file-del dnp3-file-read dnp3-del-measure; do
  attack "$T/dnp3b.json" "$S/$f/input.pcap" "suricata-verify $f"
done

normal_packets=0; false_alarms=0; false_m=0; normal_caps=0; quiet=0
declare -A seen
while IFS= read -r f; do
  sum=$(md5sum < "$f" | cut -d' ' -f1)
  [ -n "${seen[$sum]:-}" ] && continue
  seen[$sum]=1
  n=$(packets "$f")
  [ "${n:-0}" -ge 200 ] || continue
  checked=$((n - n / 2))
  "$K" -q ot baseline learn --split first-half "$f" -o "$T/n.json" 2>/dev/null || continue
  IFS=$'\t' read -r a m r < <(alerts "$T/n.json" --split second-half "$f")
  normal_caps=$((normal_caps + 1)); normal_packets=$((normal_packets + checked))
  false_alarms=$((false_alarms + a)); false_m=$((false_m + m))
  [ "$a" -eq 0 ] && quiet=$((quiet + 1))
  echo "| normal | ${f#$D/} | $checked | $a | $m | ${r:-none} |"
done < <(find "$D" \( -name '*.pcap' -o -name '*.pcapng' -o -name '*.cap' \) | sort |
  grep -viE 'attack|fuzz|test|malform|flood|inject|replay|mitm|scan|spoof|openics|suricata|exploit|stop|download|password|copyRam|rwVarTab|write|everything|flash|dataset')

echo
echo "attack episodes found: $found of $episodes ($((100 * found / episodes)) %); at medium or worse: $found_m"
awk -v fa="$false_alarms" -v fm="$false_m" -v p="$normal_packets" -v c="$normal_caps" -v q="$quiet" 'BEGIN {
  printf "false alarms: %d in %d normal packets of %d captures = %.2f per 1,000 (medium+: %d = %.2f per 1,000); %d captures raise none\n",
    fa, p, c, 1000 * fa / p, fm, 1000 * fm / p, q }'
