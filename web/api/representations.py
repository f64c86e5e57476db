"""How resources look in the API (and in the JSON beside the public pages)."""
from __future__ import annotations

from typing import Any, NamedTuple

import orjson
from sqlalchemy import Integer, String, Text, bindparam, cast, literal_column, null, select, union_all
from sqlalchemy.orm import Session, defer, joinedload, load_only

from evaluators.messages import encode, message
from models import (Application, Certificate, Designation, Enterprise, EvidenceFile, Expert, Notice, Panel, Programme,
                    Review, TransitionLog, User)
from models.enums import ReviewState
from workflow import applications, designations, jurisdictions
from workflow.actors import Actor


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def programme(p: Programme) -> dict[str, Any]:
    return {
        "id": p.id, "title": p.title, "kind": str(p.kind), "tier": str(p.tier),
        "jurisdiction": p.jurisdiction_code, "guideline": p.guideline,
        "opens_on": _iso(p.opens_on), "closes_on": _iso(p.closes_on), "pass_mark": p.pass_mark,
        "panel_size": p.panel_size, "notice_working_days": p.notice_working_days,
        "validity_years": p.validity_years, "review_load_cap": p.review_load_cap,
        "invitation_working_days": p.invitation_working_days, "review_working_days": p.review_working_days,
        "divergence_threshold": p.divergence_threshold,
    }


def enterprise(e: Enterprise) -> dict[str, Any]:
    return {"id": e.id, "uscc": e.uscc, "name": e.name, "jurisdiction": e.jurisdiction_code,
            "industry_codes": e.industry_codes}


def user(u: User) -> dict[str, Any]:
    return {"id": u.id, "username": u.username, "role": str(u.role), "name": u.display_name,
            "jurisdiction": u.jurisdiction_code, "enterprise_id": u.enterprise_id}


def expert(x: Expert) -> dict[str, Any]:
    return {"id": x.id, "user_id": x.user_id, "name": x.name, "title": x.title,
            "employer": x.employer, "employer_uscc": x.employer_uscc,
            "specialties": x.specialties, "jurisdiction": x.jurisdiction_code, "active": x.active}


# The columns of a transition that its entry shows (a read loads no log records). Statements built
# once: building one costs more than the look-up of the compiled form it leads to.
_HISTORY = (select(TransitionLog.trigger, TransitionLog.from_state, TransitionLog.to_state, TransitionLog.actor_label,
                   TransitionLog.at, TransitionLog.reason, TransitionLog.details)
            .where(TransitionLog.entity == bindparam("entity"), TransitionLog.entity_id == bindparam("entity_id"))
            .order_by(TransitionLog.id))


def history(session: Session, entity: str, entity_id: int, *, messages: bool = False) -> list[dict[str, Any]]:
    """An entity's transitions; with ``messages``, for a page, the messages of the composed notes
    and reasons as well (``note_messages``, ``reason_messages``: evaluators.messages)."""
    rows = session.execute(_HISTORY, {"entity": entity, "entity_id": entity_id})
    return [_entry(session, *r, messages=messages) for r in rows]


def _entry(session: Session, trigger: str, from_state: str, to_state: str, actor: str, at: Any, reason: str,
           details: dict[str, Any] | None, *, messages: bool = False) -> dict[str, Any]:
    note = _note(session, trigger, details or {})
    entry = {"trigger": trigger, "from_state": from_state, "to_state": to_state,
             "actor": actor, "at": _iso(at), "reason": reason, "note": note}
    if messages:
        entry.update(note_messages=encode(note), reason_messages=(details or {}).get("reason_messages"))
    return entry


def _note(session: Session, trigger: str, details: dict[str, Any]) -> str:
    """What the state alone does not say: a recommendation's handover between bureaus."""
    if trigger == "recommend" and details.get("to_jurisdiction"):
        names = [jurisdictions.bureau_name(session, details[k]) for k in ("from_jurisdiction", "to_jurisdiction")]
        if all(names):
            return message("%(from_bureau)s推荐至%(to_bureau)s", from_bureau=names[0], to_bureau=names[1])
    return ""


_PARTS = (select(Application, Designation.id)
          .outerjoin(Designation, Designation.application_id == Application.id)
          .where(Application.id == bindparam("id"))
          .options(load_only(Application.id), joinedload(Application.programme),
                   joinedload(Application.panel).joinedload(Panel.reviews), joinedload(Application.evidence)))


