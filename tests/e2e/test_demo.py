"""The README's run command without Slack credentials: the demo runs three weeks end to end, tells the
story step by step and leaves the digest's chart and the diary export in its output folder."""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from bot.diary.export import CSV_COLUMNS
from bot.digest.chart import HEIGHT_PX, WIDTH_PX

# One exact line fragment per step of the story, in the order the transcript tells it.
STEPS = (
    "Account *FitCo* created",
    "Recorded #3 on *FitCo* (vendor side): @Eli — “Ship the calendar import fix”, by Mon 30 Nov 2026 at 11:00.",
    "*Joint plan — FitCo (version 1)*",
    "Jo (customer champion) │ clicks [I agree]",
    "✅ @Jo agreed to version 1 on Tue 24 Nov 2026 09:30 (Europe/London).",
    # Sam's organisation refuses DMs from the app: the check-in comes to the shared channel.
    "bot ✗ Sam (FitCo ops lead) │ (Slack refuses the DM)",
    "bot → Casey (CSM) │ Slack won't let me send direct messages to @Sam (their organisation's settings)",
    "bot → #fitco-shared │ @Sam — your check-in for this account.",
    "Jo (customer champion) │ clicks [Done]",
    "This check-in belongs to @Sam; only they can answer it.",
    "Sam (FitCo ops lead) │ replies in the thread: “Sent to Priya on your onboarding team this morning.”",
    "Noted on your check-in for “Send the class timetable export to the onboarding team” (FitCo)",
    "Sam (FitCo ops lead) │ clicks [Done]",
    "✅ *Done* — answered by @Sam on Wed 25 Nov, 11:20.",
    "Thu 26 Nov 15:00 UTC pass: 1 check-in sent",
    "⏳ *Not yet* — answered by @Jo on Thu 26 Nov, 15:40.",
    "No worries about the last check-in for “Move one more gym's front desk onto the booking screen” (FitCo).",
    "bot → #fitco-shared │ *Weekly review — FitCo*",
    "Customer side: this week kept 1 of 2 (50 %) · last 4 weeks kept 1 of 2 (50 %)",
    "Jo (customer champion) │ clicks [Yes]",
    "✅ @Jo (customer) is confident",
    "Casey (CSM) │ clicks [Not sure]",
    "🤔 @Casey (vendor) is not sure",
    "Mon 30 Nov 09:00 UTC pass: 1 weekly digest posted",
    "*Weekly accountability digest*",
    "Mon 23 Nov – Mon 30 Nov 2026 09:00 (UTC) · 1 account",
    "FitCo — confident: Jo (customer) · not sure: Casey (vendor)",
    "#csm-desk (thread) │ 📎 Kept-rate per side — 12 weeks to 2026-11-30",
    "✅ *Done* — answered by @Jo on Mon 30 Nov, 10:20.",
    "⏳ *Not yet* — answered by @Eli on Tue 01 Dec, 11:45.",
    "*⚠️ Vendor commitment overdue*",
    "The vendor commitment was not done by its date (Mon 30 Nov).",
    "Casey (CSM) │ clicks [Acknowledge]",
    "Acknowledged by @Casey.",
    "For @Morgan (manager) and @Casey",
    "A gentle reminder: this check-in is still open.",
    '/accountability done #3 "Shipped in release 4.12; FitCo\'s calendars import cleanly."',
    "Resolved: the commitment is done",
    "Closed with no response on Fri 04 Dec, 18:00.",
    "*⚠️ Customer commitment slipping*",
    "Two of the last two check-ins were missed.",
    "Mon 07 Dec 09:00 UTC pass: 1 weekly digest posted",
    "Customer side kept 1 of 2 (50 %) →",
    "• FitCo — Customer commitment slipping (#2 “Move one more gym's front desk onto the booking screen”), "
    "2 days, *not acknowledged*",
    "Misses by side: customer 50 % (2) · vendor 50 % (2)",
    "◐ *Partly* — answered by @Jo on Mon 07 Dec, 10:30.",
    "Casey (CSM) │ clicks [Resolve]",
    "(a form opens: Resolve escalation) How was it resolved?",
    "Resolved by @Casey: Call with Jo: the sick leave is over; our onboarding lead joins Thursday's move.",
    "✅ *Done* — answered by @Jo on Thu 10 Dec, 15:30.",
    "Casey (CSM) │ /accountability digest FitCo",
    "*Accountability digest — FitCo*",
    "Customer kept 1.5 of 2 (75 %) ↑ · Vendor no check-ins",
    "📎 Kept-rate per side — 12 weeks to 2026-12-11",
    "Digest posted to #csm-desk (1 account).",
    "/accountability export FitCo",
    "diary entries of FitCo as fitco-diary.csv: it's in your DM with me.",
)
DIARY_KINDS = {
    "agreement_agreed",
    "answer_done",
    "note",
    "review_answer",
    "answer_partly",
    "answer_not_yet",
    "miss_noted",
    "no_response",
    "escalation_opened",
    "escalation_acknowledged",
    "escalation_raised",
    "escalation_resolved",
    "commitment_done",
}
# Where packages come from is the environment's business (pip's own configuration); the demo must
# not talk to Slack, so nothing Slack-related gets through.
SLACK_FREE_ENV = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_") and k != "PYTHONPATH"}


