#!/usr/bin/env bash
# The one command that checks Insignia: installs what the tests need when it is missing
# (Chromium and its WebDriver for the browser tests), then format, lints and every test.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
  echo "test.sh: installing chromium and chromium-driver (Debian packages)"
  SUDO=""
  if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium chromium-driver >/dev/null
fi

cargo fmt --check
cargo clippy --all-targets -- -D warnings
# Two cores: run test binaries with two threads; browser tests serialise themselves.
cargo test --all-targets -- --test-threads=2
