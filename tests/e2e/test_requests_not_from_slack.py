"""Anything that is not a well-formed signed Slack request gets a 4xx, never a 500, and changes nothing;
a signed request replayed within Slack's five minutes is carried out once."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import socket
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.clock_pass import run_due_work
from bot.slack.gateway import SlackGateway
from models import Account, Answer, CheckIn, CheckInState, DiaryEntry, ProcessedEvent
from slack_emulator import SlackEmulator
from slack_emulator.outbound import HttpResult
from tests.conftest import CHAMPION, CSM, SIGNING_SECRET, RunningApp
from tests.e2e.test_reminders_after_a_dead_clock import CREATED, MON_10
from tests.factories import make_account, make_commitment
from tests.faults import FaultResult, record

ACCOUNT_ADD = "account add Acme channel:<#C0SHARED|s> escalations:<#C0ESCAL|e> champion:<@U0CHAMP|jo>"
FORM = "application/x-www-form-urlencoded"
MARKER = "zzz-request-body-marker"


def accounts(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return int(session.scalar(select(func.count()).select_from(Account)) or 0)


@dataclass(frozen=True)
class Bad:
    name: str
    send: Callable[[RunningApp], HttpResult]
    status: int


def unsigned(web: RunningApp, body: str, content_type: str = FORM, **headers: str) -> HttpResult:
    return web.slack.post(body, content_type=content_type, signature="v0=" + "0" * 64, extra_headers=headers)


def signed(web: RunningApp, body: str, content_type: str = FORM) -> HttpResult:
    return web.slack.post(body, content_type=content_type)


BAD = [
    Bad("a non-numeric timestamp", lambda web: web.slack.post(
        web.slack.command_body(ACCOUNT_ADD, user_id=CSM), content_type=FORM, timestamp=None,
        extra_headers={"X-Slack-Request-Timestamp": "soon"}), 401),
    Bad("a bad signature", lambda web: unsigned(web, web.slack.command_body(ACCOUNT_ADD, user_id=CSM)), 401),
    Bad("a signature from six minutes ago", lambda web: web.slack.post(
        web.slack.command_body(ACCOUNT_ADD, user_id=CSM), content_type=FORM, timestamp=int(time.time()) - 360), 401),
    Bad("unsigned, with a payload that is not JSON", lambda web: unsigned(
        web, urllib.parse.urlencode({"payload": "{not json " + MARKER})), 401),
    Bad("signed, with a payload that is not JSON", lambda web: signed(
        web, urllib.parse.urlencode({"payload": "{not json " + MARKER})), 400),
    Bad("signed, with a JSON body that is not JSON", lambda web: signed(
        web, "{not json " + MARKER, "application/json"), 400),
    Bad("signed, with a payload that is a list", lambda web: signed(web, urllib.parse.urlencode({"payload": "[1]"})), 400),
    Bad("signed, with a payload that is null", lambda web: signed(web, urllib.parse.urlencode({"payload": "null"})), 400),
    Bad("signed, with a JSON body that is a list", lambda web: signed(web, "[1]", "application/json"), 400),
    Bad("signed, an event_callback without its event", lambda web: signed(
        web, json.dumps({"type": "event_callback", "event": "x"}), "application/json"), 400),
    Bad("signed, a click without its user", lambda web: signed(web, urllib.parse.urlencode(
        {"payload": json.dumps({"type": "block_actions", "actions": []})})), 400),
    Bad("signed, a click whose actions are not a list", lambda web: signed(web, urllib.parse.urlencode(
        {"payload": json.dumps({"type": "block_actions", "user": {"id": CSM}, "actions": "x"})})), 400),
    Bad("signed, a command without its user", lambda web: signed(
        web, urllib.parse.urlencode({"command": "/accountability", "text": "help"})), 400),
]  # fmt: skip


def raw_post(web: RunningApp, head: bytes, body: bytes = b"") -> bytes:
    """A request written by hand on a socket: what urllib won't send (non-UTF-8, a body never sent)."""
    port = web.server.server_address[1]
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(head + body)
        return sock.recv(4096)


