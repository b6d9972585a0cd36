"""Every button and every form, sent as Alpha's people (its CSM, an accountability admin of Alpha, and
its champion) but naming a row of Beta in its value or private metadata: Beta's rows stay as they were,
no Slack call goes out with Beta's token, and nothing of Beta is shown to the person.

The ids are real rows of Beta of the right kind, so only the installation scope stands between the
request and the row: Alpha's CSM is an admin (allowed everything on Alpha's accounts), and Beta's
autopsy names Alpha's champion, a customer of both vendors."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from bot.accounts.plan_message import AGREE, DISCUSS
from bot.checkins.message import CHANGE_ACTION, PROPOSE_ACTION
from bot.diary.pages import PAGE_ACTION
from bot.escalation.message import ACK, AUTOPSY, CLEAR_RISK, RESOLVE
from bot.escalation.signoff import SIGN_OFF
from bot.home import MARK_DONE
from bot.people.away_form import AWAY_BUTTON
from bot.people.handover_message import (
    HAND_OVER_CHAMPION,
    HAND_OVER_COMMITMENT,
    champion_block_id,
    commitment_block_id,
)
from bot.renegotiation.message import ACCEPT, DECLINE
from bot.review.message import CONFIDENT, UNSURE
from models import (
    Account,
    Agreement,
    Autopsy,
    AutopsyParticipant,
    CheckIn,
    Escalation,
    EscalationState,
    Handover,
    Person,
    Proposal,
    Side,
    WeeklyReview,
)
from slack_emulator.outbound import HttpResult
from tests.e2e.test_escalation_end_to_end import autopsy_values
from tests.e2e.test_forms_end_to_end import account_values, commit_values
from tests.oauth.conftest import ALPHA, BETA, MARKER, PEOPLE, TUESDAY_CHECKINS, Workspaces, agree
from tests.oauth.test_isolation import assert_only_own

NOW = TUESDAY_CHECKINS
ALPHA_CSM, ALPHA_CHAMPION, ALPHA_DESK = PEOPLE[ALPHA]
# Nothing of Beta may reach Alpha's people: its commitment, its channels, its people.
BETA_TEXT = (MARKER[BETA], "C0BETA", "U0BETA")


@dataclass
class Rows:
    """One row of each kind, all of Beta."""

    account: int
    commitment: int
    checkin: int
    agreement: int
    escalation: int
    autopsy: int
    review: int
    proposal: int
    handover: int


def beta_rows(spaces: Workspaces) -> Rows:
    """Beta's plan agreed, its check-in sent by the clock, a proposal made by its CSM's command; the
    rows the clock would open after weeks (escalation, autopsy, review, hand-over) written directly."""
    agree(spaces, BETA)
    spaces.clock_pass(NOW)
    beta_csm, beta_champion, beta_desk = PEOPLE[BETA]
    commitment = spaces.commitment[BETA]
    reply = spaces.run(BETA, f'propose #{commitment} by dec 20 "{MARKER[BETA]} needs more time"')
    assert "propos" in reply.lower(), reply
    with spaces.sessions.begin() as session:

        def beta(model: Any) -> int:
            return int(session.scalars(select(model.id).where(model.team_id == BETA)).one())

        account = beta(Account)
        escalation = Escalation(
            team_id=BETA, account_id=account, commitment_id=commitment, side=Side.CUSTOMER,
            kind="customer_slip", episode_key=f"{commitment}:customer_slip", level=1,
            state=EscalationState.OPEN, opened_at=NOW, summary=f"{MARKER[BETA]} slipped",
            post_pending=False, channel_id="C0BETAESC", message_ts="1764000000.000200",
        )  # fmt: skip
        session.add(escalation)
        autopsy = Autopsy(team_id=BETA, account_id=account, causes="[]", created_by=beta_csm, created_at=NOW)
        session.add(autopsy)
        session.flush()
        session.add(AutopsyParticipant(team_id=BETA, autopsy_id=autopsy.id, user_id=ALPHA_CHAMPION))
        review = WeeklyReview(
            team_id=BETA, account_id=account, week_start=date(2026, 11, 23), state="posted", claimed_at=NOW,
            channel_id=beta_desk, message_ts="1764000000.000300", posted_at=NOW, due_at=NOW,
        )  # fmt: skip
        champion = session.scalars(
            select(Person.id).where(Person.team_id == BETA, Person.user_id == beta_champion)
        ).one()
        handover = Handover(
            team_id=BETA, account_id=account, person_id=champion, reason="left_channel", was_champion=True,
            opened_at=NOW, ask_user_id=beta_csm, channel_id="D0BETACSM", message_ts="1764000000.000400",
        )  # fmt: skip
        session.add_all([review, handover])
        session.flush()
        return Rows(
            account=account,
            commitment=commitment,
            checkin=beta(CheckIn),
            agreement=beta(Agreement),
            escalation=escalation.id,
            autopsy=autopsy.id,
            review=review.id,
            proposal=beta(Proposal),
            handover=handover.id,
        )


Send = Callable[[Workspaces, Rows, str], HttpResult]


def click(action_id: str, value: Callable[[Rows], str], *, home: bool = False) -> Send:
    def send(spaces: Workspaces, rows: Rows, user_id: str) -> HttpResult:
        return spaces.app.sender(ALPHA).click(
            action_id=action_id,
            value=value(rows),
            user_id=user_id,
            channel_id=None if home else ALPHA_DESK,
            message_ts=None if home else "1764000000.000500",
            team_id=ALPHA,
            container_type="view" if home else "message",
        )

    return send


def change(spaces: Workspaces, rows: Rows, user_id: str) -> HttpResult:
    """The overflow's chosen option, as Slack sends an overflow (no `value`, a `selected_option`)."""
    sender = spaces.app.sender(ALPHA)
    payload = {
        "type": "block_actions",
        "team": {"id": ALPHA, "domain": "vendor"},
        "user": {"id": user_id, "username": user_id.lower(), "team_id": ALPHA},
        "api_app_id": "A0APP",
        "token": "legacy-verification-token",
        "trigger_id": sender.new_trigger_id(),
        "response_url": sender.new_response_url(),
        "container": {"type": "message", "message_ts": "1764000000.000500", "channel_id": ALPHA_DESK},
        "channel": {"id": ALPHA_DESK, "name": "desk"},
        "message": {"type": "message", "ts": "1764000000.000500", "text": "check-in"},
        "actions": [
            {
                "type": "overflow",
                "action_id": CHANGE_ACTION,
                "block_id": "checkin",
                "selected_option": {
                    "value": f"{rows.checkin}:done",
                    "text": {"type": "plain_text", "text": "x"},
                },
                "action_ts": "1764000000.000600",
            }
        ],
    }
    from urllib.parse import urlencode

    return sender.post(
        urlencode({"payload": json.dumps(payload)}), content_type="application/x-www-form-urlencoded"
    )


