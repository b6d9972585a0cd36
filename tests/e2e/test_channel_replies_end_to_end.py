"""Replies in an account's shared channel, sent the way Slack sends them (a customer with their own
team, retries with the same event ID, a mention sent both as `message` and `app_mention`): the owner's
reply in a channel check-in's thread is a note, `@bot done #N` answers, replies in the week's diary
thread are diary entries, and nothing else is recorded."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.checkins.mentions import HINT
from bot.checkins.thread_notes import PRIVATE_IN_CHANNEL
from bot.diary.sharing import share_pending
from bot.slack.gateway import SlackGateway
from models import Answer, CheckIn, CheckInState, Commitment, DiaryEntry, DiaryThread, Side
from slack_emulator import Call, SlackEmulator
from tests.conftest import CHAMPION, CSM, ENGINEER, OTHER_CHAMPION, SHARED_CHANNEL, Clock, RunningApp
from tests.e2e.test_requests_not_from_slack import settle
from tests.factories import make_account, make_commitment

BOT = "UBOT"  # the emulator's bot user, as auth.test names it
CREATED = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # Monday
MON_10 = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
NOW = datetime(2026, 11, 30, 10, 30, tzinfo=UTC)


@dataclass(frozen=True)
class Posted:
    """A check-in posted in the shared channel: its commitment's number, its row and its post."""

    commitment_id: int
    checkin_id: int
    ts: str


def channel_checkin(
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
    *,
    account_id: int,
    owner: str = CHAMPION,
    side: Side = Side.CUSTOMER,
) -> Posted:
    """A check-in delivered in the shared channel, as channel delivery leaves it: sent, with its post."""
    commitment_id = make_commitment(
        sessions, account_id=account_id, now=CREATED, owner=owner, side=side, tz="Europe/London"
    )
    post = gateway.post_message(SHARED_CHANNEL, text=f"Check-in for <@{owner}>")
    with sessions.begin() as session:
        commitment = session.get_one(Commitment, commitment_id)
        checkin = CheckIn(
            team_id=commitment.team_id,
            commitment_id=commitment_id,
            scheduled_at=MON_10,
            state=CheckInState.SENT,
            sent_at=MON_10,
            place="channel",
            channel_id=SHARED_CHANNEL,
            message_ts=post.ts,
        )
        session.add(checkin)
        session.flush()
        return Posted(commitment_id=commitment_id, checkin_id=checkin.id, ts=post.ts)


def entries(sessions: sessionmaker[Session], kind: str) -> list[DiaryEntry]:
    with sessions() as session:
        return list(
            session.scalars(select(DiaryEntry).where(DiaryEntry.kind == kind).order_by(DiaryEntry.id))
        )


def checkin(sessions: sessionmaker[Session], checkin_id: int) -> CheckIn:
    with sessions() as session:
        return session.get_one(CheckIn, checkin_id)


def ephemerals(emulator: SlackEmulator, user: str | None = None) -> list[Call]:
    return [c for c in emulator.calls_to("chat.postEphemeral") if user is None or c.params["user"] == user]


def diary_thread_ts(sessions: sessionmaker[Session]) -> str:
    with sessions() as session:
        ts = session.scalars(select(DiaryThread.message_ts)).one()
    assert ts
    return ts


def test_an_owners_reply_in_a_channel_checkin_thread_is_one_note_though_slack_delivers_it_three_times(
    web: RunningApp,
    emulator: SlackEmulator,
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
    clock: Clock,
) -> None:
    clock.now = NOW
    posted = channel_checkin(sessions, gateway, account_id=make_account(sessions, now=CREATED))
    for retry in (None, 1, 2):
        result = web.slack.channel_message(
            "Rolled out to sales &amp; support &lt;!here&gt;",
            user_id=CHAMPION, channel=SHARED_CHANNEL, thread_ts=posted.ts, event_id="Ev0THREAD", retry_num=retry,
        )  # fmt: skip
        assert result.status == 200
    emulator.wait_for("chat.postEphemeral")
    settle(emulator)

    [note] = entries(sessions, "note")
    assert note.checkin_id == posted.checkin_id and note.actor_user_id == CHAMPION and not note.private
    assert "sales &amp; support &lt;!here&gt;" in note.text  # the person's words, escaped once
    assert checkin(sessions, posted.checkin_id).note == "Rolled out to sales & support <!here>"
    [told] = ephemerals(emulator)
    assert told.params["user"] == CHAMPION and told.params["channel"] == SHARED_CHANNEL
    assert "Noted on your check-in" in told.params["text"]


