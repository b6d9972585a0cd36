"""Everything outside a Slack request that acts for one installation needs its bot token: the clock
(a client per installation, so one rate-limited workspace never holds up another) and the operator
commands. Both come here."""

from __future__ import annotations

from dataclasses import dataclass

from slack_sdk import WebClient
from slack_sdk.oauth.token_rotation import TokenRotator
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from bot.installs.encryption import TokenCipher
from bot.installs.standing import tenant_of
from bot.installs.store import EncryptedInstallationStore, installation_store
from bot.settings import Settings
from bot.slack.gateway import make_client
from bot.slack.shared_pace import shared_pace
from models import Tenant, WorkspaceInstall


class UnknownInstallation(LookupError):
    pass


@dataclass(frozen=True)
class Installations:
    """The OAuth mode's installation store and what a client for one installation needs."""

    store: EncryptedInstallationStore
    settings: Settings
    # The clock's database, where its clients share each workspace's pace with the other clocks.
    engine: Engine | None = None

    @classmethod
    def from_settings(cls, settings: Settings, engine: Engine) -> Installations:
        assert settings.client_id is not None
        cipher = TokenCipher(settings.encryption_key)
        return cls(installation_store(engine, client_id=settings.client_id, cipher=cipher), settings, engine)

    def client_for(self, tenant: Tenant, *, clock: bool = False) -> WebClient:
        """A client with the installation's bot token, refreshed first if it rotates and expires soon."""
        bot = self.store.find_bot(
            enterprise_id=tenant.enterprise_id,
            team_id=None if tenant.is_enterprise_install else tenant.team_id,
            is_enterprise_install=tenant.is_enterprise_install,
        )
        if bot is None:
            raise UnknownInstallation(f"no bot token stored for {tenant}: install the app there first")
        if bot.bot_refresh_token:
            rotator = TokenRotator(
                client_id=self.settings.client_id or "",
                client_secret=self.settings.client_secret or "",
                client=WebClient(base_url=self.settings.api_url),
            )
            refreshed = rotator.perform_bot_token_rotation(
                bot=bot, minutes_before_expiration=self.settings.token_rotation_expiration_minutes
            )
            if refreshed is not None:
                self.store.save_bot(refreshed)
                bot = refreshed
        pace = shared_pace(self.engine, bot.bot_token) if clock else None
        return make_client(token=bot.bot_token, api_url=self.settings.api_url, clock=clock, shared_pace=pace)


def installation_named(sessions: sessionmaker[Session], key: str) -> Tenant:
    """The installation an operator names with `--team T…` (or `E…` for an org-wide install)."""
    with sessions() as session:
        row = session.scalars(select(WorkspaceInstall).where(WorkspaceInstall.tenant_key == key)).first()
    if row is None:
        raise UnknownInstallation(f"no installation {key!r}: --team takes the T… (or org-wide E…) id of one")
    return tenant_of(row)
