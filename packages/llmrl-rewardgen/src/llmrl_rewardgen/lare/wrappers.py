"""A Gymnasium wrapper that adds latent factors / proxy rewards, for any RL code.

The episodic-reward tasks themselves are environments of the ``llmrl-env-mujoco`` plugin
(``llmrl/EpisodicHalfCheetah-v5`` ...), reached through the registry: see :func:`make_episodic_env`.
"""

from __future__ import annotations

from typing import Any, Literal

import gymnasium as gym
import numpy as np

from llmrl_rewardgen.lare.evaluator import LatentFunction


def episodic_env_id(env_id: str) -> str:
    """The registered episodic-reward id of a Gymnasium task: ``HalfCheetah-v5`` -> ``llmrl/EpisodicHalfCheetah-v5``.

    An id that is already episodic is returned as is.
    """
    return env_id if env_id.startswith("llmrl/Episodic") else f"llmrl/Episodic{env_id}"


def make_episodic_env(env_id: str, **kwargs: Any) -> gym.Env:
    """The episodic-reward version of ``env_id`` (reward 0 until the episode ends, then its return;
    the dense reward in ``info["dense_reward"]``), made through the plugin registry."""
    from llmrl_core import list_components, make_env

    eid = episodic_env_id(env_id)
    known = sorted(c.name for c in list_components("environment") if c.name.startswith("llmrl/Episodic"))
    if eid not in known:
        raise ValueError(
            f"no episodic-reward environment {eid!r} is registered (registered: {known or 'none'}). "
            "Episodic tasks come from the llmrl-env-mujoco plugin: install it (`pip install llmrl-env-mujoco`), "
            "or pick one of the registered tasks."
        )
    return make_env(eid, **kwargs)


class LatentRewardWrapper(gym.Wrapper):
    """Adds LaRe's latent factors (and, with a decoder, the proxy reward) to any Gymnasium env.

    ``mode="episode"`` (training speed): the episode's (observation, action) pairs are
    kept and evaluated in ONE call at its end; the last step's info carries
    ``episode_latent_factors`` (T, K) and ``episode_return`` (the env's return). The
    step reward is the env's own; learners relabel stored transitions with the
    decoder (see :mod:`llmrl_rewardgen.lare.replay`).

    ``mode="step"``: every step is evaluated at once (one call per step: with a
    sandboxed function this costs a sandbox round trip per step) and, if a decoder is
    given, the step reward becomes the decoder's proxy reward (the env reward stays in
    ``info["env_reward"]``) — for on-policy or generic code that cannot relabel.
    """

    def __init__(self, env: gym.Env, latent: LatentFunction, decoder=None, mode: Literal["episode", "step"] = "episode"):
        super().__init__(env)
        if mode not in ("episode", "step"):
            raise ValueError(f"mode must be 'episode' or 'step', got {mode!r}")
        self.latent, self.decoder, self.mode = latent, decoder, mode
        self._obs: np.ndarray | None = None
        self._observations: list[np.ndarray] = []
        self._actions: list[np.ndarray] = []
        self._return = 0.0

    def reset(self, **kwargs: Any):
        obs, info = self.env.reset(**kwargs)
        self._obs = np.asarray(obs, dtype=np.float32)
        self._observations, self._actions, self._return = [], [], 0.0
        return obs, info

    def step(self, action):
        if self._obs is None:
            raise RuntimeError("call reset() before step()")
        act = np.asarray(action, dtype=np.float32).reshape(-1)
        prev = self._obs
        obs, reward, terminated, truncated, info = self.env.step(action)
        self._obs = np.asarray(obs, dtype=np.float32)
        self._return += float(reward)
        info = dict(info)
        if self.mode == "step":
            factors = self.latent(prev[None], act[None])[0]
            info["latent_factors"] = factors
            if self.decoder is not None:
                info["env_reward"] = float(reward)
                reward = float(self.decoder.predict(factors[None])[0])
        else:
            self._observations.append(prev)
            self._actions.append(act)
            if terminated or truncated:
                info["episode_latent_factors"] = self.latent(np.stack(self._observations), np.stack(self._actions))
                info["episode_return"] = self._return
                self._observations, self._actions = [], []
        return obs, reward, terminated, truncated, info
