"""An aiosmtpd handler for the browser tests: aiosmtpd's Mailbox (each mail kept in a maildir)
that refuses for good (550) every recipient listed, one per line, in the file named by the
environment variable KFORM_SMTP_REFUSE, while that file exists."""

import os

from aiosmtpd.handlers import Mailbox


class RefusingMailbox(Mailbox):
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        path = os.environ.get("KFORM_SMTP_REFUSE", "")
        if path and os.path.exists(path):
            with open(path, encoding="utf-8") as listed:
                if address in listed.read().split():
                    return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"
