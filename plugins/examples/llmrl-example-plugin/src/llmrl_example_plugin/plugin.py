"""The hooks llmrl calls. They only describe components; nothing heavy is imported here."""

from __future__ import annotations

from llmrl_core import EnvironmentSpec, SandboxSpec, hookimpl
from llmrl_example_plugin.config import SubprocessSandboxConfig

# Module-level, so that the package's __init__ can register the same specs with Gymnasium on import.
ENVIRONMENTS = (
    EnvironmentSpec(
        id="llmrl-example/Corridor-v0",
        entry_point="llmrl_example_plugin.corridor:CorridorEnv",
        max_episode_steps=50,
        description="Walk right along a 1-D corridor to the goal cell (reward 1 there, -0.01 a step).",
    ),
)


@hookimpl
def llmrl_environments():
    yield from ENVIRONMENTS


@hookimpl
def llmrl_sandboxes():
    yield SandboxSpec(
        name="example-subprocess",
        factory="llmrl_example_plugin.subprocess_sandbox:SubprocessSandbox",
        config=SubprocessSandboxConfig,
        description="Teaching example: a fresh `python -I` per run with rlimits. NOT isolated; use `local` for LLM code.",
    )
