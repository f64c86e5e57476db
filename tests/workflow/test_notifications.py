"""Notifications: every event someone must act on reaches the right people in the inbox and by
e-mail, once, with a link straight to the action; reminders before deadlines come by e-mail
too; the steps of an expert review are in the audit log and its chain stays intact."""
from __future__ import annotations

import socketserver
import threading
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from email import message_from_bytes, policy
from pathlib import Path
import pytest
from click.testing import CliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from models import AuditEvent, Notification, Objection, OutboxItem
from models.enums import ApplicationState as S
from models.enums import DesignationState as D
from models.enums import OutboxState, ReviewState
from models.security import SentEmail
from tests.builders import application_in, designation_in, review_all, user
from tests.conftest import seeded
from tests.workflow.test_panels import larger_pool
from workflow import (applications, audit, designations, jobs, mail, notices, notifications, panels, reviews,
                      runtime)
from workflow.clock import CHINA
from workflow.db import make_engine
from workflow.storage import LocalStorage
from workflow.tick import tick

NOW = datetime.fromisoformat("2026-11-23T10:00:00+08:00")  # a Monday
BASE = "https://greencert.example.gov.cn"
PREFIX = "【绿色低碳认定系统】"
ENTERPRISE = "杭州钱塘新材料股份有限公司"


@pytest.fixture(autouse=True)
def public_address(monkeypatch: pytest.MonkeyPatch, factory: sessionmaker[Session], tmp_path: Path) -> None:
    """Jobs make links absolute from the runtime's base URL."""
    monkeypatch.delenv("SMTP_HOST", raising=False)
    monkeypatch.setattr(runtime, "_current", runtime.Runtime(factory=factory, storage=LocalStorage(tmp_path),
                                                             base_url=BASE + "/"))


def deliver(db: Session) -> list[SentEmail]:
    """Run the pending e-mail jobs of the outbox as the worker would; the messages they kept."""
    before = set(db.scalars(select(SentEmail.id)))
    pending = db.scalars(select(OutboxItem).where(OutboxItem.function == "send_email",
                                                  OutboxItem.state == OutboxState.pending)
                         .order_by(OutboxItem.id)).all()
    for item in pending:
        jobs.REGISTRY[item.function](db, *item.args)
        item.state = OutboxState.done
    db.flush()
    return [m for m in db.scalars(select(SentEmail).order_by(SentEmail.id)) if m.id not in before]


def inbox(db: Session, username: str) -> list[Notification]:
    return list(db.scalars(select(Notification).where(Notification.user_id == user(db, username).id)
                           .order_by(Notification.id)))


def latest(db: Session, username: str, starting: str) -> Notification:
    found = [n for n in inbox(db, username) if n.subject.startswith(starting)]
    assert found, [n.subject for n in inbox(db, username)]
    return found[-1]


# E-mail for every notification ----------------------------------------------------------------

def test_a_notification_is_mailed_once_with_the_link_made_absolute(db: Session) -> None:
    app = application_in(db, S.submitted, NOW)
    county = user(db, "qt_county")

    message = latest(db, "qt_county", "待审核")
    assert message.subject == f"待审核：{ENTERPRISE}提交了申报（申报 #{app.id}）"
    assert message.link == f"/applications/{app.id}"
    mails = [m for m in deliver(db) if m.recipient == county.email]
    assert len(mails) == 1
    assert mails[0].subject == f"{PREFIX}待审核：{ENTERPRISE}提交了申报（申报 #{app.id}）"
    assert f"{BASE}/applications/{app.id}\n" in mails[0].body
    assert mails[0].body.startswith(f"{county.display_name}，您好：")

    # The job run again (a retry) and the same event again send nothing more.
    assert mail.send_email(db, "notification", message.id).startswith("kept for")
    assert notifications.notify(db, [county], key=message.key, subject=message.subject, now=NOW) == 0
    assert deliver(db) == []
    assert db.scalar(select(func.count()).select_from(SentEmail)
                     .where(SentEmail.recipient == county.email)) == 1


