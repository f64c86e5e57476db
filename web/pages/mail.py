"""The mail viewer: without an SMTP server (the embedded default), the e-mails the system sent
are kept in `sent_emails`; an admin reads them here, links and all."""
from __future__ import annotations

import re
from typing import Any

from flask import render_template, request

from models.enums import Role
from web import db
from web.auth import login_required
from web.pages import bp
from workflow import mail

LINK = re.compile(r"https?://[^\s<>\"'）」，。]+")
MAX_RECIPIENT = 254


def parts(body: str) -> list[tuple[str, bool]]:
    """The body as (text, is_link) pieces, so that the page can make its links clickable."""
    pieces: list[tuple[str, bool]] = []
    last = 0
    for found in LINK.finditer(body):
        pieces += [(body[last:found.start()], False), (found.group(0), True)]
        last = found.end()
    pieces.append((body[last:], False))
    return [p for p in pieces if p[0]]


@bp.route("/console/mail")
@login_required(Role.admin)
def mail_viewer() -> Any:
    recipient = request.args.get("to", "").strip()[:MAX_RECIPIENT]
    messages = mail.kept(db.session(), recipient=recipient)
    settings = mail.SmtpSettings.from_environment()
    return render_template("staff/mail.html", messages=messages, recipient=recipient, parts=parts,
                           smtp_host=settings.host if settings else None)
