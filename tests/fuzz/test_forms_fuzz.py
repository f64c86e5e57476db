"""Hypothesis over what people type: every marshmallow schema of the API and the forms, the
application document of every guideline and its evaluation, and the page forms posted with
arbitrary values. Bad input is refused with a Chinese message, never a server error."""
from __future__ import annotations

import json
import math
import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from marshmallow import Schema, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

import evaluators
from evaluators.examples import example_document
from models import Application, Designation, Expert, Notice, Objection, Review
from tests.conftest import app_over
from web import create_app
from web.schemas import Base, document_schema, load_document
from workflow.demo import PASSWORD

CJK = re.compile(r"[\u4e00-\u9fff]")
FUZZ = settings(derandomize=True, database=None, deadline=None, max_examples=50,
                suppress_health_check=list(HealthCheck))
KEYS = [g.key for g in evaluators.available()]

text = st.text(max_size=12)
scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), text,
                    st.sampled_from(["", " ", "1", "-1", "１２", "¹", "1e400", "nan", "2025-02-30", "是", "否"]))


def json_like(keys: list[str]) -> st.SearchStrategy[Any]:
    """JSON-like values whose object keys are often the schema's own field names."""
    names = st.one_of(st.sampled_from(keys), text) if keys else text
    return st.recursive(scalars, lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(names, inner, max_size=6)), max_leaves=12)


def messages(error: ValidationError) -> list[str]:
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for value in node.values():
                walk(value)
        elif isinstance(node, (list, tuple)):
            for value in node:
                walk(value)
        else:
            found.append(str(node))

    walk(error.messages)
    return found


def every_schema() -> list[type[Schema]]:
    import web.api  # noqa: F401 - the API modules declare schemas of their own

    found, todo = [], [Base]
    while todo:
        schema = todo.pop()
        found.append(schema)
        todo += schema.__subclasses__()
    return sorted(set(found) - {Base}, key=lambda s: f"{s.__module__}.{s.__name__}")


@pytest.fixture(scope="module")
def context_app() -> Flask:
    return create_app({"TESTING": True})


def loads_or_refuses_in_chinese(schema: Schema, data: Any, **kwargs: Any) -> dict[str, Any] | None:
    try:
        return schema.load(data, **kwargs)
    except ValidationError as error:
        english = [m for m in messages(error) if not CJK.search(m)]
        assert not english, (type(schema).__name__, data, english)
        return None


@pytest.mark.parametrize("schema_class", every_schema(), ids=lambda s: s.__name__)
def test_every_schema_loads_or_refuses_in_chinese(context_app: Flask, schema_class: type[Schema]) -> None:
    schema = schema_class()

    @FUZZ
    @given(data=json_like(list(schema.fields)))
    def check(data: Any) -> None:
        loads_or_refuses_in_chinese(schema, data)

    with context_app.test_request_context():
        check()


def varied(example: Any) -> st.SearchStrategy[Any]:
    """The example document with any of its answers replaced by something else a person might type."""
    if isinstance(example, dict):
        return st.fixed_dictionaries({k: st.one_of(varied(v), scalars) for k, v in example.items()})
    if isinstance(example, list):
        return st.lists(st.one_of(*[varied(v) for v in example]) if example else scalars, max_size=3)
    return st.one_of(st.just(example), scalars)


def assert_the_trace_adds_up(key: str, result: evaluators.engine.Evaluation) -> None:
    data = json.loads(json.dumps(result.to_dict(), ensure_ascii=False, allow_nan=False, default=str))
    assert math.isfinite(data["total"])
    for indicator in data["indicators"]:
        assert 0 <= indicator["points"] <= indicator["max_points"], indicator
        assert CJK.search(indicator["why"])
    rounding = 0.005 * max(len(data["groups"]), 1)
    assert sum(g["points"] for g in data["groups"]) == pytest.approx(data["total"], abs=rounding)
    if data["years"]:
        mean = sum(y["total"] for y in data["years"]) / len(data["years"])
        assert data["total"] == pytest.approx(mean, abs=0.01)


@pytest.mark.parametrize("key", KEYS)
def test_every_document_that_loads_evaluates_and_its_trace_adds_up(context_app: Flask, key: str) -> None:
    schema = document_schema(key)

    @FUZZ
    @given(data=st.one_of(varied(example_document(key, "pass")), json_like(list(schema.fields))))
    def check(data: Any) -> None:
        loaded = loads_or_refuses_in_chinese(schema, data, partial=True)
        if loaded is not None:
            assert_the_trace_adds_up(key, evaluators.evaluate(key, loaded, as_of="2026-06-30"))
        try:
            load_document(key, data)
        except ValidationError:
            pass

    with context_app.test_request_context():
        check()


# Page forms ---------------------------------------------------------------------------------

