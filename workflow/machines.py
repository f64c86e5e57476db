"""A state table as data, one shared `transitions.Machine` per table, and the transition log.

Each lifecycle module declares rows (trigger, sources, destination, conditions). Events are
fired on database rows explicitly; the machine is never bound to a row (STACK.md: binding resets
the state and keeps every row alive). The machine writes the transition log itself.
"""
from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import bindparam, inspect, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError
from transitions import Machine, MachineError
from transitions.core import EventData

from evaluators.messages import encode
from models import TransitionLog
from models.log import append_row
from workflow.actors import Actor
from workflow.errors import NotPossible


@dataclass
class Context:
    """What a transition needs besides the row: who, when, why, and the inputs of the action."""

    session: Session
    actor: Actor
    now: datetime
    reason: str = ""
    inputs: dict[str, Any] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)


def check_version(row: Any, expected_version: int | None) -> None:
    """Optimistic locking: acting on a page that is out of date is a 409, never an overwrite."""
    if expected_version is not None and expected_version != row.version:
        raise NotPossible(
            "该记录已被他人修改，请刷新后再操作",
            {"expected_version": expected_version, "current_version": row.version},
        )


def write_changes(session: Session, row: Any) -> None:
    """Write what a transition changed on `row`, then flush the rest of the session.

    When only the row's own columns changed (its state, its timestamps), they go out as one
    UPDATE ... SET ..., version = version + 1 WHERE id = ... AND version = ..., the check the
    unit of work makes (a stale row raises the same StaleDataError, a 409), at a fraction of the
    unit of work's cost, and the row is left clean as a flush leaves it. A changed relationship,
    or a column whose value the database computes on update, goes through the flush as before."""
    state = inspect(row)
    mapper = state.mapper
    version = mapper.get_property_by_column(mapper.version_id_col).key
    changed = set(state.committed_state)
    if changed and changed <= _plain_columns(mapper) and _computed_on_update(mapper) <= changed:
        expected = state.dict[version]
        values = {key: state.dict[key] for key in changed}
        values[version] = expected + 1
        with session.no_autoflush:  # through the session, whose listeners see it (workflow.totals)
            result = session.execute(
                _versioned_update(mapper),
                {**{mapper.get_property(key).columns[0].key: value for key, value in values.items()},
                 "_row_id": state.identity[0], "_expected_version": expected})
        if result.rowcount != 1:
            raise StaleDataError(f"UPDATE statement on table '{mapper.local_table.name}' expected to update "
                                 f"1 row(s); {result.rowcount} were matched.")
        for key, value in values.items():
            set_committed_value(row, key, value)
        state._commit_all(state.dict, session.identity_map)  # no changes left for the flush to look at
    session.flush()


@functools.cache
def _plain_columns(mapper: Any) -> frozenset[str]:
    """The keys of the mapper's own single-column attributes, but its primary key and version."""
    version = mapper.get_property_by_column(mapper.version_id_col).key
    return frozenset(p.key for p in mapper.column_attrs
                     if len(p.columns) == 1 and not p.columns[0].primary_key and p.key != version)


@functools.cache
def _computed_on_update(mapper: Any) -> frozenset[str]:
    return frozenset(p.key for p in mapper.column_attrs if any(c.onupdate is not None for c in p.columns))


@functools.cache
def _versioned_update(mapper: Any) -> Any:
    table = mapper.local_table
    (key,) = mapper.primary_key
    return update(table).where(key == bindparam("_row_id"), mapper.version_id_col == bindparam("_expected_version"))


@dataclass(frozen=True)
class Condition:
    """A named guard; `message` (Chinese) says what is missing when it fails."""

    message: str
    check: Callable[[Any, Context], bool]


@dataclass(frozen=True)
class Row:
    trigger: str
    sources: Sequence[StrEnum]
    dest: StrEnum
    conditions: Sequence[Condition] = ()