def test_done_by_mention_is_recorded_once_though_slack_sends_it_as_message_and_app_mention_and_retries(
    web: RunningApp,
    emulator: SlackEmulator,
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
    clock: Clock,
) -> None:
    clock.now = NOW
    posted = channel_checkin(sessions, gateway, account_id=make_account(sessions, now=CREATED))
    text, ts = f"<@{BOT}> done #{posted.commitment_id} — sent to all &amp; filed", "1764498600.000900"
    # One message naming the bot: Slack sends it as a thread reply (message) and as an app_mention,
    # with different event IDs, and retries the app_mention twice with its own.
    web.slack.channel_message(
        text, user_id=CHAMPION, channel=SHARED_CHANNEL, thread_ts=posted.ts, ts=ts, event_id="Ev0MSG"
    )
    for retry in (None, 1, 2):
        web.slack.mention(text, user_id=CHAMPION, channel=SHARED_CHANNEL, thread_ts=posted.ts, ts=ts,
                          event_id="Ev0MENTION", retry_num=retry)  # fmt: skip
    emulator.wait_for("chat.update")
    settle(emulator)

    row = checkin(sessions, posted.checkin_id)
    assert (row.state, row.answer, row.answered_by) == (CheckInState.ANSWERED, Answer.DONE, CHAMPION)
    assert row.note == "sent to all & filed"
    assert len(entries(sessions, "answer_done")) == 1 and entries(sessions, "note") == []
    [redrawn] = emulator.calls_to("chat.update")
    assert (redrawn.params["channel"], redrawn.params["ts"]) == (SHARED_CHANNEL, posted.ts)
    assert "Done" in redrawn.params["text"]
    [told] = ephemerals(emulator)
    assert told.params["user"] == CHAMPION and f"“Done” for #{posted.commitment_id}" in told.params["text"]


def test_the_number_alone_and_not_yet_with_a_reason_answer_too(
    web: RunningApp,
    emulator: SlackEmulator,
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
    clock: Clock,
) -> None:
    clock.now = NOW
    posted = channel_checkin(sessions, gateway, account_id=make_account(sessions, now=CREATED))
    web.slack.mention(
        f"<@{BOT}> not yet {posted.commitment_id} waiting on legal", user_id=CHAMPION, channel=SHARED_CHANNEL
    )
    emulator.wait_for("chat.update")
    row = checkin(sessions, posted.checkin_id)
    assert (row.answer, row.note) == (Answer.NOT_YET, "waiting on legal")


def test_someone_other_than_the_owner_cannot_answer_by_mention_and_nothing_is_recorded(
    web: RunningApp,
    emulator: SlackEmulator,
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
    clock: Clock,
) -> None:
    clock.now = NOW
    posted = channel_checkin(sessions, gateway, account_id=make_account(sessions, now=CREATED))
    before = len(entries(sessions, "answer_done"))
    web.slack.mention(f"<@{BOT}> done #{posted.commitment_id}", user_id=CSM, channel=SHARED_CHANNEL)
    [refused] = emulator.wait_for("chat.postEphemeral")
    assert refused.params["user"] == CSM
    assert refused.params["text"] == f"Only <@{CHAMPION}> can answer #{posted.commitment_id}."
    settle(emulator)
    assert checkin(sessions, posted.checkin_id).state is CheckInState.SENT
    assert len(entries(sessions, "answer_done")) == before and emulator.calls_to("chat.update") == []


