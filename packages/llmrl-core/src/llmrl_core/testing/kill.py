"""Killing a run for real, for resume tests: SIGKILL leaves no chance to clean up or flush."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path


def kill_after_first_checkpoint(command: Sequence[str], checkpoints: Path, pattern: str, *,
                                timeout_s: float = 300) -> Path:
    """Start ``command``, SIGKILL it once ``checkpoints`` holds a file matching ``pattern``; return that file.

    Fails when the command ends on its own first (then nothing was killed and a resume test
    would prove nothing) or no checkpoint appears within ``timeout_s``.
    """
    proc = subprocess.Popen(list(command), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env={**os.environ, "COLUMNS": "200"})
    deadline = time.monotonic() + timeout_s
    while not list(checkpoints.glob(pattern)) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    stderr = proc.stderr.read().decode(errors="replace")[-2000:] if proc.stderr else ""
    assert proc.returncode == -signal.SIGKILL, f"the run was not killed (exit code {proc.returncode}): {stderr}"
    found = sorted(checkpoints.glob(pattern))
    assert len(found) == 1, f"expected one checkpoint matching {pattern} in {checkpoints}, found {found}"
    return found[0]
