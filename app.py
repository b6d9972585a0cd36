"""The web process: a Bolt app behind `POST /slack/events`, plus `GET /healthz`.

Production serves `wsgi_from_env()` with gunicorn (see the Procfile). `python app.py` runs Socket Mode
when SLACK_APP_TOKEN is set, otherwise a local development server on PORT.
"""

from __future__ import annotations

import contextvars
import dataclasses
import io
import json
import logging
import re
import socketserver
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.lazy_listener.thread_runner import ThreadLazyListenerRunner
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.health import health
from bot.installs.encryption import EncryptionKeyError, TokenCipher
from bot.installs.store import installation_store, state_store
from bot.settings import Settings
from bot.slack.gateway import make_client
from bot.startup import startup_line
from handlers import register
from handlers.deps import Deps, bind, utc_now
from handlers.installs import InstallFlow, act_in_conversation_owner, oauth_flow
from models.db import make_engine, session_factory, upgrade
from scheduler.jobs import run_forever

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIEnvironment

log = logging.getLogger("accountability")


class SettingsError(RuntimeError):
    pass


def create_bolt_app(
    settings: Settings,
    deps: Deps,
    *,
    listeners: Executor | None = None,
    after_ack: Executor | None = None,
    flow: InstallFlow | None = None,
) -> App:
    """`listeners` runs each listener (its ack, and what it does after), `after_ack` the lazy listeners;
    passing them lets the owner wait for that work.
    `flow` (OAuth mode, see `with_oauth`) serves installs and authorizes each request from the store."""
    if flow is not None:
        if not settings.signing_secret:
            raise SettingsError("SLACK_SIGNING_SECRET must be set to serve Slack.")
        app = App(
            client=make_client(token=None, api_url=settings.api_url),
            signing_secret=settings.signing_secret,
            oauth_flow=flow,
            before_authorize=bind(act_in_conversation_owner, deps),
            listener_executor=listeners or ThreadPoolExecutor(max_workers=LISTENER_THREADS),
        )
    else:
        if not settings.bot_token or not settings.signing_secret:
            raise SettingsError("SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET must both be set to serve Slack.")
        # No auth.test at start: the web process comes up (and answers /healthz) while Slack is away.
        # Bolt's single-workspace authorization asks auth.test on the first request and keeps the answer,
        # which is where listeners get the bot's user ID and the vendor's workspace.
        app = App(
            client=make_client(token=settings.bot_token, api_url=settings.api_url),
            signing_secret=settings.signing_secret,
            listener_executor=listeners or ThreadPoolExecutor(max_workers=LISTENER_THREADS),
            token_verification_enabled=False,
        )
    if after_ack is not None:
        # Bolt starts lazy listeners on the listener pool; here they wait their turn with the rest of
        # the work after the ack instead.
        app.listener_runner.lazy_listener_runner = ThreadLazyListenerRunner(
            logger=app.logger, executor=after_ack
        )
    register(app, deps)
    return app


# Bolt runs each listener on this pool while the request's thread waits for its ack: sized well past
# gunicorn's threads per worker (each holds at most one waiting request), so an ack never queues behind
# another listener's form opening or Slack calls still running after its own ack.
LISTENER_THREADS = 32
# The Slack calls listeners leave for after their ack (redraws, replies, lazy listeners) run a few at a
# time: they wait on Slack, not the CPU, and Slack's rate limits would not take many more; meanwhile the
# acks keep the CPU, the GIL and the database connections.
AFTER_ACK_THREADS = 4


class ListenerExecutor(ThreadPoolExecutor):
    """A pool for listener work, counting what is still running so a caller (a test about to clear
    the database, say) can wait until the app is quiet. Pools built with the same `counter` wait for
    each other: work handed from one to the other is never between counts."""

    def __init__(
        self,
        *,
        max_workers: int = LISTENER_THREADS,
        name: str = "listener",
        counter: RunningCount | None = None,
    ) -> None:
        super().__init__(max_workers=max_workers, thread_name_prefix=name)
        self.running = counter or RunningCount()

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        self.running.started()
        try:
            # The listener runs in the submitter's context: the installation it acts for goes with it.
            future = super().submit(contextvars.copy_context().run, fn, *args, **kwargs)
        except BaseException:
            self.running.finished()
            raise
        future.add_done_callback(lambda _future: self.running.finished())
        return future

    def wait_quiet(self, timeout: float = 10.0) -> bool:
        """True once no listener is running (False if `timeout` seconds pass first)."""
        return self.running.wait_quiet(timeout)


class RunningCount:
    def __init__(self) -> None:
        self._running = 0
        self._quiet = threading.Condition()

    def started(self) -> None:
        with self._quiet:
            self._running += 1

    def finished(self) -> None:
        with self._quiet:
            self._running -= 1
            self._quiet.notify_all()

    def wait_quiet(self, timeout: float) -> bool:
        with self._quiet:
            return self._quiet.wait_for(lambda: self._running == 0, timeout=timeout)