@pytest.mark.reliability
def test_requests_that_are_not_slacks_get_a_4xx_change_nothing_and_are_not_logged(
    web: RunningApp,
    emulator: SlackEmulator,
    sessions: sessionmaker[Session],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    outcome: dict[str, int] = {}
    for bad in BAD:
        result = bad.send(web)
        assert result.status == bad.status, (bad.name, result.status, result.body)
        outcome[bad.name] = result.status
    ts = str(int(time.time())).encode()
    not_utf8 = raw_post(
        web,
        b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 4\r\n"
        b"X-Slack-Request-Timestamp: " + ts + b"\r\nX-Slack-Signature: v0=00\r\n\r\n",
        b"\xff\xfe\x00a",
    )
    assert not_utf8.startswith(b"HTTP/1.") and b" 400 " in not_utf8.split(b"\r\n")[0]
    outcome["a body that is not UTF-8"] = 400
    # Announced at 5 MB and never sent: refused from the headers alone, before a byte is read.
    too_big = raw_post(
        web,
        b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5000000\r\n"
        b"X-Slack-Request-Timestamp: " + ts + b"\r\nX-Slack-Signature: v0=00\r\n\r\n",
    )
    assert b" 413 " in too_big.split(b"\r\n")[0]
    outcome["a body over 1 MB"] = 413
    odd_length = raw_post(
        web,
        b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: lots\r\n"
        b"X-Slack-Request-Timestamp: " + ts + b"\r\nX-Slack-Signature: v0=00\r\n\r\n",
    )
    assert b" 400 " in odd_length.split(b"\r\n")[0]
    outcome["a Content-Length that is not a number"] = 400
    assert accounts(sessions) == 0
    assert [c for c in emulator.calls if c.method != "auth.test"] == []
    assert MARKER not in caplog.text
    record(
        FaultResult(
            fault="requests that are not well-formed signed Slack requests",
            tried=len(outcome),
            outcome={
                "refused with 4xx": sum(1 for s in outcome.values() if 400 <= s < 500),
                "answered 500": sum(1 for s in outcome.values() if s >= 500),
                "changed something": accounts(sessions),
            },
            notes="; ".join(f"{name}: {status}" for name, status in outcome.items()),
        ),
        area="Requests that are not Slack's",
    )


def settle(emulator: SlackEmulator, *, quiet: float = 0.5, limit: float = 10.0) -> None:
    """Wait until the app has made no Web API call for `quiet` seconds: a replay that slipped through
    would answer after its 200, so the count is read only once the app has gone quiet."""
    deadline = time.monotonic() + limit
    seen, since = len(emulator.calls), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.05)
        if len(emulator.calls) != seen:
            seen, since = len(emulator.calls), time.monotonic()
        elif time.monotonic() - since >= quiet:
            return


@pytest.mark.reliability
def test_a_signed_command_or_click_replayed_within_five_minutes_is_carried_out_once(
    web: RunningApp, emulator: SlackEmulator, sessions: sessionmaker[Session]
) -> None:
    body = web.slack.command_body(ACCOUNT_ADD, user_id=CSM)
    stamp = int(time.time())
    replays = 5
    statuses = [web.slack.post(body, content_type=FORM, timestamp=stamp).status for _ in range(replays)]
    assert statuses == [200] * replays
    emulator.wait_for("response_url")
    settle(emulator)
    replies = emulator.calls_to("response_url")
    created = accounts(sessions)
    record(
        FaultResult(
            fault="a correctly signed command replayed within Slack's five minutes",
            tried=replays,
            outcome={"carried out": created, "acknowledged and ignored": replays - created},
        ),
        area="Requests that are not Slack's",
    )
    assert created == 1 and len(replies) == 1, json.dumps([r.params for r in replies])


