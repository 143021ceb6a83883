"""Decision-Pretrained Transformer (Lee et al. 2023) on AD's code: a baseline for in-context RL.

DPT is given a query state and an in-context dataset of transitions and predicts the
*optimal* action for the query. Tokens are ``[query, (s, a, r, s')_1, ..., (s, a, r, s')_n]``;
every position predicts the query's optimal action, so one window trains every context size.

The in-context datasets follow the paper. On the dark rooms they are i.i.d. transitions from
uniformly drawn states with uniform actions (the env's ``transit``), drawn afresh for every
batch: random-walk rollouts from the start cell (this module's first version) show the goal in
about a third of the windows and almost never near the corners, and DPT never learned to read
the goal from the context (0.16 return). Where an env has no ``transit`` (the bandit, whose
reward is random) the contexts are windows of random-policy histories. Transitions carry no
within-episode step: DPT's dataset is a set, not a trajectory.

Online, as in the paper's ``deploy_online``: the context is the agent's own *completed* past
episodes (the latest ``context_episodes``), fixed during an episode; the query is the current
state; actions are sampled from the predicted distribution.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from llmrl_seqmodel.checkpoint import FitCheckpoints
from llmrl_seqmodel.config import ADTrainConfig, EvalConfig, ModelConfig
from llmrl_seqmodel.envs import EnvProfile, encode_obs, obs_nvec
from llmrl_seqmodel.evaluate import reset_eval_envs
from llmrl_seqmodel.history import Histories
from llmrl_seqmodel.train import TrainStats, fit


def _all_states(nvec: np.ndarray) -> np.ndarray:
    grids = np.meshgrid(*[np.arange(n) for n in nvec], indexing="ij")
    return np.stack([g.ravel() for g in grids], -1)


def _state(s: np.ndarray) -> Any:
    return s if len(s) > 1 else int(s[0])


def optimal_table(prof: EnvProfile, tasks: list[Any], split: str = "train") -> tuple[np.ndarray, np.ndarray]:
    """``(states [S, D], actions [tasks, S])``: the oracle's action in every state of every task."""
    if prof.name == "key-to-door":
        raise ValueError("DPT needs the optimal action from the observation alone; Key-to-Door hides the key state")
    env = prof.make(split)
    states = _all_states(obs_nvec(env))
    table = np.zeros((len(tasks), len(states)), dtype=np.int64)
    for i, task in enumerate(tasks):
        env.reset(seed=0, options={"task": task})
        table[i] = [env.optimal_action(_state(s)) for s in states]
    return states, table


def transition_tables(prof: EnvProfile, tasks: list[Any], states: np.ndarray,
                      split: str = "train") -> tuple[np.ndarray, np.ndarray] | None:
    """``(next state index [tasks, S, A], reward [tasks, S, A])`` from the env's ``transit``, or None."""
    env = prof.make(split)
    if not hasattr(env, "transit"):
        return None
    n_actions = int(env.action_space.n)
    index = {tuple(s): i for i, s in enumerate(states.tolist())}
    nxt = np.zeros((len(tasks), len(states), n_actions), dtype=np.int64)
    rew = np.zeros((len(tasks), len(states), n_actions), dtype=np.float32)
    for t, task in enumerate(tasks):
        env.reset(seed=0, options={"task": task})
        for i, s in enumerate(states):
            for a in range(n_actions):
                s2, r = env.transit(_state(s), a)
                nxt[t, i, a], rew[t, i, a] = index[tuple(encode_obs(s2).tolist())], r
    return nxt, rew


class DPTSampler:
    """Batches of ``[query, n context transitions]`` from one training task each, labelled with
    the query's optimal action at every position.

    With ``tables`` (deterministic envs) every context is drawn afresh from uniform states and
    actions; without, it is a window of the random-policy histories ``hist``.
    """

    def __init__(self, states: np.ndarray, table: np.ndarray, n_actions: int, length: int, seed: int,
                 tables: tuple[np.ndarray, np.ndarray] | None = None, hist: Histories | None = None,
                 task_of_history: np.ndarray | None = None):
        if tables is None and hist is None:
            raise ValueError("DPTSampler needs transition tables or random-policy histories to draw contexts from")
        self.states, self.table, self.n_actions, self.length = states, table, n_actions, length
        self.tables, self.hist, self.task_of = tables, hist, task_of_history
        self.rng = np.random.default_rng(seed)

    def _contexts(self, size: int, n: int) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        if self.tables is not None:
            nxt, rew = self.tables
            task = self.rng.integers(len(self.table), size=size)
            s = self.rng.integers(len(self.states), size=(size, n))
            a = self.rng.integers(self.n_actions, size=(size, n))
            s2 = nxt[task[:, None], s, a]
            return task, {"obs": self.states[s], "next_obs": self.states[s2], "act": a, "rew": rew[task[:, None], s, a]}
        lengths = np.diff(self.hist.offsets)
        h = self.rng.integers(len(lengths), size=size)
        start = (self.rng.random(size) * (lengths[h] - n + 1)).astype(np.int64)
        idx = (self.hist.offsets[h] + start)[:, None] + np.arange(n)
        return self.task_of[h], {"obs": self.hist.obs[idx], "next_obs": self.hist.next_obs[idx],
                                 "act": self.hist.actions[idx], "rew": self.hist.rewards[idx]}

    def batch(self, size: int) -> dict[str, np.ndarray]:
        task, ctx = self._contexts(size, self.length - 1)
        q = self.rng.integers(len(self.states), size=size)
        out = query_batch(self.states[q], ctx["obs"], ctx["act"], ctx["rew"], ctx["next_obs"], self.n_actions)
        out["target"] = np.repeat(self.table[task, q][:, None], self.length, 1)
        return out


