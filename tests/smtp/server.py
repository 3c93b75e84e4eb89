"""A real SMTP server on loopback for Insignia's mail tests: aiosmtpd, with a handler that
parses each message it accepts with Python's email package and prints it as one JSON line.

    python server.py --port 2525 [--login user:password] [--refuse-rcpt gone@example.org ...]
    python server.py --tally   # benchmarks: one line "<unix ms> <recipient>" per message

With --login it requires AUTH (PLAIN or LOGIN, without TLS on loopback) with those credentials.

Prints "ready <port>" once it listens, then one JSON object per message: the envelope, every
header as received and decoded, and the text and HTML parts. Stops on SIGTERM or end of stdin.
"""

import argparse
import email
import email.policy
import json
import signal
import socket
import sys
import threading
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Printer:
    def __init__(self, refused, tally=False):
        self.refused = {r.lower() for r in refused}
        self.tally = tally
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.refused:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.tally:
            sys.stdout.write(f"{time.time() * 1000:.0f} {envelope.rcpt_tos[0]}\n")
            sys.stdout.flush()
            return "250 Message accepted"
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        text = message.get_body(preferencelist=("plain",))
        html = message.get_body(preferencelist=("html",))
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "headers": [[name, str(value)] for name, value in message.items()],
            "raw_headers": envelope.content.split(b"\r\n\r\n", 1)[0].decode("ascii", "replace"),
            "content_type": message.get_content_type(),
            "text": text.get_content() if text is not None else None,
            "html": html.get_content() if html is not None else None,
        }
        with self.lock:
            sys.stdout.write(json.dumps(record) + "\n")
            sys.stdout.flush()
        return "250 Message accepted"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--refuse-rcpt", nargs="*", default=[])
    parser.add_argument("--login")
    parser.add_argument("--tally", action="store_true")
    args = parser.parse_args()
    port = args.port or free_port()
    options = {}
    if args.login:
        user, password = args.login.split(":", 1)

        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = isinstance(auth_data, LoginPassword) and (
                auth_data.login.decode() == user and auth_data.password.decode() == password
            )
            return AuthResult(success=ok)

        options = dict(authenticator=authenticator, auth_required=True, auth_require_tls=False)
    controller = Controller(
        Printer(args.refuse_rcpt, args.tally), hostname="127.0.0.1", port=port, **options
    )
    controller.start()
    print(f"ready {port}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    main()
