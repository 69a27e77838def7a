#!/usr/bin/env bash
# Installs the Debian packages Kensa's build and tests use, when missing:
#   libpcap-dev                         live capture (`kensa ot monitor`) links libpcap
#   chromium chromium-driver            the web UI test drives a headless Chromium
#   fonts-noto-cjk                      Japanese pages render with real glyphs
#   tcpreplay iproute2                  the live-capture test replays a capture into a veth pair
#   postgresql                          the PostgreSQL backend's tests start a throwaway cluster
#   openssl                             which serves TLS from a throwaway CA (the TLS test)
set -euo pipefail
packages=(libpcap-dev chromium chromium-driver fonts-noto-cjk tcpreplay iproute2 postgresql openssl)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "scripts/deps.sh: installing ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
