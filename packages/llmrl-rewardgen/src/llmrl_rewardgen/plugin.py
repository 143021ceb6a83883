"""The hooks llmrl calls: the ``llmrl lare`` sub-command. Imports nothing heavy."""

from __future__ import annotations

from llmrl_core import CommandSpec, hookimpl


@hookimpl
def llmrl_commands():
    yield CommandSpec(
        name="lare",
        app="llmrl_rewardgen.lare.cli:app",
        description="LaRe: LLM-generated latent rewards for episodic RL (generate, train).",
    )
