"""The side a check-in counts against: its owner's side, unless the miss was charged to the side that
held it up (a dependency that was overdue, or a Blocked answer naming the other side's commitment).

One rule, in Python and in SQL, so the App Home, `list`, the export, the digest, the weekly review and
the escalation rules can never count a miss against different sides.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, func

from models import CheckIn, Commitment, Side


def side_counted(checkin: CheckIn) -> Side:
    """Whom this check-in counts for or against."""
    return checkin.charged_side or checkin.commitment.side


def counted_side_column() -> ColumnElement[Side]:
    """The same rule in SQL, for grouped queries joining check-ins to their commitments."""
    return func.coalesce(CheckIn.charged_side, Commitment.side)
