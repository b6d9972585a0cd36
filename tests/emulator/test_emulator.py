"""Specifications of the local Slack Web API emulator, exercised through the real slack_sdk client."""

from __future__ import annotations

import http.client
import json
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler, ServerErrorRetryHandler
from slack_sdk.webhook import WebhookClient

from slack_emulator import Call, EmulatedUser, SlackEmulator

TOKEN = "xoxb-test-token"
PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.fixture
def emu() -> Iterator[SlackEmulator]:
    with SlackEmulator(token=TOKEN) as emulator:
        emulator.add_user("U1", name="ada", real_name="Ada Lovelace", tz="Europe/London")
        emulator.add_user("U2", name="grace", real_name="Grace Hopper")
        emulator.add_user("W9", team_id="T0CUSTOMER", name="eve", is_stranger=True)
        emulator.add_channel("C1", name="shared-diary", is_ext_shared=True)
        yield emulator


@pytest.fixture
def client(emu: SlackEmulator) -> WebClient:
    # No retry handlers, so every test sees exactly the requests it made.
    return WebClient(token=TOKEN, base_url=emu.api_url, retry_handlers=[])


def slack_error(excinfo: pytest.ExceptionInfo[SlackApiError]) -> str:
    return str(excinfo.value.response["error"])


def raw_post(
    url: str, body: bytes, content_type: str, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": content_type})
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, dict(response.headers.items()), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers.items()), error.read()


def form_post(emu: SlackEmulator, method: str, fields: dict[str, str]) -> dict[str, Any]:
    body = urllib.parse.urlencode(fields).encode()
    _, _, payload = raw_post(emu.api_url + method, body, "application/x-www-form-urlencoded")
    decoded: dict[str, Any] = json.loads(payload)
    return decoded


def home_view(blocks: int = 1) -> dict[str, Any]:
    return {
        "type": "home",
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": f"line {i}"}} for i in range(blocks)
        ],
    }


def modal(title: str = "Check-in", blocks: int = 1, **extra: Any) -> dict[str, Any]:
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": title},
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": f"q{i}"}} for i in range(blocks)],
        **extra,
    }


# -- lifecycle and wire basics ----------------------------------------------------------------


def test_api_url_ends_with_api_slash_on_an_ephemeral_loopback_port(emu: SlackEmulator) -> None:
    assert emu.api_url.startswith("http://127.0.0.1:")
    assert emu.api_url.endswith("/api/")
    assert emu.api_url == emu.base_url + "api/"
    assert not emu.base_url.endswith(":0/")


def test_urls_are_unavailable_before_start() -> None:
    with pytest.raises(RuntimeError):
        _ = SlackEmulator().api_url


def test_stop_closes_the_port() -> None:
    emulator = SlackEmulator(token=TOKEN).start()
    url = emulator.api_url
    emulator.stop()
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(url + "auth.test", timeout=2)


def test_auth_test_identifies_the_bot(client: WebClient) -> None:
    response = client.auth_test()
    assert response["ok"] is True
    assert response["user_id"] == "UBOT"
    assert response["team_id"] == "T0VENDOR"
    assert response["bot_id"] == "B0BOT"
    assert response["is_enterprise_install"] is False


def test_every_answer_is_json_with_utf8_charset(client: WebClient) -> None:
    response = client.auth_test()
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"


def test_wrong_token_is_answered_invalid_auth(emu: SlackEmulator) -> None:
    intruder = WebClient(token="xoxb-wrong", base_url=emu.api_url)
    with pytest.raises(SlackApiError) as excinfo:
        intruder.auth_test()
    assert slack_error(excinfo) == "invalid_auth"
    assert excinfo.value.response.status_code == 200


def test_a_second_workspaces_bot_token_is_accepted_once_that_workspace_is_added(emu: SlackEmulator) -> None:
    other = WebClient(token="xoxb-second-workspace", base_url=emu.api_url)
    with pytest.raises(SlackApiError) as excinfo:
        other.auth_test()
    assert slack_error(excinfo) == "invalid_auth"
    emu.add_workspace("T0SECOND", token="xoxb-second-workspace")
    assert other.auth_test()["ok"] is True
    assert emu.calls_to("auth.test")[-1].headers["Authorization"] == "Bearer xoxb-second-workspace"


def test_missing_token_is_answered_not_authed(emu: SlackEmulator) -> None:
    assert form_post(emu, "auth.test", {}) == {"ok": False, "error": "not_authed"}


def test_token_may_be_sent_as_a_form_parameter(emu: SlackEmulator) -> None:
    assert form_post(emu, "auth.test", {"token": TOKEN})["ok"] is True


def test_token_inside_a_json_body_is_ignored_like_slack_does(emu: SlackEmulator) -> None:
    body = json.dumps({"token": TOKEN}).encode()
    _, _, payload = raw_post(emu.api_url + "auth.test", body, "application/json")
    assert json.loads(payload)["error"] == "not_authed"


def test_get_with_query_string_is_accepted(emu: SlackEmulator) -> None:
    query = urllib.parse.urlencode({"token": TOKEN, "user": "U1"})
    with urllib.request.urlopen(f"{emu.api_url}users.info?{query}", timeout=5) as response:
        payload = json.loads(response.read())
    assert payload["user"]["id"] == "U1"


