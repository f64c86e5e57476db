"""The applicant portal: open programmes, the application form with drafts and evidence, submit."""
from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext
from marshmallow import ValidationError
from sqlalchemy import select

import evaluators
import evaluators.energy
from models import Application, Designation
from models.enums import Role
from web import db
from web.auth import current_actor, login_required
from web.i18n import composed, sentence
from web.pages import bp
from web.pages.forms import field_errors, nested, optional_int
from web.schemas import load_document
from web.uploads import accept
from workflow import applications, jurisdictions, runtime
from workflow.clock import local_date, now
from workflow.documents import missing_required
from workflow.errors import WorkflowError


@bp.route("/portal")
@login_required(Role.applicant)
def applicant_home() -> Any:
    actor = current_actor()
    session = db.session()
    home = actor.enterprise.jurisdiction_code
    programmes = [p for p in applications.open_programmes(session, local_date(now()))
                  if jurisdictions.is_within(session, home, p.jurisdiction_code)]
    return render_template(
        "applicant/home.html",
        enterprise=actor.enterprise,
        guideline_titles={g.key: g.title for g in evaluators.available()},
        applications=list(session.scalars(select(Application).where(
            Application.enterprise_id == actor.enterprise_id).order_by(Application.id.desc()))),
        designations=list(session.scalars(select(Designation).where(
            Designation.enterprise_id == actor.enterprise_id).order_by(Designation.id.desc()))),
        programmes=programmes,
    )


@bp.route("/portal/applications", methods=["POST"])
@login_required(Role.applicant)
def applicant_start() -> Any:
    try:
        app = applications.create_application(db.session(), current_actor(),
                                              optional_int("programme_id") or -1, now())
        db.commit()
    except WorkflowError as error:
        db.session().rollback()
        flash(composed(error.message), "error")
        return redirect(url_for("pages.applicant_home"))
    flash(gettext("已创建申报草稿，请填写指标数据并上传佐证材料。"), "success")
    return redirect(url_for("pages.application_form", application_id=app.id))


def _form(app: Application, errors: dict[str, str], values: dict[str, Any] | None, status: int = 200) -> Any:
    guideline = evaluators.load(app.guideline).to_dict()
    evidence: dict[str, list[Any]] = {}
    for file in app.evidence:
        evidence.setdefault(file.indicator, []).append(file)
    return render_template(
        "applicant/form.html", app=app, guideline=guideline, data=values or app.data or {},
        errors=errors, evidence=evidence, carriers=evaluators.energy.carriers(), missing=set(missing_required(app.guideline, app.data or {})),
    ), status


@bp.route("/portal/applications/<int:application_id>/form", methods=["GET", "POST"])
@login_required(Role.applicant)
def application_form(application_id: int) -> Any:
    actor = current_actor()
    session = db.session()
    app = applications.load(session, actor, application_id, for_update=request.method == "POST")
    if request.method == "GET":
        return _form(app, {}, None)
    posted = nested()
    try:
        document = load_document(app.guideline, posted)
        applications.save_draft(session, actor, app, document, now(), optional_int("version"))
        if request.form.get("action") == "submit":
            applications.act(session, actor, app, "submit", now())
        db.commit()
    except ValidationError as error:
        session.rollback()
        return _form(app, field_errors({"fields": error.messages}), _overlay(app.data, posted), 422)
    except WorkflowError as error:
        session.rollback()
        errors = field_errors(error.details) if error.details.get("fields") else {}
        errors["_"] = composed(error.message)
        if error.details.get("conditions"):
            missing = set(missing_required(app.guideline, _overlay(app.data, posted)))
            errors["_"] += gettext("（未填写的必填项已标红）") if missing else ""
        return _form(app, errors, _overlay(app.data, posted), error.status)
    if request.form.get("action") == "submit":
        flash(gettext("申报已提交，等待所在区县经信部门审核。"), "success")
        return redirect(url_for("pages.application_page", application_id=app.id))
    flash(gettext("草稿已保存"), "success")
    return redirect(url_for("pages.application_form", application_id=app.id))


def _overlay(saved: dict[str, Any] | None, posted: dict[str, Any]) -> dict[str, Any]:
    from workflow.documents import merge

    return merge(saved or {}, posted)


@bp.route("/portal/applications/<int:application_id>/evidence", methods=["POST"])
@login_required(Role.applicant)
def application_evidence(application_id: int) -> Any:
    actor = current_actor()
    session = db.session()
    app = applications.load(session, actor, application_id, for_update=True)
    try:
        upload = accept(request.files.get("file"))
        applications.add_evidence(
            session, actor, app, indicator=request.form.get("indicator", ""),
            original_name=upload.original_name, stored_name=upload.stored_name,
            content_type=upload.content_type, size=upload.size, sha256=upload.sha256, now=now())
        runtime.current().storage.save(f"evidence/{upload.stored_name}", upload.data)
        db.commit()
    except WorkflowError as error:
        session.rollback()
        flash(sentence(gettext("上传失败：%(message)s"), message=error.message), "error")
    else:
        flash(gettext("已上传“%(name)s”", name=upload.original_name), "success")
    return redirect(url_for("pages.application_form", application_id=app.id) + "#evidence")