def pick(action_id: str, block_id: Callable[[Rows], str]) -> Send:
    def send(spaces: Workspaces, rows: Rows, user_id: str) -> HttpResult:
        return spaces.app.sender(ALPHA).select_user(
            action_id=action_id,
            block_id=block_id(rows),
            selected_user=ALPHA_CSM,
            user_id=user_id,
            channel_id=ALPHA_DESK,
            message_ts="1764000000.000500",
        )

    return send


def text(value: str) -> dict[str, Any]:
    return {"type": "plain_text_input", "value": value}


def form(callback_id: str, values: Callable[[Rows], dict[str, Any]], metadata: Callable[[Rows], Any]) -> Send:
    def send(spaces: Workspaces, rows: Rows, user_id: str) -> HttpResult:
        meta = metadata(rows)
        return spaces.app.sender(ALPHA).submit_view(
            callback_id=callback_id,
            values=values(rows),
            user_id=user_id,
            private_metadata=json.dumps(meta) if meta is not None else "",
        )

    return send


REQUESTS: dict[str, Send] = {
    **{
        f"checkin_answer_{answer}": click(f"checkin_answer_{answer}", lambda r: str(r.checkin))
        for answer in ("done", "partly", "blocked", "not_yet", "snoozed")
    },
    CHANGE_ACTION: change,
    MARK_DONE: click(MARK_DONE, lambda r: str(r.commitment), home=True),
    AGREE: click(AGREE, lambda r: str(r.agreement)),
    DISCUSS: click(DISCUSS, lambda r: str(r.agreement)),
    f"{PAGE_ACTION}_next": click(
        f"{PAGE_ACTION}_next", lambda r: json.dumps({"account_id": r.account, "since": None, "page": 1})
    ),
    f"{PAGE_ACTION}_prev": click(
        f"{PAGE_ACTION}_prev", lambda r: json.dumps({"account_id": r.account, "since": None, "page": 0})
    ),
    ACK: click(ACK, lambda r: str(r.escalation)),
    RESOLVE: click(RESOLVE, lambda r: str(r.escalation)),
    AUTOPSY: click(AUTOPSY, lambda r: str(r.escalation)),
    CLEAR_RISK: click(CLEAR_RISK, lambda r: str(r.escalation)),
    SIGN_OFF: click(SIGN_OFF, lambda r: str(r.autopsy)),
    CONFIDENT: click(CONFIDENT, lambda r: str(r.review)),
    UNSURE: click(UNSURE, lambda r: str(r.review)),
    f"{PROPOSE_ACTION} (check-in)": click(PROPOSE_ACTION, lambda r: f"checkin:{r.checkin}"),
    f"{PROPOSE_ACTION} (commitment)": click(PROPOSE_ACTION, lambda r: f"commitment:{r.commitment}"),
    ACCEPT: click(ACCEPT, lambda r: str(r.proposal)),
    DECLINE: click(DECLINE, lambda r: str(r.proposal)),
    AWAY_BUTTON: click(AWAY_BUTTON, lambda r: "away"),
    HAND_OVER_COMMITMENT: pick(HAND_OVER_COMMITMENT, lambda r: commitment_block_id(r.handover, r.commitment)),
    HAND_OVER_CHAMPION: pick(HAND_OVER_CHAMPION, lambda r: champion_block_id(r.handover)),
    # A new account (its own channel and champion): nothing of Beta to name, so this checks that what the
    # form creates lands in Alpha only.
    "view:account_add_form": form("account_add_form", lambda r: account_values(), lambda r: None),
    "view:commit_form": form("commit_form", lambda r: commit_values("every friday"), lambda r: None),
    "view:autopsy_form": form(
        "autopsy_form", lambda r: autopsy_values(), lambda r: {"account_id": r.account, "escalation_id": r.escalation}
    ),
    "view:checkin_note_form": form(
        "checkin_note_form", lambda r: {"note": text("Waiting on IT")}, lambda r: {"checkin_id": r.checkin, "answer": "blocked"}
    ),
    "view:escalation_resolve_form": form(
        "escalation_resolve_form", lambda r: {"note": text("Agreed a date")}, lambda r: {"escalation_id": r.escalation}
    ),
    "view:escalation_clear_risk_form": form(
        "escalation_clear_risk_form", lambda r: {"reason": text("Sponsor back")}, lambda r: {"escalation_id": r.escalation}
    ),
    "view:review_unsure_form": form(
        "review_unsure_form", lambda r: {"note": text("Staff on leave")}, lambda r: {"review_id": r.review}
    ),
    "view:proposal_form": form(
        "proposal_form",
        lambda r: {"new": text("dec 24"), "reason": text("more time")},
        lambda r: {"commitment_id": r.commitment, "checkin_id": r.checkin, "by_date": True, "origin": ALPHA_DESK},
    ),
    "view:proposal_decline_form": form(
        "proposal_decline_form", lambda r: {"note": text("No")}, lambda r: {"proposal_id": r.proposal, "origin": ALPHA_DESK}
    ),
    "view:away_form": form(
        "away_form", lambda r: {"until": text("dec 20"), "reason": text("leave")}, lambda r: {"origin": ALPHA_DESK}
    ),
}  # fmt: skip