def _load_parts(session: Session, a: Application) -> int | None:
    """Load what the representation shows of an application already in the session in one
    query (the programme, panel, reviews and evidence joined; a panel has a handful of reviews
    and an application a handful of files, and the application's own columns are not repeated),
    instead of one query per part; returns the id of its designation, if any."""
    return session.execute(_PARTS, {"id": a.id}).unique().one()[1]


# What a read shows of an application's files, reviewers and history, in one statement of their
# columns (rows of each part in the columns of the history's, ordered by part and id).
_PARTS_READ = union_all(
    select(literal_column("'history'", String).label("part"), TransitionLog.id, TransitionLog.trigger,
           TransitionLog.from_state, TransitionLog.to_state, TransitionLog.actor_label, TransitionLog.at,
           TransitionLog.reason, TransitionLog.details, cast(null(), Integer).label("size"))
    .where(TransitionLog.entity == "application", TransitionLog.entity_id == bindparam("id")),
    select(literal_column("'evidence'", String), EvidenceFile.id, EvidenceFile.indicator, EvidenceFile.original_name,
           EvidenceFile.content_type, null(), null(), null(), null(), EvidenceFile.size)
    .where(EvidenceFile.application_id == bindparam("id")),
    select(literal_column("'reviewer'", String), Review.id, Review.label, Review.state,
           null(), null(), null(), null(), null(), null())
    .join(Panel, Panel.id == Review.panel_id).where(Panel.application_id == bindparam("id")),
).order_by(literal_column("part"), literal_column("id"))


class Parts(NamedTuple):
    evidence: list[dict[str, Any]]
    reviewers: list[dict[str, Any]]
    history: list[dict[str, Any]]


def _read_parts(session: Session, application_id: int) -> Parts:
    parts = Parts([], [], [])
    for part, id_, a, b, c, d, at, reason, details, size in session.execute(_PARTS_READ, {"id": application_id}):
        if part == "history":
            parts.history.append(_entry(session, a, b, c, d, at, reason, details))
        elif part == "evidence":
            parts.evidence.append({"id": id_, "indicator": a, "name": b, "content_type": c, "size": size})
        else:
            parts.reviewers.append({"label": a, "state": str(b)})
    return parts


class Stored(NamedTuple):
    """An application's row held in the session, with its form and trace as the JSON stored."""

    row: Application
    data: str
    evaluation: str | None
    designation_id: int | None


def _stored(text: str | None) -> orjson.Fragment | None:
    return orjson.Fragment(text) if text is not None else None


_STORED = (select(Application, cast(Application.data, Text), cast(Application.evaluation, Text), Designation.id)
           .outerjoin(Designation, Designation.application_id == Application.id)
           .where(Application.id == bindparam("id"))
           .options(defer(Application.data), defer(Application.evaluation),
                    joinedload(Application.enterprise, innerjoin=True),
                    joinedload(Application.programme, innerjoin=True)))


def read_stored(session: Session, application_id: int) -> Stored | None:
    """Read an application for its representation: the row with its enterprise and programme, the
    id of its designation, if any, and its form and evaluation trace (about 30 KB) as the JSON
    text stored, which the response passes through (orjson.Fragment) instead of decoding and
    encoding it again. Whether the reader may see it is decided afterwards by
    `applications.load`, which finds the row in the session while the caller holds it."""
    row = session.execute(_STORED, {"id": application_id}).one_or_none()
    return Stored(*row) if row is not None else None


def application(session: Session, actor: Actor | None, a: Application,
                stored: Stored | None = None) -> dict[str, Any]:
    """The application; with `stored` (read_stored), its form and trace as stored, and its parts
    read as columns."""
    if stored is not None:
        designation_id = stored.designation_id
        parts = _read_parts(session, a.id)
    else:
        designation_id = _load_parts(session, a)
        parts = Parts(
            [{"id": f.id, "indicator": f.indicator, "name": f.original_name, "content_type": f.content_type,
              "size": f.size} for f in a.evidence],
            [{"label": r.label, "state": str(r.state)} for r in (a.panel.reviews if a.panel else [])],
            history(session, "application", a.id))
    return {
        "id": a.id, "state": str(a.state), "version": a.version, "programme_id": a.programme_id,
        "kind": str(a.programme.kind), "tier": str(a.programme.tier), "guideline": a.guideline,
        "enterprise": enterprise(a.enterprise),
        "holding_jurisdiction": a.holding_jurisdiction_code,
        "available_actions": applications.available_actions(session, actor, a),
        "data": orjson.Fragment(stored.data) if stored else a.data,
        "evaluation": _stored(stored.evaluation) if stored else a.evaluation,
        "auto_score": a.auto_score,
        "panel_score": a.panel_score,
        "clarification": {"question": a.clarification_question, "answer": a.clarification_answer},
        "evidence": parts.evidence,
        "reviewers": parts.reviewers,
        "notice_id": a.notice_id,
        "submitted_at": _iso(a.submitted_at),
        "history": parts.history,
        "designation_id": designation_id,
    }


