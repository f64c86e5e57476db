"""The transition log and the audit log are hash chains: a row changed, deleted or inserted
behind the application's back is found, by `workflow.audit.verify` and `greencert audit verify`,
on both backends; concurrent writers never fork a chain."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
import hashlib
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from models import AuditEvent, TransitionLog
from models.log import GENESIS, append_row, chain_halves, chain_hash
from models.enums import ApplicationState as S
from models.enums import DesignationState as D
from tests.builders import application_in, designation_in
from tests.conftest import BACKENDS, PG_URL, drop_postgres_schema, fresh_database, new_postgres_schema, seeded
from web.cli import main
from workflow import accounts, audit
from workflow.db import make_engine, session_factory
from workflow.demo import PASSWORD

NOW = datetime.fromisoformat("2026-11-23T10:00:00+08:00")


def report(db: Session, table: str) -> audit.ChainReport:
    return {r.table: r for r in audit.verify(db)}[table]


def log_ids(db: Session) -> list[int]:
    return list(db.scalars(select(TransitionLog.id).order_by(TransitionLog.id)))


@pytest.fixture
def history(db: Session) -> list[int]:
    """A designation granted and suspended, and some logins: rows in both chains."""
    designation_in(db, D.suspended, NOW)
    accounts.authenticate(db, "hz_city", "wrong", NOW)
    accounts.authenticate(db, "hz_city", PASSWORD, NOW)
    db.flush()
    return log_ids(db)


def test_every_row_written_by_the_system_is_chained(db: Session, history: list[int]) -> None:
    reports = audit.verify(db)

    assert [r.table for r in reports] == ["transition_log", "audit_events"]
    assert all(r.intact for r in reports), [r.broken for r in reports]
    assert reports[0].rows == db.scalar(select(func.count()).select_from(TransitionLog)) >= 9
    assert reports[1].rows == db.scalar(select(func.count()).select_from(AuditEvent)) >= 2
    # The grant of the designation is written outside the state machine, and chained all the same.
    grant = db.scalars(select(TransitionLog).where(TransitionLog.trigger == "grant")).one()
    assert len(grant.hash) == 64 and grant.prev_hash != grant.hash
    assert reports[0].head == db.scalar(select(TransitionLog.hash).order_by(TransitionLog.id.desc()).limit(1))


def test_a_changed_reason_is_found_at_its_row(db: Session, history: list[int]) -> None:
    target = db.scalars(select(TransitionLog).where(TransitionLog.trigger == "suspend")).one().id
    db.execute(text("UPDATE transition_log SET reason = '无' WHERE id = :id"), {"id": target})

    broken = report(db, "transition_log").broken

    assert broken is not None and (broken.row_id, broken.problem) == (target, "changed")
    assert broken.message == f"row {target} was changed: its content no longer matches its hash"


def test_a_deleted_row_is_found_at_the_row_after_it(db: Session, history: list[int]) -> None:
    deleted, following = history[-4], history[-3]
    db.execute(text("DELETE FROM transition_log WHERE id = :id"), {"id": deleted})

    broken = report(db, "transition_log").broken

    assert broken is not None and (broken.row_id, broken.problem) == (following, "deleted")
    assert f"rows are missing before row {following} (after row {history[-5]})" in broken.message


def test_an_inserted_row_is_found(db: Session, history: list[int]) -> None:
    db.execute(text(
        "INSERT INTO transition_log (entity, entity_id, trigger, from_state, to_state, actor_id, actor_label,"
        " reason, details, at, prev_hash, hash)"
        " VALUES ('designation', 1, 'reinstate', 'suspended', 'active', NULL, '系统', '', '{}',"
        " CURRENT_TIMESTAMP, :prev, :hash)"), {"prev": "f" * 64, "hash": "e" * 64})
    inserted = max(log_ids(db))

    broken = report(db, "transition_log").broken

    assert broken is not None and (broken.row_id, broken.problem) == (inserted, "inserted")


def test_a_row_inserted_between_others_is_found(db: Session, history: list[int]) -> None:
    # The last row moves to a new id and a forged row takes its place in the order.
    last = history[-1]
    table = TransitionLog.__table__
    moved = db.execute(select(table).where(table.c.id == last)).mappings().one()
    db.execute(text("DELETE FROM transition_log WHERE id = :id"), {"id": last})
    db.execute(text(
        "INSERT INTO transition_log (id, entity, entity_id, trigger, from_state, to_state, actor_id,"
        " actor_label, reason, details, at, prev_hash, hash)"
        " VALUES (:id, 'designation', 1, 'reinstate', 'suspended', 'active', NULL, '系统', '', '{}',"
        " CURRENT_TIMESTAMP, :prev, :hash)"), {"id": last, "prev": "f" * 64, "hash": "e" * 64})
    db.execute(table.insert(), [{**moved, "id": last + 1000}])

    broken = report(db, "transition_log").broken

    assert broken is not None and (broken.row_id, broken.problem) == (last, "inserted")
    assert broken.message == (f"row {last} was inserted: the chain goes on from after row {history[-2]} "
                              f"to row {last + 1000}")


def test_a_changed_audit_event_is_found(db: Session, history: list[int]) -> None:
    failed = db.scalars(select(AuditEvent).where(AuditEvent.event == "login_failed")).first()
    db.execute(text("UPDATE audit_events SET event = 'login' WHERE id = :id"), {"id": failed.id})

    broken = report(db, "audit_events").broken

    assert broken is not None and (broken.row_id, broken.problem) == (failed.id, "changed")
    assert report(db, "transition_log").intact


# The document the database completes -------------------------------------------------------------

CONTENT = st.fixed_dictionaries({
    "entity": st.sampled_from(["application", "designation"]), "entity_id": st.integers(1, 2**31 - 1),
    "trigger": st.text(max_size=12), "from_state": st.text(max_size=12), "to_state": st.text(max_size=12),
    "actor_id": st.none() | st.integers(1, 10**6), "actor_label": st.text(max_size=20), "reason": st.text(),
    "details": st.dictionaries(st.text(max_size=10), st.none() | st.integers() | st.text(max_size=10)),
    "at": st.datetimes(timezones=st.just(timezone.utc)),
})


@settings(max_examples=200)
@given(content=CONTENT, prev=st.text("0123456789abcdef", min_size=64, max_size=64))
def test_the_halves_around_the_tail_hash_as_the_whole_document_does(content: dict, prev: str) -> None:
    # Any text, nested keys named prev_hash included: the halves are cut at the top-level key only.
    before, after = chain_halves(TransitionLog.chain_fields, content)

    digest = hashlib.sha256((before + prev + after).encode("utf-8")).hexdigest()

    assert digest == chain_hash(TransitionLog.chain_fields, content, prev)


def test_a_nested_prev_hash_does_not_move_the_cut() -> None:
    content = {"entity": "application", "entity_id": 7, "trigger": "accept", "from_state": "submitted",
               "to_state": "evaluating", "actor_id": None, "actor_label": "杭州市经信局",
               "reason": '"prev_hash":"', "details": {"prev_hash": "x"}, "at": NOW}

    before, after = chain_halves(TransitionLog.chain_fields, content)

    assert before.endswith(',"prev_hash":"') and before.count('"prev_hash":"x"') == 1
    assert after.startswith('","reason":"\\"prev_hash\\":\\""')
    assert chain_hash(TransitionLog.chain_fields, content, GENESIS) == hashlib.sha256(
        (before + GENESIS + after).encode()).hexdigest()


# Concurrent writers -------------------------------------------------------------------------

@pytest.fixture(params=BACKENDS)
def fresh_engine(request, tmp_path: Path) -> Iterator[Engine]:
    with fresh_database(request.param, tmp_path, seed=False) as engine:
        yield engine


def all_eight_wrote(write: Callable[[int], int]) -> None:
    """Eight writers at once, each `write(worker)` returning its number when it has committed."""
    with ThreadPoolExecutor(max_workers=8) as pool:
        assert sorted(pool.map(write, range(8))) == list(range(8))


def test_concurrent_writers_keep_one_unbroken_chain(fresh_engine: Engine) -> None:
    factory = session_factory(fresh_engine)

    def write(worker: int) -> int:
        for n in range(5):
            with factory() as session:
                moment = NOW + timedelta(seconds=n)
                audit.record(session, "login_failed", moment, subject=f"user{worker}", client="192.0.2.1")
                audit.record(session, "login_failed", moment, subject=f"user{worker}", client="192.0.2.1")
                session.commit()
        return worker

    all_eight_wrote(write)

    with factory() as session:
        chain = report(session, "audit_events")
    assert chain.intact and chain.rows == 80


def test_concurrent_transitions_keep_one_unbroken_log(fresh_engine: Engine) -> None:
    """The state machines' log rows (on PostgreSQL written by the database's function) race with
    rows sealed by a flush and with audit events; every chain stays one line."""
    factory = session_factory(fresh_engine)

    def write(worker: int) -> int:
        for n in range(5):
            with factory() as session:
                moment = NOW + timedelta(seconds=n)
                append_row(session, TransitionLog, {
                    "entity": "application", "entity_id": worker, "trigger": "accept", "from_state": "submitted",
                    "to_state": "evaluating", "actor_id": None, "actor_label": f"工作人员{worker}",
                    "details": {"n": n}, "at": moment})
                session.add(TransitionLog(entity="designation", entity_id=worker, trigger="grant", from_state="",
                                          to_state="active", actor_label="系统", at=moment))
                audit.record(session, "login_failed", moment, subject=f"user{worker}", client="192.0.2.1")
                session.commit()
        return worker

    all_eight_wrote(write)

    with factory() as session:
        log, events = report(session, "transition_log"), report(session, "audit_events")
        accepted = session.scalar(select(func.count()).where(TransitionLog.trigger == "accept"))
    assert log.intact and log.rows == 80 and accepted == 40
    assert events.intact and events.rows == 40


# The command --------------------------------------------------------------------------------

@pytest.fixture(params=BACKENDS)
def committed(request, tmp_path: Path) -> Iterator[tuple[str, Engine]]:
    """A database with history, committed, and its URL for the command."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'audit.db'}"
        engine = make_engine(url)
        schema = None
    else:
        engine, schema = new_postgres_schema()
        separator = "&" if "?" in PG_URL else "?"
        url = f"{PG_URL}{separator}options=-csearch_path%3D{schema}"
    try:
        seeded(engine)
        with Session(engine) as session:
            application_in(session, S.under_review, NOW)
            accounts.authenticate(session, "hz_city", PASSWORD, NOW)
            session.commit()
        yield url, engine
    finally:
        engine.dispose()
        if schema:
            drop_postgres_schema(schema)


def test_the_command_says_ok_with_the_counts_or_names_the_tampered_row(committed, monkeypatch) -> None:
    url, engine = committed
    monkeypatch.setenv("DATABASE_URL", url)
    runner = CliRunner()

    intact = runner.invoke(main, ["audit", "verify"], catch_exceptions=False)

    assert intact.exit_code == 0, intact.output
    with Session(engine) as session:
        logged = session.scalar(select(func.count()).select_from(TransitionLog))
        target = session.scalars(select(TransitionLog.id).order_by(TransitionLog.id)).all()[2]
    lines = intact.stdout.splitlines()
    assert lines[0].startswith(f"OK transition_log: {logged} rows, chain intact, head ")
    assert lines[1].startswith("OK audit_events: ")

    with engine.begin() as connection:
        connection.execute(text("UPDATE transition_log SET reason = '改过' WHERE id = :id"), {"id": target})
    tampered = runner.invoke(main, ["audit", "verify"], catch_exceptions=False)

    assert tampered.exit_code == 1
    assert f"BROKEN transition_log: row {target} changed: row {target} was changed" in tampered.stdout
    assert "tampered" in tampered.stderr
