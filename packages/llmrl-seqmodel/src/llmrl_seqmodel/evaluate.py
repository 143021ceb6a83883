"""In-context evaluation: held-out tasks, an empty starting context, no weight updates.

Every (task, seed) pair runs its own environment; all of them step together so one batched
forward pass picks every environment's next action. The context is a sliding window over
the whole cross-episode history, exactly as in training.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from llmrl_seqmodel.config import EvalConfig, HistoryConfig
from llmrl_seqmodel.envs import EnvProfile, encode_obs


def reset_eval_envs(prof: EnvProfile, tasks: list[Any], cfg: EvalConfig, split: str) -> tuple[list[Any], list[Any]]:
    """One env per (seed, task), reset with the evaluation's seeds: every method is evaluated on the same starts."""
    envs, obs = [], []
    for s in range(cfg.seeds):
        for i, task in enumerate(tasks):
            env = prof.make(split)
            o, _ = env.reset(seed=cfg.seed * 100_003 + s * 1009 + i, options={"task": task})
            envs.append(env)
            obs.append(encode_obs(o))
    return envs, obs


def evaluate_in_context(model, prof: EnvProfile, tasks: list[Any], cfg: EvalConfig, *, split: str = "test",
                        on_episode: Callable[[int], None] | None = None) -> np.ndarray:
    """Per-episode returns ``[len(tasks) * cfg.seeds, cfg.episodes]`` of an AD/ED model."""
    import torch

    model.eval()
    envs, obs = reset_eval_envs(prof, tasks, cfg, split)
    B, L, E = len(envs), model.spec.n_positions, cfg.episodes
    T = E * prof.episode_len
    D = len(obs[0])
    buf_obs = np.zeros((B, T, D), dtype=np.int64)
    buf_act = np.full((B, T), model.spec.n_actions, dtype=np.int64)
    buf_rew = np.zeros((B, T), dtype=np.float32)
    buf_step = np.zeros((B, T), dtype=np.int64)
    returns = np.zeros((B, E))
    episode = np.zeros(B, dtype=np.int64)
    t_in_ep = np.zeros(B, dtype=np.int64)
    gen = torch.Generator().manual_seed(cfg.seed)
    last_reported = 0
    with torch.inference_mode():
        for g in range(T):
            active = episode < E
            if not active.any():
                break
            buf_obs[:, g] = np.stack(obs)
            buf_step[:, g] = t_in_ep
            lo = max(0, g - L + 1)
            logits = model(
                torch.from_numpy(buf_obs[:, lo:g + 1]), torch.from_numpy(buf_act[:, lo:g + 1]),
                torch.from_numpy(buf_rew[:, lo:g + 1]), torch.from_numpy(buf_step[:, lo:g + 1]),
            )[:, -1]
            if cfg.greedy:
                actions = logits.argmax(-1).numpy()
            else:
                actions = torch.multinomial(torch.softmax(logits.float(), -1), 1, generator=gen)[:, 0].numpy()
            for b in np.flatnonzero(active):
                o, r, term, trunc, _ = envs[b].step(int(actions[b]))
                returns[b, episode[b]] += r
                if g + 1 < T:
                    buf_act[b, g + 1], buf_rew[b, g + 1] = actions[b], r
                t_in_ep[b] += 1
                if term or trunc:
                    episode[b] += 1
                    t_in_ep[b] = 0
                    o, _ = envs[b].reset()
                obs[b] = encode_obs(o)
            done = int(episode.min())
            if on_episode and done > last_reported:
                on_episode(done - last_reported)
                last_reported = done
    return returns


def evaluate_source(prof: EnvProfile, tasks: list[Any], cfg: HistoryConfig, episodes: int, seeds: int = 1,
                    split: str = "test") -> np.ndarray:
    """The source algorithm's own learning curve on the held-out tasks: ``[tasks * seeds, episodes]``."""
    from llmrl_seqmodel.history import run_history

    run_cfg = cfg.model_copy(update={"episodes": max(episodes, cfg.episodes), "seed": cfg.seed + 7919})
    curves = [run_history(prof, task, run_cfg, s * len(tasks) + i, split)["returns"][:episodes]
              for s in range(seeds) for i, task in enumerate(tasks)]
    return np.asarray(curves)


def summarise(returns: np.ndarray, last: int = 10) -> dict[str, Any]:
    """Mean curve and the headline: mean return over the last ``last`` episodes."""
    curve = returns.mean(0)
    return {
        "curve": curve.round(4).tolist(),
        "first_episode": float(curve[0]),
        f"last{last}_mean": float(curve[-last:].mean()),
        "sem_last": float(returns[:, -last:].mean(1).std(ddof=1) / np.sqrt(len(returns))) if len(returns) > 1 else 0.0,
    }


def plot_curves(curves: dict[str, list[float]], path, title: str, optimal: float | None = None) -> None:
    """Return-vs-episode curves as a PNG (matplotlib, headless)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4), dpi=120)
    for name, curve in curves.items():
        ax.plot(np.arange(1, len(curve) + 1), curve, label=name)
    if optimal is not None:
        ax.axhline(optimal, color="grey", linestyle="--", linewidth=1, label="optimal")
    ax.set_xlabel("in-context episode")
    ax.set_ylabel("return")
    ax.set_title(title)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
