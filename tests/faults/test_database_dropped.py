"""The database connection dropped under a request, on the real PostgreSQL.

The server ends the request's own backend (pg_terminate_backend) at a chosen point: after the
transition is flushed and just before COMMIT, or in the middle of loading the record. The client
gets the JSON error envelope, nothing half-done is visible, and the next request succeeds on a
new connection. Connections that die while idle in the pool are replaced unnoticed."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Engine, event, func, select, text

from models import Application, AuditEvent, OutboxItem, TransitionLog
from models.enums import ApplicationState as S
from tests.builders import application_in
from tests.conftest import PG_URL, drop_postgres_schema, new_postgres_schema, seeded
from tests.faults.conftest import BASE_URL, SECRET_KEY
from tests.web.apiclient import Api
from web import create_app
from workflow import outbox
from workflow.db import make_engine, session_factory

pytestmark = pytest.mark.postgres


class Severer:
    """Ends the PostgreSQL backend of the app's connection at the next chosen moment, once."""

    def __init__(self, engine: Engine) -> None:
        self.admin = make_engine(PG_URL)
        self.point: str | None = None
        self.fired = False
        self.backends: set[int] = set()
        event.listen(engine, "commit", self._on_commit)
        event.listen(engine, "before_cursor_execute", self._on_execute)
        event.listen(engine, "checkout", self._on_checkout)

    def arm(self, point: str) -> None:
        self.point, self.fired = point, False

    def terminate(self, pid: int) -> None:
        with self.admin.connect() as connection:
            # waits until the backend has gone, so the app's next statement meets a dead connection
            assert connection.scalar(text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": pid})

    def terminate_idle(self) -> int:
        for pid in self.backends:
            self.terminate(pid)
        count, self.backends = len(self.backends), set()
        return count

    def _on_checkout(self, dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        self.backends.add(dbapi_connection.info.backend_pid)

    def _fire(self, connection: Any) -> None:
        self.point, self.fired = None, True
        self.backends.discard(connection.connection.dbapi_connection.info.backend_pid)
        self.terminate(connection.connection.dbapi_connection.info.backend_pid)

    def _on_commit(self, connection: Any) -> None:
        if self.point == "before commit":
            self._fire(connection)

    def _on_execute(self, connection: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if self.point == "loading for update" and "FOR UPDATE" in statement:
            self._fire(connection)
        if self.point == "relaying after commit" and statement.split()[:4] == ["SELECT", "outbox.id", "FROM", "outbox"]:
            self._fire(connection)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Flask, Severer, int]]:
    engine, schema = new_postgres_schema()
    seeded(engine)
    with session_factory(engine)() as session:
        app_id = application_in(session, S.submitted, datetime.now(timezone.utc)).id
        session.commit()
    separator = "&" if "?" in PG_URL else "?"
    flask_app = create_app({
        "DATABASE_URL": f"{PG_URL}{separator}options=-csearch_path%3D{schema}", "REDIS_URL": None,
        "STORAGE_DIR": str(tmp_path / "files"), "BASE_URL": BASE_URL, "SECRET_KEY": SECRET_KEY, "TESTING": True,
    })
    app_engine = flask_app.extensions["greencert"].engine
    severer = Severer(app_engine)
    try:
        yield flask_app, severer, app_id
    finally:
        app_engine.dispose()
        severer.admin.dispose()
        engine.dispose()
        drop_postgres_schema(schema)


def traces(flask_app: Flask, app_id: int) -> tuple[int, int, int, int]:
    """What a recommendation leaves behind: the row's version, its log entry, audit events, effects."""
    with flask_app.extensions["greencert"].factory() as session:
        app = session.get(Application, app_id)
        return (
            app.version,
            session.scalar(select(func.count()).select_from(TransitionLog).where(
                TransitionLog.entity == "application", TransitionLog.entity_id == app_id,
                TransitionLog.trigger == "recommend")),
            session.scalar(select(func.count()).select_from(AuditEvent)),
            session.scalar(select(func.count()).select_from(OutboxItem)),
        )


@pytest.mark.parametrize("point", ["before commit", "loading for update"])
def test_a_request_whose_connection_drops_fails_cleanly_and_the_next_succeeds(served, point: str) -> None:
    flask_app, severer, app_id = served
    county = Api(flask_app.test_client(), "qt_county")
    before = traces(flask_app, app_id)
    assert before[1] == 0

    severer.arm(point)
    response = county.call("POST", f"/applications/{app_id}/actions/recommend")
    assert severer.fired
    assert response.status_code == 503 and response.headers["Retry-After"] == "5"
    error = response.json["error"]
    assert error["code"] == "unavailable" and error["message"] == "系统暂时无法处理请求，请稍后再试"
    assert error["message"] and set(error) == {"code", "message", "details"}
    assert "Traceback" not in response.get_data(as_text=True)
    assert traces(flask_app, app_id) == before  # nothing of the recommendation was kept

    assert county.get(f"/applications/{app_id}")["version"] == before[0]
    county.post(f"/applications/{app_id}/actions/recommend")  # the county presses again
    version, logged, _audited, _effects = traces(flask_app, app_id)
    assert version > before[0] and logged == 1


def test_connections_that_died_in_the_pool_are_replaced_unnoticed(served) -> None:
    flask_app, severer, app_id = served
    county = Api(flask_app.test_client(), "qt_county")
    version = county.get(f"/applications/{app_id}")["version"]
    assert severer.terminate_idle() >= 1  # e.g. the database restarted, or a firewall cut them
    assert county.get(f"/applications/{app_id}")["version"] == version
    county.post(f"/applications/{app_id}/actions/recommend")
    changed, logged, _audited, _effects = traces(flask_app, app_id)
    assert changed > version and logged == 1


def test_a_committed_change_stands_when_the_connection_drops_while_its_effects_are_relayed(served) -> None:
    flask_app, severer, app_id = served
    county = Api(flask_app.test_client(), "qt_county")
    city = Api(flask_app.test_client(), "hz_city")
    county.post(f"/applications/{app_id}/actions/recommend")
    effects = traces(flask_app, app_id)[3]

    severer.arm("relaying after commit")
    assert city.post(f"/applications/{app_id}/actions/accept")["state"] == "evaluating"
    assert severer.fired
    with flask_app.extensions["greencert"].factory() as session:
        waiting = session.scalars(select(OutboxItem).where(OutboxItem.id > effects)).all()
        assert "evaluate_application" in [item.function for item in waiting]
        assert {str(item.state) for item in waiting} == {"pending"}  # kept for the next relay

    assert outbox.relay(flask_app.extensions["greencert"].factory) >= 1  # the scheduler's next round
    assert county.get(f"/applications/{app_id}")["state"] == "under_review"
