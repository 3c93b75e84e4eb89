#!/usr/bin/env python3
"""Load benchmark in one command: builds (or reuses) a demo database, serves it, measures the
read pages with wrk and one bulk change through the dashboard, and compares the demo build
and the bulk change with the same work done in plain SQL.

    cargo build --release
    python3 scripts/load-bench.py target/release/insignia \\
        [--members N] [--assignments M] [--db FILE] [--seconds S] [--bulk K] [--take T]
    python3 scripts/load-bench.py target/release/insignia \\
        --postgres postgres://user:password@host:port/postgres [--db NAME] ...

Defaults: N and M from INSIGNIA_BENCH_MEMBERS / INSIGNIA_BENCH_ASSIGNMENTS, else 1,000,000 and
5,000,000; --db (or INSIGNIA_BENCH_DB) reuses a database made by `insignia demo` when the file
exists and builds it there when it does not (else a temporary folder is used); --seconds per
wrk scenario (10); --bulk lines pasted into the dashboard bulk box (50,000). The plain-SQL
baseline of the build (--baseline-build) is on when the script builds the demo.

--take T (20,000; at most --bulk; 0 skips it): right after the bulk give, the e-mails of T of
the badge's holders are pasted into its bulk box to take it from them (direction=take,
action=apply), and the change is undone from its report (#undo-form); each POST is timed until
its redirect. Before, the holders' assignments are made to differ (times, hidden, pinned,
ends), and the script checks that the removal dropped the counts by T and wrote T events and
one audit entry naming T members, and that the undo gave back every assignment exactly as it
was (all its fields, sum(assigned_at)), with both counts, events and audit. The same removal
(keeping the rows in a table) and undo run in plain SQL on the plain-SQL give's copy badge.

With --postgres SERVER_URL (or INSIGNIA_BENCH_POSTGRES) the benchmark runs on PostgreSQL: --db
names a database on that server (insignia_bench when not given), which is created when missing,
reused when it holds members, and kept afterwards. The script reaches PostgreSQL through psql.
It measures right after the build, without waiting for autovacuum: `insignia demo` analyzes the
tables it filled once they are committed, so the planner knows their sizes from the first
request.
The plain-SQL baseline of the build is SQLite's only; the plain-SQL bulk change runs on both.

Prints a Markdown table (req/s, p99, ratio of req/s to /healthz, response bytes per page) and
the build times, database sizes, bulk-change times and the server's peak RSS. Exits non-zero
when any step fails or any wrk scenario got a non-2xx/3xx answer. Everything it starts is
stopped when it ends.

Python 3.11 standard library only, plus wrk (installed with apt-get when missing) and, for
PostgreSQL, psql. Sends traffic to 127.0.0.1 only (and to the PostgreSQL server when given).
"""

import argparse
import datetime
import html as html_lib
import http.cookiejar
import json
import os
import random
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import unicodedata
import urllib.error
import urllib.parse
import urllib.request
import uuid

ADMIN_EMAIL = "bench@example.com"
ADMIN_PASSWORD = "bench admin password 1"
WRK_THREADS = 2
WRK_CONNECTIONS = 32
PROFILE_SLUGS = 1000
ID_BODIES = 8
IDS_PER_BODY = 100
YEAR_MS = 365 * 86_400_000

# The demo's badge weights (src/demo.rs): popular badges are held by many.
DEMO_WEIGHTS = {
    "Founding Member": 4, "Top Contributor": 2, "Verified Expert": 3, "Rising Star": 8,
    "Bug Hunter": 5, "Mentor": 4, "Event Host": 3, "Photographer": 6, "Green Thumb": 5,
    "Night Owl": 12, "Coffee Club": 15, "Open Source Hero": 4, "Supporter": 30,
}
FIRST_NAMES = [
    "Ada", "Alan", "Grace", "Linus", "Margaret", "Ken", "Barbara", "Edsger", "Donald",
    "Frances", "Radia", "Hedy", "Katherine", "Dennis", "Guido", "Bjarne", "Anita", "Shafi",
    "Tim", "Vint", "Sophie", "Yuki", "Amara", "Mateo", "Priya", "Oluwaseun", "Ingrid", "Tomás",
    "Leila", "Chen", "Noor", "Kwame", "Elena", "Rafael", "Aiko", "Zanele", "Lars", "Fatima",
    "Diego", "Mei",
]
LAST_NAMES = [
    "Lovelace", "Turing", "Hopper", "Torvalds", "Hamilton", "Thompson", "Liskov", "Dijkstra",
    "Knuth", "Allen", "Perlman", "Lamarr", "Johnson", "Ritchie", "van Rossum", "Stroustrup",
    "Borg", "Goldwasser", "Berners-Lee", "Cerf", "Wilson", "Tanaka", "Okafor", "García",
    "Sharma", "Adeyemi", "Lindqvist", "Fernández", "Haddad", "Wei", "Rahman", "Mensah",
    "Petrova", "Costa", "Sato", "Dlamini", "Nilsen", "El-Amin", "Morales", "Zhang",
]

SCENARIOS = [
    ("healthz", "GET /healthz"),
    ("profile", "profile page GET /members/{slug}"),
    ("per_member", "listBadgesPerMember POST /members/v3/badges/members"),
    ("directory", "public directory GET /members"),
    ("search", "directory prefix search GET /members?q=an"),
]


class BenchError(Exception):
    """A step failed: the message says which."""


def log(message):
    print(f"load-bench: {message}", file=sys.stderr, flush=True)


def env_int(name, default):
    value = os.environ.get(name)
    return int(value.replace(",", "").replace("_", "")) if value else default


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("binary", help="the insignia binary (target/release/insignia)")
    parser.add_argument("--members", type=int,
                        default=env_int("INSIGNIA_BENCH_MEMBERS", 1_000_000))
    parser.add_argument("--assignments", type=int,
                        default=env_int("INSIGNIA_BENCH_ASSIGNMENTS", 5_000_000))
    parser.add_argument("--db", default=os.environ.get("INSIGNIA_BENCH_DB") or None,
                        help="reuse this demo database when it exists, else build it there "
                             "(with --postgres: a database name, default insignia_bench)")
    parser.add_argument("--postgres", metavar="SERVER_URL",
                        default=os.environ.get("INSIGNIA_BENCH_POSTGRES") or None,
                        help="run on this PostgreSQL server instead of SQLite")
    parser.add_argument("--seconds", type=int, default=10, help="per wrk scenario")
    parser.add_argument("--bulk", type=int, default=50_000,
                        help="e-mails pasted into the dashboard bulk box")
    parser.add_argument("--take", type=int, default=20_000,
                        help="holders of the bulk change's badge whose e-mails are pasted into "
                             "its bulk box to take it from them, then the change undone; at "
                             "most --bulk (0: skip)")
    parser.add_argument("--baseline-build", action=argparse.BooleanOptionalAction, default=None,
                        help="also build the same rows in plain SQL (default: when building)")
    args = parser.parse_args()
    if args.members < 0 or args.assignments < 0 or args.seconds < 1 or args.bulk < 1:
        parser.error("sizes must be positive")
    if args.take < 0:
        parser.error("--take must be 0 or more")
    if args.take > args.bulk:
        log(f"--take {args.take:,}: the badge has --bulk {args.bulk:,} holders; taking "
            f"{args.bulk:,}")
        args.take = args.bulk
    if args.postgres:
        args.db = args.db or "insignia_bench"
        if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", args.db):
            parser.error(f"--db {args.db!r}: with --postgres, a database name of lower-case "
                         f"letters, digits and underscores")
        if args.baseline_build:
            parser.error("--baseline-build: the plain-SQL build baseline is SQLite only")
        if not urllib.parse.urlsplit(args.postgres).scheme.startswith("postgres"):
            parser.error(f"--postgres {args.postgres!r}: not a postgres:// URL")
    return args


# ---------------------------------------------------------------------------------------------
# Processes and HTTP


def run(cmd, **kwargs):
    """Runs a command, raising BenchError with its output when it fails."""
    done = subprocess.run(cmd, capture_output=True, text=True, **kwargs)
    if done.returncode != 0:
        raise BenchError(
            f"{' '.join(map(str, cmd))} exited {done.returncode}:\n{done.stdout}{done.stderr}"
        )
    return done


