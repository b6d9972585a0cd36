"""The one door to the Slack Web API.

Retries live in slack_sdk's retry handlers (429 honouring `Retry-After`, 5xx, dropped connections);
this module only turns what is left over into a `SlackDeliveryError` the domain can record.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.handler import RetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

from bot.slack.pacing import PacedRateLimitRetryHandler, Pacer, SharedPace, posts_per_minute

# A person gets at most a few check-in DMs a day; ten pages of 200 cover any stale claim.
HISTORY_PAGES = 10
# Enough members to judge a channel by; beyond it a channel is judged by what conversations.info says.
MEMBERS_LIMIT = 1000


class SlackDeliveryError(Exception):
    """Slack refused a call, or stayed unreachable after every retry."""

    def __init__(self, method: str, error: str, *, retry_after: int | None = None) -> None:
        super().__init__(f"{method}: {error}")
        self.method = method
        self.error = error
        # Seconds Slack asked us to wait (429), so the caller can come back then instead of sleeping.
        self.retry_after = retry_after


@dataclass(frozen=True)
class PostedMessage:
    channel: str
    ts: str


@dataclass(frozen=True)
class SlackProfile:
    user_id: str
    team_id: str | None
    name: str
    tz: str | None
    is_bot: bool
    is_stranger: bool
    deleted: bool
    # Guests (single- and multi-channel) of the workspace: not the vendor's own people.
    is_restricted: bool = False
    enterprise_id: str | None = None
    # Their Slack status, read for time off (`bot.people.away`); expiration is a Unix time, 0 for none.
    status_text: str = ""
    status_emoji: str = ""
    status_expiration: int = 0


@dataclass(frozen=True)
class ChannelInfo:
    """What `conversations.info` says of a channel, as far as the product cares."""

    channel_id: str
    name: str
    is_member: bool  # the bot is in it
    is_ext_shared: bool  # shared with another organisation (Slack Connect)
    is_private: bool
    is_archived: bool


class AnyServerErrorRetryHandler(ServerErrorRetryHandler):
    """slack_sdk's handler retries only 500 and 503; a 502 or 504 from Slack's edge is just as
    passing, and not retrying it lost check-ins."""

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        return response is not None and 500 <= response.status_code <= 599


# Methods that only read (or, like conversations.open, return what already exists): asking again
# after a 5xx or a dropped connection cannot change anything in Slack.
READ_METHODS = frozenset(
    {
        "auth.test",
        "chat.getPermalink",
        "conversations.history",
        "conversations.info",
        "conversations.members",
        "conversations.open",
        "conversations.replies",
        "users.info",
    }
)
READ_RETRIES = 2


def _read_method(request: HttpRequest) -> bool:
    return request.url.split("?", 1)[0].rsplit("/", 1)[-1] in READ_METHODS


class _ReadsOnly(RetryHandler):
    """Narrows a slack_sdk retry handler to `READ_METHODS`: asking again cannot post twice."""

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        return _read_method(request) and super()._can_retry(
            state=state, request=request, response=response, error=error
        )


class ReadServerErrorRetryHandler(_ReadsOnly, AnyServerErrorRetryHandler):
    """A 5xx on a read is asked again in place: it is how the clock learns whether a post whose
    answer was lost went out, and one passing failure must not leave a check-in unsettled."""


class ReadConnectionErrorRetryHandler(_ReadsOnly, ConnectionErrorRetryHandler):
    """A dropped connection on a read is asked again in place, like a 5xx."""


def retry_handlers(*, clock: bool = False, shared_pace: SharedPace | None = None) -> list[RetryHandler]:
    """The web process retries in place: a person is waiting for the answer. The clock waits out a
    429 for the whole workspace (`bot.slack.pacing`) while its other workspaces go on, and retries no
    post blindly: after a 5xx or a dropped connection Slack may already have posted the DM, so the
    clock reads its DM history before sending again rather than risk a second copy. Reads it retries
    in place (`READ_METHODS`): they change nothing. A `shared_pace` shares the workspace's ceiling
    with the other clock processes (`bot.slack.shared_pace`)."""
    if clock:
        return [
            PacedRateLimitRetryHandler(Pacer(posts_per_minute(), shared=shared_pace)),
            ReadServerErrorRetryHandler(max_retry_count=READ_RETRIES),
            ReadConnectionErrorRetryHandler(max_retry_count=READ_RETRIES),
        ]
    return [
        RateLimitErrorRetryHandler(max_retry_count=3),
        AnyServerErrorRetryHandler(max_retry_count=2),
        ConnectionErrorRetryHandler(max_retry_count=2),
    ]


def make_client(
    *, token: str | None, api_url: str, clock: bool = False, shared_pace: SharedPace | None = None
) -> WebClient:
    return WebClient(
        token=token,
        base_url=api_url,
        retry_handlers=retry_handlers(clock=clock, shared_pace=shared_pace),
        timeout=10,
    )


class SlackGateway:
    def __init__(self, client: WebClient) -> None:
        self.client = client
        self._own_user_id: str | None = None
        self._dm_channels: dict[str, str] = {}
        # The clock's clients pace chat.postMessage per workspace (`bot.slack.pacing`).
        self.pacer: Pacer | None = next(
            (h.pacer for h in client.retry_handlers if isinstance(h, PacedRateLimitRetryHandler)), None
        )

    def _call(self, method: str, *, form: dict[str, Any] | None = None, **kwargs: Any) -> dict[str, Any]:
        """JSON bodies by default; `form` for the read methods Slack only takes form-encoded."""
        if self.pacer is not None and method == "chat.postMessage":
            self.pacer.acquire(kwargs.get("channel"))
        try:
            if form is not None:
                response = self.client.api_call(method, params=form)
            else:
                response = self.client.api_call(method, json=kwargs)
        except SlackApiError as exc:
            raise SlackDeliveryError(method, _error_code(exc), retry_after=_retry_after(exc)) from exc
        except (SlackClientError, OSError) as exc:
            raise SlackDeliveryError(method, type(exc).__name__) from exc
        data = response.data
        assert isinstance(data, dict)
        return data

    def send_dm(
        self,
        user_id: str,
        *,
        text: str,
        blocks: list[dict[str, Any]],
        metadata: dict[str, Any] | None = None,
    ) -> PostedMessage:
        """Posting to a user ID lands in the app's DM with them without a `conversations.open` per message."""
        extra: dict[str, Any] = {"metadata": metadata} if metadata is not None else {}
        data = self._call(
            "chat.postMessage", channel=user_id, text=text, blocks=blocks, unfurl_links=False, **extra
        )
        return PostedMessage(channel=str(data["channel"]), ts=str(data["ts"]))

    def find_checkin_messages(self, user_id: str) -> dict[int, PostedMessage]:
        """The bot's recent DMs to this person, by the check-in IDs their metadata carries."""
        return self.checkin_messages_in(self.open_dm(user_id))

    def checkin_messages_in(self, channel: str) -> dict[int, PostedMessage]:
        """The bot's recent check-in posts in a conversation (a DM or a shared channel), by the
        check-in IDs their metadata carries."""
        found: dict[int, PostedMessage] = {}
        for message, _event_type, payload in self._messages_with_metadata(channel):
            for checkin_id in payload.get("checkin_ids") or []:
                if str(checkin_id).isdigit():
                    found[int(checkin_id)] = PostedMessage(channel=channel, ts=str(message["ts"]))
        return found

    def tagged_dms(self, user_id: str, *, event_type: str, key: str) -> dict[str, PostedMessage]:
        """The bot's recent DMs to this person of one metadata event type, by each tag their payload
        lists under `key` (the newest message for a tag): how a clock that took over a dead one's
        claim learns whether Slack got the message before the clock died."""
        channel = self.open_dm(user_id)
        return _tagged(channel, self._messages_with_metadata(channel), event_type=event_type, key=key)

    def tagged_replies(
        self, channel: str, thread_ts: str, *, event_type: str, key: str
    ) -> dict[str, PostedMessage]:
        """`tagged_dms` for one thread of a channel: a reminder in a shared channel's thread is found
        where it was posted, so a clock that took over does not post it twice."""
        replies = self._messages_with_metadata(channel, method="conversations.replies", ts=thread_ts)
        return _tagged(channel, replies, event_type=event_type, key=key)

    def _messages_with_metadata(
        self, channel: str, *, method: str = "conversations.history", **where: str
    ) -> Iterator[tuple[dict[str, Any], str, dict[str, Any]]]:
        """Each message of a conversation's history (newest first) or of a thread (`ts`: the parent,
        then the replies oldest first), its metadata's event type and payload."""
        cursor: str | None = None
        for _page in range(HISTORY_PAGES):
            # Not bounded by `oldest`: the tags are unique, so the newest pages are enough and no
            # clock (a clock run for a past instant included) has to agree with Slack's time.
            form: dict[str, Any] = {
                "channel": channel,
                "include_all_metadata": "true",
                "limit": "200",
                **where,
            }
            if cursor:
                form["cursor"] = cursor
            data = self._call(method, form=form)
            for message in data.get("messages") or []:
                metadata = message.get("metadata") or {}
                yield message, str(metadata.get("event_type") or ""), metadata.get("event_payload") or {}
            cursor = (data.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                break

    def post_message(
        self,
        channel: str,
        *,
        text: str,
        blocks: list[dict[str, Any]] | None = None,
        thread_ts: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> PostedMessage:
        kwargs: dict[str, Any] = {"channel": channel, "text": text, "unfurl_links": False}
        if blocks is not None:
            kwargs["blocks"] = blocks
        if metadata is not None:
            kwargs["metadata"] = metadata
        if thread_ts is not None:
            kwargs["thread_ts"] = thread_ts
        data = self._call("chat.postMessage", **kwargs)
        return PostedMessage(channel=str(data["channel"]), ts=str(data["ts"]))

    def update_message(self, *, channel: str, ts: str, text: str, blocks: list[dict[str, Any]]) -> None:
        self._call("chat.update", channel=channel, ts=ts, text=text, blocks=blocks)

    def permalink(self, *, channel: str, ts: str) -> str:
        """A link to one message, for pointing at a post from elsewhere (chat.getPermalink, no scope)."""
        data = self._call("chat.getPermalink", form={"channel": channel, "message_ts": ts})
        return str(data["permalink"])

    def post_ephemeral(self, *, channel: str, user: str, text: str) -> None:
        self._call("chat.postEphemeral", channel=channel, user=user, text=text)

    def open_view(self, *, trigger_id: str, view: dict[str, Any]) -> None:
        self._call("views.open", trigger_id=trigger_id, view=view)

    def publish_home(self, *, user_id: str, view: dict[str, Any]) -> None:
        self._call("views.publish", user_id=user_id, view=view)

    def open_dm(self, user_id: str) -> str:
        """The DM channel ID; file uploads need a channel ID, not a user ID. Asked once per person:
        the app's DM with someone keeps its ID, and `conversations.open` is Tier 3."""
        if user_id not in self._dm_channels:
            data = self._call("conversations.open", form={"users": user_id})
            self._dm_channels[user_id] = str(data["channel"]["id"])
        return self._dm_channels[user_id]

    def upload_file(
        self,
        *,
        channel: str,
        filename: str,
        content: str | bytes,
        title: str,
        initial_comment: str | None = None,
        thread_ts: str | None = None,
        alt_txt: str | None = None,
    ) -> None:
        """slack_sdk's `files_upload_v2`: Slack's current upload flow (files.upload is retired)."""
        try:
            self.client.files_upload_v2(
                channel=channel,
                filename=filename,
                content=content,
                title=title,
                initial_comment=initial_comment,
                thread_ts=thread_ts,
                alt_txt=alt_txt,
            )
        except SlackApiError as exc:
            raise SlackDeliveryError("files.completeUploadExternal", _error_code(exc)) from exc
        except (SlackClientError, OSError) as exc:
            raise SlackDeliveryError("files.upload", type(exc).__name__) from exc

    def channel_info(self, channel_id: str) -> ChannelInfo:
        data = self._call("conversations.info", form={"channel": channel_id})["channel"]
        return ChannelInfo(
            channel_id=str(data["id"]),
            name=str(data.get("name") or data["id"]),
            is_member=bool(data.get("is_member")),
            is_ext_shared=bool(data.get("is_ext_shared")),
            is_private=bool(data.get("is_private")),
            is_archived=bool(data.get("is_archived")),
        )

    def channel_members(self, channel_id: str, *, limit: int = MEMBERS_LIMIT) -> list[str]:
        """Member user IDs (the bot included when it is in), at most `limit` of them, page by page."""
        members: list[str] = []
        cursor: str | None = None
        while len(members) < limit:
            form: dict[str, Any] = {"channel": channel_id, "limit": "200"}
            if cursor:
                form["cursor"] = cursor
            data = self._call("conversations.members", form=form)
            members.extend(str(member) for member in data.get("members") or [])
            cursor = (data.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                break
        return members[:limit]

    def own_user_id(self) -> str:
        """The bot's own user ID (`auth.test`, asked once): it is a member of the channels it posts in,
        and is no person to judge."""
        if self._own_user_id is None:
            self._own_user_id = str(self._call("auth.test").get("user_id") or "")
        return self._own_user_id

    def user_profile(self, user_id: str) -> SlackProfile:
        user = self._call("users.info", form={"user": user_id})["user"]
        profile = user.get("profile") or {}
        return SlackProfile(
            user_id=user["id"],
            team_id=user.get("team_id"),
            # What Slack itself shows, for people of another organisation too: the display name they
            # chose, else their full name; the legacy `name` handle is not shown across organisations.
            name=(profile.get("display_name") or "").strip()
            or (profile.get("real_name") or "").strip()
            or user["id"],
            tz=user.get("tz"),
            is_bot=bool(user.get("is_bot")),
            is_stranger=bool(user.get("is_stranger")),
            deleted=bool(user.get("deleted")),
            is_restricted=bool(user.get("is_restricted") or user.get("is_ultra_restricted")),
            enterprise_id=(user.get("enterprise_user") or {}).get("enterprise_id"),
            status_text=str(profile.get("status_text") or ""),
            status_emoji=str(profile.get("status_emoji") or ""),
            status_expiration=int(profile.get("status_expiration") or 0),
        )


def _retry_after(exc: SlackApiError) -> int | None:
    if exc.response.status_code != 429:
        return None
    for name, value in (exc.response.headers or {}).items():
        if name.lower() == "retry-after":
            raw = value[0] if isinstance(value, list) else value
            return int(raw) if str(raw).isdigit() else None
    return None


def _error_code(exc: SlackApiError) -> str:
    response = exc.response
    if response.status_code == 429:
        return "ratelimited"
    if response.status_code >= 500:
        return f"http_{response.status_code}"
    data = response.data
    if isinstance(data, dict):
        return str(data.get("error") or "unknown_error")
    return "unknown_error"


def _tagged(
    channel: str,
    messages: Iterator[tuple[dict[str, Any], str, dict[str, Any]]],
    *,
    event_type: str,
    key: str,
) -> dict[str, PostedMessage]:
    """By each tag the payloads of one event type list under `key`, the first message that lists it."""
    found: dict[str, PostedMessage] = {}
    for message, kind, payload in messages:
        if kind != event_type:
            continue
        for tag in payload.get(key) or []:
            found.setdefault(str(tag), PostedMessage(channel=channel, ts=str(message["ts"])))
    return found
