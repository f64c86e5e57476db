"""Backup and restore of the whole system: every table and every stored file, in one archive.

The archive is a gzip'd tar holding `manifest.json` (format, source, schema revision, row
counts and the SHA-256 of every member), `database/<table>.jsonl` (one JSON object a row,
tables in dependency order, rows in an order that can be inserted as they come) and
`files/<key>` (the evidence and certificates of the file store, STORAGE_DIR or the S3 bucket of
STORAGE_URL). JSON values carry no backend type, so a backup of SQLite restores into PostgreSQL
and back, and a backup of a directory restores into a bucket and back. Restoring checks every
checksum before it touches anything, and needs a database migrated to the same revision.
"""
from __future__ import annotations

import base64
import hashlib
import io
import json
import tarfile
import tempfile
from collections.abc import Iterable, Iterator
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    Connection,
    Date,
    DateTime,
    Engine,
    Integer,
    Interval,
    LargeBinary,
    Numeric,
    Table,
    Time,
    TypeDecorator,
    bindparam,
    func,
    inspect,
    select,
    text,
)

from models import Base
from workflow.errors import Invalid, NotPossible
from workflow.storage import LocalStorage, Storage

FORMAT = "greencert-backup/1"
MANIFEST = "manifest.json"
# Tables that `greencert db upgrade` fills with reference data: a database holding only these
# still counts as empty.
REFERENCE_TABLES = frozenset({"jurisdictions"})
BATCH = 500


def tables() -> list[Table]:
    return list(Base.metadata.sorted_tables)


def _kind(column_type: Any) -> type | None:
    impl = column_type.impl if isinstance(column_type, TypeDecorator) else column_type
    for kind in (JSON, DateTime, Date, Time, Interval, LargeBinary, Numeric):
        if isinstance(impl, kind):
            return kind
    return None


def _encode(value: Any) -> Any:
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, Decimal):
        return str(value)
    return value  # str (and StrEnum), int, float, bool, JSON documents


def _decode(kind: type | None, value: Any) -> Any:
    if value is None or kind is None or kind is JSON:
        return value
    if kind is DateTime:
        return datetime.fromisoformat(value)
    if kind is Date:
        return date.fromisoformat(value)
    if kind is Time:
        return time.fromisoformat(value)
    if kind is Interval:
        return timedelta(seconds=value)
    if kind is LargeBinary:
        return base64.b64decode(value)
    if kind is Numeric and isinstance(value, str):
        return Decimal(value)
    return value


