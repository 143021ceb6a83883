"""The sandbox interface: run untrusted code out of process, with limits."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Literal

ExecStatus = Literal["ok", "error", "timeout", "oom", "output_limit", "sandbox_error"]
EXEC_STATUSES: tuple[ExecStatus, ...] = ("ok", "error", "timeout", "oom", "output_limit", "sandbox_error")


@dataclass(frozen=True)
class ExecResult:
    """What one execution did.

    ``status`` is ``ok`` for exit code 0, ``error`` for an exception or non-zero
    exit, and one of the limit statuses when a limit stopped it. ``sandbox_error``
    means the sandbox itself failed, not the code.
    """

    stdout: str
    stderr: str
    exit_code: int | None
    status: ExecStatus
    duration_s: float

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def error_last_line(self) -> str:
        """The last non-empty line of stderr: the exception, without the traceback."""
        lines = [line for line in self.stderr.splitlines() if line.strip()]
        return lines[-1] if lines else ""


class Sandbox(ABC):
    """Runs code it does not trust. A context manager that owns its workers."""

    name: str = "sandbox"
    isolates: bool = False
    """The sandbox's claim to be an isolation boundary: code it runs cannot reach this host's files,
    network, processes or environment. ``HostileProgramSuite`` runs (it writes into ``/etc`` and
    site-packages, forks and allocates without end) only against a sandbox that claims it."""

    @abstractmethod
    def run(
        self,
        code: str,
        *,
        timeout_s: float = 10.0,
        memory_mb: int = 512,
        files: dict[str, bytes] | None = None,
    ) -> ExecResult:
        """Execute ``code`` (Python) once. ``files`` are placed in the working dir first."""

    def run_many(
        self, codes: list[str], *, timeout_s: float = 10.0, memory_mb: int = 512
    ) -> list[ExecResult]:
        """Execute several programs; results in input order. Override to run them in parallel."""
        return [self.run(code, timeout_s=timeout_s, memory_mb=memory_mb) for code in codes]

    def close(self) -> None:
        """Stop the workers. Safe to call twice."""

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
