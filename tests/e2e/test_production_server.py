"""The Procfile's web process: gunicorn serving the app, as a platform would start it."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from slack_emulator import SlackEmulator
from slack_emulator.outbound import SlackSender
from tests.conftest import CSM, SIGNING_SECRET, TOKEN, VENDOR_TEAM


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_gunicorn_serves_health_and_signed_commands(
    repo_root: Path, emulator: SlackEmulator, database_url: str, engine: object
) -> None:
    gunicorn = shutil.which("gunicorn", path=str(Path(sys.executable).parent))
    assert gunicorn, "gunicorn is a runtime dependency and must be installed"
    port = free_port()
    env = {
        **os.environ,
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": emulator.api_url,
        "DATABASE_URL": database_url,
        "PORT": str(port),
    }
    procfile = (repo_root / "Procfile").read_text()
    web_line = next(line for line in procfile.splitlines() if line.startswith("web:"))
    assert "gunicorn" in web_line and "app:wsgi_from_env()" in web_line
    server = subprocess.Popen(
        [gunicorn, "--bind", f"127.0.0.1:{port}", "--workers", "1", "--threads", "4", "app:wsgi_from_env()"],
        cwd=repo_root,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        health: dict[str, object] | None = None
        while time.monotonic() < deadline and health is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                    health = json.loads(response.read())
            except OSError:
                assert server.poll() is None, server.stderr.read().decode() if server.stderr else ""
                time.sleep(0.2)  # waiting for the server process to bind, not controlling time
        assert health is not None and health["database"] == "ok"

        sender = SlackSender(
            app_url=f"http://127.0.0.1:{port}",
            signing_secret=SIGNING_SECRET,
            team_id=VENDOR_TEAM,
            response_url=emulator.new_response_url,
            user_team=emulator.team_of,
            trigger_id=emulator.new_trigger_id,
        )
        assert sender.command("help", user_id=CSM).status == 200
        assert "/accountability commit" in emulator.wait_for("response_url", timeout=10)[0].params["text"]
        assert sender.post("{}", content_type="application/json", signature="v0=bad").status == 401
        stamp = {"X-Slack-Request-Timestamp": "soon"}
        assert sender.post("{}", content_type="application/json", extra_headers=stamp).status == 401
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(
                b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b"Content-Length: 5000000\r\nX-Slack-Request-Timestamp: 1\r\nX-Slack-Signature: v0=0\r\n\r\n"
            )
            assert b" 413 " in sock.recv(4096).split(b"\r\n")[0]
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_the_procfile_web_process_starts_once_and_answers_healthz_while_slack_is_unreachable(
    repo_root: Path, tmp_path: Path
) -> None:
    """Two workers on a new database: the app is built once (--preload), so migrations run once and
    the startup line appears once; and nothing at start asks Slack, which is not there."""
    port = free_port()
    slack = f"http://127.0.0.1:{free_port()}/api/"  # bound, released: nothing listens there
    database = f"sqlite:///{tmp_path / 'new.db'}"
    procfile = (repo_root / "Procfile").read_text()
    web_line = next(line for line in procfile.splitlines() if line.startswith("web:"))
    command = web_line.removeprefix("web:").strip().replace("0.0.0.0", "127.0.0.1")
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}",
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack,
        "DATABASE_URL": database,
        "PORT": str(port),
    }
    server = subprocess.Popen(
        ["bash", "-c", f"exec {command}"],
        cwd=repo_root,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        health: dict[str, object] | None = None
        while time.monotonic() < deadline and health is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                    health = json.loads(response.read())
            except OSError:
                assert server.poll() is None, server.stderr.read() if server.stderr else ""
                time.sleep(0.2)  # waiting for the server process to bind, not controlling time
        assert health is not None and health["database"] == "ok"
    finally:
        server.terminate()
        _out, log = server.communicate(timeout=20)
    assert "Traceback" not in log, log
    starts = [line for line in log.splitlines() if "web (gunicorn): database" in line]
    assert len(starts) == 1, log
    assert database in starts[0] and slack in starts[0]
    assert log.count("Running upgrade  -> 0001") == 1, log
