"""The application lifecycle (ARCHITECTURE §4) as one table: trigger, sources, destination, conditions."""
from __future__ import annotations

from models import Application
from models.enums import ApplicationState as S
from models.enums import ObjectionState, ReviewState
from workflow.machines import Condition, Context, Row, StateTable


def _programme_open(app: Application, ctx: Context) -> bool:
    from workflow.clock import local_date

    return app.programme.is_open_on(local_date(ctx.now))


def _form_complete(app: Application, ctx: Context) -> bool:
    from workflow.documents import missing_required

    missing = missing_required(app.guideline, app.data)
    if missing:
        ctx.details["missing"] = missing
    return not missing


def _below_programme(app: Application, ctx: Context) -> bool:
    return app.holding_jurisdiction_code != app.programme.jurisdiction_code


def _at_programme(app: Application, ctx: Context) -> bool:
    return app.holding_jurisdiction_code == app.programme.jurisdiction_code


def _eligible(app: Application, ctx: Context) -> bool:
    return app.eligible is True


def _not_eligible(app: Application, ctx: Context) -> bool:
    return app.eligible is False


def _panel_complete(app: Application, ctx: Context) -> bool:
    panel = app.panel
    if panel is None:
        return False
    active = [r for r in panel.reviews if r.state is not ReviewState.declined]
    return len(active) == panel.size and all(r.state is ReviewState.submitted for r in active)


def _reaches_pass_mark(app: Application, ctx: Context) -> bool:
    return app.panel_score is not None and app.panel_score >= app.programme.pass_mark


def _no_open_discussion(app: Application, ctx: Context) -> bool:
    return app.panel is None or not app.panel.discussion_open


def _notice_period_over(app: Application, ctx: Context) -> bool:
    from workflow.clock import local_date

    notice = app.notice
    return notice is not None and local_date(ctx.now) > notice.ends_on


def _no_open_objection(app: Application, ctx: Context) -> bool:
    notice = app.notice
    return notice is None or not any(
        o.state is ObjectionState.open and o.application_id == app.id for o in notice.objections
    )


def _open_objection_named(app: Application, ctx: Context) -> bool:
    objection = ctx.inputs.get("objection")
    return objection is not None and objection.state is ObjectionState.open


PROGRAMME_OPEN = Condition("申报批次不在申报期内", _programme_open)
FORM_COMPLETE = Condition("必填指标尚未填写完整", _form_complete)
BELOW_PROGRAMME = Condition("已到达本批次的认定层级，应受理而不是继续推荐", _below_programme)
AT_PROGRAMME = Condition("尚未推荐到本批次的认定层级", _at_programme)
ELIGIBLE = Condition("自动评价结果为符合条件", _eligible)
NOT_ELIGIBLE = Condition("自动评价结果为不符合条件", _not_eligible)
PANEL_COMPLETE = Condition("专家组评分尚未全部提交", _panel_complete)
REACHES_PASS_MARK = Condition("专家组评分未达到本批次的合格分数线", _reaches_pass_mark)
# Divergent scores (max − min over the programme's threshold) are discussed first (issue: expert review).
NO_OPEN_DISCUSSION = Condition("专家评分分歧较大，须先记录专家组讨论结论", _no_open_discussion)
NOTICE_OVER = Condition("公示期尚未结束", _notice_period_over)
NO_OPEN_OBJECTION = Condition("尚有未处理的异议", _no_open_objection)
OPEN_OBJECTION = Condition("需指明一条待处理的异议", _open_objection_named)

# Before a decision (approval for notice, rejection) the applicant may withdraw.
WITHDRAWABLE = [
    S.draft, S.submitted, S.returned, S.evaluating, S.under_review,
    S.awaiting_clarification, S.reviewed,
]

TABLE = StateTable(
    "application",
    S,
    [
        Row("submit", [S.draft, S.returned], S.submitted, [PROGRAMME_OPEN, FORM_COMPLETE]),
        Row("return_for_changes", [S.submitted], S.returned),
        Row("recommend", [S.submitted], S.submitted, [BELOW_PROGRAMME]),
        Row("accept", [S.submitted], S.evaluating, [AT_PROGRAMME]),
        Row("refuse", [S.submitted], S.rejected),
        Row("complete_evaluation", [S.evaluating], S.under_review, [ELIGIBLE]),
        Row("complete_evaluation", [S.evaluating], S.ineligible, [NOT_ELIGIBLE]),
        Row("request_clarification", [S.under_review], S.awaiting_clarification),
        Row("answer_clarification", [S.awaiting_clarification], S.under_review),
        Row("complete_review", [S.under_review], S.reviewed, [PANEL_COMPLETE]),
        Row("approve_for_notice", [S.reviewed], S.public_notice, [NO_OPEN_DISCUSSION, REACHES_PASS_MARK]),
        Row("reject", [S.reviewed, S.public_notice], S.rejected),
        Row("uphold_objection", [S.public_notice], S.under_review, [OPEN_OBJECTION]),
        Row("close_notice", [S.public_notice], S.designated, [NOTICE_OVER, NO_OPEN_OBJECTION]),
        Row("withdraw", WITHDRAWABLE, S.withdrawn),
    ],
)
