"""The tick: every time-based step, idempotent."""
from __future__ import annotations

from datetime import datetime, timedelta

from models.enums import ApplicationState as S
from models.enums import DesignationState as D
from tests.builders import after_notice, application_in, designation_in
from workflow import notices
from workflow.clock import CHINA
from workflow.tick import tick

NOW = datetime.fromisoformat("2026-11-23T10:00:00+08:00")


def test_notice_with_an_open_objection_waits(db) -> None:
    app = application_in(db, S.public_notice, NOW)
    notices.file_objection(db, app.notice_id, application_id=app.id, name="赵六", contact="zl@example.com",
                           content="该企业去年被列为失信被执行人，请核实", now=NOW)
    summary = tick(db, after_notice(app))
    assert summary["designated"] == [] and summary["notices_waiting"] == [app.notice_id]
    assert app.state is S.public_notice


def test_expiry_at_the_end_of_validity(db) -> None:
    designation = designation_in(db, D.active, NOW)
    last_day = designation.valid_until
    on_last_day = datetime(last_day.year, last_day.month, last_day.day, 23, 0, tzinfo=CHINA)
    assert tick(db, on_last_day)["expired"] == []
    after = on_last_day + timedelta(hours=2)
    assert tick(db, after)["expired"] == [designation.id]
    assert designation.state is D.expired
    assert designation.certificate.status.value == "void"
    assert tick(db, after)["expired"] == []
