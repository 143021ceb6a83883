"""The environments AD runs on, reached through the llmrl registry (never by importing a plugin).

A profile names the Gymnasium id, the env kwargs, how tasks are enumerated and split, and
the episode length the model's context is measured in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from llmrl_core import make_env
from llmrl_core.errors import ConfigError


@dataclass(frozen=True)
class EnvProfile:
    name: str
    env_id: str
    episode_len: int
    """Steps in one episode (the longest one for envs that terminate early)."""
    kwargs: dict[str, Any] = field(default_factory=dict)
    bandit: bool = False

    def make(self, split: str = "train", **overrides: Any):
        """The bare env (no Gymnasium wrappers: the envs truncate themselves, and rollouts are hot loops)."""
        kwargs = {**self.kwargs, **overrides}
        if self.bandit:
            kwargs["split"] = split
        return make_env(self.env_id, **kwargs).unwrapped


ENVS: dict[str, EnvProfile] = {
    "darkroom": EnvProfile("darkroom", "llmrl/DarkRoom-v0", 20),
    "darkroom-hard": EnvProfile("darkroom-hard", "llmrl/DarkRoomHard-v0", 20),
    "key-to-door": EnvProfile("key-to-door", "llmrl/DarkKeyToDoor-v0", 50),
    "bandit": EnvProfile("bandit", "llmrl/AdversarialBandit-v0", 100, bandit=True),
}


def profile(name: str, **kwargs: Any) -> EnvProfile:
    """The profile ``name``; ``kwargs`` (e.g. ``size=5``) override the env's own defaults."""
    if name not in ENVS:
        raise ConfigError(f"unknown AD environment {name!r}; choose one of {', '.join(ENVS)}")
    base = ENVS[name]
    episode_len = int(kwargs.get("max_steps", kwargs.get("trials", base.episode_len)))
    return EnvProfile(base.name, base.env_id, episode_len, {**base.kwargs, **kwargs}, base.bandit)


def split_tasks(prof: EnvProfile, n_test: int, seed: int = 0, n_train: int | None = None) -> tuple[list, list]:
    """Held-out and training tasks: a seeded shuffle of the family (the bandit draws each split)."""
    if prof.bandit:
        n_train = n_train or 200
        train = prof.make("train").tasks(n=n_train, seed=seed, split="train")
        test = prof.make("test").tasks(n=n_test, seed=seed + 1, split="test")
        return train, test
    tasks = prof.make().tasks()
    if not 0 < n_test < len(tasks):
        raise ConfigError(f"n_test must be in [1, {len(tasks) - 1}] for {prof.name}'s {len(tasks)} tasks, got {n_test}")
    order = np.random.default_rng(seed).permutation(len(tasks))
    test = [tasks[i] for i in sorted(order[:n_test])]
    train = [tasks[i] for i in sorted(order[n_test:])]
    if n_train is not None:
        train = train[:n_train]
    return train, test


def obs_nvec(env) -> np.ndarray:
    """Cardinality of each observation component (the envs' observations are small integers)."""
    import gymnasium as gym

    space = env.observation_space
    if isinstance(space, gym.spaces.MultiDiscrete):
        return np.asarray(space.nvec, dtype=np.int64).ravel()
    if isinstance(space, gym.spaces.Discrete):
        return np.array([space.n], dtype=np.int64)
    raise ConfigError(f"AD needs discrete observations; {env} has {space}")


def encode_obs(obs: Any) -> np.ndarray:
    return np.atleast_1d(np.asarray(obs, dtype=np.int64))


def as_task(task: Any) -> Any:
    """JSON round-trips tuples as lists; envs accept either, but keys need tuples."""
    if isinstance(task, list):
        return tuple(as_task(t) for t in task)
    return task