FIELDS = ["action", "application_id", "application_ids", "comments", "conclusion", "contact", "content",
          "deadline", "declaration", "employer_uscc", "former_count", "indicator", "industry_codes",
          "jurisdiction", "login", "name", "next", "number", "password", "password_confirm", "question",
          "reason", "reason_code", "recommendation", "seed", "specialties", "trigger", "until", "uscc",
          "username", "version", "year", "region", "title", "kind", "tier", "guideline", "opens_on",
          "closes_on", "pass_mark", "panel_size", "email", "employer", "indicators.x", "energy.electricity_kwh",
          "output.value_added_10k_yuan", "basic.x", "vetoes.x", "group.name", "group.uscc",
          "consultants.0.name", "consultants.¹.uscc", "years.0.year", "years.¹.year", "years.0.indicators.x"]
WORDS = ["submit", "recommend", "accept", "refuse", "return_for_changes", "suspend", "revoke",
         "require_rectification", "approve", "save", "deactivate", "activate", "¹", "x"]
form_values = st.one_of(text, st.sampled_from(["", "1", "-5", "１２", "¹", "2147483648", "99999999999999999999",
                                               "2026-02-30", "0726-11-06", "是", "否", "true", "nan", "1e400"]))


def page_rules(app: Flask) -> list[str]:
    """Every page that takes a form post, as a rule with its placeholders."""
    return sorted(rule.rule for rule in app.url_map.iter_rules()
                  if "POST" in rule.methods and not rule.rule.startswith("/api/") and rule.rule != "/logout")


def record_ids(factory: sessionmaker[Session]) -> dict[str, list[int]]:
    """The ids of the world's records, by the name of the placeholder that takes them."""
    with factory() as session:
        return {name: list(session.scalars(select(model.id).order_by(model.id)))
                for name, model in (("application_id", Application), ("review_id", Review), ("expert_id", Expert),
                                    ("notice_id", Notice), ("objection_id", Objection),
                                    ("designation_id", Designation))}


def path_for(rule: str, ids: dict[str, list[int]], draw: Any) -> str:
    def one(match: re.Match[str]) -> str:
        converter, _, name = match.group(1).rpartition(":")
        if converter == "int":
            known = ids.get(name) or [1]
            return str(draw(st.one_of(st.sampled_from(known), st.integers(min_value=0, max_value=2**31 + 5))))
        return draw(st.sampled_from(WORDS))

    return re.sub(r"<([^>]+)>", one, rule)


def signed_in(app: Flask, username: str) -> FlaskClient:
    client = app.test_client()
    response = client.post("/login", data={"username": username, "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return client


@pytest.mark.parametrize("username", ["hz_city", "qt_county", "qt_newmat", "expert_wang", None])
def test_page_forms_posted_with_any_values_never_fail(world_factory, tmp_path, username: str | None) -> None:
    app = app_over(world_factory, tmp_path, WTF_CSRF_ENABLED=False)
    client = signed_in(app, username) if username else app.test_client()
    ids = record_ids(world_factory)
    forms = st.dictionaries(st.one_of(st.sampled_from(FIELDS), text), form_values, max_size=8)

    for rule in page_rules(app):

        @settings(derandomize=True, database=None, deadline=None, max_examples=12,
                  suppress_health_check=list(HealthCheck))
        @given(data=st.data())
        def post(data: st.DataObject) -> None:
            path = path_for(rule, ids, data.draw)
            form = data.draw(forms)
            response = client.post(path, data=form, environ_base={"REMOTE_ADDR": "10.9.8.7"})
            body = response.get_data(as_text=True)
            assert response.status_code < 500, (path, form)
            assert "Traceback" not in body and 'File "/' not in body, (path, form)
            if response.status_code != 302:
                assert CJK.search(body), (path, form, body[:300])

        post()


# The same posts on the English pages, with what an English reader might type (no Chinese of their
# own, which a page may show back as it was typed).
typed_in_english = st.one_of(st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=12),
                             st.sampled_from(["", "1", "-5", "2147483648", "2026-02-30", "true", "nan"]))


@pytest.mark.parametrize("username", ["hz_city", "qt_newmat", "expert_wang", None])
def test_page_forms_answer_english_pages_in_english(world_factory, tmp_path, username: str | None) -> None:
    """Whatever a form post is refused for, the page it shows (or the page it leads to, with its flash)
    has nothing left in Chinese but the records' own data."""
    from tests.web.test_i18n import untranslated

    app = app_over(world_factory, tmp_path, WTF_CSRF_ENABLED=False)
    client = signed_in(app, username) if username else app.test_client()
    client.get("/language/en")
    ids = record_ids(world_factory)
    forms = st.dictionaries(st.sampled_from(FIELDS), typed_in_english, max_size=8)

    for rule in page_rules(app):

        @settings(derandomize=True, database=None, deadline=None, max_examples=6,
                  suppress_health_check=list(HealthCheck))
        @given(data=st.data())
        def post(data: st.DataObject) -> None:
            path = path_for(rule, ids, data.draw)
            form = data.draw(forms)
            response = client.post(path, data=form, environ_base={"REMOTE_ADDR": "10.9.8.6"})
            if response.status_code == 302 and response.headers["Location"].startswith("/"):
                response = client.get(response.headers["Location"], environ_base={"REMOTE_ADDR": "10.9.8.6"})
            if response.mimetype == "text/html":
                lang, found = untranslated(response.get_data(as_text=True))
                assert (lang, found) == ("en", []), (path, form)

        post()
