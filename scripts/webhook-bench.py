#!/usr/bin/env python3
"""Webhook benchmarks: delivery throughput to a local receiver, the cost of the events outbox
in a dashboard bulk change, and how long a healthy endpoint waits beside a hanging one.

    cargo build --release
    # events/s delivered to a local receiver (Node http server answering 200 to every POST)
    python3 scripts/webhook-bench.py throughput target/release/insignia \\
        [--members 60000] [--events 20000] [--badges 1] [--format standard|wix] [--via bulk|api]
    # bulk box of 50,000 e-mails with events vs. a binary without them (e.g. built from HEAD~1)
    python3 scripts/webhook-bench.py overhead --with target/release/insignia \\
        --without /tmp/insignia-before-target/release/insignia [--members 200000] [--runs 3]
    # a healthy endpoint's delay while another endpoint hangs on 1,000 lanes
    python3 scripts/webhook-bench.py hanging target/release/insignia [--lanes 1000] \\
        [--samples 12] [--every 3] [--timeout-ms 10000]

throughput: builds a demo database (kept in --workdir and reused), starts `insignia serve
--webhooks-allow-private`, signs in through the dashboard, creates an API key, starts the
receiver, adds an endpoint at /dashboard/webhooks (kinds=badge.assigned), creates --badges new
badges and assigns --events members spread over them (bulk box or JSON API), then waits until
the receiver has them all. Prints events/s from the first to the last delivery received.

overhead: builds the demo with the --without binary (the newer one migrates a copy when it
starts), then alternates the two binaries --runs times each, every run on a fresh copy, timing
the bulk box as scripts/load-bench.py does. With events, checks the events table got one
badge.assigned row per member assigned. Prints per-run times and the ratio of the medians.

hanging: a small demo; a receiver that accepts connections and never answers (a hung server)
gets an endpoint for badge.created and badge.assigned, and --lanes badges' badge.created
events (one lane each; one badge made through the API, the rest copies of its event written
to the outbox) queue for it; a healthy Node receiver gets an endpoint for badge.assigned.
Then, every --every seconds, one member is given the badge through the API and the
time from the API's answer to the healthy receiver's delivery is measured (each wait at most
--wait seconds). Prints each delay, their median and maximum, and how many requests reached
the hanging receiver.

Python 3 standard library only, plus node (for the receiver). Traffic to 127.0.0.1 only.
"""

import argparse
import hashlib
import importlib.util
import json
import os
import re
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

sys.dont_write_bytecode = True  # no __pycache__ next to the scripts
HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location("load_bench", os.path.join(HERE, "load-bench.py"))
lb = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(lb)

BenchError = lb.BenchError
ADMIN_EMAIL = lb.ADMIN_EMAIL
ADMIN_PASSWORD = lb.ADMIN_PASSWORD

RECEIVER_JS = r"""
const http = require('http');
const crypto = require('crypto');
const port = +process.argv[2];
let s;
function reset() { s = {count: 0, first: null, last: null, dups: 0, bytes: 0, non_post: 0}; seen = new Set(); }
let seen; reset();
const server = http.createServer((req, res) => {
  if (req.method === 'GET') {
    res.writeHead(200, {'content-type': 'application/json'});
    res.end(JSON.stringify(s));
    return;
  }
  if (req.method === 'DELETE') { reset(); res.end('ok'); return; }
  const chunks = [];
  req.on('data', c => chunks.push(c));
  req.on('end', () => {
    const now = performance.timeOrigin + performance.now();
    const body = Buffer.concat(chunks);
    const id = req.headers['webhook-id'] || crypto.createHash('md5').update(body).digest('hex');
    if (seen.has(id)) s.dups++; else seen.add(id);
    s.count++; s.bytes += body.length;
    if (s.first === null) s.first = now;
    s.last = now;
    res.writeHead(200, {'content-type': 'text/plain'});
    res.end('ok');
  });
});
server.keepAliveTimeout = 60000;
server.listen(port, '127.0.0.1', () => console.log('ready'));
"""