def test_blocked_by_mention_needs_a_reason(
    web: RunningApp,
    emulator: SlackEmulator,
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
    clock: Clock,
) -> None:
    clock.now = NOW
    posted = channel_checkin(sessions, gateway, account_id=make_account(sessions, now=CREATED))
    web.slack.mention(f"<@{BOT}> blocked #{posted.commitment_id}", user_id=CHAMPION, channel=SHARED_CHANNEL)
    [asked] = emulator.wait_for("chat.postEphemeral")
    assert "what is blocking it" in asked.params["text"]
    assert checkin(sessions, posted.checkin_id).state is CheckInState.SENT


def test_a_mention_the_bot_does_not_understand_gets_a_threaded_hint(
    web: RunningApp, emulator: SlackEmulator, sessions: sessionmaker[Session], clock: Clock
) -> None:
    clock.now = NOW
    make_account(sessions, now=CREATED)
    web.slack.mention(
        f"<@{BOT}> how are we doing?", user_id=CHAMPION, channel=SHARED_CHANNEL, ts="1764498600.000700"
    )
    [hint] = emulator.wait_for("chat.postMessage")
    assert hint.params["channel"] == SHARED_CHANNEL and hint.params["thread_ts"] == "1764498600.000700"
    assert hint.params["text"] == HINT and "done #12" in HINT


def test_weekly_diary_thread_replies_by_the_champion_and_the_csm_are_diary_entries_never_posted_again(
    web: RunningApp,
    emulator: SlackEmulator,
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
    clock: Clock,
) -> None:
    clock.now = NOW
    make_commitment(sessions, account_id=make_account(sessions, now=CREATED), now=CREATED)
    share_pending(sessions, gateway, now=NOW)  # starts the week's thread with what the diary holds
    thread = diary_thread_ts(sessions)
    posted_before = len(emulator.calls_to("chat.postMessage"))
    web.slack.channel_message("We trained 40 people &amp; more", user_id=CHAMPION, channel=SHARED_CHANNEL,
                              thread_ts=thread, event_id="Ev0DIARY1")  # fmt: skip
    web.slack.channel_message("Great — SSO next", user_id=CSM, channel=SHARED_CHANNEL, thread_ts=thread)
    web.slack.channel_message("We trained 40 people &amp; more", user_id=CHAMPION, channel=SHARED_CHANNEL,
                              thread_ts=thread, event_id="Ev0DIARY1", retry_num=1)  # fmt: skip
    emulator.wait_for("chat.postEphemeral", count=2)
    settle(emulator)

    notes = sorted(entries(sessions, "diary_note"), key=lambda n: n.actor_user_id or "")
    assert [(n.actor_user_id, n.side, n.text) for n in notes] == [
        (CHAMPION, Side.CUSTOMER, f"Note from <@{CHAMPION}>: We trained 40 people &amp; more"),
        (CSM, Side.VENDOR, f"Note from <@{CSM}>: Great — SSO next"),
    ]
    assert all(not n.private for n in notes)
    assert {c.params["user"] for c in ephemerals(emulator)} == {CHAMPION, CSM}
    share_pending(sessions, gateway, now=NOW)
    assert len(emulator.calls_to("chat.postMessage")) == posted_before  # already in the thread: not copied


