"""What listeners tell people, worded and delivered in one place: the apology when something failed
after the ack, how a command's or form's reply reaches the person, and replies several listeners show.

An answer Slack does not take is logged with its method and error: there is no one left to tell.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import BoltContext, Respond
from slack_sdk import WebClient

from bot.checkins.answers import Answered
from bot.checkins.message import message_blocks, message_text
from bot.commands import runner as command_runner
from bot.commands.parsed import Command
from bot.commands.replies import Reply
from bot.errors import Refusal
from bot.escalation.autopsy import AutopsyInput
from bot.slack.gateway import SlackDeliveryError, SlackGateway
from handlers.deps import Deps, installation_of

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


def answer_dm(
    gateway: SlackGateway,
    *,
    user_id: str,
    text: str,
    blocks: list[dict[str, Any]] | None = None,
    channel_id: str | None = None,
    thread_ts: str | None = None,
) -> None:
    """A closed modal has nowhere else to answer than the person's DM with the bot (`channel_id` and
    `thread_ts` answer inside a DM thread the person wrote in)."""
    try:
        gateway.post_message(channel_id or user_id, text=text, blocks=blocks, thread_ts=thread_ts)
    except SlackDeliveryError as exc:
        log.warning("answer to %s not sent: %s failed: %s", user_id, exc.method, exc.error)


def open_form(gateway: SlackGateway, *, trigger_id: str, view: dict[str, Any]) -> None:
    """Opened inside the ack, or at once after it on the listener's own thread (a trigger id dies after
    three seconds); when Slack won't open it, the failure is logged and the person is answered with a
    `Refusal` like any other."""
    try:
        gateway.open_view(trigger_id=trigger_id, view=view)
    except SlackDeliveryError as exc:
        log.warning("form not opened: %s failed: %s", exc.method, exc.error)
        raise Refusal(FORM_NOT_OPENED) from exc


# -- commands and forms ------------------------------------------------------------------------------


def carried_out(
    command: Command | AutopsyInput,
    *,
    user_id: str,
    text: str,
    client: WebClient,
    context: BoltContext,
    logger: logging.Logger,
    deps: Deps,
) -> Reply:
    """The parsed command run for the person. After the ack nobody else will answer them, so even an
    unexpected failure (its transaction rolled back) gets an apology rather than silence."""
    invocation = command_runner.Invocation(installation=installation_of(context), user_id=user_id, text=text)
    try:
        return command_runner.run(
            invocation,
            sessions=deps.sessions,
            gateway=SlackGateway(client),
            admins=deps.admins,
            now=deps.clock(),
            command=command,
        )
    except Exception:
        logger.exception("%r failed for %s", text or type(command).__name__, user_id)
        return Reply(SOMETHING_WENT_WRONG)


def respond_privately(respond: Respond, reply: Reply, *, replace_original: bool = False) -> None:
    """An ephemeral answer through the response URL, seen only by the person who asked."""
    respond(
        text=reply.text, blocks=reply.blocks, response_type="ephemeral", replace_original=replace_original
    )


def direct_message(client: WebClient, user_id: str, reply: Reply) -> None:
    answer_dm(SlackGateway(client), user_id=user_id, text=reply.text, blocks=reply.blocks)


# -- check-ins ---------------------------------------------------------------------------------------


RECORDED_NOT_SHOWN = (
    "Your answer is recorded, but I couldn't update the check-in message just now; "
    "it will show the answer the next time it is redrawn."
)


def redraw_checkin_message(gateway: SlackGateway, answered: Answered, *, user_id: str) -> None:
    """The message that carried the check-in shows the answer in place of its buttons, so the
    person sees it was recorded (from a button or from the note form); if Slack refuses the redraw,
    the person is told the answer is on record all the same."""
    if not (answered.channel_id and answered.message_ts):
        return
    try:
        gateway.update_message(
            channel=answered.channel_id,
            ts=answered.message_ts,
            text=message_text(answered.views),
            blocks=message_blocks(answered.views),
        )
    except SlackDeliveryError as exc:
        log.warning("check-in message not redrawn for %s: %s failed: %s", user_id, exc.method, exc.error)
        if answered.views and answered.views[0].in_channel:
            # Someone answering in the shared channel may be someone the bot can't DM.
            answer_ephemeral(
                gateway, channel_id=answered.channel_id, user_id=user_id, text=RECORDED_NOT_SHOWN
            )
        else:
            answer_dm(gateway, user_id=user_id, text=RECORDED_NOT_SHOWN)
