"""A list page read in a session that has changed records shows those changes, as any read of the
ORM does, though the page is read as plain columns."""
from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy.orm import Session, sessionmaker

from models.enums import ApplicationState
from tests.builders import application_in, new_enterprise
from workflow import listings


def test_a_page_shows_the_sessions_own_changes_not_yet_written(factory: sessionmaker[Session],
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(listings.totals, "total", lambda _key, _count: 1)  # a total kept: no count first
    with factory() as session:
        app = application_in(session, ApplicationState.submitted, datetime.fromisoformat("2026-11-23T10:00:00+08:00"),
                             new_enterprise(session, 92))
        session.flush()
        app.enterprise.name = "杭州改名测试有限公司"
        page = listings.fetch(session, listings.APPLICATIONS, None, listings.ListQuery(q="改名测试"))
        assert [(row.id, row.enterprise.name) for row in page.rows] == [(app.id, "杭州改名测试有限公司")]
        session.rollback()
