#!/usr/bin/env bash
# Writes the patch files of crates/core/src/db/schema.rs anew after a migration: what
# `diesel print-schema` prints from a database the migrations made, on SQLite and on
# PostgreSQL, against the schema.rs you edited by hand (the shared one). tests/it/schema.rs
# then checks that each database's printing plus its patch is schema.rs.
# Usage: bash scripts/schema-patches.sh   (builds the binary; starts a throwaway PostgreSQL)
set -euo pipefail
cd "$(dirname "$0")/.."
diesel="$(bash scripts/diesel-cli.sh)"
cargo build --quiet --bin insignia
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# A database each, made by the server's start-up (which runs the migrations).
made() {
  timeout 10 target/debug/insignia serve --database "$1" --bind 127.0.0.1:0 >"$work/serve.log" 2>&1 || true
}
printf '[print_schema]\nfilter = { except_tables = ["^members_search", "^members_words"] }\n' >"$work/sqlite.toml"
printf '[print_schema]\n' >"$work/postgres.toml"
made "$work/site.db"
"$diesel" print-schema --config-file "$work/sqlite.toml" --database-url "$work/site.db" >"$work/sqlite.rs"

eval "$(bash scripts/pg-cluster.sh start)"
trap 'bash scripts/pg-cluster.sh stop "$PG_CLUSTER_DIR"; rm -rf "$work"' EXIT
made "$INSIGNIA_TEST_POSTGRES"
"$diesel" print-schema --config-file "$work/postgres.toml" --database-url "$INSIGNIA_TEST_POSTGRES" >"$work/postgres.rs"

for db in sqlite postgres; do
  diff -u --label "printed by diesel" --label "src/db/schema.rs" \
    "$work/$db.rs" crates/core/src/db/schema.rs >"crates/core/src/db/schema.$db.patch" || true
  echo "schema-patches: crates/core/src/db/schema.$db.patch"
done
