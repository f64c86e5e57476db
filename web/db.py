"""One database session per request, committed explicitly by the view, then the outbox relayed."""
from __future__ import annotations

from flask import current_app, g
from sqlalchemy.orm import Session

from workflow import outbox


def session() -> Session:
    if "db_session" not in g:
        g.db_session = current_app.extensions["greencert"].factory()
    return g.db_session


def commit() -> None:
    """Commit the request's unit of work, then move its effects on (to RQ, or run them here)."""
    session().commit()
    relay()


def relay() -> None:
    state = current_app.extensions["greencert"]
    if outbox.relay(state.factory, state.redis()) and "db_session" in g:
        g.db_session.expire_all()  # jobs ran in their own sessions; read their results afresh


def close(_error: BaseException | None = None) -> None:
    db_session = g.pop("db_session", None)
    if db_session is not None:
        db_session.close()
