"""Algorithm Distillation's environments: Dark Room (easy/hard), Dark Key-to-Door, Adversarial Bandit.

Every env is a family of *tasks* (a goal, a key/door pair, a bandit's arm means): ``env.unwrapped.tasks()``
enumerates them, :func:`task_split` splits them into train and held-out sets, and
``reset(options={"task": ...})`` (or ``{"goal": (x, y)}`` for the dark rooms) fixes one.
"""

from llmrl_env_gridworld.bandit import AdversarialBanditEnv
from llmrl_env_gridworld.darkroom import DarkKeyToDoorEnv, DarkRoomEnv
from llmrl_env_gridworld.tasks import task_split

__all__ = ["AdversarialBanditEnv", "DarkKeyToDoorEnv", "DarkRoomEnv", "task_split"]
