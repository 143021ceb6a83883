"""Algorithm Distillation's environments: Dark Room (easy/hard), Dark Key-to-Door, Adversarial Bandit.

Every env is a family of *tasks* (a goal, a key/door pair, a bandit's arm means): ``env.unwrapped.tasks()``
enumerates them, :func:`task_split` splits them into train and held-out sets, and
``reset(options={"task": ...})`` (or ``{"goal": (x, y)}`` for the dark rooms) fixes one.

Importing this package registers the Gymnasium ids: ``gymnasium.make("llmrl/DarkRoom-v0")`` then works.
"""

from __future__ import annotations

from llmrl_core import register_env_specs
from llmrl_core.lazy import lazy_exports
from llmrl_env_gridworld.plugin import ENVIRONMENTS

_EXPORTS = {
    "AdversarialBanditEnv": "llmrl_env_gridworld.bandit",
    "DarkKeyToDoorEnv": "llmrl_env_gridworld.darkroom",
    "DarkRoomEnv": "llmrl_env_gridworld.darkroom",
    "task_split": "llmrl_env_gridworld.tasks",
}
__all__ = sorted(_EXPORTS)
# Lazy: the plugin hook module imports this package; the env modules load only when used.
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

register_env_specs(ENVIRONMENTS)  # entry-point strings only: the env modules load on gymnasium.make