def log(message):
    print(f"webhook-bench: {message}", file=sys.stderr, flush=True)


class Server:
    """`insignia serve` on a free port, its output in a log file."""

    def __init__(self, binary, db, folder, extra=()):
        self.port = lb.free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = os.path.join(folder, f"server-{self.port}.log")
        self.log_file = open(self.log_path, "w")
        self.cmd = [binary, "serve", "--database", db, "--bind", f"127.0.0.1:{self.port}",
                    *extra]
        self.proc = subprocess.Popen(self.cmd, stdout=self.log_file, stderr=subprocess.STDOUT)

    wait_ready = lb.Server.wait_ready
    tail = lb.Server.tail
    stop = lb.Server.stop

    def warnings(self):
        self.log_file.flush()
        with open(self.log_path, errors="replace") as f:
            return [line.rstrip() for line in f if "webhooks:" in line or " WARN " in line
                    or "ERROR" in line]


class Receiver:
    def __init__(self, folder):
        if not shutil.which("node"):
            raise BenchError("node is missing (the receiver is a Node http server)")
        self.port = lb.free_port()
        path = os.path.join(folder, "receiver.js")
        with open(path, "w") as f:
            f.write(RECEIVER_JS)
        self.proc = subprocess.Popen(["node", path, str(self.port)], stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True)
        if self.proc.stdout.readline().strip() != "ready":
            raise BenchError("the receiver did not start")
        self.url = f"http://127.0.0.1:{self.port}/hook"

    def stats(self):
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/", timeout=10) as res:
            return json.loads(res.read())

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)


def checkpoint(path):
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
    finally:
        conn.close()


def fresh_copy(base, path):
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)
    shutil.copyfile(base, path)


def make_demo(binary, path, members, assignments):
    if os.path.exists(path):
        log(f"reusing {path}")
        return None
    log(f"insignia demo: {members:,} members, {assignments:,} assignments -> {path}")
    started = time.monotonic()
    lb.run([binary, "demo", "--database", path, "--members", str(members),
            "--assignments", str(assignments)])
    took = time.monotonic() - started
    created = subprocess.run(
        [binary, "admin", "create", "--database", path, "--email", ADMIN_EMAIL],
        input=ADMIN_PASSWORD + "\n", capture_output=True, text=True,
    )
    if created.returncode != 0 and "already" not in created.stdout + created.stderr:
        raise BenchError(f"admin create failed:\n{created.stdout}{created.stderr}")
    checkpoint(path)
    return took


def sign_in(base):
    browser = lb.Browser(base)
    status, url, _ = browser.post_form("/dashboard/login", {
        "email": ADMIN_EMAIL, "password": ADMIN_PASSWORD,
        "csrf_token": browser.token("/dashboard/login"),
    })
    if status != 200 or urllib.parse.urlparse(url).path.startswith("/dashboard/login"):
        raise BenchError(f"sign-in as {ADMIN_EMAIL} failed: {status} at {url}")
    return browser


def create_api_key(browser):
    status, _, html = browser.post_form("/dashboard/api-keys", {
        "name": "webhook bench", "csrf_token": browser.token("/dashboard/api-keys"),
    })
    match = re.search(r'<input id="secret"[^>]*value="([^"]+)"', html)
    if status != 200 or not match:
        raise BenchError(f"creating an API key failed: {status}: {html[:300]}")
    return match.group(1)


def create_endpoint(browser, db, url, fmt, kinds=("badge.assigned",)):
    fields = [("url", url), ("format", fmt)] + [("kinds", k) for k in kinds] + [
        ("enabled", "on"), ("csrf_token", browser.token("/dashboard/webhooks"))]
    status, at, html = browser.post_form("/dashboard/webhooks", fields)
    rows = sqlite3.connect(db).execute(
        "SELECT key, format, kinds, enabled FROM webhook_endpoints WHERE url = ?", (url,)
    ).fetchall()
    if status != 200 or not rows:
        errors = re.findall(r'class="error"[^>]*>([^<]+)<', html)
        raise BenchError(f"creating the endpoint failed: {status} at {at}: {errors or html[:300]}")
    return rows[-1]