def test_a_user_without_an_email_address_gets_the_inbox_message_only(db: Session) -> None:
    county = user(db, "qt_county")
    county.email = ""
    app = application_in(db, S.submitted, NOW)

    assert latest(db, "qt_county", "待审核").link == f"/applications/{app.id}"
    assert [m.recipient for m in deliver(db)] == []


def test_a_message_whose_user_lost_the_address_is_skipped(db: Session) -> None:
    application_in(db, S.submitted, NOW)
    user(db, "qt_county").email = ""

    assert deliver(db) == []


# Who hears of what ----------------------------------------------------------------------------

Case = Callable[[Session], tuple[str, str, str]]  # → (username, subject, link)


def returned(db: Session) -> tuple[str, str, str]:
    app = application_in(db, S.returned, NOW)
    assert "能源数据缺少统计报表" in latest(db, "qt_newmat", "申报被退回修改").body
    return "qt_newmat", f"申报被退回修改（申报 #{app.id}）", f"/portal/applications/{app.id}/form"


def recommended(db: Session) -> tuple[str, str, str]:
    app = application_in(db, S.submitted, NOW)
    applications.act(db, user(db, "qt_county"), app, "recommend", NOW)
    return "hz_city", f"待审核：{ENTERPRISE}的申报已推荐至本级（申报 #{app.id}）", f"/applications/{app.id}"


def refused(db: Session) -> tuple[str, str, str]:
    app = application_in(db, S.rejected, NOW)
    return "qt_newmat", f"申报不予受理（申报 #{app.id}）", f"/applications/{app.id}"


def to_draw(db: Session) -> tuple[str, str, str]:
    app = application_in(db, S.under_review, NOW)
    return "hz_city", f"请抽取评审专家：{ENTERPRISE}（申报 #{app.id}）", f"/applications/{app.id}#panel"


def ineligible(db: Session) -> tuple[str, str, str]:
    app = application_in(db, S.ineligible, NOW)
    return "qt_newmat", f"申报未通过自动评价（申报 #{app.id}）", f"/applications/{app.id}"


def clarification(db: Session) -> tuple[str, str, str]:
    app = application_in(db, S.awaiting_clarification, NOW)
    assert "请补充2025年能源统计报表" in latest(db, "qt_newmat", "专家组要求补充说明").body
    return "qt_newmat", f"专家组要求补充说明（申报 #{app.id}）", f"/applications/{app.id}"


def invited(db: Session) -> tuple[str, str, str]:
    app = application_in(db, S.under_review, NOW)
    panel = panels.draw(db, user(db, "hz_city"), app, NOW, seed="notify")
    review = panel.reviews[0]
    return review.expert.user.username, f"评审邀请：{ENTERPRISE}（申报 #{app.id}）", f"/desk/reviews/{review.id}"


def reviewed(db: Session) -> tuple[str, str, str]:
    app = application_in(db, S.reviewed, NOW)
    return "hz_city", f"专家评审完成，请作出决定：{ENTERPRISE}（申报 #{app.id}）", f"/applications/{app.id}#panel"


def on_notice(db: Session) -> tuple[str, str, str]:
    app = application_in(db, S.public_notice, NOW)
    return "qt_newmat", f"申报已进入公示（申报 #{app.id}）", f"/applications/{app.id}"


def objection_filed(db: Session) -> tuple[str, str, str]:
    app = application_in(db, S.public_notice, NOW)
    notices.file_objection(db, app.notice_id, application_id=app.id, name="李四", contact="13800000000",
                           content="该企业2025年发生过环境违法行为，请核实。", now=NOW)
    return "hz_city", f"公示异议待处理：{ENTERPRISE}（申报 #{app.id}）", f"/applications/{app.id}"


