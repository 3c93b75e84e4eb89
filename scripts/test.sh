#!/usr/bin/env bash
# The one command that checks Insignia: installs what the tests need when it is missing
# (Chromium and its WebDriver for the browser tests, wrk for the load benchmark's smoke run,
# the npm packages of the Wix client test, schemathesis for the API document test, aiosmtpd
# for the mail tests, diesel_cli for the schema check, libpq and the PostgreSQL 15 server),
# then the module-circle check,
# format, lints and every test — those whose behaviour depends on the database twice, on
# SQLite and on a throwaway PostgreSQL cluster.
set -euo pipefail
cd "$(dirname "$0")/.."

# Chromium and its WebDriver for the browser tests, wrk for the load benchmark's smoke run.
if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1 \
  || ! command -v wrk >/dev/null 2>&1; then
  echo "test.sh: installing chromium, chromium-driver and wrk (Debian packages)"
  SUDO=""
  if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium chromium-driver wrk >/dev/null
fi

# libpq (the PostgreSQL client library Insignia links) and the server the second pass runs on.
if ! dpkg -s libpq-dev >/dev/null 2>&1 || [ ! -x /usr/lib/postgresql/15/bin/initdb ]; then
  echo "test.sh: installing libpq-dev and postgresql-15 (Debian packages)"
  SUDO=""
  if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq libpq-dev postgresql-15 >/dev/null
fi

# diesel_cli, pinned, for the check that crates/core/src/db/schema.rs is what `diesel
# print-schema` makes of the migrations (tests/it/schema.rs), on both databases.
INSIGNIA_DIESEL="$(bash scripts/diesel-cli.sh)"
export INSIGNIA_DIESEL

# The published Wix client (compat/), for the API compatibility test: Node.js 20+ and the
# packages pinned in compat/package-lock.json; axe-core for the browser tests likewise.
node_major="$(node --version 2>/dev/null | sed -E 's/^v([0-9]+).*/\1/' || true)"
if [ -z "$node_major" ] || [ "$node_major" -lt 20 ]; then
  echo "test.sh: Node.js 20 or newer is needed for the Wix client test (found: ${node_major:-none})" >&2
  exit 1
fi
(cd compat && npm ci --no-audit --no-fund --loglevel=error)
# axe-core, which the browser tests inject into every page they visit (tests/axe).
(cd tests/axe && npm ci --no-audit --no-fund --loglevel=error)

# The Python packages the tests drive, each set pinned in a requirements file and installed into
# a virtualenv of its own under target/ (made again when its pins change). Python 3.11+ with
# the venv module.
python_venv() {
  local venv="target/$1" pins="$2"
  if ! cmp -s "$pins" "$venv/installed-requirements.txt"; then
    echo "test.sh: installing $pins into $venv"
    rm -rf "$venv"
    if ! python3 -m venv "$venv"; then
      echo "test.sh: Python 3.11 or newer with the venv module is needed for the tests" >&2
      exit 1
    fi
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$pins"
    cp "$pins" "$venv/installed-requirements.txt"
  fi
}
# Schemathesis, for the test that fuzzes the JSON API against its OpenAPI document.
python_venv schemathesis-venv scripts/schemathesis-requirements.txt
export INSIGNIA_SCHEMATHESIS="$PWD/target/schemathesis-venv/bin/schemathesis"
# A real SMTP server for the mail tests (tests/smtp/server.py): aiosmtpd.
python_venv smtp-venv tests/smtp/requirements.txt
export INSIGNIA_SMTP_PYTHON="$PWD/target/smtp-venv/bin/python"
# The Prometheus client library's parser, which reads /metrics in the metrics tests.
python_venv metrics-venv tests/metrics/requirements.txt
export INSIGNIA_METRICS_PYTHON="$PWD/target/metrics-venv/bin/python"

# No crate's modules import each other in a circle (docs/architecture.md).
python3 scripts/module-cycles.py
cargo fmt --all --check
cargo clippy --workspace --all-targets -- -D warnings
# Every test program is built first, so what runs below only runs.
cargo test --workspace --all-targets --no-run
# Schemathesis fuzzes the JSON API against its document for about two and a half minutes,
# mostly waiting on its own Python process and the server, so it runs in a process of its own
# beside both passes (on SQLite: the API's document is the same on both databases). Its output
# is shown, and its result counted, at the end.
it_tests="$(cargo test --workspace --all-targets --no-run --message-format=json 2>/dev/null | python3 -c '
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("target", {}).get("name") == "it" and m.get("executable"):
        print(m["executable"])
')"
schemathesis_log="target/schemathesis-test.log"
("$it_tests" schemathesis:: >"$schemathesis_log" 2>&1; \
  echo $? >"$schemathesis_log.rc") &
schemathesis_pid=$!
trap 'kill "$schemathesis_pid" 2>/dev/null || true' EXIT
# Two cores: run test binaries with two threads; browser tests serialise themselves.
cargo test --workspace --all-targets -- --test-threads=2 --skip schemathesis::

# The integration tests again, each test app on a database of its own in a throwaway
# PostgreSQL cluster, which is stopped and removed however the tests end. Only the tests whose
# behaviour depends on the database: the browser tests, schemathesis and the published Wix
# client exercise pages, scripts and the API's document, which are the same on both, and ran
# above; the upgrade of a previous release's SQLite file and the SQLite backups run on SQLite
# whatever the pass.
# The PostgreSQL-only tests are #[ignore]d in the SQLite pass (reported as ignored there) and
# run here.
eval "$(bash scripts/pg-cluster.sh start)"
trap 'bash scripts/pg-cluster.sh stop "$PG_CLUSTER_DIR"; kill "$schemathesis_pid" 2>/dev/null || true' EXIT
echo "test.sh: the core's storage tests and the integration tests whose behaviour depends on the database, on PostgreSQL"
# One invocation for the core's storage tests and the integration tests, with the workspace's
# features as above (building the core on its own would compile its dependencies again).
cargo test --workspace --test storage --test it -- --test-threads=2 --include-ignored \
  --skip browser:: --skip schemathesis:: --skip wix_client:: \
  --skip upgrade::a_database_of_the_previous_release_is_upgraded_losing_nothing --skip backup::

echo "test.sh: schemathesis, which ran beside the passes"
wait "$schemathesis_pid" || true
cat "$schemathesis_log"
if [ "$(cat "$schemathesis_log.rc" 2>/dev/null)" != "0" ]; then
  echo "test.sh: the schemathesis test failed (its output is above)" >&2
  exit 1
fi
