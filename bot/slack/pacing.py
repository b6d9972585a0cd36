"""Keeping one workspace's `chat.postMessage` calls under Slack's limits while several threads send.

Slack limits `chat.postMessage` per workspace (an unpublished ceiling per minute) and per channel (about
one a second, short bursts allowed), and answers 429 with `Retry-After` above them — for that workspace
only. A `Pacer` belongs to one workspace's client: it hands out start times spaced by the ceiling and,
per channel, a second apart; a 429 pauses that workspace alone until `Retry-After`, so other workspaces
go on. Hand-written because slack_sdk's `RateLimitErrorRetryHandler` sleeps only the thread that got the
429, while the workspace's other threads would keep knocking.

Several clock processes against one PostgreSQL share a workspace's ceiling through a `SharedPace`
(`bot.slack.shared_pace`): each pacer takes a short run of start times at a time from it and spaces its
own threads inside the runs it holds, and a 429 one of them sees holds the others too. Alone, each
would pace itself to the whole ceiling, together they would send a multiple of it, and every 429 would
stop one of them for its Retry-After.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Protocol

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
# A pacer sharing its workspace's pace takes this many seconds' worth of start times at a time: one
# round trip per several posts, and at most this much of the ceiling left unused when a clock stops.
SHARED_RUN_SECONDS = 0.25


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


class SharedPace(Protocol):
    """One workspace's pace kept where every clock process sees it. Times are this process's
    `time.monotonic()`: the implementation converts from the one clock all processes share."""

    def reserve(self, count: int, interval: float, *, not_before: float) -> tuple[float, float]:
        """Takes `count` start times `interval` apart, none before `not_before` nor before any other
        process's: returns the first, and until when the workspace is paused."""
        ...

    def pause(self, seconds: float) -> None:
        """A 429: no process starts a post of this workspace for `seconds`."""
        ...


class Pacer:
    """Start times for one workspace's posts: at most `per_minute` a minute, a channel at most once per
    `channel_gap` seconds, none while the workspace is paused by a 429. With a `shared` pace, the
    per-minute ceiling is the whole workspace's, shared with the other processes' pacers."""

    def __init__(
        self,
        per_minute: float | None,
        *,
        channel_gap: float = CHANNEL_GAP_SECONDS,
        now: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        shared: SharedPace | None = None,
    ) -> None:
        self.interval = 60.0 / (per_minute * HEADROOM) if per_minute else 0.0
        self.channel_gap = channel_gap
        self._now = now
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next_slot = 0.0
        self._paused_until = 0.0
        self._channel_next: dict[str, float] = {}
        self._shared = shared if self.interval else None
        # Start times taken from the shared pace and not yet given to a thread, earliest first.
        self._held: deque[float] = deque()
        self._run = max(1, round(SHARED_RUN_SECONDS / self.interval)) if self.interval else 1

    def acquire(self, channel: str | None = None) -> None:
        """Blocks the calling thread until it may start its call."""
        while True:
            with self._lock:
                now = self._now()
                earliest = max(now, self._paused_until)
                if channel is not None:
                    channel_due = max(self._channel_next.get(channel, now), now)
                    earliest = max(earliest, channel_due - (CHANNEL_BURST - 1) * self.channel_gap)
                start = self._slot(earliest, now)
                if channel is not None:
                    self._channel_next[channel] = max(channel_due, start) + self.channel_gap
            if start > now:
                self._sleep(start - now)
            with self._lock:
                # A 429 that came in while this thread slept holds it too.
                if self._paused_until <= self._now():
                    return
                if channel is not None:
                    self._channel_next[channel] = self._paused_until

    def _slot(self, earliest: float, now: float) -> float:
        """The start time of one post, not before `earliest`; called under the lock."""
        if self._shared is not None:
            try:
                return self._shared_slot(earliest, now)
            except Exception:
                # The database is the pace's keeper, not the post's: without it, pace this process
                # alone (a 429 still pauses it) rather than hold the post back.
                log.warning("shared pace unavailable; pacing this process alone", exc_info=True)
        start = max(self._next_slot, earliest)
        self._next_slot = start + self.interval
        return start

    def _shared_slot(self, earliest: float, now: float) -> float:
        """A start time this process holds, else the first of a new run taken from the shared pace.
        One that passed less than an interval ago is still used (its post starts now): a thread a
        little late must not waste it, and it moves no more than one post into the next second."""
        while self._held and self._held[0] < now - self.interval:
            self._held.popleft()
        for index, slot in enumerate(self._held):
            if slot >= earliest - self.interval:
                del self._held[index]
                return max(slot, earliest)
        assert self._shared is not None
        first, paused_until = self._shared.reserve(self._run, self.interval, not_before=earliest)
        self._paused_until = max(self._paused_until, paused_until)
        self._held.extend(first + i * self.interval for i in range(1, self._run))
        return max(first, earliest)

    def pause(self, seconds: float) -> None:
        """Slack said 429: nothing more from this workspace for `seconds`, from any process sharing
        its pace."""
        with self._lock:
            until = self._now() + seconds
            self._paused_until = max(self._paused_until, until)
            self._next_slot = max(self._next_slot, self._paused_until)
        if self._shared is not None:
            try:
                self._shared.pause(seconds)
            except Exception:
                log.warning("could not share a 429's pause; this process still waits", exc_info=True)

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