@pytest.mark.parametrize("request_id", list(REQUESTS))
def test_a_request_naming_a_row_of_the_other_workspace_changes_and_shows_nothing_of_it(
    workspaces: Workspaces, request_id: str
) -> None:
    rows = beta_rows(workspaces)
    before_beta = workspaces.snapshot(BETA)
    for user_id in (ALPHA_CSM, ALPHA_CHAMPION):
        start = len(workspaces.emulator.calls)

        result = REQUESTS[request_id](workspaces, rows, user_id)

        assert result.status == 200, result
        workspaces.app.quiet()
        shown = [result.body] + [json.dumps(c.params) for c in workspaces.emulator.calls[start:]]
        assert not any(beta in s for s in shown for beta in BETA_TEXT), shown
        assert_only_own(workspaces, ALPHA, start, before_beta)


def test_the_same_requests_for_alphas_own_rows_do_change_alpha(workspaces: Workspaces) -> None:
    """The control: the values above are ones the handlers accept, so a refusal of Beta's rows is the
    installation scope at work, not a malformed request."""
    agree(workspaces, ALPHA)
    workspaces.clock_pass(NOW)
    with workspaces.sessions.begin() as session:
        checkin = session.scalars(select(CheckIn.id).where(CheckIn.team_id == ALPHA)).one()
        account = session.scalars(select(Account.id).where(Account.team_id == ALPHA)).one()
        escalation = Escalation(
            team_id=ALPHA, account_id=account, commitment_id=workspaces.commitment[ALPHA], side=Side.CUSTOMER,
            kind="customer_slip", episode_key="own:customer_slip", level=1, state=EscalationState.OPEN,
            opened_at=NOW, summary="slipped", post_pending=False,
        )  # fmt: skip
        session.add(escalation)
        session.flush()
        escalation_id = escalation.id
    own = Rows(account, workspaces.commitment[ALPHA], checkin, 0, escalation_id, 0, 0, 0, 0)
    for request_id, user_id in (("checkin_answer_done", ALPHA_CHAMPION), (ACK, ALPHA_CSM)):
        before = workspaces.snapshot(ALPHA)
        assert REQUESTS[request_id](workspaces, own, user_id).status == 200
        workspaces.app.quiet()
        assert workspaces.snapshot(ALPHA) != before, request_id
