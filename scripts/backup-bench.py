#!/usr/bin/env python3
"""Backup benchmark: `insignia backup` of a live SQLite site against SQLite's `VACUUM INTO`
run by hand on the same file, on a demo database (1,000,000 members and 5,000,000
assignments by default).

    cargo build --release
    python3 scripts/backup-bench.py target/release/insignia \\
        [--members N] [--assignments M] [--db FILE] [--runs R]

--db (/tmp/backup-bench/site.db) is reused when the file exists and built there with
`insignia demo --members N --assignments M` when it does not (about half a minute at the
defaults on 2 cores; the build is timed). The site is then served (`insignia serve` on a free
loopback port) so that both copies are of a live site, and each of the --runs (2) runs, in
alternating order:

- times `insignia backup --database DB --to COPY` as a whole command (wall clock, process
  start to exit), and reads from what it prints the seconds of its copy (`VACUUM INTO`) and of
  its check of the copy (integrity_check, foreign keys, rows of every table, stored counts);
  the rest of the total is the process, its checks of the source and target, and the fsync and
  rename of the checked copy;
- times `VACUUM INTO` by hand with Python's sqlite3 module on the same file (connect,
  `PRAGMA busy_timeout=60000`, `VACUUM INTO`, close; wall clock). SQLite syncs the file it
  writes at the connection's `synchronous` level (FULL by default: an fdatasync at the end);
  an fsync of the hand-made copy after it is timed apart, outside that figure (it should find
  nothing left to write).

The copies are written beside the database and removed after each run. The database is
checkpointed (wal_checkpoint(TRUNCATE)) before the server starts; its size, the copies' sizes
and the SQLite version that wrote each copy (from its file header) are printed, with the load
average when each run began (anything else running on the machine shows there). Nothing
clears the page cache: on a machine with more memory than the database, the runs after the
first read it from memory (the alternation spreads that over both sides).

Prints a Markdown table (per run: backup total, its copy and check parts, VACUUM INTO by hand,
and the ratios total ÷ by hand and copy part ÷ by hand). Exits non-zero when the demo build,
the server or any backup command fails. The server is stopped when the script ends, also on
errors.

Python 3.11 standard library only. Sends traffic to 127.0.0.1 only.
"""

import argparse
import importlib.util
import datetime
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request

BUSY_TIMEOUT_MS = 60_000
# The copies need room beside the database: both at once, plus a margin.
SPACE_MARGIN = 1.1


# The server and the error of the load benchmark, whose helpers this script shares.
_spec = importlib.util.spec_from_file_location(
    "load_bench", os.path.join(os.path.dirname(os.path.abspath(__file__)), "load-bench.py"))
load_bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(load_bench)
BenchError = load_bench.BenchError


def log(message):
    print(f"backup-bench: {message}", file=sys.stderr, flush=True)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("binary", help="the insignia binary (target/release/insignia)")
    parser.add_argument("--members", type=int, default=1_000_000,
                        help="members of the demo when it is built (1,000,000)")
    parser.add_argument("--assignments", type=int, default=5_000_000,
                        help="assignments of the demo when it is built (5,000,000)")
    parser.add_argument("--db", default="/tmp/backup-bench/site.db",
                        help="the demo database: reused when it exists, else built there "
                             "(/tmp/backup-bench/site.db)")
    parser.add_argument("--runs", type=int, default=2,
                        help="runs of both copies, in alternating order (2)")
    args = parser.parse_args()
    if args.members < 0 or args.assignments < 0:
        parser.error("--members and --assignments must be 0 or more")
    if args.runs < 1:
        parser.error("--runs must be 1 or more")
    return args


# ---------------------------------------------------------------------------------------------
# Processes


def run(cmd):
    """Runs a command, raising BenchError with its output when it fails."""
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise BenchError(
            f"{' '.join(map(str, cmd))} exited {done.returncode}:\n{done.stdout}{done.stderr}"
        )
    return done