def ensure_wrk():
    if shutil.which("wrk"):
        return
    log("wrk is missing: installing it with apt-get")
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    def apt_get(*words):
        try:
            return subprocess.run(sudo + ["apt-get", *words], env=env,
                                  stdout=subprocess.DEVNULL).returncode == 0
        except OSError as e:  # no apt-get, or no sudo
            log(f"apt-get {' '.join(words)}: {e}")
            return False

    if not apt_get("install", "-y", "-qq", "wrk"):
        apt_get("update", "-qq")
        apt_get("install", "-y", "-qq", "wrk")
    if not shutil.which("wrk"):
        raise BenchError("wrk is missing and could not be installed (apt-get install wrk)")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class NoRedirect(urllib.request.HTTPRedirectHandler):
    """Leaves a redirect to the caller (urllib then raises it as an HTTPError)."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


class Browser:
    """A cookie-keeping client that submits forms with their CSRF token, as a browser does."""

    def __init__(self, base):
        self.base = base
        cookies = urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        self.opener = urllib.request.build_opener(cookies)
        # The same cookies, but a redirect is the answer (a change is done when it comes).
        self.stay = urllib.request.build_opener(cookies, NoRedirect())

    def request(self, method, path, data=None, headers=None):
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers=headers or {})
        try:
            with self.opener.open(req, timeout=900) as res:
                return res.status, res.geturl(), res.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as e:
            return e.code, e.geturl(), e.read().decode("utf-8", "replace")

    def token(self, page):
        status, _, html = self.request("GET", page)
        match = re.search(r'name="csrf_token" value="([^"]+)"', html)
        if status != 200 or not match:
            raise BenchError(f"GET {page}: {status}, no CSRF token on the page")
        return match.group(1)

    def post_form(self, action, fields):
        body = urllib.parse.urlencode(fields).encode()
        return self.request("POST", action, body,
                            {"Content-Type": "application/x-www-form-urlencoded"})

    def post_form_timed(self, action, fields):
        """Posts a form and takes its answer as it comes, without following a redirect.
        Returns (status, the Location header, seconds until the answer was read)."""
        body = urllib.parse.urlencode(fields).encode()
        req = urllib.request.Request(self.base + action, data=body, method="POST", headers={
            "Content-Type": "application/x-www-form-urlencoded"})
        started = time.monotonic()
        try:
            with self.stay.open(req, timeout=900) as res:
                status, headers = res.status, res.headers
                res.read()
        except urllib.error.HTTPError as e:
            status, headers = e.code, e.headers
            e.read()
        return status, headers.get("Location", ""), time.monotonic() - started

    def post_multipart(self, action, fields):
        boundary = "insignia-bench-%016x" % random.getrandbits(64)
        parts = [
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
            for name, value in fields.items()
        ]
        body = ("".join(parts) + f"--{boundary}--\r\n").encode()
        return self.request("POST", action, body,
                            {"Content-Type": f"multipart/form-data; boundary={boundary}"})


def fetch_size(base, method, path, body=None, headers=None):
    """Bytes of one answer's body (as curl would count them); the answer must be 200."""
    req = urllib.request.Request(base + path, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=120) as res:
            return len(res.read())
    except urllib.error.HTTPError as e:
        raise BenchError(f"{method} {path}: {e.code}: {e.read()[:300]!r}") from e


