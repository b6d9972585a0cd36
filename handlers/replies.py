"""What listeners tell people when a request is refused or fails after the ack, worded in one place,
and the replies more than one listener shows.

An answer Slack does not take is logged with its method and error: there is no one left to tell.
"""

from __future__ import annotations

import logging

from bot.checkins.answers import Answered
from bot.checkins.message import message_blocks, message_text
from bot.slack.gateway import SlackDeliveryError, SlackGateway

log = logging.getLogger(__name__)

SOMETHING_WENT_WRONG = "Sorry — something went wrong on our side and nothing was changed. Please try again."
FORM_NOT_OPENED = "I couldn't open the form just now. Please try again."


def answer_ephemeral(gateway: SlackGateway, *, channel_id: str | None, user_id: str, text: str) -> None:
    """Only the person sees it, in the channel they acted in; without a channel there is nowhere to say it."""
    if not channel_id:
        return
    try:
        gateway.post_ephemeral(channel=channel_id, user=user_id, text=text)
    except SlackDeliveryError as exc:
        log.warning("answer to %s not shown: %s failed: %s", user_id, exc.method, exc.error)


def answer_dm(gateway: SlackGateway, *, user_id: str, text: str) -> None:
    """A closed modal has nowhere else to answer."""
    try:
        gateway.post_message(user_id, text=text)
    except SlackDeliveryError as exc:
        log.warning("answer to %s not sent: %s failed: %s", user_id, exc.method, exc.error)


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
