"""Background jobs. Each takes ids, loads its rows, returns early when already done, and is
run through `workflow.outbox.perform` (or, for the kinds in BATCHES, `perform_batch`), which
commits the job's work and its outbox mark once."""
from __future__ import annotations

import gc
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

import evaluators
from models import Application
from models.enums import ApplicationState
from workflow import applications, certificates, mail, reports
from workflow.actors import SYSTEM
from workflow.clock import local_date
from workflow.clock import now as utc_now


def evaluate_application(session: Session, application_id: int) -> str:
    app = session.get(Application, application_id, with_for_update=True)
    if app is None:
        return "missing"
    if app.state is not ApplicationState.evaluating:
        return f"skipped: {app.state}"
    evidence: dict[str, list[str]] = {}
    for file in app.evidence:
        evidence.setdefault(file.indicator, []).append(file.original_name)
    # Veto windows count back from the submission, so a re-evaluation gives the same result.
    result = evaluators.evaluate(app.guideline, app.data or {}, evidence, app.programme.pass_mark,
                                 as_of=local_date(app.submitted_at))
    app.evaluation = result.to_dict()
    app.eligible = result.eligible
    app.auto_score = result.total
    applications.act(session, SYSTEM, app, "complete_evaluation", utc_now())
    return "eligible" if result.eligible else "ineligible"


def evaluate_reports(session: Session, batch: list[list[Any]]) -> list[str | None]:
    """`evaluate_report` for many outbox items at once; None for a report not evaluated."""
    outcomes = reports.evaluate_many(session, [report_id for report_id, in batch])
    return [outcomes.get(report_id) for report_id, in batch]


REGISTRY: dict[str, Callable[..., Any]] = {
    "evaluate_application": evaluate_application,
    "render_certificate": certificates.render,
    "send_email": mail.send_email,
    "evaluate_report": reports.evaluate,
}

# Jobs whose outbox items a worker takes many at a time (`workflow.outbox.perform_batch`): the
# function takes the items' argument lists and returns one outcome each, None for not done.
BATCHES: dict[str, Callable[[Session, list[list[Any]]], list[Any]]] = {
    "evaluate_report": evaluate_reports,
}


def prepare_worker() -> None:
    """Ready a worker process: the guidelines and the certificate fonts and template are loaded
    once, here, not by every job or forked work horse; the C allocator is told to keep the
    memory a certificate frees for the next (certificate_pdf.keep_freed_memory); then everything
    loaded so far is set aside from the cycle collector (gc.freeze), so that the collections
    between certificates (workflow/certificate_pdf.py) look at the jobs' objects only. Without it
    each collection walks the some 120,000 objects of the loaded code: about 70 ms each."""
    from workflow import certificate_pdf

    for guideline in evaluators.available():
        evaluators.load(guideline.key)
    certificate_pdf.warm()
    certificate_pdf.keep_freed_memory()
    gc.collect()
    gc.freeze()
