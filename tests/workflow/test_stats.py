"""The bureau's dashboard: the figures a clerk reads off it, counted by hand in each test.

Records are written as rows (`*_row` below) rather than walked through the workflow: a
dashboard reads what is there, however it got there, and rows keep these tests fast. The
helpers are shared with tests/web/test_console.py.
"""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import count

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from models import Application, Designation, Enterprise, Programme, TransitionLog, YearlyReport
from models.enums import KIND_LABELS, TIER_LABELS, Kind, ReportState, RevocationReason, Tier
from models.enums import ApplicationState as S
from models.enums import DesignationState as D
from tests.web.apiclient import Api
from workflow import stats
from workflow.demo import with_check

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
TODAY = date(2026, 11, 20)
_numbers = count(1)


def enterprise_row(db: Session, county: str = "330114", name: str | None = None,
                   industry: tuple[str, ...] = ("C3021",)) -> Enterprise:
    number = next(_numbers)
    enterprise = Enterprise(uscc=with_check(f"91{county}MA2T{number:04d}Q"),
                            name=name or f"统计测试企业{number:04d}有限公司", jurisdiction_code=county,
                            industry_codes=list(industry), created_at=NOW)
    db.add(enterprise)
    db.flush()
    return enterprise


def programme_row(db: Session, kind: Kind = Kind.factory, tier: Tier = Tier.city, code: str = "330100") -> Programme:
    programme = Programme(title=f"2025年统计测试{TIER_LABELS[tier]}{KIND_LABELS[kind]}申报", kind=kind, tier=tier, jurisdiction_code=code,
                          guideline="factory-gbt36132-2018", opens_on=date(2025, 3, 1),
                          closes_on=date(2025, 4, 30), pass_mark=80.0)
    db.add(programme)
    db.flush()
    return programme


def application_row(db: Session, enterprise: Enterprise, programme: Programme, state: S = S.submitted,
                    submitted: datetime | None = NOW, designated: datetime | None = None,
                    flush: bool = True) -> Application:
    app = Application(programme=programme, enterprise=enterprise, state=state, guideline=programme.guideline,
                      holding_jurisdiction_code=enterprise.jurisdiction_code, data={},
                      submitted_at=None if state is S.draft else submitted,
                      designated_at=(designated or NOW) if state is S.designated else None,
                      created_at=NOW, updated_at=NOW)
    db.add(app)
    if flush:
        db.flush()
    return app


def designation_row(db: Session, enterprise: Enterprise, programme: Programme, state: D = D.active,
                    valid_from: date = date(2025, 6, 1)) -> Designation:
    app = application_row(db, enterprise, programme, S.designated)
    designation = Designation(
        application_id=app.id, enterprise_id=enterprise.id, programme_id=programme.id, kind=programme.kind,
        tier=programme.tier, jurisdiction_code=programme.jurisdiction_code, state=state, valid_from=valid_from,
        valid_until=valid_from.replace(year=valid_from.year + 3) - timedelta(days=1),
        reason_code=RevocationReason.falsified_data if state is D.revoked else None)
    db.add(designation)
    db.flush()
    return designation


def count_of(counts: list[stats.Count]) -> dict[str, int]:
    return {c.label: c.value for c in counts}


def test_designations_on_record_by_kind_tier_status_and_district(db: Session) -> None:
    city_factory, city_park = programme_row(db), programme_row(db, Kind.park)
    provincial = programme_row(db, tier=Tier.province, code="330000")
    designation_row(db, enterprise_row(db, "330114"), city_factory)  # 钱塘区
    designation_row(db, enterprise_row(db, "330114"), city_factory, D.rectifying)
    designation_row(db, enterprise_row(db, "330109"), city_factory, D.suspended)  # 萧山区
    designation_row(db, enterprise_row(db, "330109"), provincial)
    designation_row(db, enterprise_row(db, "330110"), city_park)  # 余杭区
    designation_row(db, enterprise_row(db, "330110"), city_factory, D.revoked)  # not on record
    designation_row(db, enterprise_row(db, "340811"), programme_row(db, code="340800"))  # 安庆, elsewhere

    board = stats.dashboard(db, "330100", TODAY)

    assert board.on_record == 5
    assert count_of(board.by_kind) == {"绿色低碳工厂": 4, "绿色低碳工业园区": 1, "绿色供应链管理企业": 0}
    assert count_of(board.by_tier) == {"县级": 0, "市级": 4, "省级": 1, "国家级": 0}
    by_state = count_of(board.by_state)
    assert (by_state["有效"], by_state["整改中"], by_state["暂停"], by_state["已撤销"]) == (3, 1, 1, 1)
    district = count_of(board.by_district)
    assert len(district) == 13  # every district and county of Hangzhou, also those with none
    assert (district["钱塘区"], district["萧山区"], district["余杭区"], district["西湖区"]) == (2, 2, 1, 0)

    county = stats.dashboard(db, "330114", TODAY)
    assert county.on_record == 2 and count_of(county.by_district) == {"钱塘区": 2}
    province = count_of(stats.dashboard(db, "330000", TODAY).by_district)
    assert province["杭州市"] == 5 and province["宁波市"] == 0