def rejected(db: Session) -> tuple[str, str, str]:
    app = application_in(db, S.reviewed, NOW)
    applications.act(db, user(db, "hz_city"), app, "reject", NOW, reason="现场核查发现能耗数据不实")
    return "qt_newmat", f"申报不予认定（申报 #{app.id}）", f"/applications/{app.id}"


def granted(db: Session) -> tuple[str, str, str]:
    d = designation_in(db, D.active, NOW)
    return "qt_newmat", f"已获认定：市级绿色低碳工厂（{ENTERPRISE}）", f"/designations/{d.id}"


def rectification(db: Session) -> tuple[str, str, str]:
    d = designation_in(db, D.rectifying, NOW)
    day = d.rectify_by
    return ("qt_newmat", f"请于{day.year}年{day.month}月{day.day}日前完成整改：市级绿色低碳工厂（{ENTERPRISE}）",
            f"/designations/{d.id}")


def suspended(db: Session) -> tuple[str, str, str]:
    d = designation_in(db, D.suspended, NOW)
    return "qt_newmat", f"认定已暂停：市级绿色低碳工厂（{ENTERPRISE}）", f"/designations/{d.id}"


def revocation_proposed(db: Session) -> tuple[str, str, str]:
    d = designation_in(db, D.active, NOW)
    designations.act(db, user(db, "hz_city"), d, "propose_revocation", NOW, reason="发生较大生产安全事故",
                     reason_code="major_accident")
    assert [n for n in inbox(db, "hz_city") if n.subject.startswith("请确认撤销")] == []  # not the proposer
    return "hz_city2", f"请确认撤销{ENTERPRISE}的认定", f"/designations/{d.id}"


def revoked(db: Session) -> tuple[str, str, str]:
    d = designation_in(db, D.revoked, NOW)
    return "qt_newmat", f"认定已撤销：市级绿色低碳工厂（{ENTERPRISE}）", f"/designations/{d.id}"


def expired(db: Session) -> tuple[str, str, str]:
    d = designation_in(db, D.expired, NOW)
    return "qt_newmat", f"认定已到期：市级绿色低碳工厂（{ENTERPRISE}）", f"/designations/{d.id}"


def report_opened(db: Session) -> tuple[str, str, str]:
    d = designation_in(db, D.active, NOW)
    tick(db, datetime(2027, 1, 2, 9, tzinfo=CHINA))
    return "qt_newmat", "请报送2026年度动态管理表（4月15日前）", f"/designations/{d.id}"


def change_reported(db: Session) -> tuple[str, str, str]:
    from workflow import changes

    d = designation_in(db, D.active, NOW)
    changes.report(db, user(db, "qt_newmat"), d, changes={"name": "杭州钱塘新材料集团股份有限公司"},
                   description="更名", now=NOW)
    return "hz_city", f"{ENTERPRISE}报告了变更，请复核", f"/designations/{d.id}"


@pytest.mark.parametrize("case", [
    returned, recommended, refused, to_draw, ineligible, clarification, invited, reviewed, on_notice,
    objection_filed, rejected, granted, rectification, suspended, revocation_proposed, revoked, expired,
    report_opened, change_reported,
], ids=lambda case: case.__name__)
def test_each_event_reaches_who_must_act_in_the_inbox_and_by_email(db: Session, case: Case) -> None:
    username, subject, link = case(db)

    message = latest(db, username, subject)
    assert (message.subject, message.link) == (subject, link)
    recipient = user(db, username).email
    mails = [m for m in deliver(db) if m.recipient == recipient and m.subject == PREFIX + subject]
    assert len(mails) == 1
    assert f"{BASE}{link}\n" in mails[0].body


