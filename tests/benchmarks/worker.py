"""The job workers of the benchmark: `greencert worker` in one of its two modes.

- `plain`: `greencert worker` as deployed by default: RQ forks a work horse for every job, which
  inherits the job code, guidelines and fonts the worker loaded (and set aside from the cycle
  collector, `workflow.jobs.prepare_worker`) and opens its own database connection.
- `simple`: `greencert worker --simple --max-jobs 1000`: the jobs run in the worker process itself,
  which keeps its warm fonts and its pooled database connections; it stops after 1,000 jobs so
  that WeasyPrint's memory is given back, and the benchmark starts it again as a process manager
  would.
"""
from __future__ import annotations

import sys
from pathlib import Path

MODES = ("plain", "simple")
MAX_JOBS = 1000


def command(mode: str) -> list[str]:
    greencert = str(Path(sys.executable).with_name("greencert"))
    if mode == "plain":
        return [greencert, "worker"]
    if mode == "simple":
        return [greencert, "worker", "--simple", "--max-jobs", str(MAX_JOBS)]
    raise ValueError(f"unknown worker mode {mode!r}; one of {', '.join(MODES)}")
