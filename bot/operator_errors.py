"""What an operator's command says when it cannot do its job: one line naming the problem and the fix.

Every operator entry point (`python -m bot`, `python -m models`, `python -m scheduler`, `python -m demo`)
runs its body through `run_operator_command`, which turns a failure into that one line on standard error
and an exit status: 2 when the command line or the configuration is wrong (a file that is not there, a
malformed DATABASE_URL, a token Slack refuses), 1 when something it depends on failed at run time (the
database or Slack unreachable). `--debug` anywhere on the command line lets the traceback through.
"""

from __future__ import annotations

import logging
import os
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, OperationalError

from bot.settings import DEFAULT_API_URL, DEFAULT_DATABASE_URL
from bot.slack.gateway import SlackDeliveryError

USAGE = 2
RUNTIME = 1
DEBUG_FLAG = "--debug"
DEBUG_HELP = f"{DEBUG_FLAG} anywhere on the command line shows the full traceback of a failure."

# Slack's answers meaning the token itself is wrong, not that Slack is having a bad moment.
TOKEN_ERRORS = frozenset(
    {
        "invalid_auth",
        "not_authed",
        "token_revoked",
        "token_expired",
        "account_inactive",
        "not_allowed_token_type",
    }
)
# What the gateway reports when Slack could not be reached at all.
UNREACHABLE = frozenset({"URLError", "ConnectionError", "TimeoutError", "ConnectionRefusedError", "OSError"})


@dataclass
class Where:
    """The database and Slack a command is using, named in its failure line (no password shown)."""

    database_url: str | None = None
    slack_url: str | None = None
    debug: bool = False
    # Where the operator sets the database: the environment, or the demo's --database.
    database_setting: str = "DATABASE_URL"


where = Where()


def using(
    *, database_url: str | None = None, slack_url: str | None = None, setting: str | None = None
) -> None:
    """Tell the failure line which database and Slack this command uses, when not the environment's,
    and `setting`, the option that names the database."""
    if setting is not None:
        where.database_setting = setting
    if database_url is not None:
        where.database_url = database_url
    if slack_url is not None:
        where.slack_url = slack_url


class OperatorError(Exception):
    """A failure already worded for the operator: the problem, then the fix."""

    def __init__(self, message: str, *, status: int = RUNTIME) -> None:
        super().__init__(message)
        self.status = status


def safe_url(url: str) -> str:
    """A database URL fit to print: the password left out, the rest (host, port, name) kept."""
    try:
        parsed = make_url(url)
        shown = URL.create(
            parsed.drivername,
            username=parsed.username,
            host=parsed.host,
            port=parsed.port,
            database=parsed.database,
            query=parsed.query,
        )
        return shown.render_as_string(hide_password=False)
    except ArgumentError:
        return url.split("@", 1)[-1] if "@" in url else url


def read_text(path: str, *, what: str = "file") -> str:
    """The file's text, or an `OperatorError` saying which path failed and how to fix it."""
    target = Path(path)
    try:
        return target.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise OperatorError(f"{path}: no such {what}; check the path", status=USAGE) from None
    except IsADirectoryError:
        raise OperatorError(f"{path} is a folder; give the {what} inside it", status=USAGE) from None
    except PermissionError:
        raise OperatorError(f"{path}: not allowed to read it; check its permissions", status=USAGE) from None
    except UnicodeDecodeError as exc:
        raise OperatorError(
            f"{path} is not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at offset {exc.start}); "
            "save it as CSV UTF-8 and try again",
            status=USAGE,
        ) from None
    except OSError as exc:
        raise OperatorError(
            f"{path}: cannot read it ({exc.strerror}); check the path", status=USAGE
        ) from None


def write_text(path: str, content: str, *, encoding: str = "utf-8") -> None:
    """Write `content` to `path`, or raise an `OperatorError` naming the path and the fix."""
    try:
        with open(path, "w", encoding=encoding, newline="") as handle:
            handle.write(content)
    except IsADirectoryError:
        raise OperatorError(f"{path} is a folder; give a file name for --output", status=USAGE) from None
    except FileNotFoundError:
        raise OperatorError(
            f"cannot write {path}: its folder does not exist; create it or choose another --output",
            status=USAGE,
        ) from None
    except PermissionError:
        raise OperatorError(
            f"cannot write {path}: permission denied; choose an --output in a folder you can write to",
            status=USAGE,
        ) from None
    except OSError as exc:
        raise OperatorError(
            f"cannot write {path} ({exc.strerror}); choose another --output", status=USAGE
        ) from None


