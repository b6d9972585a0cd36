"""The one place that reads the environment; everything else receives a `Settings`."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

DEFAULT_API_URL = "https://slack.com/api/"
DEFAULT_DATABASE_URL = "sqlite:///accountability.db"


@dataclass(frozen=True)
class Settings:
    bot_token: str | None = None
    signing_secret: str | None = None
    api_url: str = DEFAULT_API_URL
    database_url: str = DEFAULT_DATABASE_URL
    port: int = 3000
    admins: frozenset[str] = field(default_factory=frozenset)
    app_token: str | None = None

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
        )
