"""What the weekly review says: each side's kept-rate (the digest's definition) for the week and the
last four, what each side has due in the coming week, and the agreement questions still open."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from bot.digest.scorecard import KeptRate
from bot.review.figures import ReviewFigures, review_figures
from bot.review.message import review_blocks, review_text
from models import Account, Agreement, Commitment, CommitmentStatus, Side, WeeklyReview
from tests.factories import VENDOR_TEAM, add_history, make_account, make_commitment

CREATED = datetime(2026, 10, 26, 12, 0, tzinfo=UTC)
REVIEW_AT = datetime(2026, 12, 4, 15, 0, tzinfo=UTC)  # Friday 15:00 in London (GMT)


def history(sessions: sessionmaker[Session]) -> dict[str, int]:
    account_id = make_account(sessions, now=CREATED)
    customer = make_commitment(sessions, account_id=account_id, now=CREATED)  # Mondays 10:00 London
    vendor = make_commitment(
        sessions, account_id=account_id, now=CREATED, owner="U0ENG", tz="Asia/Tokyo",
        every="every wednesday", side=Side.VENDOR,
    )  # fmt: skip
    one_off = make_commitment(
        sessions, account_id=account_id, now=CREATED, owner="U0ENG", tz="Asia/Tokyo", side=Side.VENDOR
    )
    paused = make_commitment(sessions, account_id=account_id, now=CREATED)
    unagreed = make_commitment(sessions, account_id=account_id, now=CREATED)
    # Newest first, weekly: this week Done; the four weeks to the review Done, none, Partly, Done;
    # the Blocked five weeks back is outside both.
    add_history(
        sessions,
        commitment_id=customer,
        newest=datetime(2026, 11, 30, 10, 0, tzinfo=UTC),
        outcomes=["done", "none", "partly", "done", "blocked"],
    )
    add_history(
        sessions,
        commitment_id=vendor,
        newest=datetime(2026, 12, 2, 1, 0, tzinfo=UTC),
        outcomes=["not_yet", "done", "skipped"],
    )
    with sessions.begin() as session:
        due_once = session.get_one(Commitment, one_off)
        due_once.rrule, due_once.due_on = None, date(2026, 12, 8)
        due_once.action = "Ship the <!here> SSO fix & docs"
        session.get_one(Account, account_id).desired_outcome = "Cut onboarding to <2 weeks> & keep it"
        session.get_one(Commitment, paused).status = CommitmentStatus.PAUSED
        session.get_one(Commitment, unagreed).agreed_at = None
        review = WeeklyReview(
            team_id=VENDOR_TEAM, account_id=account_id, week_start=date(2026, 11, 30), state="posted",
            claimed_at=REVIEW_AT, due_at=REVIEW_AT, channel_id="C0SHARED", message_ts="1.1",
        )  # fmt: skip
        session.add(review)
        session.flush()
        return {
            "account": account_id, "review": review.id, "customer": customer, "vendor": vendor,
            "one_off": one_off, "unagreed": unagreed,
        }  # fmt: skip


def figures(sessions: sessionmaker[Session], review_id: int) -> ReviewFigures:
    with sessions() as session:
        return review_figures(session, session.get_one(WeeklyReview, review_id))


def test_each_sides_kept_rate_for_the_week_and_the_last_four_weeks(sessions: sessionmaker[Session]) -> None:
    ids = history(sessions)
    shown = figures(sessions, ids["review"])
    assert shown.rates[Side.CUSTOMER].week == KeptRate(1, 1)
    assert shown.rates[Side.CUSTOMER].recent == KeptRate(2.5, 4)
    assert shown.rates[Side.VENDOR].week == KeptRate(0, 1)
    assert shown.rates[Side.VENDOR].recent == KeptRate(1, 2)  # the skipped week counts for no one
    assert shown.tz == "Europe/London"


def test_what_each_side_has_due_in_the_seven_days_after_the_review(sessions: sessionmaker[Session]) -> None:
    ids = history(sessions)
    shown = figures(sessions, ids["review"])
    [customer] = shown.due[Side.CUSTOMER]  # the paused and the unagreed commitments have nothing due
    assert customer.commitment_id == ids["customer"] and customer.due_on is None
    assert [f"{t:%a %d %b %H:%M}" for t in customer.checkins] == ["Mon 07 Dec 10:00"]
    vendor = {item.commitment_id: item for item in shown.due[Side.VENDOR]}
    assert [f"{t:%a %d %b %H:%M}" for t in vendor[ids["vendor"]].checkins] == ["Wed 09 Dec 10:00"]
    assert vendor[ids["vendor"]].tz == "Asia/Tokyo"
    assert vendor[ids["one_off"]].due_on == date(2026, 12, 8)


def test_commitments_never_put_to_the_champion_are_an_open_question(sessions: sessionmaker[Session]) -> None:
    ids = history(sessions)
    shown = figures(sessions, ids["review"])
    assert shown.unposted == [ids["unagreed"]]
    assert shown.awaiting == []
    text = "\n".join(b["text"]["text"] for b in review_blocks(shown) if b["type"] == "section")
    assert f"#{ids['unagreed']} is not yet in a plan put to <@U0CHAMP>" in text


def test_a_lets_discuss_answer_still_open_is_an_open_question(sessions: sessionmaker[Session]) -> None:
    ids = history(sessions)
    with sessions.begin() as session:
        account = session.get_one(Account, ids["account"])
        session.add(
            Agreement(
                team_id=VENDOR_TEAM, account_id=account.id, version=account.plan_version, plan="…",
                posted_at=REVIEW_AT - timedelta(days=2), message_ts="1.2", response="discuss",
                responded_by="U0CHAMP", responded_at=REVIEW_AT - timedelta(days=1),
            )
        )  # fmt: skip
    shown = figures(sessions, ids["review"])
    assert shown.unposted == []
    assert [(a.version, a.discuss) for a in shown.awaiting] == [(1, True)]
    text = "\n".join(b["text"]["text"] for b in review_blocks(shown) if b["type"] == "section")
    assert "<@U0CHAMP> asked to discuss version 1 of the joint plan" in text


def test_the_message_states_the_figures_and_escapes_what_people_typed(
    sessions: sessionmaker[Session],
) -> None:
    ids = history(sessions)
    shown = figures(sessions, ids["review"])
    blocks = review_blocks(shown)
    assert blocks[0]["text"]["text"] == "Weekly review — Acme"
    text = json.dumps(blocks, ensure_ascii=False)
    assert "Customer side: this week kept 1 of 1 (100 %) · last 4 weeks kept 2.5 of 4 (62 %)" in text
    assert "Vendor side: this week kept 0 of 1 (0 %) · last 4 weeks kept 1 of 2 (50 %)" in text
    assert "Ship the &lt;!here&gt; SSO fix &amp; docs” — <@U0ENG>, due Tue 08 Dec" in text
    assert "_Desired Outcome:_ Cut onboarding to &lt;2 weeks&gt; &amp; keep it" in text
    assert "<!here>" not in text and "<2 weeks>" not in text
    buttons = [e for b in blocks if b["type"] == "actions" for e in b["elements"]]
    assert [(b["action_id"], b["value"]) for b in buttons] == [
        ("review_confident", str(ids["review"])),
        ("review_unsure", str(ids["review"])),
    ]
    assert review_text(shown).startswith(
        "Weekly review for Acme: customer side kept 1 of 1 (100 %); vendor side kept 0 of 1 (0 %) this week."
    )
