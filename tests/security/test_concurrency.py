"""Concurrency on real connections: many people pressing the same button at once."""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import pytest
from sqlalchemy import Engine, func, select

from models import Application, TransitionLog
from models.enums import ApplicationState as S
from models.enums import DesignationState as D
from tests.builders import application_in, user
from tests.conftest import BACKENDS, fresh_database
from workflow import applications
from workflow.db import session_factory, unit_of_work
from workflow.errors import WorkflowError

NOW = datetime.fromisoformat("2026-11-23T10:00:00+08:00")


@pytest.fixture(params=BACKENDS)
def committed(request, tmp_path) -> Iterator[Engine]:
    with fresh_database(request.param, tmp_path) as engine:
        yield engine


def _submitted(engine: Engine) -> int:
    with unit_of_work(session_factory(engine)) as session:
        app = application_in(session, S.submitted, NOW)
        applications.act(session, user(session, "qt_county"), app, "recommend", NOW)
        return app.id


def _press(engine: Engine, app_id: int, trigger: str, expected_version: int | None = None) -> int:
    try:
        with unit_of_work(session_factory(engine)) as session:
            app = applications.load(session, user(session, "hz_city"), app_id, for_update=True)
            applications.act(session, user(session, "hz_city"), app, trigger, NOW,
                             expected_version=expected_version)
        return 200
    except WorkflowError as error:
        return error.status


def test_fifty_presses_of_accept_make_one_move(committed) -> None:
    app_id = _submitted(committed)
    with ThreadPoolExecutor(max_workers=10) as pool:
        answers = Counter(pool.map(lambda _: _press(committed, app_id, "accept"), range(50)))
    assert answers == {200: 1, 409: 49}
    with unit_of_work(session_factory(committed)) as session:
        assert session.get(Application, app_id).state in (S.evaluating, S.under_review)
        accepted = session.scalar(select(func.count()).select_from(TransitionLog).where(
            TransitionLog.entity_id == app_id, TransitionLog.trigger == "accept"))
        assert accepted == 1


def test_the_second_of_two_editors_is_told_and_overwrites_nothing(committed) -> None:
    from models import Designation
    from tests.builders import designation_in
    from workflow import designations

    with unit_of_work(session_factory(committed)) as session:
        designation_id = designation_in(session, D.active, NOW).id
    with unit_of_work(session_factory(committed)) as session:
        seen = session.get(Designation, designation_id).version  # both staff open the page now

    def edit(username: str, trigger: str, reason: str) -> int:
        try:
            with unit_of_work(session_factory(committed)) as session:
                row = session.get(Designation, designation_id, with_for_update=True)
                designations.act(session, user(session, username), row, trigger, NOW, reason=reason,
                                 expected_version=seen)
            return 200
        except WorkflowError as error:
            return error.status

    assert edit("hz_city", "require_rectification", "能耗数据异常，限期整改") == 200
    # Suspension is allowed from rectification too, but this clerk decided on a stale page.
    assert edit("hz_city2", "suspend", "暂停") == 409
    with unit_of_work(session_factory(committed)) as session:
        row = session.get(Designation, designation_id)
        assert (row.state, row.reason) == (D.rectifying, "能耗数据异常，限期整改")
