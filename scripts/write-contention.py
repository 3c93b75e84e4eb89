#!/usr/bin/env python3
"""Writers under a long write: 32 clients change badges through the JSON API for a while,
while a 50,000-line bulk change (dashboard bulk box) and a 50,000-row CSV import run in a
loop. Counts every answer by status; any 5xx is a failure (exit 1).

    cargo build --release
    python3 scripts/write-contention.py target/release/insignia [--seconds 60] [--clients 32]

Standard library only. Builds its own demo database in a temporary folder and starts the
server on a free loopback port; everything stops when the script ends.
"""

import argparse
import collections
import http.cookiejar
import json
import random
import re
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

ADMIN_EMAIL = "load@example.com"
ADMIN_PASSWORD = "a long load-test password"
BULK_LINES = 50_000


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Browser:
    """A cookie-keeping client that reads CSRF tokens like a browser submits forms."""

    def __init__(self, base):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )

    def request(self, method, path, data=None, headers=None):
        req = urllib.request.Request(
            self.base + path, data=data, method=method, headers=headers or {}
        )
        try:
            with self.opener.open(req, timeout=300) as res:
                return res.status, res.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode("utf-8", "replace")

    def token(self, page):
        _, html = self.request("GET", page)
        match = re.search(r'name="csrf_token" value="([^"]+)"', html)
        if not match:
            sys.exit(f"no CSRF token on {page}")
        return match.group(1)

    def submit(self, page, action, fields):
        fields = dict(fields, csrf_token=self.token(page))
        body = urllib.parse.urlencode(fields).encode()
        return self.request(
            "POST",
            action,
            body,
            {"Content-Type": "application/x-www-form-urlencoded"},
        )

    def submit_multipart(self, page, action, fields):
        """As a form with enctype="multipart/form-data" (the CSV import) is sent."""
        fields = dict(fields, csrf_token=self.token(page))
        boundary = "insignia-load-%016x" % random.getrandbits(64)
        parts = [
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
            for name, value in fields.items()
        ]
        body = ("".join(parts) + f"--{boundary}--\r\n").encode()
        return self.request(
            "POST",
            action,
            body,
            {"Content-Type": f"multipart/form-data; boundary={boundary}"},
        )


def api(base, key, method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(
        base + path,
        data=data,
        method=method,
        headers={"Authorization": key, "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(req, timeout=300) as res:
            return res.status, res.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()
    except OSError:
        return 599, b""


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("binary")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=32)
    args = parser.parse_args()

    folder = tempfile.TemporaryDirectory()
    db = f"{folder.name}/load.db"
    subprocess.run(
        [args.binary, "demo", "--members", "60000", "--assignments", "60000", "--database", db],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    subprocess.run(
        [args.binary, "admin", "create", "--email", ADMIN_EMAIL, "--database", db],
        input=ADMIN_PASSWORD + "\n",
        text=True,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [args.binary, "serve", "--bind", f"127.0.0.1:{port}", "--database", db,
         "--api-writes-per-minute", "1000000"],
        stderr=open(f"{folder.name}/server.log", "w"),
    )
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.05)
        run(args, base, db)
    finally:
        server.terminate()
        server.wait()


def run(args, base, db):
    admin = Browser(base)
    status, _ = admin.submit(
        "/dashboard/login", "/dashboard/login",
        {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD},
    )
    _, html = admin.submit("/dashboard/api-keys", "/dashboard/api-keys", {"name": "load"})
    key = re.search(r"insignia_[A-Za-z0-9_\-]+", html).group(0)

    conn = sqlite3.connect(db)
    badges = [row[0] for row in conn.execute("SELECT id FROM badges ORDER BY position")]
    members = [row[0] for row in conn.execute("SELECT id FROM members")]
    emails = [row[0] for row in conn.execute("SELECT email FROM members LIMIT ?", (BULK_LINES,))]
    bulk_ids = [row[0] for row in conn.execute("SELECT id FROM members LIMIT ?", (BULK_LINES,))]
    conn.close()
    bulk_badge, writer_badges = badges[0], badges[1:]

    statuses = collections.Counter()
    lock = threading.Lock()
    stop = time.monotonic() + args.seconds
    long_writes = collections.Counter()

    def count(kind, status):
        with lock:
            statuses[(kind, status)] += 1

    def writer(seed):
        rng = random.Random(seed)
        while time.monotonic() < stop:
            badge = rng.choice(writer_badges)
            ids = rng.sample(members, 5)
            count("api assign", api(base, key, "POST", f"/members/v3/badges/{badge}/members",
                                    {"memberIds": ids})[0])
            query = "&".join(f"memberIds={i}" for i in ids)
            count("api unassign", api(base, key, "DELETE",
                                      f"/members/v3/badges/{badge}/members?{query}")[0])

    def bulk_loop():
        page = f"/dashboard/badges/{bulk_badge}"
        while time.monotonic() < stop:
            started = time.monotonic()
            status, _ = admin.submit(page, f"{page}/members",
                                     {"bulk": "\n".join(emails), "action": "assign"})
            count("bulk box 50,000", status)
            long_writes["bulk"] += 1
            print(f"  bulk assign: {status} in {time.monotonic() - started:.1f} s", flush=True)
            for i in range(0, len(bulk_ids), 1000):
                query = "&".join(f"memberIds={m}" for m in bulk_ids[i:i + 1000])
                count("api unassign 1,000",
                      api(base, key, "DELETE", f"/members/v3/badges/{bulk_badge}/members?{query}")[0])

    def import_loop():
        importer = Browser(base)
        importer.submit("/dashboard/login", "/dashboard/login",
                        {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
        round_no = 0
        while time.monotonic() < stop:
            round_no += 1
            rows = "\n".join(f"Load Person {round_no}-{i},load{round_no}-{i}@example.net"
                             for i in range(BULK_LINES))
            started = time.monotonic()
            status, html = importer.submit_multipart("/dashboard/members/import", "/dashboard/members/import",
                                                  {"csv_text": "name,email\n" + rows, "action": "import"})
            if status == 200 and f"{BULK_LINES:,} created" not in html:
                status = 0  # answered, but nothing was imported: counted as a failure
            count("import 50,000", status)
            long_writes["import"] += 1
            print(f"  import: {status} in {time.monotonic() - started:.1f} s", flush=True)

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(args.clients)]
    threads += [threading.Thread(target=bulk_loop), threading.Thread(target=import_loop)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    failures = 0
    for (kind, status), n in sorted(statuses.items()):
        print(f"{kind:24} {status}: {n}")
        if status >= 500 or status == 0:
            failures += n
    print(f"long writes: {dict(long_writes)}; failed answers (5xx, or 0 = nothing done): {failures}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
