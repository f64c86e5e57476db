"""Each figure of the benchmark, measured against its bare baseline in the same run.

Request figures are throughputs (ours ÷ bare, higher is better); job figures are times
(ours ÷ bare, lower is better). Every measurement leaves the dataset as the next one expects it.
"""
from __future__ import annotations

import os
import statistics
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, delete, func, select, text, update
from sqlalchemy.orm import Session, sessionmaker

import evaluators
from evaluators.examples import example_document
from models import Application, Certificate, Designation, Expert, OutboxItem, Programme, User, YearlyReport
from models.enums import CertificateStatus, OutboxState, ReportState
from models.log import TransitionLog, chain_hash
from tests.benchmarks import serving
from tests.benchmarks.dataset import Builder, Generated
from tests.benchmarks.worker import command as worker_command
from workflow import accounts, applications, certificates, outbox, panels, runtime
from workflow.clock import CHINA, local_date, now
from workflow.db import unit_of_work
from workflow.storage import LocalStorage
from workflow.tick import tick

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Bench:
    """The database, Redis and files of one run, and how long and how much to measure."""

    engine: Engine
    factory: sessionmaker[Session]
    database_url: str
    redis_url: str
    storage_dir: Path
    instance_dir: Path
    data: Generated
    scale: float
    seconds: int  # wrk duration per figure
    worker: str = "simple"  # plain or simple (tests/benchmarks/worker.py)

    @property
    def env(self) -> dict[str, str]:
        return {"DATABASE_URL": self.database_url, "REDIS_URL": self.redis_url,
                "STORAGE_DIR": str(self.storage_dir), "GREENCERT_INSTANCE": str(self.instance_dir),
                "SECRET_KEY": "bench-secret-key-not-for-production", "BASE_URL": "http://127.0.0.1:5000"}

    def count(self, scaled: int, least: int = 1) -> int:
        return max(least, round(scaled * self.scale))