def test_another_accounts_customer_replying_in_the_threads_is_not_recorded(
    web: RunningApp,
    emulator: SlackEmulator,
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
    clock: Clock,
) -> None:
    clock.now = NOW
    emulator.set_channel(SHARED_CHANNEL, members=[CSM, ENGINEER, CHAMPION, OTHER_CHAMPION])
    posted = channel_checkin(sessions, gateway, account_id=make_account(sessions, now=CREATED))
    share_pending(sessions, gateway, now=NOW)
    thread = diary_thread_ts(sessions)
    with sessions() as session:
        before = session.scalars(select(DiaryEntry.id)).all()
    for thread_ts in (thread, posted.ts, thread):
        web.slack.channel_message(
            "Our rollout is going fine", user_id=OTHER_CHAMPION, channel=SHARED_CHANNEL, thread_ts=thread_ts
        )
    emulator.wait_for("chat.postEphemeral", count=2)
    settle(emulator)

    with sessions() as session:
        assert session.scalars(select(DiaryEntry.id)).all() == before
    assert checkin(sessions, posted.checkin_id).note is None
    # Told once per thread that their reply is not part of this account's record, not at every reply.
    told = ephemerals(emulator, OTHER_CHAMPION)
    # The two threads' replies are handled concurrently after their acks: either hint may come first.
    texts = sorted(str(call.params["text"]) for call in told)
    assert len(texts) == 2
    assert any("isn't recorded" in text for text in texts)
    assert any("only they can add notes" in text for text in texts)


def test_a_vendor_owners_private_note_in_the_channel_stays_out_of_the_shared_diary_and_they_are_told(
    web: RunningApp,
    emulator: SlackEmulator,
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
    clock: Clock,
) -> None:
    clock.now = NOW
    posted = channel_checkin(
        sessions, gateway, account_id=make_account(sessions, now=CREATED), owner=ENGINEER, side=Side.VENDOR
    )
    web.slack.channel_message(
        "private: renewal looks shaky", user_id=ENGINEER, channel=SHARED_CHANNEL, thread_ts=posted.ts
    )
    [told] = emulator.wait_for("chat.postEphemeral")
    assert told.params["user"] == ENGINEER and told.params["text"] == PRIVATE_IN_CHANNEL
    [note] = entries(sessions, "note")
    assert note.private and "renewal looks shaky" in note.text and "private:" not in note.text
    share_pending(sessions, gateway, now=NOW)
    assert not [c for c in emulator.calls_to("chat.postMessage") if "renewal" in c.params["text"]]


def test_bot_posts_edits_deletions_joins_top_level_messages_and_other_channels_are_ignored(
    web: RunningApp,
    emulator: SlackEmulator,
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
    clock: Clock,
) -> None:
    clock.now = NOW
    emulator.add_channel("C0OTHER", name="random", members=[CHAMPION])
    posted = channel_checkin(sessions, gateway, account_id=make_account(sessions, now=CREATED))
    with sessions() as session:
        before = session.scalars(select(DiaryEntry.id)).all()
    in_thread = {"type": "message", "channel": SHARED_CHANNEL, "channel_type": "channel", "thread_ts": posted.ts,
                 "text": "Rolled out", "ts": "1764498600.000300"}  # fmt: skip
    calls_before = len(emulator.calls)
    for event in (
        in_thread | {"user": BOT},  # the bot's own reply
        in_thread | {"bot_id": "B0OTHER", "subtype": "bot_message"},  # another app's
        in_thread | {"user": CHAMPION, "subtype": "message_changed", "message": {"text": "edited"}},
        in_thread | {"user": CHAMPION, "subtype": "message_deleted"},
        in_thread | {"user": CHAMPION, "subtype": "channel_join", "thread_ts": None},
        in_thread | {"user": CHAMPION, "thread_ts": None},  # not a reply in a thread
        in_thread | {"user": CHAMPION, "channel": "C0OTHER"},  # a channel of no account
        in_thread
        | {"user": CHAMPION, "channel": "C0OTHER", "type": "app_mention", "text": f"<@{BOT}> done #1"},
    ):
        assert web.slack.event({k: v for k, v in event.items() if v is not None}).status == 200
    settle(emulator)

    # Nothing done about them; auth.test is the app learning its own identity on its first request.
    assert [c for c in emulator.calls[calls_before:] if c.method != "auth.test"] == []
    with sessions() as session:
        assert session.scalars(select(DiaryEntry.id)).all() == before
    assert checkin(sessions, posted.checkin_id).note is None
