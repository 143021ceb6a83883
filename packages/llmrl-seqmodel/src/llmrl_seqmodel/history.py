"""Learning histories: a source algorithm run on one task for many episodes, logged step by step.

Histories are generated in parallel (``llmrl_core.parallel.parallel_map`` on a local process pool
or Ray; one job per task and seed, each seeded from ``(seed, job)`` so the result depends neither on
the worker count nor on the executor) and stored as one
compressed ``histories.npz`` of ragged arrays plus a ``manifest.json``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from llmrl_seqmodel.config import HistoryConfig
from llmrl_seqmodel.envs import EnvProfile, as_task, encode_obs, obs_nvec
from llmrl_seqmodel.storage import load_arrays, save_arrays

log = logging.getLogger(__name__)


@dataclass
class Histories:
    """Ragged learning histories: history ``i`` is ``obs[offsets[i]:offsets[i + 1]]`` (and so on)."""

    obs: np.ndarray  # [N, D] int16
    next_obs: np.ndarray  # [N, D] int16
    actions: np.ndarray  # [N] int16
    rewards: np.ndarray  # [N] float32
    steps: np.ndarray  # [N] int16, step index within its episode
    offsets: np.ndarray  # [H + 1] int64
    episode_returns: list[list[float]]
    tasks: list[Any]
    meta: dict[str, Any]

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def history(self, i: int) -> dict[str, np.ndarray]:
        a, b = self.offsets[i], self.offsets[i + 1]
        return {"obs": self.obs[a:b], "actions": self.actions[a:b], "rewards": self.rewards[a:b], "steps": self.steps[a:b]}

    def save(self, directory: str | Path) -> Path:
        returns = [np.asarray(r) for r in self.episode_returns]
        manifest = {
            **self.meta,
            "histories": len(self),
            "transitions": int(self.offsets[-1]),
            "tasks": [np.asarray(t).tolist() for t in self.tasks],
            "episode_returns": [r.tolist() for r in returns],
            "first_episode_return": float(np.mean([r[0] for r in returns])),
            "last_episode_return": float(np.mean([r[-1] for r in returns])),
        }
        arrays = {k: getattr(self, k) for k in ("obs", "next_obs", "actions", "rewards", "steps", "offsets")}
        return save_arrays(directory, "histories", arrays, manifest, meta_file="manifest.json")

    @classmethod
    def load(cls, directory: str | Path) -> Histories:
        data, manifest = load_arrays(directory, "histories", "llmrl ad collect", meta_file="manifest.json")
        tasks = [as_task(t) for t in manifest.pop("tasks")]
        returns = manifest.pop("episode_returns")
        return cls(data["obs"], data["next_obs"], data["actions"], data["rewards"], data["steps"], data["offsets"], returns, tasks, manifest)


def resolve_source(cfg: HistoryConfig, prof: EnvProfile) -> HistoryConfig:
    """``cfg`` with its source named: None becomes the env's RL learner; a source the env cannot take is an error."""
    from llmrl_seqmodel.config import default_source

    source = cfg.source or default_source(prof.name)
    if source in ("ucb", "thompson", "eps-greedy") and not prof.bandit:
        raise ValueError(f"source {source!r} is for the bandit; use 'q-learning' (the default), 'explorer-eps', "
                         "'oracle-eps' or 'expert' on grid worlds")
    if prof.bandit and source in ("q-learning", "policy-gradient", "explorer-eps"):
        raise ValueError(f"the bandit has one state, so {source!r} does not apply; use source 'ucb' (the default), "
                         "'thompson', 'eps-greedy', 'oracle-eps' or 'expert'")
    if source == "explorer-eps" and prof.name == "key-to-door":
        raise ValueError("source 'explorer-eps' is for the dark rooms (one goal cell); on key-to-door use "
                         "'q-learning' (the default) or 'oracle-eps'")
    return cfg if source == cfg.source else cfg.model_copy(update={"source": source})


def make_source(cfg: HistoryConfig, env, n_actions: int, rng: np.random.Generator):
    """The source named by ``cfg.source`` (already resolved) on ``env``."""
    from llmrl_seqmodel import sources

    if cfg.source == "explorer-eps":
        return sources.ExplorerEps(env.moves, obs_nvec(env), cfg.episodes, cfg.anneal_fraction, rng)
    if cfg.source == "oracle-eps":
        return sources.OracleEps(env, n_actions, cfg.episodes, cfg.anneal_fraction)
    if cfg.source == "random":
        return sources.RandomPolicy(n_actions)
    if cfg.source == "expert":
        return sources.OracleEps(env, n_actions, None)
    if cfg.source == "q-learning":
        return sources.QLearning(obs_nvec(env), n_actions, cfg.episodes, cfg.q_lr, cfg.q_gamma, cfg.q_eps,
                                 eps_start=cfg.q_eps_start, anneal_fraction=cfg.anneal_fraction, q_init=cfg.q_init,
                                 reward_bit=hasattr(env, "key"))
    if cfg.source == "policy-gradient":
        return sources.PolicyGradient(obs_nvec(env), n_actions, cfg.pg_lr, cfg.pg_gamma, cfg.pg_value_lr,
                                      reward_bit=hasattr(env, "key"))
    if cfg.source == "thompson":
        return sources.Thompson(n_actions)
    if cfg.source == "eps-greedy":
        return sources.EpsGreedyBandit(n_actions, cfg.bandit_eps)
    return sources.UCB(n_actions, cfg.ucb_c)


