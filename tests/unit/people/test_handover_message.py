"""The CSM's hand-over DM stays inside Slack's limits however much someone leaves behind."""

from __future__ import annotations

from slack_sdk.models.blocks import Block

from bot.people.handover import HandoverView
from bot.people.handover_message import (
    HAND_OVER_CHAMPION,
    HAND_OVER_COMMITMENT,
    ask_blocks,
    ask_text,
    parse_block_id,
)


def _view(waiting: int, *, champion: bool = True, closed: bool = False) -> HandoverView:
    return HandoverView(
        handover_id=7,
        account="Fit & Co <gyms>",
        shared_channel_id="C0SHARED",
        person_user_id="U0JO",
        reason="left_channel",
        needs_champion=champion,
        champion_user_id="U0JO",
        waiting=[(100 + n, "customer", f"Action *{n}* <!here>") for n in range(waiting)],
        handed=[] if not closed else [(99, "U0ANA")],
        closed=closed,
    )


def test_a_departure_leaving_many_commitments_fits_in_one_message_and_points_at_the_command() -> None:
    blocks = ask_blocks(_view(45))
    assert len(blocks) <= 50
    for block in blocks:
        Block.parse(block).validate_json()  # type: ignore[union-attr]
    actions = [b["accessory"]["action_id"] for b in blocks if "accessory" in b]
    assert actions.count(HAND_OVER_COMMITMENT) == 40 and actions.count(HAND_OVER_CHAMPION) == 1
    footer = blocks[-1]["elements"][0]["text"]
    assert "5 more wait" in footer and '"Fit &amp; Co &lt;gyms&gt;"' in footer


def test_what_people_typed_is_escaped_and_every_picker_names_its_handover() -> None:
    blocks = ask_blocks(_view(1))
    text = str(blocks)
    assert "<!here>" not in text and "&lt;!here&gt;" in text
    assert "Fit &amp; Co &lt;gyms&gt;" in ask_text(_view(1))
    assert {parse_block_id(b["block_id"]) for b in blocks if "accessory" in b} == {(7, None), (7, 100)}
    assert parse_block_id("handover:7:x") is None and parse_block_id("checkin") is None


def test_a_settled_handover_has_no_pickers_and_says_who_took_over() -> None:
    blocks = ask_blocks(_view(0, champion=False, closed=True))
    assert not any("accessory" in b for b in blocks)
    assert "#99 → <@U0ANA>" in str(blocks) and "has a new owner" in ask_text(
        _view(0, champion=False, closed=True)
    )