class Server(load_bench.Server):
    """`insignia serve` on the database, on a free loopback port, its output in a log file."""

    def healthy(self):
        try:
            with urllib.request.urlopen(self.base + "/healthz", timeout=5) as res:
                return res.status == 200
        except OSError:
            return False

    def check_alive(self, when):
        if self.proc.poll() is not None:
            raise BenchError(f"the server exited ({self.proc.returncode}) {when}:\n"
                             f"{self.tail()}")
        if not self.healthy():
            raise BenchError(f"the server did not answer /healthz with 200 {when}")


# ---------------------------------------------------------------------------------------------
# Files


def size_mb(path):
    return os.path.getsize(path) / 1e6 if os.path.exists(path) else 0.0


def checkpoint(db):
    """Folds the WAL into the database file, so that its size is the database's."""
    conn = sqlite3.connect(db, isolation_level=None)
    try:
        conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
    finally:
        conn.close()


def demo_counts(db):
    """(members, assignments) of an Insignia database; BenchError when it is none."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        return conn.execute("SELECT (SELECT count(*) FROM members), "
                            "(SELECT count(*) FROM member_badges)").fetchone()
    except sqlite3.Error as e:
        raise BenchError(f"{db} is not an Insignia database: {e}") from e
    finally:
        conn.close()


def written_by(path):
    """The SQLite version that last wrote a database file, from its header (bytes 96-99)."""
    try:
        with open(path, "rb") as f:
            header = f.read(100)
    except OSError:
        return "?"
    if len(header) < 100 or not header.startswith(b"SQLite format 3\0"):
        return "?"
    number = int.from_bytes(header[96:100], "big")
    return f"{number // 1_000_000}.{number // 1000 % 1000}.{number % 1000}"


def remove_copy(path):
    """Removes a copy and whatever a copy under that name may have left beside it."""
    folder, name = os.path.split(path)
    for leftover in [path, path + "-journal", path + "-wal", path + "-shm"]:
        if os.path.exists(leftover):
            os.remove(leftover)
    # A backup that was stopped may leave its partial file (`.NAME.partial-PID`).
    for entry in os.listdir(folder):
        if entry.startswith(f".{name}.partial-"):
            os.remove(os.path.join(folder, entry))


def fsync_file(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# ---------------------------------------------------------------------------------------------
# The two copies

BACKED_UP = re.compile(r"^Backed up .* \(([\d.]+) MB\) in ([\d.]+) s:", re.MULTILINE)
CHECKED = re.compile(r"^Checked in ([\d.]+) s:", re.MULTILINE)


def insignia_backup(binary, db, to):
    """`insignia backup`, timed as a whole command. Returns a dict with total, copy, check
    (seconds) and output; `error` is set when it failed or printed no times."""
    started = time.monotonic()
    done = subprocess.run([binary, "backup", "--database", db, "--to", to],
                          capture_output=True, text=True)
    total = time.monotonic() - started
    result = {"total": total, "copy": None, "check": None,
              "output": done.stdout + done.stderr, "error": None}
    if done.returncode != 0:
        result["error"] = f"insignia backup exited {done.returncode}"
        return result
    backed_up, checked = BACKED_UP.search(done.stdout), CHECKED.search(done.stdout)
    if not backed_up or not checked:
        result["error"] = "insignia backup printed no 'Backed up … in X s' / 'Checked in Y s'"
        return result
    result["copy"] = float(backed_up.group(2))
    result["check"] = float(checked.group(1))
    return result


def vacuum_into_by_hand(db, to):
    """`VACUUM INTO` with Python's sqlite3 on the live database; returns (seconds of connect,
    busy_timeout, VACUUM INTO and close; seconds of the copy's fsync after it)."""
    started = time.monotonic()
    conn = sqlite3.connect(db, isolation_level=None)
    try:
        conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        conn.execute("VACUUM INTO ?", (to,))
    finally:
        conn.close()
    took = time.monotonic() - started
    # Not part of the figure: SQLite has synced the copy already (synchronous=FULL); this makes
    # sure no dirty page of it is written out during the next measurement.
    started = time.monotonic()
    fsync_file(to)
    return took, time.monotonic() - started