def test_unknown_method_is_answered_unknown_method(client: WebClient) -> None:
    with pytest.raises(SlackApiError) as excinfo:
        client.api_call("nothing.here")
    assert slack_error(excinfo) == "unknown_method"
    assert excinfo.value.response.status_code == 200


def test_keep_alive_connection_serves_several_requests(emu: SlackEmulator) -> None:
    port = int(emu.base_url.rsplit(":", 1)[1].rstrip("/"))
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        statuses = []
        for _ in range(3):
            connection.request(
                "POST",
                "/api/auth.test",
                body=f"token={TOKEN}",
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            )
            response = connection.getresponse()
            statuses.append((response.status, json.loads(response.read())["ok"]))
    finally:
        connection.close()
    assert statuses == [(200, True)] * 3


def test_bolt_app_can_initialise_against_the_emulator(emu: SlackEmulator) -> None:
    from slack_bolt import App

    app = App(signing_secret="secret", client=WebClient(token=TOKEN, base_url=emu.api_url))
    assert app.client.base_url == emu.api_url
    assert len(emu.calls_to("auth.test")) == 1


# -- recording --------------------------------------------------------------------------------


def test_calls_are_recorded_with_decoded_json_fields_and_headers(
    emu: SlackEmulator, client: WebClient
) -> None:
    before = time.monotonic()
    client.chat_postMessage(channel="C1", text="hi", blocks=[{"type": "divider"}])
    [call] = emu.calls_to("chat.postMessage")
    assert isinstance(call, Call)
    assert call.params["blocks"][0]["type"] == "divider"
    assert call.params["text"] == "hi"
    assert call.headers["Authorization"] == f"Bearer {TOKEN}"
    assert call.headers["authorization"] == f"Bearer {TOKEN}"
    assert call.received_at >= before


def test_form_encoded_json_fields_are_decoded_in_recorded_params(emu: SlackEmulator) -> None:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*hello*"}}]
    answer = form_post(
        emu, "chat.postMessage", {"token": TOKEN, "channel": "C1", "blocks": json.dumps(blocks)}
    )
    assert answer["ok"] is True
    [call] = emu.calls_to("chat.postMessage")
    assert call.params["blocks"][0]["type"] == "section"
    assert emu.messages("C1")[0]["blocks"] == blocks


def test_failed_calls_are_recorded_too(emu: SlackEmulator, client: WebClient) -> None:
    emu.fail_next("auth.test")
    with pytest.raises(SlackApiError):
        client.auth_test()
    with pytest.raises(SlackApiError):
        client.api_call("nothing.here")
    assert [call.method for call in emu.calls] == ["auth.test", "nothing.here"]


def test_calls_property_is_a_copy(emu: SlackEmulator, client: WebClient) -> None:
    client.auth_test()
    emu.calls.clear()
    assert len(emu.calls) == 1


def test_wait_for_returns_once_a_call_arrives_from_another_thread(
    emu: SlackEmulator, client: WebClient
) -> None:
    timer = threading.Timer(0.2, lambda: client.chat_postMessage(channel="C1", text="later"))
    started = time.monotonic()
    timer.start()
    try:
        calls = emu.wait_for("chat.postMessage", timeout=10)
    finally:
        timer.join()
    assert [call.params["text"] for call in calls] == ["later"]
    # Woken by the arrival itself, not by the timeout running out.
    assert time.monotonic() - started < 5


def test_wait_for_counts_only_calls_matching_where(emu: SlackEmulator, client: WebClient) -> None:
    client.chat_postMessage(channel="C1", text="one")
    client.chat_postMessage(channel="U1", text="two")
    client.chat_postMessage(channel="U1", text="three")
    in_dm = emu.wait_for("chat.postMessage", count=2, timeout=1, where=lambda c: c.params["channel"] == "U1")
    assert [call.params["text"] for call in in_dm] == ["two", "three"]


def test_wait_for_times_out_with_a_summary(emu: SlackEmulator, client: WebClient) -> None:
    client.chat_postMessage(channel="C1", text="the only post")
    started = time.monotonic()
    with pytest.raises(AssertionError) as excinfo:
        emu.wait_for("chat.postMessage", count=2, timeout=0.3)
    assert time.monotonic() - started >= 0.3
    summary = str(excinfo.value)
    assert "expected at least 2 call(s) to chat.postMessage" in summary
    assert "got 1" in summary
    assert "the only post" in summary
    assert TOKEN not in summary


def test_reset_forgets_traffic_but_keeps_the_workspace(emu: SlackEmulator, client: WebClient) -> None:
    client.chat_postMessage(channel="C1", text="before")
    emu.error_next("chat.postMessage", "fatal_error")
    emu.reset()
    assert emu.calls == []
    assert emu.messages("C1") == []
    response = client.chat_postMessage(channel="U1", text="after")
    assert response["ok"] is True
    assert client.auth_test()["ok"] is True


# -- chat -------------------------------------------------------------------------------------


def test_post_to_a_channel_is_stored_and_answered_like_slack(emu: SlackEmulator, client: WebClient) -> None:
    response = client.chat_postMessage(channel="C1", text="Daily check-in")
    assert response["channel"] == "C1"
    assert response["message"]["text"] == "Daily check-in"
    assert response["message"]["user"] == "UBOT"
    assert response["message"]["bot_id"] == "B0BOT"
    assert response["message"]["ts"] == response["ts"]
    assert emu.messages("C1") == [
        {"ts": response["ts"], "text": "Daily check-in", "blocks": [], "user": "UBOT"}
    ]


