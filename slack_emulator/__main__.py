"""Run the emulator in the foreground so the demo (or a person with curl) can talk to it."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from types import FrameType

from .server import SlackEmulator


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m slack_emulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=3001, help="0 picks any free port")
    parser.add_argument("--token", default="xoxb-emulator", help="the only bot token accepted")
    parser.add_argument("--team-id", default="T0VENDOR")
    parser.add_argument("--bot-user-id", default="UBOT")
    parser.add_argument(
        "--user",
        action="append",
        default=[],
        metavar="ID[:REAL NAME[:TZ]]",
        help="add a workspace member, e.g. 'U1:Ada Lovelace:Europe/London' (repeatable)",
    )
    parser.add_argument(
        "--channel",
        action="append",
        default=[],
        metavar="ID:NAME",
        help="add a channel, e.g. 'C1:general' (repeatable)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    emulator = SlackEmulator(
        token=args.token, team_id=args.team_id, bot_user_id=args.bot_user_id, host=args.host, port=args.port
    )
    for spec in args.user:
        user_id, _, rest = spec.partition(":")
        real_name, _, tz = rest.partition(":")
        emulator.add_user(user_id, real_name=real_name or None, tz=tz or "America/New_York")
    for spec in args.channel:
        channel_id, _, name = spec.partition(":")
        emulator.add_channel(channel_id, name=name or channel_id.lower())

    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    emulator.start()
    print(emulator.api_url, flush=True)
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        emulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
