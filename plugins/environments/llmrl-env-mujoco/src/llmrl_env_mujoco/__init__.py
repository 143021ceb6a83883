"""Episodic-reward Gymnasium MuJoCo environments for llmrl (``llmrl/Episodic<id>``, LaRe's and RRD's setting).

Importing this package registers its Gymnasium ids (``gymnasium.make("llmrl/EpisodicReacher-v5")`` then works);
names load lazily: the plugin hook module imports this package and must not pull mujoco in.
"""

from __future__ import annotations

from llmrl_core import register_env_specs
from llmrl_core.lazy import lazy_exports
from llmrl_env_mujoco.plugin import ENVIRONMENTS

_EXPORTS = {
    "EPISODIC_HORIZONS": "llmrl_env_mujoco.plugin",
    "EpisodicRewardWrapper": "llmrl_env_mujoco.episodic",
    "episodic_id": "llmrl_env_mujoco.episodic",
    "make_episodic": "llmrl_env_mujoco.episodic",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

register_env_specs(ENVIRONMENTS)  # entry-point strings only: nothing heavy is imported
