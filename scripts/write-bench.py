#!/usr/bin/env python3
"""Write benchmark (issue 28, "no global write lock on PostgreSQL"): how many unrelated JSON
API writes per second a site takes on SQLite, on PostgreSQL with one server and on PostgreSQL
with two servers on the same database; and how long one API give waits while a 50,000-line
bulk change runs, on SQLite and on PostgreSQL. In one run, as ratios.

    python3 scripts/write-bench.py target/release/insignia \\
        [--members N] [--assignments K] [--clients C] [--seconds S] [--gives G] \\
        [--postgres postgres://user:password@host:port/postgres]

Setup. Each database gets a demo made by `insignia demo --members N --assignments K`
(100,000 and 300,000 by default): a SQLite file in a temporary folder, and a new database on
PostgreSQL. Without --postgres (or INSIGNIA_BENCH_POSTGRES) the script starts a throwaway
PostgreSQL cluster with scripts/pg-cluster.sh (PostgreSQL 15, shared_buffers 128 MB, fsync and
synchronous_commit off: SQLite's side runs as the server runs it, WAL with synchronous=NORMAL)
and stops it at the end; with --postgres it creates a database of its own on that server and
drops it at the end. Servers run `insignia serve` on free loopback ports with
`--api-writes-per-minute 1000000`, so the API's write budgets never refuse. The script signs in
to the dashboard as the demo's admin (the e-mail and password `insignia demo` prints; a fresh
sign-in is elevated), makes an API key at /dashboard/api-keys and creates the badges it uses
through the API: one per client, and two more (A for the bulk change, B for the timed gives).

1. Throughput. C clients (--clients, 16), each with its own badge and its own member, each
   over one kept-alive HTTP/1.1 connection, give the badge (assignBadge,
   `POST /members/v3/badges/{id}/members` `{"memberIds": [member]}`) and take it again
   (unassignBadge, `DELETE /members/v3/badges/{id}/members?memberIds=member`) in a loop,
   writes no two clients share rows of. After a 1 s warm-up, the answers that come within
   --seconds (10) are counted: writes/s is 2xx answers per second; anything else is counted
   apart (a connection error as status 0) and fails the run. Configurations: SQLite, one
   server; PostgreSQL, one server; PostgreSQL, two servers on the same database, the clients
   split between them (odd and even). Printed with p50/p99 latency, the servers' mean wait
   for the write lock per write transaction (their /metrics,
   insignia_db_write_lock_wait_seconds) and the script's own CPU per second of the window (a
   client near 1 CPU-second per second would be the limit, not the server), and the ratios
   PostgreSQL-1 ÷ SQLite and PostgreSQL-2 ÷ PostgreSQL-1.

2. Delay under a long write. The admin pastes 50,000 members' e-mails into badge A's bulk box
   (one dashboard POST, action=assign, timed until its answer: the redirect to its report,
   which is then read to check that every line was assigned). From 0.3 s after the POST is
   sent, G gives (--gives, 5) of badge B, each to a member of its own that is not among the
   50,000, are sent 0.2 s apart, each on its own connection, without waiting for one another.
   Printed for each: its latency and whether its answer came before the bulk change's. The
   give's latency alone (median of 10, before the bulk change) is the reference. On SQLite
   (the server of part 1) and on PostgreSQL (one server).

Prints the figures as they come, then a Markdown table of all of them with the ratios. Exits
non-zero when any step fails, any write of part 1 or give of part 2 is answered other than
2xx, the bulk change does not assign every line, or a server logs an ERROR. Every server and
the throwaway cluster are stopped when the script ends, also on errors and on Ctrl-C or
SIGTERM.

Python 3.11 standard library only, plus psql (and, without --postgres, what
scripts/pg-cluster.sh needs). Reuses scripts/load-bench.py's helpers. Sends traffic to
127.0.0.1 only (and to the PostgreSQL server when given).
"""

import argparse
import collections
import datetime
import http.client
import importlib.util
import json
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

# The load benchmark's helpers: processes, the dashboard browser, the databases, the server.
_spec = importlib.util.spec_from_file_location(
    "load_bench", os.path.join(os.path.dirname(os.path.abspath(__file__)), "load-bench.py"))
