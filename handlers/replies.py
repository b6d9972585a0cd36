"""Replies more than one listener shows, grouped by what they answer about."""

from __future__ import annotations

from bot.checkins.answers import Answered
from bot.checkins.message import message_blocks, message_text
from bot.slack.gateway import SlackGateway

# -- check-ins ---------------------------------------------------------------------------------------


def redraw_checkin_message(gateway: SlackGateway, answered: Answered) -> None:
    """The message that carried the check-in shows the answer in place of its buttons, so the
    person sees it was recorded (from a button or from the note form)."""
    if answered.channel_id and answered.message_ts:
        gateway.update_message(
            channel=answered.channel_id,
            ts=answered.message_ts,
            text=message_text(answered.views),
            blocks=message_blocks(answered.views),
        )
