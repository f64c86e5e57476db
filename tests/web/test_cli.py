"""The `greencert` command: db upgrade, user add, tick --at, demo --no-serve."""
from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime

import pytest
from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Certificate, Jurisdiction, User
from models.enums import ApplicationState as S
from models.enums import CertificateStatus
from tests.builders import after_notice, application_in
from tests.conftest import PG_URL, drop_postgres_schema, new_postgres_schema
from web.cli import main
from workflow.db import make_engine

NOW = datetime.fromisoformat("2026-11-23T10:00:00+08:00")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request, tmp_path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'cli.db'}"
        return
    engine, schema = new_postgres_schema()
    engine.dispose()
    separator = "&" if "?" in PG_URL else "?"
    yield f"{PG_URL}{separator}options=-csearch_path%3D{schema}"
    drop_postgres_schema(schema)


@pytest.fixture
def run(database_url, tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("GREENCERT_INSTANCE", str(tmp_path / "instance"))
    monkeypatch.setenv("STORAGE_DIR", str(tmp_path / "files"))
    monkeypatch.delenv("REDIS_URL", raising=False)
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(main, list(args), catch_exceptions=False)

    return invoke


def test_db_upgrade_loads_the_reference_jurisdictions(run, database_url) -> None:
    result = run("db", "upgrade")
    assert result.exit_code == 0, result.output
    assert run("db", "upgrade").exit_code == 0  # idempotent
    engine = make_engine(database_url)
    with Session(engine) as session:
        names = dict(session.execute(select(Jurisdiction.code, Jurisdiction.name)).all())
        hangzhou = {c for c, in session.execute(select(Jurisdiction.code).where(Jurisdiction.parent_code == "330100"))}
        anqing = {c for c, in session.execute(select(Jurisdiction.code).where(Jurisdiction.parent_code == "340800"))}
    engine.dispose()
    assert names["330000"] == "浙江省" and names["330100"] == "杭州市" and names["340800"] == "安庆市"
    # Hangzhou after the 2021 reorganisation: 10 districts, 2 counties, 1 county-level city.
    assert hangzhou == {"330102", "330105", "330106", "330108", "330109", "330110", "330111", "330112",
                        "330113", "330114", "330122", "330127", "330182"}
    assert anqing == {"340802", "340803", "340811", "340822", "340825", "340826", "340827", "340828",
                      "340881", "340882"}


def test_user_add(run, database_url) -> None:
    assert run("db", "upgrade").exit_code == 0
    result = run("user", "add", "hz_staff", "--role", "staff", "--jurisdiction", "330100", "--password", "staff-2026")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["jurisdiction"] == "330100"
    assert run("user", "add", "hz_staff", "--role", "staff", "--jurisdiction", "330100",
               "--password", "staff-2026").exit_code == 2  # taken
    refused = run("user", "add", "nowhere", "--role", "staff", "--password", "staff-2026")
    assert refused.exit_code == 2 and "必须指定所属行政区划" in refused.stderr
    assert run("user", "add", "e1", "--role", "expert", "--password", "x").exit_code == 2  # too short
    assert run("user", "add", "boss", "--role", "admin", "--password", "admin-2026").exit_code == 0
    engine = make_engine(database_url)
    with Session(engine) as session:
        assert session.scalar(select(User.role).where(User.username == "boss")).value == "admin"
    engine.dispose()


def test_tick_closes_notices_once(run, database_url, tmp_path) -> None:
    assert run("demo", "--no-serve", "--bare").exit_code == 0
    engine = make_engine(database_url)
    with Session(engine) as session:
        app = application_in(session, S.public_notice, NOW)
        at = after_notice(app).isoformat()
        session.commit()
        app_id = app.id
    assert run("tick", "--at", "not-a-time").exit_code == 2
    early = json.loads(run("tick", "--at", NOW.isoformat()).stdout)
    assert early["designated"] == []
    first = json.loads(run("tick", "--at", at).stdout)
    assert first["designated"] == [app_id]
    second = json.loads(run("tick", "--at", at).stdout)
    assert second["designated"] == [] and second["notices_closed"] == []
    with Session(engine) as session:
        certificate = session.scalars(select(Certificate)).one()
        assert certificate.status is CertificateStatus.issued  # rendered in-process by the tick's relay
    engine.dispose()
    pdf = tmp_path / "files" / certificate.pdf_path
    verified = run("verify", str(pdf))
    assert verified.exit_code == 0 and json.loads(verified.stdout)["verdict"] == "valid"
    altered = tmp_path / "altered.pdf"
    altered.write_bytes(pdf.read_bytes() + b"\n%%EOF\n")
    refused = run("verify", str(altered))
    assert refused.exit_code == 1 and json.loads(refused.stdout)["verdict"] == "tampered"


def test_demo_prints_the_accounts(run) -> None:
    result = run("demo", "--no-serve", "--bare")
    assert result.exit_code == 0
    for username in ("admin", "hz_city", "qt_county", "expert_wang", "qt_newmat"):
        assert username in result.stderr
    assert "http://127.0.0.1:5000/" in result.stderr
    assert run("demo", "--no-serve", "--bare").exit_code == 0  # a second run seeds nothing twice
