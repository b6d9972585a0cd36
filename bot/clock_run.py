"""Which clock process runs a pass, and the pass's own clock, which leases are read and written on.

Several clock processes may run against one PostgreSQL database. Each claim they make carries the
process's name and a lease: an expiry read on the pass's clock (`tick --at` instant plus the time the
pass has taken), so a process killed mid-pass leaves claims that a later pass takes over once the lease
has run out, and never claims that stay claimed for ever.
"""

from __future__ import annotations

import os
import socket
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

# Long enough for a living pass to finish a claimed batch (each Slack call times out in 10 s and the
# clock retries none in place), short enough that a dead clock's work goes out within the quarter hour.
LEASE = timedelta(minutes=10)


@dataclass(frozen=True)
class ClockRun:
    host: str
    pid: int
    as_of: datetime
    started: float = field(default_factory=time.monotonic)

    @classmethod
    def this_process(cls, *, as_of: datetime) -> ClockRun:
        return cls(host=socket.gethostname()[:64], pid=os.getpid(), as_of=as_of)

    @property
    def clock_id(self) -> str:
        return f"{self.host}:{self.pid}"

    def now(self) -> datetime:
        """The pass's clock: its instant plus the time it has been running."""
        return self.as_of + timedelta(seconds=time.monotonic() - self.started)

    def lease_until(self) -> datetime:
        return self.now() + LEASE