class Server:
    def __init__(self, binary, db, folder):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = os.path.join(folder, "server.log")
        self.log_file = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [binary, "serve", "--database", db, "--bind", f"127.0.0.1:{self.port}",
             "--api-writes-per-minute", "1000000"],
            stdout=self.log_file, stderr=subprocess.STDOUT,
        )

    def wait_ready(self, timeout=120):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise BenchError(f"the server exited ({self.proc.returncode}):\n{self.tail()}")
            try:
                with urllib.request.urlopen(self.base + "/healthz", timeout=2) as res:
                    if res.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.1)
        raise BenchError(f"the server did not answer /healthz in {timeout} s:\n{self.tail()}")

    def peak_rss_kb(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
        raise BenchError("no VmHWM in /proc/PID/status")

    def tail(self, lines=30):
        self.log_file.flush()
        with open(self.log_path, errors="replace") as f:
            return "".join(f.readlines()[-lines:])

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log_file.close()


# ---------------------------------------------------------------------------------------------
# Databases: the few things the script does differently on SQLite and PostgreSQL


# The plain-SQL bulk change works on a badge of its own, copied from the bench badge.
COPY_BADGE_SQL = (
    "INSERT INTO badges (id, title, title_key, slug, description, background_color, "
    "text_color, icon, permissions_enabled, self_assignable, position, member_count, "
    "created_at, updated_at) "
    "SELECT ?, ?, ?, ?, description, background_color, text_color, icon, "
    "permissions_enabled, self_assignable, (SELECT max(position) + 1 FROM badges), 0, ?, ? "
    "FROM badges WHERE title = ?"
)


# The plain-SQL bulk removal keeps the rows it deletes in a table of its own (as Insignia
# keeps them in bulk_change_rows), and its undo gives them back from there.
BENCH_KEPT = "bench_kept_assignments"
BENCH_KEPT_COLUMNS = (
    "(member_key BIGINT PRIMARY KEY, assigned_at BIGINT NOT NULL, assigned_by TEXT NOT NULL, "
    "hidden BOOLEAN NOT NULL, pinned_at BIGINT, expires_at BIGINT, end_set_at BIGINT)"
)
# member_badges' columns, as the undo writes them back.
KEPT_FIELDS = ("badge_key, member_key, assigned_at, assigned_by, hidden, pinned_at, "
               "expires_at, end_set_at")
KEPT_FIELDS_OF_MB = ("mb.member_key, mb.assigned_at, mb.assigned_by, mb.hidden, mb.pinned_at, "
                     "mb.expires_at, mb.end_set_at")


def copy_badge_params(title, now):
    """Parameters of COPY_BADGE_SQL, and the copy's title."""
    stamp = int(now.timestamp() * 1000)  # times are stored as Unix milliseconds
    sql_title = title + " SQL"
    return (str(uuid.uuid4()), sql_title, sql_title.lower(), slugify(sql_title), stamp, stamp,
            title), sql_title


def copy_badge(conn, title, now):
    """A copy of the bench badge `title`, titled `title SQL`, for the plain-SQL side of a
    comparison (SQLite); returns its key."""
    params, sql_title = copy_badge_params(title, now)
    conn.execute(COPY_BADGE_SQL, params)
    return conn.execute("SELECT key FROM badges WHERE title = ?", (sql_title,)).fetchone()[0]


def sqlite_history(conn, badge_key, kind, stamp, member_ids_sql):
    """What Insignia writes beside a change of many members, in plain SQL: one event per
    member, and one audit entry in each member's history."""
    badge_id = conn.execute("SELECT id FROM badges WHERE key = ?", (badge_key,)).fetchone()[0]
    conn.execute("INSERT INTO events (kind, badge_id, member_id, actor, actor_kind, occurred_at) "
                 f"SELECT ?, ?, id, 'bench', 'system', ? FROM ({member_ids_sql})",
                 (kind, badge_id, stamp))
    entry = conn.execute(
        "INSERT INTO audit_log (at, actor, action, badge_id, target, details) "
        "VALUES (?, 'bench', ?, ?, 'bench', 'bench')", (stamp, kind, badge_id)).lastrowid
    conn.execute(f"INSERT INTO audit_members (member_id, entry) SELECT id, ? FROM "
                 f"({member_ids_sql})", (entry,))


class SqliteDatabase:
    """A demo database in a SQLite file."""

    label = "SQLite"
    has_build_baseline = True

    def __init__(self, path, keep):
        self.path = path
        self.url = path  # as `insignia --database` takes it
        self.keep = keep

    def where(self):
        return self.path

    def describe(self):
        return f"SQLite, file {self.path}"

    def prepare(self):
        """Whether there is a database to reuse: the file exists."""
        return os.path.exists(self.path)

    def rows(self, sql, params=()):
        conn = sqlite3.connect(self.path)
        try:
            return conn.execute(sql, params).fetchall()
        finally:
            conn.close()

    def size_mb(self):
        return checkpoint_size_mb(self.path)

    def settle(self):
        """Nothing to do on SQLite (see PostgresDatabase.settle)."""

    def writer(self):
        """A connection for the plain-SQL changes, set up as the server sets up its own."""
        conn = sqlite3.connect(self.path, isolation_level=None, timeout=60)
        conn.executescript("PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;")
        return conn

    def plain_sql_bulk(self, title, emails):
        """The bulk change in plain SQL on a copy of the bench badge. Returns the seconds of
        the transaction."""
        conn = self.writer()
        try:
            now = datetime.datetime.now(datetime.timezone.utc)
            badge_key = copy_badge(conn, title, now)
            started = time.monotonic()
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("CREATE TEMP TABLE bench_bulk (email TEXT PRIMARY KEY) WITHOUT ROWID")
            conn.executemany("INSERT OR IGNORE INTO bench_bulk VALUES (?)",
                             ((e,) for e in emails))
            inserted = conn.execute(
                "INSERT INTO member_badges (badge_key, member_key, assigned_at, assigned_by) "
                "SELECT ?, m.key, ?, ? FROM bench_bulk b JOIN members m ON m.email = b.email "
                "ORDER BY m.key",
                (badge_key, int(now.timestamp() * 1000), f"admin {ADMIN_EMAIL}"),
            ).rowcount
            conn.execute(
                "UPDATE members SET badge_count = badge_count + 1 WHERE key IN "
                "(SELECT m.key FROM bench_bulk b JOIN members m ON m.email = b.email)"
            )
            conn.execute(
                "UPDATE badges SET member_count = member_count + ? WHERE key = ?",
                (inserted, badge_key),
            )
            conn.execute("DROP TABLE temp.bench_bulk")
            conn.execute("COMMIT")
            took = time.monotonic() - started
        finally:
            conn.close()
        if inserted != len(emails):
            raise BenchError(f"plain SQL assigned {inserted}, not {len(emails)}")
        return took

    def execute(self, sql, params=()):
        conn = sqlite3.connect(self.path, isolation_level=None, timeout=60)
        try:
            conn.execute(sql, params)
        finally:
            conn.close()

    def plain_sql_rule_preview(self):
        """A rule's preview in plain SQL: members who signed up, and those of them without a
        (here: never held) badge. Returns (seconds, matching)."""
        conn = sqlite3.connect(self.path)
        try:
            started = time.monotonic()
            matching, _ = conn.execute(
                "SELECT count(*), sum(CASE WHEN NOT EXISTS (SELECT 1 FROM member_badges g "
                "WHERE g.badge_key = 0 AND g.member_key = m.key) THEN 1 ELSE 0 END) "
                "FROM members m WHERE m.signed_up").fetchone()
            return time.monotonic() - started, matching
        finally:
            conn.close()

    def plain_sql_rule_save(self, title):
        """Giving a copy of the rule's badge to every member who signed up, in plain SQL.
        Returns (seconds, members given it)."""
        conn = self.writer()
        try:
            now = datetime.datetime.now(datetime.timezone.utc)
            badge_key = copy_badge(conn, title, now)
            started = time.monotonic()
            conn.execute("BEGIN IMMEDIATE")
            stamp = int(now.timestamp() * 1000)
            given = conn.execute(
                "INSERT INTO member_badges (badge_key, member_key, assigned_at, assigned_by) "
                "SELECT ?, key, ?, 'bench' FROM members WHERE signed_up ORDER BY key",
                (badge_key, stamp)).rowcount
            conn.execute("UPDATE members SET badge_count = badge_count + 1 WHERE signed_up")
            conn.execute("UPDATE badges SET member_count = member_count + ? WHERE key = ?",
                         (given, badge_key))
            sqlite_history(conn, badge_key, "badge.assigned", stamp,
                           "SELECT id FROM members WHERE signed_up ORDER BY key")
            conn.execute("COMMIT")
            return time.monotonic() - started, given
        finally:
            conn.close()

    def plain_sql_take_all(self, title):
        """Taking a badge from all its holders in plain SQL. Returns the seconds."""
        conn = self.writer()
        try:
            badge_key = conn.execute("SELECT key FROM badges WHERE title = ?",
                                     (title,)).fetchone()[0]
            started = time.monotonic()
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("CREATE TEMP TABLE bench_taken (key INTEGER PRIMARY KEY)")
            conn.execute("INSERT INTO bench_taken SELECT member_key FROM member_badges "
                         "WHERE badge_key = ?", (badge_key,))
            sqlite_history(conn, badge_key, "badge.unassigned", int(time.time() * 1000),
                           "SELECT m.id FROM bench_taken t JOIN members m ON m.key = t.key "
                           "ORDER BY t.key")
            taken = conn.execute("DELETE FROM member_badges WHERE badge_key = ?",
                                 (badge_key,)).rowcount
            conn.execute("UPDATE members SET badge_count = badge_count - 1 "
                         "WHERE key IN (SELECT key FROM bench_taken)")
            conn.execute("UPDATE badges SET member_count = member_count - ? WHERE key = ?",
                         (taken, badge_key))
            conn.execute("DROP TABLE temp.bench_taken")
            conn.execute("COMMIT")
            return time.monotonic() - started
        finally:
            conn.close()

    def plain_sql_take(self, title, emails):
        """The bulk removal of `emails` from the badge `title` in plain SQL, keeping the rows
        it deletes (in BENCH_KEPT) to be given back. Returns (seconds, rows deleted)."""
        conn = self.writer()
        try:
            badge_key = conn.execute("SELECT key FROM badges WHERE title = ?",
                                     (title,)).fetchone()[0]
            conn.execute(f"DROP TABLE IF EXISTS {BENCH_KEPT}")
            # INTEGER PRIMARY KEY: the rowid itself, as SQLite keys its own tables.
            conn.execute(f"CREATE TABLE {BENCH_KEPT} "
                         + BENCH_KEPT_COLUMNS.replace("BIGINT PRIMARY KEY", "INTEGER PRIMARY KEY"))
            started = time.monotonic()
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("CREATE TEMP TABLE bench_take (email TEXT PRIMARY KEY) WITHOUT ROWID")
            conn.executemany("INSERT OR IGNORE INTO bench_take VALUES (?)",
                             ((e,) for e in emails))
            conn.execute(
                f"INSERT INTO {BENCH_KEPT} SELECT {KEPT_FIELDS_OF_MB} FROM bench_take t "
                "JOIN members m ON m.email = t.email "
                "JOIN member_badges mb ON mb.badge_key = ? AND mb.member_key = m.key "
                "ORDER BY m.key", (badge_key,))
            sqlite_history(conn, badge_key, "badge.unassigned", int(time.time() * 1000),
                           f"SELECT m.id FROM {BENCH_KEPT} k JOIN members m "
                           f"ON m.key = k.member_key ORDER BY k.member_key")
            taken = conn.execute(
                "DELETE FROM member_badges WHERE badge_key = ? AND member_key IN "
                f"(SELECT member_key FROM {BENCH_KEPT})", (badge_key,)).rowcount
            conn.execute("UPDATE members SET badge_count = badge_count - 1 "
                         f"WHERE key IN (SELECT member_key FROM {BENCH_KEPT})")
            conn.execute("UPDATE badges SET member_count = member_count - ? WHERE key = ?",
                         (taken, badge_key))
            conn.execute("DROP TABLE temp.bench_take")
            conn.execute("COMMIT")
            return time.monotonic() - started, taken
        finally:
            conn.close()

    def plain_sql_untake(self, title):
        """The undo of plain_sql_take: every kept row back as it was, in plain SQL. Returns
        (seconds, rows given back); the kept rows are dropped afterwards (not timed)."""
        conn = self.writer()
        try:
            badge_key = conn.execute("SELECT key FROM badges WHERE title = ?",
                                     (title,)).fetchone()[0]
            started = time.monotonic()
            conn.execute("BEGIN IMMEDIATE")
            given = conn.execute(
                f"INSERT INTO member_badges ({KEPT_FIELDS}) SELECT ?, "
                f"{KEPT_FIELDS.split(', ', 1)[1]} FROM {BENCH_KEPT} ORDER BY member_key",
                (badge_key,)).rowcount
            conn.execute("UPDATE members SET badge_count = badge_count + 1 "
                         f"WHERE key IN (SELECT member_key FROM {BENCH_KEPT})")
            conn.execute("UPDATE badges SET member_count = member_count + ? WHERE key = ?",
                         (given, badge_key))
            sqlite_history(conn, badge_key, "badge.assigned", int(time.time() * 1000),
                           f"SELECT m.id FROM {BENCH_KEPT} k JOIN members m "
                           f"ON m.key = k.member_key ORDER BY k.member_key")
            conn.execute("COMMIT")
            took = time.monotonic() - started
            conn.execute(f"DROP TABLE {BENCH_KEPT}")
            return took, given
        finally:
            conn.close()


PSQL_FIELD_SEPARATOR = "\x1f"
PSQL_NULL = "\x1e"


def pg_literal(value):
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def pg_bind(sql, params):
    """`sql` with each `?` replaced by the next parameter as a literal (the script's SQL has
    no `?` of its own)."""
    if sql.count("?") != len(params):
        raise BenchError(f"{len(params)} parameters for {sql.count('?')} placeholders: {sql!r}")
    values = iter(params)
    return re.sub(r"\?", lambda _: pg_literal(next(values)), sql)


def redact(url):
    """The URL without its password."""
    parts = urllib.parse.urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return urllib.parse.urlunsplit(parts._replace(netloc=f"{parts.username}:***@{host}"))


def pg_history(badge_key, kind, member_ids_sql):
    """sqlite_history as a psql script."""
    stamp = int(time.time() * 1000)
    return f"""
INSERT INTO events (kind, badge_id, member_id, actor, actor_kind, occurred_at)
SELECT '{kind}', (SELECT id FROM badges WHERE key = {badge_key}), id, 'bench', 'system', {stamp}
FROM ({member_ids_sql}) AS t;
INSERT INTO audit_log (at, actor, action, badge_id, target, details)
VALUES ({stamp}, 'bench', '{kind}', (SELECT id FROM badges WHERE key = {badge_key}), 'bench',
        'bench') RETURNING id AS entry \\gset
INSERT INTO audit_members (member_id, entry) SELECT id, :entry FROM ({member_ids_sql}) AS t;"""


class PostgresDatabase:
    """A demo database on a PostgreSQL server, reached through psql."""

    label = "PostgreSQL"
    has_build_baseline = False

    def __init__(self, server, name):
        if not shutil.which("psql"):
            raise BenchError("psql is missing (apt-get install postgresql-client)")
        self.server = server
        self.name = name
        parts = urllib.parse.urlsplit(server)
        self.url = urllib.parse.urlunsplit(parts._replace(path="/" + name))
        self.keep = True

    def where(self):
        return redact(self.url)

    def describe(self):
        version = self.rows("SELECT current_setting('server_version')")[0][0]
        return f"PostgreSQL {version}, {self.where()}"

    def psql(self, script, url=None):
        """Runs a psql script (SQL and psql commands) and returns the rows it printed."""
        done = run(["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
                    "-F", PSQL_FIELD_SEPARATOR, "-P", f"null={PSQL_NULL}", "-d", url or self.url],
                   input=script)
        lines = done.stdout.split("\n")[:-1]  # not splitlines(): it splits at PSQL_NULL too
        return [tuple(None if v == PSQL_NULL else v for v in line.split(PSQL_FIELD_SEPARATOR))
                for line in lines]

    def rows(self, sql, params=(), url=None):
        """Rows of one query, every value as text (None for NULL)."""
        return self.psql(pg_bind(sql, params) + ";\n", url)

    def prepare(self):
        """Creates the database when it is missing. Whether there is a database to reuse: it
        holds members."""
        if not self.rows("SELECT 1 FROM pg_database WHERE datname = ?", (self.name,),
                         url=self.server):
            log(f"creating database {self.name}")
            self.psql(f"CREATE DATABASE {self.name};\n", url=self.server)
            return False
        if self.rows("SELECT to_regclass('members')")[0][0] is None:
            return False
        return bool(self.rows("SELECT 1 FROM members LIMIT 1"))

    def size_mb(self):
        return int(self.rows("SELECT pg_database_size(current_database())")[0][0]) / 1e6

    def plain_sql_bulk(self, title, emails):
        """The bulk change in plain SQL on a copy of the bench badge, in one psql script.
        Returns the seconds of the transaction, by the server's clock."""
        now = datetime.datetime.now(datetime.timezone.utc)
        params, sql_title = copy_badge_params(title, now)
        copied = "".join(e.replace("\\", "\\\\") + "\n" for e in emails)
        script = f"""
{pg_bind(COPY_BADGE_SQL, params)};
{pg_bind("SELECT key AS badge_key FROM badges WHERE title = ?", (sql_title,))} \\gset
SELECT clock_timestamp() AS started \\gset
BEGIN;
CREATE TEMP TABLE bench_bulk (email TEXT COLLATE "C" PRIMARY KEY) ON COMMIT DROP;
COPY bench_bulk FROM STDIN;
{copied}\\.
WITH added AS (
    INSERT INTO member_badges (badge_key, member_key, assigned_at, assigned_by)
    SELECT :badge_key, m.key, {int(now.timestamp() * 1000)}, {pg_literal(f"admin {ADMIN_EMAIL}")}
    FROM bench_bulk b JOIN members m ON m.email = b.email ORDER BY m.key
    ON CONFLICT DO NOTHING
    RETURNING member_key
), counted AS (
    UPDATE members SET badge_count = badge_count + 1
    WHERE key IN (SELECT member_key FROM added)
)
SELECT count(*) AS inserted FROM added \\gset
UPDATE badges SET member_count = member_count + :inserted WHERE key = :badge_key;
COMMIT;
SELECT extract(epoch FROM clock_timestamp() - :'started'::timestamptz), :inserted;
"""
        took, inserted = self.psql(script)[-1]
        if int(inserted) != len(emails):
            raise BenchError(f"plain SQL assigned {inserted}, not {len(emails)}")
        return float(took)

    def execute(self, sql, params=()):
        self.psql(pg_bind(sql, params) + ";\n")

    def settle(self):
        """Vacuums the tables a timed change writes, so that each side of a comparison starts
        from pages with the same room: a row updated again soon after a move is cheaper (a HOT
        update), and without this the side that runs second is favoured (measured on the 1M
        demo: the count update of 50,000 members took 2.0-2.3 s on rows no change had touched
        since the build, while the whole plain-SQL removal of the same 50,000, run right after
        Insignia's removal of them, took 1.4 s)."""
        self.psql("VACUUM members, member_badges;\n")

    def timed(self, body):
        """Runs `body` (SQL) between two readings of the server's clock; returns the seconds
        and the rows `body` printed."""
        rows = self.psql("SELECT clock_timestamp() AS started \\gset\n" + body +
                         "\nSELECT extract(epoch FROM clock_timestamp() - :'started'::timestamptz);\n")
        return float(rows[-1][0]), rows[:-1]

    def plain_sql_rule_preview(self):
        took, rows = self.timed(
            "SELECT count(*), sum(CASE WHEN NOT EXISTS (SELECT 1 FROM member_badges g "
            "WHERE g.badge_key = 0 AND g.member_key = m.key) THEN 1 ELSE 0 END) "
            "FROM members m WHERE m.signed_up;")
        return took, int(rows[0][0])

    def plain_sql_rule_save(self, title):
        now = datetime.datetime.now(datetime.timezone.utc)
        params, sql_title = copy_badge_params(title, now)
        self.psql(pg_bind(COPY_BADGE_SQL, params) + ";\n")
        key = self.rows("SELECT key FROM badges WHERE title = ?", (sql_title,))[0][0]
        took, rows = self.timed(f"""
BEGIN;
WITH added AS (
    INSERT INTO member_badges (badge_key, member_key, assigned_at, assigned_by)
    SELECT {key}, key, {int(now.timestamp() * 1000)}, 'bench' FROM members WHERE signed_up
    ORDER BY key RETURNING member_key
), counted AS (
    UPDATE members SET badge_count = badge_count + 1 WHERE signed_up
)
SELECT count(*) AS given FROM added \\gset
UPDATE badges SET member_count = member_count + :given WHERE key = {key};
{pg_history(key, "badge.assigned", "SELECT id FROM members WHERE signed_up ORDER BY key")}
COMMIT;
SELECT :given;""")
        return took, int(rows[-1][0])

    def plain_sql_take_all(self, title):
        key = self.rows("SELECT key FROM badges WHERE title = ?", (title,))[0][0]
        took, _ = self.timed(f"""
BEGIN;
{pg_history(key, "badge.unassigned", "SELECT m.id FROM member_badges g JOIN members m ON m.key = g.member_key WHERE g.badge_key = " + str(key))}
WITH gone AS (
    DELETE FROM member_badges WHERE badge_key = {key} RETURNING member_key
), counted AS (
    UPDATE members SET badge_count = badge_count - 1 WHERE key IN (SELECT member_key FROM gone)
)
SELECT count(*) AS taken FROM gone \\gset
UPDATE badges SET member_count = member_count - :taken WHERE key = {key};
COMMIT;""")
        return took

    def plain_sql_take(self, title, emails):
        """SqliteDatabase.plain_sql_take in one psql script; the seconds by the server's
        clock, from before the e-mails are copied in."""
        key = self.rows("SELECT key FROM badges WHERE title = ?", (title,))[0][0]
        self.psql(f"DROP TABLE IF EXISTS {BENCH_KEPT};\n"
                  f"CREATE TABLE {BENCH_KEPT} {BENCH_KEPT_COLUMNS};\n")
        copied = "".join(e.replace("\\", "\\\\") + "\n" for e in emails)
        kept_ids = (f"SELECT m.id FROM {BENCH_KEPT} k JOIN members m ON m.key = k.member_key "
                    f"ORDER BY k.member_key")
        took, rows = self.timed(f"""
BEGIN;
CREATE TEMP TABLE bench_take (email TEXT COLLATE "C" PRIMARY KEY) ON COMMIT DROP;
COPY bench_take FROM STDIN;
{copied}\\.
INSERT INTO {BENCH_KEPT} SELECT {KEPT_FIELDS_OF_MB} FROM bench_take t
JOIN members m ON m.email = t.email
JOIN member_badges mb ON mb.badge_key = {key} AND mb.member_key = m.key ORDER BY m.key;
{pg_history(key, "badge.unassigned", kept_ids)}
WITH gone AS (
    DELETE FROM member_badges WHERE badge_key = {key}
    AND member_key IN (SELECT member_key FROM {BENCH_KEPT}) RETURNING member_key
), counted AS (
    UPDATE members SET badge_count = badge_count - 1 WHERE key IN (SELECT member_key FROM gone)
)
SELECT count(*) AS taken FROM gone \\gset
UPDATE badges SET member_count = member_count - :taken WHERE key = {key};
COMMIT;
SELECT :taken;""")
        return took, int(rows[-1][0])

    def plain_sql_untake(self, title):
        """SqliteDatabase.plain_sql_untake in one psql script."""
        key = self.rows("SELECT key FROM badges WHERE title = ?", (title,))[0][0]
        kept_ids = (f"SELECT m.id FROM {BENCH_KEPT} k JOIN members m ON m.key = k.member_key "
                    f"ORDER BY k.member_key")
        took, rows = self.timed(f"""
BEGIN;
WITH back AS (
    INSERT INTO member_badges ({KEPT_FIELDS})
    SELECT {key}, {KEPT_FIELDS.split(", ", 1)[1]} FROM {BENCH_KEPT} ORDER BY member_key
    RETURNING member_key
), counted AS (
    UPDATE members SET badge_count = badge_count + 1 WHERE key IN (SELECT member_key FROM back)
)
SELECT count(*) AS given FROM back \\gset
UPDATE badges SET member_count = member_count + :given WHERE key = {key};
{pg_history(key, "badge.assigned", kept_ids)}
COMMIT;
SELECT :given;""")
        self.psql(f"DROP TABLE {BENCH_KEPT};\n")
        return took, int(rows[-1][0])


# ---------------------------------------------------------------------------------------------
# Building: the demo, and the same rows in plain SQL


def checkpoint_size_mb(db):
    conn = sqlite3.connect(db)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
    finally:
        conn.close()
    return os.path.getsize(db) / 1e6


def slugify(text):
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-") or "member"


def spread(weights, total, members):
    """Holders per badge: `total` shared by weight, at most `members` each (as the demo does)."""
    counts = [0] * len(weights)
    left = min(total, members * len(weights))
    while left > 0:
        open_ = [i for i in range(len(weights)) if counts[i] < members]
        weight = sum(weights[i] for i in open_) or 1
        given = 0
        for i in open_:
            share = -(-left * weights[i] // weight)
            take = min(share, members - counts[i], left - given)
            counts[i] += take
            given += take
        if given == 0:
            break
        left -= given
    return counts


def plain_sql_build(conn, members, assignments):
    """Inserts `members` members and `assignments` assignments in one transaction, set-based,
    with the secondary indexes and the search trigger dropped and created again afterwards."""
    conn.executescript(
        "PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL; PRAGMA journal_mode = DELETE;"
        "PRAGMA cache_size = -1000000; PRAGMA temp_store = MEMORY; PRAGMA threads = 2;"
    )
    started = time.monotonic()
    conn.execute("BEGIN IMMEDIATE")
    # Secondary indexes (not the UNIQUE/PRIMARY KEY constraints) and the search triggers of the
    # two tables being loaded, as the schema has them now.
    dropped = conn.execute(
        "SELECT type, name, sql FROM sqlite_master "
        "WHERE tbl_name IN ('members', 'member_badges') AND sql IS NOT NULL "
        "AND (type = 'index' OR (type = 'trigger' AND name LIKE 'members_search_insert%'))"
    ).fetchall()
    for kind, name, _ in dropped:
        conn.execute(f'DROP {kind.upper()} "{name}"')

    conn.execute("CREATE TEMP TABLE bench_first (i INTEGER PRIMARY KEY, name, name_key, slug)")
    conn.execute("CREATE TEMP TABLE bench_last (i INTEGER PRIMARY KEY, name, name_key, slug)")
    for table, names in (("bench_first", FIRST_NAMES), ("bench_last", LAST_NAMES)):
        conn.executemany(f"INSERT INTO {table} VALUES (?, ?, ?, ?)",
                         [(i, n, n.lower(), slugify(n)) for i, n in enumerate(names)])
    first_key = conn.execute("SELECT coalesce(max(key), 0) + 1 FROM members").fetchone()[0]
    now = datetime.datetime.now(datetime.timezone.utc)
    if members > 0:
        conn.execute(
            """
            WITH RECURSIVE seq(n) AS (SELECT :first UNION ALL SELECT n + 1 FROM seq WHERE n < :last),
            picked AS (SELECT n, ((n * 2654435761) % 4294967296 >> 16) % :nf AS f,
                              ((n * 2246822519 + 3266489917) % 4294967296 >> 16) % :nl AS l
                       FROM seq)
            INSERT INTO members (key, id, name, name_key, email, slug, password_hash,
                                 badge_count, created_at)
            SELECT n,
                   printf('%08x-%04x-4%03x-%x%03x-%012x',
                          ((n * 4294967) >> 16) & 4294967295, (n * 4294967) & 65535,
                          abs(random()) % 4096, 8 + abs(random()) % 4, abs(random()) % 4096,
                          abs(random()) % 281474976710656),
                   f.name || ' ' || l.name, f.name_key || ' ' || l.name_key,
                   f.slug || '.' || l.slug || '.' || n || '@example.com',
                   f.slug || '-' || l.slug || '-' || n,
                   NULL, 0,
                   :now_ms - ((n * 7919) % 525600) * 60000
            FROM picked JOIN bench_first f ON f.i = picked.f JOIN bench_last l ON l.i = picked.l
            ORDER BY n
            """,
            {"first": first_key, "last": first_key + members - 1, "nf": len(FIRST_NAMES),
             "nl": len(LAST_NAMES), "now_ms": int(now.timestamp() * 1000)},
        )
    badges = conn.execute("SELECT key, title FROM badges ORDER BY position").fetchall()
    holders = spread([DEMO_WEIGHTS.get(t, 1) for _, t in badges], assignments, members)
    rng = random.Random(0x00BAD6E5)
    # Badge b is held by the members whose index m satisfies (m - off) mod N < h: every
    # badge's holders are distinct, and they are enumerated in ascending m (w of them wrap
    # round to the start), so rows arrive in primary-key order.
    conn.execute("CREATE TEMP TABLE bench_ranges (badge_key INTEGER PRIMARY KEY, h, off, w)")
    rows = []
    for (key, _), h in zip(badges, holders):
        if h > 0:
            off = rng.randrange(members)
            rows.append((key, h, off, max(0, off + h - members)))
    conn.executemany("INSERT INTO bench_ranges VALUES (?, ?, ?, ?)", rows)
    if rows:
        now_ms = int(now.timestamp() * 1000)
        conn.execute(
            """
            WITH RECURSIVE seq(j) AS (SELECT 0 UNION ALL SELECT j + 1 FROM seq WHERE j < :top),
            held AS (SELECT r.badge_key AS b,
                            CASE WHEN seq.j < r.w THEN seq.j ELSE r.off + seq.j - r.w END AS m
                     FROM bench_ranges r CROSS JOIN seq WHERE seq.j < r.h)
            INSERT INTO member_badges (badge_key, member_key, assigned_at, assigned_by)
            SELECT b, :first + m, :start + CAST(m * :step AS INTEGER), 'system' FROM held
            """,
            {"top": max(h for _, h, _, _ in rows) - 1, "first": first_key,
             "start": now_ms - YEAR_MS, "step": YEAR_MS / members},
        )
    conn.execute(
        "UPDATE badges SET member_count = "
        "(SELECT count(*) FROM member_badges WHERE badge_key = badges.key)"
    )
    conn.execute(
        "UPDATE members SET badge_count = held.n "
        "FROM (SELECT member_key, count(*) AS n FROM member_badges GROUP BY member_key) AS held "
        "WHERE members.key = held.member_key"
    )
    for _, _, sql in dropped:
        conn.execute(sql)
    conn.execute("INSERT INTO members_search(members_search) VALUES ('rebuild')")
    conn.execute("DROP TABLE temp.bench_first")
    conn.execute("DROP TABLE temp.bench_last")
    conn.execute("DROP TABLE temp.bench_ranges")
    conn.execute("COMMIT")
    took = time.monotonic() - started
    conn.execute("PRAGMA journal_mode = WAL").fetchall()
    got = conn.execute(
        "SELECT (SELECT count(*) FROM members), (SELECT count(*) FROM member_badges)"
    ).fetchone()
    return took, got


def build_baseline(binary, folder, members, assignments):
    db = os.path.join(folder, "plain-sql.db")
    started = time.monotonic()
    run([binary, "demo", "--database", db, "--members", "0", "--assignments", "0"])
    schema_took = time.monotonic() - started
    conn = sqlite3.connect(db, isolation_level=None)
    try:
        took, got = plain_sql_build(conn, members, assignments)
    finally:
        conn.close()
    return db, schema_took, took, got


# ---------------------------------------------------------------------------------------------
# wrk


def lua_string(s):
    if "]==]" in s:
        raise BenchError("cannot quote for Lua: " + s[:80])
    return "[==[" + s + "]==]"


ROTATE_LUA = """
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("offset", counter * 7919)
end
local i = 0
function init(args)
  i = (offset or 0) %% #items
end
function request()
  i = i %% #items + 1
  return %s
end
"""


def write_rotation_script(folder, name, items, request_expr, prelude=""):
    path = os.path.join(folder, name)
    with open(path, "w") as f:
        f.write(prelude)
        f.write("items = {\n" + ",\n".join(lua_string(s) for s in items) + "\n}\n")
        f.write(ROTATE_LUA % request_expr)
    return path


UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}


def run_wrk(base, path, seconds, script=None):
    cmd = ["wrk", f"-t{WRK_THREADS}", f"-c{WRK_CONNECTIONS}", f"-d{seconds}s", "--latency"]
    if script:
        cmd += ["-s", script]
    cmd.append(base + path)
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 120)
    out = done.stdout + done.stderr
    if done.returncode != 0:
        raise BenchError(f"wrk exited {done.returncode}:\n{out}")
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    p99 = re.search(r"^\s*99%\s+([\d.]+)(us|ms|s|m|h)\s*$", out, re.M)
    total = re.search(r"(\d+) requests in", out)
    if not rps or not p99 or not total:
        raise BenchError(f"cannot read wrk's output:\n{out}")
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    socket_errors = re.search(r"Socket errors:.*", out)
    return {
        "rps": float(rps.group(1)),
        "p99": float(p99.group(1)) * UNITS[p99.group(2)],
        "requests": int(total.group(1)),
        "non2xx": int(non2xx.group(1)) if non2xx else 0,
        "socket_errors": socket_errors.group(0) if socket_errors else "",
        "output": out,
    }


