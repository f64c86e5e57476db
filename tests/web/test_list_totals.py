"""The exact totals of the lists are kept in Redis between pages (workflow.totals), and never
outlive a change: any committed change to the listed records, however it is made, has the next
page count afresh; each area keeps its own total; without Redis every page counts."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from redis import Redis
from sqlalchemy import Engine, insert
from sqlalchemy.orm import Session, sessionmaker

from models import Application, Enterprise, Programme
from models.enums import ApplicationState as S
from models.enums import DesignationState as D
from tests.conftest import REDIS_URL, app_over, statements_sent
from tests.web.apiclient import Api
from tests.web.test_console import hangzhou_and_anqing
from tests.workflow.test_stats import application_row, designation_row, enterprise_row, programme_row
from workflow import runtime, totals


@pytest.fixture
def kept(factory: sessionmaker[Session], tmp_path: Path) -> Iterator[FlaskClient]:
    """A client of an app whose totals are kept in the test's Redis database, emptied first."""
    try:
        Redis.from_url(REDIS_URL).flushdb()
    except Exception as error:  # noqa: BLE001
        pytest.fail(f"Redis is not available at {REDIS_URL}: {error}")
    yield app_over(factory, tmp_path, REDIS_URL=REDIS_URL).test_client()


def statements(engine: Engine, api: Api, path: str) -> tuple[int, int]:
    with statements_sent(engine) as sent:
        total = api.get(path)["total"]
    return total, len(sent)


def test_a_kept_total_is_counted_afresh_after_every_committed_change(kept: FlaskClient, db: Session,
                                                                    engine: Engine) -> None:
    records = hangzhou_and_anqing(db)
    db.commit()
    api = Api(kept, "hz_city")
    api.get("/applications")  # the jurisdictions are read once per process, not the point here

    first, counted = statements(engine, api, "/applications?state=submitted")
    again, read = statements(engine, api, "/applications?state=submitted&page=2&sort=-submitted_at")
    assert first == again == 1
    assert read == counted - 1  # the second page reads the kept total instead of counting

    application_row(db, records["waiting"].enterprise, records["waiting"].programme, S.submitted)
    db.commit()
    assert api.get("/applications?state=submitted")["total"] == 2

    db.execute(insert(Application), [{  # a bulk insert bypasses the session's flush
        "programme_id": records["waiting"].programme_id, "enterprise_id": records["waiting"].enterprise_id,
        "place_code": records["waiting"].place_code, "state": S.submitted, "holding_jurisdiction_code": "330114", "guideline": records["waiting"].guideline,
        "data": {}, "submitted_at": records["waiting"].submitted_at, "version": 1}])
    db.commit()
    assert api.get("/applications?state=submitted")["total"] == 3

    assert api.get("/applications?q=改名")["total"] == 0
    records["waiting"].enterprise.name = "杭州钱塘改名包装有限公司"  # the search is on the holder's name
    db.commit()
    assert api.get("/applications?q=改名")["total"] == 4  # its three submitted and one designated


def test_a_transition_moves_its_application_between_the_kept_totals(kept: FlaskClient, db: Session) -> None:
    """A transition writes its application with one versioned UPDATE, not through the flush."""
    records = hangzhou_and_anqing(db)
    db.commit()
    waiting = records["waiting"].id
    Api(kept, "qt_county").post(f"/applications/{waiting}/actions/recommend", {})  # on to the city
    city = Api(kept, "hz_city")
    submitted, evaluating = (city.get(f"/applications?state={s}")["total"] for s in ("submitted", "evaluating"))

    city.post(f"/applications/{waiting}/actions/accept", {})

    assert city.get("/applications?state=submitted")["total"] == submitted - 1
    assert city.get("/applications?state=evaluating")["total"] == evaluating + 1


def test_a_change_rolled_back_leaves_the_kept_total_as_it_was(kept: FlaskClient, db: Session,
                                                             factory: sessionmaker[Session]) -> None:
    records = hangzhou_and_anqing(db)
    db.commit()
    api = Api(kept, "hz_city")
    assert api.get("/applications")["total"] == 4

    other, waiting = factory(), records["waiting"]
    application_row(other, other.get(Enterprise, waiting.enterprise_id), other.get(Programme, waiting.programme_id))
    other.rollback()
    other.close()

    assert api.get("/applications")["total"] == 4


def test_each_area_keeps_its_own_total(kept: FlaskClient, db: Session) -> None:
    hangzhou_and_anqing(db)
    db.commit()

    assert Api(kept, "hz_city").get("/applications")["total"] == 4
    assert Api(kept, "qt_county").get("/applications")["total"] == 2  # Qiantang's own two
    assert Api(kept, "zj_province").get("/applications")["total"] == 4
    assert Api(kept, "admin").get("/applications")["total"] == 6  # and the two in Anqing


def test_the_directory_keeps_its_total_until_the_register_changes(kept: FlaskClient, db: Session) -> None:
    city = programme_row(db)
    holder = enterprise_row(db, "330114", "杭州钱塘名录测试有限公司")
    designation = designation_row(db, holder, city)
    db.commit()
    public = Api(kept)
    assert public.get("/directory?q=名录测试&status=active")["total"] == 1

    designation.state = D.suspended
    db.commit()

    assert public.get("/directory?q=名录测试&status=active")["total"] == 0
    assert public.get("/directory?q=名录测试&status=suspended")["total"] == 1


def test_without_redis_every_page_counts(factory: sessionmaker[Session], tmp_path: Path, db: Session,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(totals, "_down_until", 0.0)
    monkeypatch.setattr(runtime, "_current", runtime._current)  # the next tests do not try this Redis
    records = hangzhou_and_anqing(db)
    db.commit()
    unreachable = app_over(factory, tmp_path, REDIS_URL="redis://127.0.0.1:1/0").test_client()
    api = Api(unreachable, "hz_city")
    assert api.get("/applications")["total"] == 4

    application_row(db, records["waiting"].enterprise, records["waiting"].programme, S.submitted)
    db.commit()

    assert api.get("/applications")["total"] == 5
