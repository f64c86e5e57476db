"""Serving an application with gunicorn and loading it with wrk, both on loopback."""
from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from urllib.parse import quote
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WORKERS = 2  # gunicorn sync workers, as `greencert serve` runs
CONNECTIONS = 8
THREADS = 2


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def gunicorn(wsgi: str, env: dict[str, str]) -> Iterator[str]:
    """Serve `module:app` with the settings of `greencert serve` (2 sync workers, timeout 60),
    without an access log for either server; yields the base URL."""
    port = free_port()
    command = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", str(WORKERS),
               "--timeout", "60", "--log-level", "warning", wsgi]
    process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env}, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base, process)
        yield base
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_until_up(base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}")
        try:
            urllib.request.urlopen(base + "/", timeout=2)  # noqa: S310 - loopback only
            return
        except urllib.error.HTTPError:
            return  # it answers, even if with 404
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not start within 60 s")


@dataclass(frozen=True)
class Load:
    """What wrk measured: requests per second, mean and 99th-percentile latency, errors."""

    requests_per_second: float
    latency_ms: float
    p99_ms: float
    requests: int
    non_2xx: int

    def as_dict(self) -> dict[str, float]:
        return {"requests_per_second": round(self.requests_per_second, 1), "latency_ms": round(self.latency_ms, 2),
                "p99_ms": round(self.p99_ms, 2), "requests": self.requests, "non_2xx": self.non_2xx}


def combined(loads: Sequence[Load]) -> Load:
    """Several runs of wrk of the same length as one: requests per second over them all, the
    mean latency weighted by requests, the worst 99th percentile."""
    requests = sum(load.requests for load in loads)
    return Load(requests_per_second=sum(load.requests_per_second for load in loads) / len(loads),
                latency_ms=sum(load.latency_ms * load.requests for load in loads) / max(requests, 1),
                p99_ms=max(load.p99_ms for load in loads), requests=requests,
                non_2xx=sum(load.non_2xx for load in loads))


LUA = """
local paths = {%s}
local counter = 0
request = function()
  counter = counter + 1
  return wrk.format("GET", paths[(counter %% #paths) + 1], {%s})
end
"""


def wrk(base: str, paths: Sequence[str], seconds: int, headers: dict[str, str] | None = None) -> Load:
    """Load the server for `seconds`, cycling through `paths`."""
    quoted = ", ".join(f'"{quote(p, safe="/?&=-_")}"' for p in paths)
    header_table = ", ".join(f'["{k}"] = "{v}"' for k, v in (headers or {}).items())
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(LUA % (quoted, header_table))
    try:
        output = subprocess.run(
            ["wrk", "-t", str(THREADS), "-c", str(CONNECTIONS), "-d", f"{seconds}s", "--latency",
             "-s", script.name, base], capture_output=True, text=True)
        if output.returncode:
            raise RuntimeError(f"wrk failed: {output.stderr or output.stdout}")
    finally:
        os.unlink(script.name)
    return parse(output.stdout)


def _ms(value: str) -> float:
    found = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", value)
    if found is None:
        raise RuntimeError(f"wrk reported a latency of {value!r}")
    number, unit = found.groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}[unit]


def parse(output: str) -> Load:
    latency = re.search(r"Latency\s+(\S+)", output)
    p99 = re.search(r"99%\s+(\S+)", output)
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    total = re.search(r"(\d+) requests in", output)
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    if not (latency and rate and total and p99):
        raise RuntimeError(f"could not read wrk's output:\n{output}")
    try:
        return Load(float(rate.group(1)), _ms(latency.group(1)), _ms(p99.group(1)), int(total.group(1)),
                    int(errors.group(1)) if errors else 0)
    except RuntimeError as problem:
        raise RuntimeError(f"{problem}, in:\n{output}") from None


def median_latency_ms(url: str, headers: dict[str, str], times: int = 30) -> float:
    """One request at a time: what a single user waits for a page."""
    samples = []
    for _ in range(times):
        request = urllib.request.Request(url, headers=headers)
        started = time.perf_counter()
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback only
            response.read()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return samples[len(samples) // 2]
