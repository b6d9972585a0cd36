"""The command grammar: valid forms parse, every malformed one gets a clear answer, nothing raises."""

from __future__ import annotations

from datetime import date, time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.accounts.commitments import Commit
from bot.accounts.registry import AccountAdd, AccountEdit
from bot.commands.parsed import (
    Agreement,
    Cancel,
    Command,
    Help,
    ListCommitments,
    MarkDone,
    OpenForm,
    Pause,
    Resume,
)
from bot.commands.subcommands import SUBCOMMANDS, help_text, parse, reference_markdown
from bot.commands.tokens import CommandError
from models import Side

TODAY = date(2026, 11, 23)  # a Monday
ADD = "account add Acme channel:<#C0SHARED|acme> escalations:<#C0ESCAL|esc> champion:<@U0CHAMP|jo>"
COMMIT = 'commit Acme customer <@U0CHAMP|jo> "Send the usage report"'


@pytest.mark.parametrize(
    ("schedule", "rule", "at"),
    [
        ("every day", "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", time(9)),
        ("every weekday at 08:30", "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", time(8, 30)),
        ("every monday", "FREQ=WEEKLY;BYDAY=MO", time(9)),
        ("every Monday, Thursday at 4pm", "FREQ=WEEKLY;BYDAY=MO,TH", time(16)),
        ("every 2 weeks on friday", "FREQ=WEEKLY;INTERVAL=2;BYDAY=FR", time(9)),
        ("every month on the 1st at 10:00", "FREQ=MONTHLY;BYMONTHDAY=1", time(10)),
        ("every RRULE:FREQ=WEEKLY;BYDAY=TU", "FREQ=WEEKLY;BYDAY=TU", time(9)),
        ("RRULE:FREQ=MONTHLY;BYMONTHDAY=15", "FREQ=MONTHLY;BYMONTHDAY=15", time(9)),
    ],
)
def test_recurring_commitment_forms(schedule: str, rule: str, at: time) -> None:
    command = parse(f"{COMMIT} {schedule}", today=TODAY)
    assert isinstance(command, Commit)
    assert command.recurrence is not None and command.recurrence.rule == rule
    assert command.at == at
    assert (command.account, command.side, command.owner_user_id) == ("Acme", Side.CUSTOMER, "U0CHAMP")


@pytest.mark.parametrize(
    ("phrase", "due"),
    [
        ("2026-12-15", date(2026, 12, 15)),
        ("dec 15", date(2026, 12, 15)),
        ("tomorrow", date(2026, 11, 24)),
        ("next friday", date(2026, 11, 27)),
        ("in 3 days", date(2026, 11, 26)),
        ("jan 4", date(2027, 1, 4)),
    ],
)
def test_due_date_forms(phrase: str, due: date) -> None:
    command = parse(f"{COMMIT} by {phrase} at 14:00", today=TODAY)
    assert isinstance(command, Commit)
    assert command.due_on == due and command.recurrence is None and command.at == time(14)


def test_account_add_with_every_option() -> None:
    command = parse(
        f'{ADD} csm:<@U0CSM> manager:<@U0BOSS|boss> digest:<#C0DIGEST> outcome:"Onboard every team" holidays:de',
        today=TODAY,
    )
    assert command == AccountAdd(
        name="Acme",
        shared_channel_id="C0SHARED",
        escalation_channel_id="C0ESCAL",
        champion_user_id="U0CHAMP",
        csm_user_id="U0CSM",
        manager_user_id="U0BOSS",
        digest_channel_id="C0DIGEST",
        desired_outcome="Onboard every team",
        holiday_country="DE",
    )


def test_quoted_account_names_and_smart_quotes() -> None:
    command = parse("commit “Big Co” vendor <@U0ENG> “Fix the SSO bug” by dec 15", today=TODAY)
    assert isinstance(command, Commit)
    assert (command.account, command.action, command.side) == ("Big Co", "Fix the SSO bug", Side.VENDOR)


def test_escaped_html_in_text_is_unescaped() -> None:
    command = parse(f'{ADD} outcome:"Usage &gt; 80% &amp; renewals"', today=TODAY)
    assert isinstance(command, AccountAdd)
    assert command.desired_outcome == "Usage > 80% & renewals"


