"""Engines and sessions for SQLite (the embedded default) and PostgreSQL."""
from __future__ import annotations

import functools
import json
import select
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import orjson
from sqlalchemy import Boolean, Engine, String, Table, bindparam, create_engine, event, inspect, literal
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session, make_transient_to_detached, sessionmaker
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import BindParameter
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeDecorator, TypeEngine


def make_engine(url: str, **options: Any) -> Engine:
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    options.setdefault("json_deserializer", json_loads)
    if url.startswith("sqlite"):
        options.setdefault("json_serializer", json_text)
        options.setdefault("connect_args", {"timeout": 30, "check_same_thread": False})
        engine = create_engine(url, **options)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    options.setdefault("json_serializer", json_bytes)  # psycopg sends bytes as they are
    engine = create_engine(url, **options)
    if not options.get("pool_pre_ping"):
        event.listen(engine, "checkout", _replace_if_closed_by_server)
    return engine


# JSON columns are written and read by orjson: an evaluation trace (some 60 KB of Chinese text)
# is written in a tenth of the standard library's time, and as UTF-8 rather than \u escapes, half
# the size. What orjson refuses, the standard library handles as before: integers beyond 64 bits
# are written and read, and a date, a Decimal or a dataclass is refused with a TypeError.
JSON_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def json_bytes(value: Any) -> bytes:
    try:
        return orjson.dumps(value, option=JSON_OPTIONS)
    except orjson.JSONEncodeError:
        return json.dumps(value, ensure_ascii=False).encode()


def json_text(value: Any) -> str:
    return json_bytes(value).decode()


def json_loads(text: str | bytes) -> Any:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:  # integers beyond 64 bits, NaN
        return json.loads(text)


