"""One database session per request, committed explicitly by the view, then the outbox relayed."""
from __future__ import annotations

import logging
import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import current_app, g
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from workflow import outbox

log = logging.getLogger(__name__)


def session() -> Session:
    if "db_session" not in g:
        g.db_session = current_app.extensions["greencert"].factory()
        bind = g.db_session.get_bind()
        if g.get("reads_only") and isinstance(bind, Engine) and bind.dialect.name == "postgresql":
            g.db_session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    return g.db_session


def reads_only(view: Callable[..., Any]) -> Callable[..., Any]:
    """For a view that reads and changes nothing: its statements run outside a transaction on
    PostgreSQL, which spares the request the round trips of a BEGIN and of the ROLLBACK at its end.
    Under READ COMMITTED each statement reads its own snapshot anyway, so the view reads the same.
    (Put it above login_required: the token's look-up is the request's first statement.)"""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        g.reads_only = True
        return view(*args, **kwargs)

    return wrapper


def commit() -> None:
    """Commit the request's unit of work, then move its effects on (to RQ, or run them here).

    Once the commit has succeeded the change stands: if the effects cannot be moved on now, they
    wait in the outbox for the next request or the scheduler, and the request still succeeds."""
    session().commit()
    try:
        relay()
    except SQLAlchemyError as error:
        log.warning("outbox not relayed after commit; the scheduler will: %s", error)


# After Redis failed to answer, requests leave their effects in the outbox for this long rather
# than each waiting for Redis to time out; the scheduler relays them meanwhile.
REDIS_RETRY_AFTER = 15.0  # seconds


def relay() -> None:
    state = current_app.extensions["greencert"]
    redis = state.redis()
    backoff = current_app.extensions.setdefault("greencert_relay", {"redis_down_until": 0.0})
    if redis is not None and time.monotonic() < backoff["redis_down_until"]:
        return

    def redis_down(_error: Exception) -> None:
        backoff["redis_down_until"] = time.monotonic() + REDIS_RETRY_AFTER

    if outbox.relay(state.factory, redis, on_redis_error=redis_down) and "db_session" in g:
        g.db_session.expire_all()  # jobs ran in their own sessions; read their results afresh


def close(_error: BaseException | None = None) -> None:
    db_session = g.pop("db_session", None)
    if db_session is not None:
        db_session.close()