load_bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(load_bench)
BenchError = load_bench.BenchError
ratio = load_bench.ratio

SCRIPTS = os.path.dirname(os.path.abspath(__file__))
WARMUP_SECONDS = 1.0
# Part 2: the first give this long after the bulk change is sent, the next ones this far apart.
GIVE_AFTER = 0.3
GIVE_SPACING = 0.2
ALONE_GIVES = 10
SEED = 20261228


def log(message):
    print(f"write-bench: {message}", file=sys.stderr, flush=True)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("binary", help="the insignia binary (target/release/insignia)")
    parser.add_argument("--members", type=int, default=100_000,
                        help="members of each demo (100,000)")
    parser.add_argument("--assignments", type=int, default=300_000,
                        help="assignments of each demo (300,000)")
    parser.add_argument("--clients", type=int, default=16,
                        help="API writers of part 1, each with its own badge and member (16)")
    parser.add_argument("--seconds", type=float, default=10,
                        help="counted seconds of each part-1 configuration (10)")
    parser.add_argument("--gives", type=int, default=5,
                        help="timed API gives during the bulk change of part 2 (5)")
    parser.add_argument("--postgres", metavar="SERVER_URL",
                        default=os.environ.get("INSIGNIA_BENCH_POSTGRES") or None,
                        help="use this PostgreSQL server (a database of the script's own is "
                             "created on it and dropped at the end) instead of a throwaway "
                             "cluster from scripts/pg-cluster.sh")
    # Lines of the bulk change; smaller only to try the script out.
    parser.add_argument("--bulk-lines", type=int, default=50_000, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if min(args.members, args.clients, args.gives, args.bulk_lines) < 1 or args.seconds <= 0:
        parser.error("sizes and --seconds must be positive")
    if args.assignments < 0:
        parser.error("--assignments must be 0 or more")
    needed = args.bulk_lines + args.clients + args.gives + 1
    if args.members < needed:
        parser.error(f"--members {args.members:,}: the bulk change, the clients and the gives "
                     f"need {needed:,} distinct members")
    if args.postgres and not urllib.parse.urlsplit(args.postgres).scheme.startswith("postgres"):
        parser.error(f"--postgres {args.postgres!r}: not a postgres:// URL")
    return args


# ---------------------------------------------------------------------------------------------
# Servers, PostgreSQL, the admin


class Server(load_bench.Server):
    """`insignia serve` on a free loopback port, with its log of its own and /metrics on
    another free port."""

    def __init__(self, binary, db_url, folder, name, public_url=None):
        self.port = load_bench.free_port()
        self.metrics_port = load_bench.free_port()
        while self.metrics_port == self.port:
            self.metrics_port = load_bench.free_port()
        self.name = name
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = os.path.join(folder, f"{name}.log")
        self.log_file = open(self.log_path, "w")
        # Only what the command line says: no INSIGNIA_* setting of the caller's.
        env = {k: v for k, v in os.environ.items() if not k.startswith("INSIGNIA_")}
        self.proc = subprocess.Popen(
            [binary, "serve", "--database", db_url, "--bind", f"127.0.0.1:{self.port}",
             "--public-url", public_url or self.base, "--api-writes-per-minute", "1000000",
             "--metrics-bind", f"127.0.0.1:{self.metrics_port}"],
            stdout=self.log_file, stderr=subprocess.STDOUT, env=env,
        )

    def write_lock_waits(self):
        """(seconds waited in all, write transactions) so far, from /metrics; None when the
        server does not publish them."""
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.metrics_port}/metrics",
                                        timeout=10) as res:
                text = res.read().decode()
        except OSError:
            return None
        found = {}
        for suffix in ("sum", "count"):
            m = re.search(rf"^insignia_db_write_lock_wait_seconds_{suffix}(?:{{[^}}]*}})? (\S+)$",
                          text, re.M)
            if not m:
                return None
            found[suffix] = float(m.group(1))
        return found["sum"], found["count"]

    def log_lines(self, level):
        if not self.log_file.closed:
            self.log_file.flush()
        with open(self.log_path, errors="replace") as f:
            return [line.rstrip() for line in f if re.search(rf"\b{level}\b", line)]


