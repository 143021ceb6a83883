"""BabyAI bot demonstrations with subgoal captions, collected in parallel and stored compactly.

The levels come from the ``llmrl-env-babyai`` plugin through the registry: its envs'
``demonstrate(seed)`` runs minigrid's BabyAI bot and returns None on seeds the bot fails.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from llmrl_core import make_env
from llmrl_seqmodel.storage import load_arrays, save_arrays

log = logging.getLogger(__name__)


def level_env(level: str):
    return make_env(f"llmrl/BabyAI-{level}-v0").unwrapped


@dataclass
class Demos:
    """Ragged demos: episode ``i`` covers steps ``offsets[i]:offsets[i + 1]``."""

    images: np.ndarray  # [N, 7, 7, 3] uint8
    directions: np.ndarray  # [N] int8
    actions: np.ndarray  # [N] int8
    captions: list[str | None]  # [N]: the caption said before the step's action, if any
    missions: list[str]  # [episodes]
    seeds: list[int]
    offsets: np.ndarray
    level: str

    def __len__(self) -> int:
        return len(self.missions)

    def save(self, directory: str | Path) -> Path:
        arrays = {"images": self.images, "directions": self.directions, "actions": self.actions, "offsets": self.offsets}
        meta = {"level": self.level, "episodes": len(self), "steps": int(self.offsets[-1]), "missions": self.missions,
                "seeds": self.seeds, "captions": self.captions}
        return save_arrays(directory, "demos", arrays, meta)

    @classmethod
    def load(cls, directory: str | Path) -> Demos:
        arr, meta = load_arrays(directory, "demos", "llmrl tbya collect")
        return cls(arr["images"], arr["directions"], arr["actions"], meta["captions"], meta["missions"],
                   meta["seeds"], arr["offsets"], meta["level"])


def _demos_for(args: tuple[str, list[int]]) -> list[dict]:
    level, seeds = args
    env = level_env(level)
    out = []
    for seed in seeds:
        demo = env.demonstrate(seed)
        if demo is None:
            continue
        out.append({
            "seed": seed, "mission": demo.mission, "actions": demo.actions, "captions": demo.captions,
            "images": np.stack([o["image"] for o in demo.observations]).astype(np.uint8),
            "directions": np.array([o["direction"] for o in demo.observations], dtype=np.int8),
        })
    return out


def collect_demos(level: str, n: int, *, first_seed: int = 0, workers: int = 2, executor: str = "auto",
                  on_done: Callable[[int], None] | None = None) -> Demos:
    """``n`` successful bot demos on seeds from ``first_seed`` on (seeds the bot fails are skipped).

    Seeds go out in chunks of 50 (``llmrl_core.parallel.parallel_map`` on ``executor``); the demos
    kept are the first ``n`` successes in seed order, whatever runs where.
    """
    from llmrl_core.parallel import parallel_map, resolve_executor

    level_env(level)  # fail fast on an unknown level or a missing plugin
    episodes: list[dict] = []
    seed, chunk = first_seed, 50
    in_process = resolve_executor(executor) == "local" and workers == 1
    while len(episodes) < n:
        need = n - len(episodes)
        jobs = [(level, list(range(seed + i * chunk, seed + (i + 1) * chunk)))
                for i in range(max(1, -(-need // chunk)))]
        seed += len(jobs) * chunk
        batches = ([_demos_for(job) for job in jobs] if in_process
                   else parallel_map(_demos_for, jobs, backend=executor, max_workers=workers))
        for batch in batches:
            take = batch[: n - len(episodes)]
            episodes.extend(take)
            if on_done:
                on_done(len(take))
    lengths = [len(e["actions"]) for e in episodes]
    log.info("collected %d demos (%d steps) of %s", len(episodes), sum(lengths), level)
    return Demos(
        images=np.concatenate([e["images"] for e in episodes]),
        directions=np.concatenate([e["directions"] for e in episodes]),
        actions=np.concatenate([np.asarray(e["actions"], dtype=np.int8) for e in episodes]),
        captions=[c for e in episodes for c in e["captions"]],
        missions=[e["mission"] for e in episodes],
        seeds=[e["seed"] for e in episodes],
        offsets=np.r_[0, np.cumsum(lengths)].astype(np.int64),
        level=level,
    )
