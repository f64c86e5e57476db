"""The fuzzers' world: the rich demo world (designations in every state, notices, objections,
reviews, certificates) seeded once per backend, and a rolled-back transaction around each test, so
that generated ids and actions land on real records."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import Engine, update
from sqlalchemy.orm import Session, sessionmaker

from models import OutboxItem
from models.enums import OutboxState
from tests.conftest import BACKENDS, SEEDED_AT, app_over, fresh_database, rolled_back
from workflow import demo


@pytest.fixture(scope="module", params=BACKENDS)
def world_engine(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    with fresh_database(request.param, tmp_path_factory.mktemp("fuzz")) as engine:
        with Session(engine) as session:
            demo.seed_world(session, SEEDED_AT)
            # The world's certificates stay unrendered: the fuzzers ask about them, not for them.
            session.execute(update(OutboxItem).values(state=OutboxState.done))
            session.commit()
        yield engine


@pytest.fixture
def world_factory(world_engine: Engine) -> Iterator[sessionmaker[Session]]:
    with rolled_back(world_engine) as sessions:
        yield sessions


@pytest.fixture
def world_app(world_factory: sessionmaker[Session], tmp_path: Path) -> Flask:
    return app_over(world_factory, tmp_path)