class StateTable:
    def __init__(self, entity: str, states: type[StrEnum], rows: Sequence[Row]) -> None:
        self.entity = entity
        self.states = states
        self.rows = tuple(rows)
        self.triggers = tuple(dict.fromkeys(r.trigger for r in rows))
        self._sources = {t: frozenset(s for r in self.rows if r.trigger == t for s in r.sources) for t in self.triggers}
        self.machine = Machine(
            model=None,
            states=states,
            transitions=[self._transition(r) for r in rows],
            initial=None,
            auto_transitions=False,
            send_event=True,
            after_state_change=[self._log],
        )

    def _transition(self, row: Row) -> dict[str, Any]:
        return {
            "trigger": row.trigger,
            "source": list(row.sources),
            "dest": row.dest,
            "conditions": [self._guard(c) for c in row.conditions],
        }

    @staticmethod
    def _guard(condition: Condition) -> Callable[[EventData], bool]:
        def guard(event: EventData) -> bool:
            ctx: Context = event.kwargs["ctx"]
            if condition.check(event.model, ctx):
                return True
            ctx.failures.append(condition.message)
            return False

        return guard

    def _log(self, event: EventData) -> None:
        ctx: Context = event.kwargs["ctx"]
        row = event.model
        append_row(ctx.session, TransitionLog, {
            "entity": self.entity,
            "entity_id": row.id,
            "trigger": event.event.name,
            "from_state": event.transition.source,
            "to_state": event.transition.dest,
            "actor_id": getattr(ctx.actor, "id", None),
            "actor_label": ctx.actor.display_name,
            "reason": ctx.reason,
            "details": _with_messages(ctx.details, ctx.reason),
            "at": ctx.now,
        })

    def sources(self, trigger: str) -> frozenset[StrEnum]:
        return self._sources.get(trigger, frozenset())

    def can_fire_from(self, state: StrEnum, trigger: str) -> bool:
        return state in self.sources(trigger)

    def check_source(self, row: Any, trigger: str) -> None:
        """409 when `trigger` cannot fire from the row's state at all, whoever asks."""
        if trigger not in self.triggers:
            raise NotPossible(f"未知操作“{trigger}”", {"trigger": trigger})
        if not self.can_fire_from(row.state, trigger):
            raise NotPossible(
                f"当前状态“{state_label(row.state)}”下不能执行“{trigger_label(trigger)}”",
                {"state": str(row.state), "trigger": trigger},
            )

    def admit(self, row: Any, trigger: str, decide: Callable[[], Any], *, expected_version: int | None,
              reason: str, reasons_required: dict[str, str]) -> str:
        """The checks before a transition, in order: the state allows the trigger at all (409),
        the actor may (403), the row is as the actor saw it (409), a required reason is given
        (422). Returns the reason, trimmed."""
        from workflow.errors import Forbidden, Invalid

        self.check_source(row, trigger)
        decision = decide()
        if not decision:
            raise Forbidden(decision.reason)
        check_version(row, expected_version)
        trimmed = (reason or "").strip()
        if trigger in reasons_required and not trimmed:
            raise Invalid.field("reason", reasons_required[trigger])
        return reason if reason == trimmed else trimmed  # a composed reason keeps its messages

    def guards_hold(self, row: Any, trigger: str, ctx: Context) -> bool:
        """Whether some row of `trigger` from the row's state has all its conditions met."""
        return any(
            row.state in r.sources and all(c.check(row, ctx) for c in r.conditions)
            for r in self.rows if r.trigger == trigger
        )

    def fire(self, row: Any, trigger: str, ctx: Context) -> StrEnum:
        """Fire `trigger` on `row`; raise NotPossible (409) with the reasons when it cannot."""
        if trigger not in self.triggers:
            raise NotPossible(f"未知操作“{trigger}”")
        state = row.state
        try:
            moved = self.machine.events[trigger].trigger(row, ctx=ctx)
        except MachineError:
            raise NotPossible(
                f"当前状态“{state_label(state)}”下不能执行“{trigger_label(trigger)}”",
                {"state": str(state), "trigger": trigger},
            ) from None
        if not moved:
            raise NotPossible(
                "；".join(dict.fromkeys(ctx.failures)) or "条件不满足",
                {"state": str(state), "trigger": trigger, "conditions": list(ctx.failures)},
            )
        return row.state


STATE_LABELS = {
    "draft": "草稿",
    "submitted": "已提交",
    "returned": "退回修改",
    "evaluating": "自动评价中",
    "ineligible": "不符合申报条件",
    "under_review": "专家评审中",
    "awaiting_clarification": "待补充说明",
    "reviewed": "评审完成",
    "public_notice": "公示中",
    "designated": "已认定",
    "rejected": "未通过",
    "withdrawn": "已撤回",
    "active": "有效",
    "rectifying": "整改中",
    "suspended": "暂停",
    "revoked": "已撤销",
    "expired": "已到期",
}

TRIGGER_LABELS = {
    "submit": "提交",
    "return_for_changes": "退回修改",
    "recommend": "审核推荐",
    "accept": "受理",
    "refuse": "不予受理",
    "complete_evaluation": "完成自动评价",
    "request_clarification": "要求补充说明",
    "answer_clarification": "提交补充说明",
    "complete_review": "完成专家评审",
    "approve_for_notice": "同意公示",
    "reject": "不予认定",
    "uphold_objection": "异议成立",
    "close_notice": "公示结束",
    "withdraw": "撤回",
    "require_rectification": "责令整改",
    "confirm_rectified": "确认整改完成",
    "suspend": "暂停",
    "reinstate": "恢复",
    "propose_revocation": "提议撤销",
    "revoke": "撤销",
    "expire": "到期",
    "renew": "延续有效期",
}


def state_label(state: object) -> str:
    return STATE_LABELS.get(str(state), str(state))


def trigger_label(trigger: str) -> str:
    return TRIGGER_LABELS.get(trigger, trigger)


def _with_messages(details: dict[str, Any], reason: str) -> dict[str, Any]:
    """The log's details, with the messages of a reason the system composed (evaluators.messages),
    so that the history reads in the reader's language."""
    composed = encode(reason)
    return {**details, "reason_messages": composed} if composed else dict(details)