def start_cluster():
    """Starts a throwaway cluster; returns (server URL, its folder)."""
    log("starting a throwaway PostgreSQL cluster (scripts/pg-cluster.sh)")
    done = load_bench.run(["bash", os.path.join(SCRIPTS, "pg-cluster.sh"), "start"])
    exported = dict(re.findall(r"^export (\w+)=(.*)$", done.stdout, re.M))
    if "INSIGNIA_TEST_POSTGRES" not in exported or "PG_CLUSTER_DIR" not in exported:
        raise BenchError(f"pg-cluster.sh start printed no cluster:\n{done.stdout}{done.stderr}")
    return exported["INSIGNIA_TEST_POSTGRES"], exported["PG_CLUSTER_DIR"]


def stop_cluster(folder):
    log("stopping the throwaway PostgreSQL cluster")
    subprocess.run(["bash", os.path.join(SCRIPTS, "pg-cluster.sh"), "stop", folder],
                   stdout=subprocess.DEVNULL)


def build_demo(binary, db, members, assignments):
    """`insignia demo`; returns (seconds, admin e-mail, admin password) from what it prints."""
    log(f"insignia demo on {db.where()}: {members:,} members, {assignments:,} assignments")
    started = time.monotonic()
    done = load_bench.run([binary, "demo", "--database", db.url, "--members", str(members),
                           "--assignments", str(assignments)])
    took = time.monotonic() - started
    found = re.search(r"/dashboard/login as (\S+), password (\S+)", done.stdout)
    if not found:
        raise BenchError(f"insignia demo printed no admin sign-in:\n{done.stdout}")
    return took, found.group(1), found.group(2)


def sign_in(base, email, password):
    browser = load_bench.Browser(base)
    status, url, _ = browser.post_form("/dashboard/login", {
        "email": email, "password": password, "csrf_token": browser.token("/dashboard/login"),
    })
    if status != 200 or urllib.parse.urlparse(url).path.startswith("/dashboard/login"):
        raise BenchError(f"sign-in as {email} failed: {status} at {url}")
    return browser


class Site:
    """What the script needs of one demo database: its admin's session, an API key, the
    badges and the members of both parts."""

    def __init__(self, server, db, email, password, args):
        self.browser = sign_in(server.base, email, password)
        self.api = load_bench.Api(server, self.browser)
        self.key = self.api.key
        stamp = datetime.datetime.now().strftime("%H%M%S")
        self.writer_badges = [self.new_badge(f"Write bench {i + 1} {stamp}")
                              for i in range(args.clients)]
        self.badge_a = self.new_badge(f"Bulk bench A {stamp}")
        self.badge_b = self.new_badge(f"Give bench B {stamp}")
        rows = db.rows("SELECT id, email FROM members ORDER BY key")
        picked = random.Random(SEED).sample(rows, args.bulk_lines + args.clients + args.gives + 1)
        self.bulk_emails = [email for _, email in picked[:args.bulk_lines]]
        rest = [member for member, _ in picked[args.bulk_lines:]]
        self.writer_members = rest[:args.clients]
        self.give_members = rest[args.clients:args.clients + args.gives]
        self.alone_member = rest[-1]

    def new_badge(self, title):
        answer, _ = self.api.call("POST", "/members/v3/badges", {"badge": {
            "title": title, "backgroundColor": "#112233", "textColor": "#FFFFFF"}})
        return answer["badge"]["id"]


# ---------------------------------------------------------------------------------------------
# Part 1: throughput


