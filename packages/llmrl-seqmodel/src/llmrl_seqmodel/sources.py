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

    def end_episode(self) -> None:
        """Called after the last step of every episode (learners that update per episode learn here)."""


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


class TabularState:
    """Index of a grid observation in a table, optionally with the learner's own "rewarded yet in this
    episode" bit: Key-to-Door's invisible key makes before-key and after-key look the same."""

    def __init__(self, nvec: np.ndarray, reward_bit: bool):
        nvec = np.asarray(nvec, dtype=np.int64)
        self.nvec = np.r_[nvec, 2] if reward_bit else nvec
        self.strides = np.cumprod(np.r_[1, self.nvec[:-1]]).astype(np.int64)
        self.reward_bit, self.rewarded = reward_bit, 0

    @property
    def size(self) -> int:
        return int(np.prod(self.nvec))

    def __call__(self, obs) -> int:
        if self.reward_bit:
            obs = np.r_[obs, self.rewarded]
        return int(np.dot(obs, self.strides))


class QLearning(Source):
    """Tabular Q-learning with optimistic initial values and epsilon-greedy actions.

    ``q_init`` above every reachable return makes untried actions look best, so the learner
    explores systematically until rewards pull its values down (optimism in the face of
    uncertainty); epsilon falls linearly from ``eps_start`` to ``eps_final`` over
    ``anneal_fraction`` of the history.
    """

    def __init__(self, nvec: np.ndarray, n_actions: int, episodes: int, lr: float, gamma: float, eps_final: float,
                 eps_start: float = 0.0, anneal_fraction: float = 0.7, q_init: float = 0.0, reward_bit: bool = False):
        self.state = TabularState(nvec, reward_bit)
        self.q = np.full((self.state.size, n_actions), float(q_init))
        self.n_actions, self.lr, self.gamma = n_actions, lr, gamma
        self.eps_start, self.eps_final = eps_start, eps_final
        self.horizon = max(1.0, anneal_fraction * episodes)
        self.eps = eps_start

    def begin_episode(self, k: int) -> None:
        self.eps = self.eps_start + (self.eps_final - self.eps_start) * min(1.0, k / self.horizon)
        self.state.rewarded = 0

    def act(self, obs, rng):
        if self.eps > 0 and rng.random() < self.eps:
            return int(rng.integers(self.n_actions))
        q = self.q[self.state(obs)]
        return int(rng.choice(np.flatnonzero(q == q.max())))

    def update(self, obs, action, reward, next_obs, done):
        s = self.state(obs)
        self.state.rewarded |= int(reward > 0)
        target = reward + (0.0 if done else self.gamma * self.q[self.state(next_obs)].max())
        self.q[s, action] += self.lr * (target - self.q[s, action])


class PolicyGradient(Source):
    """REINFORCE with a per-state value baseline on a tabular softmax policy, updated after every episode.

    The policy is stochastic and changes smoothly from episode to episode, like the A3C learner
    whose histories the AD paper distils; its exploration is the policy's own randomness.
    """

    def __init__(self, nvec: np.ndarray, n_actions: int, lr: float, gamma: float, value_lr: float,
                 reward_bit: bool = False):
        self.state = TabularState(nvec, reward_bit)
        self.logits = np.zeros((self.state.size, n_actions))
        self.value = np.zeros(self.state.size)
        self.lr, self.gamma, self.value_lr = lr, gamma, value_lr
        self.episode: list[tuple[int, int, float]] = []

    def begin_episode(self, k: int) -> None:
        self.state.rewarded = 0
        self.episode = []

    def _probs(self, s: int) -> np.ndarray:
        z = self.logits[s] - self.logits[s].max()
        p = np.exp(z)
        return p / p.sum()

    def act(self, obs, rng):
        return int(rng.choice(len(self.logits[0]), p=self._probs(self.state(obs))))

    def update(self, obs, action, reward, next_obs, done):
        self.episode.append((self.state(obs), action, reward))
        self.state.rewarded |= int(reward > 0)

    def end_episode(self) -> None:
        ret = 0.0
        for s, a, r in reversed(self.episode):
            ret = r + self.gamma * ret
            advantage = ret - self.value[s]
            self.value[s] += self.value_lr * advantage
            grad = -self._probs(s)
            grad[a] += 1.0
            self.logits[s] += self.lr * advantage * grad
        self.episode = []


class EpsGreedyBandit(Source):
    """Sample-average epsilon-greedy for the bandit (untried arms first)."""

    def __init__(self, n_actions: int, eps: float = 0.1):
        self.counts = np.zeros(n_actions)
        self.sums = np.zeros(n_actions)
        self.eps = eps

    def act(self, obs, rng):
        untried = np.flatnonzero(self.counts == 0)
        if len(untried):
            return int(untried[0])
        if rng.random() < self.eps:
            return int(rng.integers(len(self.counts)))
        means = self.sums / self.counts
        return int(rng.choice(np.flatnonzero(means == means.max())))

    def update(self, obs, action, reward, next_obs, done):
        self.counts[action] += 1
        self.sums[action] += reward


class Thompson(Source):
    """Thompson sampling with a Beta(1, 1) prior per arm (Bernoulli rewards)."""

    def __init__(self, n_actions: int):
        self.wins = np.ones(n_actions)
        self.losses = np.ones(n_actions)

    def act(self, obs, rng):
        return int(np.argmax(rng.beta(self.wins, self.losses)))

    def update(self, obs, action, reward, next_obs, done):
        self.wins[action] += reward
        self.losses[action] += 1 - reward


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
