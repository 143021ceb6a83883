"""The ``e2b`` sandbox: E2B cloud VMs through the ``e2b-code-interpreter`` SDK.

Creating a remote sandbox costs ~0.5 s, so a small pool is kept and reused; each execution
gets a fresh code context (a new kernel) in its own directory, so variables and files do not
leak between executions. A timed-out execution keeps running remotely (E2B's SDK issue
#500), and so may one stopped at the output cap: that remote sandbox is killed and replaced.
The SDK is imported only when the sandbox is built.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from llmrl_core import ExecResult, Sandbox, SandboxUnavailableError
from llmrl_sandbox_e2b.config import E2BSandboxConfig

log = logging.getLogger(__name__)


class _OutputLimit(Exception):
    pass


class _Capped:
    """Collects streamed output and stops the stream once stdout + stderr pass the cap."""

    def __init__(self, limit: int):
        self.limit, self.size = limit, 0
        self.out: list[str] = []
        self.err: list[str] = []

    def _add(self, parts: list[str], msg: Any) -> None:
        text = getattr(msg, "line", msg)
        text = text if isinstance(text, str) else str(text)
        self.size += len(text.encode("utf-8", "replace"))
        parts.append(text)
        if self.size > self.limit:
            raise _OutputLimit

    def on_stdout(self, msg: Any) -> None:
        self._add(self.out, msg)

    def on_stderr(self, msg: Any) -> None:
        self._add(self.err, msg)

    def texts(self) -> tuple[str, str]:
        out, err = "".join(self.out), "".join(self.err)
        raw = (out + err).encode("utf-8", "replace")
        if len(raw) > self.limit:  # trim to the cap, stdout first
            out = out.encode("utf-8", "replace")[: self.limit].decode("utf-8", "replace")
            err = err.encode("utf-8", "replace")[: max(0, self.limit - len(out.encode()))].decode("utf-8", "replace")
        return out, err


def execution_to_result(execution: Any, capped: _Capped, duration_s: float) -> ExecResult:
    """Map an SDK ``Execution`` (streamed output already in ``capped``) to an ExecResult."""
    out, err = capped.texts()
    if not out and not err and execution is not None:  # no streaming callbacks were used
        out, err = "".join(execution.logs.stdout), "".join(execution.logs.stderr)
    error = getattr(execution, "error", None)
    if error is None:
        return ExecResult(out, err, 0, "ok", duration_s)
    traceback = getattr(error, "traceback", "") or ""
    last = f"{error.name}: {error.value}" if error.value else error.name
    detail = (traceback.rstrip() + "\n" if traceback else "") + last + "\n"
    status = "oom" if "MemoryError" in error.name else "error"
    return ExecResult(out, (err + detail) if err else detail, 1, status, duration_s)


class E2BSandbox(Sandbox):
    """Runs code in E2B cloud sandboxes. ``memory_mb`` is not enforced: E2B fixes memory per template."""

    name = "e2b"
    isolates = True  # each execution runs in a remote microVM, never on this host

    def __init__(self, config: E2BSandboxConfig, *, sandbox_factory: Callable[..., Any] | None = None):
        """``sandbox_factory`` replaces ``e2b_code_interpreter.Sandbox.create`` (tests use a test double)."""
        self.config = config
        key = self.config.api_key.get_secret_value() if self.config.api_key else os.environ.get("E2B_API_KEY")
        if not key:
            raise SandboxUnavailableError(
                "the e2b sandbox needs an E2B API key: set E2B_API_KEY (get one at https://e2b.dev/dashboard) or "
                "pass api_key=...; for a sandbox without a cloud account use get_sandbox('local')."
            )
        self._key = key
        self._domain = self.config.domain or os.environ.get("E2B_DOMAIN")
        if sandbox_factory is None:
            from e2b_code_interpreter import Sandbox as SdkSandbox

            sandbox_factory = SdkSandbox.create
        self._factory = sandbox_factory
        self._idle: queue.Queue[Any] = queue.Queue()
        self._slots = threading.BoundedSemaphore(self.config.pool_size)
        self._lock = threading.Lock()
        self._live: list[Any] = []
        self._closed = False

    def _create(self) -> Any:
        kwargs: dict[str, Any] = {"api_key": self._key, "timeout": self.config.sandbox_lifetime_s,
                                  "request_timeout": self.config.request_timeout_s,
                                  "allow_internet_access": self.config.allow_internet_access}
        if self._domain:
            kwargs["domain"] = self._domain
        if self.config.template:
            kwargs["template"] = self.config.template
        remote = self._factory(**kwargs)
        with self._lock:
            self._live.append(remote)
        return remote

    def _discard(self, remote: Any) -> None:
        with self._lock:
            if remote in self._live:
                self._live.remove(remote)
        try:
            remote.kill()
        except Exception as exc:  # noqa: BLE001 - it is being thrown away; say so and go on
            log.warning("could not kill e2b sandbox: %s", exc)

    def run(self, code: str, *, timeout_s: float = 10.0, memory_mb: int = 512,
            files: dict[str, bytes] | None = None) -> ExecResult:
        from e2b import TimeoutException

        start = time.monotonic()
        if self._closed:
            raise RuntimeError("this sandbox is closed; create a new one with llmrl_core.get_sandbox('e2b')")
        with self._slots:
            try:
                remote = self._idle.get_nowait()
            except queue.Empty:
                try:
                    remote = self._create()
                except Exception as exc:  # noqa: BLE001 - surfaced as a sandbox error with its cause
                    log.warning("could not create an e2b sandbox: %s", exc)
                    return ExecResult("", f"sandbox error: creating an E2B sandbox failed: {type(exc).__name__}: "
                                      f"{exc}", None, "sandbox_error", time.monotonic() - start)
            workdir = f"/tmp/llmrl-{uuid.uuid4().hex}"
            capped = _Capped(self.config.output_limit_bytes)
            keep = True
            context = None
            try:
                remote.files.make_dir(workdir)
                for rel, data in (files or {}).items():
                    remote.files.write(f"{workdir}/{rel}", data)
                context = remote.create_code_context(cwd=workdir, language="python")
                execution = remote.run_code(code, context=context, timeout=timeout_s,
                                            on_stdout=capped.on_stdout, on_stderr=capped.on_stderr)
                result = execution_to_result(execution, capped, time.monotonic() - start)
            except TimeoutException:
                keep = False  # the code keeps running remotely: this sandbox is spent
                out, err = capped.texts()
                result = ExecResult(out, err, None, "timeout", time.monotonic() - start)
            except _OutputLimit:
                keep = False
                out, err = capped.texts()
                result = ExecResult(out, err, None, "output_limit", time.monotonic() - start)
            except Exception as exc:  # noqa: BLE001 - never swallowed: the cause goes into the result
                keep = False
                log.warning("e2b execution failed: %s: %s", type(exc).__name__, exc)
                result = ExecResult("", f"sandbox error: E2B failed: {type(exc).__name__}: {exc}", None,
                                    "sandbox_error", time.monotonic() - start)
            if keep and not self.config.fresh_sandbox_per_run:
                try:
                    remote.remove_code_context(context)
                    remote.files.remove(workdir)
                    self._idle.put(remote)
                except Exception as exc:  # noqa: BLE001
                    log.warning("e2b cleanup failed, discarding that sandbox: %s", exc)
                    self._discard(remote)
            else:
                self._discard(remote)
            return result

    def run_many(self, codes: list[str], *, timeout_s: float = 10.0, memory_mb: int = 512) -> list[ExecResult]:
        with ThreadPoolExecutor(max_workers=self.config.pool_size) as pool:
            return list(pool.map(lambda c: self.run(c, timeout_s=timeout_s, memory_mb=memory_mb), codes))

    def close(self) -> None:
        self._closed = True
        with self._lock:
            live, self._live = list(self._live), []
        for remote in live:
            try:
                remote.kill()
            except Exception as exc:  # noqa: BLE001
                log.warning("could not kill e2b sandbox: %s", exc)
