"""Hook implementations: the ``fusion`` sandbox and ``llmrl sandbox serve``, described lazily."""

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
    yield CommandSpec(  # joins llmrl-core's `llmrl sandbox` group, beside `run`
        name="sandbox serve",
        app="llmrl_sandbox_fusion.cli:serve",
        description="Serve any llmrl sandbox over the Sandbox Fusion HTTP API (POST /run_code, GET /v1/ping).",
    )
