"""Pages for everyone: home, public notices with objections, certificate verification."""
from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from sqlalchemy import select

from models import Designation, Notice, TransitionLog
from models.enums import CertificateStatus, DesignationState
from web import db, throttle
from web.api import representations as rep
from web.downloads import send_stored
from web.i18n import remember_language, same_site_path
from web.pages import bp
from web.pages.forms import field_errors
from web.uploads import accept_all, described, store
from workflow import applications, certificates, notices
from workflow.clock import local_date, now
from workflow.errors import WorkflowError


@bp.route("/")
def index() -> Any:
    session = db.session()
    return render_template(
        "index.html",
        programmes=applications.open_programmes(session, local_date(now())),
        notices=notices.open_notices(session),
        designations=list(session.scalars(
            select(Designation).where(Designation.state == DesignationState.active)
            .order_by(Designation.id.desc()).limit(10))),
    )


@bp.route("/notices")
def notice_list() -> Any:
    return render_template("public/notices.html",
                           notices=[(n, notices.listed(n)) for n in notices.open_notices(db.session())])


@bp.route("/notices/<int:notice_id>", methods=["GET", "POST"])
def notice_page(notice_id: int) -> Any:
    notice = db.session().get(Notice, notice_id)
    if notice is None:
        abort(404)
    errors: dict[str, str] = {}
    if request.method == "POST":
        throttle.check("objection")
        try:
            application_id = request.form.get("application_id", "")
            uploads = accept_all(request.files.getlist("files"))
            notices.file_objection(
                db.session(), notice.id,
                application_id=int(application_id) if application_id.isdecimal() else -1,
                name=request.form.get("name", ""), contact=request.form.get("contact", ""),
                content=request.form.get("content", ""), now=now(), evidence=described(uploads))
            store(uploads, "objections")
            db.commit()
        except WorkflowError as error:
            db.session().rollback()
            errors = field_errors(error.details) or {"_": error.message}
        else:
            flash(gettext("异议已提交。处理结果将通过您留下的联系方式告知，并在本页公布。"), "success")
            return redirect(url_for("pages.notice_page", notice_id=notice.id))
    return render_template("public/notice.html", notice=notice, listed=notices.listed(notice),
                           errors=errors, form=request.form), (422 if errors else 200)


@bp.route("/verify", methods=["GET", "POST"])
def verify_lookup() -> Any:
    """Look a number up, or check an uploaded certificate PDF against the issuer's signature."""
    if request.method == "POST":
        throttle.check("verification")
        return _check_uploaded_pdf()
    number = request.args.get("number", "").strip()
    if number:
        return redirect(url_for("pages.verify", number=number))
    return render_template("public/verify.html", certificate=None, number="", view=None, check=None)


def _check_uploaded_pdf() -> Any:
    from workflow import signing

    upload = request.files.get("file")
    if upload is None or not upload.filename:
        check = certificates.PdfCheck("unreadable", "", gettext("请选择要核验的证书 PDF 文件"))
    else:
        session = db.session()

        def lookup(number: str) -> dict[str, Any] | None:
            found = certificates.find(session, number)
            return rep.public_certificate(found) if found else None

        check = certificates.check_pdf(upload.read(10 * 1024 * 1024), lookup, signing.published_keys(session))
    status = 200 if check.verdict in ("valid", "not_current") else 422
    return render_template("public/verify.html", certificate=None, number="", view=None, check=check), status


@bp.route("/directory")
def directory_page() -> Any:
    """The public directory (认定名录): search by name, credit code, kind, tier, area, status."""
    from sqlalchemy import func

    from models import Enterprise, Jurisdiction
    from models.enums import DesignationState, Kind, Tier
    from workflow import jurisdictions

    args = request.args
    session = db.session()
    query = select(Designation)
    if args.get("q", "").strip():
        term = args["q"].strip()
        query = query.where((Enterprise.name.contains(term)) | (Enterprise.uscc == term.upper()))
    for name, enum, column in (("kind", Kind, Designation.kind), ("tier", Tier, Designation.tier),
                               ("status", DesignationState, Designation.state)):
        if args.get(name) in enum.__members__:
            query = query.where(column == enum(args[name]))
    if args.get("jurisdiction") in jurisdictions.parents(session):
        inside = [c for c in jurisdictions.parents(session) if jurisdictions.is_within(session, c, args["jurisdiction"])]
        query = query.where(Enterprise.jurisdiction_code.in_(inside))
    page = max(int(args["page"]) if args.get("page", "").isdecimal() and len(args["page"]) <= 6 else 1, 1)
    if Enterprise.__table__ in query.get_final_froms():  # joined only when a condition is on the holder
        query = query.join(Enterprise, Designation.enterprise_id == Enterprise.id)
    total = session.scalar(query.with_only_columns(func.count(), maintain_column_froms=True))
    rows = session.scalars(query.order_by(Designation.id.desc()).offset((page - 1) * 50).limit(50)).all()
    areas = session.scalars(select(Jurisdiction).where(Jurisdiction.level != "county").order_by(Jurisdiction.code)).all()
    return render_template("public/directory.html", rows=rows, total=total, page=page, pages=max((total + 49) // 50, 1),
                           args=args, areas=areas)


@bp.route("/verify/<number>")
def verify(number: str) -> Any:
    throttle.check("verification")
    session = db.session()
    certificate = certificates.find(session, number)
    view = rep.public_certificate(certificate) if certificate else None
    return render_template("public/verify.html", certificate=certificate, number=number, view=view,
                           reason=_reason(session, certificate, view), check=None), (200 if certificate else 404)


def _reason(session: Any, certificate: Any, view: dict[str, Any] | None) -> dict[str, Any]:
    """The reason shown, with the messages of the step that gave it (a suspension the system made
    is in the reader's language)."""
    if not view or not view.get("reason"):
        return {"reason": ""}
    details = session.scalar(select(TransitionLog.details).where(
        TransitionLog.entity == "designation", TransitionLog.entity_id == certificate.designation_id,
        TransitionLog.reason == view["reason"]).order_by(TransitionLog.id.desc()).limit(1))
    return {"reason": view["reason"], "reason_messages": (details or {}).get("reason_messages")}


@bp.route("/certificates/<number>.pdf")
def certificate_pdf(number: str) -> Any:
    certificate = certificates.find(db.session(), number)
    if certificate is None or certificate.status is not CertificateStatus.issued:
        abort(404)
    return send_stored(certificate.pdf_path or "", mimetype="application/pdf", download_name=f"{number}.pdf",
                       as_attachment=False)


@bp.route("/language/zh", defaults={"code": "zh"})
@bp.route("/language/en", defaults={"code": "en"})
def switch_language(code: str) -> Any:
    """The 中文 / English link of the page header: remember the choice, go back to the page."""
    return remember_language(redirect(same_site_path(request.args.get("next", ""))), code)
