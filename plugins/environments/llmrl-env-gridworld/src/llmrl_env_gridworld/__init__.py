"""Algorithm Distillation's environments: Dark Room (easy/hard), Dark Key-to-Door, Adversarial Bandit.

Every env is a family of *tasks* (a goal, a key/door pair, a bandit's arm means): ``env.unwrapped.tasks()``
enumerates them, :func:`task_split` splits them into train and held-out sets, and
``reset(options={"task": ...})`` (or ``{"goal": (x, y)}`` for the dark rooms) fixes one.
"""

from __future__ import annotations

from llmrl_core.lazy import lazy_exports

_EXPORTS = {
    "AdversarialBanditEnv": "llmrl_env_gridworld.bandit",
    "DarkKeyToDoorEnv": "llmrl_env_gridworld.darkroom",
    "DarkRoomEnv": "llmrl_env_gridworld.darkroom",
    "task_split": "llmrl_env_gridworld.tasks",
}
__all__ = sorted(_EXPORTS)
# Lazy: the plugin hook module imports this package, and must not pull gymnasium in.
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
