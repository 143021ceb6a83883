"""The hooks llmrl calls: the `llmrl grpo` command. Nothing heavy is imported here."""

from __future__ import annotations

from llmrl_core import CommandSpec, hookimpl


@hookimpl
def llmrl_commands():
    yield CommandSpec(name="grpo", app="llmrl_grpo.cli:app", description="Train/evaluate LLM reasoning with rule-based RL (MAYE, GRPO).")
