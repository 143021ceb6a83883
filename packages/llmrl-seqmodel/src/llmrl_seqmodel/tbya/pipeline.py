"""A TBYA run directory: collect (demos/) -> train (model-{captions,plain}.pt) -> eval (eval.json)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from llmrl_seqmodel.config import TrainConfig
from llmrl_seqmodel.tbya.train import TBYAModelConfig

Progress = Callable[[str, int, int], None]
EVAL_SEED0 = 1_000_000
"""Held-out seeds start here; training demos use seeds from 0, far below."""


def _noop(_: str, __: int, ___: int) -> None:
    pass


def collect_run(run_dir: str | Path, level: str, n: int, workers: int = 2, progress: Progress = _noop) -> dict[str, Any]:
    from llmrl_seqmodel.tbya.data import collect_demos

    demos = collect_demos(level, n, workers=workers, on_done=lambda k: progress("collect demos", k, n))
    demos.save(Path(run_dir) / "demos")
    spoken = [c for c in demos.captions if c]
    return {"level": level, "episodes": len(demos), "steps": int(demos.offsets[-1]), "captions": len(spoken),
            "skipped_seeds": max(demos.seeds) + 1 - len(demos), "distinct_captions": len(set(spoken))}


def model_name(captions: bool, backbone: str = "gpt2") -> str:
    """``captions`` / ``plain``, suffixed with the backbone when it is not the small GPT-2."""
    return ("captions" if captions else "plain") + ("" if backbone == "gpt2" else f"-{backbone}")


def train_run(run_dir: str | Path, captions: bool, train_cfg: TrainConfig, model_cfg: TBYAModelConfig | None = None,
              progress: Progress = _noop) -> dict[str, Any]:
    from llmrl_seqmodel.tbya.data import Demos
    from llmrl_seqmodel.tbya.train import train_tbya

    run_dir = Path(run_dir)
    demos = Demos.load(run_dir / "demos")
    model_cfg = model_cfg or TBYAModelConfig()
    name = model_name(captions, model_cfg.backbone)
    model, stats = train_tbya(demos, captions, model_cfg, train_cfg,
                              lambda i, loss: progress(f"train {name} (loss {loss:.3f})", 1, train_cfg.steps))
    model.save(run_dir / f"model-{name}.pt")
    summary = {"model": name, "backbone": model_cfg.backbone, "seed": train_cfg.seed, "steps": stats.steps, "final_loss": stats.final_loss, "seconds": stats.seconds,
               "tokens_per_s": stats.tokens_per_s}
    (run_dir / f"train-{name}.json").write_text(json.dumps(summary, indent=1))
    return summary


def eval_run(run_dir: str | Path, episodes: int = 100, models: tuple[str, ...] = ("captions", "plain"),
             progress: Progress = _noop, max_steps: int | None = None) -> dict[str, Any]:
    from llmrl_seqmodel.tbya.data import Demos
    from llmrl_seqmodel.tbya.evaluate import evaluate_tbya
    from llmrl_seqmodel.tbya.model import TBYAPolicy

    run_dir = Path(run_dir)
    level = Demos.load(run_dir / "demos").level
    seeds = list(range(EVAL_SEED0, EVAL_SEED0 + episodes))
    results: dict[str, Any] = {"level": level, "episodes": episodes, "models": {}}
    for name in models:
        model = TBYAPolicy.load(run_dir / f"model-{name}.pt")
        results["models"][name] = evaluate_tbya(model, level, seeds, max_steps=max_steps, on_episode=lambda k, n=name: progress(f"eval {n}", k, episodes))
    (run_dir / "eval.json").write_text(json.dumps(results, indent=1))
    return results
