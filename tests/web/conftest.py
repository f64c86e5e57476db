"""A live server for browser tests: a fresh SQLite file with the demo world, served by
Werkzeug on a free local port in a background thread."""
from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.serving import make_server

from models import OutboxItem
from models.enums import OutboxState
from models.schema import upgrade
from web import create_app
from workflow import demo
from workflow.db import make_engine


@dataclass(frozen=True)
class LiveServer:
    url: str
    app: Flask
    seeded_at: datetime

    @property
    def factory(self) -> sessionmaker[Session]:
        """Sessions on the server's own database, for preparing records behind its back."""
        return self.app.extensions["greencert"].factory


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def serving(root: Path, *, world: bool = False) -> Iterator[LiveServer]:
    """Serve a fresh SQLite database under `root`, seeded with the demo accounts (and with
    `world`, the rich demo world, its certificate jobs marked done rather than rendered)."""
    url = f"sqlite:///{root / 'greencert.db'}"
    seeded_at = datetime.now(timezone.utc)
    engine = make_engine(url)
    upgrade(engine)
    with Session(engine) as session:
        demo.seed(session, seeded_at)
        if world:
            demo.seed_world(session, seeded_at)
            session.execute(update(OutboxItem).values(state=OutboxState.done))
        session.commit()
    engine.dispose()

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    app = create_app({"DATABASE_URL": url, "REDIS_URL": None, "STORAGE_DIR": str(root / "files"),
                      "BASE_URL": base})
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(base, app, seeded_at)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        app.extensions["greencert"].engine.dispose()


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with serving(tmp_path_factory.mktemp("live")) as server:
        yield server
