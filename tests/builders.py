"""Data builders with traits: an application or a designation already in a given state,
reached through the real service functions (so every builder is also a path test)."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from evaluators.examples import example_document
from models import Application, Designation, Programme, User
from models.enums import ApplicationState as S
from models.enums import DesignationState as D
from workflow import accounts, applications, designations, jobs, panels, reviews
from workflow.actors import SYSTEM
from workflow.demo import with_check

GUIDELINE = "factory-gbt36132-2018"
FULL_SCORES = {"infrastructure": 18, "management": 14, "energy_resources": 13, "product": 9,
               "emissions": 9, "performance": 25}  # 88 points: above the pass mark of 80


def user(session: Session, username: str) -> User:
    return session.scalars(select(User).where(User.username == username)).one()


def hangzhou_programme(session: Session) -> Programme:
    return session.scalars(select(Programme).where(Programme.jurisdiction_code == "330100")).first()


def new_enterprise(session: Session, number: int = 1, county: str = "330114") -> User:
    """A second, third ... applicant with a valid credit code of its own."""
    _, account = accounts.register_enterprise(
        session, uscc=with_check(f"91{county}MA2K{number:04d}X"), name=f"杭州测试制造有限公司{number}",
        jurisdiction=county, industry_codes=["C3011"], username=f"applicant{number}",
        password="password-123", email=f"a{number}@example.com",
    )
    return account


def application_in(session: Session, state: S, now: datetime, applicant: User | None = None) -> Application:
    """An application of the Hangzhou city programme brought to `state`."""
    applicant = applicant or user(session, "qt_newmat")
    county, city = user(session, "qt_county"), user(session, "hz_city")
    app = applications.create_application(session, applicant, hangzhou_programme(session).id, now)
    if state is S.draft:
        return app
    document = example_document(GUIDELINE, "pass")
    if state is S.ineligible:  # the applicant declares a veto event (工信部节〔2024〕13号 第十五条)
        first_veto = next(iter(document["vetoes"]))
        document["vetoes"][first_veto] = True
    applications.save_draft(session, applicant, app, document, now)
    applications.act(session, applicant, app, "submit", now)
    if state is S.submitted:
        return app
    if state is S.returned:
        return applications.act(session, county, app, "return_for_changes", now, reason="能源数据缺少统计报表")
    if state is S.withdrawn:
        return applications.act(session, applicant, app, "withdraw", now)
    applications.act(session, county, app, "recommend", now)
    if state is S.rejected:
        return applications.act(session, city, app, "refuse", now, reason="不属于本批次申报范围")
    applications.act(session, city, app, "accept", now)
    if state is S.evaluating:
        return app
    jobs.evaluate_application(session, app.id)
    if state in (S.ineligible, S.under_review):
        assert app.state is state, app.evaluation and app.evaluation.get("reasons")
        return app
    if state is S.awaiting_clarification:
        return applications.act(session, city, app, "request_clarification", now, reason="请补充2025年能源统计报表")
    review_all(session, app, now)
    if state is S.reviewed:
        return app
    applications.act(session, city, app, "approve_for_notice", now)
    if state is S.public_notice:
        return app
    applications.act(session, SYSTEM, app, "close_notice", after_notice(app))
    assert app.state is S.designated
    return app


def review_all(session: Session, app: Application, now: datetime, scores: dict[str, Any] | None = None) -> None:
    panel = panels.draw(session, user(session, "hz_city"), app, now, seed="builder")
    for review in list(panel.reviews):
        expert = review.expert.user
        reviews.respond(session, expert, review, True, now)
        scores = scores or FULL_SCORES
        reviews.save(session, expert, review, scores, "pass", "符合要求",
                     {group: "现场核查与自动评价结论有出入，按核查结果打分" for group in scores})
        reviews.submit(session, expert, review, now)


def after_notice(app: Application) -> datetime:
    """A moment just after the application's notice period."""
    from workflow.clock import CHINA

    end = app.notice.ends_on + timedelta(days=1)
    return datetime(end.year, end.month, end.day, 9, 0, tzinfo=CHINA)


def designation_in(session: Session, state: D, now: datetime) -> Designation:
    app = application_in(session, S.designated, now)
    designation = designations.for_application(session, app)
    city, city2 = user(session, "hz_city"), user(session, "hz_city2")
    if state is D.active:
        return designation
    if state is D.rectifying:
        return designations.act(session, city, designation, "require_rectification", now, reason="能耗数据异常")
    if state is D.suspended:
        return designations.act(session, city, designation, "suspend", now, reason="整改期间暂停")
    if state is D.revoked:
        designations.act(session, city, designation, "propose_revocation", now, reason="发生较大生产安全事故",
                         reason_code="major_accident")
        return designations.act(session, city2, designation, "revoke", now)
    if state is D.withdrawn:
        applicant = user(session, "qt_newmat")
        return designations.act(session, applicant, designation, "withdraw", now, reason="企业搬迁")
    if state is D.expired:
        from workflow.clock import CHINA

        end = designation.valid_until + timedelta(days=1)
        return designations.act(session, SYSTEM, designation, "expire", datetime(end.year, end.month, end.day, tzinfo=CHINA))
    raise ValueError(state)
