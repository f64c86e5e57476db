"""Schemathesis against /api/v1/openapi.json, in-process through the WSGI app, on the demo world:
every operation gets valid and invalid requests, as a city bureau's staff member with a personal
API token and as an anonymous visitor. No answer may be a 5xx, leak a traceback or a source path,
or leave the documented contract; every refusal is the JSON envelope with a Chinese message."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import hypothesis.errors
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from models import User
from web.config import ROOT
from workflow import accounts
from workflow.clock import now

# Generated cases per operation and generation mode (valid, then invalid input), and the fewest
# requests a campaign must have sent (operations with a small input space run out of distinct
# cases sooner). The full campaign runs on SQLite; PostgreSQL, whose stricter types refuse
# other things, gets a third of it to keep the suite's time.
EXAMPLES = {"sqlite": {"staff": 33, "anonymous": 14}, "postgresql": {"staff": 10, "anonymous": 4}}
MINIMUM_REQUESTS = {"sqlite": 5000, "postgresql": 1500}
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
CJK = re.compile(r"[\u4e00-\u9fff]")
# What a leaked stack trace or source location looks like in an answer.
LEAKS = [b"Traceback (most recent call last)", b'File "/', str(ROOT).encode(), b".py\", line"]


@dataclass
class Campaign:
    """Requests sent and problems found, across all operations."""

    requests: int = 0
    problems: dict[str, list[str]] = field(default_factory=dict)

    def problem(self, key: str, detail: str) -> None:
        found = self.problems.setdefault(key, [])
        if len(found) < 2:
            found.append(detail)

    def report(self) -> str:
        return "\n\n".join(f"{key}:\n" + "\n".join(found) for key, found in sorted(self.problems.items()))


class StaffToken:
    """A personal API token of a city bureau's staff member; issued again when a generated request
    happens to revoke it (DELETE /tokens/{id} is fuzzed too)."""

    def __init__(self, factory: sessionmaker[Session], username: str) -> None:
        self.factory = factory
        self.username = username
        self.value = self.issue()

    def issue(self) -> str:
        with self.factory() as session:
            staff = session.scalars(select(User).where(User.username == self.username)).one()
            _, value = accounts.create_token(session, staff, now(), label="fuzzing")
            session.commit()
        return value

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.value}"}


def envelope_problem(response: Any) -> str | None:
    """What is wrong with a refusal from the API, if anything: it must be the JSON envelope with
    a message a Chinese reader understands."""
    try:
        body = json.loads(response.content)
    except ValueError:
        return "not JSON"
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict) or not {"code", "message", "details"} <= error.keys():
        return "not the error envelope"
    if not CJK.search(str(error["message"])):
        return f"message not in Chinese: {error['message']!r}"
    return None


def has_invalid_input(operation: schemathesis.APIOperation) -> bool:
    """Whether anything the operation reads can be invalid: a body, or a parameter that is not
    free text (a path of free text, like a certificate number, has no invalid value)."""
    definition = operation.definition.raw
    if "requestBody" in definition:
        return True
    return any(set(p.get("schema", {})) - {"type"} or p.get("schema", {}).get("type") != "string"
               for p in definition.get("parameters", []))


def visitor(number: int) -> dict[str, str]:
    """A different network address for each anonymous request: many visitors, not one who is
    throttled after the first few (the throttles have tests of their own)."""
    return {"REMOTE_ADDR": f"10.{number >> 16 & 255}.{number >> 8 & 255}.{number & 255}"}


def fuzz(app: Flask, campaign: Campaign, backend: str, audience: str, token: StaffToken | None) -> None:
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(max_examples=EXAMPLES[backend][audience], derandomize=True, database=None, deadline=None,
                      phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
            def send(case: schemathesis.Case) -> None:
                headers = token.headers() if token else None
                environ = {} if token else {"environ_base": visitor(campaign.requests)}
                response = case.call(headers=headers, **environ)
                campaign.requests += 1
                key = f"{audience} {operation.label} → {response.status_code}"
                curl = case.as_curl_command(headers=headers)
                if any(leak in response.content for leak in LEAKS):
                    campaign.problem(key, f"leaks a traceback or source path: {curl}")
                if 400 <= response.status_code < 600:
                    problem = envelope_problem(response)
                    if problem:
                        campaign.problem(key, f"{problem}: {curl}\n{response.content[:300]!r}")
                try:
                    case.validate_response(response, checks=CHECKS, headers=headers)
                except FailureGroup as failures:
                    for failure in failures.exceptions:
                        campaign.problem(f"{key} {failure.title}", f"{failure.message}\n{curl}")
                if token and case.method == "DELETE" and response.status_code == 204:
                    token.value = token.issue()

            if mode is GenerationMode.NEGATIVE and not has_invalid_input(operation):
                continue
            try:
                send()
            except hypothesis.errors.Unsatisfiable:
                pass  # nothing invalid left to send once the few possible cases are spent


def test_the_api_answers_every_generated_request_without_a_server_error(
        world_app: Flask, world_factory: sessionmaker[Session], world_engine: Engine) -> None:
    backend = world_engine.dialect.name
    campaign = Campaign()

    fuzz(world_app, campaign, backend, "staff", StaffToken(world_factory, "hz_city"))
    fuzz(world_app, campaign, backend, "anonymous", None)

    assert campaign.requests >= MINIMUM_REQUESTS[backend], f"only {campaign.requests} requests"
    assert not campaign.problems, campaign.report()