# ---------------------------------------------------------------------------------------------
# The run


def machine_line():
    cores = len(os.sched_getaffinity(0))
    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"machine: {cores} cores, {model}"


def sample_members(db):
    """About PROFILE_SLUGS member slugs, and ID_BODIES bodies of IDS_PER_BODY member ids."""
    low, high = db.rows("SELECT min(key), max(key) FROM members")[0]
    if low is None:
        raise BenchError("the database has no members")
    low, high = int(low), int(high)
    rng = random.Random(20261130)
    wanted = min(high - low + 1, max(PROFILE_SLUGS, ID_BODIES * IDS_PER_BODY) * 2)
    keys = rng.sample(range(low, high + 1), wanted)
    rows = db.rows(f"SELECT slug, id FROM members WHERE key IN ({','.join(map(str, keys))}) "
                   f"ORDER BY key")
    rng.shuffle(rows)
    slugs = [slug for slug, _ in rows[:PROFILE_SLUGS]]
    ids = [i for _, i in rows]
    bodies = []
    for b in range(ID_BODIES):
        chunk = ids[b * IDS_PER_BODY:(b + 1) * IDS_PER_BODY] or ids[:IDS_PER_BODY]
        bodies.append(json.dumps({"memberIds": chunk}, separators=(",", ":")))
    return slugs, bodies


