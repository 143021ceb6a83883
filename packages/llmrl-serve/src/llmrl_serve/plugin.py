"""Hook implementations: ``llmrl serve``, described without importing the server stack."""

from __future__ import annotations

from llmrl_core import CommandSpec, hookimpl


@hookimpl
def llmrl_commands():
    yield CommandSpec(
        name="serve",
        app="llmrl_serve.cli:serve",
        description="Serve any llmrl provider (default: the embedded SmolLM2) over an OpenAI-compatible HTTP API.",
    )
