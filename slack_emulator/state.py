"""Everything the emulator remembers between requests, guarded by one condition variable.

A single lock keeps the model simple: every request decides its answer and applies its effects
while holding it, so a test that has seen a call recorded also sees that call's effects.
"""

from __future__ import annotations

import itertools
import random
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Literal

from .records import Call, EmulatedUser

FaultKind = Literal["http_error", "rate_limited", "error"]


@dataclass(frozen=True)
class Fault:
    kind: FaultKind
    status: int = 500
    retry_after: int = 1
    error: str = ""
    channel: str | None = None


@dataclass
class RandomFaults:
    """A share of a method's calls answered with a 5xx; of those, a share only after the call took
    effect (the message is posted, the answer is lost on the way back), as a busy edge can do."""

    rate: float
    statuses: tuple[int, ...]
    after_effect: float
    rng: random.Random
    injected: int = 0
    injected_after_effect: int = 0


@dataclass
class Trigger:
    at: float  # time.monotonic() when it was handed out
    used: bool = False


@dataclass
class Conversation:
    id: str
    name: str
    is_private: bool = False
    is_ext_shared: bool = False
    is_im: bool = False
    is_mpim: bool = False
    members: tuple[str, ...] = ()
    # Channels: who is in it (None: every member of the installing workspace, and, when shared,
    # every known user), whether the bot is, and whether it is archived.
    member_ids: frozenset[str] | None = None
    bot_member: bool = True
    is_archived: bool = False


@dataclass
class PendingFile:
    id: str
    filename: str
    length: int
    content: bytes | None = None
    completed: bool = False
    title: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


class EmulatorState:
    """Plain data plus id generators; the Web API semantics live in ``methods``."""

    def __init__(self, *, token: str, team_id: str, bot_user_id: str) -> None:
        self.cond = threading.Condition(threading.RLock())
        self.token = token
        self.team_id = team_id
        # Bot tokens of further workspaces installing the same app: token → team ID.
        self.workspace_tokens: dict[str, str] = {}
        self.bot_user_id = bot_user_id
        # Set for an org-wide install on Enterprise Grid: auth.test then names the organisation too.
        self.enterprise_id: str | None = None
        self.bot_id = "B0BOT"
        # The token's bot scopes; None grants everything. A call needing one it lacks: `missing_scope`.
        self.scopes: frozenset[str] | None = None
        self.base_url = ""
        self.created_at = time.monotonic()
        self._counter = itertools.count(1)

        self.users: dict[str, EmulatedUser] = {}
        self.conversations: dict[str, Conversation] = {}

        self.calls: list[Call] = []
        self.faults: dict[str, deque[Fault]] = {}
        self.random_faults: dict[str, RandomFaults] = {}
        self.rate_limits: dict[str, int] = {}
        self.windows: dict[str, deque[float]] = {}
        self.delays: dict[str, float] = {}
        self.messages: dict[str, list[dict[str, Any]]] = {}
        self.views: dict[str, dict[str, Any]] = {}
        self.external_view_ids: dict[str, str] = {}
        self.home_views: dict[str, dict[str, Any]] = {}
        self.home_view_ids: dict[str, str] = {}
        self.files: dict[str, PendingFile] = {}
        self.shared_files: list[dict[str, Any]] = []
        self.response_url_uses: dict[str, int] = {}
        self.triggers: dict[str, Trigger] = {}

    def clear_traffic(self) -> None:
        """Forget what requests did while keeping the workspace (users, channels, token) intact."""
        self.calls.clear()
        self.faults.clear()
        self.random_faults.clear()
        self.rate_limits.clear()
        self.windows.clear()
        self.delays.clear()
        self.messages.clear()
        self.views.clear()
        self.external_view_ids.clear()
        self.home_views.clear()
        self.home_view_ids.clear()
        self.files.clear()
        self.shared_files.clear()
        self.response_url_uses.clear()
        self.triggers.clear()
        # Conversations opened by conversations.open with several users are traffic, not setup.
        for conversation_id in [c.id for c in self.conversations.values() if c.is_mpim]:
            del self.conversations[conversation_id]

    def next_number(self) -> int:
        # Never reset, so ids and timestamps stay unique across reset() within one emulator.
        return next(self._counter)

    def next_ts(self) -> str:
        n = self.next_number()
        return f"{1_700_000_000 + n}.{n:06d}"

    def next_hash(self) -> str:
        n = self.next_number()
        return f"{1_700_000_000 + n}.{n * 2_654_435_761 % 2**32:08x}"

    @staticmethod
    def dm_channel_id(user_id: str) -> str:
        # "U123" -> "D123", but "W123" -> "DW123" so U- and W-ids never collide.
        return "D" + user_id[1:] if user_id.startswith("U") else "D" + user_id

    def channel_members(self, conversation: Conversation) -> list[str]:
        """Members as `conversations.members` lists them: people first (sorted), then the bot if it is in."""
        if conversation.member_ids is not None:
            people = sorted(conversation.member_ids)
        else:
            people = sorted(
                user.id
                for user in self.users.values()
                if not user.deleted and (conversation.is_ext_shared or user.team_id == self.team_id)
            )
        return people + ([self.bot_user_id] if conversation.bot_member else [])

    def user_for_dm(self, channel_id: str) -> EmulatedUser | None:
        for user in self.users.values():
            if self.dm_channel_id(user.id) == channel_id:
                return user
        return None
