"""slack_sdk's SQLAlchemy installation and OAuth state stores, over the product's own tables, with
tokens encrypted at rest and OAuth states signed.

The stock stores do the SQL; the wrappers here only change what goes in and comes out, so Bolt's
authorize, its token rotation and the clock all see plain tokens while the database only ever holds
ciphertexts.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
from typing import Any, TypeVar

from slack_sdk.oauth.installation_store import Bot, Installation, InstallationStore
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store import OAuthStateStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import Engine, select, update

from bot.installs.encryption import TokenCipher
from models.installations import slack_bots, slack_installations

# The attributes of slack_sdk's Installation and Bot that hold secrets.
INSTALLATION_SECRETS = ("bot_token", "bot_refresh_token", "user_token", "user_refresh_token")
BOT_SECRETS = ("bot_token", "bot_refresh_token")

Record = TypeVar("Record", Installation, Bot)


def _transform(record: Record, fields: tuple[str, ...], change: Any) -> Record:
    changed = copy.copy(record)
    for name in fields:
        setattr(changed, name, change(getattr(record, name, None)))
    return changed


class EncryptedInstallationStore(InstallationStore):
    """Encrypts every token on save and decrypts it on find; deletes go straight through."""

    def __init__(self, inner: InstallationStore, cipher: TokenCipher) -> None:
        self.inner = inner
        self.cipher = cipher

    @property
    def logger(self) -> Any:
        return self.inner.logger

    def save(self, installation: Installation) -> None:
        # The inner store also saves `installation.to_bot()`, already encrypted by then.
        self.inner.save(_transform(installation, INSTALLATION_SECRETS, self.cipher.encrypt))

    def save_bot(self, bot: Bot) -> None:
        self.inner.save_bot(_transform(bot, BOT_SECRETS, self.cipher.encrypt))

    def find_bot(
        self, *, enterprise_id: str | None, team_id: str | None, is_enterprise_install: bool | None = False
    ) -> Bot | None:
        bot = self.inner.find_bot(
            enterprise_id=enterprise_id, team_id=team_id, is_enterprise_install=is_enterprise_install
        )
        return None if bot is None else _transform(bot, BOT_SECRETS, self.cipher.decrypt)

    def find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        found = self.inner.find_installation(
            enterprise_id=enterprise_id,
            team_id=team_id,
            user_id=user_id,
            is_enterprise_install=is_enterprise_install,
        )
        return None if found is None else _transform(found, INSTALLATION_SECRETS, self.cipher.decrypt)

    def delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        self.inner.delete_bot(enterprise_id=enterprise_id, team_id=team_id)

    def delete_installation(
        self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> None:
        self.inner.delete_installation(enterprise_id=enterprise_id, team_id=team_id, user_id=user_id)


class SignedStateStore(OAuthStateStore):
    """slack_sdk's one-use, expiring states, each carrying an HMAC under SLACK_STATE_SECRET: a forged
    state is refused before the database is asked, and a real one still only once."""

    def __init__(self, inner: OAuthStateStore, secret: str) -> None:
        self.inner = inner
        self._secret = secret.encode()

    @property
    def logger(self) -> Any:
        return self.inner.logger

    def _mac(self, state: str) -> str:
        return hmac.new(self._secret, state.encode(), hashlib.sha256).hexdigest()[:32]

    def issue(self, *args: Any, **kwargs: Any) -> str:
        state = str(self.inner.issue(*args, **kwargs))
        return f"{state}.{self._mac(state)}"

    def consume(self, state: str) -> bool:
        value, _, mac = state.rpartition(".")
        if not value or not hmac.compare_digest(mac, self._mac(value)):
            return False
        return bool(self.inner.consume(value))


def installation_store(engine: Engine, *, client_id: str, cipher: TokenCipher) -> EncryptedInstallationStore:
    return EncryptedInstallationStore(SQLAlchemyInstallationStore(client_id=client_id, engine=engine), cipher)


def state_store(engine: Engine, *, secret: str, expiration_seconds: int = 600) -> SignedStateStore:
    return SignedStateStore(
        SQLAlchemyOAuthStateStore(expiration_seconds=expiration_seconds, engine=engine), secret
    )


def rotate_key(engine: Engine, cipher: TokenCipher) -> int:
    """Re-encrypt every stored token with the first key; returns how many rows were rewritten.

    One transaction: either every token moves to the new key or none does.
    """
    rewritten = 0
    with engine.begin() as connection:
        for table, fields in ((slack_installations, INSTALLATION_SECRETS), (slack_bots, BOT_SECRETS)):
            columns = [table.c[name] for name in fields]
            for row in connection.execute(select(table.c.id, *columns)).all():
                values = {name: cipher.rotate(getattr(row, name)) for name in fields}
                connection.execute(update(table).where(table.c.id == row.id).values(**values))
                rewritten += 1
    return rewritten
