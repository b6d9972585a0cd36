"""The web process: a Bolt app behind `POST /slack/events`, plus `GET /healthz`.

Production serves `wsgi_from_env()` with gunicorn (see the Procfile). `python app.py` runs Socket Mode
when SLACK_APP_TOKEN is set, otherwise a local development server on PORT.
"""

from __future__ import annotations

import json
import logging
import socketserver
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.health import health
from bot.settings import Settings
from bot.slack_gateway import make_client
from handlers import register
from handlers.deps import Deps, utc_now
from models.db import make_engine, session_factory, upgrade

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIEnvironment

log = logging.getLogger("accountability")


class SettingsError(RuntimeError):
    pass


def create_bolt_app(settings: Settings, deps: Deps) -> App:
    if not settings.bot_token or not settings.signing_secret:
        raise SettingsError("SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET must both be set to serve Slack.")
    app = App(
        client=make_client(token=settings.bot_token, api_url=settings.api_url),
        signing_secret=settings.signing_secret,
    )
    register(app, deps)
    return app


@dataclass
class WebApp:
    """Routes `/healthz` itself and hands everything else to Bolt's WSGI adapter (which 404s the rest)."""

    slack: SlackRequestHandler
    sessions: sessionmaker[Session]
    clock: Callable[..., Any] = utc_now

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == "/healthz" and environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
            status, body = health(self.sessions, now=self.clock())
            payload = json.dumps(body).encode()
            reason = "OK" if status == 200 else "Service Unavailable"
            start_response(
                f"{status} {reason}",
                [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))],
            )
            return [payload]
        return self.slack(environ, start_response)


def create_web_app(settings: Settings, *, engine: Engine | None = None, deps: Deps | None = None) -> WebApp:
    engine = engine or make_engine(settings.database_url)
    upgrade(engine)
    deps = deps or Deps(sessions=session_factory(engine), admins=settings.admins)
    bolt = create_bolt_app(settings, deps)
    return WebApp(slack=SlackRequestHandler(bolt), sessions=deps.sessions, clock=deps.clock)


def wsgi_from_env() -> WebApp:
    """The gunicorn entry point: `gunicorn 'app:wsgi_from_env()'`."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    return create_web_app(Settings.from_env())


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s " + format, self.address_string(), *args)


class ThreadingWSGIServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True


def serve_in_thread(web_app: WebApp, *, host: str = "127.0.0.1", port: int = 0) -> ThreadingWSGIServer:
    """A real HTTP server on loopback for tests and the demo; production uses gunicorn."""
    server = make_server(host, port, web_app, server_class=ThreadingWSGIServer, handler_class=_QuietHandler)
    assert isinstance(server, ThreadingWSGIServer)
    threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="web", daemon=True
    ).start()
    return server


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = Settings.from_env()
    if settings.app_token:
        from slack_bolt.adapter.socket_mode import SocketModeHandler

        engine = make_engine(settings.database_url)
        upgrade(engine)
        bolt = create_bolt_app(settings, Deps(sessions=session_factory(engine), admins=settings.admins))
        SocketModeHandler(bolt, settings.app_token).start()  # type: ignore[no-untyped-call]
        return
    web_app = create_web_app(settings)
    with make_server("0.0.0.0", settings.port, web_app, server_class=ThreadingWSGIServer) as server:
        log.info("development server on http://0.0.0.0:%s (use gunicorn in production)", settings.port)
        server.serve_forever()


if __name__ == "__main__":
    main()
