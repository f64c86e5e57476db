"""`python -m tests.benchmarks [--scale small]`: generate, measure, print, write bench-results.json."""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import psycopg
from redis import Redis
from sqlalchemy.engine import make_url

from tests.benchmarks import dataset, measures, report, worker
from workflow.db import make_engine, session_factory

SCALES = {"full": 1.0, "small": 0.1}
GOALS = {"read": (">=", 0.5), "list": (">=", 0.3), "transition": (">=", 0.5), "certificate": ("<=", 1.3),
         "reevaluation": ("<=", 2.0)}


def _pages_ms(figures: dict[str, Any]) -> dict[str, float]:
    """The JSON list page's latency, which the panel draw is also compared with, when measured in this run."""
    requests = figures.get("requests", {})
    return {name: requests[name] for name in ("list_page_ms",) if name in requests}


# Each figure in the order measured; every one leaves the dataset as the next expects it.
MEASURES: dict[str, Any] = {
    "requests": lambda bench, figures: measures.requests(bench),
    "transition": lambda bench, figures: measures.transition(bench),
    "evaluations_per_second": lambda bench, figures: measures.evaluations_per_second(bench),
    "panel_draw": lambda bench, figures: measures.panel_draw(bench, _pages_ms(figures)),
    "tick": lambda bench, figures: measures.ticks(bench),
    "certificate": lambda bench, figures: measures.certificate(bench),
    "reevaluation": lambda bench, figures: measures.reevaluation(bench),
}


def recreate(url: str) -> None:
    """Drop and create the benchmark's own database on the server of `url`."""
    parsed = make_url(url)
    admin = parsed.set(database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin.replace("postgresql+psycopg", "postgresql"), autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{parsed.database}"')


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks", description=__doc__)
    parser.add_argument("--scale", choices=SCALES, default="full")
    parser.add_argument("--database-url", default=os.environ.get(
        "BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/greencert_bench"))
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/1"))
    parser.add_argument("--seconds", type=int, default=None, help="wrk duration per figure (default 10, small 5)")
    parser.add_argument("--output", default="bench-results.json")
    parser.add_argument("--worker", choices=worker.MODES, default="simple",
                        help="how the job workers run (tests/benchmarks/worker.py); default simple")
    parser.add_argument("--only", default="", metavar="NAME,...",
                        help=f"measure only these figures ({', '.join(MEASURES)}); the table then has only them")
    args = parser.parse_args(argv)
    scale = SCALES[args.scale]
    chosen = [name.strip() for name in args.only.split(",") if name.strip()] or list(MEASURES)
    unknown = set(chosen) - set(MEASURES)
    if unknown:
        parser.error(f"unknown figures: {', '.join(sorted(unknown))}")
    seconds = args.seconds or (10 if scale == 1.0 else 5)

    say(f"creating the database {make_url(args.database_url).database} and the {args.scale} dataset")
    recreate(args.database_url)
    Redis.from_url(args.redis_url).flushdb()
    engine = make_engine(args.database_url)
    work = Path(tempfile.mkdtemp(prefix="greencert-bench-"))
    try:
        data = dataset.generate(engine, scale, datetime.now(timezone.utc))
        say(f"dataset generated in {data.seconds:.1f} s: {data.counts}")
        bench = measures.Bench(engine=engine, factory=session_factory(engine), database_url=args.database_url,
                               redis_url=args.redis_url, storage_dir=work / "files", instance_dir=work / "instance",
                               data=data, scale=scale, seconds=seconds, worker=args.worker)
        (work / "instance").mkdir()
        size = measures.database_size(bench)
        figures: dict[str, Any] = {}
        for name in chosen:
            say(f"measuring {name}")
            figures[name] = MEASURES[name](bench, figures)
            say(f"{name}: {json.dumps(figures[name], ensure_ascii=False)}")
        if set(chosen) != set(MEASURES):
            Path(args.output).write_text(json.dumps({"scale": args.scale, "figures": figures},
                                                    ensure_ascii=False, indent=2) + "\n")
            say(f"only {', '.join(chosen)}: written to {args.output}")
            return 0
        requests = figures.pop("requests")
        figures["read"], figures["bare"] = requests["read"], requests["bare"]
        figures["list"] = {"staff": requests["list"], "directory": requests["directory"],
                           "page_ms": requests["list_page_ms"]}
        results = {
            "scale": args.scale, "measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "machine": {"cpus": os.cpu_count(), "gunicorn_workers": measures.serving.WORKERS,
                        "wrk_connections": measures.serving.CONNECTIONS, "wrk_seconds": seconds,
                        "worker": args.worker},
            "dataset": {"counts": data.counts, "generation_seconds": round(data.seconds, 1),
                        "database_bytes": size},
            "ratios": {"read": requests["read"]["ratio"],
                       "list": min(requests["list"]["ratio"], requests["directory"]["ratio"]),
                       "transition": figures["transition"]["ratio"],
                       "certificate": figures["certificate"]["ratio"],
                       "reevaluation": figures["reevaluation"]["ratio"]},
            "goals": {k: f"{op} {v}" for k, (op, v) in GOALS.items()},
            "figures": figures,
        }
        Path(args.output).write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n")
        print(report.table(results, GOALS))
        say(f"written to {args.output}")
    finally:
        engine.dispose()
        shutil.rmtree(work, ignore_errors=True)
    return 0


def say(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
