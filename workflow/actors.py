"""Who performs an action: a user row, or the system itself (jobs and the scheduler tick)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Union

from models import User
from models.enums import Role


@dataclass(frozen=True)
class SystemActor:
    """The system (系统): evaluation jobs, the last submitted review, the scheduler tick."""

    id: None = None
    role: str = "system"
    display_name: str = "系统"
    jurisdiction_code: None = None
    enterprise_id: None = None


SYSTEM = SystemActor()
Actor = Union[User, SystemActor]


def is_role(actor: Actor | None, role: Role) -> bool:
    return isinstance(actor, User) and actor.active and actor.role is role
