"""A TBYA run directory: collect (demos/) -> train (model-<name>.pt) -> eval.

The run kit's layout (``llmrl_core.runs.RunDir``)::

    config.yaml              the TBYARunConfig
    demos/                   the bot's demos with captions (demos.npz, demos.json)
    model-<name>.pt          policies: captions | plain, suffixed -<backbone> for a pretrained one,
                             with train-<name>.json (settings, loss, time)
    metrics.jsonl            one line per training step: {"model", "step", "loss"}
    eval.jsonl, summary.md   per evaluation: success rate, return, captions written
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from llmrl_core.events import Reporter, or_silent
from llmrl_core.runs import RunDir
from llmrl_seqmodel.tbya.config import TBYAModelConfig, TBYARunConfig, TBYATrainConfig

EVAL_SEED0 = 1_000_000
"""Held-out seeds start here; training demos use seeds from 0, far below."""


def model_name(captions: bool, backbone: str = "gpt2") -> str:
    """``captions`` / ``plain``, suffixed with the backbone when it is not the small GPT-2."""
    return ("captions" if captions else "plain") + ("" if backbone == "gpt2" else f"-{backbone}")


def load_config(run_dir: str | Path) -> TBYARunConfig:
    saved = RunDir(run_dir).read_config()
    if saved is None:
        raise FileNotFoundError(f"{run_dir} is not a TBYA run directory (no config.yaml); start one with "
                                f"`llmrl tbya collect --output {run_dir}`")
    return TBYARunConfig.model_validate(saved)


def collect_run(run_dir: str | Path, cfg: TBYARunConfig, report: Reporter | None = None) -> dict[str, Any]:
    """Write the config, then the bot's demos of ``cfg.level`` with their captions."""
    from llmrl_seqmodel.tbya.data import collect_demos

    report, done = or_silent(report), 0
    cfg = cfg.model_copy(update={"output": str(run_dir)})
    RunDir(run_dir, writer=True).write_config(cfg)

    def on_done(k: int) -> None:
        nonlocal done
        done += k
        report("progress", done=done, total=cfg.demos, job="demos")

    demos = collect_demos(cfg.level, cfg.demos, workers=cfg.workers, executor=cfg.executor, on_done=on_done)
    demos.save(Path(run_dir) / "demos")
    spoken = [c for c in demos.captions if c]
    return {"level": cfg.level, "episodes": len(demos), "steps": int(demos.offsets[-1]), "captions": len(spoken),
            "skipped_seeds": max(demos.seeds) + 1 - len(demos), "distinct_captions": len(set(spoken))}


def resume_configs(run_dir: str | Path, captions: bool, backbone: str,
                   given: dict[str, Any]) -> tuple[TBYATrainConfig, TBYAModelConfig]:
    """The settings a policy's last checkpoint was trained with, changed by what this command line ``given``."""
    from llmrl_seqmodel.checkpoint import FitCheckpoints, resume_settings

    name = model_name(captions, backbone)
    saved = FitCheckpoints(RunDir(run_dir).checkpoints, name).saved_settings()
    merged = resume_settings(saved, {k: given[k] for k in ("train", "model") if k in given}, name)
    return TBYATrainConfig.model_validate(merged["train"]), TBYAModelConfig.model_validate(merged["model"])


def train_run(run_dir: str | Path, captions: bool, train_cfg: TBYATrainConfig | None = None,
              model_cfg: TBYAModelConfig | None = None, report: Reporter | None = None, *,
              resume: bool = False) -> dict[str, Any]:
    """Train one policy on the run's demos (the run's settings unless others are given).

    ``resume``: continue it from its last checkpoint (settings from :func:`resume_configs`).
    """
    from llmrl_seqmodel.checkpoint import FitCheckpoints
    from llmrl_seqmodel.tbya.data import Demos
    from llmrl_seqmodel.tbya.train import train_tbya

    run_dir, report = Path(run_dir), or_silent(report)
    run = RunDir(run_dir, writer=True)
    saved = load_config(run_dir) if run.config.is_file() else TBYARunConfig()
    train_cfg, model_cfg = train_cfg or saved.train, model_cfg or saved.model
    demos = Demos.load(run_dir / "demos")
    name = model_name(captions, model_cfg.backbone)
    checkpoints = FitCheckpoints(run.checkpoints, name, train_cfg.save_every, resume,
                                 settings={"train": train_cfg.model_dump(mode="json"),
                                           "model": model_cfg.model_dump(mode="json")})
    # a killed run logged past its last checkpoint; a fresh one replaces this policy's lines
    run.rewind_metrics(checkpoints.latest_step() if resume else 0, where={"model": name})

    def on_step(i: int, loss: float) -> None:
        record = {"model": name, "step": i + 1, "loss": loss}
        run.log_metrics(record)
        report("step", step=i + 1, total=train_cfg.steps, record=record)

    report("status", message=f"training {name}")
    model, stats = train_tbya(demos, captions, model_cfg, train_cfg, on_step, checkpoints)
    model.save(run_dir / f"model-{name}.pt")
    summary = {"model": name, "backbone": model_cfg.backbone, "train": train_cfg.model_dump(), "steps": stats.steps,
               "final_loss": stats.final_loss, "seconds": stats.seconds, "tokens_per_s": stats.tokens_per_s}
    (run_dir / f"train-{name}.json").write_text(json.dumps(summary, indent=1))
    return summary


def eval_run(run_dir: str | Path, episodes: int = 300, models: tuple[str, ...] = ("captions", "plain"),
             report: Reporter | None = None, max_steps: int | None = None) -> dict[str, Any]:
    """Success rate of each policy on ``episodes`` held-out seeds (from :data:`EVAL_SEED0`)."""
    from llmrl_seqmodel.tbya.data import Demos
    from llmrl_seqmodel.tbya.evaluate import evaluate_tbya
    from llmrl_seqmodel.tbya.model import TBYAPolicy

    run_dir, report = Path(run_dir), or_silent(report)
    level = Demos.load(run_dir / "demos").level
    seeds = list(range(EVAL_SEED0, EVAL_SEED0 + episodes))
    results: dict[str, Any] = {"level": level, "episodes": episodes, "models": {}}
    for name in models:
        model = TBYAPolicy.load(run_dir / f"model-{name}.pt")
        done = 0

        def tick(k: int, name: str = name) -> None:
            nonlocal done
            done += k
            report("progress", done=done, total=episodes, job=f"eval {name}")

        results["models"][name] = evaluate_tbya(model, level, seeds, max_steps=max_steps, on_episode=tick)
    run = RunDir(run_dir, writer=True)
    run.log_eval(results)
    run.write_summary(_summary_md(results))
    report("eval", stage="held-out", results={k: v["success_rate"] for k, v in results["models"].items()})
    return results


def _summary_md(results: dict[str, Any]) -> str:
    lines = [f"# Think Before You Act on {results['level']}", "",
             f"{results['episodes']} held-out seeds (from {EVAL_SEED0}), greedy decoding.", "",
             "| model | success | ± s.e. | mean return | captions / episode |", "|---|---|---|---|---|"]
    for name, m in results["models"].items():
        lines.append(f"| {name} | {m['success_rate']:.3f} | {m['success_sem']:.3f} | {m['mean_return']:.3f} | "
                     f"{m['captions_per_episode']:.2f} |")
    return "\n".join(lines) + "\n"
