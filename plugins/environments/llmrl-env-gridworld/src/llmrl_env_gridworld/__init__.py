"""Algorithm Distillation's environments: Dark Room (easy/hard), Dark Key-to-Door, Adversarial Bandit.

Every env is a family of *tasks* (a goal, a key/door pair, a bandit's arm means): ``env.unwrapped.tasks()``
enumerates them, :func:`task_split` splits them into train and held-out sets, and
``reset(options={"task": ...})`` (or ``{"goal": (x, y)}`` for the dark rooms) fixes one.

Importing this package registers the Gymnasium ids: ``gymnasium.make("llmrl/DarkRoom-v0")`` then works.
"""

from __future__ import annotations

import importlib
from typing import Any

from llmrl_core import register_env_specs
from llmrl_env_gridworld.plugin import ENVIRONMENTS

_EXPORTS = {
    "AdversarialBanditEnv": "llmrl_env_gridworld.bandit",
    "DarkKeyToDoorEnv": "llmrl_env_gridworld.darkroom",
    "DarkRoomEnv": "llmrl_env_gridworld.darkroom",
    "task_split": "llmrl_env_gridworld.tasks",
}
__all__ = sorted(_EXPORTS)

register_env_specs(ENVIRONMENTS)  # entry-point strings only: the env modules load on gymnasium.make


def __getattr__(name: str) -> Any:
    # Lazy: the plugin hook module imports this package; the env modules load only when used.
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(name)
