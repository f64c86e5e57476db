"""The bureau console and the shared application page: screen, recommend, decide, manage."""
from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext
from sqlalchemy import select
from sqlalchemy.orm import contains_eager, defer, joinedload

import evaluators
from models import Application, Designation, Enterprise, Objection, Programme
from models.enums import ApplicationState, Role
from web import db
from web.auth import current_actor, login_required
from web.i18n import label, sentence
from web.pages import bp
from web.pages.forms import optional_int, refused
from workflow import applications, designations, jurisdictions, notices, panels
from workflow.clock import now
from workflow.errors import NotFound, WorkflowError
from workflow.permissions import can_view_designation
from workflow.machines import trigger_label


@bp.route("/console")
@login_required(Role.staff, Role.admin)
def staff_home() -> Any:
    actor = current_actor()
    session = db.session()
    code = actor.jurisdiction_code
    inside = [c for c, _ in jurisdictions.parents(session).items()
              if code is None or jurisdictions.is_within(session, c, code)]
    # The rows with what the tables show, in one statement; not the forms and traces.
    apps = list(session.scalars(
        select(Application).join(Application.enterprise)
        .where(Enterprise.jurisdiction_code.in_(inside), Application.state != ApplicationState.draft)
        .options(contains_eager(Application.enterprise).joinedload(Enterprise.jurisdiction),
                 joinedload(Application.programme), defer(Application.data), defer(Application.evaluation))
        .order_by(Application.updated_at.desc()).limit(200)))
    waiting = [a for a in apps if applications.available_actions(session, actor, a)]
    return render_template(
        "staff/home.html", waiting=waiting, applications=apps,
        programmes=list(session.scalars(select(Programme).where(Programme.jurisdiction_code.in_(inside))
                                        .order_by(Programme.id.desc()))),
        # A county sees the designations of the enterprises in its area, whoever granted them.
        designations=list(session.scalars(select(Designation).join(Designation.enterprise)
                                          .options(contains_eager(Designation.enterprise))
                                          .where(Enterprise.jurisdiction_code.in_(inside))
                                          .order_by(Designation.id.desc()).limit(200))),
        notices=notices.open_notices(session),
    )


@bp.route("/applications/<int:application_id>")
@login_required()
def application_page(application_id: int) -> Any:
    actor = current_actor()
    session = db.session()
    app = applications.load(session, actor, application_id)
    guideline = evaluators.load(app.guideline).to_dict()
    return render_template(
        "application.html", app=app, guideline=guideline,
        actions=applications.available_actions(session, actor, app),
        designation=designations.for_application(session, app),
        history=_history(session, "application", app.id),
        can_draw=actor.role is Role.staff and app.state is ApplicationState.under_review and app.panel is None
        and actor.jurisdiction_code == app.programme.jurisdiction_code,
        staff_view=actor.role in (Role.staff, Role.admin),
        objections=[o for o in (app.notice.objections if app.notice else []) if o.application_id == app.id],
    )


def _history(session: Any, entity: str, entity_id: int) -> list[dict[str, Any]]:
    from web.api.representations import history

    return history(session, entity, entity_id, messages=True)


@bp.route("/applications/<int:application_id>/actions", methods=["POST"])
@login_required()
def application_action_form(application_id: int) -> Any:
    actor = current_actor()
    session = db.session()
    trigger = request.form.get("trigger", "")
    try:
        app = applications.load(session, actor, application_id, for_update=True)
        applications.act(session, actor, app, trigger, now(), reason=request.form.get("reason", ""),
                         expected_version=optional_int("version"),
                         objection_id=optional_int("objection_id"))
        db.commit()
    except WorkflowError as error:
        refused(error, sentence(gettext("“%(action)s”未执行：%(message)s"), action=label(trigger_label(trigger)),
                                message=error.message))
    else:
        flash(gettext("已%(action)s", action=label(trigger_label(trigger))), "success")
    return redirect(url_for("pages.application_page", application_id=application_id))


@bp.route("/applications/<int:application_id>/panel", methods=["POST"])
@login_required(Role.staff)
def panel_draw_form(application_id: int) -> Any:
    actor = current_actor()
    session = db.session()
    try:
        app = applications.load(session, actor, application_id, for_update=True)
        panel = panels.draw(session, actor, app, now(), seed=request.form.get("seed") or None)
        db.commit()
    except WorkflowError as error:
        refused(error, sentence(gettext("抽取专家未完成：%(message)s"), message=error.message))
    else:
        flash(gettext("已抽取%(size)s名专家（随机种子 %(seed)s），邀请已发出", size=panel.size, seed=panel.seed), "success")
    return redirect(url_for("pages.application_page", application_id=application_id))


