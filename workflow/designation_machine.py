"""The designation lifecycle (ARCHITECTURE §5, dynamic management 有进有出) as one table."""
from __future__ import annotations

from datetime import timedelta

from models import Designation
from models.enums import DesignationState as S
from workflow.machines import Condition, Context, Row, StateTable


def _proposal_recorded(designation: Designation, ctx: Context) -> bool:
    return bool(designation.proposal)


def _in_renewal_window(designation: Designation, ctx: Context) -> bool:
    from workflow.clock import local_date

    return local_date(ctx.now) >= designation.valid_until - RENEWAL_WINDOW


def _validity_ended(designation: Designation, ctx: Context) -> bool:
    from workflow.clock import local_date

    return local_date(ctx.now) > designation.valid_until


LIVE = [S.active, S.rectifying, S.suspended]
# Renewal by re-evaluation is considered in the last six months of validity.
RENEWAL_WINDOW = timedelta(days=183)

PROPOSAL_RECORDED = Condition("尚无撤销提议，须先由一名工作人员提议撤销", _proposal_recorded)
VALIDITY_ENDED = Condition("有效期尚未届满", _validity_ended)
IN_RENEWAL_WINDOW = Condition("有效期届满前6个月内方可延续", _in_renewal_window)

TABLE = StateTable(
    "designation",
    S,
    [
        Row("require_rectification", [S.active], S.rectifying),
        Row("confirm_rectified", [S.rectifying], S.active),
        Row("suspend", [S.active, S.rectifying], S.suspended),
        Row("reinstate", [S.suspended], S.active),
        Row("propose_revocation", LIVE, "=" ),  # type: ignore[list-item]
        Row("revoke", LIVE, S.revoked, [PROPOSAL_RECORDED]),
        Row("expire", LIVE, S.expired, [VALIDITY_ENDED]),
        Row("renew", [S.active], S.active, [IN_RENEWAL_WINDOW]),
        Row("withdraw", LIVE, S.withdrawn),
    ],
)
