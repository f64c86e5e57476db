"""What the app keeps per process: the engine, the session factory, the Redis connection."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker


@dataclass
class AppState:
    engine: Engine
    factory: sessionmaker[Session]
    redis_url: str | None
    _redis: Any = field(default=None, repr=False)

    def redis(self) -> Any:
        """A Redis connection when REDIS_URL is set; None means jobs run in-process."""
        if self.redis_url is None:
            return None
        if self._redis is None:
            from redis import Redis

            self._redis = Redis.from_url(self.redis_url, socket_timeout=2, socket_connect_timeout=2)
        return self._redis
