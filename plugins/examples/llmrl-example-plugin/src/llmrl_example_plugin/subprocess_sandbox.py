"""A teaching sandbox: one fresh ``python -I`` process per run, with resource limits.

It shows the ``Sandbox`` contract in few lines. It is not an isolation boundary
(no namespaces: the code sees the network and the file system), so llmrl never
uses it for LLM-written code; the ``local`` sandbox is the real one.
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from llmrl_core import ExecResult, Sandbox
from llmrl_example_plugin.config import SubprocessSandboxConfig


class SubprocessSandbox(Sandbox):
    name = "example-subprocess"

    def __init__(self, config: SubprocessSandboxConfig):
        self.config = config  # validated once, by the registry: get_sandbox("example-subprocess", ...)

    def run(self, code, *, timeout_s=10.0, memory_mb=512, files=None) -> ExecResult:
        start = time.monotonic()
        with tempfile.TemporaryDirectory(prefix="llmrl-example-") as workdir:
            for rel, content in (files or {}).items():
                target = Path(workdir, rel)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(content)

            def limits() -> None:
                limit = memory_mb * 1024 * 1024
                resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
                cpu = int(timeout_s) + 1
                resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))

            env = {"PATH": os.defpath, "OMP_NUM_THREADS": "1", "PYTHONIOENCODING": "utf-8"}
            proc = subprocess.Popen(
                [self.config.python or sys.executable, "-I", "-c", code], cwd=workdir, env=env, stdout=subprocess.PIPE,
                stderr=subprocess.PIPE, preexec_fn=limits, start_new_session=True,
            )
            try:
                out, err = proc.communicate(timeout=timeout_s)
                status = "ok" if proc.returncode == 0 else "error"
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                out, err = proc.communicate()
                status = "timeout"
            if status == "error" and b"MemoryError" in err[-2000:]:
                status = "oom"
            limit = self.config.output_limit_bytes
            if len(out) > limit or len(err) > limit:
                status = "output_limit"
            return ExecResult(
                stdout=out[:limit].decode("utf-8", "replace"),
                stderr=err[:limit].decode("utf-8", "replace"),
                exit_code=proc.returncode,
                status=status,
                duration_s=time.monotonic() - start,
            )
