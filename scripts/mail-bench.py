#!/usr/bin/env python3
"""Mail benchmarks (issue 25, item 8): what the mail outbox costs a bulk change, and how fast
mail leaves next to webhooks.

    cargo build --release
    bash scripts/test.sh   # or: python3 -m venv target/smtp-venv &&
                           #     target/smtp-venv/bin/pip install -r tests/smtp/requirements.txt
    # a 50,000-line bulk box on a badge that tells its members by mail vs. one that does not
    python3 scripts/mail-bench.py overhead target/release/insignia [--members 200000] [--runs 5]
    # 50,000 mails to a local SMTP server and 50,000 Standard Webhooks deliveries to a local
    # receiver, from one bulk change, in the same run
    python3 scripts/mail-bench.py throughput target/release/insignia [--members 60000] \\
        [--mails 50000]
    # either on PostgreSQL (or INSIGNIA_BENCH_POSTGRES=SERVER_URL)
    python3 scripts/mail-bench.py overhead target/release/insignia \\
        --postgres postgres://user:password@host:port/postgres ...

overhead: builds a demo (kept in --workdir and reused), then alternates two runs --runs times,
each on a fresh copy with mail on (the SMTP server is a closed port: badge mail waits 10 s
before it is due, so nothing is sent while the change is timed): the bulk box on a new badge
told to tell its members by mail ("with"), and on a new badge that does not ("without"). With
mail, checks that the outbox got one badge mail per member given the badge. Prints per-run times
and the ratio of the medians (the webhook outbox was measured the same way:
scripts/webhook-bench.py overhead).

throughput: a demo; `insignia serve` with mail to aiosmtpd (`tests/smtp/server.py --tally`,
which only notes each message) and webhooks allowed to a local Node receiver answering 200
(scripts/webhook-bench.py's); an endpoint for badge.assigned, a new badge that tells its
members, and a bulk change giving it to --mails members: that queues --mails events and --mails
mails at once. Waits until both have arrived and prints, for each, the time from the end of the
change to the last arrival, the first-to-last span and the rate; then mail time / webhook time.

With --postgres SERVER_URL (as scripts/load-bench.py takes it) each demo and each run's copy is a
database on that server instead of a file in --workdir: mail_bench_ and the file's name
(mail_bench_oh_base_200000_600000, mail_bench_oh_run_with, mail_bench_tp_run, ...). A demo is
built once, vacuumed, and reused while it holds members; a run's copy is made from it as a
template (dropped first when there is one), and kept afterwards, as the files are. PostgreSQL
is reached through psql.

Python 3 standard library only (plus node for the receiver and target/smtp-venv's aiosmtpd for
the SMTP server, and psql for PostgreSQL). Traffic to 127.0.0.1 only (and to the PostgreSQL
server when given).
"""

import argparse
import importlib.util
import os
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse

sys.dont_write_bytecode = True  # no __pycache__ next to the scripts
HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)


def _load(name, file):
    spec = importlib.util.spec_from_file_location(name, os.path.join(HERE, file))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


lb = _load("load_bench", "load-bench.py")
wb = _load("webhook_bench", "webhook-bench.py")
BenchError = lb.BenchError


def log(message):
    print(f"mail-bench: {message}", file=sys.stderr, flush=True)


