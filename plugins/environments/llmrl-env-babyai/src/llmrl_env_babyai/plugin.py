"""The hooks llmrl calls: BabyAI levels under ``llmrl/BabyAI-*`` (minigrid is imported only on make)."""

from __future__ import annotations

from llmrl_core import EnvironmentSpec, hookimpl
from llmrl_env_babyai import LEVELS


@hookimpl
def llmrl_environments():
    for level in LEVELS:
        yield EnvironmentSpec(
            id=f"llmrl/BabyAI-{level}-v0",
            entry_point="llmrl_env_babyai.levels:BabyAIEnv",
            kwargs={"level": level},
            description=f"minigrid's BabyAI-{level}-v0, with bot demonstrations and subgoal captions (env.unwrapped.demonstrate(seed)).",
        )
