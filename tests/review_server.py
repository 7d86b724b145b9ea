"""A real `autocode review` server process and requests to it, for the browser tests."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
REVIEWER = "human:tester"
START_TIMEOUT_S = 180


@dataclass
class Server:
    process: subprocess.Popen[str]
    base: str
    token: str
    port: int

    @property
    def url(self) -> str:
        return f"{self.base}/?token={self.token}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_server(project: Path, port: int = 0, audit_share: float = 0.0) -> Server:
    command = [
        sys.executable, "-m", "autocode", "review", "--project", str(project), "--no-browser",
        "--reviewer", "tester", "--order", "transcript", "--audit-share", str(audit_share),
        "--port", str(port),
    ]  # fmt: skip
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
    )
    deadline = time.monotonic() + START_TIMEOUT_S
    lines = []
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line)
        if line.startswith("Open http://127.0.0.1:"):
            url = line.split()[1]
            base, token = url.split("/?token=")
            threading.Thread(target=process.stdout.read, daemon=True).start()  # drain
            return Server(process, base, token, int(base.rsplit(":", 1)[1]))
    process.kill()
    raise AssertionError("the review server did not start:\n" + "".join(lines))


def call(server: Server, path: str, body: dict | None = None, headers: dict | None = None):
    """(status, headers, parsed JSON or text) of one request to the server."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        server.base + path, data=data, method="POST" if data else "GET"
    )
    if data is not None:
        request.add_header("Content-Type", "application/json")
    for key, value in (headers or {}).items():
        request.add_header(key, value)
    opener = urllib.request.build_opener(NoRedirect())
    try:
        with opener.open(request, timeout=30) as response:
            status, got, payload = response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        status, got, payload = error.code, dict(error.headers), error.read()
    text = payload.decode()
    if got.get("content-type", "").startswith("application/json"):
        return status, got, json.loads(text)
    return status, got, text


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None
