"""An AD run directory, step by step: collect -> train (ad | ed | dpt) -> eval.

The run kit's layout (``llmrl_core.runs.RunDir``) plus AD's data and models::

    config.yaml                 the ADRunConfig (its source named)
    tasks.json                  train and held-out tasks
    histories/                  the source's learning histories (AD's data)
    histories-expert/           expert-only histories (ED's data), made on demand
    histories-random/           random-policy histories (DPT's contexts on envs without transit(): the bandit)
    model-{ad,ed,dpt}.pt        trained models, with train-{kind}.json (settings, loss curve, time)
    metrics.jsonl               one line per training step: {"kind", "step", "loss", "lr"}
    eval.jsonl, curves.png      per evaluation: each method's per-episode return curve on held-out tasks
    summary.md                  the last evaluation as a table

Progress goes to a reporter ``report(kind, **data)`` (``llmrl_core.events``).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any, Literal

import numpy as np

from llmrl_core.events import Reporter, or_silent
from llmrl_core.runs import RunDir
from llmrl_seqmodel.config import ADRunConfig, ADTrainConfig, EvalConfig
from llmrl_seqmodel.envs import EnvProfile, as_task, profile, split_tasks
from llmrl_seqmodel.history import Histories, collect, resolve_source

log = logging.getLogger(__name__)
Kind = Literal["ad", "ed", "dpt"]
DATA = {"ad": "histories", "ed": "histories-expert", "dpt": "histories-random"}


def load_config(run_dir: str | Path) -> ADRunConfig:
    saved = RunDir(run_dir).read_config()
    if saved is None:
        raise FileNotFoundError(f"{run_dir} is not an AD run directory (no config.yaml); start one with "
                                f"`llmrl ad collect --output {run_dir}`")
    return ADRunConfig.model_validate(saved)


def _profile(cfg: ADRunConfig) -> EnvProfile:
    return profile(cfg.env, **cfg.env_kwargs)


def load_tasks(run_dir: Path) -> tuple[list[Any], list[Any]]:
    data = json.loads((Path(run_dir) / "tasks.json").read_text())
    return [as_task(t) for t in data["train"]], [as_task(t) for t in data["test"]]


def write_run(run_dir: str | Path, cfg: ADRunConfig) -> tuple[list[Any], list[Any]]:
    """Start a run directory: the config (its source named) and the seeded train / held-out task split."""
    run_dir = Path(run_dir)
    prof = _profile(cfg)
    cfg = cfg.model_copy(update={"history": resolve_source(cfg.history, prof), "output": str(run_dir)})
    train, test = split_tasks(prof, cfg.n_test, cfg.split_seed, cfg.n_train)
    RunDir(run_dir, writer=True).write_config(cfg)  # config.yaml names the source
    (run_dir / "tasks.json").write_text(json.dumps({"train": [np.asarray(t).tolist() for t in train],
                                                    "test": [np.asarray(t).tolist() for t in test]}))
    return train, test


def collect_run(run_dir: str | Path, cfg: ADRunConfig, report: Reporter | None = None) -> Histories:
    """Write the config and task split, then the source's learning histories."""
    train, _ = write_run(run_dir, cfg)
    return _collect(Path(run_dir), "ad", load_config(run_dir), train, or_silent(report))


def _collect(run_dir: Path, kind: Kind, cfg: ADRunConfig, train: list[Any], report: Reporter) -> Histories:
    hcfg = cfg.history
    if kind == "ed":
        hcfg = hcfg.model_copy(update={"source": "expert"})
    elif kind == "dpt":
        hcfg = hcfg.model_copy(update={"source": "random"})
    total, done = len(train) * hcfg.histories_per_task, 0

    def on_done(n: int) -> None:
        nonlocal done
        done += n
        report("progress", done=done, total=total, job=f"histories ({hcfg.source})")

    hist = collect(_profile(cfg), train, hcfg, on_done=on_done)
    hist.save(run_dir / DATA[kind])
    return hist


