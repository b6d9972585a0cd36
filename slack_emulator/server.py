"""A loopback HTTP server that answers like slack.com, for end-to-end tests and the demo.

The app under test only ever sees a base URL, so everything here is about the wire: the same
paths, content types, status codes, headers and error strings the real Web API uses. Tests
steer it (users, channels, injected faults) and inspect it (recorded calls, resulting messages)
through :class:`SlackEmulator`.
"""

from __future__ import annotations

import contextlib
import copy
import json
import math
import os
import random
import socket
import socketserver
import sys
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from email.parser import BytesParser
from email.policy import HTTP as HTTP_POLICY
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, cast
from urllib.parse import parse_qsl, unquote, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .methods import METHODS, SlackError, blocks_refusal, required_scope, user_object
from .oauth import authorize, oauth_v2_access
from .records import Call, EmulatedUser, Headers
from .state import Conversation, EmulatorState, Fault, PageHandler, RandomFaults, Trigger, Workspace

JSON_CONTENT_TYPE = "application/json; charset=utf-8"
TEXT_CONTENT_TYPE = "text/plain; charset=utf-8"
# Slack takes these as JSON inside form fields; decoding them lets tests index into them directly.
JSON_ENCODED_FIELDS = ("blocks", "view", "files", "attachments", "metadata")
RESPONSE_URL_MAX_USES = 5
RATE_LIMIT_WINDOW_SECONDS = 60.0
SUMMARY_MAX_CALLS = 40
SUMMARY_MAX_PARAMS_CHARS = 200


@dataclass(frozen=True)
class _Reply:
    status: int
    body: bytes
    content_type: str
    headers: tuple[tuple[str, str], ...] = ()
    delay: float = 0.0


@dataclass(frozen=True)
class _Request:
    query: str
    headers: Headers
    body: bytes
    received_at: float

    @property
    def media_type(self) -> str:
        return self.headers.find("Content-Type").split(";", 1)[0].strip().lower()


def _json_reply(
    payload: dict[str, Any], status: int = 200, headers: tuple[tuple[str, str], ...] = ()
) -> _Reply:
    return _Reply(status, json.dumps(payload).encode("utf-8"), JSON_CONTENT_TYPE, headers)


def _text_reply(status: int, text: str) -> _Reply:
    return _Reply(status, text.encode("utf-8"), TEXT_CONTENT_TYPE)


# -- request decoding -------------------------------------------------------------------------


def _multipart_parts(content_type: str, body: bytes) -> list[tuple[str | None, str | None, bytes]]:
    # The email parser is the stdlib's only MIME reader; wrap the body so it sees the boundary.
    envelope = f"Content-Type: {content_type}\r\n\r\n".encode("latin-1") + body
    message = BytesParser(policy=HTTP_POLICY).parsebytes(envelope)
    if not message.is_multipart():
        return []
    parts: list[tuple[str | None, str | None, bytes]] = []
    for part in message.walk():
        if part.is_multipart():
            continue
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        parts.append(
            (
                name if isinstance(name, str) else None,
                part.get_filename(),
                payload if isinstance(payload, bytes) else b"",
            )
        )
    return parts


def _form_fields(encoded: str) -> dict[str, Any]:
    return dict(parse_qsl(encoded, keep_blank_values=True))


def _decode_json_fields(params: dict[str, Any]) -> None:
    for name in JSON_ENCODED_FIELDS:
        value = params.get(name)
        if isinstance(value, str) and value:
            # Undecodable JSON stays a string, which the method then rejects the way Slack does.
            with contextlib.suppress(ValueError):
                params[name] = json.loads(value)


def _api_params(request: _Request) -> tuple[dict[str, Any], str | None, bool]:
    """Return (params, token passed as a parameter, whether the body was well-formed)."""
    params = _form_fields(request.query)
    well_formed = True
    body_fields: dict[str, Any] = {}
    media_type = request.media_type
    if media_type == "application/json":
        if request.body.strip():
            try:
                decoded = json.loads(request.body.decode("utf-8"))
            except (UnicodeDecodeError, ValueError):
                decoded = None
            if isinstance(decoded, dict):
                body_fields = decoded
            else:
                well_formed = False
    elif media_type == "multipart/form-data":
        for name, filename, payload in _multipart_parts(request.headers.find("Content-Type"), request.body):
            if name is None:
                continue
            if filename is None:
                body_fields[name] = payload.decode("utf-8", errors="replace")
            else:
                body_fields[name] = {"filename": filename, "content": payload}
    elif request.body:
        try:
            body_fields = _form_fields(request.body.decode("utf-8"))
        except UnicodeDecodeError:
            well_formed = False
    # Slack ignores a token inside a JSON body: JSON callers must use the Authorization header.
    param_token = params.get("token")
    if media_type != "application/json" and isinstance(body_fields.get("token"), str):
        param_token = body_fields["token"]
    params.update(body_fields)
    _decode_json_fields(params)
    return params, param_token if isinstance(param_token, str) and param_token else None, well_formed


