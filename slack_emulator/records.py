"""Value types shared by the emulator's server and its tests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class Headers(dict[str, str]):
    """Request headers that tests can index in any letter case.

    HTTP header names are case-insensitive and clients disagree on how they spell them
    (urllib sends ``Authorization``, aiohttp may send ``authorization``), so a test should not
    have to know which client produced the call.
    """

    def __missing__(self, key: str) -> str:
        wanted = key.lower()
        for name, value in self.items():
            if name.lower() == wanted:
                return value
        raise KeyError(key)

    def find(self, key: str, default: str = "") -> str:
        try:
            return self[key]
        except KeyError:
            return default


@dataclass(frozen=True)
class Call:
    """One request as the emulator received it, kept so tests can assert on what the app sent."""

    method: str
    params: dict[str, Any]
    headers: dict[str, str]
    received_at: float
    # The URL path's key where it names the target (a response URL's), so a reply can be traced to
    # the command or click that was handed that URL.
    key: str = ""


@dataclass
class EmulatedUser:
    """A workspace member; mutable so a test can, say, deactivate someone mid-scenario."""

    id: str
    team_id: str
    name: str
    real_name: str
    # None: Slack has no zone for them (common for people of another organisation).
    tz: str | None = "America/New_York"
    is_bot: bool = False
    is_stranger: bool = False
    deleted: bool = False
    # A guest of the workspace (Slack's "restricted" account): a member, but not of the organisation.
    is_restricted: bool = False
    enterprise_id: str | None = None
    # `profile.display_name`; None means `name`, "" means they never set one (then real_name is shown).
    display_name: str | None = None
    # Every DM to them is refused with this error, as another organisation's Slack Connect settings,
    # a "post only" guest or a deactivated account make Slack do (`cannot_dm_bot`, `restricted_action`, …).
    dm_error: str | None = None
    # Their status (`profile.status_text`, `status_emoji`, `status_expiration` as a Unix time, 0: none).
    status_text: str = ""
    status_emoji: str = ""
    status_expiration: int = 0