def percentile(values, p):
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def throughput(label, servers, site, seconds):
    """C clients give and take their own badge of their own member; the answers of `seconds`
    after a warm-up. Returns a dict of figures."""
    clients = len(site.writer_badges)
    log(f"{label}: {clients} clients, {WARMUP_SECONDS:g} s warm-up, {seconds:g} s counted")
    lock = threading.Lock()
    statuses = collections.Counter()
    latencies = []
    begin = time.monotonic() + 0.2
    t0 = begin + WARMUP_SECONDS
    t1 = t0 + seconds
    headers = {"Authorization": site.key, "Content-Type": "application/json"}

    def client(i):
        server = servers[i % len(servers)]
        badge, member = site.writer_badges[i], site.writer_members[i]
        path = f"/members/v3/badges/{urllib.parse.quote(badge)}/members"
        steps = [("POST", path, json.dumps({"memberIds": [member]})),
                 ("DELETE", f"{path}?memberIds={urllib.parse.quote(member)}", None)]
        mine = collections.Counter()
        took = []
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=120)
        time.sleep(max(0.0, begin - time.monotonic()))
        n = 0
        try:
            while True:
                method, url, body = steps[n % 2]
                n += 1
                started = time.monotonic()
                if started >= t1:
                    break
                try:
                    conn.request(method, url, body=body, headers=headers)
                    res = conn.getresponse()
                    res.read()
                    status = res.status
                except (OSError, http.client.HTTPException):
                    status = 0
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=120)
                ended = time.monotonic()
                if t0 <= ended < t1:
                    mine[status] += 1
                    if 200 <= status < 300:
                        took.append(ended - started)
        finally:
            conn.close()
            with lock:
                statuses.update(mine)
                latencies.extend(took)

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    for t in threads:
        t.start()
    time.sleep(max(0.0, t0 - time.monotonic()))
    waits_before = [s.write_lock_waits() for s in servers]
    cpu_before = os.times()
    time.sleep(max(0.0, t1 - time.monotonic()))
    cpu_after = os.times()
    waits_after = [s.write_lock_waits() for s in servers]
    for t in threads:
        t.join()
    ok = sum(n for status, n in statuses.items() if 200 <= status < 300)
    lock_wait = None
    if None not in waits_before and None not in waits_after:
        waited = sum(a[0] - b[0] for a, b in zip(waits_after, waits_before))
        writes = sum(a[1] - b[1] for a, b in zip(waits_after, waits_before))
        lock_wait = (waited / writes) if writes else None
    cpu = ((cpu_after.user - cpu_before.user) + (cpu_after.system - cpu_before.system)) / seconds
    result = {
        "label": label, "servers": len(servers), "clients": clients, "ok": ok,
        "rate": ok / seconds, "other": {s: n for s, n in statuses.items()
                                        if not 200 <= s < 300},
        "p50": percentile(latencies, 50), "p99": percentile(latencies, 99),
        "lock_wait": lock_wait, "client_cpu": cpu,
    }
    print(f"{label}: {result['rate']:,.0f} writes/s ({ok:,} 2xx in {seconds:g} s; p50 "
          f"{result['p50'] * 1000:.1f} ms, p99 {result['p99'] * 1000:.1f} ms; non-2xx "
          f"{sum(result['other'].values()):,}{' ' + str(dict(result['other'])) if result['other'] else ''}; write-lock wait "
          f"{'n/a' if lock_wait is None else f'{lock_wait * 1000:.2f} ms'} per write "
          f"transaction; client CPU {cpu:.2f} s/s)")
    return result


# ---------------------------------------------------------------------------------------------
# Part 2: one give during a long write


def api_give(server, site, member):
    """assignBadge of badge B to one member on a fresh connection: (status, sent, answered)."""
    req = urllib.request.Request(
        f"{server.base}/members/v3/badges/{urllib.parse.quote(site.badge_b)}/members",
        data=json.dumps({"memberIds": [member]}).encode(), method="POST",
        headers={"Authorization": site.key, "Content-Type": "application/json"})
    sent = time.monotonic()
    try:
        with urllib.request.urlopen(req, timeout=900) as res:
            status = res.status
            res.read()
    except urllib.error.HTTPError as e:
        status = e.code
        e.read()
    except OSError:
        status = 0
    return status, sent, time.monotonic()


def api_take(server, site, member):
    req = urllib.request.Request(
        f"{server.base}/members/v3/badges/{urllib.parse.quote(site.badge_b)}/members"
        f"?memberIds={urllib.parse.quote(member)}",
        method="DELETE", headers={"Authorization": site.key})
    try:
        with urllib.request.urlopen(req, timeout=900) as res:
            res.read()
            return res.status
    except urllib.error.HTTPError as e:
        e.read()
        return e.code
    except OSError:
        return 0