def _bearer_token(headers: Headers) -> str | None:
    scheme, _, credentials = headers.find("Authorization").partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    return None


# -- request handling (all under the state lock) ----------------------------------------------


def _fault_reply(
    state: EmulatorState, method: str, params: dict[str, Any] | None = None, team: str | None = None
) -> _Reply | None:
    queue = state.faults.get(method)
    channel = (params or {}).get("channel")
    fault = next((f for f in queue if f.channel is None or f.channel == channel), None) if queue else None
    if queue and fault is not None:
        queue.remove(fault)
        if fault.kind == "http_error":
            return _text_reply(fault.status, f"{fault.status} {_status_phrase(fault.status)}")
        if fault.kind == "rate_limited":
            return _rate_limited_reply(fault.retry_after)
        return _json_reply({"ok": False, "error": fault.error})
    return _over_limit(state, method, params or {}, team or state.team_id)


def _over_limit(state: EmulatorState, method: str, params: dict[str, Any], team: str) -> _Reply | None:
    """Slack's limits, per workspace (the team of the caller's token): a ceiling per method over a
    sliding window, and for some methods about one call a second per channel with short bursts."""
    now = time.monotonic()
    channel = params.get("channel")
    per_channel = state.channel_limits.get(method)
    bucket_key = (method, team, str(channel))
    bucket: tuple[float, float] | None = None
    if per_channel is not None and isinstance(channel, str) and channel:
        rate, burst = per_channel
        tokens, last = state.channel_buckets.get(bucket_key, (burst, now))
        tokens = min(burst, tokens + (now - last) * rate)
        if tokens < 1:
            return _rate_limited_reply(max(1, math.ceil((1 - tokens) / rate)))
        bucket = (tokens - 1, now)
    limit_and_span = state.rate_limits.get(method)
    if limit_and_span is not None:
        limit, span = limit_and_span
        window = state.windows.setdefault((method, team), deque())
        while window and now - window[0] >= span:
            window.popleft()
        if len(window) >= limit:
            wait = window[0] + span - now if window else span
            return _rate_limited_reply(max(1, math.ceil(wait)))
        window.append(now)
    if bucket is not None:
        state.channel_buckets[bucket_key] = bucket
    return None


def _status_phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Server Error"


def _rate_limited_reply(retry_after: int) -> _Reply:
    return _json_reply({"ok": False, "error": "ratelimited"}, 429, (("Retry-After", str(retry_after)),))


def _record(
    state: EmulatorState, method: str, params: dict[str, Any], request: _Request, *, key: str = ""
) -> None:
    state.calls.append(
        Call(method=method, params=params, headers=request.headers, received_at=request.received_at, key=key)
    )
    state.cond.notify_all()


def _handle_api(state: EmulatorState, method: str, request: _Request) -> _Reply:
    params, param_token, well_formed = _api_params(request)
    with state.cond:
        _record(state, method, params, request)
        chance = state.random_faults.get(method)
        roll = chance.rng.random() if chance is not None else 1.0
        after = chance is not None and roll < chance.rate and chance.rng.random() < chance.after_effect
        token = _bearer_token(request.headers) or param_token
        team = state.tokens.get(token, state.team_id) if token else state.team_id
        reply = None if after else _fault_reply(state, method, params, team)
        if reply is None and chance is not None and roll < chance.rate and not after:
            chance.injected += 1
            status = chance.rng.choice(chance.statuses)
            reply = _text_reply(status, f"{status} {_status_phrase(status)}")
        if reply is None:
            reply = _api_reply(state, method, params, param_token, well_formed, request)
            state.caller_team = state.team_id
            if after and chance is not None:
                chance.injected += 1
                chance.injected_after_effect += 1
                status = chance.rng.choice(chance.statuses)
                reply = _text_reply(status, f"{status} {_status_phrase(status)}")
        return replace(reply, delay=state.delays.get(method, 0.0))


