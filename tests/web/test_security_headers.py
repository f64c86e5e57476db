"""What every answer carries for the browser's protection, and the size limit on requests: a
Content-Security-Policy the pages really satisfy (no inline script or style), HSTS over HTTPS,
and 413 in the JSON envelope or as a Chinese page."""
from __future__ import annotations

import io
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import app_over
from tests.web.test_security import page_login
from workflow.demo import PASSWORD

PAGES = {
    None: ["/", "/login", "/register", "/notices", "/directory", "/verify", "/password-reset"],
    "qt_newmat": ["/portal"],
    "hz_city": ["/console", "/console/applications", "/console/designations", "/console/notices", "/experts"],
    "expert_wang": ["/desk"],
}
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"<[^>]+\sstyle\s*=", re.IGNORECASE)


@pytest.mark.parametrize(("username", "path"), [(u, p) for u, paths in PAGES.items() for p in paths])
def test_pages_keep_to_a_policy_without_inline_script_or_style(client: FlaskClient, username: str | None,
                                                                path: str) -> None:
    if username:
        assert page_login(client, username, PASSWORD).status_code == 302

    response = client.get(path, follow_redirects=True)

    assert response.status_code == 200
    policy = dict(part.strip().split(" ", 1) for part in response.headers["Content-Security-Policy"].split(";"))
    assert policy["script-src"] == "'self'" and policy["style-src"] == "'self'"
    assert policy["object-src"] == "'none'" and policy["frame-ancestors"] == "'none'"
    html = response.get_data(as_text=True)
    assert not INLINE_SCRIPT.search(html), INLINE_SCRIPT.search(html)
    assert not HANDLER.search(html), HANDLER.search(html)
    assert not STYLE_ATTRIBUTE.search(html), STYLE_ATTRIBUTE.search(html)


def test_hsts_is_sent_over_https_only(client: FlaskClient) -> None:
    plain = client.get("/")
    secure = client.get("/", base_url="https://greencert.test")

    assert "Strict-Transport-Security" not in plain.headers
    assert secure.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


@pytest.fixture
def small_app(factory, tmp_path) -> Flask:
    return app_over(factory, tmp_path, WTF_CSRF_ENABLED=False, MAX_CONTENT_LENGTH=1024)


def test_a_request_over_the_size_limit_is_413_in_the_envelope(small_app: Flask) -> None:
    response = small_app.test_client().post("/api/v1/notices/1/objections", data=b"x" * 4096,
                                            content_type="application/json")

    assert response.status_code == 413
    assert response.json["error"]["code"] == "too_large"
    assert "过大" in response.json["error"]["message"]


def test_a_form_over_the_size_limit_is_a_chinese_413_page(small_app: Flask) -> None:
    response = small_app.test_client().post("/verify", data={"file": (io.BytesIO(b"%PDF" * 1024), "big.pdf")})

    assert response.status_code == 413
    assert "过大" in response.get_data(as_text=True)
