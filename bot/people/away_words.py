"""`/accountability settings away-words`: the Slack status words and emoji that mean someone is away."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from bot.accounts.access import Actor
from bot.digest.settings import settings_row
from bot.errors import Refusal
from bot.people.away import DEFAULT_AWAY_WORDS, away_words
from bot.slack.mrkdwn import escape


@dataclass(frozen=True)
class AwayWords:
    """None: show the list; (): back to the defaults; otherwise the new list."""

    words: tuple[str, ...] | None


def change_away_words(session: Session, command: AwayWords, *, actor: Actor, now: datetime) -> str:
    if command.words is None:
        return (
            "*Away words* (a Slack status with an expiry matching one of these counts as away): "
            + _listed(away_words(session, actor.team_id))
        )
    if not actor.is_admin:
        raise Refusal("Only accountability admins change the workspace's away words.")
    row = settings_row(session, team_id=actor.team_id, enterprise_id=actor.enterprise_id)
    row.away_words = json.dumps(list(command.words)) if command.words else None
    row.updated_by = actor.user_id
    row.updated_at = now
    words = list(command.words) or list(DEFAULT_AWAY_WORDS)
    return "Done — away words: " + _listed(words) + "."


def _listed(words: list[str]) -> str:
    return ", ".join(f"“{escape(word)}”" for word in words)
