"""Screenshots of a running Insignia for docs/screenshots/, through chromedriver's WebDriver API
(Python standard library only; chromedriver and Chromium as the browser tests use them).

Usage: scripts/screenshots.py BASE_URL OUT_PREFIX BADGE_ID

The site needs the admin owner@example.com with the password "owner password 1" and some
members, for example (the demo first: it fills only an empty database):
    insignia demo --members 300 --assignments 1200 --database shots.db
    echo "owner password 1" | insignia admin create --email owner@example.com --database shots.db
    insignia serve --database shots.db --bind 127.0.0.1:18082
It writes OUT_PREFIX-<page>-<width>.png: the badge's page and its holder list at 1280 and 390 px,
the badge editor before and after a refused save, and the audit log on a phone."""
import base64, json, subprocess, sys, time, urllib.request, socket, os, tempfile

base, prefix = sys.argv[1], sys.argv[2]

def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p

port = free_port()
driver = subprocess.Popen(["/usr/bin/chromedriver", f"--port={port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
wd = f"http://127.0.0.1:{port}"

def call(method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(wd + path, data=data, method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.loads(r.read())["value"]

for _ in range(100):
    try:
        if call("GET", "/status")["ready"]: break
    except Exception: pass
    time.sleep(0.1)

def session(phone):
    opts = {"binary": "/usr/bin/chromium", "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,900", f"--user-data-dir={tempfile.mkdtemp()}"]}
    if phone:
        opts["mobileEmulation"] = {"deviceMetrics": {"width": 390, "height": 844, "pixelRatio": 1.0, "touch": False}}
    return call("POST", "/session", {"capabilities": {"alwaysMatch": {"goog:chromeOptions": opts}}})["sessionId"]

def go(s, path):
    call("POST", f"/session/{s}/url", {"url": base + path}); time.sleep(0.4)

def el(s, css):
    v = call("POST", f"/session/{s}/element", {"using": "css selector", "value": css})
    return list(v.values())[0]

def typ(s, css, text):
    e = el(s, css); call("POST", f"/session/{s}/element/{e}/clear", {}); call("POST", f"/session/{s}/element/{e}/value", {"text": text})

def click(s, css):
    call("POST", f"/session/{s}/element/{el(s, css)}/click", {}); time.sleep(0.6)

def js(s, script):
    return call("POST", f"/session/{s}/execute/sync", {"script": script, "args": []})

def shot(s, name):
    png = base64.b64decode(call("GET", f"/session/{s}/screenshot"))
    open(f"{prefix}-{name}.png", "wb").write(png)

def login(s):
    go(s, "/dashboard/login")
    typ(s, "#email", "owner@example.com"); typ(s, "#password", "owner password 1")
    click(s, "form[action='/dashboard/login'] button[type=submit]")

badge = sys.argv[3]
try:
    s = session(False); login(s)
    go(s, f"/dashboard/badges/{badge}"); shot(s, "holders-1280")
    js(s, "document.getElementById('holders').scrollIntoView(); return null;"); time.sleep(0.3); shot(s, "holders-list-1280")
    go(s, "/dashboard/badges/new"); shot(s, "editor-1280")
    typ(s, "#title", " "); click(s, "#badge-form button[type=submit]"); js(s, "window.scrollTo(0,0); return null;"); shot(s, "editor-refused-1280")
    call("DELETE", f"/session/{s}")
    p = session(True); login(p)
    go(p, f"/dashboard/badges/{badge}"); shot(p, "holders-390")
    js(p, "document.getElementById('holders').scrollIntoView(); return null;"); time.sleep(0.3); shot(p, "holders-list-390")
    go(p, "/dashboard/audit"); shot(p, "audit-390")
    call("DELETE", f"/session/{p}")
finally:
    driver.kill()