def measure(server, folder, seconds, db):
    slugs, bodies = sample_members(db)
    base = server.base
    profile_lua = write_rotation_script(
        folder, "profile.lua", ["/members/" + urllib.parse.quote(s) for s in slugs],
        'wrk.format("GET", items[i])')
    per_member_lua = write_rotation_script(
        folder, "per-member.lua", bodies,
        'wrk.format("POST", "/members/v3/badges/members", nil, items[i])',
        prelude='wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n')
    json_headers = {"Content-Type": "application/json"}
    plan = {
        "healthz": ("/healthz", None, ("GET", "/healthz", None, None)),
        "profile": ("/members/" + slugs[0], profile_lua,
                    ("GET", "/members/" + urllib.parse.quote(slugs[0]), None, None)),
        "per_member": ("/members/v3/badges/members", per_member_lua,
                       ("POST", "/members/v3/badges/members", bodies[0].encode(), json_headers)),
        "directory": ("/members", None, ("GET", "/members", None, None)),
        "search": ("/members?q=an", None, ("GET", "/members?q=an", None, None)),
    }
    results = {}
    for key, label in SCENARIOS:
        url_path, script, (method, path, body, headers) = plan[key]
        size = fetch_size(base, method, path, body, headers)
        log(f"wrk {seconds} s: {label}")
        result = run_wrk(base, url_path, seconds, script)
        result["bytes"] = size
        results[key] = result
    return results