def test_posting_to_a_user_id_lands_in_their_dm(emu: SlackEmulator, client: WebClient) -> None:
    response = client.chat_postMessage(channel="U1", text="How did today go?")
    dm = emu.dm_channel("U1")
    assert dm.startswith("D")
    assert response["channel"] == dm
    assert [m["text"] for m in emu.messages(dm)] == ["How did today go?"]


def test_posting_to_a_dm_id_is_accepted(emu: SlackEmulator, client: WebClient) -> None:
    response = client.chat_postMessage(channel=emu.dm_channel("U2"), text="hello")
    assert response["channel"] == emu.dm_channel("U2")


@pytest.mark.parametrize("channel", ["C404", "U404", "W9", "D404"])
def test_unknown_or_unreachable_channel_is_channel_not_found(client: WebClient, channel: str) -> None:
    with pytest.raises(SlackApiError) as excinfo:
        client.chat_postMessage(channel=channel, text="hello")
    assert slack_error(excinfo) == "channel_not_found"


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")
def test_message_without_text_or_blocks_is_no_text(client: WebClient) -> None:
    with pytest.raises(SlackApiError) as excinfo:
        client.chat_postMessage(channel="C1")
    assert slack_error(excinfo) == "no_text"


def test_more_than_fifty_blocks_is_invalid_blocks(client: WebClient) -> None:
    with pytest.raises(SlackApiError) as excinfo:
        client.chat_postMessage(channel="C1", text="x", blocks=[{"type": "divider"}] * 51)
    assert slack_error(excinfo) == "invalid_blocks"


@pytest.mark.parametrize(
    "block",
    [
        {"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}},
        {"type": "header", "text": {"type": "plain_text", "text": "x" * 151}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "x"}] * 11},
        {"type": "section", "fields": [{"type": "mrkdwn", "text": "x"}] * 11},
    ],
    ids=["section text over 3000", "header over 150", "context over 10 elements", "section over 10 fields"],
)
def test_a_block_over_slacks_limits_is_invalid_blocks(client: WebClient, block: dict[str, Any]) -> None:
    with pytest.raises(SlackApiError) as excinfo:
        client.chat_postMessage(channel="C1", text="x", blocks=[block])
    assert slack_error(excinfo) == "invalid_blocks"


def test_a_section_of_exactly_3000_characters_is_accepted(client: WebClient) -> None:
    block = {"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3000}}
    assert client.chat_postMessage(channel="C1", text="x", blocks=[block])["ok"]


def test_block_without_type_is_invalid_blocks(client: WebClient) -> None:
    with pytest.raises(SlackApiError) as excinfo:
        client.chat_postMessage(channel="C1", text="x", blocks=[{"text": "no type"}])
    assert slack_error(excinfo) == "invalid_blocks"


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")
def test_fifty_blocks_are_accepted(emu: SlackEmulator, client: WebClient) -> None:
    client.chat_postMessage(channel="C1", blocks=[{"type": "divider"}] * 50)
    assert len(emu.messages("C1")[0]["blocks"]) == 50


def test_text_over_forty_thousand_characters_is_msg_too_long(client: WebClient) -> None:
    client.chat_postMessage(channel="C1", text="x" * 40_000)
    with pytest.raises(SlackApiError) as excinfo:
        client.chat_postMessage(channel="C1", text="x" * 40_001)
    assert slack_error(excinfo) == "msg_too_long"


def test_message_timestamps_are_unique_and_increasing(client: WebClient) -> None:
    stamps = [str(client.chat_postMessage(channel="C1", text=str(i))["ts"]) for i in range(5)]
    assert len(set(stamps)) == 5
    assert [float(ts) for ts in stamps] == sorted(float(ts) for ts in stamps)
    assert all(len(ts.split(".")[1]) == 6 for ts in stamps)


def test_concurrent_posts_are_all_stored_with_distinct_timestamps(emu: SlackEmulator) -> None:
    # Storage under concurrency, not Slack's one-a-second per channel (tested on its own below).
    emu.set_channel_rate_limit("chat.postMessage", per_second=None)

    def post_ten(worker: int) -> None:
        sender = WebClient(token=TOKEN, base_url=emu.api_url, retry_handlers=[])
        for i in range(10):
            sender.chat_postMessage(channel="C1", text=f"{worker}-{i}")

    workers = [threading.Thread(target=post_ten, args=(n,)) for n in range(8)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=30)
    messages = emu.messages("C1")
    assert len(messages) == 80
    assert len({m["ts"] for m in messages}) == 80
    assert len(emu.wait_for("chat.postMessage", count=80, timeout=1)) == 80


def test_thread_reply_keeps_thread_ts(emu: SlackEmulator, client: WebClient) -> None:
    parent = client.chat_postMessage(channel="C1", text="parent")
    reply = client.chat_postMessage(channel="C1", text="reply", thread_ts=parent["ts"])
    assert reply["message"]["thread_ts"] == parent["ts"]
    assert emu.messages("C1")[1]["thread_ts"] == parent["ts"]
    assert "thread_ts" not in emu.messages("C1")[0]


def test_replies_give_the_parent_then_the_thread_oldest_first_with_metadata_only_when_asked(
    emu: SlackEmulator, client: WebClient
) -> None:
    parent = client.chat_postMessage(channel="C1", text="parent")["ts"]
    tagged = {"event_type": "tagged", "event_payload": {"tags": ["1:1"]}}
    first = client.chat_postMessage(channel="C1", text="one", thread_ts=parent, metadata=tagged)["ts"]
    emu.post_as_user("C1", user_id="U1", text="two", thread_ts=parent)
    client.chat_postMessage(channel="C1", text="elsewhere")

    plain = client.conversations_replies(channel="C1", ts=parent)
    assert [m["text"] for m in plain["messages"]] == ["parent", "one", "two"]
    assert plain["messages"][2]["user"] == "U1" and "bot_id" not in plain["messages"][2]
    assert all("metadata" not in m for m in plain["messages"])
    with_metadata = client.conversations_replies(channel="C1", ts=parent, include_all_metadata=True)
    assert with_metadata["messages"][1]["metadata"] == tagged
    paged = client.conversations_replies(channel="C1", ts=parent, limit=2)
    assert [m["ts"] for m in paged["messages"]] == [parent, first] and paged["has_more"] is True
    rest = client.conversations_replies(
        channel="C1", ts=parent, cursor=paged["response_metadata"]["next_cursor"]
    )
    assert [m["text"] for m in rest["messages"]] == ["two"]


def test_replies_of_an_unknown_thread_or_without_the_history_scope_are_refused(
    emu: SlackEmulator, client: WebClient
) -> None:
    with pytest.raises(SlackApiError) as unknown:
        client.conversations_replies(channel="C1", ts="1700000000.000001")
    assert slack_error(unknown) == "thread_not_found"
    parent = client.chat_postMessage(channel="C1", text="parent")["ts"]
    emu.grant_scopes(["chat:write", "channels:read"])
    with pytest.raises(SlackApiError) as scope:
        client.conversations_replies(channel="C1", ts=parent)
    assert slack_error(scope) == "missing_scope"


def test_update_replaces_text_and_blocks(emu: SlackEmulator, client: WebClient) -> None:
    posted = client.chat_postMessage(channel="U1", text="pending", blocks=[{"type": "divider"}])
    dm = str(posted["channel"])
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "done"}}]
    updated = client.chat_update(channel=dm, ts=posted["ts"], text="done", blocks=blocks)
    assert updated["channel"] == dm
    assert updated["ts"] == posted["ts"]
    assert updated["text"] == "done"
    [message] = emu.messages(dm)
    assert message["text"] == "done"
    assert message["blocks"] == blocks


