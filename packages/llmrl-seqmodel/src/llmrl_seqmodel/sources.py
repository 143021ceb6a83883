"""Source RL algorithms whose learning histories AD distils.

Each one acts, learns from every transition, and is told when an episode starts, so one
object run over many episodes of one task *is* a learning history.
"""

from __future__ import annotations

import math

import numpy as np


class Source:
    def begin_episode(self, k: int) -> None:
        """Called before episode ``k`` of the history."""

    def act(self, obs: np.ndarray, rng: np.random.Generator) -> int:
        raise NotImplementedError

    def update(self, obs: np.ndarray, action: int, reward: float, next_obs: np.ndarray, done: bool) -> None:
        """Learn from one transition (no-op for the oracle)."""


class RandomPolicy(Source):
    """Uniform actions: the random baseline, and DPT's in-context datasets on the bandit."""

    def __init__(self, n_actions: int):
        self.n_actions = n_actions

    def act(self, obs, rng):
        return int(rng.integers(self.n_actions))


class OracleEps(Source):
    """AD^eps's noisy oracle: the optimal action with probability 1 - eps, else a random one.

    eps falls linearly from 1 to 0 over ``anneal_fraction`` of the ``episodes``, so the
    history looks like a learning curve (``episodes=None`` gives the noise-free expert).
    """

    def __init__(self, env, n_actions: int, episodes: int | None, anneal_fraction: float = 0.7):
        self.env, self.n_actions = env, n_actions
        self.horizon = None if episodes is None else max(1.0, anneal_fraction * episodes)
        self.eps = 0.0 if episodes is None else 1.0

    def begin_episode(self, k: int) -> None:
        if self.horizon is not None:
            self.eps = max(0.0, 1.0 - k / self.horizon)

    def act(self, obs, rng):
        if rng.random() < self.eps:
            return int(rng.integers(self.n_actions))
        return int(self.env.optimal_action(obs))


class ExplorerEps(Source):
    """A noisy explore-then-exploit learner for the dark rooms: what a good in-context RL agent does.

    It walks to the nearest cell it has not stood on yet in this history (ties broken by a
    per-history random order) until it is rewarded somewhere; from then on it walks to that
    cell. With probability eps it acts at random instead, and eps is annealed from 1 to 0 over
    ``anneal_fraction`` of the history, as in AD^eps. Unlike the oracle it only uses what it
    has seen, so the history shows exploration as well as exploitation.
    """

    def __init__(self, moves: np.ndarray, nvec: np.ndarray, episodes: int, anneal_fraction: float, rng: np.random.Generator):
        self.moves = np.asarray(moves)
        self.n_actions = len(self.moves)
        self.visited = np.zeros(tuple(int(n) for n in nvec), dtype=bool)
        self.tiebreak = rng.random(self.visited.shape) * 0.5
        self.target: tuple[int, int] | None = None
        self.horizon = max(1.0, anneal_fraction * episodes)
        self.eps = 1.0

    def begin_episode(self, k: int) -> None:
        self.eps = max(0.0, 1.0 - k / self.horizon)

    def _goal(self, obs: np.ndarray) -> tuple[int, int]:
        if self.target is not None:
            return self.target
        xs, ys = np.nonzero(~self.visited)
        if len(xs) == 0:
            return int(obs[0]), int(obs[1])
        dist = np.abs(xs - obs[0]) + np.abs(ys - obs[1]) + self.tiebreak[xs, ys]
        i = int(np.argmin(dist))
        return int(xs[i]), int(ys[i])

    def act(self, obs, rng):
        self.visited[int(obs[0]), int(obs[1])] = True
        if rng.random() < self.eps:
            return int(rng.integers(self.n_actions))
        gx, gy = self._goal(obs)
        dx, dy = gx - int(obs[0]), gy - int(obs[1])
        if dx == 0 and dy == 0:
            return int(np.flatnonzero((self.moves == 0).all(1))[0])
        step = (int(np.sign(dx)), 0) if abs(dx) >= abs(dy) else (0, int(np.sign(dy)))
        return int(np.flatnonzero((self.moves == step).all(1))[0])

    def update(self, obs, action, reward, next_obs, done):
        self.visited[int(next_obs[0]), int(next_obs[1])] = True
        if reward > 0 and self.target is None:
            self.target = (int(next_obs[0]), int(next_obs[1]))


class QLearning(Source):
    """Tabular Q-learning with epsilon annealed from 1 to ``eps_final`` over the history."""

    def __init__(self, nvec: np.ndarray, n_actions: int, episodes: int, lr: float, gamma: float, eps_final: float):
        self.strides = np.cumprod(np.r_[1, nvec[:-1]]).astype(np.int64)
        self.q = np.zeros((int(np.prod(nvec)), n_actions))
        self.n_actions, self.episodes = n_actions, episodes
        self.lr, self.gamma, self.eps_final = lr, gamma, eps_final
        self.eps = 1.0

    def _s(self, obs) -> int:
        return int(np.dot(obs, self.strides))

    def begin_episode(self, k: int) -> None:
        frac = min(1.0, k / max(1, 0.7 * self.episodes))
        self.eps = 1.0 + (self.eps_final - 1.0) * frac

    def act(self, obs, rng):
        if rng.random() < self.eps:
            return int(rng.integers(self.n_actions))
        q = self.q[self._s(obs)]
        return int(rng.choice(np.flatnonzero(q == q.max())))

    def update(self, obs, action, reward, next_obs, done):
        s, s2 = self._s(obs), self._s(next_obs)
        target = reward + (0.0 if done else self.gamma * self.q[s2].max())
        self.q[s, action] += self.lr * (target - self.q[s, action])


class UCB(Source):
    """UCB1 for the bandit: try every arm once, then mean + c * sqrt(2 ln t / n)."""

    def __init__(self, n_actions: int, c: float = 1.0):
        self.counts = np.zeros(n_actions)
        self.sums = np.zeros(n_actions)
        self.c = c

    def act(self, obs, rng):
        untried = np.flatnonzero(self.counts == 0)
        if len(untried):
            return int(untried[0])
        t = self.counts.sum()
        score = self.sums / self.counts + self.c * np.sqrt(2 * math.log(t) / self.counts)
        return int(np.argmax(score))

    def update(self, obs, action, reward, next_obs, done):
        self.counts[action] += 1
        self.sums[action] += reward