def bulk_change(server, db, bulk):
    """Signs in through the dashboard, creates a badge there and pastes `bulk` e-mails into its
    bulk box. Returns (seconds, badge title, the e-mails)."""
    browser = sign_in(server)
    title = f"Bench {datetime.datetime.now().strftime('%Y%m%d-%H%M%S-%f')}"
    badge_id, badge_key = new_badge(browser, db, title)
    emails = [row[0] for row in db.rows(
        "SELECT email FROM members m WHERE NOT EXISTS "
        "(SELECT 1 FROM member_badges WHERE badge_key = ? AND member_key = m.key) "
        "ORDER BY (m.key * 2654435761) % 4294967296 LIMIT ?",
        (int(badge_key), bulk),
    )]
    if len(emails) < bulk:
        raise BenchError(f"only {len(emails)} members do not hold the badge; --bulk is {bulk}")
    page = f"/dashboard/badges/{badge_id}"
    fields = {"bulk": "\n".join(emails), "action": "assign",
              "csrf_token": browser.token(page)}
    log(f"bulk box: assigning {bulk:,} members")
    started = time.monotonic()
    status, url, html = browser.post_form(f"{page}/members", fields)
    took = time.monotonic() - started
    if status != 200 or f"{bulk:,} assigned" not in html:
        summary = re.search(r'id="bulk-report".*?</p>', html, re.S)
        raise BenchError(
            f"the bulk change did not report {bulk:,} assigned: {status} at {url}: "
            + (re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", summary.group(0))) if summary
               else html[:500])
        )
    return took, title, emails


# ---------------------------------------------------------------------------------------------
# Bulk removal and its undo (crates/core/src/members/undo.rs): through the dashboard, and the
# same two changes in plain SQL, in the same run.


def vary_holders(db, title):
    """Gives the holders of the badge `title` assignments that differ from one another (time,
    hidden, pinned, end), so that an undo that gives back a row other than the one it took
    shows. Returns the badge's key."""
    badge_key = int(db.rows("SELECT key FROM badges WHERE title = ?", (title,))[0][0])
    ends = int(time.time() * 1000) + 30 * 86_400_000
    db.execute(
        "UPDATE member_badges SET assigned_at = assigned_at - (member_key % 86400) * 1000, "
        "hidden = (member_key % 7 = 0), "
        "pinned_at = CASE WHEN member_key % 11 = 0 THEN assigned_at - 1 END, "
        "expires_at = CASE WHEN member_key % 13 = 0 THEN ? + member_key END, "
        "end_set_at = CASE WHEN member_key % 13 = 0 THEN assigned_at END "
        "WHERE badge_key = ?", (ends, badge_key))
    return badge_key


def holding(db, badge_key):
    """The badge's stored count, and every one of its assignments by member key (as text)."""
    count = int(db.rows("SELECT member_count FROM badges WHERE key = ?", (badge_key,))[0][0])
    rows = db.rows(
        "SELECT member_key, assigned_at, assigned_by, CASE WHEN hidden THEN 1 ELSE 0 END, "
        "pinned_at, expires_at, end_set_at FROM member_badges WHERE badge_key = ?",
        (badge_key,))
    return count, {str(r[0]): tuple("" if v is None else str(v) for v in r[1:]) for r in rows}


def sum_badge_counts(db, keys):
    listed = ",".join(keys)
    return int(db.rows(f"SELECT coalesce(sum(badge_count), 0) FROM members "
                       f"WHERE key IN ({listed})")[0][0])


def history_marks(db):
    """The newest event and audit entry now: what a change writes comes after them."""
    return tuple(int(v) for v in db.rows(
        "SELECT (SELECT coalesce(max(key), 0) FROM events), "
        "(SELECT coalesce(max(id), 0) FROM audit_log)")[0])


def history_since(db, marks, badge_key):
    """What was written for the badge after `marks`: events by kind, audit entries, and
    members named in those entries' history."""
    badge_id = db.rows("SELECT id FROM badges WHERE key = ?", (badge_key,))[0][0]
    events = {kind: int(n) for kind, n in db.rows(
        "SELECT kind, count(*) FROM events WHERE key > ? AND badge_id = ? GROUP BY kind",
        (marks[0], badge_id))}
    entries, members = (int(v) for v in db.rows(
        "SELECT (SELECT count(*) FROM audit_log WHERE id > ? AND badge_id = ?), "
        "(SELECT count(*) FROM audit_members am JOIN audit_log a ON a.id = am.entry "
        "WHERE a.id > ? AND a.badge_id = ?)", (marks[1], badge_id, marks[1], badge_id))[0])
    return events, entries, members


def compare_restored(before, after, label):
    """Problems (in words) if `after` is not `before` again: the count, and each assignment
    with all its fields."""
    problems = []
    if after[0] != before[0]:
        problems.append(f"{label}: member_count is {after[0]:,}, was {before[0]:,} before the "
                        f"removal")
    rows_before, rows_after = before[1], after[1]
    missing = [k for k in rows_before if k not in rows_after]
    extra = [k for k in rows_after if k not in rows_before]
    changed = [k for k in rows_before if k in rows_after and rows_after[k] != rows_before[k]]
    if missing or extra:
        problems.append(f"{label}: {len(missing):,} assignments missing after the undo, "
                        f"{len(extra):,} that were not there before")
    if changed:
        fields = ("assigned_at", "assigned_by", "hidden", "pinned_at", "expires_at",
                  "end_set_at")
        which = {}
        for k in changed:
            for name, b, a in zip(fields, rows_before[k], rows_after[k]):
                if a != b:
                    which.setdefault(name, []).append((k, b, a))
        detail = "; ".join(f"{name} differs in {len(diffs):,} (e.g. member key {diffs[0][0]}: "
                           f"{diffs[0][1] or 'NULL'} before, {diffs[0][2] or 'NULL'} after)"
                           for name, diffs in which.items())
        problems.append(f"{label}: {len(changed):,} restored assignments differ from what "
                        f"they were: {detail}")
    times = lambda rows: sum(int(v[0]) for v in rows.values())
    if times(rows_after) != times(rows_before):
        problems.append(f"{label}: sum(assigned_at) over the badge is {times(rows_after)}, "
                        f"was {times(rows_before)}")
    return problems


def check_history(db, marks, badge_key, kind, n, label):
    """Problems (in words) unless the change wrote n events of `kind`, one audit entry and n
    members in its history."""
    events, entries, members = history_since(db, marks, badge_key)
    problems = []
    if events != {kind: n}:
        problems.append(f"{label}: events written {events}, expected {{{kind!r}: {n}}}")
    if entries != 1 or members != n:
        problems.append(f"{label}: {entries} audit entries naming {members:,} members, "
                        f"expected 1 naming {n:,}")
    return problems


