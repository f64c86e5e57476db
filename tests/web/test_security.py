"""Sessions, sign-in throttling and lock-out, password resets by e-mail and personal API tokens,
as a user meets them through the pages and the API, on both database backends."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from models import ApiToken, AuditEvent, OutboxItem
from models.security import PasswordReset, SentEmail
from tests.builders import user
from tests.web.apiclient import Api
from tests.web.test_pages import csrf_token, text_of
from web import create_app
from workflow import accounts
from workflow.demo import PASSWORD

LINK = re.compile(r"http://greencert\.test/password-reset/([A-Za-z0-9_-]+)")
ATTACKER = {"REMOTE_ADDR": "203.0.113.7"}


def page_login(client: FlaskClient, username: str, password: str, address: str = "127.0.0.1") -> Any:
    environ = {"REMOTE_ADDR": address}
    token = csrf_token(client, "/login")
    return client.post("/login", data={"csrf_token": token, "username": username, "password": password},
                       environ_base=environ)


def api_login(client: FlaskClient, username: str, password: str) -> Any:
    return client.post("/api/v1/auth/token", json={"username": username, "password": password})


def events(db: Session, event: str, subject: str | None = None) -> list[AuditEvent]:
    query = select(AuditEvent).where(AuditEvent.event == event).order_by(AuditEvent.id)
    if subject is not None:
        query = query.where(AuditEvent.subject == subject)
    return list(db.scalars(query))


# Session cookies ----------------------------------------------------------------------------

def session_cookie(response: Any) -> str:
    cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    assert cookies, response.headers
    return cookies[-1]


def test_the_session_cookie_is_http_only_and_same_site_lax(client: FlaskClient) -> None:
    response = page_login(client, "qt_newmat", PASSWORD)

    assert response.status_code == 302
    cookie = session_cookie(response)
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # plain HTTP in the embedded default


def test_cookie_secure_makes_the_session_cookie_https_only(factory, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("COOKIE_SECURE", "1")
    app = create_app({"SESSION_FACTORY": factory, "TESTING": True, "REDIS_URL": None,
                      "STORAGE_DIR": str(tmp_path), "BASE_URL": "https://greencert.test"})
    client = app.test_client()

    response = page_login(client, "qt_newmat", PASSWORD)

    cookie = session_cookie(response)
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


# Lock-out -----------------------------------------------------------------------------------

def test_five_wrong_passwords_lock_the_account_for_fifteen_minutes(client: FlaskClient, db: Session) -> None:
    for _ in range(4):
        assert page_login(client, "qt_newmat", "wrong-password").status_code == 401

    fifth = page_login(client, "qt_newmat", "wrong-password")

    assert fifth.status_code == 429
    page = text_of(fifth)
    assert "登录失败次数过多，该账号已暂时锁定" in page
    assert re.search(r"请于\d{2}:\d{2}（北京时间，约15分钟后）再试", page), page
    assert 14 * 60 < int(fifth.headers["Retry-After"]) <= 15 * 60
    # Even the right password is refused while the lock holds, and the refusal is on record.
    again = page_login(client, "qt_newmat", PASSWORD)
    assert again.status_code == 429 and "该账号已暂时锁定" in text_of(again)
    assert len(events(db, "lockout", "qt_newmat")) == 1
    refused = events(db, "login_refused", "qt_newmat")
    assert len(refused) == 1 and refused[0].details["scope"] == "account"
    assert [e.client_address for e in events(db, "login_failed", "qt_newmat")] == ["127.0.0.1"] * 5
    # Another account is not affected.
    assert page_login(client, "hz_city", PASSWORD).status_code == 302


def test_the_api_counts_the_same_failures_and_says_when_to_try_again(client: FlaskClient) -> None:
    for _ in range(3):
        assert api_login(client, "hz_city", "wrong-password").status_code == 401
    assert page_login(client, "hz_city", "wrong-password").status_code == 401
    api_login(client, "hz_city", "wrong-password")  # the fifth failure, through the API

    refused = api_login(client, "hz_city", PASSWORD)

    assert refused.status_code == 429
    error = refused.json["error"]
    assert error["code"] == "locked_out"
    assert "该账号已暂时锁定" in error["message"] and "分钟后" in error["message"]
    assert datetime.fromisoformat(error["details"]["locked_until"]) > datetime.now(timezone.utc)
    assert page_login(client, "hz_city", PASSWORD).status_code == 429  # locked on the page too


def test_the_lock_ends_after_fifteen_minutes_and_a_success_starts_the_count_again(db: Session) -> None:
    start = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)
    for minute in range(5):
        assert accounts.authenticate(db, "qt_newmat", "wrong", start + timedelta(minutes=minute)) is None
    locked_at = start + timedelta(minutes=4)

    with pytest.raises(accounts.LockedOut) as refused:
        accounts.authenticate(db, "qt_newmat", PASSWORD, locked_at + timedelta(minutes=14, seconds=59))
    assert refused.value.lock.until == locked_at + timedelta(minutes=15)
    assert "10:19（北京时间，约1分钟后）" in refused.value.message

    after = locked_at + timedelta(minutes=15)
    assert accounts.authenticate(db, "qt_newmat", PASSWORD, after) is not None
    # Four failures after a success do not lock; failures before the success no longer count.
    for second in range(1, 5):
        assert accounts.authenticate(db, "qt_newmat", "wrong", after + timedelta(seconds=second)) is None
    assert accounts.authenticate(db, "qt_newmat", PASSWORD, after + timedelta(seconds=10)) is not None


def test_failures_spread_over_more_than_fifteen_minutes_do_not_lock(db: Session) -> None:
    start = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)
    for n in range(8):
        assert accounts.authenticate(db, "qt_newmat", "wrong", start + timedelta(minutes=4 * n)) is None

    assert accounts.authenticate(db, "qt_newmat", PASSWORD, start + timedelta(minutes=30)) is not None
    assert events(db, "lockout") == []


def test_twenty_failures_from_one_address_block_that_address(client: FlaskClient, db: Session) -> None:
    # An attacker trying one password against many names never locks a single account.
    for n in range(19):
        response = page_login(client, f"guess{n}", "123456", address=ATTACKER["REMOTE_ADDR"])
        assert response.status_code == 401
    twentieth = page_login(client, "guess19", "123456", address=ATTACKER["REMOTE_ADDR"])
    assert twentieth.status_code == 429

    blocked = page_login(client, "hz_city", PASSWORD, address=ATTACKER["REMOTE_ADDR"])

    assert blocked.status_code == 429
    assert "来自您所在网络地址的登录失败次数过多，已暂停登录" in text_of(blocked)
    assert [e.subject for e in events(db, "client_lockout")] == [ATTACKER["REMOTE_ADDR"]]
    assert page_login(client, "hz_city", PASSWORD, address="198.51.100.20").status_code == 302


# Password reset -----------------------------------------------------------------------------

def mails_to(db: Session, recipient: str) -> list[SentEmail]:
    return list(db.scalars(select(SentEmail).where(SentEmail.recipient == recipient).order_by(SentEmail.id)))


def reset_link(db: Session, recipient: str) -> str:
    mails = mails_to(db, recipient)
    assert len(mails) == 1, [m.body for m in mails]
    match = LINK.search(mails[0].body)
    assert match, mails[0].body
    return match.group(1)


def test_a_reset_link_is_mailed_and_sets_a_new_password_once(client: FlaskClient, db: Session) -> None:
    public = Api(client)
    answer = public.post("/auth/password-reset", {"username": "qt_newmat"}, expect=202)

    mail = mails_to(db, "energy@qt-newmat.example.com")[0]
    assert mail.subject == "【绿色低碳认定系统】重置密码"
    assert "qt_newmat" in mail.body and "1" in mail.body
    token = reset_link(db, "energy@qt-newmat.example.com")
    # Only the digest is kept: the token is in neither the reset row nor the outbox.
    assert db.scalar(select(func.count()).select_from(PasswordReset).where(PasswordReset.digest == token)) == 0
    assert all(token not in str(item.args) for item in db.scalars(select(OutboxItem)))

    confirmed = public.post("/auth/password-reset/confirm", {"token": token, "password": "new-secret-2026"})
    assert confirmed["username"] == "qt_newmat"
    assert api_login(client, "qt_newmat", PASSWORD).status_code == 401
    assert api_login(client, "qt_newmat", "new-secret-2026").status_code == 200
    reused = public.post("/auth/password-reset/confirm", {"token": token, "password": "other-secret-2026"},
                         expect=422)
    assert reused["error"]["details"]["fields"]["token"] == ["该重置链接已使用过或已失效，请重新申请找回密码"]
    assert answer == {"message": "如果该账号存在并登记了电子邮箱，重置密码的链接已发送到该邮箱，1小时内有效。"}


def test_the_answer_does_not_tell_whether_an_account_exists(client: FlaskClient, db: Session) -> None:
    public = Api(client)
    known = public.call("POST", "/auth/password-reset", 202, json={"email": "HZ_CITY@example.gov.cn"})
    unknown = public.call("POST", "/auth/password-reset", 202, json={"username": "nobody-here"})

    assert known.get_data() == unknown.get_data()
    assert len(mails_to(db, "hz_city@example.gov.cn")) == 1
    assert db.scalar(select(func.count()).select_from(SentEmail)) == 1
    public.post("/auth/password-reset", {}, expect=422)


def test_a_second_request_within_five_minutes_sends_no_second_mail(client: FlaskClient, db: Session) -> None:
    public = Api(client)
    public.post("/auth/password-reset", {"username": "hz_city"}, expect=202)
    public.post("/auth/password-reset", {"username": "hz_city"}, expect=202)

    assert len(mails_to(db, "hz_city@example.gov.cn")) == 1


def test_a_reset_link_expires_after_an_hour(db: Session, app) -> None:
    asked = datetime.now(timezone.utc)
    with app.app_context():
        accounts.request_password_reset(db, "hz_city", asked)
        from workflow import mail
        reset = db.scalars(select(PasswordReset)).one()
        mail.send_email(db, "password_reset", reset.id)
    token = reset_link(db, "hz_city@example.gov.cn")

    assert accounts.check_password_reset(db, token, asked + timedelta(minutes=59)).username == "hz_city"
    with pytest.raises(accounts.Invalid) as expired:
        accounts.confirm_password_reset(db, token, "new-secret-2026", asked + timedelta(hours=1))
    assert "已过期（有效期1小时）" in expired.value.message


def test_a_password_reset_lifts_the_lock(client: FlaskClient, db: Session) -> None:
    for _ in range(5):
        page_login(client, "hz_city", "wrong-password")
    assert page_login(client, "hz_city", PASSWORD).status_code == 429
    Api(client).post("/auth/password-reset", {"username": "hz_city"}, expect=202)
    token = reset_link(db, "hz_city@example.gov.cn")
    Api(client).post("/auth/password-reset/confirm", {"token": token, "password": "new-secret-2026"})

    assert page_login(client, "hz_city", "new-secret-2026").status_code == 302


def test_the_reset_pages_in_chinese(client: FlaskClient, db: Session) -> None:
    login_page = text_of(client.get("/login"))
    assert "忘记密码？" in login_page

    sent = client.post("/password-reset", data={"csrf_token": csrf_token(client, "/password-reset"),
                                                "login": "qt_newmat"})
    assert sent.status_code == 200 and "请查收邮件" in text_of(sent)
    nobody = client.post("/password-reset", data={"csrf_token": csrf_token(client, "/password-reset"),
                                                  "login": "nobody-here"})
    assert text_of(nobody) == text_of(sent)

    token = reset_link(db, "energy@qt-newmat.example.com")
    form_page = f"/password-reset/{token}"
    assert "设置新密码" in text_of(client.get(form_page))
    mismatch = client.post(form_page, data={"csrf_token": csrf_token(client, form_page),
                                            "password": "new-secret-2026", "password_confirm": "other"})
    assert mismatch.status_code == 422 and "两次输入的密码不一致" in text_of(mismatch)
    short = client.post(form_page, data={"csrf_token": csrf_token(client, form_page),
                                         "password": "short", "password_confirm": "short"})
    assert short.status_code == 422 and "密码至少需要8个字符" in text_of(short)

    done = client.post(form_page, data={"csrf_token": csrf_token(client, form_page),
                                        "password": "new-secret-2026", "password_confirm": "new-secret-2026"},
                       follow_redirects=True)
    assert "密码已重置，请用新密码登录" in text_of(done)
    assert page_login(client, "qt_newmat", "new-secret-2026").status_code == 302
    used = client.get(form_page)
    assert used.status_code == 404 and "该重置链接已使用过或已失效" in text_of(used)
    assert client.get("/password-reset/not-a-token").status_code == 404


def test_with_smtp_host_the_mail_goes_to_the_smtp_server(client: FlaskClient, db: Session, monkeypatch) -> None:
    sent: list[Any] = []

    class Server:
        def __init__(self, host: str, port: int, timeout: float) -> None:
            sent.append(("connect", host, port))

        def __enter__(self) -> Any:
            return self

        def __exit__(self, *exc: object) -> None:
            pass

        def ehlo(self) -> None:
            pass

        def has_extn(self, name: str) -> bool:
            return name == "starttls"

        def starttls(self, context: object) -> None:
            sent.append(("starttls",))

        def login(self, user: str, password: str) -> None:
            sent.append(("login", user, password))

        def send_message(self, message: Any) -> None:
            sent.append(("message", message))

    monkeypatch.setenv("SMTP_HOST", "smtp.example.gov.cn")
    monkeypatch.setenv("SMTP_PORT", "587")
    monkeypatch.setenv("SMTP_USER", "greencert")
    monkeypatch.setenv("SMTP_PASSWORD", "smtp-secret")
    monkeypatch.setenv("MAIL_FROM", "noreply@example.gov.cn")
    monkeypatch.setattr("smtplib.SMTP", Server)

    Api(client).post("/auth/password-reset", {"username": "hz_city"}, expect=202)

    assert sent[:3] == [("connect", "smtp.example.gov.cn", 587), ("starttls",),
                        ("login", "greencert", "smtp-secret")]
    message = sent[3][1]
    assert message["To"] == "hz_city@example.gov.cn" and "noreply@example.gov.cn" in message["From"]
    assert LINK.search(message.get_content())
    assert db.scalar(select(func.count()).select_from(SentEmail)) == 0


# API tokens ---------------------------------------------------------------------------------

def test_tokens_are_listed_without_their_value_and_a_revoked_token_is_refused(client: FlaskClient,
                                                                              db: Session) -> None:
    staff = Api(client, "hz_city")
    created = staff.post("/tokens", {"label": "数据对接"}, expect=201)
    assert set(created) == {"id", "label", "created_at", "last_used_at", "revoked", "token"}
    assert created["last_used_at"] is None and created["revoked"] is False

    robot = Api(client)
    robot.headers = {"Authorization": f"Bearer {created['token']}"}
    assert robot.get("/me")["username"] == "hz_city"

    listed = {t["id"]: t for t in staff.get("/tokens")}
    assert all("token" not in t for t in listed.values())
    assert listed[created["id"]]["label"] == "数据对接"
    assert listed[created["id"]]["last_used_at"] is not None  # noted on use, even by a GET
    assert db.scalar(select(ApiToken.digest).where(ApiToken.id == created["id"])) != created["token"]

    staff.call("DELETE", f"/tokens/{created['id']}", 204)
    assert robot.get("/me", expect=401)["error"]["message"] == "访问令牌无效或已撤销"
    assert {t["id"]: t["revoked"] for t in staff.get("/tokens")}[created["id"]] is True
    staff.call("DELETE", f"/tokens/{created['id']}", 204)  # revoking again changes nothing
    assert [e.details["token_id"] for e in events(db, "token_revoked")] == [created["id"]]


def test_a_page_requested_with_a_token_shows_the_tokens_user(client: FlaskClient, db: Session) -> None:
    token = Api(client, "hz_city").post("/tokens", {"label": "数据对接"}, expect=201)["token"]
    client.get("/logout")
    for path in ("/console", "/console/applications"):
        page = client.get(path, headers={"Authorization": f"Bearer {token}"})
        assert page.status_code == 200, path
        assert "杭州市经信局 绿色制造处 王科长" in page.get_data(as_text=True)
    refused = client.get("/console", headers={"Authorization": "Bearer no-such-token"})
    assert refused.status_code == 302 and "/login" in refused.headers["Location"]


def test_one_cannot_see_or_revoke_another_users_token(client: FlaskClient) -> None:
    staff = Api(client, "hz_city")
    other = Api(client, "qt_county")
    created = staff.post("/tokens", {"label": "数据对接"}, expect=201)

    assert created["id"] not in {t["id"] for t in other.get("/tokens")}
    other.call("DELETE", f"/tokens/{created['id']}", 404)
    staff.get("/me")  # still valid
    Api(client).call("GET", "/tokens", 401)
    staff.post("/tokens", {"label": ""}, expect=422)


def test_signing_in_and_out_is_on_the_audit_log(client: FlaskClient, db: Session) -> None:
    page_login(client, "qt_newmat", "wrong-password", address="198.51.100.9")
    page_login(client, "qt_newmat", PASSWORD, address="198.51.100.9")

    failed, = events(db, "login_failed", "qt_newmat")
    success, = events(db, "login", "qt_newmat")
    assert failed.client_address == success.client_address == "198.51.100.9"
    assert success.user_id == user(db, "qt_newmat").id
    assert db.execute(text("SELECT prev_hash, hash FROM audit_events WHERE id = :id"),
                      {"id": success.id}).one() == (failed.hash, success.hash)
