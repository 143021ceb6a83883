"""The hooks llmrl calls: the `llmrl toolrl` command. Nothing heavy is imported here."""

from __future__ import annotations

from llmrl_core import CommandSpec, hookimpl


@hookimpl
def llmrl_commands():
    yield CommandSpec(name="toolrl", app="llmrl_toolrl.cli:app",
                      description="Tool-integrated RL (ToRL): solve with a sandboxed code interpreter, or train with it.")