def test_update_of_unknown_message_is_message_not_found(client: WebClient) -> None:
    with pytest.raises(SlackApiError) as excinfo:
        client.chat_update(channel="C1", ts="1700000000.000001", text="nope")
    assert slack_error(excinfo) == "message_not_found"


def test_update_needs_the_dm_id_rather_than_the_user_id(client: WebClient) -> None:
    posted = client.chat_postMessage(channel="U1", text="hi")
    with pytest.raises(SlackApiError) as excinfo:
        client.chat_update(channel="U1", ts=posted["ts"], text="edited")
    assert slack_error(excinfo) == "channel_not_found"


def test_get_permalink_links_a_message_and_a_thread_reply_to_its_thread(
    emu: SlackEmulator, client: WebClient
) -> None:
    parent = client.chat_postMessage(channel="C1", text="escalation")
    reply = client.chat_postMessage(channel="C1", text="detail", thread_ts=parent["ts"])
    emu.grant_scopes([])  # Slack's reference: chat.getPermalink needs no scope
    linked = client.chat_getPermalink(channel="C1", message_ts=parent["ts"])
    assert (linked["channel"], linked["permalink"]) == (
        "C1",
        f"https://emulated.slack.com/archives/C1/p{parent['ts'].replace('.', '')}",
    )
    in_thread = client.chat_getPermalink(channel="C1", message_ts=reply["ts"])["permalink"]
    assert in_thread.endswith(f"?thread_ts={parent['ts']}&cid=C1")


def test_get_permalink_refuses_an_unknown_channel_or_message_as_slack_does(client: WebClient) -> None:
    posted = client.chat_postMessage(channel="C1", text="escalation")
    with pytest.raises(SlackApiError) as excinfo:
        client.chat_getPermalink(channel="C404", message_ts=posted["ts"])
    assert slack_error(excinfo) == "channel_not_found"
    with pytest.raises(SlackApiError) as excinfo:
        client.chat_getPermalink(channel="C1", message_ts="1700000000.000009")
    assert slack_error(excinfo) == "message_not_found"


def test_delete_removes_the_message(emu: SlackEmulator, client: WebClient) -> None:
    keep = client.chat_postMessage(channel="C1", text="keep")
    gone = client.chat_postMessage(channel="C1", text="gone")
    client.chat_delete(channel="C1", ts=gone["ts"])
    assert [m["ts"] for m in emu.messages("C1")] == [keep["ts"]]
    with pytest.raises(SlackApiError) as excinfo:
        client.chat_delete(channel="C1", ts=gone["ts"])
    assert slack_error(excinfo) == "message_not_found"


def test_ephemeral_message_is_answered_but_not_stored(emu: SlackEmulator, client: WebClient) -> None:
    response = client.chat_postEphemeral(channel="C1", user="U1", text="only you")
    assert response["message_ts"]
    assert emu.messages("C1") == []
    with pytest.raises(SlackApiError) as excinfo:
        client.chat_postEphemeral(channel="C1", user="U404", text="nobody")
    assert slack_error(excinfo) == "user_not_found"


