"""What listeners tell people when a request is refused or fails after the ack, worded in one place.

An answer Slack does not take is logged with its method and error: there is no one left to tell.
"""

from __future__ import annotations

import logging

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
