#!/usr/bin/env bash
# The whole test suite on a fresh Debian machine: installs the system
# packages the build and tests use when they are missing (scripts/deps.sh:
# libpcap, a headless Chromium and its WebDriver, Japanese fonts, tcpreplay),
# then runs `cargo test --workspace --all-features` (live capture included)
# with any arguments given.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
exec cargo test --workspace --all-features "$@"
