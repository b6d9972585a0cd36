"""The instants the clock stores so an idle pass reads only what is due: each account's next weekly
review (`Account.next_review_at`) and next weekly digest (`Account.next_digest_at`). A pass stores
them, a change of what they depend on moves them, and the pass still posts at the new time."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.accounts.access import Actor
from bot.accounts.people import upsert_person
from bot.accounts.registry import AccountEdit, edit_account
from bot.checkins.scheduling import NEVER
from bot.digest.posting import post_due_digests
from bot.digest.settings import DigestSettings, change_digest_settings
from bot.review.posting import post_due_reviews
from bot.slack.gateway import SlackGateway, SlackProfile
from models import Account, Commitment, Side
from slack_emulator import SlackEmulator
from tests.conftest import ADMIN, CHAMPION, CSM, SHARED_CHANNEL, VENDOR_TEAM
from tests.factories import make_account, make_commitment

CREATED = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)  # a Monday
THURSDAY = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
REVIEW_AT = datetime(2026, 12, 4, 15, 0, tzinfo=UTC)  # Friday 15:00 in London, the champion's zone
DIGEST_AT = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)  # Monday 09:00 UTC, the default digest time
DESK = "C0CSMDESK"
CSM_ACTOR = Actor(user_id=CSM, team_id=VENDOR_TEAM, enterprise_id=None, is_admin=False, is_external=False)
ADMIN_ACTOR = Actor(user_id=ADMIN, team_id=VENDOR_TEAM, enterprise_id=None, is_admin=True, is_external=False)


def acme(sessions: sessionmaker[Session]) -> int:
    """Acme, its champion in London, reporting to the CSM's desk; no check-in for the clock to send."""
    account_id = make_account(sessions, now=CREATED)
    make_commitment(sessions, account_id=account_id, now=CREATED)
    with sessions.begin() as session:
        session.get_one(Account, account_id).digest_channel_id = DESK
        for commitment in session.scalars(select(Commitment)):
            commitment.next_checkin_at = NEVER
    return account_id


def bounds(sessions: sessionmaker[Session], account_id: int) -> tuple[datetime | None, datetime | None]:
    with sessions() as session:
        account = session.get_one(Account, account_id)
        return account.next_review_at, account.next_digest_at


def review_posts(emulator: SlackEmulator) -> int:
    return sum(
        1
        for c in emulator.calls_to("chat.postMessage")
        if c.params["channel"] == SHARED_CHANNEL and c.params["text"].startswith("Weekly review")
    )


def test_a_pass_stores_the_next_review_and_moves_it_a_week_once_the_review_is_posted(
    sessions: sessionmaker[Session], emulator: SlackEmulator, gateway: SlackGateway
) -> None:
    account_id = acme(sessions)
    assert bounds(sessions, account_id) == (None, None)  # a new account: the clock looks
    assert post_due_reviews(sessions, gateway, now=THURSDAY) == 0
    assert bounds(sessions, account_id)[0] == REVIEW_AT
    # Before its instant the account is not due; at it, the review goes out and the bound moves on.
    assert post_due_reviews(sessions, gateway, now=REVIEW_AT - timedelta(minutes=1)) == 0
    assert post_due_reviews(sessions, gateway, now=REVIEW_AT) == 1
    assert bounds(sessions, account_id)[0] == REVIEW_AT + timedelta(weeks=1)
    assert post_due_reviews(sessions, gateway, now=REVIEW_AT + timedelta(hours=2)) == 0
    assert review_posts(emulator) == 1


def test_a_review_slack_refused_keeps_its_bound_until_it_is_posted(
    sessions: sessionmaker[Session], emulator: SlackEmulator, gateway: SlackGateway
) -> None:
    account_id = acme(sessions)
    emulator.set_channel(SHARED_CHANNEL, bot_member=False)
    assert post_due_reviews(sessions, gateway, now=REVIEW_AT) == 0
    assert bounds(sessions, account_id)[0] is None  # still due today: every pass looks at it
    emulator.set_channel(SHARED_CHANNEL, bot_member=True)
    assert post_due_reviews(sessions, gateway, now=REVIEW_AT + timedelta(minutes=10)) == 1
    assert bounds(sessions, account_id)[0] == REVIEW_AT + timedelta(weeks=1)


def test_changing_the_review_day_moves_the_stored_instant_and_the_review_comes_on_the_new_day(
    sessions: sessionmaker[Session], emulator: SlackEmulator, gateway: SlackGateway
) -> None:
    account_id = acme(sessions)
    assert post_due_reviews(sessions, gateway, now=datetime(2026, 11, 30, 12, 0, tzinfo=UTC)) == 0
    assert bounds(sessions, account_id)[0] == REVIEW_AT
    with sessions.begin() as session:
        edit_account(
            session, AccountEdit(name="Acme", changes=(("review", "2 10:00"),)), actor=CSM_ACTOR, now=THURSDAY
        )
    assert bounds(sessions, account_id)[0] is None
    wednesday_10am = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
    assert post_due_reviews(sessions, gateway, now=wednesday_10am) == 1
    assert bounds(sessions, account_id)[0] == wednesday_10am + timedelta(weeks=1)
    # Turned off, the account is set aside until the review is turned on again.
    with sessions.begin() as session:
        edit_account(
            session, AccountEdit(name="Acme", changes=(("review", None),)), actor=CSM_ACTOR, now=THURSDAY
        )
    assert post_due_reviews(sessions, gateway, now=THURSDAY) == 0
    assert bounds(sessions, account_id)[0] == NEVER
    assert review_posts(emulator) == 1


