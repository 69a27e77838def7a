#!/usr/bin/env bash
# Evaluates `kensa ot baseline learn` + `kensa ot detect` on the shared OT
# captures: attack captures against a baseline of normal traffic of the same
# hosts, and false alarms on normal captures (learn on the first half of the
# packets, detect on the second half). Prints a Markdown table.
# Usage: bench/ot-detect-eval.sh [path/to/kensa]   (data: ../shared/data/ot)
set -euo pipefail
cd "$(dirname "$0")/.."
K=${1:-target/debug/kensa}
D=${OT_DATA:-../shared/data/ot}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
[ -d "$D" ] || { echo "no data at $D" >&2; exit 1; }

# rule:severity=alerts(occurrences), sorted
summary() {
  "$K" -q ot detect --baseline "$1" "${@:2}" --format jsonl |
    jq -rs 'group_by(.rule + ":" + .severity) | map("\(.[0].rule):\(.[0].severity)=\(length)(\(map(.count)|add))") | join(" ") | if . == "" then "none" else . end'
}

row() { printf '| %s | %s | %s | %s |\n' "$1" "$2" "$3" "$4"; }

echo "| kind | learned on | checked | alerts: rule:severity=alerts(occurrences) |"
echo "|---|---|---|---|"

# --- attacks ---------------------------------------------------------------
G=$D/gymgit-s7-pcaps
"$K" -q ot baseline learn "$G/snap7_s300_readVar.pcapng" "$G/snap7_s300_setupCommunication.pcapng" -o "$T/s7a.json"
for f in snap7_s300_stop step7_s300_stop step7_s300_AuthPassword step7_s300_copyRamToRom; do
  row attack "snap7 readVar+setupCommunication (PLC .61.163)" "gymgit $f" "$(summary "$T/s7a.json" "$G/$f.pcapng")"
done
"$K" -q ot baseline learn "$G/step7_s300_readDiagData.pcapng" "$G/step7_s300_readVarTab.pcapng" "$G/wincc_s300_setup-alarm-read.pcapng" "$G/wincc_s300_setup-alarm-read_2.pcapng" -o "$T/s7b.json"
for f in step7_s300_download step7_s300_rwVarTab wincc_s300_setup-alarm-read-write; do
  row attack "step7 readDiagData+readVarTab, wincc alarm-read (PLC .61.182)" "gymgit $f" "$(summary "$T/s7b.json" "$G/$f.pcapng")"
done
"$K" -q ot baseline learn "$G/tia_s300_goOnline.pcapng" -o "$T/s7c.json"
for f in tia_s300_downloadOb1 tia_s300_downloadHwConfig tia_s300_flashLed snap7_s300_everything; do
  row attack "tia goOnline (PLC .61.211)" "gymgit $f" "$(summary "$T/s7c.json" "$G/$f.pcapng")"
done

O=$D/ITI-ICS-Security-Tools/pcaps/openics
"$K" -q ot baseline learn --split first-half "$O/EIP-RebootorRestart.pcap" "$O/EIP-LockPLCAttempt.pcap" -o "$T/eip.json"
for f in "$O"/EIP-*.pcap; do
  row attack "first halves of openics EIP-RebootorRestart + EIP-LockPLCAttempt" "openics $(basename "$f" .pcap)" "$(summary "$T/eip.json" "$f")"
done

S=$D/suricata-verify/tests/dnp3
"$K" -q ot baseline learn "$S/dnp3-max-points/test.pcap" -o "$T/dnp3a.json"
for f in dnp3-flood/input.pcap dnp3-too-long-reassembly-request/input.pcap dnp3-too-long-reassembly-response/input.pcap; do
  row attack "suricata-verify dnp3-max-points (same hosts as dnp3-flood)" "suricata-verify $(dirname $f)" "$(summary "$T/dnp3a.json" "$S/$f")"
done
"$K" -q ot baseline learn "$S/dnp3-select-operate/input.pcap" "$S/dnp3-en-spon/input.pcap" -o "$T/dnp3b.json"
for f in dnp3-write dnp3-file-write dnp3-file-del dnp3-file-read dnp3-del-measure; do
  row attack "suricata-verify dnp3-select-operate + dnp3-en-spon" "suricata-verify $f" "$(summary "$T/dnp3b.json" "$S/$f/input.pcap")"
done

# --- normal captures: learn on the first half, detect on the second --------
for f in \
  "$G/wincc_s400_production.pcapng" "$G/wincc_s300_setup-alarm-read_2.pcapng" \
  "$G/step7_s300_readVarTab.pcapng" "$G/tia_s300_goOnline.pcapng" \
  "$D/ITI-ICS-Security-Tools/pcaps/ModbusTCP/ModbusTCP.pcap" \
  "$D/ITI-ICS-Security-Tools/pcaps/ModbusTCP/modbus_test_data_part1.pcap" \
  "$D/ITI-ICS-Security-Tools/pcaps/EthernetIP/EthernetIP-CIP.pcap" \
  "$D/ITI-ICS-Security-Tools/pcaps/CIP/cip_only.pcap" \
  "$D/ITI-ICS-Security-Tools/pcaps/s7/s7-1200-hmi.pcap" \
  "$D/ITI-ICS-Security-Tools/pcaps/s7/S7-1511_db2_var1_HMI.pcap" \
  "$S/dnp3-max-points/test.pcap" \
  $(ls "$D"/EmreEkin-ICS-Pcaps/*/*104*.pcap* 2>/dev/null | head -3); do
  [ -f "$f" ] || continue
  "$K" -q ot baseline learn --split first-half "$f" -o "$T/n.json"
  row normal "first half" "second half of $(basename "$f")" "$(summary "$T/n.json" --split second-half "$f")"
done
