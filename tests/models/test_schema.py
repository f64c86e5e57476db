"""The migrations build exactly the models' schema, and the invariants hold in the database."""
from __future__ import annotations


import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from models import Application, Base, Jurisdiction
from models.enums import ApplicationState, DesignationState


def test_migrations_match_the_models(engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_a_designated_application_has_a_designation_date(db) -> None:
    app = db.scalars(select(Application)).first()
    if app is None:
        from datetime import datetime

        from tests.builders import application_in

        app = application_in(db, ApplicationState.draft, datetime.fromisoformat("2026-11-23T10:00:00+08:00"))
    app.state = ApplicationState.designated
    with pytest.raises(IntegrityError):
        with db.begin_nested():
            db.flush()


def test_a_revoked_designation_has_a_reason_code(db) -> None:
    from datetime import datetime

    from tests.builders import designation_in

    designation = designation_in(db, DesignationState.active, datetime.fromisoformat("2026-11-23T10:00:00+08:00"))
    designation.state = DesignationState.revoked
    with pytest.raises(IntegrityError):
        with db.begin_nested():
            db.flush()


def test_states_outside_the_enum_are_refused(db) -> None:
    from sqlalchemy import text

    with pytest.raises(IntegrityError):
        with db.begin_nested():
            db.execute(text("INSERT INTO jurisdictions (code, name, level) VALUES ('999999', '银河', 'galaxy')"))


def test_reference_jurisdictions_form_a_tree(db) -> None:
    rows = {j.code: j for j in db.scalars(select(Jurisdiction))}
    assert rows["330114"].name == "钱塘区" and rows["330114"].parent.code == "330100"
    assert rows["340881"].name == "桐城市" and rows["340881"].parent.parent.code == "340000"
    assert rows["330100"].bureau_name == "杭州市经济和信息化局"
    assert rows["330000"].bureau_name == "浙江省经济和信息化厅"
