"""Relabelling replay rewards with the decoder, and training the decoder online.

LaRe trains the decoder alongside the policy: each policy update samples
transitions and replaces their rewards with the decoder's current proxy reward.
Factors are stored per transition (they never change); rewards are computed at
sampling time (the decoder does change).

- :func:`relabel_rewards` + :class:`EpisodeStore`: for CleanRL-style loops.
- :class:`LatentReplayBuffer`: a drop-in Stable-Baselines3 ``ReplayBuffer``
  (``replay_buffer_class=LatentReplayBuffer``) fed by :class:`LatentRewardWrapper`'s
  ``episode_latent_factors``.
"""

from __future__ import annotations

from collections import deque
from typing import Any

import numpy as np

from llmrl_rewardgen.lare.decoder import Method, RewardDecoder


def relabel_rewards(decoder: RewardDecoder, factors: np.ndarray) -> np.ndarray:
    """Proxy rewards for stored factors (B, K) -> (B,), float32: the relabelling step of any loop."""
    return decoder.predict(np.asarray(factors, dtype=np.float32)).astype(np.float32)


class EpisodeStore:
    """Completed episodes (factors (T, K), return) for training the decoder; oldest dropped first."""

    def __init__(self, max_steps: int = 1_000_000):
        self.max_steps = max_steps
        self.episodes: deque[tuple[np.ndarray, float]] = deque()
        self.steps = 0

    def __len__(self) -> int:
        return len(self.episodes)

    def add(self, factors: np.ndarray, episode_return: float) -> None:
        factors = np.asarray(factors, dtype=np.float32)
        self.episodes.append((factors, float(episode_return)))
        self.steps += len(factors)
        while self.steps > self.max_steps and len(self.episodes) > 1:
            old, _ = self.episodes.popleft()
            self.steps -= len(old)

    def train_decoder(self, decoder: RewardDecoder, *, batch_episodes: int = 32, updates: int = 1,
                      method: Method | None = None) -> float | None:
        """``updates`` decoder steps on random episodes; the last loss, or None without data."""
        if not self.episodes:
            return None
        method = method or decoder.method
        loss = None
        for _ in range(updates):
            pick = decoder.rng.choice(len(self.episodes), size=min(batch_episodes, len(self.episodes)), replace=False)
            eps = [self.episodes[i] for i in pick]
            lengths = np.array([len(f) for f, _ in eps])
            idx, mask = decoder.sample_steps(lengths, method)
            x = np.stack([f[i] for (f, _), i in zip(eps, idx, strict=True)])
            loss = decoder.train_step(x, mask, lengths, np.array([r for _, r in eps], np.float32), method)
        return loss


def _sb3_replay_buffer_base():
    from stable_baselines3.common.buffers import ReplayBuffer

    return ReplayBuffer


class _LatentReplayBufferMixin:
    """Stores factors per transition; samples only transitions of completed episodes, relabelled."""

    def _setup_latent(self, decoder: RewardDecoder, batch_episodes: int, decoder_updates: int, decoder_every: int):
        self.decoder = decoder
        self.batch_episodes, self.decoder_updates, self.decoder_every = batch_episodes, decoder_updates, decoder_every
        k = decoder.n_factors
        self.factors = np.zeros((self.buffer_size, self.n_envs, k), dtype=np.float32)
        self.labelled = np.zeros((self.buffer_size, self.n_envs), dtype=bool)
        self.store = EpisodeStore(max_steps=self.buffer_size * self.n_envs)
        self._open: list[list[int]] = [[] for _ in range(self.n_envs)]
        self._samples = 0
        self.last_decoder_loss: float | None = None

    def add(self, obs, next_obs, action, reward, done, infos: list[dict[str, Any]]) -> None:
        pos = self.pos
        self.labelled[pos] = False
        super().add(obs, next_obs, action, reward, done, infos)
        for i, info in enumerate(infos):
            self._open[i].append(pos)
            if not done[i]:
                continue
            positions, self._open[i] = self._open[i], []
            factors = info.get("episode_latent_factors")
            if factors is None:
                raise KeyError(
                    "LatentReplayBuffer: the episode ended without info['episode_latent_factors']; wrap the env in "
                    "LatentRewardWrapper(env, latent, mode='episode') (inside SB3's Monitor)."
                )
            factors = np.asarray(factors, dtype=np.float32)
            if len(factors) != len(positions):
                raise ValueError(f"episode of {len(positions)} stored steps but {len(factors)} factor rows")
            self.decoder.observe(factors)
            self.factors[positions, i] = factors
            self.labelled[positions, i] = True
            self.store.add(factors, float(info["episode_return"]))

    def sample(self, batch_size: int, env=None):
        if self._samples % self.decoder_every == 0:
            loss = self.store.train_decoder(self.decoder, batch_episodes=self.batch_episodes,
                                            updates=self.decoder_updates)
            self.last_decoder_loss = loss if loss is not None else self.last_decoder_loss
        self._samples += 1
        rows, envs = np.nonzero(self.labelled)
        if len(rows) == 0:
            return super().sample(batch_size, env=env)  # no finished episode yet: the env's own rewards
        pick = np.random.randint(0, len(rows), size=batch_size)
        return self._latent_samples(rows[pick], envs[pick], env)

    def _latent_samples(self, batch_inds: np.ndarray, env_indices: np.ndarray, env=None):
        from stable_baselines3.common.type_aliases import ReplayBufferSamples

        rewards = relabel_rewards(self.decoder, self.factors[batch_inds, env_indices]).reshape(-1, 1)
        data = (
            self._normalize_obs(self.observations[batch_inds, env_indices, :], env),
            self.actions[batch_inds, env_indices, :],
            self._normalize_obs(self.next_observations[batch_inds, env_indices, :], env),
            (self.dones[batch_inds, env_indices] * (1 - self.timeouts[batch_inds, env_indices])).reshape(-1, 1),
            rewards,
        )
        return ReplayBufferSamples(*tuple(map(self.to_torch, data)))


def __dir__() -> list[str]:
    return sorted({*globals(), "LatentReplayBuffer"})


def __getattr__(name: str):
    # Built on first use so importing this module does not import stable-baselines3.
    if name == "LatentReplayBuffer":
        base = _sb3_replay_buffer_base()

        class LatentReplayBuffer(_LatentReplayBufferMixin, base):
            """SB3 replay buffer with LaRe relabelling: pass ``replay_buffer_kwargs=dict(decoder=...)``."""

            def __init__(self, buffer_size, observation_space, action_space, device="auto", n_envs=1,
                         optimize_memory_usage=False, handle_timeout_termination=True, *,
                         decoder: RewardDecoder, batch_episodes: int = 16, decoder_updates: int = 1,
                         decoder_every: int = 1):
                if optimize_memory_usage:
                    raise ValueError("LatentReplayBuffer does not support optimize_memory_usage=True")
                base.__init__(self, buffer_size, observation_space, action_space, device, n_envs,
                              optimize_memory_usage, handle_timeout_termination)
                self._setup_latent(decoder, batch_episodes, decoder_updates, decoder_every)

        globals()["LatentReplayBuffer"] = LatentReplayBuffer
        return LatentReplayBuffer
    raise AttributeError(name)