def describe(
    exc: BaseException, *, database_url: str | None = None, slack_url: str | None = None
) -> OperatorError:
    """The one line (and exit status) for a failure an operator's command did not word itself."""
    if isinstance(exc, OperatorError):
        return exc
    database = safe_url(database_url) if database_url else "the database"
    if isinstance(exc, ArgumentError | NoSuchModuleError) or (
        isinstance(exc, ModuleNotFoundError) and _raised_in(exc, "create_engine")
    ):
        return OperatorError(
            f"{where.database_setting} {database} is not a database URL this app can use; set it to "
            "postgresql://USER:PASSWORD@HOST:5432/NAME or sqlite:///PATH",
            status=USAGE,
        )
    if isinstance(exc, OperationalError):
        reason = _first_line(str(exc.orig) if exc.orig is not None else str(exc))
        return OperatorError(
            f"cannot use the database {database}: {reason}; check {where.database_setting} and that the server is running",
        )
    if isinstance(exc, DBAPIError):
        return OperatorError(f"the database {database} refused a query: {_first_line(str(exc.orig))}")
    slack = slack_url or "Slack"
    error = _slack_error(exc)
    if error is not None:
        if error in TOKEN_ERRORS:
            return OperatorError(
                f"Slack refused SLACK_BOT_TOKEN ({error}); set it to the app's Bot User OAuth Token (xoxb-…)",
                status=USAGE,
            )
        if error in UNREACHABLE or error.endswith("Error"):
            return OperatorError(
                f"cannot reach Slack at {slack} ({error}); check SLACK_API_URL and the network, then try again"
            )
        return OperatorError(f"Slack answered {error}; see the Slack app's settings")
    if isinstance(exc, FileExistsError | NotADirectoryError):
        return OperatorError(f"{exc.filename} is a file, not a folder; give a folder", status=USAGE)
    if isinstance(exc, OSError):
        place = f"{exc.filename}: " if exc.filename else ""
        return OperatorError(
            f"{place}{exc.strerror or type(exc).__name__}; check the path and its permissions", status=USAGE
        )
    return OperatorError(
        f"unexpected {type(exc).__name__}: {_first_line(str(exc))}; run again with {DEBUG_FLAG} for the details"
    )


def _raised_in(exc: BaseException, function: str) -> bool:
    """Whether `function` is on the way to the failure: a driver missing for a URL's scheme (mysql://
    wants MySQLdb) fails inside SQLAlchemy's create_engine, any other missing module elsewhere."""
    return any(frame.name == function for frame in traceback.extract_tb(exc.__traceback__))


def _slack_error(exc: BaseException) -> str | None:
    if isinstance(exc, SlackDeliveryError):
        return exc.error
    if isinstance(exc, SlackApiError):
        return str(exc.response.get("error") or "an error")
    if isinstance(exc, SlackClientError):
        return type(exc).__name__
    return None


def _first_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[0] if lines else "no details"


class OneLineFormatter(logging.Formatter):
    """Log records without their tracebacks (the record's own line says what failed); `--debug` keeps them."""

    def format(self, record: logging.LogRecord) -> str:
        if where.debug:
            return super().format(record)
        saved = record.exc_info, record.exc_text
        record.exc_info, record.exc_text = None, None
        try:
            return super().format(record)
        finally:
            record.exc_info, record.exc_text = saved


def configure_logging(level: int = logging.WARNING, *, tracebacks: bool = False) -> None:
    """Logging for an operator's command: one line per record, tracebacks only with `--debug`.

    `tracebacks` keeps them for a process that runs for good (the clock), whose log is read later."""
    handler = logging.StreamHandler()
    formatter = logging.Formatter if tracebacks else OneLineFormatter
    handler.setFormatter(formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=level, handlers=[handler], force=True)
    # slack_sdk logs a failed request before raising it; the command's own line already says so.
    logging.getLogger("slack_sdk").setLevel(logging.DEBUG if where.debug else logging.CRITICAL)


def run_operator_command(
    prog: str,
    body: Callable[[list[str]], int],
    argv: list[str] | None = None,
    *,
    environ: dict[str, str] | None = None,
) -> int:
    """Run `body(argv)`; a failure becomes `prog: <problem>; <fix>` on stderr and an exit status.

    The database and Slack URLs named in the line are the environment's unless the body says otherwise
    with `using` (the demo makes its own database and runs its own Slack).
    """
    args = list(sys.argv[1:] if argv is None else argv)
    debug = DEBUG_FLAG in args
    args = [arg for arg in args if arg != DEBUG_FLAG]
    env = os.environ if environ is None else environ
    where.database_url = env.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    where.slack_url = env.get("SLACK_API_URL") or DEFAULT_API_URL
    where.debug = debug
    where.database_setting = "DATABASE_URL"
    try:
        return body(args)
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        if debug:
            raise
        failure = describe(exc, database_url=where.database_url, slack_url=where.slack_url)
        print(f"{prog}: {failure}", file=sys.stderr)
        return failure.status