def test_an_answered_clarification_sends_each_expert_to_their_own_review(db: Session) -> None:
    app = application_in(db, S.under_review, NOW)
    panel = panels.draw(db, user(db, "hz_city"), app, NOW, seed="builder")
    first, *others = panel.reviews
    for review in panel.reviews:
        reviews.respond(db, review.expert.user, review, True, NOW)
    reviews.request_clarification(db, first.expert.user, first, "请补充2025年能源统计报表", NOW)
    later = NOW + timedelta(days=1)
    applications.act(db, user(db, "qt_newmat"), app, "answer_clarification", later, reason="已上传统计报表")

    subject = f"申报单位已补充说明，评审继续（申报 #{app.id}）"
    for review in panel.reviews:
        message = latest(db, review.expert.user.username, subject)
        assert message.link == f"/desk/reviews/{review.id}" and "已上传统计报表" in message.body
    assert latest(db, "hz_city", subject).link == f"/applications/{app.id}"
    sent = {m.recipient for m in deliver(db) if m.subject == PREFIX + subject}
    staff = {"hz_city@example.gov.cn", "hz_city2@example.gov.cn"}
    assert sent == {r.expert.user.email for r in panel.reviews} | staff


def test_the_objector_who_left_an_email_address_hears_the_answer(db: Session) -> None:
    app = application_in(db, S.public_notice, NOW)
    by_mail = notices.file_objection(db, app.notice_id, application_id=app.id, name="李四",
                                     contact="李四 lisi@example.com", content="该企业2025年发生过环境违法行为，请核实。",
                                     now=NOW)
    by_phone = notices.file_objection(db, app.notice_id, application_id=app.id, name="王五",
                                      contact="13800000000", content="该企业能耗数据与统计局数据不一致。", now=NOW)
    city = user(db, "hz_city")
    notices.dismiss_objection(db, city, by_mail, "经核实，该违法行为发生在认定范围之外的厂区。", NOW)
    notices.dismiss_objection(db, city, by_phone, "经核实，能耗数据与统计报表一致。", NOW)

    (answer,) = [m for m in deliver(db) if m.key.startswith("objection-")]
    assert answer.recipient == "lisi@example.com"
    assert answer.subject == f"{PREFIX}您对{ENTERPRISE}的公示异议已处理"
    assert "异议不成立" in answer.body and "认定范围之外的厂区" in answer.body
    assert f"{BASE}/notices/{app.notice_id}\n" in answer.body


def test_an_upheld_objection_is_mailed_to_the_objector_and_told_to_the_applicant(db: Session) -> None:
    app = application_in(db, S.public_notice, NOW)
    objection = notices.file_objection(db, app.notice_id, application_id=app.id, name="李四",
                                       contact="lisi@example.com", content="该企业2025年发生过环境违法行为，请核实。",
                                       now=NOW)
    notice_id = app.notice_id
    applications.act(db, user(db, "hz_city"), app, "uphold_objection", NOW, reason="经核实异议属实",
                     objection_id=objection.id)

    assert "经核实异议属实" in latest(db, "qt_newmat", "公示异议成立").body
    (answer,) = [m for m in deliver(db) if m.recipient == "lisi@example.com"]
    assert "异议成立" in answer.body and f"{BASE}/notices/{notice_id}" in answer.body
    assert db.get(Objection, objection.id).resolution == "经核实异议属实"


# Reminders before deadlines come by e-mail ----------------------------------------------------

def test_invitation_and_review_deadline_reminders_are_mailed(db: Session) -> None:
    app = application_in(db, S.under_review, NOW)
    panel = panels.draw(db, user(db, "hz_city"), app, NOW, seed="builder")
    review = panel.reviews[0]
    expert = review.expert.user
    deliver(db)

    tick(db, review.respond_by - timedelta(hours=12))
    (invitation,) = [m for m in deliver(db) if m.recipient == expert.email]
    assert invitation.recipient == expert.email
    assert invitation.subject == f"{PREFIX}请尽快答复评审邀请（申报 #{app.id}）"
    assert f"{BASE}/desk/reviews/{review.id}\n" in invitation.body

    reviews.respond(db, expert, review, True, NOW)
    tick(db, review.due_at - timedelta(days=1))
    due = [m for m in deliver(db) if m.recipient == expert.email]
    day = (review.due_at.astimezone(CHINA) - timedelta(seconds=1)).date()
    assert [m.subject for m in due] == [f"{PREFIX}请于{day.month}月{day.day}日前提交评分（申报 #{app.id}）"]