def delay_under_bulk(label, server, site, bulk_lines):
    """The gives of badge B while the bulk box gives badge A to `bulk_lines` members."""
    log(f"{label}: API give alone (median of {ALONE_GIVES})")
    alone = []
    for _ in range(ALONE_GIVES):
        status, sent, answered = api_give(server, site, site.alone_member)
        if not 200 <= status < 300:
            raise BenchError(f"{label}: a give alone was answered {status}")
        alone.append(answered - sent)
        if not 200 <= (taken := api_take(server, site, site.alone_member)) < 300:
            raise BenchError(f"{label}: taking the badge back was answered {taken}")
    page = f"/dashboard/badges/{urllib.parse.quote(site.badge_a)}"
    body = urllib.parse.urlencode({
        "bulk": "\n".join(site.bulk_emails), "action": "assign",
        "csrf_token": site.browser.token(page)}).encode()
    bulk = {}
    sent_event = threading.Event()

    def post_bulk():
        req = urllib.request.Request(server.base + page + "/members", data=body, method="POST",
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
        bulk["sent"] = time.monotonic()
        sent_event.set()
        try:
            with site.browser.stay.open(req, timeout=900) as res:
                bulk["status"], location = res.status, res.headers.get("Location", "")
                res.read()
        except urllib.error.HTTPError as e:
            bulk["status"], location = e.code, e.headers.get("Location", "")
            e.read()
        except OSError as e:
            bulk["status"], location = 0, str(e)
        bulk["answered"] = time.monotonic()
        bulk["location"] = location

    gives = [None] * len(site.give_members)

    def give(i, at):
        time.sleep(max(0.0, at - time.monotonic()))
        gives[i] = api_give(server, site, site.give_members[i])

    log(f"{label}: bulk box of {bulk_lines:,} e-mails on badge A, {len(gives)} gives of badge B "
        f"from {GIVE_AFTER:g} s in, {GIVE_SPACING:g} s apart")
    bulk_thread = threading.Thread(target=post_bulk, daemon=True)
    bulk_thread.start()
    if not sent_event.wait(60):
        raise BenchError(f"{label}: the bulk change was not sent")
    give_threads = [threading.Thread(target=give, daemon=True, args=(
        i, bulk["sent"] + GIVE_AFTER + i * GIVE_SPACING)) for i in range(len(gives))]
    for t in give_threads:
        t.start()
    for t in give_threads + [bulk_thread]:
        t.join()

    # The bulk change's answer is a redirect to its report, which says what it did.
    took = bulk["answered"] - bulk["sent"]
    if bulk["status"] not in (302, 303) or not bulk["location"]:
        raise BenchError(f"{label}: the bulk change was answered {bulk['status']} "
                         f"{bulk['location']!r}, not a redirect to its report")
    report_url = urllib.parse.urlsplit(urllib.parse.urljoin(server.base + page, bulk["location"]))
    status, url, html = site.browser.request(
        "GET", report_url.path + (f"?{report_url.query}" if report_url.query else ""))
    if status != 200 or f"{bulk_lines:,} assigned" not in html:
        summary = re.search(r'id="bulk-report".*?</p>', html, re.S)
        raise BenchError(
            f"{label}: the bulk change's report does not say {bulk_lines:,} assigned: {status} "
            f"at {url}: " + (re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", summary.group(0)))
                             if summary else html[:300]))
    print(f"{label}: bulk box of {bulk_lines:,} e-mails: {took:.2f} s; API give alone: median "
          f"{statistics.median(alone) * 1000:.1f} ms (of {len(alone)})")
    rows = []
    for i, (status, sent, answered) in enumerate(gives):
        before = answered < bulk["answered"]
        during = sent < bulk["answered"]
        rows.append({"status": status, "at": sent - bulk["sent"], "took": answered - sent,
                     "before": before, "during": during})
        print(f"  give {i + 1}: sent {sent - bulk['sent']:.2f} s after the bulk change"
              + ("" if during else " (after its answer)")
              + f", answered {status} in {answered - sent:.3f} s, "
              + ("before the bulk change answered" if before else
                 f"{answered - bulk['answered']:.3f} s after the bulk change answered"))
    return {"label": label, "bulk": took, "alone": statistics.median(alone), "gives": rows}


# ---------------------------------------------------------------------------------------------
# The run


def check_logs(servers, failed):
    for server in servers:
        warnings = server.log_lines("WARN")
        if warnings:
            print(f"{server.name}: {len(warnings)} WARN lines in its log, first: "
                  f"{warnings[0][:300]}")
        errors = server.log_lines("ERROR")
        if errors:
            failed.append(f"{server.name}: {len(errors)} ERROR lines in its log, first: "
                          f"{errors[0][:300]}")


def run_sqlite(args, binary, folder, results, failed):
    db = load_bench.SqliteDatabase(os.path.join(folder, "write-bench.db"), keep=False)
    took, email, password = build_demo(binary, db, args.members, args.assignments)
    print(f"SQLite demo ({args.members:,} members, {args.assignments:,} assignments): built in "
          f"{took:.1f} s")
    server = Server(binary, db.url, folder, "sqlite")
    try:
        server.wait_ready()
        site = Site(server, db, email, password, args)
        results["sqlite"] = throughput("SQLite, 1 server", [server], site, args.seconds)
        results["sqlite_delay"] = delay_under_bulk("SQLite", server, site, args.bulk_lines)
    finally:
        server.stop()
        check_logs([server], failed)


def run_postgres(args, binary, folder, server_url, results, failed):
    name = f"write_bench_{os.getpid()}_{int(time.time())}"
    db = load_bench.PostgresDatabase(server_url, name)
    db.prepare()
    try:
        took, email, password = build_demo(binary, db, args.members, args.assignments)
        print(f"PostgreSQL demo ({db.describe()}): built in {took:.1f} s")
        first = Server(binary, db.url, folder, "postgres-1")
        servers = [first]
        try:
            first.wait_ready()
            site = Site(first, db, email, password, args)
            db.settle()
            results["pg1"] = throughput("PostgreSQL, 1 server", [first], site, args.seconds)
            second = Server(binary, db.url, folder, "postgres-2", public_url=first.base)
            servers.append(second)
            second.wait_ready()
            db.settle()
            results["pg2"] = throughput("PostgreSQL, 2 servers", [first, second], site,
                                        args.seconds)
            second.stop()
            db.settle()
            results["pg_delay"] = delay_under_bulk("PostgreSQL", first, site, args.bulk_lines)
        finally:
            for server in servers:
                server.stop()
            check_logs(servers, failed)
    finally:
        # Every server is stopped: nothing else holds the database.
        try:
            db.psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE);\n", url=server_url)
        except BenchError as e:
            log(f"could not drop database {name}: {e}")


