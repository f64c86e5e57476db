"""The GB/T 2260 tree: subtree checks and the path an application climbs.

The tree is reference data: it changes only when `greencert db upgrade` loads divisions, so it
is read once per process and database (engine), not once per request. A session that writes a
jurisdiction drops the copy of its database and reads the tree itself until it commits or rolls
back, so no other session sees divisions that were never committed.
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, TypeVar, cast
from weakref import WeakKeyDictionary

from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session

from models import Jurisdiction
from models.enums import JurisdictionLevel
from workflow.errors import Invalid


@dataclass(frozen=True)
class Place:
    code: str
    name: str
    level: JurisdictionLevel
    parent_code: str | None


@dataclass(frozen=True)
class Tree:
    parents: dict[str, str | None]  # code → parent code
    bureau_names: dict[str, str]  # code → 杭州市经济和信息化局
    places: dict[str, Place]  # code → its name, level and parent


_TREES: WeakKeyDictionary[Engine, Tree] = WeakKeyDictionary()
T = TypeVar("T")
_LOCK = threading.Lock()
_WRITTEN = "greencert.jurisdictions_written"  # session.info: this session changed the tree
_OWN = "greencert.jurisdiction_tree"  # session.info: the tree as that session sees it
_MEMO = "greencert.jurisdiction_memo"  # session.info: values derived from that tree (`memo`)


def _read(session: Session) -> Tree:
    rows = session.scalars(select(Jurisdiction)).all()
    return Tree({j.code: j.parent_code for j in rows}, {j.code: j.bureau_name for j in rows},
                {j.code: Place(j.code, j.name, j.level, j.parent_code) for j in rows})


def _engine(session: Session) -> Engine:
    # The session's own bind (an engine, or a connection in tests) is an attribute; get_bind()
    # would look through the mappers first, at every place name of a list page.
    return (session.bind or session.get_bind()).engine


def memo(session: Session) -> dict[Any, Any]:
    """A place for values derived from the tree as this session reads it (the place names of a
    list page's cells), dropped when the session changes the tree, and again when that change
    commits or is rolled back."""
    return session.info.setdefault(_MEMO, {})


def tree(session: Session) -> Tree:
    if session.info.get(_WRITTEN):
        own = session.info.get(_OWN)
        if own is None:
            own = session.info[_OWN] = _read(session)
        return own
    engine = _engine(session)
    cached = _TREES.get(engine)
    if cached is None:
        cached = _read(session)
        with _LOCK:
            _TREES[engine] = cached
    return cached


_KEPT: dict[Any, tuple[Tree, Any]] = {}
_KEPT_AT_MOST = 1024


def kept(session: Session, key: Hashable, build: Callable[[], T]) -> T:
    """What `build()` gives, kept under `key` for as long as the tree it may have read stays the
    same: a list's statement for one search, filters and area, built once and reused by every
    page and reader of the same list."""
    current = tree(session)
    found = _KEPT.get(key)
    if found is not None and found[0] is current:
        return cast(T, found[1])
    value = build()
    if len(_KEPT) >= _KEPT_AT_MOST:
        _KEPT.clear()
    _KEPT[key] = (current, value)
    return value


def forget(engine: Engine) -> None:
    """Read the tree of `engine`'s database afresh at the next use."""
    with _LOCK:
        _TREES.pop(engine, None)


@event.listens_for(Session, "after_flush")
def _tree_written(session: Session, _context: Any) -> None:
    if any(isinstance(row, Jurisdiction) for rows in (session.new, session.dirty, session.deleted) for row in rows):
        session.info[_WRITTEN] = True
        session.info.pop(_OWN, None)
        session.info.pop(_MEMO, None)
        forget(_engine(session))


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_soft_rollback")
def _tree_settled(session: Session, *_args: Any) -> None:
    if session.info.pop(_WRITTEN, None):
        session.info.pop(_OWN, None)
        session.info.pop(_MEMO, None)
        forget(_engine(session))


def parents(session: Session) -> dict[str, str | None]:
    """code → parent code (shared: read it, never change it)."""
    return tree(session).parents


def bureau_name(session: Session, code: str) -> str | None:
    """The name of the bureau of economy and information technology of `code`, if it exists."""
    return tree(session).bureau_names.get(code)


def path_up(session: Session, code: str) -> list[str]:
    """The code itself followed by its ancestors: county, city, province."""
    tree_parents = parents(session)
    path: list[str] = []
    current: str | None = code
    while current is not None and current in tree_parents and current not in path:
        path.append(current)
        current = tree_parents[current]
    return path


def is_within(session: Session, code: str | None, ancestor: str | None) -> bool:
    """True when `code` is `ancestor` or lies in its subtree."""
    if code is None or ancestor is None:
        return False
    return ancestor in path_up(session, code)


def require(session: Session, code: str, field: str = "jurisdiction") -> Jurisdiction:
    jurisdiction = session.get(Jurisdiction, code)
    if jurisdiction is None:
        raise Invalid.field(field, f"行政区划代码“{code}”不存在")
    return jurisdiction