@bp.route("/objections/<int:objection_id>/dismiss", methods=["POST"])
@login_required(Role.staff)
def objection_dismiss_form(objection_id: int) -> Any:
    session = db.session()
    objection = session.get(Objection, objection_id)
    target = url_for("pages.staff_home")
    try:
        if objection is None:
            raise NotFound(gettext("异议不存在"))
        target = url_for("pages.application_page", application_id=objection.application_id)
        applications.load(session, current_actor(), objection.application_id)
        notices.dismiss_objection(session, current_actor(), objection, request.form.get("reason", ""), now())
        db.commit()
    except WorkflowError as error:
        refused(error, sentence(gettext("未处理：%(message)s"), message=error.message))
    else:
        flash(gettext("已认定异议不成立，理由已公布"), "success")
    return redirect(target)


@bp.route("/designations/<int:designation_id>")
@login_required()
def designation_page(designation_id: int) -> Any:
    actor = current_actor()
    session = db.session()
    designation = session.get(Designation, designation_id)
    if designation is None or not can_view_designation(session, actor, designation):
        raise NotFound(gettext("认定记录不存在"))
    history = _history(session, "designation", designation.id)
    # The reason on record is the last step's that gave it; that step keeps its messages.
    reason = next(({"reason": h["reason"], "reason_messages": h["reason_messages"]} for h in reversed(history)
                   if h["reason"] == designation.reason), {"reason": designation.reason})
    return render_template(
        "staff/designation.html", designation=designation,
        actions=designations.available_actions(session, actor, designation),
        history=history, reason=reason,
    )


@bp.route("/designations/<int:designation_id>/actions", methods=["POST"])
@login_required()
def designation_action_form(designation_id: int) -> Any:
    actor = current_actor()
    session = db.session()
    trigger = request.form.get("trigger", "")
    try:
        designation = session.get(Designation, designation_id, with_for_update=True)
        if designation is None or not can_view_designation(session, actor, designation):
            raise NotFound(gettext("认定记录不存在"))
        designations.act(session, actor, designation, trigger, now(),
                         reason=request.form.get("reason", ""),
                         expected_version=optional_int("version"),
                         reason_code=request.form.get("reason_code") or None,
                         deadline=request.form.get("deadline") or None,
                         until=request.form.get("until") or None)
        db.commit()
    except WorkflowError as error:
        refused(error, sentence(gettext("“%(action)s”未执行：%(message)s"), action=label(trigger_label(trigger)),
                                message=error.message))
    else:
        flash(gettext("已%(action)s", action=label(trigger_label(trigger))), "success")
    return redirect(url_for("pages.designation_page", designation_id=designation_id))


@bp.route("/console/programmes/new", methods=["GET", "POST"])
@login_required(Role.staff)
def programme_form() -> Any:
    from marshmallow import ValidationError

    from web.pages.forms import field_errors
    from web.schemas import ProgrammeIn

    errors: dict[str, str] = {}
    actor = current_actor()
    if request.method == "POST":
        payload = {k: v.strip() for k, v in request.form.items() if k != "csrf_token" and v.strip()}
        payload["jurisdiction"] = actor.jurisdiction_code
        try:
            args = ProgrammeIn().load(payload)
            programme = applications.create_programme(db.session(), actor, **args)
            db.commit()
        except ValidationError as error:
            errors = field_errors({"fields": error.messages})
        except WorkflowError as error:
            db.session().rollback()
            errors = field_errors(error.details) or {"_": error.message}
        else:
            flash(gettext("已创建申报批次“%(title)s”", title=programme.title), "success")
            return redirect(url_for("pages.staff_home"))
    return render_template("staff/programme_form.html", errors=errors, form=request.form,
                           guidelines=evaluators.available()), (422 if errors else 200)




# The console: dashboard and lists ---------------------------------------------------------------

CONSOLE_LISTS = ("applications", "designations", "enterprises", "experts")


def _console_place(session: Any, code: str | None) -> str:
    from workflow.listings import place_name

    return place_name(session, code) if code else gettext("全部")