@pytest.mark.parametrize("answer", ["done", "snoozed"])
def test_a_signed_check_in_answer_replayed_is_recorded_once_with_its_mark_and_says_nothing_more(
    web: RunningApp,
    emulator: SlackEmulator,
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
    answer: str,
) -> None:
    """The answer and the request's replay mark commit together (one commit in the ack): the first
    click is carried out, every replay is acknowledged without a word — not even "already answered"."""
    make_commitment(sessions, account_id=make_account(sessions, now=CREATED), now=CREATED)
    run_due_work(sessions, gateway, now=MON_10)
    with sessions() as session:
        checkin = session.scalars(select(CheckIn)).one()
    assert checkin.channel_id and checkin.message_ts
    body = web.slack.click_body(
        action_id=f"checkin_answer_{answer}", value=str(checkin.id), user_id=CHAMPION,
        channel_id=checkin.channel_id, message_ts=checkin.message_ts,
    )  # fmt: skip
    stamp, start = int(time.time()), len(emulator.calls)

    statuses = [web.slack.post(body, content_type=FORM, timestamp=stamp).status for _ in range(4)]
    settle(emulator)

    assert statuses == [200] * 4
    with sessions() as session:
        row = session.get_one(CheckIn, checkin.id)
        entries = session.scalars(select(DiaryEntry.kind).where(DiaryEntry.checkin_id == checkin.id)).all()
        marks = session.scalar(
            select(func.count()).select_from(ProcessedEvent).where(ProcessedEvent.event_id.like("req:%"))
        )
    if answer == "done":
        assert (row.state, row.answer) == (CheckInState.ANSWERED, Answer.DONE)
        assert entries.count("answer_done") == 1
    else:
        assert row.snoozes == 1 and entries.count("checkin_snoozed") == 1
    assert marks == 1
    said = [
        c
        for c in emulator.calls[start:]
        if c.method in ("chat.postEphemeral", "chat.postMessage", "response_url")
    ]
    assert said == [], [c.params for c in said]  # the one redraw is a chat.update; no refusal for the replays
    assert len([c for c in emulator.calls[start:] if c.method == "chat.update"]) == 1


def test_a_refused_answer_leaves_no_replay_mark_so_nothing_is_remembered_that_did_not_happen(
    web: RunningApp, emulator: SlackEmulator, sessions: sessionmaker[Session], gateway: SlackGateway
) -> None:
    make_commitment(sessions, account_id=make_account(sessions, now=CREATED), now=CREATED)
    run_due_work(sessions, gateway, now=MON_10)
    with sessions() as session:
        checkin = session.scalars(select(CheckIn)).one()
    # Someone who does not own the check-in: refused, and the refusal rolls the mark back with it.
    result = web.slack.click(
        action_id="checkin_answer_done", value=str(checkin.id), user_id=CSM,
        channel_id=checkin.channel_id, message_ts=checkin.message_ts,
    )  # fmt: skip
    assert result.status == 200
    settle(emulator)
    with sessions() as session:
        assert session.get_one(CheckIn, checkin.id).state is CheckInState.SENT
        assert session.scalar(select(func.count()).select_from(ProcessedEvent)) == 0
    assert emulator.calls_to("chat.postEphemeral")  # the refusal was said


def signature(body: bytes, timestamp: bytes) -> bytes:
    """Slack's v0 signature over the raw bytes, so a body that is not UTF-8 can be signed too."""
    digest = hmac.new(SIGNING_SECRET.encode(), b"v0:" + timestamp + b":" + body, hashlib.sha256).hexdigest()
    return b"v0=" + digest.encode()


def raw_status(web: RunningApp, headers: dict[bytes, bytes], body: bytes = b"") -> int:
    """The status of a request whose headers and body are written byte by byte."""
    head = b"POST /slack/events HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
    head += b"Content-Length: " + str(len(body)).encode() + b"\r\n"
    head += b"".join(name + b": " + value + b"\r\n" for name, value in headers.items())
    return int(raw_post(web, head + b"\r\n", body).split(b" ", 2)[1])


def now_stamp() -> bytes:
    return str(int(time.time())).encode()


