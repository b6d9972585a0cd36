"""Writing a person's answer while Slack waits for the acknowledgement, and saying so when we can't.

An answer is acknowledged to Slack only once it is written: the write is one short transaction (a
guarded UPDATE and its diary entry), well inside Slack's three seconds, so a web worker killed after
the acknowledgement can't lose it. When the database does not answer, nothing is pretended: the
person is told the answer was not recorded and to try again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import SQLAlchemyError

from bot.errors import Refusal

log = logging.getLogger(__name__)

T = TypeVar("T")

NOT_RECORDED = (
    "I couldn't record that just now — the accountability database did not answer, so nothing was saved. "
    "Please try again in a minute."
)


def recorded(write: Callable[[], T], *, what: str) -> T:
    """A write the database did not take is a `Refusal` like any other, answered in the same one place."""
    try:
        return write()
    except SQLAlchemyError as exc:
        log.exception("could not record %s", what)
        raise Refusal(NOT_RECORDED) from exc