class SmtpServer:
    """aiosmtpd on a free port, noting the time of each message it accepts."""

    def __init__(self):
        python = os.path.join(REPO, "target", "smtp-venv", "bin", "python")
        if not os.path.exists(python):
            raise BenchError("target/smtp-venv is missing: run scripts/test.sh once, or make it "
                             "with pip install -r tests/smtp/requirements.txt")
        self.proc = subprocess.Popen(
            [python, os.path.join(REPO, "tests", "smtp", "server.py"), "--tally"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        ready = self.proc.stdout.readline().split()
        if len(ready) != 2 or ready[0] != "ready":
            raise BenchError(f"the SMTP server did not start: {ready}")
        self.port = int(ready[1])
        self.times = []
        self.recipients = set()
        self.lock = threading.Lock()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            at, to = line.split(" ", 1)
            with self.lock:
                self.times.append(float(at) / 1000)
                self.recipients.add(to.strip())

    def stats(self):
        with self.lock:
            return len(self.times), (min(self.times) if self.times else None), \
                (max(self.times) if self.times else None), len(self.recipients)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)


def tell_members(browser, badge_id):
    page = f"/dashboard/badges/{badge_id}"
    status, url, html = browser.post_form(f"{page}/mail", {
        "tell": "on", "csrf_token": browser.token(page)})
    if status != 200 or "told by mail" not in html:
        raise BenchError(f"telling members failed: {status} at {url}")


def closed_port():
    return lb.free_port()


def create_endpoint(browser, db, url):
    """webhook-bench.py's create_endpoint reads the endpoint back from a SQLite file; this one
    reads it through `db`, so that it works on PostgreSQL too."""
    fields = [("url", url), ("format", "standard"), ("kinds", "badge.assigned"),
              ("enabled", "on"), ("csrf_token", browser.token("/dashboard/webhooks"))]
    status, at, _ = browser.post_form("/dashboard/webhooks", fields)
    if status != 200 or not db.rows("SELECT 1 FROM webhook_endpoints WHERE url = ?", (url,)):
        raise BenchError(f"creating the endpoint failed: {status} at {at}")


def sample_emails(db, n):
    """The e-mails of n members spread over the demo (the same ones on either database)."""
    return [row[0] for row in db.rows(
        "SELECT email FROM members ORDER BY (key * 2654435761) % 4294967296 LIMIT ?", (n,))]


# ---------------------------------------------------------------------------------------------
# Databases: a file in --workdir, or with --postgres a database on that server; either way one
# of load-bench.py's SqliteDatabase and PostgresDatabase (rows, url), so that the rest does not
# tell them apart.


def pg_database(args, name):
    return lb.PostgresDatabase(args.postgres, "mail_bench_" + name.replace("-", "_"))


def demo(args, binary, name):
    """The demo `name`, built when missing; returns it and the seconds of the build (None when
    it was reused)."""
    if not args.postgres:
        path = os.path.join(args.workdir, f"{name}.db")
        return lb.SqliteDatabase(path, keep=True), wb.make_demo(binary, path, args.members,
                                                                args.assignments)
    db = pg_database(args, name)
    if db.prepare():
        log(f"reusing {db.where()}")
        return db, None
    log(f"insignia demo: {args.members:,} members, {args.assignments:,} assignments -> "
        f"{db.where()}")
    started = time.monotonic()
    lb.run([binary, "demo", "--database", db.url, "--members", str(args.members),
            "--assignments", str(args.assignments)])
    took = time.monotonic() - started
    created = subprocess.run(
        [binary, "admin", "create", "--database", db.url, "--email", lb.ADMIN_EMAIL],
        input=lb.ADMIN_PASSWORD + "\n", capture_output=True, text=True)
    if created.returncode != 0 and "already" not in created.stdout + created.stderr:
        raise BenchError(f"admin create failed:\n{created.stdout}{created.stderr}")
    # Vacuumed once, so that every copy starts from settled pages (no run pays for the build's
    # clean-up) and autovacuum has nothing to do on the demo while the runs are timed.
    db.settle()
    return db, took


def fresh_copy(args, base, name):
    """A copy of the demo `base` for one run, made again each time."""
    if not args.postgres:
        path = os.path.join(args.workdir, f"{name}.db")
        wb.fresh_copy(base.path, path)
        return lb.SqliteDatabase(path, keep=True)
    db = pg_database(args, name)
    # No connection may be open to the template: each run's server is stopped before the next
    # copy is made.
    base.psql(f"DROP DATABASE IF EXISTS {db.name};\n"
              f"CREATE DATABASE {db.name} TEMPLATE {base.name};\n", url=base.server)
    return db


def describe(args, db):
    """On PostgreSQL, a line naming the server, since the figures are SQLite's unless said."""
    if args.postgres:
        print(f"database: {db.describe()}", flush=True)


# ---------------------------------------------------------------------------------------------
# overhead


def overhead(args):
    binary = os.path.abspath(args.binary)
    os.makedirs(args.workdir, exist_ok=True)
    base_db, made = demo(args, binary, f"oh-base-{args.members}-{args.assignments}")
    if made:
        log(f"demo built in {made:.1f} s")
    describe(args, base_db)
    mail = ["--smtp-url", f"smtp://127.0.0.1:{closed_port()}"]
    results = {"with": [], "without": []}
    for run in range(args.runs):
        order = ["with", "without"] if run % 2 == 0 else ["without", "with"]
        for label in order:
            db = fresh_copy(args, base_db, f"oh-run-{label}")
            server = wb.Server(binary, db.url, args.workdir, mail)
            try:
                server.wait_ready(timeout=300)
                browser = wb.sign_in(server.base)
                title = f"Mail bench {label} {time.time_ns()}"
                badge_id, badge_key = lb.new_badge(browser, db, title)
                if label == "with":
                    tell_members(browser, badge_id)
                emails = sample_emails(db, args.bulk)
                took = wb.bulk_assign(browser, badge_id, emails)
            finally:
                server.stop()
            line = f"run {run + 1} {label:7}: bulk box {args.bulk:,} e-mails {took:.2f} s"
            queued = int(db.rows(
                "SELECT count(*) FROM mail_outbox WHERE kind = 'badge_given' AND badge_id = ?",
                (badge_id,))[0][0])
            expected = args.bulk if label == "with" else 0
            line += f"; badge mails queued: {queued:,} {'OK' if queued == expected else 'MISMATCH'}"
            print(line, flush=True)
            results[label].append(took)
    w, wo = statistics.median(results["with"]), statistics.median(results["without"])
    print(f"with mail:    {', '.join(f'{t:.2f}' for t in results['with'])} s "
          f"(median {w:.2f}, mean {statistics.mean(results['with']):.2f})")
    print(f"without mail: {', '.join(f'{t:.2f}' for t in results['without'])} s "
          f"(median {wo:.2f}, mean {statistics.mean(results['without']):.2f})")
    print(f"ratio with/without: median {w / wo:.3f}, mean "
          f"{statistics.mean(results['with']) / statistics.mean(results['without']):.3f}, "
          f"best {min(results['with']) / min(results['without']):.3f}")
    return 0


# ---------------------------------------------------------------------------------------------
# throughput


def throughput(args):
    binary = os.path.abspath(args.binary)
    os.makedirs(args.workdir, exist_ok=True)
    base_db, _ = demo(args, binary, f"tp-base-{args.members}")
    describe(args, base_db)
    db = fresh_copy(args, base_db, "tp-run")
    smtp = SmtpServer()
    receiver = wb.Receiver(args.workdir)
    # Badge mail is due as soon as it is queued, so both leave from the same moment.
    server = wb.Server(binary, db.url, args.workdir, [
        "--webhooks-allow-private", "--smtp-url", f"smtp://127.0.0.1:{smtp.port}",
        "--mail-gather-ms", "0"])
    try:
        server.wait_ready()
        browser = wb.sign_in(server.base)
        create_endpoint(browser, db, receiver.url)
        badge_id, _ = lb.new_badge(browser, db, f"Mail bench {time.time_ns()}")
        tell_members(browser, badge_id)
        emails = sample_emails(db, args.mails)
        took = wb.bulk_assign(browser, badge_id, emails)
        given = time.time()
        log(f"gave the badge to {len(emails):,} members in {took:.2f} s; waiting for both")
        done = {"mail": None, "webhooks": None}
        last_progress, last_counts = time.monotonic(), None
        while not all(done.values()):
            count, _, last, _ = smtp.stats()
            hooks = receiver.stats()
            if done["mail"] is None and count >= args.mails:
                done["mail"] = last
            if done["webhooks"] is None and hooks["count"] >= args.mails:
                done["webhooks"] = hooks["last"] / 1000
            if (count, hooks["count"]) != last_counts:
                last_counts, last_progress = (count, hooks["count"]), time.monotonic()
            if time.monotonic() - last_progress > 60:
                log(f"no progress for 60 s: {count:,} mails, {hooks['count']:,} deliveries")
                break
            time.sleep(0.5)
        count, first, last, distinct = smtp.stats()
        hooks = receiver.stats()
        print(f"throughput: {args.mails:,} members given one badge (bulk box {took:.2f} s); "
              f"demo of {args.members:,} members")
        rows = []
        for label, n, first_at, last_at in (
                ("mail (SMTP)", count, first, last),
                ("webhooks (Standard)", hooks["count"],
                 hooks["first"] / 1000 if hooks["first"] else None,
                 hooks["last"] / 1000 if hooks["last"] else None)):
            if not n:
                print(f"  {label}: nothing arrived")
                continue
            span = last_at - first_at
            rows.append((label, last_at - given))
            print(f"  {label}: {n:,} arrived; last {last_at - given:.2f} s after the change; "
                  f"first->last {span:.2f} s ({(n - 1) / span if span > 0 else 0:,.0f}/s)")
        print(f"  distinct mail recipients: {distinct:,}; webhook duplicates: {hooks['dups']}")
        if len(rows) == 2:
            print(f"  mail time / webhook time (to the last arrival): {rows[0][1] / rows[1][1]:.2f}")
        ok = count == args.mails == distinct and hooks["count"] == args.mails
        return 0 if ok else 1
    finally:
        server.stop()
        receiver.stop()
        smtp.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workdir", default="/tmp/mail-bench")
    sub = parser.add_subparsers(dest="command", required=True)
    oh = sub.add_parser("overhead")
    oh.add_argument("binary")
    oh.add_argument("--members", type=int, default=200_000)
    oh.add_argument("--assignments", type=int, default=600_000)
    oh.add_argument("--bulk", type=int, default=50_000)
    oh.add_argument("--runs", type=int, default=5)
    tp = sub.add_parser("throughput")
    tp.add_argument("binary")
    tp.add_argument("--members", type=int, default=60_000)
    tp.add_argument("--assignments", type=int, default=1_000)
    tp.add_argument("--mails", type=int, default=50_000)
    for command in (oh, tp):
        command.add_argument("--postgres", metavar="SERVER_URL",
                             default=os.environ.get("INSIGNIA_BENCH_POSTGRES") or None,
                             help="run on this PostgreSQL server instead of SQLite")
    args = parser.parse_args()
    if args.postgres and not urllib.parse.urlsplit(args.postgres).scheme.startswith("postgres"):
        parser.error(f"--postgres {args.postgres!r}: not a postgres:// URL")
    try:
        return overhead(args) if args.command == "overhead" else throughput(args)
    except BenchError as e:
        log(f"failed: {e}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