def timed(action: Callable[[], Any]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def staff_user(session: Session, code: str) -> User:
    return session.scalars(select(User).where(User.username == f"bench_staff_{code}")).one()


# 1 and 2: reading an application, the staff list and the public directory --------------------------

def requests(bench: Bench) -> dict[str, Any]:
    data = bench.data
    with unit_of_work(bench.factory) as session:
        token = accounts.issue_token(session, staff_user(session, "330000"), now(), label="bench")
    auth = {"Authorization": f"Bearer {token}"}
    step = max(1, len(data.readable) // 500)
    ids = data.readable[::step][:500]
    lists = [f"/api/v1/applications?per_page=50&page={page}&sort={sort}{extra}"
             for page in (1, 2, 3, 5, 10)
             for sort, extra in (("-id", ""), ("-submitted_at", "&state=submitted"), ("name", "&kind=factory"),
                                 ("-auto_score", "&state=designated"), ("-id", "&jurisdiction=330100"))]
    directory = [f"/api/v1/directory?per_page=50&page={page}{extra}"
                 for page in (1, 2, 4)
                 for extra in ("", "&q=建材", "&kind=factory&status=active", "&jurisdiction=330100",
                               "&tier=city&q=杭州")]
    # The four take turns in rounds, so that each is measured on the machine as it runs at that
    # moment (its speed swings by a fifth and more within minutes), both servers up throughout.
    rounds = 3
    slice_seconds = max(2, bench.seconds // rounds)
    loads: dict[str, list[serving.Load]] = {"bare": [], "read": [], "list": [], "directory": []}
    with serving.gunicorn("tests.benchmarks.bare:app", bench.env) as bare_base, \
            serving.gunicorn("web.wsgi:app", bench.env) as base:
        measured = (("bare", bare_base, [f"/bare/applications/{i}" for i in ids], {}),
                    ("read", base, [f"/api/v1/applications/{i}" for i in ids], auth),
                    ("list", base, lists, auth), ("directory", base, directory, {}))
        for _name, server, paths, headers in measured:
            checked(server, paths[0], headers)
        for _turn in range(rounds):
            for name, server, paths, headers in measured:
                loads[name].append(serving.wrk(server, paths, slice_seconds, headers))
                if loads[name][-1].non_2xx:
                    raise RuntimeError(f"{name}: {loads[name][-1].non_2xx} requests failed")
        list_page_ms = round(serving.median_latency_ms(base + lists[0], auth), 2)
    figures: dict[str, Any] = {name: serving.combined(measured_loads).as_dict()
                               for name, measured_loads in loads.items()}
    figures["list_page_ms"] = list_page_ms
    bare_rate = figures["bare"]["requests_per_second"]
    for name in ("read", "list", "directory"):
        figures[name]["ratio"] = round(figures[name]["requests_per_second"] / bare_rate, 3)
    return figures


def checked(base: str, path: str, headers: dict[str, str]) -> None:
    """One request before the load: a benchmark of error pages would measure nothing."""
    import urllib.request
    from urllib.parse import quote

    request = urllib.request.Request(base + quote(path, safe="/?&=-_"), headers=headers)
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - loopback only
        if response.status != 200:
            raise RuntimeError(f"{path} answered {response.status}")


# 3: a transition through the service layer against raw SQL -----------------------------------------

def transition(bench: Bench) -> dict[str, Any]:
    """`accept` (submitted → evaluating) as a request makes it, against the same work in raw SQL.

    Both sides lock and read the application, its enterprise and programme, check the move, update
    the row, append to the hash-chained log and record the evaluation job, one transaction each.
    The actor is loaded beforehand, as authentication has loaded it when a view calls the service."""
    ready = bench.data.accept_ready
    count = min(len(ready) // 2, bench.count(1000, 50))
    service_ids, raw_ids = ready[:count], ready[count:2 * count]
    with bench.factory() as session:
        deciding = dict(session.execute(
            select(Application.id, Programme.jurisdiction_code).join(Application.programme)
            .where(Application.id.in_(service_ids))).all())
        actors = {code: staff_user(session, code) for code in set(deciding.values())}
        session.expunge_all()

    def service(app_ids: list[int]) -> None:
        for app_id in app_ids:
            with unit_of_work(bench.factory) as session:
                actor = session.merge(actors[deciding[app_id]], load=False)
                app = applications.load(session, actor, app_id, for_update=True)
                applications.act(session, actor, app, "accept", now())

    def raw(app_ids: list[int]) -> None:
        for app_id in app_ids:
            raw_accept(connection.driver_connection, app_id)

    # The two sides take turns, a tenth of the transitions at a time, so that both meet the same
    # machine: the database settling after the dataset's load, and whatever else runs meanwhile.
    service_seconds = raw_seconds = 0.0
    rounds = 10
    connection = bench.engine.raw_connection()
    try:
        for turn in range(rounds):
            service_seconds += timed(partial(service, service_ids[turn::rounds]))
            raw_seconds += timed(partial(raw, raw_ids[turn::rounds]))
    finally:
        connection.close()
    with unit_of_work(bench.factory) as session:  # the evaluations these caused are not measured here
        session.execute(update(OutboxItem).where(OutboxItem.state == OutboxState.pending)
                        .values(state=OutboxState.done))
    service_rate, raw_rate = count / service_seconds, count / raw_seconds
    return {"transitions": count, "service_per_second": round(service_rate, 1),
            "raw_sql_per_second": round(raw_rate, 1), "ratio": round(service_rate / raw_rate, 3)}


def raw_accept(connection: Any, app_id: int) -> None:
    """The same reads, checks and writes as the service's `accept`, by hand, in one transaction."""
    moment = now()
    with connection.cursor() as cursor:
        cursor.execute("SELECT a.state, a.submitted_at, a.holding_jurisdiction_code, p.jurisdiction_code, "
                       "e.jurisdiction_code FROM applications a JOIN programmes p ON p.id = a.programme_id "
                       "JOIN enterprises e ON e.id = a.enterprise_id WHERE a.id = %s FOR UPDATE OF a", (app_id,))
        state, submitted_at, holding, deciding, _place = cursor.fetchone()
        if state != "submitted" or holding != deciding:
            raise RuntimeError(f"application {app_id} cannot be accepted")
        cursor.execute("UPDATE applications SET state = 'evaluating', version = version + 1, updated_at = %s "
                       "WHERE id = %s", (moment, app_id))
        cursor.execute("SELECT pg_advisory_xact_lock('transition_log'::regclass::oid::bigint)")
        cursor.execute("SELECT hash FROM transition_log ORDER BY id DESC LIMIT 1")
        prev = cursor.fetchone()[0]
        row = {"entity": "application", "entity_id": app_id, "trigger": "accept", "from_state": state,
               "to_state": "evaluating", "actor_id": None, "actor_label": "工作人员", "reason": "", "details": {},
               "at": moment}
        digest = chain_hash(TransitionLog.chain_fields, row, prev)
        cursor.execute("INSERT INTO transition_log (entity, entity_id, trigger, from_state, to_state, actor_id, "
                       "actor_label, reason, details, at, prev_hash, hash) "
                       "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, '{}', %s, %s, %s)",
                       (*[row[k] for k in ("entity", "entity_id", "trigger", "from_state", "to_state", "actor_id",
                                          "actor_label", "reason")], moment, prev, digest))
        job_id = f"evaluate_application-{app_id}-{int(submitted_at.timestamp())}-raw"
        cursor.execute("INSERT INTO outbox (job_id, queue, function, args, state, attempts, last_error, created_at) "
                       "VALUES (%s, 'evaluations', 'evaluate_application', %s, 'done', 0, '', %s) "
                       "ON CONFLICT (job_id) DO NOTHING", (job_id, f"[{app_id}]", moment))
    connection.commit()


# Workers ----------------------------------------------------------------------------------------------

@contextmanager
def workers(bench: Bench, count: int) -> Iterator[list[subprocess.Popen[bytes]]]:
    """Job workers on the benchmark's database and Redis, in the mode `bench.worker` names
    (tests/benchmarks/worker.py)."""
    command = worker_command(bench.worker)

    def start() -> subprocess.Popen[bytes]:
        return subprocess.Popen(command, cwd=ROOT, env={**os.environ, **bench.env}, start_new_session=True,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    started = [start() for _ in range(count)]
    stop = threading.Event()

    def supervise() -> None:
        """Start a worker again when it stops (a recycled SimpleWorker), as a process manager would."""
        while not stop.wait(0.5):
            for number, process in enumerate(started):
                if process.poll() is not None:
                    started[number] = start()

    supervisor = threading.Thread(target=supervise, daemon=True)
    supervisor.start()
    try:
        time.sleep(2)  # imports and the Redis handshake, before the clock starts
        yield started
    finally:
        stop.set()
        supervisor.join()
        for process in started:
            process.terminate()
        for process in started:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


def process_tree_mib(pid: int) -> float:
    """Memory of a process and its children (RQ forks a work horse per job), as the proportional
    set size, so that the pages a work horse shares with its parent count once."""
    total = 0
    pids = [pid]
    while pids:
        current = pids.pop()
        try:
            rollup = Path(f"/proc/{current}/smaps_rollup").read_text()
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        # A process that has just exited (a finished work horse) has no Pss line left.
        total += next((int(line.split()[1]) for line in rollup.splitlines() if line.startswith("Pss:")), 0)
        pids += [int(c) for c in children]
    return total / 1024


def relay_all(bench: Bench) -> None:
    from redis import Redis

    connection = Redis.from_url(bench.redis_url)
    try:
        while outbox.relay(bench.factory, connection, limit=500):
            pass
    finally:
        connection.close()


def wait_for(condition: Callable[[], bool], timeout: float, during: Callable[[], None] = lambda: None) -> None:
    """Wait until `condition` holds, asking every 50 ms; `during` runs every half second."""
    deadline = time.monotonic() + timeout
    asked = 0
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError("the jobs did not finish in time")
        if asked % 10 == 0:
            during()
        asked += 1
        time.sleep(0.05)


# 4: a certificate job end to end against a bare WeasyPrint render ------------------------------------

def certificate(bench: Bench) -> dict[str, Any]:
    """Certificates from their outbox rows to issued, through RQ and one worker, against a warm
    WeasyPrint render of the same certificates' HTML in this process.

    The two take turns, a fifth of the certificates at a time, so that both are timed on the
    machine as it runs at that moment (its speed swings by a fifth within minutes): each round
    numbers its certificates and writes their outbox rows (not timed: that is the designation's
    work, before the outbox), then times the relay, the worker and the wait until all are
    issued; then renders the HTML of ten of them as the job builds it, bare."""
    from weasyprint import HTML
    from weasyprint.text.fonts import FontConfiguration

    from workflow import certificate_pdf as pdf

    count = bench.count(500, 50)
    rounds = 5
    chosen = bench.data.designations[:count]
    fonts = FontConfiguration()  # kept warm across renders, as the certificate job does
    base_url = bench.env["BASE_URL"]

    def bare(certificate_ids: list[int]) -> list[float]:
        with bench.factory() as session:
            pages = [pdf.certificate_html(certificates.view_of(session.get(Certificate, i), base_url))
                     for i in certificate_ids]
        return [timed(lambda page=page: HTML(string=page, base_url=pdf.BASE_URL).write_pdf(font_config=fonts))
                for page in pages]

    runtime.configure(runtime.Runtime(factory=bench.factory, storage=LocalStorage(bench.storage_dir),
                                      redis_url=bench.redis_url, secret_key=bench.env["SECRET_KEY"]))
    peak, job_seconds, renders = 0.0, 0.0, []
    with workers(bench, 1) as running:  # running[0]: the worker now, after any restart
        def sample() -> None:
            nonlocal peak
            peak = max(peak, process_tree_mib(running[0].pid))

        for turn in range(rounds):
            with unit_of_work(bench.factory) as session:
                issued = [certificates.supersede(session, session.get(Designation, d), now()).id
                          for d in chosen[turn::rounds]]
            if turn == 0:
                bare(issued[:1])  # warm up
            started = time.perf_counter()
            relay_all(bench)

            def done(issued: list[int] = issued) -> bool:
                with bench.factory() as session:
                    return session.scalar(select(func.count(Certificate.id)).where(
                        Certificate.id.in_(issued), Certificate.status == CertificateStatus.issued)) == len(issued)

            wait_for(done, timeout=len(issued) * 5 + 60, during=sample)
            job_seconds += time.perf_counter() - started
            renders += bare(issued[:10])
        after = process_tree_mib(running[0].pid)
    per_job, per_render = job_seconds / count, statistics.mean(renders)
    return {"certificates": count, "seconds": round(job_seconds, 2), "per_certificate_ms": round(per_job * 1000, 1),
            "bare_render_ms": round(per_render * 1000, 1), "bare_renders": len(renders),
            "ratio": round(per_job / per_render, 3), "worker_peak_mib": round(peak, 1),
            "worker_after_mib": round(after, 1)}


# 5: evaluations per second, and re-evaluating the yearly reports ---------------------------------------

def evaluations_per_second(bench: Bench) -> dict[str, float]:
    rates = {}
    for guideline in evaluators.available():
        document = example_document(guideline.key, "pass")
        done, started = 0, time.perf_counter()
        while time.perf_counter() - started < 2:
            evaluators.evaluate(guideline.key, document, {}, 80.0)
            done += 1
        rates[guideline.key] = round(done / (time.perf_counter() - started), 1)
    return rates


def reevaluation(bench: Bench, worker_count: int = 2) -> dict[str, Any]:
    report_ids = bench.data.reports
    with bench.factory() as session:
        rows = session.execute(
            select(YearlyReport.data, YearlyReport.submitted_at, Application.guideline)
            .join(Designation, YearlyReport.designation_id == Designation.id)
            .join(Application, Designation.application_id == Application.id)
            .where(YearlyReport.id.in_(report_ids))).all()

    def loop() -> None:
        for data, submitted_at, guideline in rows:
            evaluators.evaluate(guideline, data, None, 80.0, as_of=local_date(submitted_at))

    loop_seconds = timed(loop)
    runtime.configure(runtime.Runtime(factory=bench.factory, storage=LocalStorage(bench.storage_dir),
                                      redis_url=bench.redis_url, secret_key=bench.env["SECRET_KEY"]))
    # The reports were filed one by one, each adding its job to the outbox (workflow/reports.py);
    # measured is the job system from there: the relay, the queue, the workers and their writes.
    filed = int(time.time())  # part of the job key, as when a report is filed
    with unit_of_work(bench.factory) as session:
        for report_id in report_ids:
            outbox.add(session, "evaluate_report", [report_id], queue="evaluations", key=f"{report_id}-{filed}")
    with workers(bench, worker_count):
        started = time.perf_counter()

        def done() -> bool:
            with bench.factory() as session:
                return not session.scalar(select(func.count(YearlyReport.id)).where(
                    YearlyReport.id.in_(report_ids), YearlyReport.state == ReportState.submitted))

        relay_all(bench)
        wait_for(done, timeout=len(report_ids) + 120)
        job_seconds = time.perf_counter() - started
    return {"reports": len(report_ids), "workers": worker_count, "loop_seconds": round(loop_seconds, 2),
            "job_seconds": round(job_seconds, 2), "ratio": round(job_seconds / loop_seconds, 3)}


# 6: the panel draw, the tick -----------------------------------------------------------------------

def panel_draw(bench: Bench, pages: dict[str, float]) -> dict[str, Any]:
    """Draws over a pool of 5,000 experts (the 2,000 of the dataset and 3,000 more added for the
    measurement and removed after it), each rolled back; compared with a page request (issue #4): the page each draw
    is made from (a staff member's page of the application under review), requested in turn with
    the draws, one at a time, so that both are timed on the machine as it runs at that moment;
    and a page of the JSON staff list (measured with the other requests). Also the statements
    one draw sends and the size of its report."""
    import json

    from tests.conftest import statements_sent

    pool = bench.count(5000, 50)
    drawn = bench.data.drawable[:24]
    with unit_of_work(bench.factory) as session:  # a token of each deciding bureau's staff member
        codes = {app_id: session.get(Application, app_id).programme.jurisdiction_code for app_id in drawn}
        tokens = {code: accounts.issue_token(session, staff_user(session, code), now(), label="bench")
                  for code in set(codes.values())}
    auth = {app_id: {"Authorization": f"Bearer {tokens[code]}"} for app_id, code in codes.items()}
    draws, page_requests = [], []
    added = larger_pool(bench, pool - bench.data.counts["experts"])
    try:
        with serving.gunicorn("web.wsgi:app", bench.env) as base, bench.factory() as session:
            for number, app_id in enumerate(drawn):
                page = serving.median_latency_ms(f"{base}/applications/{app_id}", auth[app_id], times=3)
                savepoint = session.begin_nested()
                actor = staff_user(session, codes[app_id])
                app = applications.load(session, actor, app_id, for_update=True)  # as the view loads it
                took = timed(lambda: panels.draw(session, actor, app, now(), seed=f"bench-{app_id}"))
                savepoint.rollback()
                if number >= 4:  # the first few warm both up
                    draws.append(took * 1000)
                    page_requests.append(page)
            # What one draw sends to the database and stores as its report: the first one again, untimed.
            savepoint = session.begin_nested()
            actor = staff_user(session, codes[drawn[0]])
            app = applications.load(session, actor, drawn[0], for_update=True)
            with statements_sent(bench.engine) as sent:
                report = panels.draw(session, actor, app, now(), seed=f"bench-{app.id}").report
            savepoint.rollback()
            session.rollback()
    finally:
        # The pool as the dataset made it. Their accounts stay: a user is looked up by many
        # tables, and deleting 3,000 of them would take minutes.
        with unit_of_work(bench.factory) as session:
            session.execute(delete(Expert).where(Expert.id.in_(added)))
    draw_ms, page_ms = statistics.median(draws), statistics.median(page_requests)
    list_page_ms = pages.get("list_page_ms", 0.0)
    return {"pool": pool, "draws": len(draws), "draw_ms": round(draw_ms, 1), "page_ms": round(page_ms, 1),
            "ratio_to_page": round(draw_ms / page_ms, 2),
            "list_page_ms": list_page_ms,
            "ratio_to_list_page": round(draw_ms / list_page_ms, 2) if list_page_ms else None,
            "statements": len(sent),
            "report_kb": round(len(json.dumps(report, ensure_ascii=False).encode()) / 1024, 1)}


def larger_pool(bench: Bench, count: int) -> list[int]:
    """`count` more experts, committed and vacuumed, as the pool of a system in use is: the draw
    reads the pool's ids from an index alone where the table's visibility map allows."""
    with unit_of_work(bench.factory) as session:
        connection = session.connection().connection.driver_connection
        extra = Builder(bench.engine, bench.scale, bench.data.now)
        extra.start_ids(connection)
        extra.password_hash = session.scalar(select(User.password_hash).where(User.username == "admin"))
        added = extra.experts(connection, count, prefix="bench_extra_expert")
        extra.finish_ids(connection)
    with bench.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE experts"))
    return added


def ticks(bench: Bench) -> dict[str, Any]:
    """The tick today, and on 1 January when every live designation's yearly report opens; rolled back."""
    moments = {"today": now(), "new_year": datetime(local_date(now()).year + 1, 1, 1, 9, tzinfo=CHINA)}
    figures = {}
    for name, moment in moments.items():
        with bench.factory() as session:
            runtime.configure(runtime.Runtime(factory=bench.factory, storage=LocalStorage(bench.storage_dir),
                                              redis_url=bench.redis_url, secret_key=bench.env["SECRET_KEY"]))
            figures[f"{name}_seconds"] = round(timed(lambda: tick(session, moment)), 2)
            session.rollback()
    with bench.factory() as session:
        figures["designations"] = session.scalar(select(func.count(Designation.id)))
    return figures


def database_size(bench: Bench) -> int:
    with bench.engine.connect() as connection:
        return int(connection.scalar(text("SELECT pg_database_size(current_database())")))
