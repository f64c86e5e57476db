"""Certificate numbers: `<jurisdiction>-<kind>-<year>-<4 digits>`, gapless and unique, also
when many are drawn at once."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import pytest
from sqlalchemy import Engine

from models.enums import DesignationState as D
from tests.builders import designation_in, user
from tests.conftest import drop_postgres_schema, new_postgres_schema
from workflow import certificates, designations
from workflow.db import make_engine, session_factory, unit_of_work

NOW = datetime.fromisoformat("2026-11-23T10:00:00+08:00")


def test_numbers_follow_the_pattern_and_are_never_reused(db) -> None:
    first = designation_in(db, D.revoked, NOW)
    assert first.certificate.number.startswith("330100-GF-2026-")
    number, sequence = certificates.allocate_number(db, "330100", "GF", 2026)
    assert sequence == first.certificate.sequence + 1
    assert number == f"330100-GF-2026-{sequence:04d}"
    assert certificates.allocate_number(db, "330100", "GP", 2026)[1] == 1  # per kind
    assert certificates.allocate_number(db, "330100", "GF", 2027)[1] == 1  # per year


def test_revocation_voids_and_renewal_supersedes(db) -> None:
    designation = designation_in(db, D.active, NOW)
    designations.act(db, user(db, "hz_city"), designation, "renew", datetime.fromisoformat("2029-10-01T09:00:00+08:00"),
                     reason="复评合格")
    old, new = designation.certificates
    assert (old.status.value, new.status.value) == ("superseded", "pending")
    assert new.number == "330100-GF-2029-0001"  # numbered in the year it is issued


def _allocate_many(engine: Engine, count: int) -> list[int]:
    factory = session_factory(engine)

    def one(_: int) -> int:
        with unit_of_work(factory) as session:
            return certificates.allocate_number(session, "330100", "GF", 2026)[1]

    with ThreadPoolExecutor(max_workers=16) as pool:
        return sorted(pool.map(one, range(count)))


@pytest.mark.postgres
def test_two_hundred_concurrent_numbers_on_postgresql_are_gapless() -> None:
    engine, schema = new_postgres_schema()
    try:
        from models.schema import upgrade

        upgrade(engine)
        assert _allocate_many(engine, 200) == list(range(1, 201))
    finally:
        engine.dispose()
        drop_postgres_schema(schema)


def test_concurrent_numbers_on_sqlite_are_gapless(tmp_path) -> None:
    from models.schema import upgrade

    engine = make_engine(f"sqlite:///{tmp_path / 'n.db'}")
    upgrade(engine)
    assert _allocate_many(engine, 60) == list(range(1, 61))
    engine.dispose()
