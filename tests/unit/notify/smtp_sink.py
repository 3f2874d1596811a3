#!/usr/bin/python3
"""A real SMTP server (aiosmtpd) for the mail_smtp tests.

Binds 127.0.0.1 on a free port, prints that port on stdout once it accepts connections, and
stores every accepted message as OUT/<n>.eml (the DATA bytes) and OUT/<n>.json (envelope).
Runs until killed. Needs Debian's python3-aiosmtpd: run it with /usr/bin/python3.

  smtp_sink.py OUT [--auth USER:PASS] [--starttls CERT KEY | --tls CERT KEY]
                   [--tempfail-rcpt ADDR] [--reject-rcpt ADDR]
"""
import argparse
import asyncio
import json
import logging
import os
import socket
import sys
import warnings

from aiosmtpd.smtp import SMTP, AuthResult


class Sink:
    def __init__(self, out, tempfail_rcpt, reject_rcpt):
        self.out = out
        self.tempfail_rcpt = {a.lower() for a in tempfail_rcpt}
        self.reject_rcpt = {a.lower() for a in reject_rcpt}
        self.count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.tempfail_rcpt:
            return "451 4.3.0 Mailbox temporarily unavailable"
        if address.lower() in self.reject_rcpt:
            return "550 5.1.1 No such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        base = os.path.join(self.out, str(self.count))
        meta = {"mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos,
                "helo": session.host_name, "tls": session.ssl is not None,
                "auth": bool(session.authenticated)}
        # The .json last and renamed into place: a reader that sees it sees a complete message.
        with open(base + ".eml", "wb") as f:
            f.write(envelope.original_content)
        with open(base + ".json.tmp", "w") as f:
            json.dump(meta, f)
        os.rename(base + ".json.tmp", base + ".json")
        return "250 2.0.0 Stored"


def main():
    # The tests use AUTH without TLS on purpose; keep aiosmtpd's warnings about it out of the output.
    warnings.filterwarnings("ignore")
    logging.getLogger("mail.log").setLevel(logging.ERROR)
    p = argparse.ArgumentParser()
    p.add_argument("out")
    p.add_argument("--auth")
    p.add_argument("--starttls", nargs=2, metavar=("CERT", "KEY"))
    p.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"), help="implicit TLS (SMTPS)")
    p.add_argument("--tempfail-rcpt", action="append", default=[])
    p.add_argument("--reject-rcpt", action="append", default=[])
    a = p.parse_args()

    kwargs = {"hostname": "sink.test", "decode_data": False}
    if a.auth:
        user, password = a.auth.split(":", 1)

        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = auth_data.login == user.encode() and auth_data.password == password.encode()
            return AuthResult(success=ok, handled=False)

        kwargs.update(authenticator=authenticator, auth_required=True, auth_require_tls=False)
    server_ssl = None
    if a.starttls or a.tls:
        import ssl
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(*(a.starttls or a.tls))
        if a.starttls:
            kwargs.update(tls_context=ctx, require_starttls=True)
        else:
            server_ssl = ctx

    handler = Sink(a.out, a.tempfail_rcpt, a.reject_rcpt)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    loop.run_until_complete(loop.create_server(lambda: SMTP(handler, **kwargs), sock=sock, ssl=server_ssl))
    print(sock.getsockname()[1], flush=True)
    loop.run_forever()


if __name__ == "__main__":
    sys.exit(main())
