"""The bureau's notices: put approved applications on one notice, close it when its period is
over, and follow the certificates being issued with a progress bar."""
from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext
from sqlalchemy import select

from models import Application, Notice, Programme
from models.enums import ApplicationState, Role
from web import db
from web.auth import current_actor, login_required
from web.filters import page_date
from web.i18n import sentence
from web.pages import bp
from web.pages.forms import refused
from workflow import applications, jurisdictions, notices
from workflow.clock import local_date, now
from workflow.errors import Invalid, NotFound, WorkflowError


def _own_programmes(actor: Any) -> list[int]:
    session = db.session()
    return [p.id for p in session.scalars(select(Programme)) if
            jurisdictions.is_within(session, p.jurisdiction_code, actor.jurisdiction_code)]


@bp.route("/console/notices")
@login_required(Role.staff)
def notices_console() -> Any:
    session, actor = db.session(), current_actor()
    programmes = _own_programmes(actor)
    rows = session.scalars(select(Notice).where(Notice.programme_id.in_(programmes))
                           .order_by(Notice.id.desc()).limit(100)).all()
    approvable = session.scalars(select(Application).join(Programme).where(
        Application.state == ApplicationState.reviewed,
        Programme.jurisdiction_code == actor.jurisdiction_code).order_by(Application.programme_id, Application.id)).all()
    return render_template("staff/notices.html", notices=rows, progress={n.id: notices.progress(n) for n in rows},
                           approvable=approvable, today=local_date(now()))


@bp.route("/console/notices", methods=["POST"])
@login_required(Role.staff)
def notices_open_form() -> Any:
    session, actor = db.session(), current_actor()
    ids = [int(i) for i in request.form.getlist("application_ids") if i.isdecimal() and len(i) <= 9]
    try:
        if not ids:
            raise Invalid.field("application_ids", gettext("请勾选要列入公示的申报"))
        apps = [applications.load(session, actor, i, for_update=True) for i in dict.fromkeys(ids)]
        if len({a.programme_id for a in apps}) > 1:
            raise Invalid.field("application_ids", gettext("一次公示只能包含同一申报批次的申报"))
        for app in apps:
            applications.act(session, actor, app, "approve_for_notice", now(), batch=True)
        notice = notices.open_notice(session, actor, apps, now())
        db.commit()
    except WorkflowError as error:
        refused(error, sentence(gettext("公示未发布：%(message)s"), message=error.message))
    else:
        flash(gettext("已发布公示“%(title)s”，至%(day)s结束", title=notice.title, day=page_date(notice.ends_on)), "success")
    return redirect(url_for("pages.notices_console"))


@bp.route("/console/notices/<int:notice_id>/close", methods=["POST"])
@login_required(Role.staff)
def notice_close_form(notice_id: int) -> Any:
    session, actor = db.session(), current_actor()
    notice = session.get(Notice, notice_id)
    if notice is None or notice.programme_id not in _own_programmes(actor):
        raise NotFound(gettext("公示不存在"))
    try:
        notices.close(session, actor, notice, now())
        db.commit()
    except WorkflowError as error:
        refused(error, sentence(gettext("公示未结束：%(message)s"), message=error.message))
    else:
        flash(gettext("公示已结束，名单内单位已认定，证书正在生成"), "success")
    return redirect(url_for("pages.notices_console") + f"#notice-{notice_id}")