def test_yearly_report_reminders_are_mailed(db: Session) -> None:
    designation_in(db, D.active, NOW)
    tick(db, datetime(2027, 1, 2, 9, tzinfo=CHINA))
    deliver(db)

    tick(db, datetime(2027, 3, 20, 9, tzinfo=CHINA))
    (reminder,) = deliver(db)
    assert reminder.recipient == "energy@qt-newmat.example.com"
    assert reminder.subject == f"{PREFIX}请在4月15日前报送2026年度动态管理表"
    tick(db, datetime(2027, 4, 16, 9, tzinfo=CHINA))
    overdue = {m.recipient: m.subject for m in deliver(db)}
    assert overdue == {"energy@qt-newmat.example.com": f"{PREFIX}{ENTERPRISE}逾期未报送2026年度动态管理表",
                       "hz_city@example.gov.cn": f"{PREFIX}{ENTERPRISE}逾期未报送2026年度动态管理表",
                       "hz_city2@example.gov.cn": f"{PREFIX}{ENTERPRISE}逾期未报送2026年度动态管理表"}


# SMTP -----------------------------------------------------------------------------------------

class FakeSmtp(socketserver.StreamRequestHandler):
    """Just enough of RFC 5321 to take one message: no STARTTLS, no AUTH."""

    received: list[bytes] = []

    def handle(self) -> None:
        self.wfile.write(b"220 fake ESMTP\r\n")
        while line := self.rfile.readline():
            verb = line.split(b" ", 1)[0].strip().upper()
            if verb == b"EHLO":
                self.wfile.write(b"250-fake\r\n250 8BITMIME\r\n")
            elif verb == b"DATA":
                self.wfile.write(b"354 go on\r\n")
                data = b""
                while (chunk := self.rfile.readline()) != b".\r\n":
                    data += chunk[1:] if chunk.startswith(b"..") else chunk
                FakeSmtp.received.append(data)
                self.wfile.write(b"250 queued\r\n")
            elif verb == b"QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:
                self.wfile.write(b"250 ok\r\n")


@pytest.fixture
def smtp_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[bytes]]:
    FakeSmtp.received = []
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), FakeSmtp)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SMTP_PORT", str(server.server_address[1]))
    monkeypatch.setenv("MAIL_FROM", "noreply@example.gov.cn")
    try:
        yield FakeSmtp.received
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_with_smtp_host_a_notification_goes_to_the_smtp_server(db: Session, smtp_server: list[bytes]) -> None:
    app = application_in(db, S.returned, NOW)
    message = latest(db, "qt_newmat", "申报被退回修改")

    result = mail.send_email(db, "notification", message.id)

    assert result == "sent to energy@qt-newmat.example.com"
    (raw,) = smtp_server
    email = message_from_bytes(raw, policy=policy.default)
    assert email["To"] == "energy@qt-newmat.example.com" and "noreply@example.gov.cn" in email["From"]
    assert email["Subject"] == f"{PREFIX}申报被退回修改（申报 #{app.id}）"
    assert email["Message-ID"] == f"<notification-{message.id}@example.gov.cn>"
    assert f"{BASE}/portal/applications/{app.id}/form" in email.get_content()
    assert db.scalar(select(func.count()).select_from(SentEmail)) == 0


# The review in the audit log ------------------------------------------------------------------

def events(db: Session, app_id: int) -> list[str]:
    return list(db.scalars(select(AuditEvent.event).where(AuditEvent.subject == f"application-{app_id}")
                           .order_by(AuditEvent.id)))


