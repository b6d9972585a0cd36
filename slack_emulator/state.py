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
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from .records import Call, EmulatedUser

FaultKind = Literal["http_error", "rate_limited", "error"]


# Slack allows chat.postMessage about one message a second per channel, short bursts allowed: a test or
# bench that is about pacing turns that on (`set_channel_rate_limit("chat.postMessage", per_second=1,
# burst=10)`). Off by default, like the workspace ceiling, so the many tests about other things do not
# spend their time waiting out Retry-After.
DEFAULT_CHANNEL_LIMITS: dict[str, tuple[float, float]] = {}


@dataclass(frozen=True)
class Page:
    """What a page handler answers a browser with."""

    status: int
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    headers: tuple[tuple[str, str], ...] = ()


# (HTTP method, path, query string, headers, body) -> the answer; see SlackEmulator.serve_pages.
PageHandler = Callable[[str, str, str, dict[str, str], bytes], Page]


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
    view_id: str | None = None  # the modal it opened


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
    # The workspace it belongs to (None: the emulator's own); another workspace's token can't see it.
    team_id: str | None = None


@dataclass
class Workspace:
    """Another workspace that can install the app through the OAuth flow (the one given to the
    emulator's constructor is always installed, with the constructor's token)."""

    team_id: str
    name: str
    bot_user_id: str
    bot_id: str
    enterprise_id: str | None = None
    # An org-wide install on Enterprise Grid: the installation is the organisation's.
    org_wide: bool = False
    scopes: frozenset[str] | None = None


@dataclass
class Grant:
    """An authorization code handed out by the authorize page: good once, for its client and
    redirect URI only."""

    team_id: str
    user_id: str
    client_id: str
    scopes: str
    user_scopes: str
    redirect_uri: str | None
    used: bool = False


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
        self.home_bot_user_id = bot_user_id
        # Set for an org-wide install on Enterprise Grid: auth.test then names the organisation too.
        self.enterprise_id: str | None = None
        self.home_bot_id = "B0BOT"
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
        # Per method: (calls allowed, over a sliding window of this many seconds).
        # Workspace-wide ceilings per method: (calls per window, window seconds), counted per team.
        self.rate_limits: dict[str, tuple[int, float]] = {}
        self.windows: dict[tuple[str, str], deque[float]] = {}
        # Per-channel limits per method: (calls per second, burst), a token bucket per team and channel.
        self.channel_limits: dict[str, tuple[float, float]] = dict(DEFAULT_CHANNEL_LIMITS)
        self.channel_buckets: dict[tuple[str, str, str], tuple[float, float]] = {}
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
        self.pages: PageHandler | None = None

        # OAuth: the app's credentials, its registered redirect URIs, workspaces that may install it,
        # who is installing next, codes handed out, and tokens issued (token → team id).
        self.oauth_client: tuple[str, str] | None = None
        self.redirect_uris: tuple[str, ...] = ()
        self.token_rotation = False
        self.workspaces: dict[str, Workspace] = {}
        self.installing: tuple[str, str] | None = None
        self.grants: dict[str, Grant] = {}
        self.tokens: dict[str, str] = {}
        self.refresh_tokens: dict[str, str] = {}
        # The workspace whose token the call being answered carries.
        self.caller_team = team_id

    @property
    def bot_user_id(self) -> str:
        """The bot user of the workspace whose token the current call carries."""
        workspace = self.workspaces.get(self.caller_team) if self.caller_team != self.team_id else None
        return workspace.bot_user_id if workspace is not None else self.home_bot_user_id

    @property
    def bot_id(self) -> str:
        workspace = self.workspaces.get(self.caller_team) if self.caller_team != self.team_id else None
        return workspace.bot_id if workspace is not None else self.home_bot_id

    def foreign(self, team_id: str | None) -> bool:
        """A team of another workspace the app is installed in: the caller's token cannot reach it."""
        if team_id is None or team_id == self.caller_team:
            return False
        return team_id == self.team_id or team_id in self.workspaces

    def unreachable(self, user: EmulatedUser) -> bool:
        """A person of another workspace the app is installed in is out of this token's reach, unless
        they share a Slack Connect channel with the caller's workspace (then Slack shows them and lets
        the bot DM them)."""
        if not self.foreign(user.team_id):
            return False
        return not any(
            conversation.is_ext_shared
            and (conversation.team_id or self.team_id) == self.caller_team
            and (conversation.member_ids is None or user.id in conversation.member_ids)
            for conversation in self.conversations.values()
        )

    def clear_traffic(self) -> None:
        """Forget what requests did while keeping the workspace (users, channels, token) intact."""
        self.calls.clear()
        self.faults.clear()
        self.random_faults.clear()
        self.rate_limits.clear()
        self.windows.clear()
        self.channel_limits = dict(DEFAULT_CHANNEL_LIMITS)
        self.channel_buckets.clear()
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
        self.grants.clear()
        self.tokens.clear()
        self.refresh_tokens.clear()
        self.installing = None
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
                if not user.deleted
                and (conversation.is_ext_shared or user.team_id == (conversation.team_id or self.team_id))
            )
        return people + ([self.bot_user_id] if conversation.bot_member else [])

    def user_for_dm(self, channel_id: str) -> EmulatedUser | None:
        for user in self.users.values():
            if self.dm_channel_id(user.id) == channel_id:
                return user
        return None
