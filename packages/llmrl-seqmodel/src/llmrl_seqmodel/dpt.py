"""Decision-Pretrained Transformer (Lee et al. 2023) on AD's code: a baseline for in-context RL.

DPT is given a query state and an in-context dataset of transitions (here from a uniformly
random policy on a training task) and predicts the *optimal* action for the query. Tokens
are ``[query, (s, a, r, s')_1, ..., (s, a, r, s')_n]``; every position predicts the query's
optimal action, so one window trains every context size. Online, the context is the agent's
own past transitions and the query its current state; actions are sampled.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from llmrl_seqmodel.config import EvalConfig, ModelConfig, TrainConfig
from llmrl_seqmodel.envs import EnvProfile, encode_obs
from llmrl_seqmodel.history import Histories
from llmrl_seqmodel.train import TrainStats, fit


def _all_states(nvec: np.ndarray) -> np.ndarray:
    grids = np.meshgrid(*[np.arange(n) for n in nvec], indexing="ij")
    return np.stack([g.ravel() for g in grids], -1)


def optimal_table(prof: EnvProfile, tasks: list[Any], split: str = "train") -> tuple[np.ndarray, np.ndarray]:
    """``(states [S, D], actions [tasks, S])``: the oracle's action in every state of every task."""
    if prof.name == "key-to-door":
        raise ValueError("DPT needs the optimal action from the observation alone; Key-to-Door hides the key state")
    env = prof.make(split)
    nvec = np.asarray(env.observation_space.nvec if hasattr(env.observation_space, "nvec") else [env.observation_space.n])
    states = _all_states(nvec)
    table = np.zeros((len(tasks), len(states)), dtype=np.int64)
    for i, task in enumerate(tasks):
        env.reset(seed=0, options={"task": task})
        table[i] = [env.optimal_action(s if len(s) > 1 else int(s[0])) for s in states]
    return states, table


class DPTSampler:
    """Windows of random-policy transitions from one task, plus a uniformly drawn query state."""

    def __init__(self, hist: Histories, states: np.ndarray, table: np.ndarray, task_of_history: np.ndarray,
                 length: int, seed: int):
        self.hist, self.states, self.table, self.task_of = hist, states, table, task_of_history
        self.length, self.lengths = length, np.diff(hist.offsets)
        self.rng = np.random.default_rng(seed)

    def batch(self, size: int) -> dict[str, np.ndarray]:
        n = self.length - 1
        h = self.rng.integers(len(self.lengths), size=size)
        s = (self.rng.random(size) * (self.lengths[h] - n + 1)).astype(np.int64)
        idx = (self.hist.offsets[h] + s)[:, None] + np.arange(n)
        q = self.rng.integers(len(self.states), size=size)
        D = self.states.shape[1]
        obs = np.concatenate([self.states[q][:, None], self.hist.obs[idx]], 1).astype(np.int64)
        next_obs = np.concatenate([np.full((size, 1, D), -1), self.hist.next_obs[idx]], 1).astype(np.int64)
        n_actions = self.table.max() + 1 if self.table.size else 1
        act = np.concatenate([np.full((size, 1), n_actions), self.hist.actions[idx]], 1).astype(np.int64)
        rew = np.concatenate([np.zeros((size, 1)), self.hist.rewards[idx]], 1).astype(np.float32)
        step = np.concatenate([np.zeros((size, 1)), self.hist.steps[idx]], 1).astype(np.int64)
        target = np.repeat(self.table[self.task_of[h], q][:, None], self.length, 1)
        return {"obs": obs, "prev_action": act, "prev_reward": rew, "step": step, "next_obs": next_obs, "target": target}


