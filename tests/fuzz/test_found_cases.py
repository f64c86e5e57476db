"""Requests the fuzzers found answered with a server error, kept as plain examples: each now gets
a refusal in the JSON envelope (or a Chinese page) on both backends."""
from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from tests.web.apiclient import Api

BEYOND_ANY_ID = 935904413786542969198739456
BEYOND_32_BITS = 21552819198480


@pytest.mark.parametrize(("method", "path", "body", "status"), [
    # Ids beyond any row id: SQLite cannot even bind them, PostgreSQL's INTEGER refuses them.
    ("GET", f"/notices/{BEYOND_ANY_ID}", None, 404),
    ("GET", f"/applications/{BEYOND_32_BITS}/panel", None, 404),  # a path that also takes POST: not 405
    ("POST", f"/changes/{BEYOND_ANY_ID}/actions/approve", {}, 404),
    ("PATCH", f"/experts/{BEYOND_ANY_ID}", {}, 404),
    ("GET", f"/objections/{BEYOND_ANY_ID}/evidence/0", None, 404),
    ("POST", "/notices", {"application_ids": [BEYOND_ANY_ID, 668]}, 422),
    ("POST", "/notices/1/objections", {"application_id": BEYOND_ANY_ID, "name": "张三", "contact": "1",
                                       "content": "异议"}, 422),
    ("GET", f"/designations?page={BEYOND_ANY_ID}", None, 422),
    ("GET", f"/feed?after_id={BEYOND_32_BITS}", None, 422),
    # A digit int() does not read.
    ("GET", "/applications?q=%C2%B9", None, 200),
    ("GET", "/designations?page=%C2%B9", None, 422),
    # A refused filter of an export is refused before the file is begun.
    ("GET", "/applications?format=xlsx&submitted_from=yesterday", None, 422),
])
def test_what_the_fuzzers_found_is_refused_cleanly(client: FlaskClient, method: str, path: str, body: object,
                                                   status: int) -> None:
    staff = Api(client, "hz_city")

    response = staff.call(method, path, json=body)

    assert response.status_code == status, response.get_data(as_text=True)[:300]
    if status != 200:
        assert response.json["error"]["message"]


def test_a_page_for_an_id_beyond_any_record_is_the_chinese_not_found_page(client: FlaskClient) -> None:
    response = client.get(f"/notices/{BEYOND_ANY_ID}")

    assert response.status_code == 404
    assert "不存在" in response.get_data(as_text=True)


def test_a_name_with_control_characters_still_exports_to_excel(client: FlaskClient) -> None:
    from io import BytesIO

    from openpyxl import load_workbook

    from evaluators import uscc_check_character

    code = "91330114MA2H3X4Y7"
    registered = client.post("/api/v1/registrations", json={
        "uscc": code + uscc_check_character(code), "name": "钱塘\x01控制\x0b字符厂", "jurisdiction": "330114",
        "industry_codes": ["C3011"], "username": "control_chars", "password": "long-enough-pass-123",
        "email": "control@example.cn"})
    assert registered.status_code == 201

    response = Api(client, "hz_city").call("GET", "/enterprises?format=xlsx")

    assert response.status_code == 200
    names = [row[0].value for row in load_workbook(BytesIO(response.data)).active.iter_rows()]
    assert any(str(name) == "钱塘控制字符厂" for name in names), names