def after_ack_on(pool: Executor) -> Callable[..., None]:
    """`Deps.after_ack` for the web process: the work goes to `pool`, and a failure there — with no
    listener left to carry it to Bolt's error handler — is logged with what failed."""

    def after_ack(work: Callable[..., Any], /, *args: Any, **kwargs: Any) -> None:
        def logged() -> None:
            try:
                work(*args, **kwargs)
            except Exception:
                log.exception("work after the ack failed: %s", getattr(work, "__name__", repr(work)))

        pool.submit(logged)

    return after_ack


@dataclass
class WebApp:
    """Routes `/healthz` itself and hands everything else to Bolt's WSGI adapter (which 404s the rest).

    Before Bolt sees a POST, `gate` refuses what is not a well-formed signed Slack request with a 4xx
    (Bolt would answer some of them 500): too big (never read, never logged), badly signed or timed,
    not UTF-8, or with a payload that is not JSON.
    """

    slack: SlackRequestHandler
    sessions: sessionmaker[Session]
    clock: Callable[..., Any] = utc_now
    signing_secret: str = ""
    listeners: ListenerExecutor = field(default_factory=ListenerExecutor)
    after_ack: ListenerExecutor | None = None
    # OAuth mode: /healthz also says which workspaces are live and which stopped.
    installations: bool = False

    def close(self) -> None:
        """Wait for the listeners still running after their ack, so none writes after shutdown."""
        self.listeners.shutdown(wait=True)  # first: a listener may still hand work to `after_ack`
        if self.after_ack is not None:
            self.after_ack.shutdown(wait=True)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") == "POST" and self.signing_secret:
            refusal = gate(environ, signing_secret=self.signing_secret)
            if refusal is not None:
                refused_status, message = refusal
                payload = json.dumps({"error": message}).encode()
                start_response(
                    refused_status,
                    [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))],
                )
                return [payload]
        if environ.get("PATH_INFO") == "/healthz" and environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
            status, body = health(self.sessions, now=self.clock(), installations=self.installations)
            payload = json.dumps(body).encode()
            reason = "OK" if status == 200 else "Service Unavailable"
            start_response(
                f"{status} {reason}",
                [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))],
            )
            return [payload]
        # Each request in a context of its own: the installation it acts for (set by a middleware for the
        # rest of the request, see handlers.installs) never outlives it on this thread.
        return contextvars.copy_context().run(self.slack, environ, start_response)


MAX_BODY = 1024 * 1024
SLACK_TIMESTAMP = re.compile(r"[0-9]{1,15}")  # Unix seconds, in ASCII digits


def gate(environ: WSGIEnvironment, *, signing_secret: str) -> tuple[str, str] | None:
    """None when the request may go on to Bolt (its body put back for it); otherwise the refusal.

    Slack's own requests are a few kilobytes; a body over 1 MB is refused from its Content-Length
    before a byte is read, and a chunked one as soon as it passes the limit.
    """
    length_header = environ.get("CONTENT_LENGTH") or ""
    if length_header and not length_header.isdigit():
        return "400 Bad Request", "Content-Length is not a number"
    if length_header and int(length_header) > MAX_BODY:
        return "413 Payload Too Large", "request body over 1 MB"
    stream = environ["wsgi.input"]
    if length_header:
        body = stream.read(int(length_header))
    elif environ.get("wsgi.input_terminated"):
        body = stream.read(MAX_BODY + 1)  # gunicorn ends a chunked body for us; read past the limit
    else:
        body = b""  # a server that can't end the body: reading would wait for the client to hang up
    if len(body) > MAX_BODY:
        return "413 Payload Too Large", "request body over 1 MB"
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    try:
        # Slack signs UTF-8 text; slack_sdk's verifier would fail on anything else with an exception.
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return "400 Bad Request", "body is not UTF-8"
    timestamp = environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP", "")
    signature = environ.get("HTTP_X_SLACK_SIGNATURE", "")
    # The verifier takes the headers as they come: a timestamp int() refuses ("²", 5000 digits) or a
    # signature that is not ASCII would raise in it, so those are refused here as unsigned.
    if not SLACK_TIMESTAMP.fullmatch(timestamp) or not signature or not signature.isascii():
        return "401 Unauthorized", "invalid request"
    if not SignatureVerifier(signing_secret).is_valid(body=text, timestamp=timestamp, signature=signature):
        return "401 Unauthorized", "invalid request"
    media_type = (environ.get("CONTENT_TYPE") or "").split(";", 1)[0].strip().lower()
    try:
        if media_type == "application/json":
            problem = _event_problem(json.loads(text))
        else:
            form = dict(parse_qsl(text, keep_blank_values=True))
            problem = (
                _interaction_problem(json.loads(form["payload"]))
                if "payload" in form
                else _command_problem(form)
            )
    except ValueError:
        return "400 Bad Request", "payload is not JSON"
    return ("400 Bad Request", problem) if problem else None