# -- conversations and users ------------------------------------------------------------------


def test_conversations_open_returns_the_dm_channel(emu: SlackEmulator, client: WebClient) -> None:
    response = client.conversations_open(users="U1")
    assert response["channel"]["id"] == emu.dm_channel("U1")


def test_conversations_open_with_several_users_returns_a_stable_group(client: WebClient) -> None:
    first = client.conversations_open(users="U1,U2")
    again = client.conversations_open(users="U2,U1")
    assert first["channel"]["id"] == again["channel"]["id"]
    assert first["channel"]["is_mpim"] is True
    client.chat_postMessage(channel=first["channel"]["id"], text="group hello")


def test_conversations_open_refuses_unknown_users_and_strangers(client: WebClient) -> None:
    with pytest.raises(SlackApiError) as unknown:
        client.conversations_open(users="U404")
    with pytest.raises(SlackApiError) as stranger:
        client.conversations_open(users="W9")
    assert slack_error(unknown) == "user_not_found"
    assert slack_error(stranger) == "invalid_user_combination"


def test_conversations_info_describes_the_channel(client: WebClient) -> None:
    channel = client.conversations_info(channel="C1")["channel"]
    assert channel["id"] == "C1"
    assert channel["name"] == "shared-diary"
    assert channel["is_channel"] is True
    assert channel["is_private"] is False
    assert channel["is_ext_shared"] is True
    with pytest.raises(SlackApiError) as excinfo:
        client.conversations_info(channel="C404")
    assert slack_error(excinfo) == "channel_not_found"


def test_users_info_reports_profile_and_time_zone(emu: SlackEmulator, client: WebClient) -> None:
    user = client.users_info(user="U1")["user"]
    offset = datetime.now(ZoneInfo("Europe/London")).utcoffset()
    assert offset is not None
    assert user["id"] == "U1"
    assert user["team_id"] == "T0VENDOR"
    assert user["real_name"] == "Ada Lovelace"
    assert user["profile"] == {
        "real_name": "Ada Lovelace",
        "display_name": "ada",
        "team": "T0VENDOR",
        "status_text": "",
        "status_emoji": "",
        "status_expiration": 0,
    }
    assert user["tz"] == "Europe/London"
    assert user["tz_offset"] == int(offset.total_seconds())
    assert user["tz_label"] in {"Greenwich Mean Time", "British Summer Time"}
    assert user["deleted"] is False
    assert "is_stranger" not in user


def test_users_info_flags_strangers_and_follows_later_changes(emu: SlackEmulator, client: WebClient) -> None:
    stranger = client.users_info(user="W9")["user"]
    assert stranger["is_stranger"] is True
    assert stranger["team_id"] == "T0CUSTOMER"
    grace = emu.add_user("U3", name="grace2")
    assert isinstance(grace, EmulatedUser)
    grace.deleted = True
    assert client.users_info(user="U3")["user"]["deleted"] is True


def test_users_info_of_unknown_user_is_user_not_found(client: WebClient) -> None:
    with pytest.raises(SlackApiError) as excinfo:
        client.users_info(user="U404")
    assert slack_error(excinfo) == "user_not_found"


def test_add_user_rejects_an_unknown_time_zone(emu: SlackEmulator) -> None:
    with pytest.raises(ValueError, match="Mars/Olympus"):
        emu.add_user("U5", tz="Mars/Olympus")


# -- views ------------------------------------------------------------------------------------


def test_views_open_returns_the_view_with_id_and_hash(emu: SlackEmulator, client: WebClient) -> None:
    view = client.views_open(trigger_id=emu.new_trigger_id(), view=modal(callback_id="checkin"))["view"]
    assert view["id"].startswith("V")
    assert view["hash"]
    assert view["callback_id"] == "checkin"
    assert view["title"]["text"] == "Check-in"


def test_views_open_requires_a_trigger_id(emu: SlackEmulator) -> None:
    body = json.dumps({"view": modal()}).encode()
    _, _, payload = raw_post(
        emu.api_url + "views.open", body, "application/json", {"Authorization": f"Bearer {TOKEN}"}
    )
    assert json.loads(payload)["error"] == "invalid_arguments"


@pytest.mark.parametrize(
    "view",
    [modal(blocks=101), {**modal(), "type": "home"}, {"type": "modal", "blocks": []}],
    ids=["too-many-blocks", "wrong-type", "no-title"],
)
def test_views_open_rejects_invalid_modals(
    emu: SlackEmulator, client: WebClient, view: dict[str, Any]
) -> None:
    with pytest.raises(SlackApiError) as excinfo:
        client.views_open(trigger_id=emu.new_trigger_id(), view=view)
    assert slack_error(excinfo) == "invalid_arguments"


def test_views_update_by_id_and_by_external_id(emu: SlackEmulator, client: WebClient) -> None:
    opened = client.views_open(trigger_id=emu.new_trigger_id(), view=modal(external_id="ext-1"))["view"]
    by_id = client.views_update(view_id=opened["id"], view=modal(title="Step 2"))["view"]
    assert by_id["id"] == opened["id"]
    assert by_id["title"]["text"] == "Step 2"
    assert by_id["hash"] != opened["hash"]
    by_external = client.views_update(external_id="ext-1", view=modal(title="Step 3"))["view"]
    assert by_external["id"] == opened["id"]
    with pytest.raises(SlackApiError) as stale:
        client.views_update(view_id=opened["id"], view=modal(), hash=opened["hash"])
    assert slack_error(stale) == "hash_conflict"