def _parents_first(table: Table, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Order the rows of a self-referencing table (jurisdictions) so that parents come first."""
    links = [(fk.parent.name, fk.column.name) for fk in table.foreign_keys if fk.column.table is table]
    if not links:
        return rows
    ordered: list[dict[str, Any]] = []
    placed: dict[str, set[Any]] = {target: set() for _, target in links}
    present = {target: {row[target] for row in rows} for _, target in links}
    pending = rows
    while pending:
        ready = [row for row in pending if all(
            row[child] is None or row[child] in placed[target] or row[child] not in present[target]
            for child, target in links)]
        if not ready:
            raise NotPossible(f"table {table.name} has a cycle of references and cannot be ordered")
        for row in ready:
            ordered.append(row)
            for _, target in links:
                placed[target].add(row[target])
        chosen = {id(row) for row in ready}
        pending = [row for row in pending if id(row) not in chosen]
    return ordered


def _table_rows(connection: Connection, table: Table) -> Iterator[dict[str, Any]]:
    query = select(table).order_by(*table.primary_key.columns)
    result = connection.execute(query.execution_options(yield_per=1000))
    if any(fk.column.table is table for fk in table.foreign_keys):
        yield from _parents_first(table, [dict(row) for row in result.mappings()])
        return
    for row in result.mappings():
        yield dict(row)


def _revision(connection: Connection) -> str | None:
    if not inspect(connection).has_table("alembic_version"):
        return None
    return connection.scalar(text("SELECT version_num FROM alembic_version"))


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _add(tar: tarfile.TarFile, name: str, data: bytes, mtime: float) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(mtime)
    info.mode = 0o600
    tar.addfile(info, io.BytesIO(data))


def _dump_table(tar: tarfile.TarFile, connection: Connection, table: Table, now: datetime) -> dict[str, Any]:
    """One JSON line a row, spooled to a temporary file so a large table needs little memory."""
    digest, rows = hashlib.sha256(), 0
    with tempfile.TemporaryFile() as spool:
        for row in _table_rows(connection, table):
            line = (json.dumps({k: _encode(v) for k, v in row.items()}, ensure_ascii=False, sort_keys=True)
                    + "\n").encode("utf-8")
            spool.write(line)
            digest.update(line)
            rows += 1
        member = tarfile.TarInfo(f"database/{table.name}.jsonl")
        member.size, member.mtime, member.mode = spool.tell(), int(now.timestamp()), 0o600
        spool.seek(0)
        tar.addfile(member, spool)
    return {"name": table.name, "rows": rows, "member": member.name, "sha256": digest.hexdigest()}


def _store(storage: Storage | str | Path) -> Storage:
    """The file store itself, or a directory to be used as one."""
    return LocalStorage(storage) if isinstance(storage, (str, Path)) else storage


def backup(engine: Engine, storage: Storage | str | Path, target: str | Path, now: datetime) -> dict[str, Any]:
    """Write the archive to `target` (atomically: a partial archive never has its final name)."""
    target = Path(target)
    storage = _store(storage)
    manifest: dict[str, Any] = {"format": FORMAT, "created_at": now.isoformat(), "tables": [], "files": []}
    partial = target.with_name(f".{target.name}.partial")
    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":  # one snapshot for every table
            connection = connection.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin():
            revision = _revision(connection)
            if revision is None:
                raise NotPossible("the database has no schema yet; nothing to back up")
            manifest["source"] = {"dialect": connection.dialect.name, "revision": revision}
            with tarfile.open(partial, "w:gz") as tar:
                for table in tables():
                    manifest["tables"].append(_dump_table(tar, connection, table, now))
                for key in storage.keys():
                    stored = storage.open(key)
                    with stored.stream:
                        data = stored.stream.read()
                    _add(tar, f"files/{key}", data, stored.modified.timestamp())
                    manifest["files"].append({"key": key, "size": len(data), "sha256": _sha256(data)})
                _add(tar, MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1).encode("utf-8"),
                     now.timestamp())
    partial.replace(target)
    return summary(manifest)


def summary(manifest: dict[str, Any]) -> dict[str, Any]:
    return {"format": manifest["format"], "created_at": manifest["created_at"],
            "source": manifest["source"], "tables": len(manifest["tables"]),
            "rows": sum(t["rows"] for t in manifest["tables"]), "files": len(manifest["files"]),
            "file_bytes": sum(f["size"] for f in manifest["files"])}


def _unpack(source: Path, into: Path) -> dict[str, Any]:
    """Extract and check the archive: every member listed in the manifest, every checksum right."""
    try:
        with tarfile.open(source, "r:gz") as tar:
            tar.extractall(into, filter="data")
    except (tarfile.TarError, OSError, EOFError) as error:
        raise Invalid(f"{source} is not a readable GreenCert backup: {error}") from None
    try:
        manifest = json.loads((into / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise Invalid(f"{source} has no readable {MANIFEST}; it is not a GreenCert backup") from None
    if manifest.get("format") != FORMAT:
        raise Invalid(f"{source} is in format {manifest.get('format')!r}; this version reads {FORMAT}")
    expected = {t["member"]: t["sha256"] for t in manifest["tables"]}
    expected.update({f"files/{f['key']}": f["sha256"] for f in manifest["files"]})
    found = {p.relative_to(into).as_posix() for p in into.rglob("*") if p.is_file()} - {MANIFEST}
    if found - set(expected):
        raise Invalid(f"{source} holds members its manifest does not list: {', '.join(sorted(found - set(expected)))}")
    for member, digest in expected.items():
        path = into / member
        if not path.is_file():
            raise Invalid(f"{source} is incomplete: {member} is missing")
        if _sha256(path.read_bytes()) != digest:
            raise Invalid(f"{source} is damaged: the checksum of {member} does not match its manifest")
    return manifest


def _rows_in(path: Path, table: Table) -> Iterator[dict[str, Any]]:
    kinds = {column.name: _kind(column.type) for column in table.columns}
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            row = json.loads(line)
            if row.keys() != kinds.keys():
                raise NotPossible(f"the backup's columns of {table.name} differ from this version's: "
                                  f"{', '.join(sorted(row.keys() ^ kinds.keys()))}")
            yield {f"v_{name}": _decode(kinds[name], value) for name, value in row.items()}


def _batches(rows: Iterable[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _occupied(connection: Connection) -> list[str]:
    return [f"{t.name}: {n}" for t in tables() if t.name not in REFERENCE_TABLES
            and (n := connection.scalar(select(func.count()).select_from(t)))]


def _reset_sequences(connection: Connection) -> None:
    """PostgreSQL hands out ids from sequences: move each past the restored ids."""
    for table in tables():
        keys = list(table.primary_key.columns)
        if len(keys) != 1 or not isinstance(keys[0].type, Integer):
            continue
        column = keys[0]
        sequence = connection.scalar(text("SELECT pg_get_serial_sequence(:t, :c)"),
                                     {"t": table.name, "c": column.name})
        if sequence is not None:
            connection.execute(text(
                f'SELECT setval(:s, COALESCE((SELECT MAX("{column.name}") FROM "{table.name}"), 0) + 1, false)'),
                {"s": sequence})


def _insert(table: Table) -> Any:
    """An INSERT of whole rows in which None in a JSON column is SQL NULL, as in a new row."""
    return table.insert().values({
        column.name: bindparam(f"v_{column.name}", type_=JSON(none_as_null=True)
                               if _kind(column.type) is JSON else column.type)
        for column in table.columns
    })


def restore(engine: Engine, storage: Storage | str | Path, source: str | Path, *,
            force: bool = False) -> dict[str, Any]:
    """Load the archive into a migrated database and file store that are empty (or anything,
    with `force`)."""
    source = Path(source)
    storage = _store(storage)
    if not source.is_file():
        raise Invalid(f"{source} does not exist")
    with tempfile.TemporaryDirectory(prefix="greencert-restore-") as scratch:
        unpacked = Path(scratch)
        manifest = _unpack(source, unpacked)
        with engine.begin() as connection:
            revision = _revision(connection)
            if revision is None:
                raise NotPossible("the target database has no schema; run `greencert db upgrade` first")
            if revision != manifest["source"]["revision"]:
                raise NotPossible(f"the backup is of schema revision {manifest['source']['revision']}, "
                                  f"the target database is at {revision}; upgrade to the same revision first")
            known = {t.name for t in tables()}
            listed = [t["name"] for t in manifest["tables"]]
            if set(listed) != known:
                raise NotPossible("the backup's tables differ from this version's: "
                                  f"{', '.join(sorted(set(listed) ^ known))}")
            occupied = _occupied(connection)
            present = storage.keys()
            if (occupied or present) and not force:
                what = f"rows in {', '.join(occupied)}" if occupied else f"files in {storage.describe()}"
                raise NotPossible(f"the target is not empty ({what}); restore with --force to replace it")
            for table in reversed(tables()):
                connection.execute(table.delete())
            by_name = {t.name: t for t in tables()}
            for entry in manifest["tables"]:
                table = by_name[entry["name"]]
                statement = _insert(table)
                for batch in _batches(_rows_in(unpacked / entry["member"], table)):
                    connection.execute(statement, batch)
            if connection.dialect.name == "postgresql":
                _reset_sequences(connection)
            storage.delete(set(present) - {entry["key"] for entry in manifest["files"]})
            for entry in manifest["files"]:
                storage.save(entry["key"], (unpacked / "files" / entry["key"]).read_bytes())
    return summary(manifest)
