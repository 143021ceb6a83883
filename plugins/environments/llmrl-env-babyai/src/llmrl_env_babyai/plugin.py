"""BabyAI levels under ``llmrl/BabyAI-*``: the hook llmrl calls, and the specs that importing
``llmrl_env_babyai`` registers with Gymnasium (minigrid is imported only on make)."""

from __future__ import annotations

from llmrl_core import EnvironmentSpec, hookimpl
from llmrl_env_babyai import LEVELS

ENVIRONMENTS = tuple(
    EnvironmentSpec(
        id=f"llmrl/BabyAI-{level}-v0",
        entry_point="llmrl_env_babyai.levels:BabyAIEnv",
        kwargs={"level": level},
        description=f"minigrid's BabyAI-{level}-v0, with bot demonstrations and subgoal captions (env.unwrapped.demonstrate(seed)).",
    )
    for level in LEVELS
)


@hookimpl
def llmrl_environments():
    yield from ENVIRONMENTS
