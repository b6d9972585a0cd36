"""The one place that reads the environment; everything else receives a `Settings`."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

DEFAULT_API_URL = "https://slack.com/api/"
DEFAULT_DATABASE_URL = "sqlite:///accountability.db"
# The Procfile's `--threads ${WEB_THREADS:-8}`: each thread of a web worker may hold one connection.
DEFAULT_WEB_THREADS = 8
# A clock process runs one pass at a time and sends its claimed batches on a pool of this many threads
# (`bot.checkins.sending.SENDERS`), each of which may hold a connection while it records a send.
CLOCK_CONCURRENCY = 12
# PostgreSQL cancels a statement running longer than this (a stuck lock or a runaway query), so a
# web thread answers and a clock pass moves on instead of hanging on it.
DEFAULT_STATEMENT_TIMEOUT_MS = 30_000


def _positive(env: Mapping[str, str], name: str, example: str) -> int | None:
    raw = (env.get(name) or "").strip()
    if not raw:
        return None
    if not raw.isdigit() or int(raw) < 1:
        raise ValueError(f"{name} must be a whole number above 0, e.g. {name}={example} (got {raw!r}).")
    return int(raw)


def _team_tokens(raw: str) -> dict[str, str]:
    """`T012=xoxb-…,T034=xoxb-…`: one bot token per workspace the clock serves."""
    tokens: dict[str, str] = {}
    for pair in (p.strip() for p in raw.split(",") if p.strip()):
        team, _, token = pair.partition("=")
        if not team.strip() or not token.strip():
            raise ValueError(
                f"SLACK_BOT_TOKENS takes TEAM_ID=token pairs, e.g. T012AB=xoxb-…,T034CD=xoxb-… (got {pair!r})."
            )
        tokens[team.strip()] = token.strip()
    return tokens


@dataclass(frozen=True)
class Settings:
    bot_token: str | None = None
    signing_secret: str | None = None
    api_url: str = DEFAULT_API_URL
    database_url: str = DEFAULT_DATABASE_URL
    port: int = 3000
    admins: frozenset[str] = field(default_factory=frozenset)
    app_token: str | None = None
    # OAuth mode (distribution to many workspaces): all three of these set.
    client_id: str | None = None
    client_secret: str | None = None
    state_secret: str | None = None
    encryption_key: str | None = None
    redirect_uri: str | None = None
    token_rotation_expiration_minutes: int = 120

    @property
    def oauth(self) -> bool:
        return bool(self.client_id and self.client_secret and self.state_secret)

    @property
    def authorization_url(self) -> str:
        """Slack's authorize page sits beside its Web API (`…/api/` → `…/oauth/v2/authorize`), so an
        emulator named by SLACK_API_URL serves both."""
        base = self.api_url[: -len("api/")] if self.api_url.endswith("/api/") else self.api_url
        return base + "oauth/v2/authorize"

    def oauth_problem(self) -> str | None:
        """Why OAuth mode cannot start, in one line (None: it can, or it is not asked for)."""
        named = {
            "SLACK_CLIENT_ID": self.client_id,
            "SLACK_CLIENT_SECRET": self.client_secret,
            "SLACK_STATE_SECRET": self.state_secret,
        }
        missing = [name for name, value in named.items() if not value]
        if len(missing) == len(named):
            return None
        if missing:
            return f"OAuth mode needs {', '.join(missing)} as well as {', '.join(n for n in named if n not in missing)}."
        if not self.encryption_key:
            return (
                "OAuth mode stores tokens encrypted: set ACCOUNTABILITY_ENCRYPTION_KEY "
                "(python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')."
            )
        return None

    # Workspace → bot token, for a clock serving several workspaces (`bot.slack.workspaces`).
    team_tokens: dict[str, str] = field(default_factory=dict)
    database_pool_size: int | None = None
    statement_timeout_ms: int = DEFAULT_STATEMENT_TIMEOUT_MS
    web_threads: int = DEFAULT_WEB_THREADS

    def pool_size(self, role: Literal["web", "clock"]) -> int:
        """DATABASE_POOL_SIZE if set; otherwise one connection per thread that may use the database:
        a web worker's threads, or the clock's sending threads, plus one for the request or step
        that nests a second session."""
        if self.database_pool_size is not None:
            return self.database_pool_size
        return (self.web_threads if role == "web" else CLOCK_CONCURRENCY) + 1

    def engine_options(self, role: Literal["web", "clock"]) -> dict[str, Any]:
        return {"pool_size": self.pool_size(role), "statement_timeout_ms": self.statement_timeout_ms}

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        api_url = env.get("SLACK_API_URL") or DEFAULT_API_URL
        # slack_sdk joins method names with urljoin: without the slash "…/api" + "chat.postMessage"
        # would drop the "api" segment.
        if not api_url.endswith("/"):
            api_url += "/"
        admins = frozenset(a.strip() for a in env.get("ACCOUNTABILITY_ADMINS", "").split(",") if a.strip())
        return cls(
            bot_token=env.get("SLACK_BOT_TOKEN") or None,
            signing_secret=env.get("SLACK_SIGNING_SECRET") or None,
            api_url=api_url,
            database_url=env.get("DATABASE_URL") or DEFAULT_DATABASE_URL,
            port=int(env.get("PORT") or 3000),
            admins=admins,
            app_token=env.get("SLACK_APP_TOKEN") or None,
            client_id=env.get("SLACK_CLIENT_ID") or None,
            client_secret=env.get("SLACK_CLIENT_SECRET") or None,
            state_secret=env.get("SLACK_STATE_SECRET") or None,
            encryption_key=env.get("ACCOUNTABILITY_ENCRYPTION_KEY") or None,
            redirect_uri=env.get("SLACK_REDIRECT_URI") or None,
            token_rotation_expiration_minutes=int(env.get("SLACK_TOKEN_ROTATION_EXPIRATION_MINUTES") or 120),
            team_tokens=_team_tokens(env.get("SLACK_BOT_TOKENS", "")),
            database_pool_size=_positive(env, "DATABASE_POOL_SIZE", "10"),
            statement_timeout_ms=_positive(env, "DATABASE_STATEMENT_TIMEOUT_MS", "30000")
            or DEFAULT_STATEMENT_TIMEOUT_MS,
            web_threads=_positive(env, "WEB_THREADS", "8") or DEFAULT_WEB_THREADS,
        )
