"""MuJoCo environments for llmrl: L2R-style robots (quadruped, manipulator) and episodic-reward Gymnasium tasks.

Names load lazily: the plugin hook module imports this package and must not pull gymnasium or mujoco in.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "EPISODIC_TASKS": "llmrl_env_mujoco.plugin",
    "EpisodicRewardWrapper": "llmrl_env_mujoco.episodic",
    "episodic_id": "llmrl_env_mujoco.episodic",
    "make_episodic": "llmrl_env_mujoco.episodic",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'llmrl_env_mujoco' has no attribute {name!r}")
