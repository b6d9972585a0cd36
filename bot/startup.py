"""The one line each long-running process logs when it starts: what it is, and what it talks to.

An operator reading a platform's log sees at once which database (never its password) and which Slack
each process uses, and that gunicorn built the app once rather than once per worker.
"""

from __future__ import annotations

from bot.operator_errors import safe_url
from bot.settings import Settings


def startup_line(mode: str, settings: Settings) -> str:
    return f"{mode}: database {safe_url(settings.database_url)}, Slack {settings.api_url}"
