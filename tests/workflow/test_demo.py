"""The demo worlds: the small one every test database starts from, and the rich one of
`greencert demo`, in which every console page has something real to show."""
from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

import evaluators
from models import (
    Application,
    Designation,
    Enterprise,
    Expert,
    OutboxItem,
    Programme,
    TransitionLog,
    User,
    YearlyReport,
)
from models.enums import ApplicationState, DesignationState, ReportState
from models.targets import Target
from workflow import demo, listings, stats
from workflow.clock import local_date


def total(db: Session, column: object) -> int:
    return db.scalar(select(func.count(column)))


def test_the_small_world_of_every_test_database(db: Session) -> None:
    assert {u.username for u in db.scalars(select(User))} >= {
        "hz_city", "hz_city2", "qt_county", "xh_county", "zj_province", "aq_city", "qt_newmat", "admin"}
    assert sorted(db.scalars(select(Programme.jurisdiction_code))) == ["330100", "340800"]
    assert total(db, Expert.id) == 7
    assert total(db, Application.id) == 0 and total(db, Designation.id) == 0
    assert total(db, Target.id) == 8  # the plan targets of the policy documents


def test_the_rich_world_has_something_real_on_every_page(db: Session) -> None:
    now = datetime.now(UTC)
    demo.seed_world(db, now)

    assert {s for (s,) in db.execute(select(Application.state).distinct())} == set(ApplicationState)
    assert {s for (s,) in db.execute(select(Designation.state).distinct())} == set(DesignationState)
    enterprises = list(db.scalars(select(Enterprise)))
    assert 45 <= len(enterprises) <= 55
    assert all(evaluators.uscc_problem(e.uscc) is None for e in enterprises)
    divisions = {code[:3] for e in enterprises for code in e.industry_codes}
    assert {"C30", "C26", "C17", "C28", "C34", "C38"} <= divisions  # 建材、化工、纺织化纤、装备制造
    assert {e.jurisdiction_code[:4] for e in enterprises} == {"3301", "3408"}
    assert total(db, Expert.id) > 7
    assert db.scalar(select(func.max(TransitionLog.at))) <= now  # nothing happens in the future
    assert db.scalar(select(func.max(Application.submitted_at))) <= now
    overdue = db.scalar(select(func.count(YearlyReport.id)).where(YearlyReport.state == ReportState.overdue))
    assert overdue >= 3
    certificates = db.scalar(select(func.count(OutboxItem.id)).where(OutboxItem.function == "render_certificate"))
    assert certificates == total(db, Designation.id)  # left to the outbox, not rendered while seeding

    today = local_date(now)
    for code in ("330100", "340800", "330000"):
        board = stats.dashboard(db, code, today)
        assert board.on_record > 0 and board.turnaround.count > 0, code
        assert board.funnel[0].value > board.funnel[-1].value > 0, code
        assert any(t["achieved"] > 0 for t in board.targets), code
    assert stats.dashboard(db, "330100", today).overdue_reports
    for username in ("hz_city", "aq_city", "qt_county"):
        actor = db.scalars(select(User).where(User.username == username)).one()
        scope = listings.scope_of(db, actor)
        for listing in listings.LISTINGS.values():
            page = listings.fetch(db, listing, scope, listings.ListQuery())
            assert page.total > 0, (username, listing.name)

    before = (total(db, Application.id), total(db, Designation.id), total(db, User.id))
    demo.seed_world(db, now)
    assert (total(db, Application.id), total(db, Designation.id), total(db, User.id)) == before