# ---------------------------------------------------------------------------------------------


def ratio(a, b):
    return f"{a / b:.2f}" if a is not None and b else "n/a"


def secs(value, digits=2):
    return f"{value:.{digits}f} s" if value is not None else "n/a"


def machine_line():
    try:
        with open("/proc/meminfo") as f:
            memory = f"{int(f.readline().split()[1]) / 1024 / 1024:.0f} GiB memory"
    except (OSError, ValueError, IndexError):
        memory = "memory unknown"
    return f"{load_bench.machine_line()}, {memory}"


def build_demo(binary, db, members, assignments):
    """`insignia demo` into a new file; returns its seconds. A failed build is removed."""
    log(f"insignia demo: {members:,} members, {assignments:,} assignments into {db} "
        f"(half a minute at 1,000,000 / 5,000,000 on 2 cores)")
    started = time.monotonic()
    try:
        run([binary, "demo", "--database", db, "--members", str(members),
             "--assignments", str(assignments)])
    except BaseException:
        for leftover in [db, db + "-wal", db + "-shm", db + "-journal"]:
            if os.path.exists(leftover):
                os.remove(leftover)
        raise
    return time.monotonic() - started


def main():
    args = parse_args()
    sys.stdout.reconfigure(line_buffering=True)
    binary = os.path.abspath(args.binary)
    if not os.access(binary, os.X_OK):
        raise BenchError(f"{args.binary} is not an executable")
    db = os.path.abspath(args.db)
    folder = os.path.dirname(db)
    os.makedirs(folder, exist_ok=True)
    out_backup = os.path.join(folder, "copy-insignia-backup.db")
    out_hand = os.path.join(folder, "copy-vacuum-into.db")
    for path in (out_backup, out_hand):
        remove_copy(path)

    print(machine_line())
    print(f"date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M:%S UTC}")
    print(f"binary: {args.binary}")
    print(f"Python {sys.version.split()[0]}, its sqlite3 module on SQLite "
          f"{sqlite3.sqlite_version}")
    facts = []
    if os.path.exists(db):
        log(f"reusing {db}")
        members, assignments = demo_counts(db)
        facts.append(f"demo database: reused {db} ({members:,} members, {assignments:,} "
                     f"assignments; build not timed)")
    else:
        took = build_demo(binary, db, args.members, args.assignments)
        members, assignments = demo_counts(db)
        facts.append(f"demo build (`insignia demo --members {args.members} --assignments "
                     f"{args.assignments}`): {took:.1f} s ({took / 60:.1f} min); "
                     f"{members:,} members, {assignments:,} assignments")
        log(f"demo build: {took:.1f} s ({took / 60:.1f} min)")
    checkpoint(db)
    db_mb = size_mb(db)
    facts.append(f"database file: {db_mb:,.1f} MB (after wal_checkpoint(TRUNCATE), before the "
                 f"server started)")
    free = shutil.disk_usage(folder).free
    if free < 2 * SPACE_MARGIN * os.path.getsize(db):
        raise BenchError(f"{free / 1e9:.1f} GB free in {folder}: the two copies need about "
                         f"{2 * os.path.getsize(db) / 1e9:.1f} GB")
    print(f"database: {db} ({db_mb:,.1f} MB)")
    print()

    rows = []
    failed = []
    with tempfile.TemporaryDirectory(prefix="backup-bench-") as logs:
        server = Server(binary, db, logs)
        try:
            log(f"serving {db} on {server.base}")
            server.wait_ready()
            for number in range(1, args.runs + 1):
                backup_first = number % 2 == 1
                row = {"run": number,
                       "order": "backup, then by hand" if backup_first
                       else "by hand, then backup",
                       "wal_mb": size_mb(db + "-wal"),
                       "load": os.getloadavg()[0]}
                for step in (["backup", "hand"] if backup_first else ["hand", "backup"]):
                    if step == "backup":
                        log(f"run {number}: insignia backup")
                        result = insignia_backup(binary, db, out_backup)
                        row["backup"] = result
                        row["backup_mb"] = size_mb(out_backup)
                        row["backup_sqlite"] = written_by(out_backup)
                        if result["error"]:
                            failed.append(f"run {number}: {result['error']}:\n"
                                          f"{result['output']}")
                        else:
                            log(f"run {number}: insignia backup took {result['total']:.2f} s")
                    else:
                        log(f"run {number}: VACUUM INTO by hand")
                        try:
                            row["hand"], row["hand_fsync"] = vacuum_into_by_hand(db, out_hand)
                        except (sqlite3.Error, OSError) as e:
                            raise BenchError(f"run {number}: VACUUM INTO by hand: {e}") from e
                        row["hand_mb"] = size_mb(out_hand)
                        row["hand_sqlite"] = written_by(out_hand)
                        log(f"run {number}: VACUUM INTO by hand took {row['hand']:.2f} s")
                    server.check_alive(f"after run {number}'s {step}")
                remove_copy(out_backup)
                remove_copy(out_hand)
                rows.append(row)
        finally:
            server.stop()
            remove_copy(out_backup)
            remove_copy(out_hand)

    print("Wall clock; the copy and check parts as `insignia backup` prints them (0.1 s); "
          "rest = total − copy − check (process, source and target checks, fsync, rename); "
          "by hand = Python sqlite3 connect + busy_timeout + VACUUM INTO (which syncs the "
          "copy itself) + close; an fsync after it is timed apart.")
    print()
    print("| run | order | backup total | copy part | check part | rest | VACUUM INTO by hand "
          "| fsync of hand copy | total ÷ by hand | copy part ÷ by hand |")
    print("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for row in rows:
        b = row["backup"]
        rest = (b["total"] - b["copy"] - b["check"]) if b["copy"] is not None else None
        # The parts are printed to 0.1 s: a rest within that rounding is shown as such.
        rest = secs(rest) if rest is None or rest >= 0.1 else "< 0.1 s"
        print(f"| {row['run']} | {row['order']} | {secs(b['total'])}"
              f"{' (FAILED)' if b['error'] else ''} | {secs(b['copy'], 1)} | "
              f"{secs(b['check'], 1)} | "
              f"{rest} | {secs(row['hand'])} | {secs(row['hand_fsync'])} | "
              f"{ratio(b['total'], row['hand'])} | {ratio(b['copy'], row['hand'])} |")
    print()
    for line in facts:
        print(f"- {line}")
    for row in rows:
        print(f"- run {row['run']}: load average {row['load']:.2f} and WAL "
              f"{row['wal_mb']:,.1f} MB when it began; copies "
              f"{row['backup_mb']:,.1f} MB (insignia backup, written by SQLite "
              f"{row['backup_sqlite']}), {row['hand_mb']:,.1f} MB (by hand, written by SQLite "
              f"{row['hand_sqlite']})")
    good = [row for row in rows if not row["backup"]["error"]]
    if good:
        print(f"- median of {len(good)} run(s): backup total "
              f"{median(r['backup']['total'] for r in good):.2f} s, copy part "
              f"{median(r['backup']['copy'] for r in good):.1f} s, check part "
              f"{median(r['backup']['check'] for r in good):.1f} s, by hand "
              f"{median(r['hand'] for r in good):.2f} s")
    last = next((row["backup"]["output"] for row in reversed(rows)
                 if not row["backup"]["error"]), None)
    if last:
        print()
        print("Last `insignia backup` output (its first lines):")
        print()
        for line in last.split("\n")[:2]:
            print(f"    {line}")
    print()
    print(f"- demo database kept at {db}; the copies were removed")
    if failed:
        for line in failed:
            print(f"backup-bench: FAILED: {line}", file=sys.stderr)
        return 1
    return 0


def median(values):
    values = sorted(values)
    middle = len(values) // 2
    return values[middle] if len(values) % 2 else (values[middle - 1] + values[middle]) / 2


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as e:
        print(f"backup-bench: FAILED: {e}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
