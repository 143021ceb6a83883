"""A 1-D corridor: the smallest environment that still needs an agent to move."""

from __future__ import annotations

import gymnasium as gym
import numpy as np


class CorridorEnv(gym.Env):
    """The agent starts at cell 0 and must reach cell ``length - 1``. Actions: 0 left, 1 right."""

    metadata = {"render_modes": []}

    def __init__(self, length: int = 8):
        if length < 2:
            raise ValueError(f"length must be >= 2, got {length}")
        self.length = length
        self.observation_space = gym.spaces.Box(0.0, 1.0, shape=(1,), dtype=np.float32)
        self.action_space = gym.spaces.Discrete(2)
        self._pos = 0

    def _obs(self) -> np.ndarray:
        return np.array([self._pos / (self.length - 1)], dtype=np.float32)

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        self._pos = 0
        return self._obs(), {}

    def step(self, action):
        if not self.action_space.contains(action):
            raise ValueError(f"invalid action {action!r}; expected 0 (left) or 1 (right)")
        self._pos = int(np.clip(self._pos + (1 if action == 1 else -1), 0, self.length - 1))
        done = self._pos == self.length - 1
        return self._obs(), (1.0 if done else -0.01), done, False, {"position": self._pos}
