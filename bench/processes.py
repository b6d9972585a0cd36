"""What the benchmarks read off the processes they start: the Procfile's command lines, and peak RSS."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def procfile_words(role: str) -> list[str]:
    """The Procfile's line for `role` ("web", "clock"), split into words, run from this venv."""
    line = next(
        line.split(":", 1)[1]
        for line in (ROOT / "Procfile").read_text().splitlines()
        if line.startswith(f"{role}:")
    )
    words = shlex.split(line)
    venv = Path(sys.executable).parent
    if words[0] == "python":
        words[0] = sys.executable
    elif (venv / words[0]).exists():
        words[0] = str(venv / words[0])
    return words


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident memory (VmHWM), 0 once it has gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0
