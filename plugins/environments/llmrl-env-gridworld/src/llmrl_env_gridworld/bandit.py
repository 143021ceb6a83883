"""Algorithm Distillation's Adversarial Bandit: 10 arms, 100 trials, a train/test parity shift.

A task is a vector of Bernoulli arm means. Training tasks put the best arm on an odd index
95% of the time; evaluation tasks on an even index 95% of the time, so a learner that only
memorised "pick an odd arm" fails at test time while one that learns in context does not.
"""

from __future__ import annotations

from typing import Any, Literal

import gymnasium as gym
import numpy as np


def sample_arm_means(rng: np.random.Generator, arms: int, split: Literal["train", "test"], bias: float = 0.95) -> np.ndarray:
    """Arm means for one task: uniform in [0, 1], with the best arm moved to the favoured parity."""
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    favoured = 1 if split == "train" else 0  # odd arms in training, even at evaluation
    parity = favoured if rng.random() < bias else 1 - favoured
    means = rng.random(arms)
    best = int(rng.choice(np.arange(parity, arms, 2)))
    top = int(np.argmax(means))
    means[[best, top]] = means[[top, best]]
    return means


class AdversarialBanditEnv(gym.Env):
    """One pull per step, ``trials`` steps per episode; the observation is a constant 0."""

    metadata = {"render_modes": []}

    def __init__(self, arms: int = 10, trials: int = 100, split: str = "train", task: Any = None):
        if arms < 2:
            raise ValueError(f"arms must be >= 2, got {arms}")
        self.arms, self.trials, self.split = arms, trials, split
        self.observation_space = gym.spaces.Discrete(1)
        self.action_space = gym.spaces.Discrete(arms)
        self._fixed = None if task is None else self._parse(task)
        self.means = self._fixed if self._fixed is not None else np.full(arms, 0.5)
        self._t = 0

    def _parse(self, task: Any) -> np.ndarray:
        means = np.asarray(task, dtype=np.float64)
        if means.shape != (self.arms,) or not np.all((means >= 0) & (means <= 1)):
            raise ValueError(f"a bandit task is {self.arms} arm means in [0, 1], got {task!r}")
        return means

    def tasks(self, n: int = 100, seed: int = 0, split: str | None = None) -> list[tuple[float, ...]]:
        """``n`` tasks of ``split`` (default: this env's), reproducible from ``seed``."""
        rng = np.random.default_rng(seed)
        return [tuple(sample_arm_means(rng, self.arms, split or self.split)) for _ in range(n)]

    def optimal_action(self, obs: Any = None) -> int:
        return int(np.argmax(self.means))

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        task = (options or {}).get("task")
        if task is not None:
            self._fixed = self._parse(task)
        self.means = self._fixed if self._fixed is not None else sample_arm_means(self.np_random, self.arms, self.split)
        self._t = 0
        return 0, {"means": self.means.copy()}

    def step(self, action):
        if not self.action_space.contains(action):
            raise ValueError(f"invalid action {action!r}; expected an arm index in [0, {self.arms - 1}]")
        self._t += 1
        reward = float(self.np_random.random() < self.means[int(action)])
        return 0, reward, False, self._t >= self.trials, {}