def run_history(prof: EnvProfile, task: Any, cfg: HistoryConfig, job: int, split: str = "train") -> dict[str, Any]:
    """One learning history of ``cfg.source`` on ``task``: ``cfg.episodes`` episodes, every step logged."""
    cfg = resolve_source(cfg, prof)
    env = prof.make(split)
    n_actions = int(env.action_space.n)
    rng = np.random.default_rng([cfg.seed, job])
    source = make_source(cfg, env, n_actions, rng)
    obs_l, next_l, act_l, rew_l, step_l, returns = [], [], [], [], [], []
    for k in range(cfg.episodes):
        source.begin_episode(k)
        obs, _ = env.reset(seed=int(rng.integers(2**31)) if k == 0 else None, options={"task": task})
        obs, ret, t, done = encode_obs(obs), 0.0, 0, False
        while not done:
            action = source.act(obs, rng)
            nxt, reward, terminated, truncated, _ = env.step(action)
            nxt = encode_obs(nxt)
            source.update(obs, action, float(reward), nxt, terminated)
            if k % cfg.keep_every == 0:
                obs_l.append(obs)
                next_l.append(nxt)
                act_l.append(action)
                rew_l.append(reward)
                step_l.append(t)
            obs, ret, t, done = nxt, ret + float(reward), t + 1, terminated or truncated
        source.end_episode()
        returns.append(ret)
    return {
        "obs": np.asarray(obs_l, dtype=np.int16),
        "next_obs": np.asarray(next_l, dtype=np.int16),
        "actions": np.asarray(act_l, dtype=np.int16),
        "rewards": np.asarray(rew_l, dtype=np.float32),
        "steps": np.asarray(step_l, dtype=np.int16),
        "returns": returns,
    }


def _job(args):
    return run_history(*args)


def _map_jobs(jobs: list[tuple], cfg: HistoryConfig, on_done: Callable[[int], None] | None) -> list[dict[str, Any]]:
    """``run_history`` of every job, in job order. Each job seeds itself from ``(seed, job)``, so where it
    runs (in this process, a local pool or Ray: ``cfg.executor``) never changes the histories."""
    from llmrl_core.parallel import parallel_map, resolve_executor

    report = (lambda _i, _r: on_done(1)) if on_done else None
    if resolve_executor(cfg.executor) == "local" and (cfg.workers == 1 or len(jobs) == 1):
        results = []
        for i, job in enumerate(jobs):
            results.append(_job(job))
            if report:
                report(i, results[-1])
        return results
    return parallel_map(_job, jobs, backend=cfg.executor, max_workers=cfg.workers, on_result=report)


def collect(prof: EnvProfile, tasks: list[Any], cfg: HistoryConfig, *, split: str = "train",
            on_done: Callable[[int], None] | None = None) -> Histories:
    """Histories for every task x ``cfg.histories_per_task``, in ``cfg.workers`` processes."""
    cfg = resolve_source(cfg, prof)
    jobs = [(prof, task, cfg, i * cfg.histories_per_task + r, split)
            for i, task in enumerate(tasks) for r in range(cfg.histories_per_task)]
    results = _map_jobs(jobs, cfg, on_done)
    lengths = [len(r["actions"]) for r in results]
    log.info("collected %d histories, %d transitions", len(results), sum(lengths))
    return Histories(
        obs=np.concatenate([r["obs"] for r in results]),
        next_obs=np.concatenate([r["next_obs"] for r in results]),
        actions=np.concatenate([r["actions"] for r in results]),
        rewards=np.concatenate([r["rewards"] for r in results]),
        steps=np.concatenate([r["steps"] for r in results]),
        offsets=np.r_[0, np.cumsum(lengths)].astype(np.int64),
        episode_returns=[r["returns"] for r in results],
        tasks=[j[1] for j in jobs],
        meta={"env": prof.name, "env_id": prof.env_id, "env_kwargs": prof.kwargs, "episode_len": prof.episode_len,
              "config": cfg.model_dump(), "n_actions": int(prof.make(split).action_space.n),
              "obs_nvec": obs_nvec(prof.make(split)).tolist()},
    )