def query_batch(query: np.ndarray, obs: np.ndarray, actions: np.ndarray, rewards: np.ndarray,
                next_obs: np.ndarray, n_actions: int) -> dict[str, np.ndarray]:
    """Model inputs ``[B, 1 + n]``: the query token, then the context transitions (step 0 throughout)."""
    B, D = query.shape
    return {
        "obs": np.concatenate([query[:, None], obs], 1).astype(np.int64),
        "prev_action": np.concatenate([np.full((B, 1), n_actions), actions], 1).astype(np.int64),
        "prev_reward": np.concatenate([np.zeros((B, 1)), rewards], 1).astype(np.float32),
        "step": np.zeros((B, 1 + obs.shape[1]), dtype=np.int64),
        "next_obs": np.concatenate([np.full((B, 1, D), -1), next_obs], 1).astype(np.int64),
    }


def build_dpt(prof: EnvProfile, model_cfg: ModelConfig, split: str = "train"):
    """DPT's model: AD's, with next-observation embeddings and room for the query plus
    ``context_episodes`` whole episodes of transitions."""
    from llmrl_seqmodel.model import PolicySpec, SeqPolicy

    env = prof.make(split)
    return SeqPolicy(PolicySpec(
        obs_nvec=obs_nvec(env).tolist(), n_actions=int(env.action_space.n), episode_len=prof.episode_len,
        n_positions=model_cfg.context_episodes * prof.episode_len + 1, n_embd=model_cfg.n_embd,
        n_layer=model_cfg.n_layer, n_head=model_cfg.n_head, n_inner=model_cfg.n_inner, dropout=model_cfg.dropout,
        attn_dropout=model_cfg.attn_dropout, token_mask=0.0, next_obs=True,
    ))


def train_dpt(prof: EnvProfile, tasks: list[Any], model_cfg: ModelConfig, cfg: ADTrainConfig,
              on_step: Callable[[int, float], None] | None = None, hist: Histories | None = None,
              checkpoints: FitCheckpoints | None = None):
    """Train DPT on the training ``tasks``; ``hist`` (random-policy histories) only for envs without ``transit``."""
    import torch

    torch.manual_seed(cfg.seed)  # the initialisation too: whether and when DPT leaves its plateau depends on it
    model = build_dpt(prof, model_cfg)
    states, table = optimal_table(prof, tasks)
    tables = transition_tables(prof, tasks, states)
    task_of = None
    if tables is None:
        if hist is None:
            raise ValueError(f"{prof.env_id} has no transit(); DPT needs random-policy histories to draw its contexts from")
        task_of = np.array([tasks.index(t) for t in hist.tasks])
    sampler = DPTSampler(states, table, model.spec.n_actions, model.spec.n_positions, cfg.seed, tables, hist, task_of)
    stats: TrainStats = fit(model, lambda: sampler.batch(cfg.batch_size), cfg, on_step, rng=sampler.rng,
                            checkpoints=checkpoints)
    return model, stats


def evaluate_dpt(model, prof: EnvProfile, tasks: list[Any], cfg: EvalConfig, *, split: str = "test",
                 on_episode: Callable[[int], None] | None = None) -> np.ndarray:
    """Online DPT: query = current state, context = the latest completed episodes. ``[B, episodes]`` returns."""
    import torch

    model.eval()
    envs, obs = reset_eval_envs(prof, tasks, cfg, split)
    B, E, D, L = len(envs), cfg.episodes, len(obs[0]), prof.episode_len
    keep = (model.spec.n_positions - 1) // L  # whole episodes that fit in the context
    ep = {k: np.zeros((B, E, L) + shape, dtype) for k, shape, dtype in
          (("obs", (D,), np.int64), ("next_obs", (D,), np.int64), ("act", (), np.int64), ("rew", (), np.float32))}
    returns = np.zeros((B, E))
    gen = torch.Generator().manual_seed(cfg.seed)
    with torch.inference_mode():
        for e in range(E):
            lo = max(0, e - keep)
            ctx = {k: v[:, lo:e].reshape((B, (e - lo) * L) + v.shape[3:]) for k, v in ep.items()}
            live, steps = np.ones(B, dtype=bool), np.full(B, L)
            for t in range(L):
                batch = query_batch(np.stack(obs), ctx["obs"], ctx["act"], ctx["rew"], ctx["next_obs"], model.spec.n_actions)
                logits = model(**{k: torch.from_numpy(v) for k, v in batch.items()})[:, -1]
                if cfg.greedy:
                    actions = logits.argmax(-1).numpy()
                else:
                    actions = torch.multinomial(torch.softmax(logits.float(), -1), 1, generator=gen)[:, 0].numpy()
                for b in np.flatnonzero(live):
                    o, r, term, trunc, _ = envs[b].step(int(actions[b]))
                    o = encode_obs(o)
                    ep["obs"][b, e, t], ep["next_obs"][b, e, t], ep["act"][b, e, t], ep["rew"][b, e, t] = obs[b], o, actions[b], r
                    returns[b, e] += r
                    obs[b] = o
                    live[b] = not (term or trunc)
                    steps[b] = t + 1
                if not live.any():
                    break
            for b in range(B):  # an episode that ended early is padded with copies of its last transition
                for v in ep.values():
                    v[b, e, steps[b]:] = v[b, e, steps[b] - 1]
                obs[b] = encode_obs(envs[b].reset()[0])
            if on_episode:
                on_episode(1)
    return returns
