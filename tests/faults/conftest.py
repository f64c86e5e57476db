"""The real stack for fault tests: a fresh committed PostgreSQL schema, a Redis server of the
test's own (so stopping it disturbs nobody), and `greencert worker` / `scheduler` processes."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from tests.conftest import PG_URL, drop_postgres_schema, new_postgres_schema, seeded, unavailable
from workflow import runtime
from workflow.db import session_factory
from workflow.storage import LocalStorage

REDIS_SERVER = "/usr/bin/redis-server"
GREENCERT = Path(sys.executable).parent / "greencert"
BASE_URL = "http://greencert.test"
SECRET_KEY = "fault-tests-secret-key"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(what: str, condition: Callable[[], Any], timeout: float, every: float = 0.2,
             stack: Stack | None = None) -> Any:
    """Poll `condition` until it returns something true; fail with `what` (and the logs of the
    stack's processes) after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            logs = f"\n{stack.log_tail()}" if stack is not None else ""
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}{logs}", pytrace=False)
        time.sleep(every)


@dataclass
class RedisServer:
    """A redis-server process of this test alone, without persistence."""

    port: int
    process: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def connection(self) -> Any:
        from redis import Redis

        return Redis.from_url(self.url, socket_timeout=5, socket_connect_timeout=2)

    def pause(self) -> None:
        """Stop the server as a frozen host would: connections hang rather than fail."""
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        self.process.send_signal(signal.SIGCONT)


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    if not os.access(REDIS_SERVER, os.X_OK):
        unavailable("redis-server", f"{REDIS_SERVER} is missing")
    port = free_port()
    process = subprocess.Popen(
        [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(tmp_path), "--logfile", str(tmp_path / "redis.log")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    server = RedisServer(port, process)

    def answers() -> bool:
        from redis.exceptions import RedisError

        try:
            return bool(server.connection().ping())
        except RedisError:
            return False

    try:
        wait_for("the test's redis-server to answer", answers, 10)
        yield server
    finally:
        process.send_signal(signal.SIGCONT)
        process.terminate()
        process.wait(timeout=10)


@dataclass
class Stack:
    """A fresh PostgreSQL schema with the demo accounts, file storage, and the environment under
    which `greencert` subprocesses use both and the test's Redis."""

    engine: Engine
    factory: sessionmaker[Session]
    env: dict[str, str]
    storage: Path
    logs: Path
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def database_url(self) -> str:
        return self.env["DATABASE_URL"]

    def start(self, *args: str) -> subprocess.Popen[bytes]:
        """Start `greencert <args>` in a session of its own, its output in the logs folder."""
        with (self.logs / f"{args[0]}-{len(self.processes)}.log").open("wb") as log:
            process = subprocess.Popen([str(GREENCERT), *args], env=self.env, stdout=log,
                                       stderr=subprocess.STDOUT, start_new_session=True)
        self.processes.append(process)
        return process

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)

    def log_tail(self) -> str:
        return "\n".join(f"--- {path.name}\n{path.read_text(errors='replace')[-3000:]}"
                         for path in sorted(self.logs.glob("*.log")))


@pytest.fixture
def stack(tmp_path: Path, redis_server: RedisServer) -> Iterator[Stack]:
    engine, schema = new_postgres_schema()
    seeded(engine)
    factory = session_factory(engine)
    storage = tmp_path / "files"
    logs = tmp_path / "logs"
    logs.mkdir()
    runtime.configure(runtime.Runtime(factory=factory, storage=LocalStorage(storage), base_url=BASE_URL,
                                      redis_url=redis_server.url, secret_key=SECRET_KEY))
    separator = "&" if "?" in PG_URL else "?"
    env = {**os.environ, "DATABASE_URL": f"{PG_URL}{separator}options=-csearch_path%3D{schema}",
           "REDIS_URL": redis_server.url, "STORAGE_DIR": str(storage), "BASE_URL": BASE_URL,
           "GREENCERT_INSTANCE": str(tmp_path / "instance"), "SECRET_KEY": SECRET_KEY}
    stack = Stack(engine, factory, env, storage, logs)
    try:
        yield stack
    finally:
        stack.stop_all()
        engine.dispose()
        drop_postgres_schema(schema)
