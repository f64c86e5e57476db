"""The jurisdiction tree is read once per database, yet a division added by `greencert db
upgrade` counts at once, and one that was never committed never counts."""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from models import Jurisdiction
from models.enums import JurisdictionLevel
from tests.conftest import fresh_database
from workflow import db, jurisdictions, targets

NEW_COUNTY = "330199"  # not in models/data/jurisdictions.csv


def county() -> Jurisdiction:
    return Jurisdiction(code=NEW_COUNTY, name="测试新区", level=JurisdictionLevel.county, parent_code="330100")


def test_a_new_division_counts_in_the_session_that_adds_it_and_after_it_commits(
    engine: Engine, factory: sessionmaker[Session],
) -> None:
    with factory() as reader:
        assert not jurisdictions.is_within(reader, NEW_COUNTY, "330000")
    with factory() as writer:
        writer.add(county())
        writer.flush()
        assert jurisdictions.is_within(writer, NEW_COUNTY, "330100")
        assert jurisdictions.bureau_name(writer, NEW_COUNTY) == "测试新区经济和信息化局"
        writer.commit()
    with factory() as reader:
        assert jurisdictions.path_up(reader, NEW_COUNTY) == [NEW_COUNTY, "330100", "330000"]
    jurisdictions.forget(engine)  # the test's outer transaction is rolled back, and the county with it


def test_a_division_rolled_back_never_counts(engine: Engine) -> None:
    with Session(engine) as warm:
        assert "330100" in jurisdictions.parents(warm)
    with Session(engine) as writer:
        writer.add(county())
        writer.flush()
        assert NEW_COUNTY in jurisdictions.parents(writer)
        writer.rollback()
    with Session(engine) as reader:
        assert NEW_COUNTY not in jurisdictions.parents(reader)
        assert "330100" in jurisdictions.parents(reader)


@pytest.mark.postgres  # on SQLite a second transaction cannot begin while one writes
def test_a_division_committed_while_others_read_the_tree_counts_once_committed(tmp_path: Path) -> None:
    with fresh_database("postgresql", tmp_path) as engine:
        try:
            with Session(engine) as writer:
                writer.add(county())
                writer.flush()
                with Session(engine) as other:  # reads the tree as committed: without the county
                    assert NEW_COUNTY not in jurisdictions.parents(other)
                writer.commit()
            with Session(engine) as reader:
                assert jurisdictions.is_within(reader, NEW_COUNTY, "330000")
        finally:
            jurisdictions.forget(engine)


def test_an_area_is_one_parameter_whatever_its_size(factory: sessionmaker[Session]) -> None:
    """A province, a city, a county and no place at all: the same statement, each finding its own."""
    statements = set()
    with factory() as session:
        for area in (targets.subtree(session, "330000"), targets.subtree(session, "330100"),
                     ["330102"], []):
            statement = select(Jurisdiction.code).where(db.one_of(Jurisdiction.code, area))
            assert sorted(session.scalars(statement)) == sorted(area)
            statements.add(str(statement.compile(session.get_bind())))
    assert len(statements) == 1


def test_a_list_of_an_area_shows_a_division_added_after_the_list_was_read(
    engine: Engine, factory: sessionmaker[Session],
) -> None:
    """A list's statement is kept for its area and filters, with the tree it was built from: an
    application of a county added to the city afterwards is in the city's list at once (as an
    administrator reads it: the whole country, filtered to the city)."""
    from datetime import datetime

    from models.enums import ApplicationState
    from tests.builders import application_in, new_enterprise
    from workflow import listings

    query = listings.ListQuery(filters={"jurisdiction": "330100"}, per_page=200)
    with factory() as session:
        before = listings.fetch(session, listings.APPLICATIONS, None, query)
        session.add(county())
        session.flush()
        added = application_in(session, ApplicationState.submitted, datetime.fromisoformat("2026-11-23T10:00:00+08:00"),
                               new_enterprise(session, 91, county=NEW_COUNTY))
        after = listings.fetch(session, listings.APPLICATIONS, None, query)
        assert added.id not in {row.id for row in before.rows}
        assert added.id in {row.id for row in after.rows}
        session.rollback()
    jurisdictions.forget(engine)


def test_a_place_renamed_in_a_session_is_named_anew_there_and_as_before_after_a_rollback(
    engine: Engine, factory: sessionmaker[Session],
) -> None:
    """A list page's cells name their places from the session's memo of the tree; a session that
    changes the tree names them afresh."""
    from workflow import listings

    with factory() as session:
        assert listings.place_name(session, "330106") == "杭州市西湖区"
        session.get(Jurisdiction, "330106").name = "西湖新区"
        session.flush()
        assert listings.place_name(session, "330106") == "杭州市西湖新区"
        session.rollback()
        assert listings.place_name(session, "330106") == "杭州市西湖区"
    jurisdictions.forget(engine)