def _api_reply(
    state: EmulatorState,
    method: str,
    params: dict[str, Any],
    param_token: str | None,
    well_formed: bool,
    request: _Request,
) -> _Reply:
    if method == "oauth.v2.access" and well_formed:
        # Authenticated by the app's client credentials, not a token.
        try:
            return _json_reply(
                {"ok": True, **oauth_v2_access(state, params, request.headers.find("Authorization"))}
            )
        except SlackError as error:
            return _json_reply({"ok": False, "error": error.error})
    handler = METHODS.get(method)
    if handler is None:
        return _json_reply({"ok": False, "error": "unknown_method"})
    if not well_formed:
        return _json_reply({"ok": False, "error": "invalid_json"})
    token = _bearer_token(request.headers) or param_token
    if token is None:
        return _json_reply({"ok": False, "error": "not_authed"})
    if token == state.token:
        state.caller_team, scopes = state.team_id, state.scopes
    elif token in state.tokens:
        state.caller_team = state.tokens[token]
        workspace = state.workspaces.get(state.caller_team)
        scopes = workspace.scopes if workspace is not None else state.scopes
    else:
        return _json_reply({"ok": False, "error": "invalid_auth"})
    needed = required_scope(state, method, params)
    if needed is not None and scopes is not None and needed not in scopes:
        return _json_reply(
            {
                "ok": False,
                "error": "missing_scope",
                "needed": needed,
                "provided": ",".join(sorted(scopes)),
            }
        )
    try:
        payload = handler(state, params)
    except SlackError as error:
        body: dict[str, Any] = {"ok": False, "error": error.error}
        if error.messages:
            body["response_metadata"] = {"messages": error.messages}
        return _json_reply(body)
    except Exception:
        # A bug in the emulator, not a Slack answer: make it loud rather than a hung client.
        traceback.print_exc(file=sys.stderr)
        return _json_reply({"ok": False, "error": "fatal_error"}, 500)
    return _json_reply({"ok": True, **payload})


def _handle_response_url(state: EmulatorState, key: str, request: _Request) -> _Reply:
    try:
        body = json.loads(request.body.decode("utf-8")) if request.body.strip() else None
    except (UnicodeDecodeError, ValueError):
        body = None
    params = body if isinstance(body, dict) else {}
    with state.cond:
        _record(state, "response_url", params, request, key=key)
        delay = state.delays.get("response_url", 0.0)
        reply = _fault_reply(state, "response_url")
        if reply is None:
            uses = state.response_url_uses.get(key)
            if uses is None:
                reply = _text_reply(404, "no_service")
            elif not isinstance(body, dict):
                reply = _text_reply(400, "invalid_payload")
            elif uses >= RESPONSE_URL_MAX_USES:
                reply = _text_reply(404, "used_url")
            elif refusal := blocks_refusal(body):
                reply = _text_reply(400, refusal)
            else:
                state.response_url_uses[key] = uses + 1
                reply = _text_reply(200, "ok")
        return replace(reply, delay=delay)


def _handle_upload(state: EmulatorState, file_id: str, request: _Request) -> _Reply:
    content = request.body
    if request.media_type == "multipart/form-data":
        parts = _multipart_parts(request.headers.find("Content-Type"), request.body)
        with_filename = [payload for _, filename, payload in parts if filename is not None]
        content = (with_filename or [payload for _, _, payload in parts] or [b""])[0]
    with state.cond:
        _record(state, "files.upload", {"file_id": file_id, "length": len(content)}, request)
        delay = state.delays.get("files.upload", 0.0)
        reply = _fault_reply(state, "files.upload")
        if reply is None:
            pending = state.files.get(file_id)
            if pending is None or pending.completed:
                reply = _text_reply(404, "Not Found")
            else:
                pending.content = content
                reply = _text_reply(200, f"OK - {len(content)}")
        return replace(reply, delay=delay)


