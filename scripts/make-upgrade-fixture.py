#!/usr/bin/env python3
"""Builds tests/fixtures/<name>.db: a small site made by a given build of Insignia, through
its own CLI and HTTP routes, holding one of everything the upgrade test checks survives a
schema change (badges in order, members and stored counts, assignments, a gated page and a
badge's permission, admin and member sessions, a set-password link, an API key, audit
entries). Re-run it with an older release to make the fixture for a newer migration.

    python3 scripts/make-upgrade-fixture.py target/release/insignia tests/fixtures/v0.1.db
"""

import os
import re
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
import http.cookiejar
import json

ADMIN_EMAIL = "owner@example.com"
ADMIN_PASSWORD = "fixture owner password"
MEMBER_PASSWORD = "demo member password"  # what `insignia demo` gives its first member


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Browser:
    def __init__(self, base):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def request(self, method, path, data=None, headers=None):
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers=headers or {})
        try:
            with self.opener.open(req, timeout=60) as res:
                return res.status, res.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def submit(self, page, action, fields):
        _, html = self.request("GET", page)
        token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
        body = urllib.parse.urlencode(list(fields) + [("csrf_token", token)]).encode()
        status, html = self.request("POST", action, body,
                                    {"Content-Type": "application/x-www-form-urlencoded"})
        if status >= 400:
            sys.exit(f"{action}: {status}\n{html[:2000]}")
        return html


def main():
    binary, target = sys.argv[1], sys.argv[2]
    if os.path.exists(target):
        os.remove(target)
    with tempfile.TemporaryDirectory() as tmp:
        db = os.path.join(tmp, "site.db")
        subprocess.run([binary, "demo", "--database", db, "--members", "40",
                        "--assignments", "90"], check=True, stdout=subprocess.DEVNULL)
        subprocess.run([binary, "admin", "create", "--database", db, "--email", ADMIN_EMAIL],
                       input=ADMIN_PASSWORD.encode(), check=True, stdout=subprocess.DEVNULL)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen([binary, "serve", "--database", db, "--bind",
                                   f"127.0.0.1:{port}"], stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        try:
            for _ in range(100):
                try:
                    urllib.request.urlopen(base + "/healthz", timeout=1)
                    break
                except OSError:
                    time.sleep(0.1)
            owner = Browser(base)
            owner.submit("/dashboard/login", "/dashboard/login",
                         [("email", ADMIN_EMAIL), ("password", ADMIN_PASSWORD)])
            con = sqlite3.connect(db)
            badges = [r[0] for r in con.execute("SELECT id FROM badges ORDER BY position")]
            members = [r[0] for r in con.execute("SELECT id FROM members ORDER BY rowid")]
            first_email = con.execute("SELECT email FROM members ORDER BY rowid").fetchone()[0]
            con.close()
            # Display order changed by hand: the last badge first.
            owner.submit("/dashboard/badges", f"/dashboard/badges/{badges[-1]}/move",
                         [("direction", "up")])
            # A page only a badge opens, and that badge's permission.
            owner.submit("/dashboard/pages/new", "/dashboard/pages/new",
                         [("title", "Mentors' room"), ("slug", "mentors-room"),
                          ("body", "Only *mentors* read this."), ("access", "badges")])
            con = sqlite3.connect(db)
            page = con.execute("SELECT id FROM pages").fetchone()[0]
            con.close()
            owner.submit(f"/dashboard/badges/{badges[0]}/permissions",
                         f"/dashboard/badges/{badges[0]}/permissions",
                         [("permissions_enabled", "on"), ("page_id", page)])
            # An API key, used once to give and take badges (audit entries, last use).
            html = owner.submit("/dashboard/api-keys", "/dashboard/api-keys",
                                [("name", "Fixture bot")])
            secret = re.search(r'id="secret"[^>]*value="([^"]+)"', html).group(1)
            def api(method, path, body=None):
                req = urllib.request.Request(
                    base + path, method=method,
                    data=json.dumps(body).encode() if body is not None else None,
                    headers={"Authorization": secret, "Content-Type": "application/json"})
                with urllib.request.urlopen(req, timeout=60) as res:
                    return res.status
            api("POST", f"/members/v3/badges/{badges[1]}/members",
                {"memberIds": members[:6]})
            query = "&".join(f"memberIds={m}" for m in members[:2])
            api("DELETE", f"/members/v3/badges/{badges[1]}/members?{query}")
            # A one-time set-password link for the second member.
            owner.submit(f"/dashboard/members/{members[1]}",
                         f"/dashboard/members/{members[1]}/password-link", [])
            # A member signed in.
            member = Browser(base)
            member.submit("/login", "/login",
                          [("email", first_email), ("password", MEMBER_PASSWORD)])
        finally:
            server.terminate()
            server.wait()
        con = sqlite3.connect(db)
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        con.execute("PRAGMA journal_mode = DELETE")
        con.execute("VACUUM")
        con.close()
        os.replace(db, target)
    print(f"wrote {target} ({os.path.getsize(target)} bytes)")


if __name__ == "__main__":
    main()
