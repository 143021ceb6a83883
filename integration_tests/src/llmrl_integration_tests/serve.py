"""Start a real `llmrl serve` on 127.0.0.1 for a test, and stop it."""

from __future__ import annotations

import contextlib
import queue
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

CLI = [sys.executable, "-c", "from llmrl_core.cli.main import run; run()"]
READY = re.compile(r"listening on (http://127\.0\.0\.1:(\d+)/v1)")


def start_serve(*args: str, timeout_s: float = 600) -> tuple[subprocess.Popen, str]:
    """`llmrl serve --port 0 ARGS` as a subprocess; returns it and its base URL once it listens."""
    proc = subprocess.Popen([*CLI, "serve", "--host", "127.0.0.1", "--port", "0", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    seen: list[str] = []
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=1)
        except queue.Empty:
            continue
        if line is None:
            break
        seen.append(line)
        if match := READY.search(line):
            return proc, match.group(1)
    proc.kill()
    raise AssertionError("llmrl serve did not come up:\n" + "".join(seen[-30:]))


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@contextlib.contextmanager
def serving(*args: str) -> Iterator[str]:
    """The base URL of a running `llmrl serve ARGS`, stopped on exit."""
    proc, base_url = start_serve(*args)
    try:
        yield base_url
    finally:
        stop(proc)