def bulk_take_and_undo(server, db, title, take):
    """Pastes `take` e-mails of the badge's holders into its bulk box to take it from them,
    then undoes the change from its report. Returns (removal seconds, undo seconds, the
    e-mails, problems seen)."""
    browser = sign_in(server)
    badge_id = db.rows("SELECT id FROM badges WHERE title = ?", (title,))[0][0]
    badge_key = vary_holders(db, title)
    emails, keys = [], []
    for email, key in db.rows(
            "SELECT m.email, m.key FROM member_badges mb JOIN members m ON m.key = mb.member_key "
            "WHERE mb.badge_key = ? ORDER BY (m.key * 2654435761) % 4294967296 LIMIT ?",
            (badge_key, take)):
        emails.append(email)
        keys.append(str(key))
    if len(emails) < take:
        raise BenchError(f"only {len(emails):,} members hold {title!r}; --take is {take:,}")
    before = holding(db, badge_key)
    counts_before = sum_badge_counts(db, keys)
    problems = []
    page = f"/dashboard/badges/{badge_id}"
    fields = {"bulk": "\n".join(emails), "direction": "take", "action": "apply",
              "csrf_token": browser.token(page)}
    db.settle()
    marks = history_marks(db)
    log(f"bulk box: taking the badge from {take:,} members")
    status, location, took = browser.post_form_timed(f"{page}/members", fields)
    if status != 303 or not urllib.parse.urlparse(location).path == page \
            or "report=" not in location:
        raise BenchError(f"the bulk removal answered {status}, Location {location!r}, not a "
                         f"redirect to its report on {page}")
    count = int(db.rows("SELECT member_count FROM badges WHERE key = ?", (badge_key,))[0][0])
    held = int(db.rows("SELECT count(*) FROM member_badges WHERE badge_key = ?",
                       (badge_key,))[0][0])
    if count != before[0] - take or held != len(before[1]) - take:
        problems.append(f"dashboard removal: member_count {count:,} and {held:,} assignments "
                        f"after taking {take:,}; before: {before[0]:,} and {len(before[1]):,}")
    if sum_badge_counts(db, keys) != counts_before - take:
        problems.append("dashboard removal: the members' badge_count did not drop by one each")
    problems += check_history(db, marks, badge_key, "badge.unassigned", take,
                              "dashboard removal")
    report = urllib.parse.urlparse(location)
    status, url, html = browser.request("GET", report.path + "?" + report.query)
    if status != 200 or f"{take:,} removed" not in html:
        summary = re.search(r'id="bulk-report".*?</p>', html, re.S)
        raise BenchError(f"the removal's report did not say {take:,} removed: {status} at "
                         f"{url}: " + (re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "",
                                                                  summary.group(0)))
                                        if summary else html[:500]))
    form = re.search(r'<form[^>]*id="undo-form"[^>]*>(.*?)</form>', html, re.S)
    if not form:
        raise BenchError(f"no #undo-form on the removal's report ({url})")
    action = html_lib.unescape(re.search(r'action="([^"]+)"', form.group(0)).group(1))
    undo_fields = {html_lib.unescape(n): html_lib.unescape(v) for n, v in re.findall(
        r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form.group(1))}
    if set(undo_fields) != {"csrf_token", "change", "back"}:
        raise BenchError(f"#undo-form has the fields {sorted(undo_fields)}, expected "
                         f"csrf_token, change and back")
    db.settle()
    marks = history_marks(db)
    log(f"undo: giving the badge back to {take:,} members")
    status, location, undo_took = browser.post_form_timed(action, undo_fields)
    if status != 303:
        raise BenchError(f"the undo answered {status}, Location {location!r}, not a redirect")
    status, url, html = browser.request("GET", location)
    if f"{take:,} members got" not in html or "back as they had it" not in html:
        flash = re.search(r'class="[^"]*flash[^"]*"[^>]*>(.*?)</', html, re.S)
        problems.append(f"the undo did not say {take:,} members got the badge back: "
                        f"{flash.group(1).strip() if flash else html[:300]!r}")
    problems += compare_restored(before, holding(db, badge_key), "dashboard undo")
    if sum_badge_counts(db, keys) != counts_before:
        problems.append("dashboard undo: the members' badge_count is not back as before")
    problems += check_history(db, marks, badge_key, "badge.assigned", take, "dashboard undo")
    return took, undo_took, emails, problems


def plain_sql_take_and_undo(db, title, emails):
    """The same removal and undo in plain SQL on the copy `title` (its holders made to differ
    as the dashboard's were). Returns (removal seconds, undo seconds, problems seen)."""
    badge_key = vary_holders(db, title)
    before = holding(db, badge_key)
    problems = []
    log(f"plain SQL: the same removal of {len(emails):,} members")
    db.settle()
    marks = history_marks(db)
    took, taken = db.plain_sql_take(title, emails)
    after = holding(db, badge_key)
    if taken != len(emails) or after[0] != before[0] - len(emails):
        problems.append(f"plain SQL removal: took {taken:,}, member_count {after[0]:,} "
                        f"(was {before[0]:,})")
    keys = [k for k in before[1] if k not in after[1]]
    counts_before = sum_badge_counts(db, keys) + len(keys)
    problems += check_history(db, marks, badge_key, "badge.unassigned", len(emails),
                              "plain SQL removal")
    log("plain SQL: its undo")
    db.settle()
    marks = history_marks(db)
    undo_took, given = db.plain_sql_untake(title)
    if given != len(emails):
        problems.append(f"plain SQL undo: gave back {given:,}, not {len(emails):,}")
    problems += compare_restored(before, holding(db, badge_key), "plain SQL undo")
    if keys and sum_badge_counts(db, keys) != counts_before:
        problems.append("plain SQL undo: the members' badge_count is not back as before")
    problems += check_history(db, marks, badge_key, "badge.assigned", len(emails),
                              "plain SQL undo")
    return took, undo_took, problems


# ---------------------------------------------------------------------------------------------
# Rules and expiry (docs/api.md, "Badges given by rules"): each against the same change in
# plain SQL, in the same run.

def sign_in(server):
    """A dashboard session of the bench admin."""
    browser = Browser(server.base)
    status, url, html = browser.post_form("/dashboard/login", {
        "email": ADMIN_EMAIL, "password": ADMIN_PASSWORD,
        "csrf_token": browser.token("/dashboard/login"),
    })
    if status != 200 or urllib.parse.urlparse(url).path.startswith("/dashboard/login"):
        raise BenchError(f"sign-in as {ADMIN_EMAIL} failed: {status} at {url}")
    return browser


def new_badge(browser, db, title):
    """Creates a badge through the dashboard; returns (id, key)."""
    status, url, html = browser.post_multipart("/dashboard/badges/new", {
        "title": title, "description": "", "background_color": "#112233",
        "text_color": "#FFFFFF", "icon": "",
        "csrf_token": browser.token("/dashboard/badges/new"),
    })
    found = db.rows("SELECT id, key FROM badges WHERE title = ?", (title,))
    if not found:
        raise BenchError(f"creating badge {title!r} failed: {status} at {url}")
    return found[0][0], int(found[0][1])


class Api:
    """The JSON API with an API key made in the dashboard."""

    def __init__(self, server, browser):
        self.base = server.base
        page = "/dashboard/api-keys"
        status, url, html = browser.post_form(page, {
            "name": f"bench {time.time_ns()}", "csrf_token": browser.token(page),
        })
        found = re.search(r'id="secret"[^>]*value="([^"]+)"', html)
        if not found:
            raise BenchError(f"creating an API key failed: {status} at {url}")
        self.key = found.group(1)

    def call(self, method, path, body=None):
        """(status, JSON answer, seconds)."""
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method, headers={
            "Authorization": self.key, "Content-Type": "application/json"})
        started = time.monotonic()
        try:
            with urllib.request.urlopen(req, timeout=900) as res:
                status, text = res.status, res.read()
        except urllib.error.HTTPError as e:
            status, text = e.code, e.read()
        took = time.monotonic() - started
        answer = json.loads(text or b"null")
        if status != 200:
            raise BenchError(f"{method} {path}: {status} {answer}")
        return answer, took


def rule_scenarios(server, db, stamp):
    """Saving a rule that gives a badge to every member who signed up (half the demo), and its
    preview, against the same in plain SQL; then the rule step that follows one member's
    change with 10 rules on the site, against the change itself. Returns lines to print."""
    browser = sign_in(server)
    api = Api(server, browser)
    lines = []
    title = f"Rule bench {stamp}"
    badge_id, _ = new_badge(browser, db, title)
    rule = {"rule": {"criteria": [{"signedUp": True}], "revoke": True}}
    log("rule preview and save (signedUp: half the members)")
    db.settle()
    preview, preview_took = api.call("POST", f"/insignia/v1/badges/{badge_id}/rule/preview", rule)
    saved, save_took = api.call("PUT", f"/insignia/v1/badges/{badge_id}/rule", rule)
    if saved["given"] != preview["wouldGive"]:
        raise BenchError(f"the rule gave {saved['given']:,}, its preview said "
                         f"{preview['wouldGive']:,}")
    log("the same in plain SQL")
    db.settle()
    plain_preview_took, plain_matching = db.plain_sql_rule_preview()
    plain_save_took, plain_given = db.plain_sql_rule_save(title)
    if plain_given != saved["given"] or plain_matching != preview["matching"]:
        raise BenchError(f"plain SQL matched {plain_matching:,} and gave {plain_given:,}; the "
                         f"rule {preview['matching']:,} and {saved['given']:,}")
    lines.append(f"rule preview (matches {preview['matching']:,} members, API): "
                 f"{preview_took:.2f} s; plain SQL count: {plain_preview_took:.2f} s; ratio "
                 f"{ratio(preview_took, plain_preview_took)}")
    lines.append(f"rule save (gives {saved['given']:,} members their badge, with events and "
                 f"audit history, API): {save_took:.2f} s; the same rows in plain SQL (assignments, "
                 f"both counts, events, audit history): {plain_save_took:.2f} s; ratio "
                 f"{ratio(save_took, plain_save_took)}")

    # One member's change, then with 10 rules reading the badge changed.
    step_id, _ = new_badge(browser, db, f"Step bench {stamp}")
    member = db.rows("SELECT id FROM members ORDER BY key LIMIT 1")[0][0]

    def changes(n=40):
        took = 0.0
        for _ in range(n):
            _, given = api.call("POST", f"/members/v3/badges/{step_id}/members",
                                {"memberIds": [member]})
            _, taken = api.call("DELETE",
                                f"/members/v3/badges/{step_id}/members?memberIds={member}")
            took += given + taken
        return took / (2 * n)

    log("one member's change: no rules read it")
    changes(5)  # warm
    alone = changes()
    reading = []
    for i in range(10):
        badge, _ = new_badge(browser, db, f"Step rule {i} {stamp}")
        api.call("PUT", f"/insignia/v1/badges/{badge}/rule", {"rule": {"criteria": [
            {"holdsAll": [step_id]}, {"joinedBefore": "1970-01-02"}], "revoke": True}})
        reading.append(badge)
    log("one member's change: 10 rules read it (none matches)")
    checked = changes()
    for badge in reading:
        api.call("PUT", f"/insignia/v1/badges/{badge}/rule",
                 {"rule": {"criteria": [{"holdsAll": [step_id]}], "revoke": True}})
    log("one member's change: 10 rules read it and each gives or takes its badge")
    cascading = changes()
    lines.append(f"one member's change (API give or take, mean of 80): {alone * 1000:.1f} ms "
                 f"with no rule reading it")
    lines.append(f"rule step with 10 rules reading it, none matching: "
                 f"{(checked - alone) * 1000:.1f} ms (ratio to the change "
                 f"{ratio(checked - alone, alone)})")
    lines.append(f"rule step with 10 rules each giving or taking its badge (10 changes more): "
                 f"{(cascading - alone) * 1000:.1f} ms (ratio to the change "
                 f"{ratio(cascading - alone, alone)})")
    return lines


