"""Which bot token speaks to which workspace, for a clock serving more than one.

A minimal mapping from team ID to bot token (`SLACK_BOT_TOKENS`), read once at start; a team without
its own token uses the default one (`SLACK_BOT_TOKEN`). Installations stored by OAuth can replace the
mapping without touching the callers, which only ask for a team's gateway.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import Engine

from bot.slack.gateway import SlackGateway, make_client
from bot.slack.shared_pace import shared_pace


class WorkspaceGateways:
    def __init__(self, default: SlackGateway, by_team: Mapping[str, SlackGateway] | None = None) -> None:
        self.default = default
        self._by_team = dict(by_team or {})

    @classmethod
    def from_tokens(
        cls,
        *,
        default_token: str | None,
        team_tokens: Mapping[str, str],
        api_url: str,
        engine: Engine | None = None,
    ) -> WorkspaceGateways:
        """The clock's gateways: no post retried blindly (see `bot.slack.gateway.retry_handlers`); on
        PostgreSQL each workspace's posts are paced with the other clocks' (`bot.slack.shared_pace`)."""

        def gateway(token: str | None) -> SlackGateway:
            pace = shared_pace(engine, token)
            return SlackGateway(make_client(token=token, api_url=api_url, clock=True, shared_pace=pace))

        by_team = {team: gateway(token) for team, token in team_tokens.items()}
        return cls(gateway(default_token or next(iter(team_tokens.values()), None)), by_team)

    def for_team(self, team_id: str | None) -> SlackGateway:
        if team_id is None:
            return self.default
        return self._by_team.get(team_id, self.default)
