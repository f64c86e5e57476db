"""Pooled connections on the real PostgreSQL: one the server has ended is replaced before anyone
uses it (workflow/db.py looks at its socket instead of sending a SELECT 1 at every checkout)."""
from __future__ import annotations

import pytest
from sqlalchemy import text

from tests.conftest import PG_URL
from workflow.db import make_engine

pytestmark = pytest.mark.postgres


def test_a_connection_the_server_ended_is_replaced_at_checkout() -> None:
    engine = make_engine(PG_URL, pool_size=1, max_overflow=0)
    admin = make_engine(PG_URL)
    try:
        with engine.connect() as connection:
            ended = connection.scalar(text("SELECT pg_backend_pid()"))
        with admin.connect() as connection:  # a restart, an idle time-out or an administrator
            assert connection.scalar(text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": ended})
        with engine.connect() as connection:
            replaced = connection.scalar(text("SELECT pg_backend_pid()"))
        assert replaced != ended
        with engine.connect() as connection:  # a live one is kept
            assert connection.scalar(text("SELECT pg_backend_pid()")) == replaced
    finally:
        engine.dispose()
        admin.dispose()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_json_is_stored_as_utf_8_and_read_back_as_written(backend: str, tmp_path) -> None:
    """JSON columns are written by orjson, the Chinese as it is; what orjson refuses (integers
    beyond 64 bits) the standard library writes, and a date is refused as before."""
    from datetime import date

    from sqlalchemy import select

    from models import OutboxItem
    from tests.conftest import fresh_database
    from workflow.db import session_factory

    with fresh_database(backend, tmp_path, seed=False) as engine:
        args = [{"why": "申报值 12.5% 达到引领值", 7: [1.5, None, True]}, 2**70]
        with session_factory(engine).begin() as session:
            session.add(OutboxItem(job_id="j-1", queue="evaluations", function="evaluate_report", args=args))
        with engine.connect() as connection:
            stored = connection.scalar(text("SELECT CAST(args AS TEXT) FROM outbox"))
        assert "申报值" in stored and "\\u" not in stored
        with session_factory(engine)() as session:
            assert session.scalar(select(OutboxItem.args)) == [{"why": "申报值 12.5% 达到引领值", "7": [1.5, None, True]},
                                                               2**70]
        with pytest.raises(Exception, match="date"), session_factory(engine).begin() as session:
            session.add(OutboxItem(job_id="j-2", queue="evaluations", function="evaluate_report",
                                   args=[date(2026, 1, 1)]))