def test_a_trigger_id_works_once_within_three_seconds_and_only_if_slack_issued_it(
    emu: SlackEmulator, client: WebClient
) -> None:
    def refusal(trigger_id: str) -> str:
        with pytest.raises(SlackApiError) as excinfo:
            client.views_open(trigger_id=trigger_id, view=modal())
        return slack_error(excinfo)

    assert refusal("123.456.made-up") == "invalid_arguments"
    used = emu.new_trigger_id()
    client.views_open(trigger_id=used, view=modal())
    assert refusal(used) == "exchanged_trigger_id"
    stale = emu.new_trigger_id()
    emu.age_triggers(3.5)
    assert refusal(stale) == "expired_trigger_id"


SHORT = {"type": "plain_text", "text": "x"}


def with_blocks(blocks: list[dict[str, Any]]) -> dict[str, Any]:
    return {**modal(), "blocks": blocks}


def checkboxes(n: int) -> dict[str, Any]:
    return {"type": "input", "block_id": "b", "label": SHORT, "element": {
        "type": "checkboxes", "action_id": "a",
        "options": [{"text": SHORT, "value": f"v{i}"} for i in range(n)]}}  # fmt: skip


@pytest.mark.parametrize(
    "view",
    [
        with_blocks([checkboxes(11)]),
        with_blocks([{**checkboxes(2), "element": {**checkboxes(2)["element"], "type": "radio_buttons",
            "options": [{"text": {"type": "plain_text", "text": "x" * 76}, "value": "v"}]}}]),
        with_blocks([{**checkboxes(2), "element": {**checkboxes(2)["element"],
            "options": [{"text": SHORT, "value": "v" * 151}]}}]),
        with_blocks([{"type": "actions", "elements": [{"type": "overflow", "action_id": "o",
            "options": [{"text": SHORT, "value": "1"}]}]}]),
        with_blocks([{"type": "header", "text": {"type": "mrkdwn", "text": "*bold*"}}]),
        modal(title="A title longer than twenty-four"),
        modal(private_metadata="x" * 3001),
    ],
    ids=["11-checkboxes", "option-text-76", "option-value-151", "overflow-1", "mrkdwn-header", "title-25",
         "private-metadata-3001"],
)  # fmt: skip
def test_views_open_refuses_what_slack_refuses_and_says_where(
    emu: SlackEmulator, client: WebClient, view: dict[str, Any]
) -> None:
    with pytest.raises(SlackApiError) as excinfo:
        client.views_open(trigger_id=emu.new_trigger_id(), view=view)
    assert slack_error(excinfo) == "invalid_arguments"
    assert "json-pointer:/view/" in excinfo.value.response["response_metadata"]["messages"][0]


def test_a_message_with_a_select_of_101_options_is_refused(client: WebClient) -> None:
    select = {
        "type": "static_select",
        "action_id": "s",
        "options": [{"text": SHORT, "value": str(i)} for i in range(101)],
    }
    with pytest.raises(SlackApiError) as excinfo:
        client.chat_postMessage(channel="C1", text="pick", blocks=[{"type": "actions", "elements": [select]}])
    assert slack_error(excinfo) == "invalid_blocks"


def test_views_update_of_unknown_view_is_not_found(client: WebClient) -> None:
    with pytest.raises(SlackApiError) as excinfo:
        client.views_update(view_id="V404", view=modal())
    assert slack_error(excinfo) == "not_found"


def test_views_publish_stores_home_view(emu: SlackEmulator, client: WebClient) -> None:
    assert emu.home_view("U1") is None
    first = client.views_publish(user_id="U1", view=home_view(blocks=1))["view"]
    second = client.views_publish(user_id="U1", view=home_view(blocks=3))["view"]
    stored = emu.home_view("U1")
    assert stored is not None
    assert stored["type"] == "home"
    assert len(stored["blocks"]) == 3
    assert second["id"] == first["id"]
    assert emu.home_view("U2") is None


def test_views_publish_validates_user_and_view(client: WebClient) -> None:
    with pytest.raises(SlackApiError) as unknown:
        client.views_publish(user_id="U404", view=home_view())
    with pytest.raises(SlackApiError) as too_big:
        client.views_publish(user_id="U1", view=home_view(blocks=101))
    with pytest.raises(SlackApiError) as not_home:
        client.views_publish(user_id="U1", view=modal())
    assert slack_error(unknown) == "user_not_found"
    assert slack_error(too_big) == "invalid_arguments"
    assert slack_error(not_home) == "invalid_arguments"


# -- files ------------------------------------------------------------------------------------


def test_files_upload_v2_round_trip(emu: SlackEmulator, client: WebClient) -> None:
    thread = client.chat_postMessage(channel="C1", text="weekly digest")
    response = client.files_upload_v2(
        channel="C1",
        content=b"a,b\n1,2\n",
        filename="x.csv",
        title="x",
        initial_comment="hi",
        thread_ts=thread["ts"],
    )
    assert response["file"]["name"] == "x.csv"
    assert response["file"]["title"] == "x"
    [uploaded] = emu.uploaded_files()
    assert uploaded == {
        "id": response["file"]["id"],
        "filename": "x.csv",
        "title": "x",
        "content": b"a,b\n1,2\n",
        "channel_id": "C1",
        "thread_ts": thread["ts"],
        "initial_comment": "hi",
    }
    [raw_upload] = emu.calls_to("files.upload")
    assert raw_upload.params == {"file_id": response["file"]["id"], "length": 8}
    [complete] = emu.calls_to("files.completeUploadExternal")
    assert complete.params["files"][0]["id"] == response["file"]["id"]