def _replace_if_closed_by_server(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """Replace a pooled connection the server has ended (a restart, pg_terminate_backend, an idle
    time-out) before anyone uses it, without the round trip of a pre-ping's SELECT 1.

    An idle connection has nothing to read; when the server ends it, its farewell (a FATAL error)
    or the end of the stream is waiting on the socket. Raising DisconnectionError makes the pool
    open a new connection in its place. A connection cut silently by the network is noticed by
    the first statement instead, which fails that one request or job (a 503, or a retry)."""
    if dbapi_connection.closed or _readable(dbapi_connection.fileno()):
        raise DisconnectionError("the server ended this pooled connection")


def _readable(fd: int) -> bool:
    poller = select.poll()
    poller.register(fd, select.POLLIN | select.POLLPRI)
    return bool(poller.poll(0))


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin, so that
    # SAVEPOINTs work (SQLAlchemy's pysqlite recipe); BEGIN IMMEDIATE takes the write lock
    # up front, the SQLite counterpart of SELECT ... FOR UPDATE.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def unit_of_work(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One transaction: committed when the block ends normally, rolled back otherwise."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


@functools.cache
def insert_new(dialect_name: str, table: Table, keys: tuple[str, ...], returning: tuple[str, ...]) -> Any:
    """An INSERT of one or many rows that skips a row whose `keys` are taken already (ON CONFLICT
    DO NOTHING) and returns the `returning` columns of the rows it added; built once."""
    dialect = postgresql if dialect_name == "postgresql" else sqlite
    return (dialect.insert(table).on_conflict_do_nothing(index_elements=[table.c[k] for k in keys])
            .returning(*(table.c[c] for c in returning)))


def insert_loaded(session: Session, model: type[Any], rows: list[dict[str, Any]], *,
                  pointing: Iterable[tuple[Any, str]] = ()) -> list[Any]:
    """Insert new rows of `model` at once and return them as objects the session holds as loaded:
    one INSERT ... RETURNING id, without the unit of work's bookkeeping of pending objects. Each
    attribute not given takes its default, the version its first value, as a flush would give
    them. The caller sets the relationships it needs with `set_committed_value`, and names in
    `pointing` the (object, attribute) it set to point at the new rows.

    As with rows a flush wrote, a rollback of the transaction (or savepoint) they were written in
    takes them out of the session and expires the attributes `pointing` at them."""
    mapper = inspect(model)
    defaults, columns = _column_defaults(mapper)
    filled = [{**defaults, **row} for row in rows]
    for row in filled:
        for key, value in row.items():
            if callable(value):
                row[key] = value()
    result = session.connection().execute(_insert_returning_ids(mapper.local_table),
                                          [{columns[key]: value for key, value in row.items()} for row in filled])
    loaded = []
    for (row_id,), row in zip(result.all(), filled, strict=True):
        instance = model(**{mapper.primary_key[0].key: row_id}, **row)
        make_transient_to_detached(instance)  # as if read from its row: nothing left to flush
        session.add(instance)
        loaded.append(instance)
    transaction = session.get_nested_transaction() or session.get_transaction()
    session.info.setdefault(_INSERTED, []).append((transaction, loaded, list(pointing)))
    return loaded


_INSERTED = "greencert.db.inserted"  # session.info: (transaction, objects, pointing) of insert_loaded


@event.listens_for(Session, "after_soft_rollback")
def _forget_rolled_back(session: Session, previous: Any) -> None:
    """Objects `insert_loaded` wrote in the transaction rolled back, or in a savepoint within it,
    leave the session; the attributes pointing at them are read again when next used."""
    written = session.info.get(_INSERTED)
    if not written:
        return
    kept = []
    for transaction, objects, pointing in written:
        within = transaction
        while within is not None and within is not previous:
            within = within.parent
        if within is None:
            kept.append((transaction, objects, pointing))
            continue
        for instance in objects:
            if instance in session:
                session.expunge(instance)
        for owner, attribute in pointing:
            if owner in session:
                session.expire(owner, [attribute])
    session.info[_INSERTED] = kept


@event.listens_for(Session, "after_commit")
def _written_for_good(session: Session) -> None:
    session.info.pop(_INSERTED, None)


@functools.cache
def _column_defaults(mapper: Any) -> tuple[dict[str, Any], dict[str, str]]:
    """attribute key → the value a flush gives it when it is not set (a callable, to call), and
    attribute key → column key. A column the database fills in (a server default) is left out:
    its attribute is read from the row when first used."""
    defaults: dict[str, Any] = {}
    columns: dict[str, str] = {}
    for prop in mapper.column_attrs:
        (column,) = prop.columns
        columns[prop.key] = column.key
        if column.primary_key or column.server_default is not None:
            continue
        if column is mapper.version_id_col:
            defaults[prop.key] = 1
        elif column.default is None:
            defaults[prop.key] = None
        elif column.default.is_scalar:
            defaults[prop.key] = column.default.arg
        else:  # a Python callable, which SQLAlchemy calls with the execution context
            defaults[prop.key] = functools.partial(column.default.arg, None)
    return defaults, columns


@functools.cache
def _insert_returning_ids(table: Table) -> Any:
    (key,) = table.primary_key.columns
    return table.insert().returning(key, sort_by_parameter_order=True)


# A list of values in a query ----------------------------------------------------------------------

class _Values(TypeDecorator[list[Any]]):
    """A list of values as one parameter: an array of `item` on PostgreSQL, a JSON list
    elsewhere (SQLite)."""

    impl = String
    cache_ok = True

    def __init__(self, item: TypeEngine[Any]) -> None:
        super().__init__()
        self.item = item

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        return dialect.type_descriptor(postgresql.ARRAY(self.item) if dialect.name == "postgresql" else String())

    def process_bind_param(self, value: list[Any] | None, dialect: Dialect) -> Any:
        return value if dialect.name == "postgresql" or value is None else json.dumps(value)


class _OneOf(FunctionElement[bool]):
    type = Boolean()
    inherit_cache = True
    name = "one_of"


def one_of(column: Any, values: Iterable[Any] | BindParameter[Any]) -> Any:
    """`column` holds one of `values`, passed as one parameter rather than one each (or named by
    `bindparam(name)`, for a statement built once and given its values on each execution).

    The statement's text is then the same however many values there are, so PostgreSQL plans it
    with one array (`= ANY`) rather than a list of constants that differs from call to call (an
    area's codes, a ranking's ids), and the statement and its compiled form are shared."""
    if isinstance(values, BindParameter):
        return _OneOf(column, bindparam(values.key, type_=_Values(column.type)))
    return _OneOf(column, literal(list(values), _Values(column.type)))


@compiles(_OneOf)
def _one_of(element: _OneOf, compiler: SQLCompiler, **kw: Any) -> str:
    column, values = element.clauses
    return f"{compiler.process(column, **kw)} IN (SELECT value FROM json_each({compiler.process(values, **kw)}))"


@compiles(_OneOf, "postgresql")
def _one_of_postgresql(element: _OneOf, compiler: SQLCompiler, **kw: Any) -> str:
    column, values = element.clauses
    return f"{compiler.process(column, **kw)} = ANY ({compiler.process(values, **kw)})"


class _LikeAny(FunctionElement[bool]):
    type = Boolean()
    inherit_cache = True
    name = "like_any"


def like_any(expression: Any, patterns: BindParameter[Any]) -> Any:
    """`expression` is LIKE one of the patterns given to `bindparam(name)` on each execution, as one
    parameter; a pattern escapes its literal "%", "_" and "\\" with a backslash (`like_escaped`)."""
    return _LikeAny(expression, bindparam(patterns.key, type_=_Values(String())))


@compiles(_LikeAny)
def _like_any(element: _LikeAny, compiler: SQLCompiler, **kw: Any) -> str:
    expression, patterns = element.clauses
    return (f"EXISTS (SELECT 1 FROM json_each({compiler.process(patterns, **kw)}) "
            f"WHERE {compiler.process(expression, **kw)} LIKE value ESCAPE '\\')")


@compiles(_LikeAny, "postgresql")
def _like_any_postgresql(element: _LikeAny, compiler: SQLCompiler, **kw: Any) -> str:
    expression, patterns = element.clauses
    return f"{compiler.process(expression, **kw)} LIKE ANY ({compiler.process(patterns, **kw)})"


class _Among(FunctionElement[bool]):
    type = Boolean()
    inherit_cache = True
    name = "among"


def among(column: Any, query: Any) -> Any:
    """`column` holds one of the values `query` (a select or a union of selects of one column)
    returns. On PostgreSQL the query is run first, as an array (`= ANY (ARRAY(...))`): the outer
    query's planner then looks a short list up by index rather than joining it with a scan of
    the whole table, as it would for `IN (...)`."""
    return _Among(column, query.scalar_subquery())


@compiles(_Among)
def _among(element: _Among, compiler: SQLCompiler, **kw: Any) -> str:
    column, query = element.clauses
    return f"{compiler.process(column, **kw)} IN {compiler.process(query, **kw)}"


@compiles(_Among, "postgresql")
def _among_postgresql(element: _Among, compiler: SQLCompiler, **kw: Any) -> str:
    column, query = element.clauses
    return f"{compiler.process(column, **kw)} = ANY (ARRAY{compiler.process(query, **kw)})"


def like_escaped(text: str) -> str:
    """`text` as it stands in a LIKE pattern (backslash, PostgreSQL's default escape)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
