"""The `greencert` command: demo, serve, worker, scheduler, tick, db upgrade, user add.

Results go to stdout (JSON when the output is data), messages to stderr; any refusal or
failure exits non-zero.
"""
from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Any

import click

from models.enums import Role
from web.config import from_environment


def _say(message: str) -> None:
    click.echo(message, err=True)


@contextmanager
def _database() -> Iterator[Any]:
    """A session factory on DATABASE_URL; the engine is disposed when the command is done."""
    from workflow.db import make_engine, session_factory

    engine = make_engine(from_environment()["DATABASE_URL"])
    try:
        yield session_factory(engine)
    finally:
        engine.dispose()


def _configure_runtime(factory: Any) -> None:
    from web.config import storage
    from workflow import runtime

    config = from_environment()
    runtime.configure(runtime.Runtime(factory=factory, storage=storage(config),
                                      base_url=config["BASE_URL"], redis_url=config["REDIS_URL"],
                                      secret_key=config["SECRET_KEY"]))


def _upgrade() -> None:
    from models.schema import upgrade

    with _database() as factory:
        upgrade(factory.kw["bind"])


@click.group()
def main() -> None:
    """GreenCert: 绿色低碳工厂、园区、供应链管理企业认定与动态管理."""


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Create or upgrade the schema and load the reference jurisdictions."""
    _upgrade()
    _say("database is at the newest revision; reference jurisdictions loaded")


@main.group()
def user() -> None:
    """User accounts."""


@user.command("add")
@click.argument("username")
@click.option("--role", type=click.Choice(["admin", "staff", "expert"]), required=True)
@click.option("--jurisdiction", default=None, help="GB/T 2260 code (required for staff)")
@click.option("--password", default=None, help="prompted for when not given")
@click.option("--name", default="")
def user_add(username: str, role: str, jurisdiction: str | None, password: str | None, name: str) -> None:
    """Add an admin, staff or expert account."""
    from workflow import accounts
    from workflow.actors import SYSTEM
    from workflow.db import unit_of_work
    from workflow.errors import WorkflowError

    if password is None:
        password = click.prompt("password", hide_input=True, confirmation_prompt=True)
    try:
        with _database() as factory, unit_of_work(factory) as session:
            if role == "expert":
                expert = accounts.add_expert(
                    session, SYSTEM, username=username, password=password, name=name or username,
                    employer="", employer_uscc=None, specialties=["energy"],
                    jurisdiction=jurisdiction or "330000")
                created = expert.user
            else:
                created = accounts.add_user(session, username=username, password=password,
                                            role=Role(role), jurisdiction=jurisdiction, name=name)
            click.echo(json.dumps({"id": created.id, "username": created.username, "role": role,
                                   "jurisdiction": created.jurisdiction_code}, ensure_ascii=False))
    except WorkflowError as error:
        _say(f"refused: {error.message} {json.dumps(error.details, ensure_ascii=False)}")
        sys.exit(2)


@main.command()
@click.option("--at", "at", default=None, help="ISO-8601 time to act as now (default: now)")
def tick(at: str | None) -> None:
    """Perform every time-based step due at --at (idempotent)."""
    from workflow.db import unit_of_work
    from workflow.tick import tick as run_tick

    moment = _parse_time(at)
    with _database() as factory:
        _configure_runtime(factory)
        with unit_of_work(factory) as session:
            summary = run_tick(session, moment)
        _relay(factory)
    click.echo(json.dumps(summary, ensure_ascii=False))


def _parse_time(at: str | None) -> datetime:
    if not at:
        return datetime.now(timezone.utc)
    try:
        moment = datetime.fromisoformat(at)
    except ValueError:
        _say(f"refused: --at {at!r} is not an ISO-8601 time, e.g. 2026-12-01T09:00:00+08:00")
        sys.exit(2)
    if moment.tzinfo is None:
        from workflow.clock import CHINA

        moment = moment.replace(tzinfo=CHINA)
    return moment


def _relay(factory: Any, *, recover_after: float | None = None) -> int:
    """Move pending outbox items on; with `recover_after` (seconds) first re-queue lost jobs."""
    from datetime import timedelta

    from workflow import outbox

    config = from_environment()
    connection = None
    if config["REDIS_URL"]:
        from redis import Redis

        connection = Redis.from_url(config["REDIS_URL"], socket_timeout=10, socket_connect_timeout=5)
    try:
        if connection is not None and recover_after is not None:
            outbox.recover(factory, connection, stale_after=timedelta(seconds=recover_after))
        return outbox.relay(factory, connection)
    finally:
        if connection is not None:
            connection.close()


@main.command()
@click.argument("pdf", type=click.Path(exists=True, dir_okay=False))
@click.option("--url", default=None, help="the issuing server, e.g. https://greencert.example.gov.cn; "
              "default: the local database")
def verify(pdf: str, url: str | None) -> None:
    """Check a certificate PDF: issued by the bureau, unchanged, and currently valid."""
    from pathlib import Path

    from workflow import certificates

    data = Path(pdf).read_bytes()
    if url:
        lookup, keys = _remote(url)
        result = certificates.check_pdf(data, lookup, keys)
    else:
        from web.api.representations import public_certificate
        from workflow import signing

        with _database() as factory, factory() as session:
            def local(number: str) -> dict[str, Any] | None:
                found = certificates.find(session, number)
                return public_certificate(found) if found else None

            result = certificates.check_pdf(data, local, signing.published_keys(session))
    click.echo(json.dumps({"verdict": result.verdict, "number": result.number, "message": result.message,
                           "status": result.status}, ensure_ascii=False))
    if result.verdict != "valid":
        sys.exit(1)


def _remote(base: str) -> tuple[Any, list[dict[str, Any]]]:
    import urllib.error
    import urllib.parse
    import urllib.request

    def get(path: str) -> Any:
        with urllib.request.urlopen(base.rstrip("/") + path, timeout=10) as response:  # noqa: S310
            return json.load(response)

    def lookup(number: str) -> dict[str, Any] | None:
        try:
            return get(f"/api/v1/certificates/{urllib.parse.quote(number)}")
        except urllib.error.HTTPError as error:
            if error.code == 404:
                return None
            raise

    return lookup, get("/.well-known/greencert-keys.json")["keys"]


@main.command()
@click.option("--burst", is_flag=True, help="stop when the queues are empty")
@click.option("--simple", is_flag=True,
              help="run the jobs in this process instead of a forked work horse per job: faster, but a job "
                   "that crashes the process takes the worker with it; pair with --max-jobs and a process "
                   "manager that starts the worker again")
@click.option("--max-jobs", type=click.IntRange(min=1), default=None,
              help="stop after this many jobs, so that a process manager starts a fresh worker (WeasyPrint "
                   "keeps memory it does not give back)")
def worker(burst: bool, simple: bool, max_jobs: int | None) -> None:
    """Run an RQ worker on the evaluations, certificates and notifications queues."""
    from redis import Redis
    from rq import SimpleWorker, Worker

    from workflow.certificate_pdf import harfbuzz_subset_available
    from workflow.jobs import prepare_worker
    from workflow.outbox import QUEUES

    config = from_environment()
    if not config["REDIS_URL"]:
        _say("refused: REDIS_URL is not set; without Redis, jobs run inside the web process")
        sys.exit(2)
    if not harfbuzz_subset_available():
        # Without it WeasyPrint subsets fonts with fontTools: ~12 s a certificate (STACK.md).
        _say("refused: HarfBuzz subsetting is missing; install the Debian package libharfbuzz-subset0")
        sys.exit(2)
    prepare_worker()
    with _database() as factory:
        _configure_runtime(factory)
        connection = Redis.from_url(config["REDIS_URL"])
        worker_class = SimpleWorker if simple else Worker
        worker_class(list(QUEUES), connection=connection).work(
            burst=burst, with_scheduler=not burst, max_jobs=max_jobs)


@main.command()
@click.option("--interval", default=30.0, help="seconds between rounds")
@click.option("--once", is_flag=True)
@click.option("--recover-after", default=60.0, show_default=True,
              help="seconds after which a relayed job no worker holds is looked at again, and put back on its "
                   "queue when Redis lost it or its worker died")
def scheduler(interval: float, once: bool, recover_after: float) -> None:
    """Run the tick, re-queue lost jobs and relay the outbox, every --interval seconds."""
    from workflow.db import unit_of_work
    from workflow.tick import tick as run_tick

    with _database() as factory:
        _configure_runtime(factory)
        while True:
            try:
                with unit_of_work(factory) as session:
                    run_tick(session, datetime.now(timezone.utc))
            except Exception as error:  # keep the scheduler alive; the next round retries
                _say(f"scheduler tick failed: {error}")
            try:
                _relay(factory, recover_after=recover_after)
            except Exception as error:
                _say(f"scheduler relay failed: {error}")
            if once:
                return
            time.sleep(interval)


@main.command()
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=5000, type=int)
@click.option("--workers", default=2, type=int)
def serve(host: str, port: int, workers: int) -> None:
    """Serve the web application with gunicorn."""
    _gunicorn(host, port, workers)


@main.command()
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=5000, type=int)
@click.option("--no-serve", is_flag=True, help="set up and print the accounts only")
@click.option("--bare", is_flag=True, help="accounts and open programmes only, no sample records")
def demo(host: str, port: int, no_serve: bool, bare: bool) -> None:
    """The embedded default: SQLite under instance/, demo data, jobs in-process."""
    from workflow import demo as demo_world
    from workflow.clock import now
    from workflow.db import unit_of_work

    _upgrade()
    with _database() as factory:
        with unit_of_work(factory) as session:
            rows = demo_world.seed(session, now())
            if not bare:
                rows += demo_world.seed_world(session, now())
        _configure_runtime(factory)
        _say("正在生成演示证书……")
        while _relay(factory):  # the certificates and e-mails of the demo world, before the first visitor
            pass
    _say("演示账号（密码均为 %s）:" % demo_world.PASSWORD)
    for row in rows:
        _say(f"  {row.role:<10} {row.username:<14} {row.description}")
    _say(f"GreenCert 演示系统: http://{host}:{port}/")
    if not no_serve:
        _gunicorn(host, port, 2)


def _gunicorn(host: str, port: int, workers: int) -> None:
    import os

    from gunicorn.app.base import BaseApplication

    # QR codes on certificates point at the server's address unless BASE_URL says otherwise.
    os.environ.setdefault("BASE_URL", f"http://{host}:{port}")

    class Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("timeout", 60)
            self.cfg.set("accesslog", "-")

        def load(self) -> Any:
            from web.wsgi import app

            return app

    Server().run()


from web import cli_admin  # noqa: E402,F401  (adds its commands to main)
