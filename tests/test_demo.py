"""The README's run command without Slack credentials: the demo runs end to end and tells its story."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def test_demo_runs_the_slice_and_prints_each_step(repo_root: Path, database_url: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    done = subprocess.run(
        [sys.executable, "-m", "demo"], cwd=repo_root, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    transcript = done.stdout
    for step in (
        "Account *FitCo* created",
        "Recorded #1 on *FitCo* (customer side)",
        "Next check-ins (Europe/London, @Jo's time): Mon 30 Nov 10:00, Mon 07 Dec 10:00, Mon 14 Dec 10:00",
        "is not a day of the week",
        "Posted version 1 of FitCo's joint plan",
        "*Joint plan — FitCo (version 1)*",
        "[I agree]  [Let's discuss]",
        "clicks [I agree]",
        "✅ @Jo agreed to version 1",
        "pass at 10:00 UTC: sent 2",
        "[Done]  [Partly]  [Blocked]  [Not yet]  [Snooze]",
        "clicks [Done]",
        "(message updated) ✅ Done",
        "(message updated) ⏳ Not yet",
        "Demo finished",
    ):
        assert step in transcript, step