def throughput_cell(r):
    other = sum(r["other"].values())
    lock = "n/a" if r["lock_wait"] is None else f"{r['lock_wait'] * 1000:.2f} ms"
    return (f"{r['rate']:,.0f} writes/s (p50 {r['p50'] * 1000:.1f} ms, p99 "
            f"{r['p99'] * 1000:.1f} ms; write-lock wait {lock}; {other:,} non-2xx"
            + (f" {dict(r['other'])}" if other else "") + ")")


def delay_rows(d, bulk_lines, compare=None):
    tooks = [g["took"] for g in d["gives"]]
    before = sum(g["before"] for g in d["gives"])
    during = sum(g["during"] for g in d["gives"])
    lines = [
        f"| bulk box, {bulk_lines:,} e-mails, {d['label']} | {d['bulk']:.2f} s | "
        + (f"PostgreSQL ÷ SQLite {ratio(d['bulk'], compare['bulk'])}" if compare else "")
        + " |",
        f"| API give alone, {d['label']} (median of {ALONE_GIVES}) | "
        f"{d['alone'] * 1000:.1f} ms | |",
        f"| API give during the bulk change, {d['label']} (sent at "
        + ", ".join(f"{g['at']:.2f}" for g in d["gives"]) + " s) | "
        + ", ".join(f"{t:.3f}" for t in tooks) + f" s; {during} of {len(tooks)} sent while "
        f"it ran, {before} answered before it | median ÷ alone {ratio(statistics.median(tooks), d['alone'])} |",
    ]
    return lines


