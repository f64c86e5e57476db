"""On PostgreSQL a view that only reads sends its statements outside a transaction: no BEGIN
before them and no ROLLBACK after them, two round trips fewer a request, with the same answer."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, select

from models import ApiToken
from models.enums import ApplicationState as S
from tests.builders import application_in, user
from tests.conftest import app_over, fresh_database
from workflow import accounts
from workflow.clock import now
from workflow.db import session_factory, unit_of_work


@pytest.mark.postgres
def test_a_read_and_a_list_run_outside_a_transaction_and_leave_the_connection_as_it_was(tmp_path: Path) -> None:
    with fresh_database("postgresql", tmp_path) as engine:
        factory = session_factory(engine)
        with unit_of_work(factory) as session:
            staff = user(session, "hz_city")
            token = accounts.issue_token(session, staff, now())
            app_id = application_in(session, S.submitted, now()).id
        app = app_over(factory, tmp_path)
        headers = {"Authorization": f"Bearer {token}"}
        in_transaction: list[bool] = []

        def record(_conn: Any, cursor: Any, *_args: Any) -> None:
            in_transaction.append(not cursor.connection.autocommit)

        with app.test_client() as client:
            client.get("/api/v1/applications", headers=headers)  # records the token's use, and commits it
            event.listen(engine, "before_cursor_execute", record)
            read = client.get(f"/api/v1/applications/{app_id}", headers=headers)
            listed = client.get("/api/v1/applications?sort=-id", headers=headers)
            refused = client.get("/api/v1/applications?sort=nonsense", headers=headers)
            event.remove(engine, "before_cursor_execute", record)

        assert read.status_code == 200 and read.get_json()["id"] == app_id
        assert app_id in [item["id"] for item in listed.get_json()["items"]]
        assert refused.status_code == 422
        assert in_transaction and not any(in_transaction)
        with engine.connect() as connection:  # handed back to the pool as it was taken
            assert connection.connection.dbapi_connection.autocommit is False
        with factory() as session:  # the token's use, written on the way, was kept
            assert session.scalar(select(ApiToken.last_used_at).where(ApiToken.user_id == staff.id)) is not None
