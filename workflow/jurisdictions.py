"""The GB/T 2260 tree: subtree checks and the path an application climbs."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Jurisdiction
from workflow.errors import Invalid

_KEY = "greencert.jurisdiction_parents"


def parents(session: Session) -> dict[str, str | None]:
    """code → parent code, read once per session."""
    cached = session.info.get(_KEY)
    if cached is None:
        cached = {code: parent for code, parent in session.execute(select(Jurisdiction.code, Jurisdiction.parent_code))}
        session.info[_KEY] = cached
    return cached


def path_up(session: Session, code: str) -> list[str]:
    """The code itself followed by its ancestors: county, city, province."""
    tree = parents(session)
    path: list[str] = []
    current: str | None = code
    while current is not None and current in tree and current not in path:
        path.append(current)
        current = tree[current]
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
