"""llmrl-toolrl: tool-integrated RL (ToRL). Importing it is cheap: torch/TRL load inside functions."""

from __future__ import annotations

from llmrl_toolrl.config import ToolConfig, ToRLTrainConfig
from llmrl_toolrl.observation import extract_last_python_block, format_observation
from llmrl_toolrl.recipe import ToRLRecipe, train
from llmrl_toolrl.rollout import SandboxUnavailableError, ToolCall, Trajectory, rollout

__all__ = [
    "SandboxUnavailableError", "ToRLRecipe", "ToRLTrainConfig", "ToolCall", "ToolConfig", "Trajectory",
    "extract_last_python_block", "format_observation", "rollout", "train",
]
