"""Throttles on what anyone may do without an account: filing objections to a public notice and
verifying certificates. Counted per network address in fixed windows: in Redis when the app has
one, so that every web process counts together, else in the process itself (the embedded default,
one process). If Redis cannot be reached the request goes through: a throttle must not take the
public pages down with it."""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext

from web.auth import client_address
from workflow.errors import WorkflowError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Limit:
    requests: int
    seconds: int


LIMITS = {
    # A person objects to a notice a few times at most; a script filing hundreds buries the bureau.
    "objection": Limit(10, 3600),
    # Enough for a clerk checking a pile of certificates; too few to walk through every number.
    "verification": Limit(60, 60),
}


class TooManyRequests(WorkflowError):
    status = 429
    code = "too_many_requests"

    def __init__(self, retry_after: int) -> None:
        minutes = max(1, -(-retry_after // 60))
        super().__init__(gettext("操作过于频繁，请约%(minutes)d分钟后再试。", minutes=minutes),
                         {"retry_after_seconds": retry_after})
        self.retry_after = retry_after


class _Counts:
    """The counters of one process: {(name, address, window): count}, old windows dropped."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.counts: dict[tuple[str, str, int], int] = {}

    def hit(self, key: tuple[str, str, int]) -> int:
        with self.lock:
            if len(self.counts) > 10_000:
                self.counts = {k: v for k, v in self.counts.items() if k[2] >= key[2] - 1}
            self.counts[key] = self.counts.get(key, 0) + 1
            return self.counts[key]


def check(name: str) -> None:
    """Count one request of kind `name` from the client's address; 429 once over the limit."""
    limit = LIMITS[name]
    moment = time.time()
    window = int(moment // limit.seconds)
    address = client_address()
    count = _hit(name, address, window, limit)
    if count > limit.requests:
        raise TooManyRequests(int((window + 1) * limit.seconds - moment) + 1)


def _hit(name: str, address: str, window: int, limit: Limit) -> int:
    redis = current_app.extensions["greencert"].redis()
    if redis is None:
        counts = current_app.extensions.setdefault("greencert.throttle", _Counts())
        return counts.hit((name, address, window))
    key = f"greencert:throttle:{name}:{address}:{window}"
    try:
        with redis.pipeline() as pipe:
            count, _ = pipe.incr(key).expire(key, limit.seconds + 60).execute()
        return int(count)
    except Exception as error:  # noqa: BLE001 - any Redis failure: let the request through
        log.warning("throttle %s not counted: %s", name, error)
        return 0
