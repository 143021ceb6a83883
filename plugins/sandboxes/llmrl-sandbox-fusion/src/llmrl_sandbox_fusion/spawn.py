"""Start ``llmrl sandbox serve`` replicas as subprocesses on this machine (tests, benchmarks, local fleets)."""

from __future__ import annotations

import subprocess
import sys
import tempfile

SERVE = [sys.executable, "-c", "from llmrl_core.cli.main import run; run()", "sandbox", "serve"]


def start_server(*options: str, sandbox: str = "local", host: str = "127.0.0.1",
                 extra_args: tuple[str, ...] = ()) -> tuple[subprocess.Popen, str]:
    """Start a replica on a free port; returns (process, base URL). ``options`` are ``key=value`` sandbox settings.

    Blocks until the server prints the URL it serves (the sandbox's workers are up by then).
    """
    cmd = [*SERVE, "--sandbox", sandbox, "--host", host, "--port", "0", *extra_args]
    for option in options:
        cmd += ["-o", option]
    stderr = tempfile.TemporaryFile(mode="w+")  # a file, not a pipe: a chatty server never blocks on it
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=stderr, text=True)
    line = proc.stdout.readline()
    if "serving" not in line:
        proc.kill()
        proc.wait()
        stderr.seek(0)
        raise RuntimeError(f"llmrl sandbox serve did not start ({' '.join(cmd[3:])}): {line!r}\n{stderr.read()[-2000:]}")
    return proc, line.split(" at ")[1].split()[0]


def stop_server(proc: subprocess.Popen, timeout_s: float = 10.0) -> None:
    """SIGTERM (a clean stop), then SIGKILL if it is still there after ``timeout_s``."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