def test_management_commands_parse() -> None:
    assert parse('agreement "Big Co"', today=TODAY) == Agreement("Big Co")
    assert parse("list", today=TODAY) == ListCommitments(None)
    assert parse("list Acme", today=TODAY) == ListCommitments("Acme")
    assert parse("pause #12 until dec 15", today=TODAY) == Pause(12, None, date(2026, 12, 15))
    assert parse("pause Acme", today=TODAY) == Pause(None, "Acme", None)
    assert parse("resume 12", today=TODAY) == Resume(12, None)
    assert parse('done #7 "shipped in 4.2"', today=TODAY) == MarkDone(7, "shipped in 4.2")
    assert parse("cancel 7", today=TODAY) == Cancel(7, None)
    assert parse("account edit Acme manager:none champion:<@U0NEW>", today=TODAY) == AccountEdit(
        "Acme", (("manager", None), ("champion", "U0NEW"))
    )


def test_add_and_commit_without_arguments_open_a_form() -> None:
    assert parse("account add", today=TODAY) == OpenForm("account_add")
    assert parse("commit", today=TODAY) == OpenForm("commit")


def test_empty_text_and_help_show_help() -> None:
    assert parse("", today=TODAY) == Help()
    assert parse("help", today=TODAY) == Help()
    assert "/accountability commit" in help_text()


MALFORMED: list[tuple[str, str]] = [
    ("frobnicate", "don't know the subcommand"),
    ("account", "account add"),
    ("account remove Acme", "account add"),
    ("account add channel:<#C0SHARED>", "Start with the account name"),
    ("account add Acme", "Missing channel:, escalations:, champion:"),
    ("account add Acme channel:<#C0SHARED> escalations:<#C0ESCAL>", "Missing champion:"),
    (
        "account add Acme channel:#general escalations:<#C0ESCAL> champion:<@U0CHAMP>",
        "must mention a channel",
    ),
    ("account add Acme channel:<#C0SHARED> escalations:<#C0ESCAL> champion:jo", "must mention a person"),
    (f"{ADD} colour:blue", "is not an option"),
    (f"{ADD} champion:<@U0OTHER>", "given twice"),
    (f"{ADD} holidays:XX", "not a known country code"),
    (f'{ADD} outcome:"{"x" * 1001}"', "at most 1000 characters"),
    (
        f'account add "{"A" * 81}" channel:<#C0SHARED> escalations:<#C0ESCAL> champion:<@U0CHAMP>',
        "at most 80",
    ),
    ('account add "Acme channel:<#C0SHARED>', "quotation mark is not closed"),
    ("commit Acme", "needs an account, a side"),
    ("account edit Acme", "Say what to change"),
    ("account edit Acme manager:jo", "must mention a person"),
    ("account edit Acme champion:none", "must mention a person"),
    ("agreement", "Name one account"),
    ("list Acme Beta", "Name one account"),
    ("pause", "Name a commitment"),
    ("pause #12 until 2020-01-01", "in the past"),
    ("pause #12 until today", "later day than today"),
    ("pause #12 for a while", "until <date>"),
    ("resume", "Name one commitment"),
    ("done", "Name one commitment"),
    ("done twelve", "is not a commitment number"),
    ('done #12 "note" extra', "Name one commitment"),
    (f'cancel #12 "{"x" * 501}"', "at most 500 characters"),
    ("correct #12", "the correction in double quotes"),
    ('correct twelve "x"', "not a diary entry number"),
    ('correct #12 ""', "The correction is empty"),
    ("diary", "Name the account"),
    ("diary Acme since", "`since <date>`"),
    ("diary Acme since whenever", "not a date I understand"),
    ("export", "Name one account"),
    ("commit Acme customer <@U0CHAMP>", "needs an account, a side"),
    (f"{COMMIT.replace('customer', 'partner')} every monday", "customer or vendor"),
    ('commit Acme customer jo "Send it" every monday', "must mention a person"),
    (f"{COMMIT} every blursday", "is not a day of the week"),
    (f"{COMMIT} every 0 weeks on friday", "out of range"),
    (f"{COMMIT} every 60 weeks on friday", "out of range"),
    (f"{COMMIT} every month on the 32nd", "no day 32"),
    (f"{COMMIT} every monday at 25:00", "not a time of day"),
    (f"{COMMIT} every monday at noonish", "not a time of day"),
    (f"{COMMIT} by 2020-01-01", "in the past"),
    (f"{COMMIT} by 2026-02-30", "not a real date"),
    (f"{COMMIT} by the twelfth of never", "not a date I understand"),
    (f"{COMMIT} by", "due date is missing"),
    (f"{COMMIT} sometime soon", "every …` or `by …"),
    (f"{COMMIT} at 10:00", "Say when"),
    (f"{COMMIT} every RRULE:FREQ=SOMETIMES", "not a valid RFC 5545 rule"),
    (f"{COMMIT} every RRULE:FREQ=HOURLY", "at most daily"),
    (f'commit Acme vendor <@U0ENG> "{"x" * 301}" every monday', "at most 300 characters"),
    ('commit Acme vendor <@U0ENG> "" every monday', "double quotes"),
    ("x" * 2001, "limit is 2000"),
]