# -- HTTP plumbing ----------------------------------------------------------------------------


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], state: EmulatorState) -> None:
        self.state = state
        self.stopping = threading.Event()
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind does a reverse DNS lookup (getfqdn) that can stall for seconds.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)

    def close_connections(self) -> None:
        with self.connections_lock:
            connections = list(self.connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class _Server6(_Server):
    address_family = socket.AF_INET6


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "SlackEmulator/1.0"
    sys_version = ""
    # Idle keep-alive connections are dropped after this long so their threads do not pile up.
    timeout = 60

    @property
    def _server(self) -> _Server:
        return cast(_Server, self.server)

    def setup(self) -> None:
        super().setup()
        with self._server.connections_lock:
            self._server.connections.add(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            with self._server.connections_lock:
                self._server.connections.discard(self.connection)

    def log_message(self, format: str, *args: Any) -> None:
        # Quiet by default: a test run makes thousands of requests.
        if os.environ.get("SLACK_EMULATOR_LOG") == "1":
            super().log_message(format, *args)

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline(65537).split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline(65537)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _serve(self) -> None:
        received_at = time.monotonic()
        try:
            body = self._read_body()
        except ValueError:
            self.close_connection = True
            self._send(_text_reply(400, "Bad Request"))
            return
        headers = Headers()
        for name, value in self.headers.items():
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        url = urlsplit(self.path)
        request = _Request(query=url.query, headers=headers, body=body, received_at=received_at)
        state = self._server.state
        path = unquote(url.path)
        if path.startswith("/api/"):
            reply = _handle_api(state, path[len("/api/") :].strip("/"), request)
        elif path.startswith("/response/"):
            reply = _handle_response_url(state, path[len("/response/") :].strip("/"), request)
        elif path.startswith("/upload/"):
            reply = _handle_upload(state, path[len("/upload/") :].strip("/"), request)
        elif path == "/oauth/v2/authorize" and self.command == "GET":
            with state.cond:
                status, where = authorize(state, url.query)
            reply = (
                _Reply(302, b"", TEXT_CONTENT_TYPE, (("Location", where),))
                if status == 302
                else _text_reply(status, where)
            )
        elif state.pages is not None:
            page = state.pages(self.command, path, url.query, headers, body)
            reply = _Reply(page.status, page.body, page.content_type, page.headers)
        else:
            reply = _text_reply(404, "Not Found")
        if reply.delay > 0:
            self._server.stopping.wait(reply.delay)
        self._send(reply)

    def _send(self, reply: _Reply) -> None:
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(reply.body)))
            for name, value in reply.headers:
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(reply.body)
        except (BrokenPipeError, ConnectionResetError):
            # The client gave up (e.g. its timeout fired during an injected delay).
            self.close_connection = True


# -- public API -------------------------------------------------------------------------------


