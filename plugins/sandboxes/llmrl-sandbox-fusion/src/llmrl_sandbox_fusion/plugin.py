"""Hook implementations: the ``fusion`` sandbox and the ``llmrl sandbox`` commands, described lazily."""

from __future__ import annotations

from llmrl_core import CommandSpec, SandboxSpec, hookimpl
from llmrl_sandbox_fusion.config import FusionSandboxConfig


@hookimpl
def llmrl_sandboxes():
    yield SandboxSpec(
        name="fusion",
        factory="llmrl_sandbox_fusion.client:FusionSandbox",
        config=FusionSandboxConfig,
        description="A Sandbox Fusion /run_code endpoint (or `llmrl sandbox serve`): bounded concurrency, retries, "
        "every failure reported with its cause.",
    )


@hookimpl
def llmrl_commands():
    yield CommandSpec(
        name="sandbox",
        app="llmrl_sandbox_fusion.cli:app",
        description="Run code in a sandbox (run) or serve one over the Sandbox Fusion HTTP API (serve).",
    )
