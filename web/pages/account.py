"""Log in, log out, reset a forgotten password, and register an enterprise."""
from __future__ import annotations

from typing import Any

from flask import flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import login_user, logout_user
from marshmallow import ValidationError
from sqlalchemy import select

from models import Jurisdiction
from models.enums import JurisdictionLevel, Role
from models.schema import reference_rows
from web import db
from web.auth import SessionUser, Unauthorized, client_address, sign_in
from web.i18n import composed
from web.pages import bp
from web.pages.forms import field_errors
from web.schemas import RegistrationIn
from workflow import accounts
from workflow.clock import now
from workflow.errors import WorkflowError

HOME = {Role.applicant: "pages.applicant_home", Role.staff: "pages.staff_home",
        Role.expert: "pages.expert_home", Role.admin: "pages.staff_home"}


def _safe_next(target: str | None) -> str | None:
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return None


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    if request.method == "GET":
        return render_template("login.html", error=None, username="")
    username = request.form.get("username", "")
    try:
        user = sign_in(username, request.form.get("password", ""))
    except accounts.LockedOut as refused:
        response = make_response(render_template("login.html", error=refused.message, username=username), 429)
        response.headers["Retry-After"] = str(refused.details["retry_after_seconds"])
        return response
    except Unauthorized as refused:
        return render_template("login.html", error=refused.message, username=username), 401
    login_user(SessionUser(user))
    return redirect(_safe_next(request.args.get("next")) or url_for(HOME[user.role]))


@bp.route("/logout", methods=["POST"])
def logout() -> Any:
    logout_user()
    flash(gettext("已退出登录"), "info")
    return redirect(url_for("pages.index"))


@bp.route("/password-reset", methods=["GET", "POST"])
def password_reset() -> Any:
    """找回密码: the same answer whether or not the account exists."""
    error = None
    if request.method == "POST":
        try:
            accounts.request_password_reset(db.session(), request.form.get("login", ""), now(),
                                            client=client_address())
            db.commit()
        except WorkflowError as refused:
            db.session().rollback()
            error = refused.message
        else:
            return render_template("account/password_reset_sent.html")
    return render_template("account/password_reset.html", error=error,
                           login=request.form.get("login", "")), (422 if error else 200)


@bp.route("/password-reset/<token>", methods=["GET", "POST"])
def password_reset_confirm(token: str) -> Any:
    errors: dict[str, str] = {}
    try:
        user = accounts.check_password_reset(db.session(), token, now())
    except WorkflowError as refused:
        return render_template("account/password_reset_invalid.html", message=refused.message), 404
    if request.method == "POST":
        try:
            if request.form.get("password") != request.form.get("password_confirm"):
                mismatch = gettext("两次输入的密码不一致")
                raise WorkflowError(mismatch, {"fields": {"password_confirm": [mismatch]}})
            accounts.confirm_password_reset(db.session(), token, request.form.get("password", ""), now(),
                                            client=client_address())
            db.commit()
        except WorkflowError as refused:
            db.session().rollback()
            errors = field_errors(refused.details) or {"_": refused.message}
        else:
            flash(gettext("密码已重置，请用新密码登录。"), "success")
            return redirect(url_for("pages.login"))
    return render_template("account/password_reset_confirm.html", username=user.username,
                           errors=errors), (422 if errors else 200)


def counties() -> list[Jurisdiction]:
    return list(db.session().scalars(
        select(Jurisdiction).where(Jurisdiction.level == JurisdictionLevel.county).order_by(Jurisdiction.code)))


@bp.route("/register", methods=["GET", "POST"])
def register() -> Any:
    errors: dict[str, str] = {}
    form = request.form
    if request.method == "POST":
        payload = {k: form.get(k, "").strip() for k in
                   ("uscc", "name", "jurisdiction", "username", "password", "email", "address")}
        payload["industry_codes"] = [c.strip().upper() for c in
                                     form.get("industry_codes", "").replace("，", ",").split(",") if c.strip()]
        try:
            args = RegistrationIn().load(payload)
            if form.get("password") != form.get("password_confirm"):
                mismatch = gettext("两次输入的密码不一致")
                raise WorkflowError(mismatch, {"fields": {"password_confirm": [mismatch]}})
            _, user = accounts.register_enterprise(db.session(), **args)
            db.commit()
        except ValidationError as error:
            errors = field_errors({"fields": error.messages})
        except WorkflowError as error:
            db.session().rollback()
            errors = field_errors(error.details) or {"_": error.message}
            if error.message and "_" not in errors and not error.details.get("fields"):
                errors["_"] = composed(error.message)
        else:
            login_user(SessionUser(user))
            flash(gettext("注册成功，欢迎使用。可以开始申报了。"), "success")
            return redirect(url_for("pages.applicant_home"))
    divisions = reference_rows("industries.csv")
    return render_template("register.html", errors=errors, form=form, counties=counties(),
                           divisions=divisions), (422 if errors else 200)
