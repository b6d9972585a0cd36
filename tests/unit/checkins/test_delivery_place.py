"""Where a check-in goes: the person's choice over the account's, and `auto` falling back to the
shared channel for a week after a DM was refused; every refusal told in words, never as a code."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.checkins.delivery import AUTO, CHANNEL, DM, DM_RETRY, place_for, place_of, setting_of
from bot.checkins.undelivered import Cause, cause_of
from bot.commands.grammar import parse_person
from bot.commands.tokens import CommandError
from bot.slack.errors import (
    CANNOT_DM_ERRORS,
    NOT_IN_SHARED_CHANNEL,
    PERMANENT_ERRORS,
    PLAIN_WORDS,
    Failure,
    cannot_dm,
    classify,
    plain,
)
from models import Account, Person, Side

NOW = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)


def person(setting: str | None = None, retry: datetime | None = None) -> Person:
    return Person(user_id="U1", team_id="T", side=Side.CUSTOMER, checkin_delivery=setting, dm_retry_at=retry)


def account(setting: str = AUTO) -> Account:
    return Account(name="Acme", checkin_delivery=setting)


def test_the_persons_choice_wins_over_the_accounts() -> None:
    assert setting_of(person(CHANNEL), account(DM)) == CHANNEL
    assert setting_of(person(None), account(DM)) == DM
    assert place_for(person(DM), account(CHANNEL), now=NOW) == DM


def test_auto_sends_a_dm_unless_dms_were_refused_within_the_week() -> None:
    assert place_of(AUTO, dm_retry_at=None, now=NOW) == DM
    assert place_of(AUTO, dm_retry_at=NOW + DM_RETRY, now=NOW) == CHANNEL
    assert place_of(AUTO, dm_retry_at=NOW - timedelta(seconds=1), now=NOW) == DM
    # A refused DM never moves someone who chose `dm` to the channel.
    assert place_of(DM, dm_retry_at=NOW + DM_RETRY, now=NOW) == DM
    assert place_of(CHANNEL, dm_retry_at=None, now=NOW) == CHANNEL


def test_user_not_found_means_cannot_dm_only_for_someone_of_another_organisation() -> None:
    assert cannot_dm("user_not_found", external=True)
    assert not cannot_dm("user_not_found", external=False)
    assert cannot_dm("cannot_dm_bot", external=False)
    assert not cannot_dm("not_in_channel", external=True)


@pytest.mark.parametrize("error", sorted(PERMANENT_ERRORS | CANNOT_DM_ERRORS | {NOT_IN_SHARED_CHANNEL}))
def test_every_permanent_error_has_plain_words_and_no_code(error: str) -> None:
    assert error in PLAIN_WORDS, f"{error} has no plain words"
    assert error not in plain(error)
    for place in ("dm", "channel"):
        words = Cause(place=place, error=error, channel_id="C1").words()
        assert error not in words and "_" not in words


def test_every_cannot_dm_error_is_permanent() -> None:
    assert all(classify(error) is Failure.PERMANENT for error in CANNOT_DM_ERRORS)


def test_an_unknown_code_is_never_shown() -> None:
    assert "weird_new_error" not in plain("weird_new_error")
    assert "weird_new_error" not in Cause(place="channel", error="weird_new_error").words()


def test_a_refused_dm_to_a_deactivated_person_reads_as_deactivated_not_as_an_archived_channel() -> None:
    assert "deactivated" in Cause(place="dm", error="is_archived").words()
    assert "archived" in Cause(place="channel", error="is_archived").words()


def test_a_cause_survives_its_key() -> None:
    cause = Cause(place="channel", error="not_in_channel", channel_id="C0SHARED")
    assert cause_of(cause.key) == cause
    assert cause_of("dm::cannot_dm_bot") == Cause(place="dm", error="cannot_dm_bot")


def test_person_command_reads_its_options() -> None:
    today = NOW.date()
    assert parse_person(["<@U0CHAMP|jo>"], today).changes is False
    parsed = parse_person(["<@U0CHAMP|jo>", "checkins:Channel", "tz:Europe/Paris"], today)
    assert (parsed.user_id, parsed.checkins, parsed.tz) == ("U0CHAMP", "channel", "Europe/Paris")
    assert parse_person(["<@U0CHAMP>", "checkins:account"], today).checkins == "account"
    with pytest.raises(CommandError, match="not a time zone"):
        parse_person(["<@U0CHAMP>", "tz:Mars/Olympus"], today)
    with pytest.raises(CommandError, match="checkins: is"):
        parse_person(["<@U0CHAMP>", "checkins:email"], today)
    with pytest.raises(CommandError, match="Name the person"):
        parse_person([], today)