def _subtree_choices(session: Any, root: str | None) -> list[tuple[str, str]]:
    """The jurisdictions a staff member may pick, as (code, name) in tree order, indented."""
    from models import Jurisdiction
    from workflow.targets import subtree

    rows = {j.code: j for j in session.scalars(select(Jurisdiction).order_by(Jurisdiction.code))}
    codes = subtree(session, root) if root else list(rows)
    depth = {code: len(jurisdictions.path_up(session, code)) for code in codes}
    top = min(depth.values(), default=1)
    return [(code, "\u3000" * (depth[code] - top) + rows[code].name) for code in codes]


@bp.route("/console/dashboard")
@login_required(Role.staff, Role.admin)
def console_dashboard() -> Any:
    from web.api.console import jurisdiction_in_scope
    from workflow import stats, targets
    from workflow.clock import local_date

    actor = current_actor()
    session = db.session()
    wanted = request.args.get("jurisdiction") or actor.jurisdiction_code or _first_province(session)
    code = jurisdiction_in_scope(wanted)
    board = stats.dashboard(session, code, local_date(now()))
    return render_template(
        "staff/dashboard.html", board=board, code=code, counting_labels=targets.COUNTING_LABELS,
        tier_labels=targets.TIER_LABELS, choices=_subtree_choices(session, actor.jurisdiction_code),
        in_progress=sum(c.value for c in board.by_application_state
                        if c.key not in ("designated", "rejected", "ineligible", "withdrawn")),
    )


def _first_province(session: Any) -> str:
    from models import Jurisdiction

    return session.scalar(select(Jurisdiction.code).where(Jurisdiction.parent_code.is_(None))
                          .order_by(Jurisdiction.code))


@bp.route("/console/<any(applications, designations, enterprises, experts):name>")
@login_required(Role.staff, Role.admin)
def console_list(name: str) -> Any:
    from web.api.console import export, list_query
    from workflow import listings

    actor = current_actor()
    session = db.session()
    listing = listings.LISTINGS[name]
    scope = listings.scope_of(session, actor)
    query = list_query(listing, request.args)
    if request.args.get("format"):
        return export(listing, query, request.args["format"], scope)
    page = listings.fetch(session, listing, scope, query)
    columns = listing.page_columns
    rows = [(row if not listing.extra() else row[0], [c.get(row, session) for c in columns]) for row in page.rows]
    args = {k: v for k, v in request.args.items() if v.strip() and k != "page"}
    return render_template(
        "staff/list.html", listing=listing, page=page, columns=columns, rows=rows, query=query, args=args,
        options=_filter_options(session, listing, actor), lists=CONSOLE_LISTS,
        filtered=bool(query.q.strip() or query.filters), per_page_choices=listings.PER_PAGE_CHOICES,
        enterprise=session.get(Enterprise, int(query.filters["enterprise"]))
        if query.filters.get("enterprise", "").isdecimal() and len(query.filters["enterprise"]) <= 9 else None,
        years=list(range(local_date_now().year, 2019, -1)),
    )


def local_date_now() -> Any:
    from workflow.clock import local_date

    return local_date(now())


def _filter_options(session: Any, listing: Any, actor: Any) -> dict[str, list[tuple[str, str]]]:
    """The choices of each filter of the list, in Chinese, limited to the staff's subtree."""
    from workflow.listings import SPECIALTY_LABELS, industry_names

    options: dict[str, list[tuple[str, str]]] = {f.name: list(f.choices) for f in listing.filters if f.choices}
    places = _subtree_choices(session, actor.jurisdiction_code)
    options["jurisdiction"] = places
    options["holding"] = places
    options["industry"] = sorted(industry_names().items())
    options["specialty"] = list(SPECIALTY_LABELS.items()) + sorted(industry_names().items())
    if listing.name == "applications":
        codes = [c for c, _ in places]
        options["programme"] = [(str(p.id), p.title) for p in session.scalars(
            select(Programme).where(Programme.jurisdiction_code.in_(
                codes + jurisdictions.path_up(session, actor.jurisdiction_code) if actor.jurisdiction_code
                else codes)).order_by(Programme.opens_on.desc(), Programme.id.desc()))]
    return options


@bp.route("/console/designations/yearly.xlsx")
@login_required(Role.staff, Role.admin)
def console_yearly_list() -> Any:
    from web.api.console import yearly_list

    return yearly_list(request.args)
