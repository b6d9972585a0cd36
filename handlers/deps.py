"""What listeners need from the outside, handed to them at registration instead of module globals."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from slack_bolt import BoltContext
from sqlalchemy.orm import Session, sessionmaker

from bot.accounts.installation import Installation


def utc_now() -> datetime:
    return datetime.now(UTC)


def run_now(work: Callable[..., Any], /, *args: Any, **kwargs: Any) -> None:
    """Outside the web process (a handler called directly, Socket Mode) the work after the ack runs
    in place, as the rest of the listener does."""
    work(*args, **kwargs)


@dataclass(frozen=True)
class Deps:
    sessions: sessionmaker[Session]
    admins: frozenset[str] = frozenset()
    clock: Callable[[], datetime] = field(default=utc_now)
    # OAuth mode's installation store (slack_sdk's, encrypted); None in single-workspace mode. With it,
    # every request is scoped to its installation.
    store: Any = None
    # Where a listener leaves its Slack calls once it has acked, called like `Executor.submit`. The web
    # process hands them to a small pool of their own (`app.AFTER_ACK_THREADS`), so they never hold a
    # thread another request's ack is waiting for, nor take its CPU and database connections.
    after_ack: Callable[..., None] = field(default=run_now)


def bind(func: Callable[..., Any], deps: Deps) -> Callable[..., Any]:
    """`func` with `deps` filled in as a keyword.

    Bolt injects arguments by the names in a listener's positional signature; a keyword bound by
    `functools.partial` drops out of that signature, so Bolt fills the rest and leaves `deps` alone.
    The name is copied (without `__wrapped__`, which would expose `deps` to Bolt again) for lazy listeners.
    """
    bound = functools.partial(func, deps=deps)
    bound.__name__ = func.__name__  # type: ignore[attr-defined]
    return bound


class NotInstalled(RuntimeError):
    """A request that reached a listener without an authorized installation: nothing to act for."""


def installation_of(context: BoltContext) -> Installation:
    """The vendor, from Bolt's authorize result (`auth.test` of our token, or the installation store
    in OAuth mode) — never from the payload, which names the acting user's own organisation."""
    result = context.authorize_result
    if result is None or not result.team_id:
        raise NotInstalled("no authorized installation for this request")
    return Installation(team_id=str(result.team_id), enterprise_id=result.enterprise_id or None)
