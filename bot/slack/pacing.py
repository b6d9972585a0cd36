"""Keeping one workspace's `chat.postMessage` calls under Slack's limits while several threads send.

Slack limits `chat.postMessage` per workspace (an unpublished ceiling per minute) and per channel (about
one a second, short bursts allowed), and answers 429 with `Retry-After` above them — for that workspace
only. A `Pacer` belongs to one workspace's client: it hands out start times spaced by the ceiling and,
per channel, a second apart; a 429 pauses that workspace alone until `Retry-After`, so other workspaces
go on. Hand-written because slack_sdk's `RateLimitErrorRetryHandler` sleeps only the thread that got the
429, while the workspace's other threads would keep knocking.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable

from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

log = logging.getLogger(__name__)

# The workspace-wide ceiling the clock paces itself by, per minute. Slack does not publish it; a 429
# still pauses the workspace, so a ceiling set too high costs throughput, never a message.
POSTS_PER_MINUTE_ENV = "SLACK_POSTS_PER_MINUTE"
DEFAULT_POSTS_PER_MINUTE = 600.0
# Kept a little under the ceiling: calls started on time can still arrive bunched.
HEADROOM = 0.98
CHANNEL_GAP_SECONDS = 1.0
# Slack lets a few posts into one channel through at once before its limit bites; after that, calls
# are spaced (a generic cell rate algorithm: each key remembers when its next call would be due at the
# steady rate). The workspace gets no burst: its ceiling may be counted over any window, a second
# included, and a burst on top of the steady rate overflows that window — each 429 then holds the
# whole workspace for its Retry-After, which cost more than the burst ever gained.
CHANNEL_BURST = 5
# Times one call waits out a 429 before its check-in is deferred to a later pass.
RATE_LIMIT_RETRIES = 5
# A longer Retry-After is not waited out in place: the check-in is deferred to a pass after it.
WAIT_IN_PLACE_SECONDS = 5.0


def posts_per_minute() -> float | None:
    raw = os.environ.get(POSTS_PER_MINUTE_ENV, "").strip()
    if not raw:
        return DEFAULT_POSTS_PER_MINUTE
    try:
        value = float(raw)
    except ValueError:
        log.warning(
            "%s=%r is not a number of posts per minute; pacing by %d",
            POSTS_PER_MINUTE_ENV,
            raw,
            DEFAULT_POSTS_PER_MINUTE,
        )
        return DEFAULT_POSTS_PER_MINUTE
    return value if value > 0 else None


class Pacer:
    """Start times for one workspace's posts: at most `per_minute` a minute, a channel at most once per
    `channel_gap` seconds, none while the workspace is paused by a 429."""

    def __init__(
        self,
        per_minute: float | None,
        *,
        channel_gap: float = CHANNEL_GAP_SECONDS,
        now: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.interval = 60.0 / (per_minute * HEADROOM) if per_minute else 0.0
        self.channel_gap = channel_gap
        self._now = now
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next_slot = 0.0
        self._paused_until = 0.0
        self._channel_next: dict[str, float] = {}

    def acquire(self, channel: str | None = None) -> None:
        """Blocks the calling thread until it may start its call."""
        while True:
            with self._lock:
                now = self._now()
                due = max(self._next_slot, now)
                start = max(now, self._paused_until, due)
                if channel is not None:
                    channel_due = max(self._channel_next.get(channel, now), now)
                    start = max(start, channel_due - (CHANNEL_BURST - 1) * self.channel_gap)
                    self._channel_next[channel] = max(channel_due, start) + self.channel_gap
                self._next_slot = max(due, start) + self.interval
            if start > now:
                self._sleep(start - now)
            with self._lock:
                # A 429 that came in while this thread slept holds it too.
                if self._paused_until <= self._now():
                    return
                if channel is not None:
                    self._channel_next[channel] = self._paused_until

    def pause(self, seconds: float) -> None:
        """Slack said 429: nothing more from this workspace for `seconds`."""
        with self._lock:
            until = self._now() + seconds
            self._paused_until = max(self._paused_until, until)
            self._next_slot = max(self._next_slot, self._paused_until)

    @property
    def paused_until(self) -> float:
        with self._lock:
            return self._paused_until


class PacedRateLimitRetryHandler(RateLimitErrorRetryHandler):
    """slack_sdk's 429 handler, but the wait is the whole workspace's (`Pacer.pause`), and the retry
    takes its turn like any other call. A 429 means Slack did not post: retrying cannot double."""

    def __init__(self, pacer: Pacer, *, max_retry_count: int = RATE_LIMIT_RETRIES) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.pacer = pacer

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        return (
            response is not None
            and response.status_code == 429
            and _retry_after(response) <= WAIT_IN_PLACE_SECONDS
        )

    def prepare_for_next_attempt(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        if response is None:
            raise error  # type: ignore[misc]
        state.next_attempt_requested = True
        if request.url.endswith("chat.postMessage"):
            self.pacer.pause(_retry_after(response))
            self.pacer.acquire()
        else:
            # Slack limits each method apart: another method's 429 holds only this call.
            time.sleep(_retry_after(response))
        state.increment_current_attempt()


def _retry_after(response: HttpResponse) -> float:
    for name, values in response.headers.items():
        if name.lower() == "retry-after":
            raw = values[0] if isinstance(values, list) else values
            try:
                return max(0.0, float(raw))
            except ValueError:
                break
    return 1.0
