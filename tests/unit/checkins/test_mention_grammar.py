"""What `@bot …` in a shared channel is understood to ask: an answer to one commitment's check-in."""

from __future__ import annotations

import pytest

from bot.checkins.mentions import MentionAnswer, parse_mention
from bot.slack.events import mentions, typed_by_person
from models import Answer

BOT = "U0BOT"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<@U0BOT> done #12", MentionAnswer(Answer.DONE, 12, None)),
        ("<@U0BOT> done 12", MentionAnswer(Answer.DONE, 12, None)),
        ("<@U0BOT|accountability> DONE #12.", MentionAnswer(Answer.DONE, 12, None)),
        ("<@U0BOT> partly #3 half the teams", MentionAnswer(Answer.PARTLY, 3, "half the teams")),
        ("<@U0BOT> not yet #12 waiting on legal", MentionAnswer(Answer.NOT_YET, 12, "waiting on legal")),
        ("<@U0BOT> not-yet #12: waiting on legal", MentionAnswer(Answer.NOT_YET, 12, "waiting on legal")),
        ("<@U0BOT> notyet 12", MentionAnswer(Answer.NOT_YET, 12, None)),
        (
            "<@U0BOT> blocked #7 — SSO &amp; SCIM &lt;soon&gt;",
            MentionAnswer(Answer.BLOCKED, 7, "SSO & SCIM <soon>"),
        ),
        ("thanks <@U0BOT>, done #12", MentionAnswer(Answer.DONE, 12, None)),
        ("<@U0BOT>: done #12\nsecond line", MentionAnswer(Answer.DONE, 12, "second line")),
    ],
)
def test_answers_are_understood_with_or_without_the_hash_and_with_a_note(
    text: str, expected: MentionAnswer
) -> None:
    assert parse_mention(text, bot_user_id=BOT) == expected


@pytest.mark.parametrize(
    "text",
    [
        "<@U0BOT> how are we doing?",
        "<@U0BOT> done",
        "<@U0BOT> done #twelve",
        "<@U0BOT> #12 done",
        "<@U0BOT> snoozed #12",
        "<@U0BOT> done #123x",
        "<@U0BOT> undone #12",
        "<@U0BOT>",
        "<@U0BOT> we are not done #12 yet",
    ],
)
def test_anything_else_is_not_an_answer(text: str) -> None:
    assert parse_mention(text, bot_user_id=BOT) is None


def test_the_note_is_capped_and_cleaned_of_characters_the_database_refuses() -> None:
    parsed = parse_mention("<@U0BOT> blocked #1 a\x00b" + "x" * 3000, bot_user_id=BOT)
    assert parsed is not None and parsed.note is not None
    assert "\x00" not in parsed.note and len(parsed.note) == 2000 and parsed.note.startswith("ab")


def test_another_persons_mention_is_kept_in_the_note() -> None:
    parsed = parse_mention("<@U0BOT> not yet #4 waiting on <@U0LEGAL>", bot_user_id=BOT)
    assert parsed == MentionAnswer(Answer.NOT_YET, 4, "waiting on <@U0LEGAL>")


def test_only_messages_people_typed_count() -> None:
    typed = {"type": "message", "user": "U0CHAMP", "text": "Rolled out", "channel": "C0SHARED", "ts": "1.1"}
    assert typed_by_person(typed, bot_user_id=BOT)
    assert typed_by_person(typed | {"subtype": "thread_broadcast"}, bot_user_id=BOT)
    for not_typed in (
        typed | {"user": BOT},
        typed | {"bot_id": "B0X"},
        typed | {"subtype": "message_changed"},
        typed | {"subtype": "message_deleted"},
        typed | {"subtype": "channel_join"},
        typed | {"subtype": "bot_message"},
        typed | {"text": "   "},
        {k: v for k, v in typed.items() if k != "user"},
    ):
        assert not typed_by_person(not_typed, bot_user_id=BOT), not_typed
    assert mentions("hey <@U0BOT|acc> there", BOT) and mentions("<@U0BOT> done", BOT)
    assert not mentions("hey <@U0BOTX> there", BOT) and not mentions("hey there", BOT)