def train_run(run_dir: str | Path, kind: Kind = "ad", report: Reporter | None = None, *, resume: bool = False,
              **train_overrides: Any) -> dict[str, Any]:
    """Train AD, ED or DPT in ``run_dir`` (collecting ED's or DPT's data first if missing).

    ``train_overrides`` replace fields of the run's training settings for this model only.
    ``resume``: continue this model from its last checkpoint, with the settings it was started
    with (``train_overrides`` still change them: ``steps=8000`` trains on to 8,000).
    """
    from llmrl_seqmodel.checkpoint import FitCheckpoints, resume_settings

    run_dir, report = Path(run_dir), or_silent(report)
    run = RunDir(run_dir, writer=True)
    cfg = load_config(run_dir)
    if resume:
        saved = FitCheckpoints(run.checkpoints, kind).saved_settings()
        train = ADTrainConfig.model_validate(resume_settings(saved, {"train": train_overrides}, kind)["train"])
    else:
        train = cfg.train.model_copy(update=train_overrides)
    cfg = cfg.model_copy(update={"train": train})
    checkpoints = FitCheckpoints(run.checkpoints, kind, cfg.train.save_every, resume,
                                 settings={"train": cfg.train.model_dump(mode="json")})
    prof = _profile(cfg)
    train_tasks = load_tasks(run_dir)[0]
    hist = None
    if kind != "dpt" or not hasattr(prof.make(), "transit"):  # DPT on the dark rooms draws its own contexts
        data_dir = run_dir / DATA[kind]
        if (data_dir / "histories.npz").exists():
            hist = Histories.load(data_dir)
        else:
            hist = _collect(run_dir, kind, cfg, train_tasks, report)
    steps = cfg.train.steps
    # a killed run logged past its last checkpoint; a fresh one replaces this model's lines
    run.rewind_metrics(checkpoints.latest_step() if resume else 0, where={"kind": kind})

    def on_step(i: int, loss: float) -> None:
        record = {"kind": kind, "step": i + 1, "loss": loss}
        run.log_metrics(record)
        report("step", step=i + 1, total=steps, record=record)

    report("status", message=f"training {kind}")
    if kind == "dpt":
        from llmrl_seqmodel.dpt import train_dpt

        model, stats = train_dpt(prof, train_tasks, cfg.model, cfg.train, on_step, hist, checkpoints)
    else:
        from llmrl_seqmodel.train import train_ad

        model, stats = train_ad(hist, cfg.model, cfg.train, on_step, checkpoints)
    model.save(run_dir / f"model-{kind}.pt")
    summary = {"kind": kind, "train": cfg.train.model_dump(), "steps": stats.steps, "final_loss": stats.final_loss,
               "seconds": stats.seconds, "tokens_per_s": stats.tokens_per_s,
               "loss_curve": stats.losses[:: max(1, len(stats.losses) // 100)]}
    (run_dir / f"train-{kind}.json").write_text(json.dumps(summary, indent=1))
    return summary


def eval_run(run_dir: str | Path, kinds: list[str] | None = None, eval_cfg: EvalConfig | None = None,
             report: Reporter | None = None) -> dict[str, Any]:
    """In-context evaluation of every trained model (and the source) on the held-out tasks."""
    from llmrl_seqmodel.evaluate import evaluate_in_context, evaluate_source, plot_curves, summarise
    from llmrl_seqmodel.model import SeqPolicy

    run_dir, report = Path(run_dir), or_silent(report)
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

            done = 0

            def tick(n: int, kind: str = kind) -> None:
                nonlocal done
                done += n
                report("progress", done=done, total=ecfg.episodes, job=f"eval {kind}")

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
    run = RunDir(run_dir, writer=True)
    run.log_eval(results)
    plot_curves({k: v["curve"] for k, v in results["methods"].items()}, run.curves,
                f"{cfg.env}: in-context return on {len(test)} held-out tasks", results.get("optimal"))
    run.write_summary(_summary_md(cfg, results))
    report("eval", stage="in-context", results={k: v[f"last{min(10, ecfg.episodes)}_mean"]
                                               for k, v in results["methods"].items()})
    return results


def _summary_md(cfg: ADRunConfig, results: dict[str, Any]) -> str:
    last = f"last{min(10, results['episodes'])}_mean"
    lines = [f"# {cfg.env}: in-context evaluation", "",
             f"{results['tasks']} held-out tasks x {results['seeds']} seeds, {results['episodes']} episodes from an "
             f"empty context, no weight updates; source: {cfg.history.source}.", "",
             "| method | episode 1 | mean of the last 10 | s.e.m. |", "|---|---|---|---|"]
    for name, m in results["methods"].items():
        lines.append(f"| {name} | {m['first_episode']:.2f} | {m[last]:.2f} | {m['sem_last']:.2f} |")
    if results.get("optimal") is not None:
        lines.append(f"| optimal | | {results['optimal']:.2f} | |")
    return "\n".join(lines) + "\n"
