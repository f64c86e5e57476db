"""Who is asking: a logged-in page session (Flask-Login) or an API bearer token."""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import g, request
from flask_babel import gettext
from flask_login import LoginManager, current_user
from sqlalchemy.orm import joinedload

from models import User
from models.enums import Role
from web import db
from workflow import accounts
from workflow.clock import now
from workflow.errors import Forbidden, WorkflowError

login_manager = LoginManager()
login_manager.login_view = "pages.login"
login_manager.login_message = "请先登录"
login_manager.login_message_category = "warning"
login_manager.localize_callback = gettext


class Unauthorized(WorkflowError):
    status = 401
    code = "unauthorized"


class SessionUser:
    """Flask-Login's view of a user; the row itself is loaded from the request's session."""

    def __init__(self, user: User) -> None:
        self.user = user
        self.is_authenticated = True
        self.is_active = user.active
        self.is_anonymous = False

    def get_id(self) -> str:
        return str(self.user.id)


@login_manager.user_loader
def _load(user_id: str) -> SessionUser | None:
    user = db.session().get(User, int(user_id), options=[joinedload(User.expert)]) if user_id.isdigit() else None
    return SessionUser(user) if user is not None and user.active else None


@login_manager.request_loader
def _load_bearer(request: Any) -> SessionUser | None:
    """A page requested with an API token shows the token's user, as the API would act for them."""
    if not request.headers.get("Authorization", "").startswith("Bearer "):
        return None
    actor = current_actor()
    return SessionUser(actor) if actor is not None else None


def client_address() -> str:
    """The network address of the client (the proxy's, unless the deployment sets ProxyFix)."""
    return (request.remote_addr or "")[:64]


def sign_in(username: str, password: str) -> User:
    """Check a password for the login page and the token endpoint, throttled (workflow.accounts).

    Every attempt is committed before the answer, also when it is refused, so that failures
    count towards the lock-out and stay in the audit log.
    """
    session = db.session()
    moment = now()
    try:
        user = accounts.authenticate(session, username, password, moment, client=client_address())
    except accounts.LockedOut:
        db.commit()
        raise
    db.commit()
    if user is None:
        lock = accounts.lock_for(session, username, client_address(), moment)
        if lock is not None:
            raise accounts.LockedOut(lock, moment)
        raise Unauthorized(gettext("用户名或密码错误"))
    return user


def current_actor() -> User | None:
    """The acting user of this request, from the bearer token or the page session."""
    if "actor" in g:
        return g.actor
    actor: User | None = None
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        session = db.session()
        actor = accounts.user_for_token(session, header.removeprefix("Bearer ").strip(), now())
        if actor is None:
            raise Unauthorized(gettext("访问令牌无效或已撤销"))
        if session.dirty:  # the token's last use moved on; GET requests commit nothing else
            session.commit()
    elif current_user.is_authenticated:
        actor = current_user.user
    g.actor = actor
    return actor


def login_required(*roles: Role) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """401 without a user; 403 when the user's role is not one of `roles` (if given)."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            actor = current_actor()
            if actor is None:
                raise Unauthorized(gettext("请先登录"))
            if roles and actor.role not in roles:
                raise Forbidden(gettext("当前账号无权访问"))
            return view(*args, **kwargs)

        return wrapper

    return decorator
