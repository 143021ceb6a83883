"""Hook implementations: the two commands, described without importing the server stack."""

from __future__ import annotations

from llmrl_core import CommandSpec, hookimpl


@hookimpl
def llmrl_commands():
    yield CommandSpec(
        name="serve",
        app="llmrl_serve.cli:serve",
        description="Serve any llmrl provider (default: the embedded SmolLM2) over an OpenAI-compatible HTTP API.",
    )
    yield CommandSpec(
        name="generate",
        app="llmrl_serve.cli:generate",
        description="Complete a prompt with any llmrl provider and print the completions.",
    )