def expire_all(db, title, holders):
    """Every assignment of the bulk-change badge ends at once; the server's expiry job takes
    them away. Returns the seconds of the job's pass, as the `jobs` table keeps them."""
    badge_key = int(db.rows("SELECT key FROM badges WHERE title = ?", (title,))[0][0])
    log(f"expiry: {holders:,} assignments end at once")
    ended = int(time.time() * 1000) - 1
    db.execute("UPDATE member_badges SET expires_at = ? WHERE badge_key = ?",
               (ended, badge_key))
    deadline = time.monotonic() + 120
    # Until they are gone and the pass that took them is written down (`last_run_at` comes
    # after `last_took_ms`).
    while int(db.rows("SELECT count(*) FROM member_badges WHERE badge_key = ?",
                      (badge_key,))[0][0]) or int(db.rows(
            "SELECT coalesce(last_run_at, 0) FROM jobs WHERE name = 'assignments.expire'")[0][0]
                                                  ) <= ended:
        if time.monotonic() > deadline:
            raise BenchError("the expiry job did not take them away within 2 minutes")
        time.sleep(0.5)
    return int(db.rows("SELECT last_took_ms FROM jobs WHERE name = 'assignments.expire'")[0][0]) / 1000


def ratio(a, b):
    return f"{a / b:.2f}" if b else "n/a"


def main():
    args = parse_args()
    sys.stdout.reconfigure(line_buffering=True)
    binary = os.path.abspath(args.binary)
    if not os.access(binary, os.X_OK):
        raise BenchError(f"{args.binary} is not an executable")
    ensure_wrk()
    facts = []
    failed = []
    with tempfile.TemporaryDirectory(prefix="insignia-bench-") as folder:
        if args.postgres:
            db = PostgresDatabase(args.postgres, args.db)
        elif args.db:
            db = SqliteDatabase(os.path.abspath(args.db), keep=True)
        else:
            db = SqliteDatabase(os.path.join(folder, "demo.db"), keep=False)
        reuse = db.prepare()
        print(machine_line())
        now = datetime.datetime.now(datetime.timezone.utc)
        print(f"date: {now.strftime('%Y-%m-%d %H:%M:%S UTC')}")
        print(f"binary: {args.binary}")
        print(f"database: {db.describe()}")
        print()
        baseline = db.has_build_baseline and (
            args.baseline_build if args.baseline_build is not None else not reuse)
        members, assignments = args.members, args.assignments
        demo_took = None
        if reuse:
            log(f"reusing {db.where()}")
            members, assignments = map(int, db.rows(
                "SELECT (SELECT count(*) FROM members), (SELECT count(*) FROM member_badges)"
            )[0])
            facts.append(f"demo database: reused {db.where()} ({members:,} members, "
                         f"{assignments:,} assignments; build not timed)")
        else:
            log(f"insignia demo: {members:,} members, {assignments:,} assignments")
            started = time.monotonic()
            run([binary, "demo", "--database", db.url, "--members", str(members),
                 "--assignments", str(assignments)])
            demo_took = time.monotonic() - started
            facts.append(f"demo build (`insignia demo`, {members:,} members, "
                         f"{assignments:,} assignments): {demo_took:.1f} s")
        demo_mb = db.size_mb()
        if not db.has_build_baseline:
            facts.append(f"plain-SQL build of the same rows: n/a (that baseline is SQLite's "
                         f"only)")
        if baseline:
            log("plain-SQL build of the same rows")
            base_db, schema_took, sql_took, got = build_baseline(binary, folder, members,
                                                                 assignments)
            if got != (members, assignments):
                raise BenchError(f"plain SQL made {got[0]:,} members and {got[1]:,} "
                                 f"assignments, not {members:,} and {assignments:,}")
            facts.append(f"plain-SQL build of the same rows: {sql_took:.1f} s (plus "
                         f"{schema_took:.1f} s for the schema and 13 badges by "
                         f"`insignia demo --members 0`)")
            if demo_took is not None:
                facts.append(f"build ratio demo ÷ plain SQL: {ratio(demo_took, sql_took)} "
                             f"(demo ÷ schema and plain SQL together: "
                             f"{ratio(demo_took, schema_took + sql_took)})")
            facts.append(f"database size: demo {demo_mb:.1f} MB, plain SQL "
                         f"{checkpoint_size_mb(base_db):.1f} MB")
        else:
            facts.append(f"database size: demo {demo_mb:.1f} MB")

        created = subprocess.run(
            [binary, "admin", "create", "--database", db.url, "--email", ADMIN_EMAIL],
            input=ADMIN_PASSWORD + "\n", capture_output=True, text=True,
        )
        if created.returncode != 0 and "already" not in created.stdout + created.stderr:
            raise BenchError(f"admin create failed:\n{created.stdout}{created.stderr}")

        server = Server(binary, db.url, folder)
        try:
            server.wait_ready()
            results = measure(server, folder, args.seconds, db)
            db.settle()
            bulk_took, title, emails = bulk_change(server, db, args.bulk)
            if args.take:
                take_took, untake_took, taken, problems = bulk_take_and_undo(
                    server, db, title, args.take)
                failed += problems
            rule_lines = rule_scenarios(server, db, title)
            db.settle()
            expiry_took = expire_all(db, title, len(emails))
            peak_kb = server.peak_rss_kb()
        finally:
            server.stop()
        log("plain-SQL bulk change")
        db.settle()
        sql_bulk_took = db.plain_sql_bulk(title, emails)
        if args.take:
            sql_take_took, sql_untake_took, problems = plain_sql_take_and_undo(
                db, title + " SQL", taken)
            failed += problems
        log("the same removal in plain SQL")
        db.settle()
        sql_expiry_took = db.plain_sql_take_all(title + " SQL")

        healthz = results["healthz"]["rps"]
        print(f"wrk -t{WRK_THREADS} -c{WRK_CONNECTIONS} -d{args.seconds}s --latency; "
              f"ratio = req/s ÷ req/s of /healthz")
        print()
        print("| scenario | req/s | p99 ms | ratio to /healthz | bytes |")
        print("| --- | ---: | ---: | ---: | ---: |")
        for key, label in SCENARIOS:
            r = results[key]
            note = f" ({r['non2xx']:,} non-2xx)" if r["non2xx"] else ""
            print(f"| {label}{note} | {r['rps']:,.0f} | {r['p99']:.2f} | "
                  f"{ratio(r['rps'], healthz)} | {r['bytes']:,} |")
            if r["non2xx"]:
                failed.append(f"{label}: {r['non2xx']} non-2xx answers of {r['requests']}")
            if r["socket_errors"]:
                facts.append(f"{label}: {r['socket_errors']}")
        print()
        for line in facts:
            print(f"- {line}")
        print(f"- bulk change (dashboard bulk box, {args.bulk:,} e-mails, one POST): "
              f"{bulk_took:.2f} s")
        print(f"- bulk change in plain SQL (temp table, INSERT … SELECT, two UPDATEs, one "
              f"transaction): {sql_bulk_took:.2f} s")
        print(f"- bulk ratio dashboard ÷ plain SQL: {ratio(bulk_took, sql_bulk_took)}")
        for line in rule_lines:
            print(f"- {line}")
        print(f"- expiry of the bulk change's {len(emails):,} assignments at once (the job's "
              f"pass, with events and audit history): {expiry_took:.2f} s; the same rows in "
              f"plain SQL (delete, both counts, events, audit history): "
              f"{sql_expiry_took:.2f} s; ratio "
              f"{ratio(expiry_took, sql_expiry_took)}")
        print(f"- server peak RSS (VmHWM): {peak_kb / 1024:.1f} MiB")
        print()
        print(f"Changes through the dashboard against the same rows written in plain SQL "
              f"(one transaction each), {db.label}; the give's time includes its report page, "
              f"the removal's and the undo's are the POST until its redirect:")
        print()
        print("| change | dashboard (plain SQL) | ratio dashboard ÷ plain SQL |")
        print("| --- | ---: | ---: |")
        print(f"| bulk give, {args.bulk:,} e-mails | {bulk_took:.2f} s (plain SQL "
              f"{sql_bulk_took:.2f} s) | {ratio(bulk_took, sql_bulk_took)} |")
        if args.take:
            print(f"| bulk removal, {args.take:,} e-mails | {take_took:.2f} s (plain SQL "
                  f"{sql_take_took:.2f} s) | {ratio(take_took, sql_take_took)} |")
            print(f"| undo of it | {untake_took:.2f} s (plain SQL {sql_untake_took:.2f} s) | "
                  f"{ratio(untake_took, sql_untake_took)} |")
        if db.keep and not reuse:
            print(f"- demo database kept at {db.where()}")
    if failed:
        for line in failed:
            print(f"load-bench: FAILED: {line}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as e:
        print(f"load-bench: FAILED: {e}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
