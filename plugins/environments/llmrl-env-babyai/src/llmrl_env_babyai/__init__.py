"""BabyAI levels (from the ``minigrid`` package) for llmrl, with bot demonstrations and subgoal captions.

Importing this package is light and registers the Gymnasium ids (``llmrl/BabyAI-<level>-v0``);
``levels`` (minigrid) loads when an env is made.
"""

from llmrl_core import register_env_specs

LEVELS = ("GoToLocal", "GoToObj", "PickupLoc", "MiniBossLevel", "BossLevel")

__all__ = ["LEVELS"]

from llmrl_env_babyai.plugin import ENVIRONMENTS  # noqa: E402 - the specs read LEVELS above

register_env_specs(ENVIRONMENTS)
