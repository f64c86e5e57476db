"""What jobs need from the process that runs them: sessions, file storage, the public base URL."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from workflow.storage import Storage


@dataclass
class Runtime:
    factory: sessionmaker[Session]
    storage: Storage
    base_url: str = "http://127.0.0.1:5000"
    redis_url: str | None = None
    secret_key: str = ""


_current: Runtime | None = None


def configure(runtime: Runtime) -> Runtime:
    from workflow import totals  # noqa: F401 - its session hooks keep the lists' kept totals exact

    global _current
    _current = runtime
    return runtime


def current() -> Runtime:
    if _current is None:
        raise RuntimeError("workflow.runtime.configure() has not been called in this process")
    return _current
