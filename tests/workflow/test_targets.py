"""Plan targets (规划目标): the policy targets are there once, and count what a clerk would count."""
from __future__ import annotations

from datetime import date

from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import Designation
from models.enums import DesignationState as D
from models.enums import Tier
from models.targets import Counting, Target, TargetTier
from tests.web.apiclient import Api
from tests.workflow.test_stats import designation_row, enterprise_row, programme_row
from workflow import targets

TODAY = date(2025, 6, 30)


def by_key(rows: list[dict]) -> dict[str, dict]:  # type: ignore[type-arg]
    return {row["key"]: row for row in rows}


def test_the_policy_targets_are_seeded_once_with_their_numbers(db: Session) -> None:
    assert targets.seed_policy_targets(db) == []  # the demo seed has added them already

    hangzhou = {t.key: t for t in targets.targets_of(db, "330100")}
    factories = hangzhou["hz-2025-factories"]
    assert (factories.target, factories.tier, factories.counting, factories.due) == (
        400, TargetTier.city_or_above, Counting.active_total, date(2025, 12, 31))
    assert hangzhou["hz-2025-parks"].target == 10
    zhejiang = {t.key: t for t in targets.targets_of(db, "330000")}
    assert (zhejiang["zj-2024-new-factories"].target, zhejiang["zj-2024-new-factories"].since) == (
        300, date(2022, 1, 1))
    assert zhejiang["zj-2024-new-parks"].target == 30
    anqing = {t.key: t for t in targets.targets_of(db, "340800")}
    assert anqing["aq-2030-provincial-factories"].target == 80
    assert anqing["aq-2030-provincial-factories"].approximate  # 80家左右
    assert anqing["aq-2030-national-factories"].target == 40
    assert not anqing["aq-2030-national-factories"].approximate  # 40户以上
    assert anqing["aq-2030-supply-chains"].target == 5
    assert anqing["aq-2030-parks"].target == 6
    assert "杭州市工业领域碳达峰实施方案" in factories.source
    assert db.scalar(select(func.count(Target.id))) == 8


def a_hangzhou_factory(db: Session, tier: Tier = Tier.city, state: D = D.active) -> Designation:
    """A designation of a factory in Qiantang district, Hangzhou."""
    code = {Tier.city: "330100", Tier.province: "330000"}[tier]
    return designation_row(db, enterprise_row(db, "330114"), programme_row(db, tier=tier, code=code), state)


def test_valid_designations_count_towards_a_total_and_suspended_ones_do_not(db: Session) -> None:
    designation = a_hangzhou_factory(db)

    def achieved() -> int:
        return by_key(targets.progress(db, "330100", TODAY))["hz-2025-factories"]["achieved"]

    assert achieved() == 1
    designation.state = D.rectifying
    db.flush()
    assert achieved() == 1  # still valid while it rectifies
    for state in (D.suspended, D.expired, D.withdrawn):
        designation.state = state
        db.flush()
        assert achieved() == 0, state
    a_hangzhou_factory(db, state=D.active)
    row = by_key(targets.progress(db, "330100", TODAY))["hz-2025-factories"]
    assert (row["achieved"], row["target"], row["due"], row["percent"]) == (1, 400, "2025-12-31", 0.2)


def test_a_provincial_designation_counts_for_the_city_where_the_factory_is(db: Session) -> None:
    a_hangzhou_factory(db, Tier.province)

    hangzhou = by_key(targets.progress(db, "330100", TODAY))
    assert hangzhou["hz-2025-factories"]["achieved"] == 1  # 市级及以上
    assert hangzhou["hz-2025-parks"]["achieved"] == 0
    assert by_key(targets.progress(db, "340800", TODAY))["aq-2030-provincial-factories"]["achieved"] == 0


def test_new_designations_count_only_inside_the_period_and_revoked_ones_never(db: Session) -> None:
    designation = a_hangzhou_factory(db, Tier.province)
    designation.valid_from = date(2021, 12, 31)
    db.flush()

    def achieved() -> int:
        return by_key(targets.progress(db, "330000", TODAY))["zj-2024-new-factories"]["achieved"]

    assert achieved() == 0  # granted the day before the plan's period began
    designation.valid_from = date(2022, 1, 1)
    db.flush()
    assert achieved() == 1
    designation.valid_from = date(2025, 1, 1)
    db.flush()
    assert achieved() == 0  # after the due date
    designation.valid_from = date(2024, 12, 31)
    designation.state, designation.reason_code = D.revoked, "falsified_data"
    db.flush()
    assert achieved() == 0


def test_progress_says_how_far_and_whether_the_date_has_passed(db: Session) -> None:
    rows = by_key(targets.progress(db, "330100", date(2026, 1, 1)))

    assert rows["hz-2025-parks"]["percent"] == 0
    assert rows["hz-2025-parks"]["overdue"] is True
    assert by_key(targets.progress(db, "330100", TODAY))["hz-2025-parks"]["overdue"] is False


# The API ------------------------------------------------------------------------------------------

def test_the_city_reads_its_targets_with_what_is_achieved(client: FlaskClient, db: Session) -> None:
    a_hangzhou_factory(db)
    db.commit()

    rows = Api(client, "hz_city").get("/stats/targets?jurisdiction=330100")

    assert [r["key"] for r in rows] == ["hz-2025-factories", "hz-2025-parks"]
    first = rows[0]
    assert {k: first[k] for k in ("label", "kind", "tier", "target", "achieved", "due")} == {
        "label": "市级及以上绿色低碳工厂", "kind": "factory", "tier": "city_or_above", "target": 400,
        "achieved": 1, "due": "2025-12-31"}


def test_the_province_reads_a_city_s_targets_and_a_county_may_not(client: FlaskClient) -> None:
    assert len(Api(client, "zj_province").get("/stats/targets?jurisdiction=330100")) == 2
    assert [r["key"] for r in Api(client, "zj_province").get("/stats/targets")] == [
        "zj-2024-new-factories", "zj-2024-new-parks"]  # its own by default

    refused = Api(client, "qt_county").get("/stats/targets?jurisdiction=330100", expect=403)
    assert refused["error"]["code"] == "forbidden"
    Api(client, "aq_city").get("/stats/targets?jurisdiction=330100", expect=403)
    Api(client, "qt_newmat").get("/stats/targets?jurisdiction=330100", expect=403)
    assert Api(client).get("/stats/targets?jurisdiction=330100", expect=401)["error"]["code"] == "unauthorized"
    unknown = Api(client, "hz_city").get("/stats/targets?jurisdiction=999999", expect=422)
    assert "999999" in unknown["error"]["message"]
