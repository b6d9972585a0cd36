"""The at-risk autopsy: root causes recorded while the account can still be rescued, with the side that
owns each cause and the corrective actions agreed, which become commitments like any other."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from slack_sdk.models.blocks import (
    CheckboxesElement,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    SectionBlock,
    StaticSelectElement,
    UserMultiSelectElement,
    UserSelectElement,
)
from sqlalchemy.orm import Session

from bot.accounts.commitments import MAX_ACTION, Commit
from bot.checkins.recurrence import ScheduleError, parse_due_date, parse_recurrence
from bot.diary import entries as diary
from bot.slack.modals import VALUE, FormError, field_value, modal, text_input
from bot.slack.mrkdwn import escape
from models import Account, Autopsy, AutopsyParticipant, Side

AUTOPSY_FORM = "autopsy_form"
RESOLVE_FORM = "escalation_resolve_form"
MAX_TEXT = 500
MAX_PARTICIPANTS = 10

CAUSES: dict[str, str] = {
    "mis_sold": "Solution mis-sold",
    "product_flaw": "Product flaw",
    "handoff_docs": "Poor hand-off documentation",
    "records_hidden": "Records not visible to the post-sales team",
    "services_scoping": "Services poorly scoped or delivered",
    "provisioning": "Provisioning flaw",
    "onboarding": "Onboarding rushed or missing",
    "support_root_cause": "Support closing without root cause",
    "cs_missed_signals": "CS missed the signals",
    "customer_capacity": "Customer capacity or sponsor change",
    "other": "Other",
}


OTHER = "other"


def _side_input(block_id: str, label: str) -> InputBlock:
    sides = [Option(value=s.value, text=s.value.capitalize()) for s in Side]
    return InputBlock(
        block_id=block_id,
        label=label,
        optional=True,
        element=StaticSelectElement(action_id=VALUE, options=sides),
    )


def autopsy_form(*, account_id: int, escalation_id: int | None, account_name: str) -> dict[str, Any]:
    # Slack allows ten options per checkbox group: the ten named causes are ticked, and any other
    # cause is written out below with the side that owns it.
    options = [Option(value=key, text=label) for key, label in CAUSES.items() if key != OTHER]
    blocks = [
        SectionBlock(text=MarkdownTextObject(text=f"Why is *{escape(account_name)}* at risk? Tick every cause and say which side owns it.")),
        *(InputBlock(block_id=f"{side}_causes", label=f"Causes owned by the {side}", optional=True,
                     element=CheckboxesElement(action_id=VALUE, options=options)) for side in ("vendor", "customer")),
        text_input("other", "Another cause, in your words", max_length=MAX_TEXT, optional=True),
        _side_input("other_side", "Whose is that cause?"),
        text_input("fix_action", "Corrective action (becomes a commitment)", max_length=MAX_ACTION, optional=True),
        _side_input("fix_side", "Its side"),
        InputBlock(block_id="fix_owner", label="Its owner", optional=True, element=UserSelectElement(action_id=VALUE)),
        text_input("fix_schedule", "When", max_length=200, optional=True, hint="every monday — or by dec 15"),
        InputBlock(block_id="participants", label="Who takes part (each signs it off)", optional=True,
                   hint="Each executive leader of the account's lifecycle: sales, services, support, success.",
                   element=UserMultiSelectElement(action_id=VALUE, max_selected_items=MAX_PARTICIPANTS)),
    ]  # fmt: skip
    metadata = {"account_id": account_id, "escalation_id": escalation_id}
    return modal(
        callback_id=AUTOPSY_FORM,
        title="Account autopsy",
        submit="Record",
        private_metadata=json.dumps(metadata),
        blocks=list(blocks),
    )


def resolve_form(*, escalation_id: int) -> dict[str, Any]:
    note = InputBlock(
        block_id="note",
        label="How was it resolved?",
        element=PlainTextInputElement(action_id=VALUE, multiline=True, max_length=MAX_TEXT),
    )
    metadata = {"escalation_id": escalation_id}
    return modal(
        callback_id=RESOLVE_FORM,
        title="Resolve escalation",
        submit="Resolve",
        private_metadata=json.dumps(metadata),
        blocks=[note],
    )


def read_resolve_form(view: dict[str, Any]) -> tuple[int, str]:
    note = field_value(view["state"]["values"], "note")
    if not note:
        raise FormError("note", "Please say in a few words how it was resolved; it goes into the diary.")
    return int(json.loads(view["private_metadata"])["escalation_id"]), note


def _selected(values: dict[str, Any], block_id: str) -> list[str]:
    state = (values.get(block_id) or {}).get(VALUE) or {}
    return [o["value"] for o in state.get("selected_options") or [] if o.get("value") in CAUSES]


@dataclass(frozen=True)
class AutopsyInput:
    account_id: int
    escalation_id: int | None
    causes: list[dict[str, str]]
    other: str | None
    corrective: Commit | None
    # The people named to take part; each is asked to sign the autopsy off.
    participants: tuple[str, ...] = ()


def autopsy_account_id(view: dict[str, Any]) -> int:
    """The account the form was opened for, carried in its metadata."""
    return int(json.loads(view["private_metadata"])["account_id"])


def read_autopsy_form(view: dict[str, Any], *, account_name: str, today: date) -> AutopsyInput:
    values = view["state"]["values"]
    meta = json.loads(view["private_metadata"])
    causes = [{"cause": c, "side": "vendor"} for c in _selected(values, "vendor_causes") if c != OTHER]
    causes += [{"cause": c, "side": "customer"} for c in _selected(values, "customer_causes") if c != OTHER]
    other = field_value(values, "other")
    other_side = field_value(values, "other_side")
    if other and other_side not in ("vendor", "customer"):
        raise FormError("other_side", "Say whose cause that is: the vendor's or the customer's.")
    if other_side and not other:
        raise FormError("other", "Describe the other cause here, or clear its side.")
    if other and other_side:
        causes.append({"cause": OTHER, "side": other_side})
    if not causes:
        raise FormError("vendor_causes", "Tick at least one cause, on either side, or describe another.")
    fields = {
        key: field_value(values, key) for key in ("fix_action", "fix_side", "fix_owner", "fix_schedule")
    }
    corrective = None
    if any(fields.values()):
        missing = [key for key, value in fields.items() if not value]
        if missing:
            raise FormError(
                missing[0],
                "A corrective action needs its text, side, owner and when — or leave all four empty.",
            )
        phrase = str(fields["fix_schedule"])
        try:
            if phrase.lower().startswith("by "):
                due = parse_due_date(phrase[3:], today=today)
                corrective = Commit(account_name, Side(str(fields["fix_side"])), str(fields["fix_owner"]),
                                    str(fields["fix_action"]), time(9), due_on=due)  # fmt: skip
            else:
                corrective = Commit(account_name, Side(str(fields["fix_side"])), str(fields["fix_owner"]),
                                    str(fields["fix_action"]), time(9), recurrence=parse_recurrence(phrase))  # fmt: skip
        except ScheduleError as exc:
            raise FormError("fix_schedule", str(exc)) from exc
    participants = _participants(values)
    return AutopsyInput(
        int(meta["account_id"]), meta.get("escalation_id"), causes, other, corrective, participants
    )


def _participants(values: dict[str, Any]) -> tuple[str, ...]:
    state = (values.get("participants") or {}).get(VALUE) or {}
    chosen = [str(u) for u in state.get("selected_users") or [] if str(u).strip()]
    return tuple(dict.fromkeys(chosen))[:MAX_PARTICIPANTS]


def record_autopsy(
    session: Session,
    *,
    data: AutopsyInput,
    account: Account,
    user_id: str,
    now: datetime,
    corrective_ids: list[int],
) -> Autopsy:
    autopsy = Autopsy(
        team_id=account.team_id,
        enterprise_id=account.enterprise_id,
        account_id=account.id,
        escalation_id=data.escalation_id,
        causes=json.dumps(data.causes),
        other_cause=data.other,
        corrective_commitment_ids=",".join(str(i) for i in corrective_ids),
        created_by=user_id,
        created_at=now,
    )
    session.add(autopsy)
    session.flush()
    for user_id_named in data.participants:
        session.add(AutopsyParticipant(team_id=account.team_id, autopsy_id=autopsy.id, user_id=user_id_named))
    session.flush()
    taking_part = (
        f" Taking part, each to sign it off: {', '.join(f'<@{u}>' for u in data.participants)}."
        if data.participants
        else ""
    )
    named = "; ".join(f"{CAUSES[c['cause']]} ({c['side']} side)" for c in data.causes)
    fixes = (
        f" Corrective commitments: {', '.join('#' + str(i) for i in corrective_ids)}."
        if corrective_ids
        else ""
    )
    diary.record(
        session,
        account=account,
        kind="autopsy",
        text=f"Autopsy recorded by <@{user_id}>: {named}."
        + (f" Other: {escape(data.other)}." if data.other else "")
        + fixes
        + taking_part,
        at=now,
        actor_user_id=user_id,
        escalation_id=data.escalation_id,
    )
    return autopsy
