"""MuJoCo environments for llmrl: L2R-style robots (quadruped, manipulator) and episodic-reward Gymnasium tasks.

Importing this package registers its Gymnasium ids (``gymnasium.make("llmrl/Quadruped-v0")`` then works);
names load lazily: the plugin hook module imports this package and must not pull mujoco in.
"""

from __future__ import annotations

import importlib
from typing import Any

from llmrl_core import register_env_specs
from llmrl_env_mujoco.plugin import ENVIRONMENTS

_EXPORTS = {
    "EPISODIC_TASKS": "llmrl_env_mujoco.plugin",
    "EpisodicRewardWrapper": "llmrl_env_mujoco.episodic",
    "episodic_id": "llmrl_env_mujoco.episodic",
    "make_episodic": "llmrl_env_mujoco.episodic",
}
__all__ = sorted(_EXPORTS)

register_env_specs(ENVIRONMENTS)  # entry-point strings only: nothing heavy is imported


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'llmrl_env_mujoco' has no attribute {name!r}")
