#!/usr/bin/env bash
# `kensa ot monitor` throughput and memory (issue #14).
#
#   bench/ot-monitor.sh [SYNTH_MB]
#
# 1. The monitor's pipeline on a file (`--read`, as fast as it goes): a
#    synthetic Modbus/DNP3 capture of SYNTH_MB (default 100) against a
#    baseline learned on a smaller one of the same sessions, beside `ot
#    detect` on the same file; wall time and peak RSS from /usr/bin/time.
# 2. Bounded memory: 200,000 and 2,000,000 packets that each open a new
#    conversation (bench/synth_flows.py): peak RSS must not grow with them.
# 3. Live (needs root, ip, tcpreplay): the smaller synthetic capture replayed
#    by tcpreplay at 25,000, 50,000 and 100,000 packets/s and at top speed
#    into a veth pair inside a network namespace and monitored on the other
#    end; packets seen, kernel drops, peak RSS.
set -euo pipefail
cd "$(dirname "$0")/.."
mb=${1:-100}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target}
cargo build --release -q -p kensa-cli
k=$CARGO_TARGET_DIR/release/kensa
t=$(mktemp -d)
ns=kensa-bench-$$
cleanup() { ip netns del "$ns" 2>/dev/null || true; rm -rf "$t"; }
trap cleanup EXIT

timed() { # label command...
  /usr/bin/time -f "%e %M" -o "$t/time" "${@:2}" >/dev/null 2>"$t/err" || { cat "$t/err" >&2; exit 1; }
  read -r wall rss < "$t/time"
  printf '| %s | %s s | %d MB |\n' "$1" "$wall" $(( rss / 1024 ))
}

"$k" -q ot synth "$t/learn.pcap" --megabytes $(( mb / 4 ))
"$k" -q ot synth "$t/synth.pcap" --megabytes "$mb"
"$k" -q ot baseline learn "$t/learn.pcap" -o "$t/b.json"
packets=$("$k" -q ot decode --format summary "$t/synth.pcap" | awk '/^packets/ {gsub(",", "", $2); print $2}')
echo "synthetic capture: $mb MB, $packets packets"
echo
echo "| run | wall | peak RSS |"
echo "|---|---|---|"
timed "ot monitor --read ($mb MB synthetic, baseline)" "$k" -q ot monitor --read "$t/synth.pcap" --baseline "$t/b.json"
timed "ot detect ($mb MB synthetic, baseline)" "$k" -q ot detect --baseline "$t/b.json" "$t/synth.pcap"
timed "ot decode ($mb MB synthetic)" "$k" -q ot decode --format summary "$t/synth.pcap"
for n in 200000 2000000; do
  python3 bench/synth_flows.py "$n" "$t/flows.pcap"
  timed "ot monitor --read ($n new conversations, no baseline)" "$k" -q ot monitor --read "$t/flows.pcap"
done

if [ "$(id -u)" != 0 ] || ! command -v tcpreplay >/dev/null || ! command -v ip >/dev/null; then
  echo "live part skipped: needs root, ip and tcpreplay" >&2
  exit 0
fi
ip netns add "$ns"
ip netns exec "$ns" ip link add veth0 type veth peer name veth1
ip netns exec "$ns" sysctl -q -w net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
for i in veth0 veth1; do ip netns exec "$ns" ip link set "$i" mtu 9000 up; done
live() { # tcpreplay rate option, capture
  ip netns exec "$ns" /usr/bin/time -f "%e %M" -o "$t/live.time" \
    "$k" ot monitor -i veth1 --baseline "$t/b.json" --buffer-mb 64 -o "$t/live.jsonl" 2>"$t/live.err" &
  local pid=$!
  for _ in $(seq 100); do grep -q "monitoring interface" "$t/live.err" 2>/dev/null && break; sleep 0.1; done
  sleep 0.5
  ip netns exec "$ns" tcpreplay $1 -i veth0 "$2" > "$t/replay.txt" 2>&1
  sleep 1
  # /usr/bin/time ignores SIGINT: signal the monitor itself.
  kill -INT "$(pgrep -P $pid)"
  wait $pid || true
  local rate seen dropped rss
  rate=$(awk '/Rated:/ {print $(NF-1)}' "$t/replay.txt")
  seen=$(awk '/packets seen/ {print $3}' "$t/live.err")
  dropped=$(awk '/dropped by the kernel/ {print $5}' "$t/live.err")
  read -r _ rss < "$t/live.time"
  printf '| %s | %s | %s | %s | %d MB |\n' "$1" "$rate" "$seen" "$dropped" $(( rss / 1024 ))
}
echo
echo "live: $(basename "$t/learn.pcap") replayed by tcpreplay into veth0, kensa ot monitor -i veth1 (64 MB kernel buffer)"
echo
echo "| tcpreplay | sent pps | packets seen | dropped by the kernel | monitor peak RSS |"
echo "|---|---|---|---|---|"
for rate in "--pps=25000" "--pps=50000" "--pps=100000" "--topspeed"; do
  live "$rate" "$t/learn.pcap"
done