JSON_TYPE = {b"Content-Type": b"application/json"}
FORM_TYPE = {b"Content-Type": FORM.encode()}
EVENT = json.dumps({"type": "event_callback", "event": {"type": "app_home_opened", "user": CSM}}).encode()

# name, headers (from the timestamp), body, the statuses that are right for it
ODD: list[tuple[str, Callable[[bytes], dict[bytes, bytes]], bytes, set[int]]] = [
    ("no timestamp header", lambda ts: {**JSON_TYPE, b"X-Slack-Signature": signature(EVENT, ts)}, EVENT, {401}),
    ("no signature header", lambda ts: {**JSON_TYPE, b"X-Slack-Request-Timestamp": ts}, EVENT, {401}),
    ("neither header", lambda ts: JSON_TYPE, EVENT, {401}),
    ("an empty body, unsigned", lambda ts: {**FORM_TYPE, b"X-Slack-Request-Timestamp": ts,
                                           b"X-Slack-Signature": b"v0=" + b"0" * 64}, b"", {401}),
    ("an empty form body, signed", lambda ts: {**FORM_TYPE, b"X-Slack-Request-Timestamp": ts,
                                              b"X-Slack-Signature": signature(b"", ts)}, b"", {400}),
    ("an empty JSON body, signed", lambda ts: {**JSON_TYPE, b"X-Slack-Request-Timestamp": ts,
                                              b"X-Slack-Signature": signature(b"", ts)}, b"", {400}),
    ("a timestamp of 5000 digits", lambda ts: {**JSON_TYPE, b"X-Slack-Request-Timestamp": b"9" * 5000,
                                              b"X-Slack-Signature": signature(EVENT, b"9" * 5000)}, EVENT, {401}),
    ("a timestamp in superscript digits", lambda ts: {**JSON_TYPE, b"X-Slack-Request-Timestamp": b"\xb2",
                                                     b"X-Slack-Signature": signature(EVENT, b"\xb2")}, EVENT, {401}),
    ("a negative timestamp", lambda ts: {**JSON_TYPE, b"X-Slack-Request-Timestamp": b"-1",
                                        b"X-Slack-Signature": signature(EVENT, b"-1")}, EVENT, {401}),
    ("a binary body, signed", lambda ts: {**JSON_TYPE, b"X-Slack-Request-Timestamp": ts,
                                         b"X-Slack-Signature": signature(b"\x00\xff\xfe\x80", ts)},
     b"\x00\xff\xfe\x80", {400, 401}),
    ("a binary body, unsigned", lambda ts: {b"Content-Type": b"application/octet-stream"},
     bytes(range(256)), {400, 401}),
    ("a binary signature header", lambda ts: {**JSON_TYPE, b"X-Slack-Request-Timestamp": ts,
                                             b"X-Slack-Signature": b"v0=\xff\xfe"}, EVENT, {401}),
]  # fmt: skip


@pytest.mark.parametrize(("name", "headers", "body", "statuses"), ODD, ids=[odd[0] for odd in ODD])
def test_odd_headers_and_bodies_get_a_4xx_never_a_500(
    web: RunningApp,
    emulator: SlackEmulator,
    name: str,
    headers: Callable[[bytes], dict[bytes, bytes]],
    body: bytes,
    statuses: set[int],
) -> None:
    status = raw_status(web, headers(now_stamp()), body)
    assert status in statuses, (name, status)
    assert [c for c in emulator.calls if c.method != "auth.test"] == []  # nothing was carried out


def test_the_same_event_correctly_signed_is_carried_out(web: RunningApp, emulator: SlackEmulator) -> None:
    """The odd requests above differ from this one only in what makes them odd."""
    ts = now_stamp()
    headers = {**JSON_TYPE, b"X-Slack-Request-Timestamp": ts, b"X-Slack-Signature": signature(EVENT, ts)}
    assert raw_status(web, headers, EVENT) == 200
    assert emulator.wait_for("views.publish", timeout=10)
