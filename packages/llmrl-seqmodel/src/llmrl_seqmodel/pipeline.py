"""An AD run directory, step by step: collect -> train (ad | ed | dpt) -> eval.

Layout of ``run_dir``::

    config.json                 the ADRunConfig
    tasks.json                  train and held-out tasks
    histories/                  the source's learning histories (AD's data)
    histories-expert/           expert-only histories (ED's data), made on demand
    histories-random/           random-policy histories (DPT's contexts on envs without transit(): the bandit)
    model-{ad,ed,dpt}.pt        trained models, with train-{kind}.json
    eval.json, curves.png       in-context return-vs-episode curves on held-out tasks
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import numpy as np

from llmrl_seqmodel.config import ADRunConfig, EvalConfig
from llmrl_seqmodel.envs import EnvProfile, as_task, profile, split_tasks
from llmrl_seqmodel.history import Histories, collect, resolve_source

log = logging.getLogger(__name__)
Kind = Literal["ad", "ed", "dpt"]
DATA = {"ad": "histories", "ed": "histories-expert", "dpt": "histories-random"}
Progress = Callable[[str, int, int], None]
"""``progress(description, advance, total)``: the CLI turns these into rich bars."""


def _noop(_: str, __: int, ___: int) -> None:
    pass


def load_config(run_dir: Path) -> ADRunConfig:
    path = Path(run_dir) / "config.json"
    if not path.exists():
        raise FileNotFoundError(f"{run_dir} is not an AD run directory (no config.json); start one with `llmrl ad collect --out {run_dir}`")
    return ADRunConfig.model_validate_json(path.read_text())


def _profile(cfg: ADRunConfig) -> EnvProfile:
    return profile(cfg.env, **cfg.env_kwargs)


def load_tasks(run_dir: Path) -> tuple[list[Any], list[Any]]:
    data = json.loads((Path(run_dir) / "tasks.json").read_text())
    return [as_task(t) for t in data["train"]], [as_task(t) for t in data["test"]]


def write_run(run_dir: str | Path, cfg: ADRunConfig) -> tuple[list[Any], list[Any]]:
    """Start a run directory: the config (its source named) and the seeded train / held-out task split."""
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    prof = _profile(cfg)
    cfg = cfg.model_copy(update={"history": resolve_source(cfg.history, prof)})  # config.json names the source
    train, test = split_tasks(prof, cfg.n_test, cfg.split_seed, cfg.n_train)
    (run_dir / "config.json").write_text(cfg.model_dump_json(indent=1))
    (run_dir / "tasks.json").write_text(json.dumps({"train": [np.asarray(t).tolist() for t in train],
                                                    "test": [np.asarray(t).tolist() for t in test]}))
    return train, test


def collect_run(run_dir: str | Path, cfg: ADRunConfig, progress: Progress = _noop) -> Histories:
    """Write the config and task split, then the source's learning histories."""
    train, _ = write_run(run_dir, cfg)
    return _collect(Path(run_dir), "ad", load_config(Path(run_dir)), train, progress)


def _collect(run_dir: Path, kind: Kind, cfg: ADRunConfig, train: list[Any], progress: Progress) -> Histories:
    hcfg = cfg.history
    if kind == "ed":
        hcfg = hcfg.model_copy(update={"source": "expert"})
    elif kind == "dpt":
        hcfg = hcfg.model_copy(update={"source": "random"})
    total = len(train) * hcfg.histories_per_task
    hist = collect(_profile(cfg), train, hcfg, on_done=lambda n: progress(f"collect {hcfg.source}", n, total))
    hist.save(run_dir / DATA[kind])
    return hist