def train_dpt(prof: EnvProfile, hist: Histories, model_cfg: ModelConfig, cfg: TrainConfig,
              on_step: Callable[[int, float], None] | None = None):
    """Train DPT on random-policy histories ``hist`` (one task per history, ``hist.tasks``)."""
    from llmrl_seqmodel.model import PolicySpec, SeqPolicy

    unique = list(dict.fromkeys(hist.tasks))
    states, table = optimal_table(prof, unique)
    task_of = np.array([unique.index(t) for t in hist.tasks])
    length = model_cfg.context_episodes * prof.episode_len
    model = SeqPolicy(PolicySpec(
        obs_nvec=list(hist.meta["obs_nvec"]), n_actions=int(hist.meta["n_actions"]), episode_len=prof.episode_len,
        n_positions=length, n_embd=model_cfg.n_embd, n_layer=model_cfg.n_layer, n_head=model_cfg.n_head,
        n_inner=model_cfg.n_inner, dropout=model_cfg.dropout, attn_dropout=model_cfg.attn_dropout,
        token_mask=0.0, next_obs=True,
    ))
    sampler = DPTSampler(hist, states, table, task_of, length, cfg.seed)
    stats: TrainStats = fit(model, lambda: sampler.batch(cfg.batch_size), cfg, on_step)
    return model, stats


def evaluate_dpt(model, prof: EnvProfile, tasks: list[Any], cfg: EvalConfig, *, split: str = "test",
                 on_episode: Callable[[int], None] | None = None) -> np.ndarray:
    """Online DPT: query = current state, context = the latest past transitions. ``[B, episodes]`` returns."""
    import torch

    model.eval()
    envs, obs = [], []
    for s in range(cfg.seeds):
        for i, task in enumerate(tasks):
            env = prof.make(split)
            o, _ = env.reset(seed=cfg.seed * 100_003 + s * 1009 + i, options={"task": task})
            envs.append(env)
            obs.append(encode_obs(o))
    B, n, E, D = len(envs), model.spec.n_positions - 1, cfg.episodes, len(obs[0])
    T = E * prof.episode_len
    tr_obs = np.zeros((B, T, D), dtype=np.int64)
    tr_next = np.zeros((B, T, D), dtype=np.int64)
    tr_act = np.zeros((B, T), dtype=np.int64)
    tr_rew = np.zeros((B, T), dtype=np.float32)
    tr_step = np.zeros((B, T), dtype=np.int64)
    returns, episode, t_in_ep = np.zeros((B, E)), np.zeros(B, dtype=np.int64), np.zeros(B, dtype=np.int64)
    gen = torch.Generator().manual_seed(cfg.seed)
    reported = 0
    with torch.inference_mode():
        for g in range(T):
            active = episode < E
            if not active.any():
                break
            lo = max(0, g - n)
            q = np.stack(obs)[:, None]
            batch = {
                "obs": np.concatenate([q, tr_obs[:, lo:g]], 1),
                "prev_action": np.concatenate([np.full((B, 1), model.spec.n_actions), tr_act[:, lo:g]], 1),
                "prev_reward": np.concatenate([np.zeros((B, 1), np.float32), tr_rew[:, lo:g]], 1),
                "step": np.concatenate([np.zeros((B, 1), np.int64), tr_step[:, lo:g]], 1),
                "next_obs": np.concatenate([np.full((B, 1, D), -1), tr_next[:, lo:g]], 1),
            }
            logits = model(**{k: torch.from_numpy(v) for k, v in batch.items()})[:, -1]
            if cfg.greedy:
                actions = logits.argmax(-1).numpy()
            else:
                actions = torch.multinomial(torch.softmax(logits.float(), -1), 1, generator=gen)[:, 0].numpy()
            for b in np.flatnonzero(active):
                o, r, term, trunc, _ = envs[b].step(int(actions[b]))
                o = encode_obs(o)
                tr_obs[b, g], tr_next[b, g], tr_act[b, g], tr_rew[b, g], tr_step[b, g] = obs[b], o, actions[b], r, t_in_ep[b]
                returns[b, episode[b]] += r
                t_in_ep[b] += 1
                if term or trunc:
                    episode[b] += 1
                    t_in_ep[b] = 0
                    o, _ = envs[b].reset()
                    o = encode_obs(o)
                obs[b] = o
            done = int(episode.min())
            if on_episode and done > reported:
                on_episode(done - reported)
                reported = done
    return returns
