"""Episodic-reward MuJoCo: the reward arrives only when the episode ends (LaRe's and RRD's setting).

Credit-assignment methods learn from the episodic return alone; the per-step dense reward is
kept in ``info["dense_reward"]`` so that runs can still be evaluated by the task's own return.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym

from llmrl_env_mujoco.plugin import EPISODIC_HORIZONS

__all__ = ["EPISODIC_HORIZONS", "EpisodicRewardWrapper", "episodic_id", "make_episodic"]


def episodic_id(base_id: str) -> str:
    """``HalfCheetah-v5`` -> ``llmrl/EpisodicHalfCheetah-v5``."""
    return f"llmrl/Episodic{base_id}"


class EpisodicRewardWrapper(gym.Wrapper, gym.utils.RecordConstructorArgs):
    """Reward 0 on every step; on the last step (terminated or truncated) the episode's return.

    ``info["dense_reward"]`` carries the wrapped env's reward of each step, for evaluation only.
    Wrap an env that already has its time limit, so that truncation ends the episode here too.
    """

    def __init__(self, env: gym.Env):
        gym.utils.RecordConstructorArgs.__init__(self)
        gym.Wrapper.__init__(self, env)
        self._sum = 0.0

    def reset(self, **kwargs: Any):
        self._sum = 0.0
        return self.env.reset(**kwargs)

    def step(self, action):
        obs, reward, terminated, truncated, info = self.env.step(action)
        self._sum += float(reward)
        info = {**info, "dense_reward": float(reward)}
        if terminated or truncated:
            episodic, self._sum = self._sum, 0.0
            return obs, episodic, terminated, truncated, info
        return obs, 0.0, terminated, truncated, info


def make_episodic(base_id: str, **kwargs: Any) -> gym.Env:
    """Gymnasium entry point of the ``llmrl/Episodic...`` ids: ``gymnasium.make(base_id)`` (time limit
    included, so truncation pays the return), wrapped by :class:`EpisodicRewardWrapper`. ``kwargs`` go
    to the base env; the outer ``gymnasium.make`` adds the env checker, so the inner one is skipped."""
    return EpisodicRewardWrapper(gym.make(base_id, disable_env_checker=True, **kwargs))
