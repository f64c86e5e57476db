"""Every state × trigger of the designation lifecycle (ARCHITECTURE §5, 有进有出)."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from models import TransitionLog
from models.enums import CertificateStatus
from models.enums import DesignationState as D
from tests.builders import designation_in, user
from workflow import designations
from workflow.actors import SYSTEM
from workflow.clock import CHINA
from workflow.designation_machine import TABLE
from workflow.errors import Forbidden, Invalid, NotPossible

NOW = datetime.fromisoformat("2026-11-23T10:00:00+08:00")
LIVE = (D.active, D.rectifying, D.suspended)
ALLOWED = {
    (D.active, "require_rectification"): D.rectifying,
    (D.rectifying, "confirm_rectified"): D.active,
    (D.active, "suspend"): D.suspended,
    (D.rectifying, "suspend"): D.suspended,
    (D.suspended, "reinstate"): D.active,
    (D.active, "renew"): D.active,
    **{(s, "propose_revocation"): s for s in LIVE},
    **{(s, "revoke"): D.revoked for s in LIVE},
    **{(s, "expire"): D.expired for s in LIVE},
    **{(s, "withdraw"): D.withdrawn for s in LIVE},
}
PAIRS = [(state, trigger) for state in D for trigger in TABLE.triggers]


def test_table_is_the_declared_one() -> None:
    declared = {(source, row.trigger) for row in TABLE.rows for source in row.sources}
    assert declared == set(ALLOWED)


def _fire(db, designation, state, trigger):
    city, city2 = user(db, "hz_city"), user(db, "hz_city2")
    if trigger == "revoke":
        if not designation.proposal:
            designations.act(db, city, designation, "propose_revocation", NOW, reason="数据弄虚作假",
                             reason_code="falsified_data")
        return designations.act(db, city2, designation, "revoke", NOW)
    if trigger == "expire":
        end = designation.valid_until + timedelta(days=1)
        return designations.act(db, SYSTEM, designation, "expire", datetime(end.year, end.month, end.day, tzinfo=CHINA))
    if trigger == "renew":  # considered in the last six months of validity
        last = designation.valid_until - timedelta(days=30)
        return designations.act(db, city, designation, "renew", datetime(last.year, last.month, last.day, tzinfo=CHINA),
                                reason="复评合格")
    if trigger == "withdraw":
        return designations.act(db, user(db, "qt_newmat"), designation, "withdraw", NOW, reason="企业转产")
    return designations.act(db, city, designation, trigger, NOW, reason="依据年度复核结果",
                            reason_code="non_compliant")


@pytest.mark.parametrize(("state", "trigger"), PAIRS, ids=[f"{s}-{t}" for s, t in PAIRS])
def test_state_trigger(db, state: D, trigger: str) -> None:
    designation = designation_in(db, state, NOW)
    assert designation.state is state
    logged = db.scalar(select(func.count()).select_from(TransitionLog))
    if (state, trigger) not in ALLOWED:
        with pytest.raises(NotPossible) as refused:
            _fire(db, designation, state, trigger)
        assert refused.value.status == 409
        assert designation.state is state
        assert db.scalar(select(func.count()).select_from(TransitionLog)) == logged
        return
    _fire(db, designation, state, trigger)
    assert designation.state is ALLOWED[(state, trigger)]
    assert db.scalar(select(func.count()).select_from(TransitionLog)) > logged


def test_revocation_needs_a_second_staff_member(db) -> None:
    designation = designation_in(db, D.active, NOW)
    city = user(db, "hz_city")
    assert "revoke" not in designations.available_actions(db, city, designation)
    with pytest.raises(NotPossible, match="尚无撤销提议"):
        designations.act(db, user(db, "hz_city2"), designation, "revoke", NOW)
    designations.act(db, city, designation, "propose_revocation", NOW, reason="发生较大生产安全事故",
                     reason_code="major_accident")
    assert designation.state is D.active
    assert "revoke" not in designations.available_actions(db, city, designation)
    assert "revoke" in designations.available_actions(db, user(db, "hz_city2"), designation)
    with pytest.raises(Forbidden, match="另一名工作人员"):
        designations.act(db, city, designation, "revoke", NOW)
    designations.act(db, user(db, "hz_city2"), designation, "revoke", NOW)
    assert designation.state is D.revoked
    assert designation.reason_code.value == "major_accident"
    assert designation.reason == "发生较大生产安全事故"
    assert designation.certificate.status is CertificateStatus.void


def test_other_staff_and_strangers_are_refused(db) -> None:
    designation = designation_in(db, D.active, NOW)
    for username in ("qt_county", "aq_city", "zj_province", "expert_wang"):
        with pytest.raises(Forbidden):
            designations.act(db, user(db, username), designation, "suspend", NOW, reason="x")
    with pytest.raises(Forbidden):
        designations.act(db, user(db, "hz_city"), designation, "expire", NOW)


def test_suspension_is_at_most_six_months_and_needs_reasons(db) -> None:
    designation = designation_in(db, D.active, NOW)
    city = user(db, "hz_city")
    with pytest.raises(Invalid, match="理由"):
        designations.act(db, city, designation, "suspend", NOW)
    with pytest.raises(Invalid, match="最长6个月"):
        designations.act(db, city, designation, "suspend", NOW, reason="整改", until="2027-12-01")
    designations.act(db, city, designation, "suspend", NOW, reason="整改", until="2027-03-01")
    assert designation.suspended_until.isoformat() == "2027-03-01"


def test_expiry_waits_for_the_end_of_validity(db) -> None:
    designation = designation_in(db, D.active, NOW)
    with pytest.raises(NotPossible, match="有效期尚未届满"):
        designations.act(db, SYSTEM, designation, "expire", NOW)


def test_renewal_extends_validity_and_reissues_the_certificate(db) -> None:
    designation = designation_in(db, D.active, NOW)
    old_number, old_until = designation.certificate.number, designation.valid_until
    with pytest.raises(NotPossible, match="有效期届满前6个月内方可延续"):
        designations.act(db, user(db, "hz_city"), designation, "renew", NOW, reason="复评合格")
    assert "renew" not in designations.available_actions(db, user(db, "hz_city"), designation)
    window = datetime(old_until.year, old_until.month, 1, tzinfo=CHINA)
    designations.act(db, user(db, "hz_city"), designation, "renew", window, reason="复评合格")
    assert designation.valid_until.year == old_until.year + 3
    assert designation.certificate.number != old_number
    assert [c.status.value for c in designation.certificates] == ["superseded", "pending"]


def test_a_provincial_application_needs_the_city_designation(db) -> None:
    from datetime import date

    from models.enums import Kind, Tier
    from workflow import applications

    province = applications.create_programme(
        db, user(db, "zj_province"), kind=Kind.factory, tier=Tier.province, jurisdiction="330000",
        guideline="factory-gbt36132-2018", opens_on=date(2026, 11, 1), closes_on=date(2027, 1, 31), pass_mark=85.0)
    with pytest.raises(NotPossible, match="须已获得有效的市级认定"):
        applications.create_application(db, user(db, "qt_newmat"), province.id, NOW)
    designation_in(db, D.active, NOW)
    assert applications.create_application(db, user(db, "qt_newmat"), province.id, NOW).state.value == "draft"
