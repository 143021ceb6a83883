"""MuJoCo environments for llmrl: L2R-style robots (quadruped, manipulator) and episodic-reward Gymnasium tasks.

Names load lazily: the plugin hook module imports this package and must not pull gymnasium or mujoco in.
"""

from __future__ import annotations

from llmrl_core.lazy import lazy_exports

_EXPORTS = {
    "EPISODIC_TASKS": "llmrl_env_mujoco.plugin",
    "EpisodicRewardWrapper": "llmrl_env_mujoco.episodic",
    "episodic_id": "llmrl_env_mujoco.episodic",
    "make_episodic": "llmrl_env_mujoco.episodic",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
