"""Every state × trigger of the application lifecycle (ARCHITECTURE §4): the allowed moves
land in their destination and write one log row; every other pair is refused with 409."""
from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import func, select

from models import Objection, TransitionLog
from models.enums import ApplicationState as S
from tests.builders import after_notice, application_in, user
from workflow import applications, notices
from workflow.actors import SYSTEM
from workflow.application_machine import TABLE
from workflow.errors import NotPossible

NOW = datetime.fromisoformat("2026-11-23T10:00:00+08:00")

# (state, trigger) → destination, for every allowed move of the table.
ALLOWED = {
    (S.draft, "submit"): S.submitted,
    (S.returned, "submit"): S.submitted,
    (S.submitted, "return_for_changes"): S.returned,
    (S.submitted, "recommend"): S.submitted,
    (S.submitted, "accept"): S.evaluating,
    (S.submitted, "refuse"): S.rejected,
    (S.evaluating, "complete_evaluation"): S.under_review,
    (S.under_review, "request_clarification"): S.awaiting_clarification,
    (S.awaiting_clarification, "answer_clarification"): S.under_review,
    (S.under_review, "complete_review"): S.reviewed,
    (S.reviewed, "approve_for_notice"): S.public_notice,
    (S.reviewed, "reject"): S.rejected,
    (S.public_notice, "reject"): S.rejected,
    (S.public_notice, "uphold_objection"): S.under_review,
    (S.public_notice, "close_notice"): S.designated,
    **{(state, "withdraw"): S.withdrawn for state in (
        S.draft, S.submitted, S.returned, S.evaluating, S.under_review,
        S.awaiting_clarification, S.reviewed)},
}
APPLICANT = {"submit", "withdraw", "answer_clarification"}
SYSTEM_TRIGGERS = {"complete_evaluation", "complete_review", "close_notice"}
PAIRS = [(state, trigger) for state in S for trigger in TABLE.triggers]


def test_table_covers_every_state_and_trigger() -> None:
    assert {s for s, _ in ALLOWED} | {S.ineligible, S.designated, S.rejected, S.withdrawn} == set(S)
    assert {t for _, t in ALLOWED} == set(TABLE.triggers)
    declared = {(source, row.trigger) for row in TABLE.rows for source in row.sources}
    assert declared == set(ALLOWED)


def _actor(db, app, trigger):
    if trigger in APPLICANT:
        return user(db, "qt_newmat")
    if trigger in SYSTEM_TRIGGERS:
        return SYSTEM
    if app.holding_jurisdiction_code == "330114" and trigger in {"return_for_changes", "recommend", "refuse"}:
        return user(db, "qt_county")
    return user(db, "hz_city")


def _prepare(db, app, state, trigger):
    """Meet the trigger's conditions; return (moment, inputs)."""
    moment, inputs = NOW, {}
    if trigger == "submit" and state is S.draft:
        from evaluators.examples import example_document

        applications.save_draft(db, user(db, "qt_newmat"), app, example_document(app.guideline, "pass"), NOW)
    if trigger in ("accept",) or (trigger == "refuse" and state is S.submitted):
        applications.act(db, user(db, "qt_county"), app, "recommend", NOW)
    if trigger == "complete_evaluation":
        app.eligible = True
    if trigger == "complete_review":
        from tests.builders import review_all

        # the last submitted review fires complete_review itself; stop one short of it
        review_all(db, app, NOW)
        assert app.state is S.reviewed
        app.state = S.under_review
        db.flush()
    if trigger == "uphold_objection":
        objection = notices.file_objection(db, app.notice_id, application_id=app.id, name="张三",
                                           contact="13800000000", content="该企业2025年曾被生态环境部门处罚，请核实", now=NOW)
        inputs["objection_id"] = objection.id
    if trigger == "close_notice":
        moment = after_notice(app)
    return moment, inputs


@pytest.mark.parametrize(("state", "trigger"), PAIRS, ids=[f"{s}-{t}" for s, t in PAIRS])
def test_state_trigger(db, state: S, trigger: str) -> None:
    app = application_in(db, state, NOW)
    assert app.state is state
    if (state, trigger) not in ALLOWED:
        logged = db.scalar(select(func.count()).select_from(TransitionLog))
        with pytest.raises(NotPossible) as refused:
            applications.act(db, _actor(db, app, trigger), app, trigger, NOW, reason="理由")
        assert refused.value.status == 409
        assert app.state is state
        assert db.scalar(select(func.count()).select_from(TransitionLog)) == logged
        return
    moment, inputs = _prepare(db, app, state, trigger)
    before = db.scalar(select(func.count()).select_from(TransitionLog).where(TransitionLog.entity_id == app.id,
                                                                             TransitionLog.entity == "application"))
    applications.act(db, _actor(db, app, trigger), app, trigger, moment, reason="理由", **inputs)
    assert app.state is ALLOWED[(state, trigger)]
    rows = db.scalars(select(TransitionLog).where(TransitionLog.entity == "application",
                                                  TransitionLog.entity_id == app.id).order_by(TransitionLog.id)).all()
    assert len(rows) == before + 1
    assert (rows[-1].trigger, rows[-1].to_state) == (trigger, str(ALLOWED[(state, trigger)]))


