"""Staff pages of the expert pool (专家库), the panel discussion form, the applicant's request
that an expert stay off its panel, and the helpers the panel and desk templates share."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext
from markupsafe import Markup
from sqlalchemy import select

from models import Review
from models.enums import Role
from web import db
from web.auth import current_actor, login_required
from web.filters import page_date
from web.i18n import composed, label, sentence, shown_label
from web.pages import bp
from web.pages.forms import form_errors, refused
from workflow import applications, expert_pool, panels, reviews
from workflow.clock import CHINA, now
from workflow.errors import Invalid, WorkflowError

FORMER_ROWS_BLANK = 2


@bp.app_context_processor
def review_helpers() -> dict[str, Any]:
    """What templates need to show panels and reviews the same way everywhere."""

    def panel_summary(app: Any) -> dict[str, Any] | None:
        return reviews.panel_summary(db.session(), current_actor(), app)

    def review_deadline(review: Review) -> reviews.Deadline:
        return reviews.deadline(db.session(), review)

    return {
        "panel_summary": panel_summary,
        "review_deadline": review_deadline,
        "due_day": due_day,
        "ended_label": lambda r: label(reviews.ENDED_LABELS.get(r.ended_reason or "", "")),
        "automatic_points": reviews.automatic_points,
        "specialty_label": lambda s: shown_label(panels.specialty_label(s)),
        "industry_label": lambda code: panels.manufacturing_divisions().get(
            panels.division(code) or "", ""
        ),
        "rule_label": lambda code: label(panels.RULE_LABELS.get(code, code)),
        "applicant_conflicts": lambda app: panels.declared_by_applicant(db.session(), app),
        "specialty_text": lambda items: "、".join(panels.FIELDS.get(s, s) for s in items or []),
    }


def due_day(moment: datetime | str | None) -> str:
    """A deadline (the midnight after its last day) as its last day: 2026年11月26日."""
    if not moment:
        return "—"
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return page_date((moment.astimezone(CHINA) - timedelta(seconds=1)).date())


# The pool -----------------------------------------------------------------------------------


@bp.route("/experts")
@login_required(Role.staff, Role.admin)
def expert_pool_page() -> Any:
    return _pool_page()


def _pool_page(import_errors: list[dict[str, Any]] | None = None, status: int = 200) -> Any:
    session, actor = db.session(), current_actor()
    args = request.args
    filters = {
        k: args.get(k, "").strip()
        for k in ("q", "specialty", "jurisdiction", "status", "available_on")
    }
    filters["status"] = filters["status"] or "active"
    page_number = (
        int(args["page"]) if args.get("page", "").isdecimal() and 0 < int(args["page"]) < 10**6 else 1
    )
    problem = ""
    try:
        available = date.fromisoformat(filters["available_on"]) if filters["available_on"] else None
        page = expert_pool.search(
            session,
            actor,
            q=filters["q"],
            specialty=filters["specialty"],
            jurisdiction=filters["jurisdiction"],
            status=filters["status"],
            available_on=available,
            page=page_number,
            per_page=20,
        )
    except (WorkflowError, ValueError) as error:
        problem = composed(error.message) if isinstance(error, WorkflowError) else gettext("日期格式应为“年-月-日”")
        page = expert_pool.Page(0, 1, 20, [])
    pages = max((page.total + page.per_page - 1) // page.per_page, 1)
    return render_template(
        "experts/list.html",
        page=page,
        pages=pages,
        filters=filters,
        problem=problem,
        load=expert_pool.open_reviews(session, page.items),
        editable={e.id: bool(expert_pool.can_manage(session, actor, e)) for e in page.items},
        import_errors=import_errors or [],
        export_args={k: v for k, v in filters.items() if v},
    ), status


@bp.route("/experts/import", methods=["POST"])
@login_required(Role.staff, Role.admin)
def expert_pool_import() -> Any:
    session = db.session()
    upload = request.files.get("file")
    try:
        if upload is None or not upload.filename:
            raise Invalid.field("file", gettext("请选择要导入的 Excel 文件（.xlsx）"))
        result = expert_pool.import_workbook(session, current_actor(), upload.read(5 * 1024 * 1024))
        db.commit()
    except WorkflowError as error:
        refused(
            error,
            composed(error.message)
            if not error.details.get("rows")
            else gettext("导入未完成，没有创建或修改任何专家。请按下表修改后重新导入。"),
        )
        return _pool_page(error.details.get("rows") or [], 422)
    flash(
        gettext("导入完成：新增%(created)s名专家，更新%(updated)s名专家。新增专家请用“忘记密码”设置登录密码。",
                created=len(result.created), updated=len(result.updated)),
        "success",
    )
    return redirect(url_for("pages.expert_pool_page"))


@bp.route("/experts/<int:expert_id>", methods=["GET", "POST"])
@login_required(Role.staff, Role.admin)
def expert_pool_edit(expert_id: int) -> Any:
    session, actor = db.session(), current_actor()
    expert = expert_pool.load(session, actor, expert_id, for_update=request.method == "POST")
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            changes = _posted_changes()
            expert_pool.update(
                session,
                actor,
                expert,
                changes,
                int(request.form["version"]) if request.form.get("version", "").isdecimal() else None,
            )
            db.commit()
        except WorkflowError as error:
            errors = form_errors(error)
        else:
            flash(gettext("已保存%(name)s的信息", name=expert.name), "success")
            return redirect(url_for("pages.expert_pool_edit", expert_id=expert.id))
    history = list(
        session.scalars(
            select(Review).where(Review.expert_id == expert.id).order_by(Review.id.desc())
        )
    )
    return render_template(
        "experts/edit.html",
        expert=expert,
        errors=errors,
        form=request.form,
        posted=request.method == "POST",
        history=history,
        editable=bool(expert_pool.can_manage(session, actor, expert)),
        load=expert_pool.open_reviews(session, [expert])[expert.id],
        formers=_former_rows(expert),
    ), (422 if errors else 200)


def _former_rows(expert: Any) -> list[dict[str, Any]]:
    if request.method == "POST":
        return _posted_formers(keep_blank=True)
    rows = [dict(f) for f in expert.former_employers or []]
    return rows + [{} for _ in range(FORMER_ROWS_BLANK)]


def _posted_formers(keep_blank: bool = False) -> list[dict[str, Any]]:
    form = request.form
    rows = []
    for index in range(int(form.get("former_count", "0") or 0)):
        row = {
            key: form.get(f"former-{index}-{key}", "").strip()
            for key in ("name", "uscc", "from", "until")
        }
        if keep_blank or any(row.values()):
            rows.append(row)
    return rows


def _posted_changes() -> dict[str, Any]:
    form = request.form
    changes: dict[str, Any] = {
        key: form.get(key, "") for key in ("name", "title", "employer", "jurisdiction")
    }
    changes["employer_uscc"] = form.get("employer_uscc", "")
    changes["specialties"] = form.get("specialties", "")
    for key in ("unavailable_from", "unavailable_until"):
        try:
            changes[key] = expert_pool.parse_date(form.get(key, ""))
        except ValueError:
            raise Invalid.field(key, gettext("日期格式应为“年-月-日”，如 2026-12-31")) from None
    changes["former_employers"] = _posted_formers()
    return changes


@bp.route("/experts/<int:expert_id>/<action>", methods=["POST"])
@login_required(Role.staff, Role.admin)
def expert_pool_action(expert_id: int, action: str) -> Any:
    session, actor = db.session(), current_actor()
    try:
        expert = expert_pool.load(session, actor, expert_id, for_update=True)
        if action == "deactivate":
            expert_pool.deactivate(session, actor, expert, request.form.get("reason", ""), now())
        elif action == "activate":
            expert_pool.reactivate(session, actor, expert)
        else:
            raise Invalid.field("action", gettext("未知操作"))
        db.commit()
    except WorkflowError as error:
        refused(error, sentence(gettext("未完成：%(message)s"), message=error.message))
    else:
        flash(
            gettext("已停用该专家，其评审记录全部保留") if action == "deactivate" else gettext("已恢复该专家"),
            "success",
        )
    return redirect(url_for("pages.expert_pool_edit", expert_id=expert_id))


# The panel: discussion and the applicant's request ------------------------------------------


@bp.route("/applications/<int:application_id>/panel/discussion", methods=["POST"])
@login_required(Role.staff)
def panel_discussion_form(application_id: int) -> Any:
    session, actor = db.session(), current_actor()
    try:
        app = applications.load(session, actor, application_id, for_update=True)
        reviews.close_discussion(session, actor, app, request.form.get("conclusion", ""), now())
        db.commit()
    except WorkflowError as error:
        refused(error, sentence(gettext("讨论结论未记录：%(message)s"), message=error.message))
    else:
        flash(gettext("已记录专家组讨论结论"), "success")
    return redirect(url_for("pages.application_page", application_id=application_id) + "#panel")


@bp.route("/applications/<int:application_id>/conflicts", methods=["POST"])
@login_required(Role.applicant)
def conflict_declaration_form(application_id: int) -> Any:
    session, actor = db.session(), current_actor()
    try:
        app = applications.load(session, actor, application_id)
        panels.declare_conflict(
            session,
            actor,
            app,
            name=request.form.get("name", ""),
            uscc=request.form.get("uscc", ""),
            reason=request.form.get("reason", ""),
            now=now(),
        )
        db.commit()
    except WorkflowError as error:
        fields = Markup(label("；")).join(composed(m) for ms in error.details.get("fields", {}).values() for m in ms)
        message = composed(error.message) + (Markup(label("：")) + fields if fields else "")
        refused(error, sentence(gettext("回避申请未提交：%(message)s"), message=message))
    else:
        flash(gettext("回避申请已记录，抽取专家组时将据此回避"), "success")
    return redirect(url_for("pages.application_page", application_id=application_id) + "#panel")