@pytest.mark.parametrize(("text", "expected"), MALFORMED, ids=[t[:40] for t, _ in MALFORMED])
def test_malformed_command_gets_a_clear_error(text: str, expected: str) -> None:
    with pytest.raises(CommandError) as raised:
        parse(text, today=TODAY)
    assert expected in raised.value.reply


def test_errors_about_a_subcommand_show_its_form() -> None:
    with pytest.raises(CommandError) as raised:
        parse(f"{COMMIT} every blursday", today=TODAY)
    assert "/accountability commit <Account> customer|vendor" in raised.value.reply


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=300))
def test_random_text_never_raises_anything_but_a_command_error(text: str) -> None:
    try:
        result = parse(text, today=TODAY)
    except CommandError as exc:
        assert exc.reply.strip()
    else:
        assert isinstance(result, Command)


WORDS = st.sampled_from(
    ["commit", "account", "add", "Acme", "customer", "vendor", "<@U0CHAMP>", '"do it"', "every", "by", "at",
     "monday", "day", "2", "weeks", "on", "friday", "tomorrow", "10:00", "channel:<#C0A>", "champion:<@U0B>",
     "escalations:<#C0C>", "RRULE:FREQ=WEEKLY", "month", "the", "1st", '"', "“", "in", "3", "days"]
)  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(st.lists(WORDS, max_size=12))
def test_random_command_shaped_text_never_raises_anything_but_a_command_error(words: list[str]) -> None:
    try:
        parse(" ".join(words), today=TODAY)
    except CommandError as exc:
        assert exc.reply.strip()


def test_readme_command_reference_matches_help(repo_root: Path) -> None:
    readme = (repo_root / "README.md").read_text()
    start = readme.index("<!-- command-reference:start -->\n") + len("<!-- command-reference:start -->\n")
    end = readme.index("<!-- command-reference:end -->")
    assert readme[start:end].strip() == reference_markdown().strip(), "run scripts/update_readme_reference.py"
    for entry in SUBCOMMANDS:
        assert entry.usage.splitlines()[0] in help_text()


def test_account_add_reads_where_checkins_go_and_the_weekly_review() -> None:
    command = parse(
        "account add Acme channel:<#C0001> escalations:<#C0002> champion:<@U0001> checkins:CHANNEL review:thu 16:30",
        today=TODAY,
    )
    assert isinstance(command, AccountAdd)
    assert command.checkin_delivery == "channel"
    assert command.review == "3 16:30"


def test_account_add_without_options_sends_checkins_auto_and_keeps_the_default_review() -> None:
    command = parse("account add Acme channel:<#C0001> escalations:<#C0002> champion:<@U0001>", today=TODAY)
    assert isinstance(command, AccountAdd)
    assert (command.checkin_delivery, command.review) == ("auto", None)


@pytest.mark.parametrize(
    ("option", "expected"),
    [
        ("review:off", ("review", "off")),
        ("review:friday", ("review", "4 15:00")),
        ("checkins:dm", ("checkins", "dm")),
    ],
)
def test_account_edit_reads_review_and_checkins(option: str, expected: tuple[str, str]) -> None:
    command = parse(f"account edit Acme {option}", today=TODAY)
    assert isinstance(command, AccountEdit)
    assert command.changes == (expected,)


@pytest.mark.parametrize(
    ("option", "said"),
    [
        ("checkins:email", "checkins: is where check-ins go"),
        ("review:someday", "is not a day of the week"),
        ("review:fri 25:00", "25:00"),
    ],
)
def test_bad_checkins_or_review_option_names_the_right_form(option: str, said: str) -> None:
    with pytest.raises(CommandError) as refused:
        parse(f"account edit Acme {option}", today=TODAY)
    assert said in refused.value.message
    assert "checkins:dm|channel|auto" in (refused.value.usage or "")
