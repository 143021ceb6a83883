"""The optional request log: one JSON object per line, appended as each request ends."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

from llmrl_core import Generation


class RequestLog:
    """Appends entries to ``path`` (created with its parent directories); safe from any thread."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file = path.open("a", encoding="utf-8")
        self._lock = threading.Lock()

    def write(self, entry: dict[str, Any]) -> None:
        line = json.dumps(entry, ensure_ascii=False, default=str)
        with self._lock:
            self._file.write(line + "\n")
            self._file.flush()

    def close(self) -> None:
        with self._lock:
            self._file.close()


def entry(path: str, started: float, status: int, body: Any, *, error: str | None = None,
          gens: list[Generation] | None = None, **extra: Any) -> dict[str, Any]:
    """One log line: when, which route, the request body as sent, and what came of it."""
    return {
        "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "path": path, "status": status,
        "duration_s": round(time.monotonic() - started, 4), "request": body, "error": error,
        "choices": None if gens is None else [
            {"text": g.text, "finish_reason": g.finish_reason, "stop_reason": g.stop_reason,
             "completion_tokens": None if g.token_ids is None else len(g.token_ids)} for g in gens],
        **extra,
    }
