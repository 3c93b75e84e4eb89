#!/usr/bin/env bash
# Prints the path of diesel_cli, which the schema check (tests/it/schema.rs) runs to print the
# schema of a migrated database; installs the pinned version under target/diesel-cli when it
# is missing (a few minutes on two cores; it needs libpq, which scripts/test.sh installs).
set -euo pipefail
cd "$(dirname "$0")/.."
version="2.3.4"
bin="target/diesel-cli/bin/diesel"
if [ ! -x "$bin" ] || ! "$bin" --version 2>/dev/null | grep -q "Version: $version\$"; then
  echo "diesel-cli.sh: installing diesel_cli $version into target/diesel-cli" >&2
  cargo install diesel_cli --version "$version" --locked --no-default-features \
    --features "sqlite-bundled postgres" --root target/diesel-cli >&2
fi
echo "$PWD/$bin"