def test_multipart_upload_stores_only_the_file_part(emu: SlackEmulator, client: WebClient) -> None:
    target = client.files_getUploadURLExternal(filename="r.txt", length=5)
    boundary = "XyZ"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="r.txt"\r\n'
        f"Content-Type: text/plain\r\n\r\nhello\r\n--{boundary}--\r\n"
    ).encode()
    status, _, answer = raw_post(str(target["upload_url"]), body, f"multipart/form-data; boundary={boundary}")
    assert (status, answer) == (200, b"OK - 5")
    client.files_completeUploadExternal(files=[{"id": str(target["file_id"])}], channel_id="C1")
    assert emu.uploaded_files()[0]["content"] == b"hello"


def test_completing_an_upload_that_never_happened_is_invalid_arguments(client: WebClient) -> None:
    target = client.files_getUploadURLExternal(filename="r.txt", length=5)
    for file_id in [str(target["file_id"]), "F404"]:
        with pytest.raises(SlackApiError) as excinfo:
            client.files_completeUploadExternal(files=[{"id": file_id, "title": "r"}], channel_id="C1")
        assert slack_error(excinfo) == "invalid_arguments"


# -- response URLs ----------------------------------------------------------------------------


def test_response_url_posts_are_recorded_with_their_json_body(emu: SlackEmulator) -> None:
    url = emu.new_response_url()
    assert url.startswith(emu.base_url + "response/")
    response = WebhookClient(url).send_dict({"text": "Saved!", "replace_original": True})
    assert (response.status_code, response.body) == (200, "ok")
    [call] = emu.calls_to("response_url")
    assert call.params == {"text": "Saved!", "replace_original": True}


def test_response_url_accepts_five_posts_only(emu: SlackEmulator) -> None:
    url = emu.new_response_url()
    webhook = WebhookClient(url)
    statuses = [webhook.send_dict({"text": f"update {i}"}).status_code for i in range(5)]
    sixth = webhook.send_dict({"text": "one too many"})
    assert statuses == [200] * 5
    assert (sixth.status_code, sixth.body) == (404, "used_url")
    assert WebhookClient(emu.new_response_url()).send_dict({"text": "fresh"}).status_code == 200


# -- faults -----------------------------------------------------------------------------------


def test_rate_limit_without_retry_handler_surfaces_429_with_retry_after(
    emu: SlackEmulator, client: WebClient
) -> None:
    emu.rate_limit_next("chat.postMessage", retry_after=7)
    with pytest.raises(SlackApiError) as excinfo:
        client.chat_postMessage(channel="C1", text="hi")
    assert excinfo.value.response.status_code == 429
    assert excinfo.value.response.headers["Retry-After"] == "7"
    assert slack_error(excinfo) == "ratelimited"
    assert client.chat_postMessage(channel="C1", text="hi")["ok"] is True


def test_rate_limited_call_is_retried_by_slack_sdk_honouring_retry_after(emu: SlackEmulator) -> None:
    retrying = WebClient(
        token=TOKEN, base_url=emu.api_url, retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=2)]
    )
    emu.rate_limit_next("chat.postMessage", retry_after=1)
    started = time.monotonic()
    response = retrying.chat_postMessage(channel="C1", text="eventually")
    assert response["ok"] is True
    assert time.monotonic() - started >= 1.0
    calls = emu.calls_to("chat.postMessage")
    assert len(calls) == 2
    assert calls[1].received_at - calls[0].received_at >= 1.0
    assert [m["text"] for m in emu.messages("C1")] == ["eventually"]


def test_server_error_is_retried_by_server_error_handler(emu: SlackEmulator) -> None:
    retrying = WebClient(
        token=TOKEN, base_url=emu.api_url, retry_handlers=[ServerErrorRetryHandler(max_retry_count=1)]
    )
    emu.fail_next("chat.postMessage", status=500)
    response = retrying.chat_postMessage(channel="C1", text="after a blip")
    assert response["ok"] is True
    assert len(emu.calls_to("chat.postMessage")) == 2


def test_server_error_has_a_plain_body(emu: SlackEmulator) -> None:
    emu.fail_next("auth.test", status=503)
    status, headers, body = raw_post(
        emu.api_url + "auth.test", f"token={TOKEN}".encode(), "application/x-www-form-urlencoded"
    )
    assert status == 503
    assert headers["Content-Type"].startswith("text/plain")
    assert body.startswith(b"503")


def test_fail_next_only_simulates_server_errors(emu: SlackEmulator) -> None:
    with pytest.raises(ValueError):
        emu.fail_next("auth.test", status=404)


def test_error_next_answers_slack_error_then_recovers(emu: SlackEmulator, client: WebClient) -> None:
    emu.error_next("users.info", "user_not_visible", count=2)
    for _ in range(2):
        with pytest.raises(SlackApiError) as excinfo:
            client.users_info(user="U1")
        assert slack_error(excinfo) == "user_not_visible"
        assert excinfo.value.response.status_code == 200
    assert client.users_info(user="U1")["ok"] is True