def train_run(run_dir: str | Path, kind: Kind = "ad", progress: Progress = _noop, **train_overrides: Any) -> dict[str, Any]:
    """Train AD, ED or DPT in ``run_dir`` (collecting ED's or DPT's data first if missing)."""
    run_dir = Path(run_dir)
    cfg = load_config(run_dir)
    if train_overrides:
        cfg = cfg.model_copy(update={"train": cfg.train.model_copy(update=train_overrides)})
    prof = _profile(cfg)
    train_tasks = load_tasks(run_dir)[0]
    hist = None
    if kind != "dpt" or not hasattr(prof.make(), "transit"):  # DPT on the dark rooms draws its own contexts
        data_dir = run_dir / DATA[kind]
        if (data_dir / "histories.npz").exists():
            hist = Histories.load(data_dir)
        else:
            hist = _collect(run_dir, kind, cfg, train_tasks, progress)
    steps = cfg.train.steps

    def on_step(i: int, loss: float) -> None:
        progress(f"train {kind} (loss {loss:.3f})", 1, steps)

    if kind == "dpt":
        from llmrl_seqmodel.dpt import train_dpt

        model, stats = train_dpt(prof, train_tasks, cfg.model, cfg.train, on_step, hist)
    else:
        from llmrl_seqmodel.train import train_ad

        model, stats = train_ad(hist, cfg.model, cfg.train, on_step)
    model.save(run_dir / f"model-{kind}.pt")
    summary = {"kind": kind, "steps": stats.steps, "final_loss": stats.final_loss, "seconds": stats.seconds,
               "tokens_per_s": stats.tokens_per_s, "loss_curve": stats.losses[:: max(1, len(stats.losses) // 100)]}
    (run_dir / f"train-{kind}.json").write_text(json.dumps(summary, indent=1))
    return summary


def eval_run(run_dir: str | Path, kinds: list[str] | None = None, eval_cfg: EvalConfig | None = None,
             progress: Progress = _noop) -> dict[str, Any]:
    """In-context evaluation of every trained model (and the source) on the held-out tasks."""
    from llmrl_seqmodel.evaluate import evaluate_in_context, evaluate_source, plot_curves, summarise
    from llmrl_seqmodel.model import SeqPolicy

    run_dir = Path(run_dir)
    cfg = load_config(run_dir)
    ecfg = eval_cfg or cfg.eval
    prof = _profile(cfg)
    _, test = load_tasks(run_dir)
    kinds = kinds or [k for k in ("ad", "ed", "dpt") if (run_dir / f"model-{k}.pt").exists()] + ["source"]
    results: dict[str, Any] = {"env": cfg.env, "env_kwargs": cfg.env_kwargs, "tasks": len(test), "seeds": ecfg.seeds,
                               "episodes": ecfg.episodes, "methods": {}}
    split = "test"
    for kind in kinds:
        if kind in ("source", "random"):  # random: uniform actions, the floor every learner must clear
            hcfg = cfg.history if kind == "source" else cfg.history.model_copy(update={"source": "random"})
            returns = evaluate_source(prof, test, hcfg, ecfg.episodes, ecfg.seeds, split)
        else:
            base, _, decoding = kind.partition("-")  # "ad-greedy": AD with argmax actions
            kcfg = ecfg.model_copy(update={"greedy": True}) if decoding == "greedy" else ecfg
            path = run_dir / f"model-{base}.pt"
            if not path.exists():
                raise FileNotFoundError(f"no {path.name} in {run_dir}; run `llmrl ad train --run {run_dir} --kind {base}` first")
            model = SeqPolicy.load(path)

            def tick(n: int, kind: str = kind) -> None:
                progress(f"eval {kind}", n, ecfg.episodes)

            if base == "dpt":
                from llmrl_seqmodel.dpt import evaluate_dpt

                returns = evaluate_dpt(model, prof, test, kcfg, split=split, on_episode=tick)
            else:
                returns = evaluate_in_context(model, prof, test, kcfg, split=split, on_episode=tick)
        results["methods"][kind] = summarise(returns, last=min(10, ecfg.episodes))
    if not prof.bandit and prof.name == "darkroom":
        env = prof.make()
        opt = []
        for t in test:
            env.reset(options={"task": t})
            opt.append(env.optimal_return())
        results["optimal"] = float(np.mean(opt))
    (run_dir / "eval.json").write_text(json.dumps(results, indent=1))
    plot_curves({k: v["curve"] for k, v in results["methods"].items()}, run_dir / "curves.png",
                f"{cfg.env}: in-context return on {len(test)} held-out tasks", results.get("optimal"))
    return results