class SlackEmulator:
    """Slack's Web API on loopback, with knobs for the failures real Slack produces.

    Each request decides its answer and applies its effects the moment it arrives; an injected
    :meth:`delay` only holds back the answer. That mirrors a slow Slack, where a client timeout
    does not mean the message was not posted.
    """

    def __init__(
        self,
        *,
        token: str = "xoxb-emulator",
        team_id: str = "T0VENDOR",
        bot_user_id: str = "UBOT",
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self._host = host
        self._requested_port = port
        self._port: int | None = None
        self._state = EmulatorState(token=token, team_id=team_id, bot_user_id=bot_user_id)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle

    def start(self) -> SlackEmulator:
        if self._server is not None:
            raise RuntimeError("SlackEmulator is already running")
        server_class = _Server6 if ":" in self._host else _Server
        server = server_class((self._host, self._requested_port), self._state)
        self._server = server
        self._port = int(server.server_address[1])
        with self._state.cond:
            self._state.base_url = self.base_url
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"slack-emulator-{self._port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        if server is None:
            return
        self._server = None
        self._thread = None
        server.stopping.set()
        server.shutdown()
        server.close_connections()
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> SlackEmulator:
        return self.start() if self._server is None else self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        where = self.base_url if self._port is not None else "not started"
        return f"SlackEmulator({where}, team={self._state.team_id})"

    @property
    def base_url(self) -> str:
        if self._port is None:
            raise RuntimeError("SlackEmulator has not been started")
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"http://{host}:{self._port}/"

    @property
    def api_url(self) -> str:
        return self.base_url + "api/"

    @property
    def token(self) -> str:
        return self._state.token

    # -- workspace setup

    def add_user(
        self,
        user_id: str,
        *,
        team_id: str | None = None,
        name: str | None = None,
        real_name: str | None = None,
        tz: str | None = "America/New_York",
        is_bot: bool = False,
        is_stranger: bool = False,
        is_restricted: bool = False,
        enterprise_id: str | None = None,
        display_name: str | None = None,
        dm_error: str | None = None,
        status_text: str = "",
        status_emoji: str = "",
        status_expiration: int = 0,
    ) -> EmulatedUser:
        try:
            if tz is not None:
                ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown IANA time zone {tz!r} for user {user_id}") from None
        display = name if name is not None else user_id.lower()
        user = EmulatedUser(
            id=user_id,
            team_id=team_id if team_id is not None else self._state.team_id,
            name=display,
            real_name=real_name if real_name is not None else display,
            tz=tz,
            is_bot=is_bot,
            is_stranger=is_stranger,
            is_restricted=is_restricted,
            enterprise_id=enterprise_id,
            display_name=display_name,
            dm_error=dm_error,
            status_text=status_text,
            status_emoji=status_emoji,
            status_expiration=status_expiration,
        )
        with self._state.cond:
            self._state.users[user_id] = user
        return user

    def grant_scopes(self, scopes: Iterable[str] | None) -> None:
        """The bot token's scopes (None: all); calls needing another answer `missing_scope`."""
        with self._state.cond:
            self._state.scopes = frozenset(scopes) if scopes is not None else None

    def set_dm_error(self, user_id: str, error: str | None) -> None:
        """Every DM to this person is refused with `error` (None: DMs work again)."""
        with self._state.cond:
            self._state.users[user_id].dm_error = error

    def set_channel(
        self,
        channel_id: str,
        *,
        members: Iterable[str] | None = None,
        bot_member: bool | None = None,
        is_archived: bool | None = None,
    ) -> None:
        """Change a channel's members (people; the bot is `bot_member`), or archive it."""
        with self._state.cond:
            conversation = self._state.conversations[channel_id]
            if members is not None:
                conversation.member_ids = frozenset(members)
            if bot_member is not None:
                conversation.bot_member = bot_member
            if is_archived is not None:
                conversation.is_archived = is_archived

    def leave_channel(self, channel_id: str, user_id: str) -> None:
        """The person is no longer in the channel (Slack then sends `member_left_channel`)."""
        with self._state.cond:
            conversation = self._state.conversations[channel_id]
            current = conversation.member_ids
            if current is None:
                current = frozenset(self._state.channel_members(conversation)) - {self._state.bot_user_id}
            conversation.member_ids = current - {user_id}

    def deactivate(self, user_id: str) -> dict[str, Any]:
        """The person's account is deactivated: `users.info` says `deleted`, DMs to them are refused,
        and they drop out of channels. Returns the user object Slack's `user_change` event carries."""
        with self._state.cond:
            user = self._state.users[user_id]
            user.deleted = True
            return user_object(user)

    # -- distribution (OAuth)

    def enable_oauth(
        self,
        *,
        client_id: str,
        client_secret: str,
        redirect_uris: Iterable[str],
        token_rotation: bool = False,
    ) -> None:
        """The app's credentials and registered redirect URIs, as its settings page would hold them."""
        with self._state.cond:
            self._state.oauth_client = (client_id, client_secret)
            self._state.redirect_uris = tuple(redirect_uris)
            self._state.token_rotation = token_rotation

    def add_workspace(
        self,
        team_id: str,
        *,
        name: str | None = None,
        enterprise_id: str | None = None,
        org_wide: bool = False,
        token: str | None = None,
    ) -> None:
        """Another workspace that may install the app; its bot token comes from `oauth.v2.access`, or
        is `token` when given (the app already installed there, as with `SLACK_BOT_TOKENS`). Calls made
        with it are told apart by their Authorization header (`Call.headers`)."""
        with self._state.cond:
            if token is not None:
                self._state.tokens[token] = team_id
            if team_id == self._state.team_id:
                return
            number = len(self._state.workspaces) + 2
            self._state.workspaces[team_id] = Workspace(
                team_id=team_id,
                name=name or team_id,
                bot_user_id=f"UBOT{number}",
                bot_id=f"B0BOT{number}",
                enterprise_id=enterprise_id,
                org_wide=org_wide,
            )

    def install_as(self, team_id: str, user_id: str) -> None:
        """The next visit to the authorize page is this person allowing the install in this workspace."""
        with self._state.cond:
            if team_id not in self._state.workspaces:
                raise KeyError(f"{team_id} is not a workspace of this emulator: add_workspace first")
            self._state.installing = (team_id, user_id)

    def tokens_of(self, team_id: str) -> list[str]:
        """The bot tokens issued to a workspace and still valid."""
        with self._state.cond:
            return [token for token, owner in self._state.tokens.items() if owner == team_id]

    def revoke(self, team_id: str) -> None:
        """The workspace uninstalled the app: its tokens stop working (`invalid_auth`)."""
        with self._state.cond:
            for token in self.tokens_of(team_id):
                del self._state.tokens[token]

    def set_enterprise(self, enterprise_id: str | None) -> None:
        """Make the installation an org-wide install on this Enterprise Grid organisation (None: not)."""
        with self._state.cond:
            self._state.enterprise_id = enterprise_id

    def team_of(self, user_id: str) -> str:
        """The user's own team, as Slack Connect payloads name it (the installer's for unknown users)."""
        with self._state.cond:
            user = self._state.users.get(user_id)
            return user.team_id if user is not None else self._state.team_id

    def add_channel(
        self,
        channel_id: str,
        *,
        name: str,
        is_ext_shared: bool = False,
        is_private: bool = False,
        members: Iterable[str] | None = None,
        bot_member: bool = True,
        team_id: str | None = None,
    ) -> None:
        """`members`: the people in it (None: everyone of the workspace, and every known user when shared).
        `team_id`: the workspace it belongs to (None: the emulator's own)."""
        with self._state.cond:
            self._state.conversations[channel_id] = Conversation(
                id=channel_id,
                name=name,
                is_private=is_private,
                is_ext_shared=is_ext_shared,
                member_ids=frozenset(members) if members is not None else None,
                bot_member=bot_member,
                team_id=team_id,
            )

    def serve_pages(self, pages: PageHandler | None) -> None:
        """Answer every path outside the Web API (`/api/`, response URLs, uploads) with `pages`,
        so a browser front end can share the emulator's port."""
        with self._state.cond:
            self._state.pages = pages

    def post_as_user(self, channel: str, *, user_id: str, text: str, thread_ts: str | None = None) -> str:
        """A person's own message, kept as Slack keeps it (history and threads show it); returns its ts.
        The event Slack would send the app about it is the caller's to send."""
        with self._state.cond:
            if channel in self._state.users:
                channel = self._state.dm_channel_id(channel)
            stored: dict[str, Any] = {
                "ts": self._state.next_ts(),
                "text": text,
                "blocks": [],
                "user": user_id,
            }
            if thread_ts is not None:
                stored["thread_ts"] = thread_ts
            self._state.messages.setdefault(channel, []).append(stored)
            self._state.cond.notify_all()
            return str(stored["ts"])

    def user(self, user_id: str) -> EmulatedUser | None:
        with self._state.cond:
            return self._state.users.get(user_id)

    def channel_name(self, channel_id: str) -> str | None:
        with self._state.cond:
            conversation = self._state.conversations.get(channel_id)
            return conversation.name if conversation is not None else None

    def members(self, channel_id: str) -> list[str]:
        """Who is in a channel, as `conversations.members` lists them (the bot last, if it is in)."""
        with self._state.cond:
            return self._state.channel_members(self._state.conversations[channel_id])

    def view_opened_by(self, trigger_id: str) -> dict[str, Any] | None:
        """The modal (as it is now) that the app opened with this trigger_id, if it opened one."""
        with self._state.cond:
            trigger = self._state.triggers.get(trigger_id)
            view = self._state.views.get(trigger.view_id) if trigger and trigger.view_id else None
            return copy.deepcopy(view) if view is not None else None

    def new_trigger_id(self) -> str:
        """A trigger_id as Slack hands one out with an interaction: good once, for three seconds."""
        with self._state.cond:
            n = self._state.next_number()
            trigger_id = f"{n}.{1_700_000_000 + n}.{n * 2_654_435_761 % 2**32:08x}"
            self._state.triggers[trigger_id] = Trigger(at=time.monotonic())
        return trigger_id

    def age_triggers(self, seconds: float) -> None:
        """Make every trigger handed out so far `seconds` older, to show an expired one without waiting."""
        with self._state.cond:
            for trigger in self._state.triggers.values():
                trigger.at -= seconds

    def new_response_url(self) -> str:
        with self._state.cond:
            key = str(self._state.next_number())
            self._state.response_url_uses[key] = 0
        return f"{self.base_url}response/{key}"

    # -- recorded calls

    @property
    def calls(self) -> list[Call]:
        with self._state.cond:
            return list(self._state.calls)

    def calls_to(self, method: str) -> list[Call]:
        with self._state.cond:
            return [call for call in self._state.calls if call.method == method]

    def wait_for(
        self,
        method: str,
        *,
        count: int = 1,
        timeout: float = 5.0,
        where: Callable[[Call], bool] | None = None,
    ) -> list[Call]:
        """Block until ``count`` matching calls have arrived and return all matching calls so far.

        A ``where`` that trips over a call of a different shape (KeyError, IndexError, TypeError)
        counts as "no match", so a predicate need not guard against every other call.
        """

        def matches(call: Call) -> bool:
            if call.method != method:
                return False
            if where is None:
                return True
            try:
                return bool(where(call))
            except (LookupError, TypeError):
                return False

        deadline = time.monotonic() + timeout
        with self._state.cond:
            while True:
                found = [call for call in self._state.calls if matches(call)]
                if len(found) >= count:
                    return found
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(self._timeout_summary(method, count, timeout, where, found, matches))
                self._state.cond.wait(remaining)

    def _timeout_summary(
        self,
        method: str,
        count: int,
        timeout: float,
        where: Callable[[Call], bool] | None,
        found: list[Call],
        matches: Callable[[Call], bool],
    ) -> str:
        condition = "" if where is None else f" matching {getattr(where, '__name__', repr(where))}"
        lines = [
            f"expected at least {count} call(s) to {method}{condition} within {timeout:g}s, got {len(found)}."
        ]
        calls = self._state.calls
        if not calls:
            lines.append("No calls were received at all.")
            return "\n".join(lines)
        lines.append(f"Received {len(calls)} call(s):")
        if len(calls) > SUMMARY_MAX_CALLS:
            lines.append(f"  ... {len(calls) - SUMMARY_MAX_CALLS} earlier call(s) omitted")
        for call in calls[-SUMMARY_MAX_CALLS:]:
            shown = {k: v for k, v in call.params.items() if k != "token"}
            params = json.dumps(shown, default=repr, ensure_ascii=False)
            if len(params) > SUMMARY_MAX_PARAMS_CHARS:
                params = params[: SUMMARY_MAX_PARAMS_CHARS - 3] + "..."
            marker = "  <- matches" if matches(call) else ""
            offset = call.received_at - self._state.created_at
            lines.append(f"  [{offset:8.3f}s] {call.method} {params}{marker}")
        return "\n".join(lines)

    def reset(self) -> None:
        """Start a fresh scenario on the same workspace, so one server can serve many tests.

        Traffic and its consequences go (calls, queued faults, rate limits, delays, messages, views,
        files, response URLs); users, channels and the token stay. Ids and timestamps keep counting
        up, so nothing from before a reset can be mistaken for something after it.
        """
        with self._state.cond:
            self._state.clear_traffic()

    # -- fault injection

    def _queue_faults(self, method: str, faults: Iterable[Fault]) -> None:
        with self._state.cond:
            self._state.faults.setdefault(method, deque()).extend(faults)

    def fail_next(self, method: str, *, status: int = 500, count: int = 1) -> None:
        if not 500 <= status <= 599:
            raise ValueError(f"fail_next simulates server errors; {status} is not a 5xx status")
        self._queue_faults(method, [Fault(kind="http_error", status=status)] * count)

    def rate_limit_next(self, method: str, *, count: int = 1, retry_after: int = 1) -> None:
        if retry_after < 0:
            raise ValueError("retry_after must not be negative")
        self._queue_faults(method, [Fault(kind="rate_limited", retry_after=retry_after)] * count)

    def error_next(self, method: str, error: str, *, count: int = 1, channel: str | None = None) -> None:
        """The next `count` calls answer `ok: false` with `error`; with `channel`, only calls to it."""
        self._queue_faults(method, [Fault(kind="error", error=error, channel=channel)] * count)

    def fail_randomly(
        self,
        method: str,
        *,
        rate: float,
        statuses: tuple[int, ...] = (500, 502, 503, 504),
        after_effect: float = 0.0,
        seed: int = 0,
    ) -> None:
        """Answer `rate` of the method's calls with one of `statuses`; `after_effect` of those only
        after the call took effect (posted, then the answer lost). Seeded, so a run can be repeated."""
        if not 0 <= rate <= 1 or not 0 <= after_effect <= 1:
            raise ValueError("rate and after_effect are shares between 0 and 1")
        if any(not 500 <= status <= 599 for status in statuses):
            raise ValueError("fail_randomly simulates server errors (5xx)")
        with self._state.cond:
            self._state.random_faults[method] = RandomFaults(
                rate=rate, statuses=statuses, after_effect=after_effect, rng=random.Random(seed)
            )

    def random_faults_injected(self, method: str) -> tuple[int, int]:
        """(5xx answers injected, of which after the call took effect) so far for a method."""
        with self._state.cond:
            chance = self._state.random_faults.get(method)
            return (chance.injected, chance.injected_after_effect) if chance is not None else (0, 0)

    def set_rate_limit(
        self, method: str, *, per_minute: int | None, window_seconds: float = RATE_LIMIT_WINDOW_SECONDS
    ) -> None:
        """At most `per_minute` calls a minute, counted over a sliding window of `window_seconds`: the
        default minute lets a whole minute's calls through in one burst; a second allows a burst of
        `per_minute / 60`, closer to how Slack smooths a sustained rate. Counted per workspace (the
        team of the caller's token), as Slack does."""
        if per_minute is not None and per_minute < 0:
            raise ValueError("per_minute must not be negative")
        if not 0 < window_seconds <= RATE_LIMIT_WINDOW_SECONDS:
            raise ValueError("window_seconds must be more than 0 and at most 60")
        with self._state.cond:
            for key in [key for key in self._state.windows if key[0] == method]:
                del self._state.windows[key]
            if per_minute is None:
                self._state.rate_limits.pop(method, None)
            else:
                self._state.rate_limits[method] = (
                    max(1, round(per_minute * window_seconds / RATE_LIMIT_WINDOW_SECONDS))
                    if per_minute
                    else 0,
                    window_seconds,
                )

    def set_channel_rate_limit(self, method: str, *, per_second: float | None, burst: float = 1.0) -> None:
        """At most `per_second` calls a second into one channel of one workspace, after a burst of
        `burst`: Slack's ~1 a second per channel for chat.postMessage is on from the start (burst 10);
        None lifts it."""
        if per_second is not None and (per_second <= 0 or burst < 1):
            raise ValueError("per_second must be positive and burst at least 1")
        with self._state.cond:
            for key in [key for key in self._state.channel_buckets if key[0] == method]:
                del self._state.channel_buckets[key]
            if per_second is None:
                self._state.channel_limits.pop(method, None)
            else:
                self._state.channel_limits[method] = (per_second, burst)

    def delay(self, method: str, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("seconds must not be negative")
        with self._state.cond:
            if seconds == 0:
                self._state.delays.pop(method, None)
            else:
                self._state.delays[method] = seconds

    # -- resulting state

    def messages(self, channel: str) -> list[dict[str, Any]]:
        """Current messages in a conversation; a user id is accepted and means the bot's DM with them."""
        with self._state.cond:
            if channel in self._state.users:
                channel = self._state.dm_channel_id(channel)
            return copy.deepcopy(self._state.messages.get(channel, []))

    def posted_metadata(self) -> list[tuple[str, str, dict[str, Any]]]:
        """(conversation, ts, metadata) of every stored message that carries metadata: what a bench
        counts deliveries by, without copying every message's blocks."""
        with self._state.cond:
            return [
                (channel, str(message.get("ts")), copy.deepcopy(message["metadata"]))
                for channel, messages in self._state.messages.items()
                for message in messages
                if message.get("metadata")
            ]

    def posted_metadata_count(self) -> int:
        """How many stored messages carry metadata, copying nothing: cheap enough for a bench to poll
        while thousands of posts arrive, without holding the emulator's lock for long."""
        with self._state.cond:
            return sum(
                1
                for messages in self._state.messages.values()
                for message in messages
                if message.get("metadata")
            )

    def dm_channel(self, user_id: str) -> str:
        return self._state.dm_channel_id(user_id)

    def uploaded_files(self) -> list[dict[str, Any]]:
        """Files shared via files.completeUploadExternal (they do not appear in messages())."""
        with self._state.cond:
            return copy.deepcopy(self._state.shared_files)

    def home_view(self, user_id: str) -> dict[str, Any] | None:
        with self._state.cond:
            view = self._state.home_views.get(user_id)
            return copy.deepcopy(view) if view is not None else None
