#!/usr/bin/env bash
# The whole test suite on a fresh Debian machine: installs the system
# packages the tests use when they are missing (a headless Chromium and its
# WebDriver for the web UI test, Japanese fonts for its Japanese pages),
# then runs `cargo test --workspace` with any arguments given.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(chromium chromium-driver fonts-noto-cjk)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "scripts/test.sh: installing ${missing[*]}" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

exec cargo test --workspace "$@"
