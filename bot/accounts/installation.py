"""Who the vendor is: the workspace (and Enterprise Grid organisation) the app is installed in.

A request's payload names the *acting user's* team. In a Slack Connect channel a customer's clicks,
views and commands carry their own organisation's team ID, so a payload's team can never say who
the vendor is: only the installation can (Bolt's authorize result, from `auth.test` or the
installation store).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.slack.gateway import SlackProfile


@dataclass(frozen=True)
class Installation:
    team_id: str
    enterprise_id: str | None = None

    def includes(self, *, team_id: str | None, enterprise_id: str | None) -> bool:
        """A team of this installation: the workspace itself, or any workspace of its Grid organisation."""
        if team_id is not None and team_id == self.team_id:
            return True
        return self.enterprise_id is not None and enterprise_id == self.enterprise_id

    def employs(self, profile: SlackProfile) -> bool:
        """A full member of the vendor's organisation, as Slack's own profile says.

        Guests (restricted accounts) and strangers are outside it even when their team ID is ours:
        a customer invited as a guest is still the customer.
        """
        if profile.is_stranger or profile.is_restricted:
            return False
        return self.includes(team_id=profile.team_id, enterprise_id=profile.enterprise_id)
