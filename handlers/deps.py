"""What listeners need from the outside, handed to them at registration instead of module globals."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Deps:
    sessions: sessionmaker[Session]
    admins: frozenset[str] = frozenset()
    clock: Callable[[], datetime] = field(default=utc_now)


def bind(func: Callable[..., Any], deps: Deps) -> Callable[..., Any]:
    """`func` with `deps` filled in as a keyword.

    Bolt injects arguments by the names in a listener's positional signature; a keyword bound by
    `functools.partial` drops out of that signature, so Bolt fills the rest and leaves `deps` alone.
    The name is copied (without `__wrapped__`, which would expose `deps` to Bolt again) for lazy listeners.
    """
    bound = functools.partial(func, deps=deps)
    bound.__name__ = func.__name__  # type: ignore[attr-defined]
    return bound