def test_faults_are_consumed_in_the_order_they_were_queued(emu: SlackEmulator, client: WebClient) -> None:
    emu.error_next("auth.test", "first")
    emu.rate_limit_next("auth.test")
    emu.error_next("auth.test", "third")
    seen = []
    for _ in range(3):
        with pytest.raises(SlackApiError) as excinfo:
            client.auth_test()
        seen.append((excinfo.value.response.status_code, slack_error(excinfo)))
    assert seen == [(200, "first"), (429, "ratelimited"), (200, "third")]
    assert client.auth_test()["ok"] is True


def test_faults_apply_only_to_their_method(emu: SlackEmulator, client: WebClient) -> None:
    emu.error_next("chat.postMessage", "fatal_error")
    assert client.auth_test()["ok"] is True
    with pytest.raises(SlackApiError):
        client.chat_postMessage(channel="C1", text="x")


def test_window_rate_limit_returns_429_with_retry_after(emu: SlackEmulator, client: WebClient) -> None:
    emu.set_rate_limit("chat.postMessage", per_minute=2)
    client.chat_postMessage(channel="C1", text="1")
    client.chat_postMessage(channel="C1", text="2")
    with pytest.raises(SlackApiError) as excinfo:
        client.chat_postMessage(channel="C1", text="3")
    assert excinfo.value.response.status_code == 429
    assert 1 <= int(excinfo.value.response.headers["Retry-After"]) <= 60
    assert client.users_info(user="U1")["ok"] is True
    assert [m["text"] for m in emu.messages("C1")] == ["1", "2"]
    emu.set_rate_limit("chat.postMessage", per_minute=None)
    assert client.chat_postMessage(channel="C1", text="4")["ok"] is True


def test_a_one_second_window_allows_a_burst_of_a_sixtieth_of_the_minutes_calls(
    emu: SlackEmulator, client: WebClient
) -> None:
    emu.set_rate_limit("chat.postMessage", per_minute=180, window_seconds=1)
    for i in range(3):
        client.chat_postMessage(channel="C1", text=str(i))
    with pytest.raises(SlackApiError) as excinfo:
        client.chat_postMessage(channel="C1", text="over")
    assert excinfo.value.response.status_code == 429
    assert excinfo.value.response.headers["Retry-After"] == "1"
    time.sleep(1.05)  # the window slides past the burst
    assert client.chat_postMessage(channel="C1", text="later")["ok"] is True


def test_delay_slows_only_that_method(emu: SlackEmulator, client: WebClient) -> None:
    emu.delay("users.info", 0.3)
    started = time.monotonic()
    client.users_info(user="U1")
    slow = time.monotonic() - started
    started = time.monotonic()
    client.auth_test()
    fast = time.monotonic() - started
    assert slow >= 0.3
    assert fast < 0.3
    emu.delay("users.info", 0)
    started = time.monotonic()
    client.users_info(user="U1")
    assert time.monotonic() - started < 0.3


# -- command line -----------------------------------------------------------------------------


def test_module_runs_in_the_foreground_and_prints_its_api_url() -> None:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "slack_emulator",
            "--port",
            "0",
            "--token",
            TOKEN,
            "--user",
            "U1:Ada:Europe/Paris",
        ],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        api_url = process.stdout.readline().strip()
        assert api_url.startswith("http://127.0.0.1:")
        assert api_url.endswith("/api/")
        user = WebClient(token=TOKEN, base_url=api_url).users_info(user="U1")["user"]
        assert user["tz"] == "Europe/Paris"
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert process.returncode == 0


def test_a_channel_takes_about_one_post_a_second_after_a_short_burst(
    emu: SlackEmulator, client: WebClient
) -> None:
    emu.set_channel_rate_limit("chat.postMessage", per_second=1, burst=3)
    for i in range(3):
        client.chat_postMessage(channel="C1", text=str(i))
    with pytest.raises(SlackApiError) as excinfo:
        client.chat_postMessage(channel="C1", text="over")
    assert excinfo.value.response.status_code == 429
    assert excinfo.value.response.headers["Retry-After"] == "1"
    assert client.chat_postMessage(channel="U1", text="another channel")["ok"] is True
    time.sleep(1.05)  # one more post's worth has come back
    assert client.chat_postMessage(channel="C1", text="later")["ok"] is True
    assert [m["text"] for m in emu.messages("C1")] == ["0", "1", "2", "later"]


def test_the_ceiling_is_counted_per_workspace_a_busy_one_does_not_limit_another(emu: SlackEmulator) -> None:
    emu.add_workspace("T0OTHER", token="xoxb-other")
    emu.add_user("U9", team_id="T0OTHER", name="ola")
    emu.set_rate_limit("chat.postMessage", per_minute=2)
    ours = WebClient(token=TOKEN, base_url=emu.api_url, retry_handlers=[])
    theirs = WebClient(token="xoxb-other", base_url=emu.api_url, retry_handlers=[])
    ours.chat_postMessage(channel="U1", text="1")
    ours.chat_postMessage(channel="U2", text="2")
    with pytest.raises(SlackApiError) as excinfo:
        ours.chat_postMessage(channel="U1", text="3")
    assert excinfo.value.response.status_code == 429
    assert theirs.chat_postMessage(channel="U9", text="from the other workspace")["ok"] is True
