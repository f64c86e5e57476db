"""Fixtures: one migrated database per backend (SQLite and the local PostgreSQL), the demo
world seeded once into each, and a rolled-back transaction around every test."""
from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

os.environ.setdefault("ARGON2_PROFILE", "cheapest")

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, event, text
from sqlalchemy.orm import Session, sessionmaker

from models.schema import upgrade
from web import create_app
from workflow import demo
from workflow.db import make_engine

CI = os.environ.get("CI") == "true"
PG_URL = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")


def _redis_url() -> str:
    """TEST_REDIS_URL; each parallel test process (pytest-xdist gw0, gw1, ...) counts down from its
    database number to one of its own, because the job tests empty their database."""
    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    worker = os.environ.get("PYTEST_XDIST_WORKER") or "gw0"
    parts = urlsplit(url)
    database = (int(parts.path.strip("/") or 0) - int(worker.removeprefix("gw"))) % 16  # Redis has 16
    return urlunsplit(parts._replace(path=f"/{database}"))


REDIS_URL = _redis_url()
# The demo world is seeded as of this moment; its programmes are open around it.
SEEDED_AT = datetime.now(timezone.utc)


def unavailable(what: str, why: str) -> None:
    """Skip locally when a server is missing; under CI=true the test fails instead."""
    message = f"{what} is not available: {why}"
    if CI:
        pytest.fail(message + " (required under CI=true)", pytrace=False)
    pytest.skip(message)


def postgres_schema_engine(schema: str) -> Engine:
    return make_engine(PG_URL, connect_args={"options": f"-csearch_path={schema}"})


def new_postgres_schema() -> tuple[Engine, str]:
    admin = make_engine(PG_URL)
    try:
        with admin.begin() as connection:
            schema = f"gc_test_{uuid.uuid4().hex[:10]}"
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as error:  # noqa: BLE001 - any connection problem means "not available"
        admin.dispose()
        unavailable("PostgreSQL", str(error).splitlines()[0])
    admin.dispose()
    return postgres_schema_engine(schema), schema


def drop_postgres_schema(schema: str) -> None:
    admin = make_engine(PG_URL)
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    admin.dispose()


def seeded(engine: Engine) -> None:
    upgrade(engine)
    with Session(engine) as session:
        demo.seed(session, SEEDED_AT)
        session.commit()


@contextmanager
def fresh_database(backend: str, folder: Path, *, seed: bool = True) -> Iterator[Engine]:
    """A migrated database of its own whose transactions really commit (for several connections,
    processes or concurrent writers), dropped afterwards."""
    if backend == "sqlite":
        engine = make_engine(f"sqlite:///{folder / f'{uuid.uuid4().hex[:8]}.db'}")
        schema = None
    else:
        engine, schema = new_postgres_schema()
    try:
        seeded(engine) if seed else upgrade(engine)
        yield engine
    finally:
        engine.dispose()
        if schema is not None:
            drop_postgres_schema(schema)


BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(scope="session", params=BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'greencert.db'}")
        seeded(engine)
        yield engine
        engine.dispose()
        return
    engine, schema = new_postgres_schema()
    try:
        seeded(engine)
        yield engine
    finally:
        engine.dispose()
        drop_postgres_schema(schema)


@contextmanager
def rolled_back(engine: Engine) -> Iterator[sessionmaker[Session]]:
    """Sessions joined to one outer transaction that is rolled back at the end."""
    connection = engine.connect()
    transaction = connection.begin()
    try:
        yield sessionmaker(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    finally:
        transaction.rollback()
        connection.close()


def app_over(factory: sessionmaker[Session], tmp_path: Path, **config: Any) -> Flask:
    """The app over the test's sessions, jobs in-process, files under the test's folder."""
    return create_app({
        "SESSION_FACTORY": factory, "TESTING": True, "REDIS_URL": None,
        "STORAGE_DIR": str(tmp_path / "files"), "BASE_URL": "http://greencert.test", **config,
    })


@contextmanager
def statements_sent(engine: Engine) -> Iterator[list[str]]:
    """Every SQL statement sent to the database inside the block, but the test's own savepoints."""
    sent: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
            sent.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", record)


@pytest.fixture
def factory(engine: Engine) -> Iterator[sessionmaker[Session]]:
    with rolled_back(engine) as sessions:
        yield sessions


@pytest.fixture
def db(factory: sessionmaker[Session]) -> Iterator[Session]:
    session = factory()
    yield session
    session.close()


@pytest.fixture
def app(factory: sessionmaker[Session], tmp_path: Path) -> Flask:
    return app_over(factory, tmp_path)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def backend(engine: Engine) -> str:
    return engine.dialect.name


SKIPPED: list[str] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.skipped:
        SKIPPED.append(report.nodeid)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Under CI=true nothing may skip: the PostgreSQL, Redis and browser tests must run."""
    if CI and SKIPPED:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(f"CI=true but {len(SKIPPED)} tests skipped: {', '.join(SKIPPED[:10])}", red=True)
