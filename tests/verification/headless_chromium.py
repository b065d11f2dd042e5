"""Open a local page in headless Chromium and report what a person would see go wrong, standard library only.

Chromium is driven over the DevTools protocol on a pipe (``--remote-debugging-pipe``: the browser reads
NUL-terminated JSON commands on fd 3 and writes replies and events on fd 4). The page is loaded with the
Runtime, Log and Network domains on, so every uncaught exception, console error, browser log error (a
Content-Security-Policy violation, a failed load) and every request for anything but the file itself
is collected.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

TIMEOUT_SECONDS = 30
# The flags a sandbox-less, offline, root run needs; nothing here reaches the network.
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--remote-debugging-pipe",
)


def chromium_path() -> str | None:
    if Path("/usr/bin/chromium").is_file():
        return "/usr/bin/chromium"
    return shutil.which("chromium")


@dataclass
class PageVisit:
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    # What ``expression`` evaluated to in the loaded page.
    value: Any = None
    screenshot: bytes = b""


class _Pipe:
    def __init__(self, process: subprocess.Popen[bytes], commands: int, replies: int) -> None:
        self._process = process
        self._commands = commands
        self._replies = replies
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict[str, Any]] = []

    def call(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        os.write(self._commands, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._read()
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                result: dict[str, Any] = reply.get("result", {})
                return result
            self.events.append(reply)

    def wait_for(self, method: str) -> None:
        if any(event.get("method") == method for event in self.events):
            return
        while True:
            event = self._read()
            self.events.append(event)
            if event.get("method") == method:
                return

    def _read(self) -> dict[str, Any]:
        deadline = time.monotonic() + TIMEOUT_SECONDS
        while b"\0" not in self._buffer:
            if time.monotonic() > deadline or self._process.poll() is not None:
                raise RuntimeError("Chromium stopped answering on the DevTools pipe")
            chunk = os.read(self._replies, 1 << 16)
            if not chunk:
                raise RuntimeError("Chromium closed the DevTools pipe")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        decoded: dict[str, Any] = json.loads(message)
        return decoded


def visit(page: Path, expression: str, width: int = 1200) -> PageVisit:
    """Loads ``page`` (a local file) and evaluates ``expression`` (returning JSON-able data) once loaded."""
    chromium = chromium_path()
    assert chromium, "no Chromium"
    commands_read, commands_write = os.pipe()
    replies_read, replies_write = os.pipe()

    def map_pipes() -> None:
        os.dup2(commands_read, 3)
        os.dup2(replies_write, 4)

    # Chromium's helper processes may still write to the profile for a moment after the browser exits.
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as profile:
        process = subprocess.Popen(
            [chromium, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            pass_fds=(3, 4),
            # Runs between fork and exec: puts the pipe ends where Chromium expects them.
            preexec_fn=map_pipes,
            # Its own process group, so the renderer and helper processes end with it.
            start_new_session=True,
        )
        os.close(commands_read)
        os.close(replies_write)
        try:
            return _drive(_Pipe(process, commands_write, replies_read), page, expression, width)
        finally:
            os.close(commands_write)
            os.close(replies_read)
            process.terminate()
            process.wait(timeout=TIMEOUT_SECONDS)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)


def _drive(pipe: _Pipe, page: Path, expression: str, width: int) -> PageVisit:
    targets = pipe.call("Target.getTargets")["targetInfos"]
    target = next(info["targetId"] for info in targets if info["type"] == "page")
    session = pipe.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
    for domain in ("Page", "Runtime", "Log", "Network"):
        pipe.call(f"{domain}.enable", session)
    screen = {"width": width, "deviceScaleFactor": 1, "mobile": False}
    pipe.call("Emulation.setDeviceMetricsOverride", session, height=800, **screen)
    pipe.events.clear()
    pipe.call("Page.navigate", session, url=page.resolve().as_uri())
    pipe.wait_for("Page.loadEventFired")
    evaluated = pipe.call("Runtime.evaluate", session, expression=expression, returnByValue=True)
    if "exceptionDetails" in evaluated:
        raise RuntimeError(f"the check expression failed: {evaluated['exceptionDetails']}")
    metrics = pipe.call("Page.getLayoutMetrics", session)["cssContentSize"]
    # The whole page in the screenshot: the viewport as tall as the content.
    pipe.call("Emulation.setDeviceMetricsOverride", session, height=int(metrics["height"]), **screen)
    shot = pipe.call("Page.captureScreenshot", session, format="png")["data"]

    visit = PageVisit(value=evaluated["result"].get("value"), screenshot=base64.b64decode(shot))
    for event in pipe.events:
        method, params = event.get("method"), event.get("params", {})
        if method == "Runtime.exceptionThrown":
            visit.errors.append(f"exception: {params['exceptionDetails'].get('text')}")
        elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            visit.errors.append(f"console.{params['type']}: {params.get('args')}")
        elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
            visit.errors.append(f"log: {params['entry'].get('text')}")
        elif method == "Network.loadingFailed":
            visit.errors.append(f"load failed: {params.get('errorText')} ({params.get('blockedReason', '')})")
        elif method == "Network.requestWillBeSent":
            visit.requests.append(params["request"]["url"])
    return visit