def assert_tells_the_story(transcript: str, output: Path) -> None:
    position = 0
    for step in STEPS:
        found = transcript.find(step, position)
        assert found >= 0, f"missing, or out of order: {step}"
        position = found + len(step)
    [written] = [line for line in transcript.splitlines() if line.startswith(f"Files written to {output}:")]
    assert "fitco-diary.csv" in written and "fitco-kept-rate.png" in written
    with Image.open(output / "fitco-kept-rate.png") as chart:
        assert (chart.format, chart.size) == ("PNG", (WIDTH_PX, HEIGHT_PX))
    with (output / "fitco-diary.csv").open(newline="", encoding="utf-8-sig") as export:
        reader = csv.DictReader(export)
        rows = list(reader)
    assert tuple(reader.fieldnames or ()) == CSV_COLUMNS
    assert rows and {row["account"] for row in rows} == {"FitCo"}
    assert {row["kind"] for row in rows} >= DIARY_KINDS
    # People by name, in plain text: no Slack markup or entities left for the spreadsheet to show.
    assert any(row["actor"].startswith("Casey") for row in rows)
    assert not any("<@" in row["text"] or "&amp;" in row["text"] for row in rows)


def test_demo_tells_three_weeks_and_writes_the_chart_and_the_diary_export(
    repo_root: Path, tmp_path: Path
) -> None:
    output = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, "-m", "demo", "--output", str(output)],
        cwd=repo_root,
        env=SLACK_FREE_ENV,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert_tells_the_story(done.stdout, output)
    assert_readme_shows_what_it_prints(repo_root, done.stdout)


def readme_transcript(repo_root: Path) -> list[str]:
    readme = (repo_root / "README.md").read_text(encoding="utf-8")
    section = readme.split("## What it looks like", 1)[1].split("## Run it", 1)[0]
    return section.split("```", 2)[1].strip("\n").splitlines()


def assert_readme_shows_what_it_prints(repo_root: Path, transcript: str) -> None:
    """Every line the README shows, except those it marks as cut (… or ⋮), is printed by the demo."""
    printed = set(transcript.splitlines())
    shown = [line for line in readme_transcript(repo_root) if line and "…" not in line and "⋮" not in line]
    assert len(shown) > 50
    assert [line for line in shown if line not in printed] == []


def runs_on_postgresql() -> bool:
    return os.environ.get("TEST_DATABASE_URL", "").startswith(("postgresql", "postgres:"))


@pytest.mark.slow
@pytest.mark.skipif(
    runs_on_postgresql(),
    reason="installs the package into a new virtual environment, which is slow: run once per CI run, on the "
    "SQLite pass (the demo uses its own SQLite database whatever TEST_DATABASE_URL says)",
)
def test_demo_runs_from_a_fresh_install_outside_the_source_tree(repo_root: Path, tmp_path: Path) -> None:
    """What a newcomer gets from `pip install`: the packages, their data (the Alembic migrations) and the
    demo, without the source tree on the path."""
    # Building from a copy keeps setuptools' build/ and *.egg-info out of the working tree, and a stale
    # build/ there out of the wheel.
    source = tmp_path / "source"
    shutil.copytree(
        repo_root,
        source,
        ignore=shutil.ignore_patterns(
            ".git", ".venv", "venv", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", "*.db"
        ),
    )
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", str(source)],
        env=SLACK_FREE_ENV,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert install.returncode == 0, install.stdout + install.stderr
    shutil.rmtree(source)  # nothing may be read from the source after installing

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    output = tmp_path / "out"
    located = subprocess.run(
        [str(python), "-c", "import demo, models; print(demo.__file__); print(models.__file__)"],
        cwd=elsewhere,
        env=SLACK_FREE_ENV,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert located.returncode == 0, located.stderr
    assert all(Path(path).is_relative_to(venv) for path in located.stdout.split()), located.stdout

    done = subprocess.run(
        [str(python), "-m", "demo", "--output", str(output)],
        cwd=elsewhere,
        env=SLACK_FREE_ENV,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr
    assert_tells_the_story(done.stdout, output)