def _log(db: Session, app: Application, *moves: tuple[str, str]) -> None:
    for from_state, to_state in moves:
        db.add(TransitionLog(entity="application", entity_id=app.id, trigger="test", from_state=from_state,
                             to_state=to_state, actor_label="测试", at=NOW))
    db.flush()


def test_the_funnel_counts_each_application_once_at_every_stage_it_reached(db: Session) -> None:
    programme = programme_row(db)
    designated = application_row(db, enterprise_row(db), programme, S.designated)
    _log(db, designated, ("draft", "submitted"), ("submitted", "returned"), ("returned", "submitted"),
         ("submitted", "submitted"), ("submitted", "evaluating"), ("evaluating", "under_review"),
         ("under_review", "reviewed"), ("reviewed", "public_notice"), ("public_notice", "designated"))
    rejected = application_row(db, enterprise_row(db), programme, S.rejected)
    _log(db, rejected, ("draft", "submitted"), ("submitted", "evaluating"), ("evaluating", "under_review"),
         ("under_review", "reviewed"), ("reviewed", "rejected"))
    waiting = application_row(db, enterprise_row(db), programme, S.submitted)
    _log(db, waiting, ("draft", "submitted"))
    application_row(db, enterprise_row(db), programme, S.draft)  # drafts are the applicant's own
    elsewhere = application_row(db, enterprise_row(db, "340811"), programme_row(db, code="340800"))
    _log(db, elsewhere, ("draft", "submitted"))

    board = stats.dashboard(db, "330100", TODAY)

    assert [(c.label, c.value) for c in board.funnel] == [
        ("已提交", 3), ("受理并自动评价", 2), ("进入专家评审", 2), ("评审完成", 2), ("公示", 1), ("认定", 1)]
    states = count_of(board.by_application_state)
    assert (states["已认定"], states["未通过"], states["已提交"]) == (1, 1, 1)
    assert "草稿" not in states


def test_review_turnaround_is_the_median_of_days_from_submission_to_designation(db: Session) -> None:
    factory, park = programme_row(db), programme_row(db, Kind.park)
    for programme, days in ((factory, 30), (factory, 45), (factory, 90), (park, 60)):
        application_row(db, enterprise_row(db), programme, S.designated, submitted=NOW - timedelta(days=days),
                        designated=NOW)
    application_row(db, enterprise_row(db), factory, S.public_notice, submitted=NOW - timedelta(days=400))

    turnaround = stats.dashboard(db, "330100", TODAY).turnaround

    assert turnaround.count == 4
    assert turnaround.median_days == 52.5  # (45 + 60) / 2
    assert (turnaround.fastest_days, turnaround.slowest_days) == (30, 90)
    assert turnaround.by_kind == [("绿色低碳工厂", 3, 45), ("绿色低碳工业园区", 1, 60)]
    assert stats.dashboard(db, "340800", TODAY).turnaround.median_days is None


def test_overdue_yearly_reports_are_listed_also_before_the_tick_marks_them(db: Session) -> None:
    programme = programme_row(db)
    late = designation_row(db, enterprise_row(db, name="杭州迟报测试有限公司"), programme)
    marked = designation_row(db, enterprise_row(db, name="杭州逾期测试有限公司"), programme)
    early = designation_row(db, enterprise_row(db), programme)
    filed = designation_row(db, enterprise_row(db), programme)
    for designation, due, state in ((late, TODAY - timedelta(days=1), ReportState.due),
                                    (marked, TODAY - timedelta(days=40), ReportState.overdue),
                                    (early, TODAY + timedelta(days=1), ReportState.due),
                                    (filed, TODAY - timedelta(days=5), ReportState.submitted)):
        db.add(YearlyReport(designation_id=designation.id, year=2025, due_on=due, state=state))
    db.flush()

    overdue = stats.dashboard(db, "330100", TODAY).overdue_reports

    assert [(r.holder, r.days_late, r.place) for r in overdue] == [
        ("杭州逾期测试有限公司", 40, "钱塘区"), ("杭州迟报测试有限公司", 1, "钱塘区")]
    assert stats.dashboard(db, "330109", TODAY).overdue_reports == []


def test_the_dashboard_as_json_for_the_city_and_not_for_a_county(client: FlaskClient, db: Session) -> None:
    designation_row(db, enterprise_row(db, "330109"), programme_row(db))
    db.commit()

    board = Api(client, "hz_city").get("/stats/dashboard")

    assert board["jurisdiction"] == {"code": "330100", "name": "杭州市"}
    assert board["on_record"] == 1
    assert {d["label"]: d["count"] for d in board["designations"]["by_district"]}["萧山区"] == 1
    assert [t["key"] for t in board["targets"]] == ["hz-2025-factories", "hz-2025-parks"]
    assert Api(client, "hz_city").get("/stats/dashboard?jurisdiction=330109")["on_record"] == 1
    Api(client, "qt_county").get("/stats/dashboard?jurisdiction=330100", expect=403)
    Api(client).get("/stats/dashboard", expect=401)