def create_badge(browser, db, title):
    status, url, _ = browser.post_multipart("/dashboard/badges/new", {
        "title": title, "description": "", "background_color": "#112233",
        "text_color": "#FFFFFF", "icon": "",
        "csrf_token": browser.token("/dashboard/badges/new"),
    })
    found = sqlite3.connect(db).execute("SELECT id, key FROM badges WHERE title = ?",
                                        (title,)).fetchall()
    if not found:
        raise BenchError(f"creating badge {title!r} failed: {status} at {url}")
    return found[0]


def bulk_assign(browser, badge_id, emails):
    page = f"/dashboard/badges/{badge_id}"
    fields = {"bulk": "\n".join(emails), "action": "assign", "csrf_token": browser.token(page)}
    started = time.monotonic()
    status, url, html = browser.post_form(f"{page}/members", fields)
    took = time.monotonic() - started
    if status != 200 or f"{len(emails):,} assigned" not in html:
        summary = re.search(r'id="bulk-report".*?</p>', html, re.S)
        raise BenchError(
            f"the bulk change did not report {len(emails):,} assigned: {status} at {url}: "
            + (re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", summary.group(0))) if summary
               else html[:500]))
    return took


def api_assign(base, key, badge_id, member_ids, chunk):
    started = time.monotonic()
    for i in range(0, len(member_ids), chunk):
        body = json.dumps({"memberIds": member_ids[i:i + chunk]}).encode()
        req = urllib.request.Request(
            f"{base}/members/v3/badges/{badge_id}/members", data=body, method="POST",
            headers={"Authorization": key, "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=300) as res:
                res.read()
        except urllib.error.HTTPError as e:
            raise BenchError(f"API assign: {e.code}: {e.read()[:300]!r}") from e
    return time.monotonic() - started


# ---------------------------------------------------------------------------------------------
# throughput


def throughput(args):
    binary = os.path.abspath(args.binary)
    os.makedirs(args.workdir, exist_ok=True)
    base_db = os.path.join(args.workdir, f"tp-base-{args.members}.db")
    make_demo(binary, base_db, args.members, args.assignments)
    db = os.path.join(args.workdir, "tp-run.db")
    fresh_copy(base_db, db)
    extra = ["--webhooks-allow-private"]
    if args.timeout_ms:
        extra += ["--webhooks-timeout-ms", str(args.timeout_ms)]
    server = Server(binary, db, args.workdir, extra)
    receiver = Receiver(args.workdir)
    try:
        server.wait_ready()
        browser = sign_in(server.base)
        key = create_api_key(browser)
        log(f"API key created ({key[:6]}…)")
        endpoint = create_endpoint(browser, db, receiver.url, args.format)
        log(f"endpoint {endpoint}")
        badges = [create_badge(browser, db, f"Hook bench {args.format} {i} {time.time_ns()}")
                  for i in range(args.badges)]
        conn = sqlite3.connect(db)
        per = args.events // args.badges
        rows = conn.execute(
            "SELECT id, email FROM members ORDER BY (key * 2654435761) % 4294967296 LIMIT ?",
            (per * args.badges,)).fetchall()
        conn.close()
        expected = per * args.badges
        assign_took = []
        t0 = time.monotonic()
        for i, (badge_id, _) in enumerate(badges):
            chunk = rows[i * per:(i + 1) * per]
            if args.via == "bulk":
                took = bulk_assign(browser, badge_id, [e for _, e in chunk])
            else:
                took = api_assign(server.base, key, badge_id, [m for m, _ in chunk],
                                  args.api_chunk)
            assign_took.append(took)
            log(f"assigned {len(chunk):,} members to badge {i + 1} in {took:.2f} s")
        deadline = time.monotonic() + args.wait
        last_count, last_change = -1, time.monotonic()
        while True:
            s = receiver.stats()
            if s["count"] >= expected:
                break
            if s["count"] != last_count:
                last_count, last_change = s["count"], time.monotonic()
            if time.monotonic() > deadline or time.monotonic() - last_change > 60:
                log(f"gave up waiting: {s['count']:,} of {expected:,} received")
                break
            time.sleep(0.5)
        wall = time.monotonic() - t0
        s = receiver.stats()
        conn = sqlite3.connect(db)
        states = conn.execute(
            "SELECT state, count(*) FROM webhook_deliveries GROUP BY state").fetchall()
        attempts = conn.execute(
            "SELECT count(*), sum(status BETWEEN 200 AND 299), avg(latency_ms), "
            "max(latency_ms) FROM webhook_attempts").fetchone()
        events = conn.execute(
            "SELECT count(*) FROM events WHERE kind = 'badge.assigned'").fetchone()[0]
        conn.close()
        span = (s["last"] - s["first"]) / 1000 if s["first"] is not None else 0
        rate = (s["count"] - 1) / span if span > 0 else 0
        print(f"throughput: format={args.format} badges(lanes)={args.badges} via={args.via} "
              f"members={args.members:,} expected={expected:,}")
        print(f"  received {s['count']:,} deliveries ({s['dups']} duplicates, "
              f"{s['bytes'] / max(s['count'], 1):.0f} bytes avg) in {span:.2f} s "
              f"first->last: {rate:,.0f} events/s")
        print(f"  assignment time(s): {', '.join(f'{t:.2f}' for t in assign_took)} s; "
              f"wall from first assign to last delivery {wall:.2f} s "
              f"({s['count'] / wall:,.0f} events/s)")
        print(f"  events rows badge.assigned: {events:,}; deliveries by state "
              f"(0 waiting, 1 delivered, 2 gave up): {states}; attempts: {attempts[0]:,} "
              f"({attempts[1]} 2xx), latency avg {attempts[2] or 0:.2f} ms, max {attempts[3]} ms")
        warn = server.warnings()
        print(f"  server warnings: {len(warn)}")
        for line in warn[:10]:
            print(f"    {line}")
        ok = s["count"] == expected and s["dups"] == 0 and events == expected
        return 0 if ok else 1
    finally:
        server.stop()
        receiver.stop()


# ---------------------------------------------------------------------------------------------
# hanging


class HangingReceiver:
    """Accepts connections and never answers; counts them."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4096)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/hook"
        self.held = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.held.append(conn)

    def stop(self):
        self.sock.close()
        for conn in self.held:
            conn.close()


def api_post(base, key, path, body):
    req = urllib.request.Request(f"{base}{path}", data=json.dumps(body).encode(), method="POST",
                                 headers={"Authorization": key, "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=60) as res:
            return json.loads(res.read())
    except urllib.error.HTTPError as e:
        raise BenchError(f"POST {path}: {e.code}: {e.read()[:300]!r}") from e


def hanging(args):
    binary = os.path.abspath(args.binary)
    os.makedirs(args.workdir, exist_ok=True)
    base_db = os.path.join(args.workdir, "hang-base.db")
    make_demo(binary, base_db, 2_000, 1_000)
    db = os.path.join(args.workdir, "hang-run.db")
    fresh_copy(base_db, db)
    extra = ["--webhooks-allow-private", "--webhooks-timeout-ms", str(args.timeout_ms)]
    server = Server(binary, db, args.workdir, extra)
    receiver = Receiver(args.workdir)
    stuck = HangingReceiver()
    try:
        server.wait_ready()
        browser = sign_in(server.base)
        key = create_api_key(browser)
        create_endpoint(browser, db, stuck.url, "standard",
                        kinds=("badge.created", "badge.assigned"))
        create_endpoint(browser, db, receiver.url, "standard")
        badge = api_post(server.base, key, "/members/v3/badges",
                         {"badge": {"title": f"Hang {time.time_ns()}"}})["badge"]["id"]
        # The API limits how fast a key makes changes: the other lanes' events are copies of
        # this badge's badge.created event, each for a badge id of its own, written straight
        # into the outbox as a change would.
        conn = sqlite3.connect(db, timeout=60)
        kind, entity, actor = conn.execute(
            "SELECT kind, entity, actor FROM events WHERE badge_id = ? AND kind = 'badge.created'",
            (badge,)).fetchone()
        others = [f"{badge[:-12]}{i:012d}" for i in range(1, args.lanes)]
        with conn:
            conn.executemany(
                "INSERT INTO events (kind, badge_id, member_id, entity, actor, occurred_at) "
                "VALUES (?, ?, NULL, ?, ?, ?)",
                [(kind, other, entity.replace(badge, other), actor, int(time.time() * 1000))
                 for other in others])
        conn.close()
        badges = [badge] + others
        deadline = time.monotonic() + 60
        while not stuck.held and time.monotonic() < deadline:
            time.sleep(0.05)
        log(f"{len(badges):,} lanes queued; the hanging receiver has {len(stuck.held)} "
            f"connections")
        members = [m for (m,) in sqlite3.connect(db).execute(
            "SELECT id FROM members ORDER BY key LIMIT ?", (args.samples,))]
        delays = []
        for i, member in enumerate(members):
            before = receiver.stats()["count"]
            api_post(server.base, key, f"/members/v3/badges/{badge}/members",
                     {"memberIds": [member]})
            sent = time.monotonic()
            while receiver.stats()["count"] <= before and time.monotonic() - sent < args.wait:
                time.sleep(0.01)
            delay = time.monotonic() - sent
            arrived = receiver.stats()["count"] > before
            delays.append(delay if arrived else None)
            log(f"sample {i + 1}: {f'{delay:.3f} s' if arrived else f'nothing in {args.wait} s'}"
                f" (hanging receiver: {len(stuck.held)} connections)")
            if not arrived:
                break
            time.sleep(max(0.0, args.every - delay))
        got = [d for d in delays if d is not None]
        conn = sqlite3.connect(db)
        tried, = conn.execute(
            "SELECT count(*) FROM webhook_attempts a JOIN webhook_endpoints e "
            "ON e.key = a.endpoint_key WHERE e.url = ?", (stuck.url,)).fetchone()
        conn.close()
        print(f"hanging: {args.lanes:,} lanes on a receiver that never answers, request timeout "
              f"{args.timeout_ms / 1000:g} s; healthy endpoint's delay per event:")
        print("  " + ", ".join(f"{d:.3f} s" if d is not None else f"> {args.wait} s"
                               for d in delays))
        if got:
            print(f"  median {statistics.median(got):.3f} s, max {max(got):.3f} s over "
                  f"{len(got)} of {len(delays)} events")
        print(f"  the hanging receiver got {len(stuck.held)} connections; "
              f"{tried} attempts logged for it")
        return 0 if len(got) == len(delays) else 1
    finally:
        server.stop()
        receiver.stop()
        stuck.stop()


# ---------------------------------------------------------------------------------------------
# overhead


def overhead(args):
    with_bin, without_bin = os.path.abspath(args.with_bin), os.path.abspath(args.without_bin)
    os.makedirs(args.workdir, exist_ok=True)
    base_db = os.path.join(args.workdir, f"oh-base-{args.members}-{args.assignments}.db")
    made = make_demo(without_bin, base_db, args.members, args.assignments)
    if made:
        log(f"demo built in {made:.1f} s")
    results = {"with": [], "without": []}
    for run in range(args.runs):
        order = ["with", "without"] if run % 2 == 0 else ["without", "with"]
        for label in order:
            binary = with_bin if label == "with" else without_bin
            db_path = os.path.join(args.workdir, f"oh-run-{label}.db")
            fresh_copy(base_db, db_path)
            server = Server(binary, db_path, args.workdir)
            try:
                server.wait_ready(timeout=300)
                db = lb.SqliteDatabase(db_path, keep=True)
                took, title, emails = lb.bulk_change(server, db, args.bulk)
                warn = server.warnings()
            finally:
                server.stop()
            line = f"run {run + 1} {label:7}: bulk box {args.bulk:,} e-mails {took:.2f} s"
            if label == "with":
                conn = sqlite3.connect(db_path)
                n, = conn.execute(
                    "SELECT count(*) FROM events e JOIN badges b ON b.id = e.badge_id "
                    "WHERE e.kind = 'badge.assigned' AND b.title = ?", (title,)).fetchone()
                total, = conn.execute(
                    "SELECT count(*) FROM events WHERE kind = 'badge.assigned'").fetchone()
                distinct, = conn.execute(
                    "SELECT count(DISTINCT member_id) FROM events e JOIN badges b "
                    "ON b.id = e.badge_id WHERE e.kind = 'badge.assigned' AND b.title = ?",
                    (title,)).fetchone()
                conn.close()
                line += (f"; events badge.assigned for the badge: {n:,} ({distinct:,} distinct "
                         f"members; table total {total:,}) "
                         f"{'OK' if n == distinct == args.bulk else 'MISMATCH'}")
            if warn:
                line += f"; {len(warn)} warning lines: {warn[:3]}"
            print(line, flush=True)
            results[label].append(took)
    w, wo = statistics.median(results["with"]), statistics.median(results["without"])
    print(f"with events:    {', '.join(f'{t:.2f}' for t in results['with'])} s "
          f"(median {w:.2f}, mean {statistics.mean(results['with']):.2f})")
    print(f"without events: {', '.join(f'{t:.2f}' for t in results['without'])} s "
          f"(median {wo:.2f}, mean {statistics.mean(results['without']):.2f})")
    print(f"ratio with/without: median {w / wo:.3f}, mean "
          f"{statistics.mean(results['with']) / statistics.mean(results['without']):.3f}, "
          f"best {min(results['with']) / min(results['without']):.3f}")
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workdir", default="/tmp/webhook-bench")
    sub = parser.add_subparsers(dest="command", required=True)
    tp = sub.add_parser("throughput")
    tp.add_argument("binary")
    tp.add_argument("--members", type=int, default=60_000)
    tp.add_argument("--assignments", type=int, default=1_000)
    tp.add_argument("--events", type=int, default=20_000)
    tp.add_argument("--badges", type=int, default=1, help="lanes: events spread over them")
    tp.add_argument("--format", choices=["standard", "wix"], default="standard")
    tp.add_argument("--via", choices=["bulk", "api"], default="bulk")
    tp.add_argument("--api-chunk", type=int, default=1000)
    tp.add_argument("--timeout-ms", type=int, default=0)
    tp.add_argument("--wait", type=int, default=900, help="seconds to wait for deliveries")
    oh = sub.add_parser("overhead")
    oh.add_argument("--with", dest="with_bin", required=True)
    oh.add_argument("--without", dest="without_bin", required=True)
    oh.add_argument("--members", type=int, default=200_000)
    oh.add_argument("--assignments", type=int, default=600_000)
    oh.add_argument("--bulk", type=int, default=50_000)
    oh.add_argument("--runs", type=int, default=3)
    hg = sub.add_parser("hanging")
    hg.add_argument("binary")
    hg.add_argument("--lanes", type=int, default=1000)
    hg.add_argument("--samples", type=int, default=12)
    hg.add_argument("--every", type=float, default=3.0, help="seconds between samples")
    hg.add_argument("--timeout-ms", type=int, default=10_000)
    hg.add_argument("--wait", type=int, default=60, help="longest wait for one event")
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)
    return {"throughput": throughput, "overhead": overhead, "hanging": hanging}[args.command](args)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as e:
        print(f"webhook-bench: FAILED: {e}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
