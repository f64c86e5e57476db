"""The job workers of the benchmark, on the project's worker settings or on better ones.

- `plain`: `greencert worker` as it is: RQ forks a work horse for every job, which inherits the
  job code the worker loaded and opens its own database connection.
- `preloaded`: the same command with the guideline files and WeasyPrint's font configuration
  also loaded before the forks, so that every horse inherits them too.
- `simple`: RQ's SimpleWorker on the same queues, runtime and Redis: the jobs run in the worker
  process itself, which keeps its code, its warm font configuration and its pooled database
  connections; it stops after `--max-jobs` so that WeasyPrint's memory is given back.
"""
from __future__ import annotations

import argparse
import sys

MODES = ("plain", "preloaded", "simple")


def preload() -> None:
    import evaluators
    import workflow.jobs  # noqa: F401  (the job registry and every module a job uses)
    from workflow.certificate_pdf import _environment, _font_configuration

    _font_configuration()
    _environment()
    for guideline in evaluators.available():
        evaluators.load(guideline.key)


def simple(max_jobs: int) -> None:
    from redis import Redis
    from rq import SimpleWorker

    from web.cli import _configure_runtime, _database
    from web.config import from_environment
    from workflow.outbox import QUEUES

    with _database() as factory:
        _configure_runtime(factory)
        connection = Redis.from_url(from_environment()["REDIS_URL"])
        SimpleWorker(list(QUEUES), connection=connection).work(max_jobs=max_jobs, with_scheduler=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks.worker")
    parser.add_argument("mode", choices=MODES[1:])
    parser.add_argument("--max-jobs", type=int, default=1000)
    args = parser.parse_args()
    preload()
    if args.mode == "simple":
        simple(args.max_jobs)
    else:
        from web.cli import main

        sys.exit(main(["worker"]))
