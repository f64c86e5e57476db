"""The inbox (站内消息): every signed-in user's notifications, newest first, each with a link
straight to the action; and the unread count the page header shows next to the user's name."""
from __future__ import annotations

from typing import Any

from flask import g, redirect, render_template, request, url_for

from web import db
from web.auth import current_actor, login_required
from web.i18n import N_
from web.pages import bp
from workflow import notifications
from workflow.clock import now

PER_PAGE = 20
# The refusal `notifications.mark_read` raises, for the catalogue (the error page translates it).
N_("消息不存在")


@bp.app_context_processor
def unread_notifications() -> dict[str, Any]:
    """`unread_notifications()` for the header: counted only when a page for a signed-in user asks."""
    def counted() -> int:
        if "unread_notifications" not in g:
            actor = current_actor()
            g.unread_notifications = notifications.unread_count(db.session(), actor) if actor is not None else 0
        return g.unread_notifications

    return {"unread_notifications": counted}


@bp.route("/inbox")
@login_required()
def inbox() -> Any:
    actor = current_actor()
    session = db.session()
    page = _page(request.args.get("page", ""))
    total = notifications.count(session, actor)
    pages = max((total + PER_PAGE - 1) // PER_PAGE, 1)
    page = min(page, pages)
    messages = notifications.inbox(session, actor, limit=PER_PAGE, offset=(page - 1) * PER_PAGE)
    return render_template("account/inbox.html", messages=messages, total=total, page=page, pages=pages)


@bp.route("/inbox/<int:notification_id>/read", methods=["POST"])
@login_required()
def inbox_read(notification_id: int) -> Any:
    """标为已读; with `open`, go on to the message's own link (never one taken from the form)."""
    message = notifications.mark_read(db.session(), current_actor(), notification_id, now())
    db.commit()
    if request.form.get("open") and message.link.startswith("/") and not message.link.startswith("//"):
        return redirect(message.link)
    return redirect(url_for("pages.inbox", page=_page(request.form.get("page", ""))))


@bp.route("/inbox/read", methods=["POST"])
@login_required()
def inbox_read_all() -> Any:
    """全部标为已读."""
    notifications.mark_all_read(db.session(), current_actor(), now())
    db.commit()
    return redirect(url_for("pages.inbox"))


def _page(value: str) -> int:
    return max(int(value), 1) if value.isdecimal() and len(value) <= 6 else 1
