"""The migrations build exactly the models' schema, and the invariants hold in the database."""
from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models import Application, Base, Expert, Jurisdiction
from models.enums import ApplicationState, DesignationState
from models.schema import migrate
from tests.builders import application_in, new_enterprise, user
from tests.conftest import BACKENDS, fresh_database
from workflow import panels


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


@pytest.fixture(params=BACKENDS)
def fresh_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    with fresh_database(request.param, tmp_path) as engine:
        yield engine


def test_going_back_before_0009_gives_each_panel_its_list_of_excluded_experts_again(fresh_engine: Engine) -> None:
    now = datetime.fromisoformat("2026-11-23T10:00:00+08:00")
    with Session(fresh_engine) as session:
        app = application_in(session, ApplicationState.under_review, now)
        session.scalars(select(Expert).where(Expert.name == "李晓梅")).one().employer_uscc = app.enterprise.uscc
        panel = panels.draw(session, user(session, "hz_city"), app, now, seed="0009")
        panel_id, excluded = panel.id, panels.excluded_experts(panel.report)
        session.commit()
    assert [x["expert"] for x in excluded] == ["李晓梅"]
    migrate(fresh_engine, command.downgrade, "0008")
    with fresh_engine.connect() as connection:
        kept = connection.scalar(text("SELECT excluded FROM panels WHERE id = :id"), {"id": panel_id})
    assert (json.loads(kept) if isinstance(kept, str) else kept) == excluded
    migrate(fresh_engine, command.upgrade, "head")
    with fresh_engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
        assert connection.scalar(text("SELECT report FROM panels WHERE id = :id"), {"id": panel_id})


def test_going_back_before_0011_writes_a_line_for_each_excluded_expert_and_forward_again_groups_them(
    fresh_engine: Engine,
) -> None:
    now = datetime.fromisoformat("2026-11-23T10:00:00+08:00")
    with Session(fresh_engine) as session:
        app = application_in(session, ApplicationState.under_review, now)
        for name in ("李晓梅", "周强"):  # two employees of the applicant: one reason for both
            session.scalars(select(Expert).where(Expert.name == name)).one().employer_uscc = app.enterprise.uscc
        panel = panels.draw(session, user(session, "hz_city"), app, now, seed="0011")
        # a vacancy recorded by a replacement keeps its excluded experts the same way
        panel.report = {**panel.report, "vacancies": [{"message": "无法补充专家", "places": 1,
                                                       "exclusions": panel.report["exclusions"]}]}
        panel_id, report = panel.id, panel.report
        ids = sorted(session.scalars(select(Expert.id).where(Expert.name.in_(["李晓梅", "周强"]))))
        session.commit()
    assert [(e["rules"], [i for i, _ in e["experts"]]) for e in report["exclusions"]] == [(["employer"], ids)]
    lines = panels.excluded_experts(report)
    assert [(x["expert_id"], x["rule"], x["reason"]) for x in lines] == [(i, "employer", "任职于申报单位") for i in ids]

    def stored() -> dict:
        with fresh_engine.connect() as connection:
            kept = connection.scalar(text("SELECT report FROM panels WHERE id = :id"), {"id": panel_id})
        return json.loads(kept) if isinstance(kept, str) else kept

    migrate(fresh_engine, command.downgrade, "0010")
    before = stored()
    assert "exclusions" not in before and before["excluded"] == before["vacancies"][0]["excluded"] == lines
    migrate(fresh_engine, command.upgrade, "head")
    assert stored() == json.loads(json.dumps(report))


def test_an_application_keeps_its_enterprise_place_and_0014_fills_it_in_for_those_made_before(
    fresh_engine: Engine,
) -> None:
    now = datetime.fromisoformat("2026-11-23T10:00:00+08:00")
    with Session(fresh_engine) as session:
        app = application_in(session, ApplicationState.submitted, now)
        elsewhere = application_in(session, ApplicationState.submitted, now,
                                   applicant=new_enterprise(session, 7, county="330106"))
        assert app.place_code == app.enterprise.jurisdiction_code == "330114"  # 钱塘区
        assert elsewhere.place_code == "330106"  # 西湖区
        session.commit()
        every = "SELECT applications.id, applications.place_code, enterprises.jurisdiction_code FROM applications " \
                "JOIN enterprises ON enterprises.id = applications.enterprise_id ORDER BY applications.id"
        made = session.execute(text(every)).all()
    assert {place for _, place, _ in made} == {"330114", "330106"} and all(place == home for _, place, home in made)

    migrate(fresh_engine, command.downgrade, "0013")
    with fresh_engine.connect() as connection:
        assert "place_code" not in connection.execute(text("SELECT * FROM applications")).keys()
    migrate(fresh_engine, command.upgrade, "head")

    with fresh_engine.connect() as connection:
        assert connection.execute(text(every)).all() == made
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []  # its indexes and foreign key too