def test_a_champion_moving_zone_moves_the_review_with_them(
    sessions: sessionmaker[Session], emulator: SlackEmulator, gateway: SlackGateway
) -> None:
    account_id = acme(sessions)
    assert post_due_reviews(sessions, gateway, now=THURSDAY) == 0
    assert bounds(sessions, account_id)[0] == REVIEW_AT
    with sessions.begin() as session:
        upsert_person(
            session, team_id=VENDOR_TEAM, enterprise_id=None, user_id=CHAMPION, role_side=Side.CUSTOMER,
            profile=SlackProfile(user_id=CHAMPION, team_id="T0CUSTOMER", name="Champion", tz="America/New_York",
                                 is_bot=False, is_stranger=False, deleted=False),
            now=THURSDAY,
        )  # fmt: skip
    assert bounds(sessions, account_id)[0] is None
    # Friday 15:00 in New York is 20:00 UTC: not at 15:00 UTC any more.
    assert post_due_reviews(sessions, gateway, now=REVIEW_AT) == 0
    friday_3pm_new_york = datetime(2026, 12, 4, 20, 0, tzinfo=UTC)
    assert bounds(sessions, account_id)[0] == friday_3pm_new_york
    assert post_due_reviews(sessions, gateway, now=friday_3pm_new_york) == 1


def test_the_digest_bound_follows_the_workspace_schedule_and_the_digest_comes_at_the_new_time(
    sessions: sessionmaker[Session], emulator: SlackEmulator, gateway: SlackGateway
) -> None:
    account_id = acme(sessions)
    assert post_due_digests(sessions, gateway, now=THURSDAY) == 0
    assert bounds(sessions, account_id)[1] == DIGEST_AT
    assert post_due_digests(sessions, gateway, now=DIGEST_AT - timedelta(minutes=1)) == 0
    # An admin moves the digest to Friday 16:00 in Berlin: the bound is worked out again.
    with sessions.begin() as session:
        change_digest_settings(
            session,
            DigestSettings(weekday=4, at=time(16, 0), tz="Europe/Berlin"),
            actor=ADMIN_ACTOR,
            now=THURSDAY,
        )
    assert bounds(sessions, account_id)[1] is None
    assert post_due_digests(sessions, gateway, now=THURSDAY) == 0
    friday_4pm_berlin = datetime(2026, 12, 4, 15, 0, tzinfo=UTC)
    assert bounds(sessions, account_id)[1] == friday_4pm_berlin
    assert post_due_digests(sessions, gateway, now=friday_4pm_berlin) == 1
    assert bounds(sessions, account_id)[1] == friday_4pm_berlin + timedelta(weeks=1)
    assert post_due_digests(sessions, gateway, now=friday_4pm_berlin + timedelta(hours=1)) == 0
    assert len([c for c in emulator.calls_to("chat.postMessage") if c.params["channel"] == DESK]) == 1


def test_an_account_moved_to_a_new_digest_channel_is_looked_at_again(
    sessions: sessionmaker[Session], emulator: SlackEmulator, gateway: SlackGateway
) -> None:
    account_id = acme(sessions)
    assert post_due_digests(sessions, gateway, now=DIGEST_AT) == 1
    assert bounds(sessions, account_id)[1] == DIGEST_AT + timedelta(weeks=1)
    # The same Monday the account moves to another channel, which has not had this week's digest.
    with sessions.begin() as session:
        edit_account(
            session, AccountEdit(name="Acme", changes=(("digest", "C0OTHERDESK"),)), actor=CSM_ACTOR,
            now=DIGEST_AT + timedelta(hours=1),
        )  # fmt: skip
    assert bounds(sessions, account_id)[1] is None
    # Slack refuses the first try: the bound stays, and a later pass tries again.
    assert post_due_digests(sessions, gateway, now=DIGEST_AT + timedelta(hours=2)) == 0
    assert bounds(sessions, account_id)[1] is None
    emulator.add_channel("C0OTHERDESK", name="other-desk")
    assert post_due_digests(sessions, gateway, now=DIGEST_AT + timedelta(hours=3)) == 1
    assert len(emulator.messages(DESK)) == 1 and len(emulator.messages("C0OTHERDESK")) == 1
    assert bounds(sessions, account_id)[1] == DIGEST_AT + timedelta(weeks=1)