def test_every_step_of_a_review_is_audited_and_the_chain_holds(db: Session) -> None:
    larger_pool(db)
    app = application_in(db, S.under_review, NOW)
    panel = panels.draw(db, user(db, "hz_city"), app, NOW, seed="audit")
    declining, lapsing, *_ = panel.reviews
    reviews.respond(db, declining.expert.user, declining, False, NOW, declaration="本人曾为其提供咨询", conflict=True)
    accepting = [r for r in panel.reviews if r.state is ReviewState.invited and r is not lapsing]
    for review in accepting:
        reviews.respond(db, review.expert.user, review, True, NOW)
    later = lapsing.respond_by + timedelta(minutes=1)
    tick(db, later)
    reviews.request_clarification(db, accepting[0].expert.user, accepting[0], "请补充2025年能源统计报表", later)
    applications.act(db, user(db, "qt_newmat"), app, "answer_clarification", later, reason="已上传统计报表")
    size = panel.size
    db.flush()

    logged = events(db, app.id)
    assert logged.count("invitation_sent") == len(panel.reviews) == size + 2
    assert logged.count("invitation_declined") == 1 and logged.count("invitation_expired") == 1
    assert logged.count("replacement_drawn") == 2
    assert logged.count("clarification_requested") == 1 and logged.count("clarification_answered") == 1
    declined = db.scalars(select(AuditEvent).where(AuditEvent.event == "invitation_declined")).one()
    assert declined.user_id == declining.expert.user_id
    assert declined.details == {"review_id": declining.id, "label": declining.label,
                                "expert_id": declining.expert_id, "reason": "conflict"}
    assert all(report.intact for report in audit.verify(db))


def test_a_full_review_with_a_discussion_passes_the_audit_command(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'review.db'}"
    engine = make_engine(url)
    seeded(engine)
    scores = {"infrastructure": 20, "management": 15, "energy_resources": 15, "product": 10, "emissions": 10,
              "performance": 25}
    with Session(engine) as session:
        app = application_in(session, S.under_review, NOW)
        panel = panels.draw(session, user(session, "hz_city"), app, NOW, seed="builder")
        low = {"infrastructure": 14, "management": 10, "energy_resources": 10, "product": 7, "emissions": 7,
               "performance": 22}
        for number, review in enumerate(panel.reviews):
            expert = review.expert.user
            reviews.respond(session, expert, review, True, NOW)
            points = low if number == 0 else scores
            reviews.save(session, expert, review, points, "pass", "", {g: "按现场核查结果打分" for g in points})
            reviews.submit(session, expert, review, NOW)
        reviews.close_discussion(session, user(session, "hz_city"), app, "专家组讨论后维持评分", NOW)
        session.commit()
        app_id = app.id
        submitted = sum(r.state is ReviewState.submitted for r in panel.reviews)
    monkeypatch.setenv("DATABASE_URL", url)
    from web.cli import main

    result = CliRunner().invoke(main, ["audit", "verify"], catch_exceptions=False)

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[1].startswith("OK audit_events: ")
    with Session(engine) as session:
        logged = events(session, app_id)
    engine.dispose()
    assert logged.count("invitation_sent") == logged.count("invitation_accepted") == submitted == 3
    assert logged.count("review_submitted") == 3
    assert logged[-2:] == ["discussion_opened", "discussion_closed"]


def test_the_panel_result_is_told_to_staff_once_with_one_email(db: Session) -> None:
    app = application_in(db, S.under_review, NOW)
    review_all(db, app, NOW)
    staff = [n for n in inbox(db, "hz_city") if n.key == f"application-{app.id}-reviewed"]
    assert len(staff) == 1
    assert db.scalar(select(func.count()).select_from(OutboxItem)
                     .where(OutboxItem.job_id == f"send_email-notification-{staff[0].id}")) == 1