def test_uphold_marks_objection_and_takes_unit_off_the_notice(db) -> None:
    app = application_in(db, S.public_notice, NOW)
    objection = notices.file_objection(db, app.notice_id, application_id=app.id, name="李四", contact="lisi@example.com",
                                       content="企业申报的固废综合利用率与台账不符", now=NOW)
    applications.act(db, user(db, "hz_city"), app, "uphold_objection", NOW, reason="经核实数据有误",
                     objection_id=objection.id)
    assert db.get(Objection, objection.id).state.value == "upheld"
    assert app.notice_id is None and app.state is S.under_review


def test_notice_does_not_close_early_or_with_open_objection(db) -> None:
    app = application_in(db, S.public_notice, NOW)
    with pytest.raises(NotPossible, match="公示期尚未结束"):
        applications.act(db, SYSTEM, app, "close_notice", NOW)
    notices.file_objection(db, app.notice_id, application_id=app.id, name="王五", contact="0571-88888888",
                           content="该企业存在未完成的节能监察整改事项", now=NOW)
    with pytest.raises(NotPossible, match="尚有未处理的异议"):
        applications.act(db, SYSTEM, app, "close_notice", after_notice(app))


def test_recommend_stops_at_the_programme_tier(db) -> None:
    app = application_in(db, S.submitted, NOW)
    applications.act(db, user(db, "qt_county"), app, "recommend", NOW)
    assert app.holding_jurisdiction_code == "330100"
    with pytest.raises(NotPossible, match="已到达本批次的认定层级"):
        applications.act(db, user(db, "hz_city"), app, "recommend", NOW)


def test_divergent_scores_are_discussed_before_the_notice(db) -> None:
    from tests.workflow.test_reviews import drawn, score
    from workflow import reviews

    app2, panel = drawn(db)
    for review, total in zip(panel.reviews, (70, 88, 95), strict=True):  # mean 84.33, spread 25 > 15
        score(db, review, total)
    assert app2.state is S.reviewed and app2.panel_score == 84.33
    city = user(db, "hz_city")
    with pytest.raises(NotPossible, match="须先记录专家组讨论结论"):
        applications.act(db, city, app2, "approve_for_notice", NOW)
    reviews.close_discussion(db, city, app2, "经讨论，R1 对能源组的扣分有现场依据，各自维持评分。", NOW)
    applications.act(db, city, app2, "approve_for_notice", NOW)
    assert app2.state is S.public_notice


def test_a_transition_writes_the_row_once_and_leaves_it_clean(db, engine) -> None:
    from tests.conftest import statements_sent

    app = application_in(db, S.submitted, NOW)
    applications.act(db, user(db, "qt_county"), app, "recommend", NOW)
    version = app.version
    with statements_sent(engine) as sent:
        applications.act(db, user(db, "hz_city"), app, "accept", NOW)
        db.flush()
    updates = [s for s in sent if s.lstrip().upper().startswith("UPDATE APPLICATIONS")]
    assert len(updates) == 1
    assert (app.state, app.version, app.updated_at) == (S.evaluating, version + 1, NOW)
    assert not db.dirty
    db.expire(app)
    assert (app.state, app.version) == (S.evaluating, version + 1)


def test_a_transition_on_a_row_changed_meanwhile_is_refused(db) -> None:
    from sqlalchemy import text
    from sqlalchemy.orm.exc import StaleDataError

    app = application_in(db, S.submitted, NOW)
    applications.act(db, user(db, "qt_county"), app, "recommend", NOW)
    db.connection().execute(text("UPDATE applications SET version = version + 1 WHERE id = :id"), {"id": app.id})
    with pytest.raises(StaleDataError):
        applications.act(db, user(db, "hz_city"), app, "accept", NOW)


def test_accepting_records_one_evaluation_job_for_the_submission(db) -> None:
    from models import OutboxItem
    from models.enums import OutboxState

    app = application_in(db, S.submitted, NOW)
    applications.act(db, user(db, "qt_county"), app, "recommend", NOW)
    applications.act(db, user(db, "hz_city"), app, "accept", NOW)
    items = db.scalars(select(OutboxItem).where(OutboxItem.job_id.like(f"evaluate_application-{app.id}-%"))).all()
    assert [(i.job_id, i.queue, i.args, i.state) for i in items] == [(
        f"evaluate_application-{app.id}-{int(app.submitted_at.timestamp())}", "evaluations", [app.id],
        OutboxState.pending)]


def test_loading_for_update_reads_the_row_afresh_or_checks_the_one_the_session_holds(db) -> None:
    from sqlalchemy import text
    from sqlalchemy.orm.exc import StaleDataError

    app = application_in(db, S.submitted, NOW)
    city = user(db, "hz_city")
    db.connection().execute(text("UPDATE applications SET version = version + 1 WHERE id = :id"), {"id": app.id})
    with pytest.raises(StaleDataError):  # the session's copy is out of date: never acted on silently
        applications.load(db, city, app.id, for_update=True)
    version = db.scalar(text("SELECT version FROM applications WHERE id = :id"), {"id": app.id})
    db.expunge(app)
    fresh = applications.load(db, city, app.id, for_update=True)
    assert fresh is not app and fresh.version == version and fresh.programme.jurisdiction_code
