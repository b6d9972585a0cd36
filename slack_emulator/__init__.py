"""A local stand-in for Slack's Web API that speaks the real wire protocol.

The app is pointed at it purely through a base URL, so end-to-end tests and the demo exercise the
same HTTP code paths (retries, rate limits, uploads, response URLs) that production does.
"""

from .records import Call, EmulatedUser
from .server import SlackEmulator

__all__ = ["Call", "EmulatedUser", "SlackEmulator"]