def certificate(c: Certificate | None) -> dict[str, Any] | None:
    if c is None:
        return None
    return {"number": c.number, "status": str(c.status), "issued_at": _iso(c.issued_at)}


def designation(session: Session, actor: Actor | None, d: Designation) -> dict[str, Any]:
    return {
        "id": d.id, "state": str(d.state), "version": d.version, "kind": str(d.kind), "tier": str(d.tier),
        "holder": d.enterprise.name, "holder_uscc": d.enterprise.uscc,
        "jurisdiction": d.jurisdiction_code, "application_id": d.application_id,
        "valid_from": _iso(d.valid_from), "valid_until": _iso(d.valid_until),
        "reason_code": str(d.reason_code) if d.reason_code else None, "reason": d.reason,
        "rectify_by": _iso(d.rectify_by), "suspended_until": _iso(d.suspended_until),
        "proposal": d.proposal,
        "available_actions": designations.available_actions(session, actor, d),
        "certificate": certificate(d.certificate),
        "history": history(session, "designation", d.id),
    }


def public_certificate(c: Certificate) -> dict[str, Any]:
    d = c.designation
    status = str(c.status) if c.status.value in ("superseded",) else str(d.state)
    if c.status.value == "pending":
        status = "pending"
    return {
        "number": c.number, "holder": c.holder, "uscc": d.enterprise.uscc, "kind": str(d.kind),
        "tier": str(d.tier), "issuer": d.jurisdiction.bureau_name,
        "status": status, "certificate_status": str(c.status),
        "valid_from": _iso(d.valid_from), "valid_until": _iso(d.valid_until),
        "reason_code": str(d.reason_code) if d.reason_code else None,
        "reason": d.reason if status in ("revoked", "suspended", "withdrawn") else "",
        "suspended_until": _iso(d.suspended_until),
        "changed_at": _iso(d.changed_at),
        "payload": c.payload, "key_id": c.key_id, "signature": c.signature,
    }


def review(session: Session, actor: Actor, r: Review) -> dict[str, Any]:
    a = r.application
    body: dict[str, Any] = {
        "id": r.id, "label": r.label, "state": str(r.state), "version": r.version,
        "application": {"id": a.id, "enterprise": a.enterprise.name, "state": str(a.state),
                        "guideline": a.guideline, "kind": str(a.programme.kind)},
        "scores": r.scores, "reasons": r.reasons,
        "recommendation": r.recommendation.value if r.recommendation else None,
        "comments": r.comments, "total": r.total, "invited_at": _iso(r.invited_at),
        "submitted_at": _iso(r.submitted_at),
    }
    # Blind scoring: other reviews are shown only once this expert's own is in.
    if r.state is ReviewState.submitted:
        body["panel"] = [{"label": o.label, "total": o.total, "state": str(o.state),
                          "recommendation": o.recommendation.value if o.recommendation else None}
                         for o in r.panel.reviews if o.id != r.id]
    return body


def notice(n: Notice, *, staff: bool = False) -> dict[str, Any]:
    listed = [a for a in n.applications if staff or str(a.state) in ("public_notice", "designated")]
    return {
        "id": n.id, "title": n.title, "state": str(n.state), "starts_on": _iso(n.starts_on),
        "ends_on": _iso(n.ends_on), "working_days": n.working_days,
        "calendar_warning": n.calendar_warning,
        "applications": [{"id": a.id, "enterprise": a.enterprise.name, "uscc": a.enterprise.uscc,
                          "kind": str(a.programme.kind), "tier": str(a.programme.tier),
                          "jurisdiction": a.enterprise.jurisdiction_code,
                          "panel_score": a.panel_score} for a in listed],
        "objections": [{"id": o.id, "application_id": o.application_id, "state": str(o.state),
                        "filed_at": _iso(o.filed_at), "resolution": o.resolution}
                       for o in n.objections],
    }
