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