def _event_problem(body: Any) -> str | None:
    """What Slack always sends in an Events API body; anything else would crash further in."""
    if not isinstance(body, dict) or not isinstance(body.get("type"), str):
        return "not a Slack event"
    if body["type"] == "event_callback" and not isinstance(body.get("event"), dict):
        return "event_callback without an event"
    return None


def _interaction_problem(payload: Any) -> str | None:
    if not isinstance(payload, dict) or not isinstance(payload.get("type"), str):
        return "payload is not a Slack interaction"
    user = payload.get("user")
    if payload["type"] in (
        "block_actions",
        "view_submission",
        "view_closed",
        "shortcut",
        "message_action",
    ) and not (isinstance(user, dict) and isinstance(user.get("id"), str)):
        return "interaction without a user"
    if payload["type"] == "block_actions" and not isinstance(payload.get("actions"), list):
        return "block_actions without actions"
    if payload["type"] in ("view_submission", "view_closed") and not isinstance(payload.get("view"), dict):
        return "view submission without a view"
    return None


def _command_problem(form: dict[str, str]) -> str | None:
    if "ssl_check" in form:
        return None
    if not form.get("command") or not form.get("user_id"):
        return "a slash command needs command and user_id"
    return None


def with_oauth(settings: Settings, engine: Engine, deps: Deps) -> tuple[Deps, InstallFlow | None]:
    """In OAuth mode: the encrypted installation store in `deps` and the install flow; refuses to go on,
    in one line, when the mode is half-configured or has no encryption key."""
    problem = settings.oauth_problem()
    if problem:
        raise SettingsError(problem)
    if not settings.oauth:
        return deps, None
    assert settings.client_id is not None and settings.state_secret is not None
    try:
        cipher = TokenCipher(settings.encryption_key)
    except EncryptionKeyError as exc:
        raise SettingsError(str(exc)) from None
    store = installation_store(engine, client_id=settings.client_id, cipher=cipher)
    deps = dataclasses.replace(deps, store=store)
    return deps, oauth_flow(settings, deps, store, state_store(engine, secret=settings.state_secret))


def create_web_app(settings: Settings, *, engine: Engine | None = None, deps: Deps | None = None) -> WebApp:
    engine = engine or make_engine(settings.database_url, **settings.engine_options("web"))
    deps = deps or Deps(sessions=session_factory(engine), admins=settings.admins)
    deps, flow = with_oauth(settings, engine, deps)
    upgrade(engine)
    listeners = ListenerExecutor()
    later = ListenerExecutor(max_workers=AFTER_ACK_THREADS, name="after-ack", counter=listeners.running)
    deps = dataclasses.replace(deps, after_ack=after_ack_on(later))
    bolt = create_bolt_app(settings, deps, listeners=listeners, after_ack=later, flow=flow)
    return WebApp(
        slack=SlackRequestHandler(bolt),
        sessions=deps.sessions,
        clock=deps.clock,
        signing_secret=settings.signing_secret or "",
        listeners=listeners,
        after_ack=later,
        installations=flow is not None,
    )


def wsgi_from_env() -> WebApp:
    """The gunicorn entry point: `gunicorn --preload 'app:wsgi_from_env()'`.

    With --preload it runs once, in gunicorn's master, before the workers fork: migrations run once
    (two workers migrating a new database at the same moment would collide), and the startup line
    and any warning appear once. The pool's connections are closed before the fork, so no two
    workers share one.
    """
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        settings = Settings.from_env()
        engine = make_engine(settings.database_url)
        web_app = create_web_app(settings, engine=engine)
    except SettingsError as exc:
        raise SystemExit(f"accountability: {exc}") from None
    engine.dispose()
    log.info("%s", startup_line("web (gunicorn)", settings))
    return web_app


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s " + format, self.address_string(), *args)


class ThreadingWSGIServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True

    def server_close(self) -> None:
        """Closing the server also lets the app's after-ack work finish (tests then clear the database)."""
        super().server_close()
        app = self.get_app()
        if isinstance(app, WebApp):
            app.close()


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
        # Development has no separate clock process: the clock runs here, so check-ins still go out.
        threading.Thread(target=run_forever, args=(settings,), name="clock", daemon=True).start()
        log.info("%s", startup_line("Socket Mode, with the clock in this process", settings))
        SocketModeHandler(bolt, settings.app_token).start()  # type: ignore[no-untyped-call]
        return
    try:
        web_app = create_web_app(settings)
    except SettingsError as exc:
        raise SystemExit(f"accountability: {exc}") from None
    with make_server("0.0.0.0", settings.port, web_app, server_class=ThreadingWSGIServer) as server:
        log.info(
            "%s",
            startup_line(
                f"development server on http://0.0.0.0:{settings.port} (gunicorn in production)", settings
            ),
        )
        server.serve_forever()


if __name__ == "__main__":
    main()