def report(args, results):
    print()
    print(f"{args.clients} API clients (each: give and take its own badge of its own member), "
          f"{args.seconds:g} s counted after {WARMUP_SECONDS:g} s; bulk box of "
          f"{args.bulk_lines:,} e-mails with {args.gives} API gives from {GIVE_AFTER:g} s in, "
          f"{GIVE_SPACING:g} s apart; demos of {args.members:,} members and "
          f"{args.assignments:,} assignments:")
    print()
    print("| what | figure | ratio |")
    print("| --- | --- | --- |")
    s, p1, p2 = results.get("sqlite"), results.get("pg1"), results.get("pg2")
    if s:
        print(f"| writes/s, SQLite, 1 server | {throughput_cell(s)} | |")
    if p1:
        print(f"| writes/s, PostgreSQL, 1 server | {throughput_cell(p1)} | PostgreSQL-1 ÷ "
              f"SQLite {ratio(p1['rate'], s['rate']) if s else 'n/a'} |")
    if p2:
        print(f"| writes/s, PostgreSQL, 2 servers ({(args.clients + 1) // 2} + "
              f"{args.clients // 2} clients) | {throughput_cell(p2)} | PostgreSQL-2 ÷ "
              f"PostgreSQL-1 {ratio(p2['rate'], p1['rate']) if p1 else 'n/a'} |")
    if s or p1 or p2:
        cpu = ", ".join(f"{r['client_cpu']:.2f}" for r in (s, p1, p2) if r)
        print(f"| the script's CPU per second of each window (SQLite, PostgreSQL-1, -2) | "
              f"{cpu} s/s | |")
    if "sqlite_delay" in results:
        print("\n".join(delay_rows(results["sqlite_delay"], args.bulk_lines)))
    if "pg_delay" in results:
        print("\n".join(delay_rows(results["pg_delay"], args.bulk_lines,
                                   results.get("sqlite_delay"))))


def main():
    args = parse_args()
    sys.stdout.reconfigure(line_buffering=True)
    binary = os.path.abspath(args.binary)
    if not os.access(binary, os.X_OK):
        raise BenchError(f"{args.binary} is not an executable")
    print(load_bench.machine_line())
    print(f"date: {datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M:%S UTC')}")
    print(f"binary: {args.binary}")
    print()
    results = {}
    failed = []
    cluster = None
    try:
        with tempfile.TemporaryDirectory(prefix="insignia-write-bench-") as folder:
            run_sqlite(args, binary, folder, results, failed)
            server_url = args.postgres
            if not server_url:
                server_url, cluster = start_cluster()
            run_postgres(args, binary, folder, server_url, results, failed)
    finally:
        if cluster:
            stop_cluster(cluster)
        report(args, results)
        check_results(results, failed)
        for line in failed:
            print(f"write-bench: FAILED: {line}", file=sys.stderr)
    return 1 if failed else 0


def check_results(results, failed):
    """What the figures say went wrong, added to `failed`."""
    for key in ("sqlite", "pg1", "pg2"):
        r = results.get(key)
        if r and r["other"]:
            failed.append(f"{r['label']}: non-2xx answers {dict(r['other'])}")
        if r and not r["ok"]:
            failed.append(f"{r['label']}: no write succeeded")
    for key in ("sqlite_delay", "pg_delay"):
        d = results.get(key)
        bad = [g["status"] for g in d["gives"] if not 200 <= g["status"] < 300] if d else []
        if bad:
            failed.append(f"{d['label']}: gives during the bulk change answered {bad}")


def _terminate(signum, frame):
    raise KeyboardInterrupt


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _terminate)
    try:
        sys.exit(main())
    except BenchError as e:
        print(f"write-bench: FAILED: {e}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
