"""How `/accountability away`, `settings away-words` and `person … holidays:` are read."""

from __future__ import annotations

from datetime import date

import pytest

from bot.accounts.person_settings import PersonSettings
from bot.commands.subcommands import parse
from bot.commands.tokens import CommandError
from bot.people.away import Away
from bot.people.away_words import AwayWords

TODAY = date(2026, 11, 23)  # a Monday


def test_away_for_oneself_until_a_date_with_a_reason() -> None:
    assert parse('away until next friday "Family holiday"', today=TODAY) == Away(
        None, date(2026, 11, 27), "Family holiday"
    )


def test_away_for_someone_until_a_date_without_a_reason() -> None:
    assert parse("away <@U0CHAMP> until 2026-12-04", today=TODAY) == Away("U0CHAMP", date(2026, 12, 4))


def test_away_off_and_back_end_it() -> None:
    assert parse("away off", today=TODAY) == Away(None, None)
    assert parse("away <@U0CHAMP> back", today=TODAY) == Away("U0CHAMP", None)


@pytest.mark.parametrize("text", ["away", "away tomorrow", "away until", "away until someday soon"])
def test_away_without_a_readable_date_is_refused(text: str) -> None:
    with pytest.raises(CommandError):
        parse(text, today=TODAY)


def test_away_words_are_read_as_a_comma_separated_list() -> None:
    assert parse('settings away-words "conference, :ski: , OOO"', today=TODAY) == AwayWords(
        ("conference", ":ski:", "OOO")
    )
    assert parse("settings away-words", today=TODAY) == AwayWords(None)
    assert parse("settings away-words default", today=TODAY) == AwayWords(())


def test_person_holidays_option() -> None:
    assert parse("person <@U0ENG> holidays:gb", today=TODAY) == PersonSettings("U0ENG", holidays="GB")
    assert parse("person <@U0ENG> holidays:none", today=TODAY) == PersonSettings("U0ENG", holidays="none")
    with pytest.raises(CommandError):
        parse("person <@U0ENG> holidays:XX", today=TODAY)
