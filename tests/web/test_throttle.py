"""Throttles on the public endpoints: objections to a notice and certificate verification, per
network address, answered with 429 (the JSON envelope, or a Chinese page) and Retry-After."""
from __future__ import annotations

import time
import uuid
from datetime import datetime, timezone
from pathlib import Path
from types import SimpleNamespace

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from models.enums import ApplicationState as S
from tests.builders import application_in
from tests.conftest import REDIS_URL, app_over, unavailable
from web import throttle
from web.throttle import LIMITS

NOW = datetime.now(timezone.utc)
OBJECTION = {"application_id": 1, "name": "张三", "contact": "13800000000", "content": "数据不实"}


@pytest.fixture(autouse=True)
def one_window(monkeypatch: pytest.MonkeyPatch) -> None:
    """The throttle's clock stands still at the start of an hour, which starts a window of every
    limit: a minute's worth of requests made on a slow machine would otherwise run into the next
    minute's window and be counted afresh."""
    hour = time.time() // 3600 * 3600 + 1
    monkeypatch.setattr(throttle, "time", SimpleNamespace(time=lambda: hour))


def visitor(address: str) -> dict[str, dict[str, str]]:
    return {"environ_base": {"REMOTE_ADDR": address}}


def test_the_eleventh_objection_within_an_hour_is_refused_with_429(client: FlaskClient) -> None:
    allowed = LIMITS["objection"].requests
    for _ in range(allowed):
        response = client.post("/api/v1/notices/1/objections", json=OBJECTION, **visitor("198.51.100.1"))
        assert response.status_code != 429

    refused = client.post("/api/v1/notices/1/objections", json=OBJECTION, **visitor("198.51.100.1"))
    other = client.post("/api/v1/notices/1/objections", json=OBJECTION, **visitor("198.51.100.2"))

    assert refused.status_code == 429
    assert refused.json["error"]["code"] == "too_many_requests"
    assert "过于频繁" in refused.json["error"]["message"]
    assert 0 < int(refused.headers["Retry-After"]) <= 3600
    assert other.status_code != 429


def test_the_objection_form_of_a_notice_page_shares_the_count(client: FlaskClient, app: Flask, db: Session) -> None:
    app.config["WTF_CSRF_ENABLED"] = False
    noticed = application_in(db, S.public_notice, NOW)
    db.flush()
    path = f"/notices/{noticed.notice_id}"
    for _ in range(LIMITS["objection"].requests):
        client.post(f"/api/v1{path}/objections", json=OBJECTION, **visitor("198.51.100.3"))

    page = client.post(path, data=OBJECTION, **visitor("198.51.100.3"))

    assert page.status_code == 429
    assert "过于频繁" in page.get_data(as_text=True)
    assert "Retry-After" in page.headers


def test_looking_certificates_up_is_throttled_on_the_api_and_the_page(client: FlaskClient) -> None:
    for _ in range(LIMITS["verification"].requests):
        assert client.get("/api/v1/certificates/GC-NOT-A-NUMBER", **visitor("198.51.100.4")).status_code == 404

    assert client.get("/api/v1/certificates/GC-NOT-A-NUMBER", **visitor("198.51.100.4")).status_code == 429
    page = client.get("/verify/GC-NOT-A-NUMBER", **visitor("198.51.100.4"))
    assert page.status_code == 429 and "过于频繁" in page.get_data(as_text=True)
    assert client.get("/verify/GC-NOT-A-NUMBER", **visitor("198.51.100.5")).status_code == 404


def redis_app(factory: sessionmaker[Session], tmp_path: Path, redis_url: str) -> Flask:
    return app_over(factory, tmp_path, REDIS_URL=redis_url)


@pytest.mark.redis
def test_with_redis_every_web_process_counts_together(factory, tmp_path) -> None:
    first, second = (redis_app(factory, tmp_path, REDIS_URL) for _ in range(2))
    try:
        first.extensions["greencert"].redis().ping()
    except Exception as error:  # noqa: BLE001
        unavailable("Redis", str(error))
    address = f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"
    limit = LIMITS["verification"].requests

    for number in range(limit):
        app = first if number % 2 else second
        assert app.test_client().get("/api/v1/certificates/X", **visitor(address)).status_code == 404

    assert first.test_client().get("/api/v1/certificates/X", **visitor(address)).status_code == 429
    assert second.test_client().get("/api/v1/certificates/X", **visitor(address)).status_code == 429


def test_an_unreachable_redis_lets_the_public_through(factory, tmp_path) -> None:
    app = redis_app(factory, tmp_path, "redis://127.0.0.1:1/0")

    response = app.test_client().get("/api/v1/certificates/X")

    assert response.status_code == 404


def proxied_app(factory: sessionmaker[Session], tmp_path: Path, hops: int) -> Flask:
    return app_over(factory, tmp_path, PROXY_HOPS=hops)


def behind_proxy(forwarded_for: str) -> dict[str, dict[str, str]]:
    return {"environ_base": {"REMOTE_ADDR": "10.0.0.1"},
            "headers": {"X-Forwarded-For": forwarded_for, "X-Forwarded-Proto": "https"}}


def test_behind_a_proxy_each_visitor_is_counted_by_their_own_address(factory, tmp_path) -> None:
    client = proxied_app(factory, tmp_path, hops=1).test_client()
    for _ in range(LIMITS["verification"].requests):
        client.get("/api/v1/certificates/GC-NOT-A-NUMBER", **behind_proxy("203.0.113.7"))

    refused = client.get("/api/v1/certificates/GC-NOT-A-NUMBER", **behind_proxy("203.0.113.7"))
    neighbour = client.get("/api/v1/certificates/GC-NOT-A-NUMBER", **behind_proxy("203.0.113.8"))

    assert refused.status_code == 429
    assert neighbour.status_code == 404  # same proxy, another visitor: not throttled with the first
    assert "Strict-Transport-Security" in neighbour.headers  # HTTPS ended at the proxy


def test_without_a_configured_proxy_a_forged_forwarded_address_changes_nothing(factory, tmp_path) -> None:
    client = proxied_app(factory, tmp_path, hops=0).test_client()
    for number in range(LIMITS["verification"].requests):
        client.get("/api/v1/certificates/GC-NOT-A-NUMBER", **behind_proxy(f"203.0.113.{number}"))

    refused = client.get("/api/v1/certificates/GC-NOT-A-NUMBER", **behind_proxy("203.0.113.250"))

    assert refused.status_code == 429
    assert "Strict-Transport-Security" not in refused.headers
