"""`llmrl grpo train|eval`. Imports fast: torch, transformers and TRL load inside the commands."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer

app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)


def _config(config: Path | None, flags: dict[str, Any], overrides: list[str]):
    from llmrl_core.config import load_config
    from llmrl_grpo.config import TrainConfig

    sets = [f"{k}={json.dumps(v) if not isinstance(v, str) else v}" for k, v in flags.items() if v is not None]
    return load_config(TrainConfig, config, [*sets, *overrides])


def progress_events(bar: Any, steps: int, step_status: Callable[[dict[str, Any]], str],
                    eval_summary: Callable[[dict[str, Any]], str]) -> Callable[..., None]:
    """The `on_event` callback of a training run drawn on a rich progress bar (shared by grpo and toolrl)."""
    job = bar.add_task("starting", total=steps, status="")

    def on_event(kind: str, **data: Any) -> None:
        if kind == "status":
            bar.update(job, description=data["message"])
        elif kind == "step":
            bar.update(job, completed=data["step"], description="training", status=step_status(data["record"]))
        elif kind == "eval":
            r = data["results"]
            bar.console.print(f"held-out ({data['stage']}, {int(r['num_prompts'])} prompts): {eval_summary(r)}")

    return on_event


def check_names(model: str, task: str) -> None:
    """Fail before loading anything: unknown task → the valid names; unknown model → the aliases."""
    from llmrl_core import list_components
    from llmrl_core.errors import UnknownComponentError
    from llmrl_core.models import resolve_model
    from llmrl_core.registry import FIRST_PARTY

    names = [c.name for c in list_components("task")]
    if task not in names:
        raise UnknownComponentError("task", task, names, None, FIRST_PARTY.get("task"))
    resolve_model(model)


def _eval_lines(before: dict[str, Any] | None, after: dict[str, Any] | None) -> list[str]:
    keys = [k for k in ("mean@k_t1.0", "pass@1_t0.6", "pass@1_greedy") if k in (before or after or {})]
    keys += [k for k in (before or after or {}) if k.startswith("pass@") and k[5:].isdigit()]
    label = {"mean@k_t1.0": "pass@1 (T=1.0)", "pass@1_t0.6": "pass@1 (T=0.6)", "pass@1_greedy": "pass@1 (greedy)"}
    lines = []
    for k in keys:
        b = f"{before[k]:.1%}" if before and k in before else "-"
        a = f"{after[k]:.1%}" if after and k in after else "-"
        lines.append(f"  {label.get(k, k + ' (T=1.0)'):18s} before {b:>7s}   after {a:>7s}")
    return lines


@app.command()
def train(
    config: Path | None = typer.Option(None, "--config", help="YAML/TOML file with TrainConfig fields."),  # noqa: B008
    model: str | None = typer.Option(None, help="Model alias, directory, .gguf or cached HF id [smollm2-135m]."),
    task: str | None = typer.Option(None, help="Task name [arithmetic]; see `llmrl plugins`."),
    steps: int | None = typer.Option(None, help="Optimiser steps."),
    mode: str | None = typer.Option(None, help="maye (1 response/prompt) or grpo (n/prompt)."),
    output: str | None = typer.Option(None, help="Run directory [runs/grpo]."),
    resume: bool = typer.Option(False, "--resume", help="Continue the run in --output from its last checkpoint."),
    set_: list[str] = typer.Option([], "--set", help="Override any field: --set learning_rate=1e-5 (repeatable)."),  # noqa: B008
) -> None:
    """Train with rule-based rewards; prints held-out accuracy before and after."""
    from llmrl_core.cli.output import console, progress

    cfg = _config(config, {"model": model, "task": task, "steps": steps, "mode": mode, "output": output}, set_)
    check_names(cfg.model, cfg.task)
    from llmrl_grpo.run import train as run_train

    def step_status(rec: dict[str, Any]) -> str:
        return (f"reward {rec.get('reward', 0):.2f}  acc {rec.get('rewards/accuracy/mean', 0):.2f}  "
                f"len {rec.get('completions/mean_length', 0):.1f}")

    def eval_summary(r: dict[str, Any]) -> str:
        return ", ".join(f"{k} {r[k]:.1%}" for k in ("mean@k_t1.0", "pass@1_t0.6", "pass@1_greedy") if k in r)

    with progress() as bar:
        on_event = progress_events(bar, cfg.steps, step_status, eval_summary)
        result = run_train(cfg, resume=resume, on_event=on_event)
    evals = result["evals"]
    console.print(f"[bold]held-out accuracy on {cfg.task}[/] ({cfg.mode} mode, {cfg.steps} steps)")
    for line in _eval_lines(evals.get("before"), evals.get("after")):
        console.print(line, highlight=False)
    console.print(f"run directory: {result['run_dir']} (metrics.jsonl, eval.md, curves.png, final/)")


@app.command("eval")
def eval_(
    checkpoint: Path = typer.Option(..., "--checkpoint", help="A run directory, its final/ or a checkpoint-N directory."),  # noqa: B008
    task: str | None = typer.Option(None, help="Task name (default: the run's)."),
    num_prompts: int | None = typer.Option(None, help="Held-out prompts to evaluate."),
) -> None:
    """MAYE's held-out metrics (pass@8 T=1.0, pass@1 T=0.6, pass@1 greedy) for a trained model."""
    import yaml

    from llmrl_core.cli.output import console, progress
    from llmrl_core.errors import ConfigError
    from llmrl_grpo.config import TrainConfig
    from llmrl_grpo.run import RunDir

    root = checkpoint if (checkpoint / "config.yaml").is_file() else checkpoint.parent
    if (root / "config.yaml").is_file() is False and (root.parent / "config.yaml").is_file():
        root = root.parent
    run = RunDir(root)
    saved = yaml.safe_load(run.config.read_text()) if run.config.is_file() else {}
    model_dir = checkpoint
    if checkpoint == run.root:
        model_dir = run.final if run.final.is_dir() else (run.latest_checkpoint() or checkpoint)
    if not (model_dir / "config.json").is_file():
        raise ConfigError(f"{checkpoint} holds no model (no config.json); pass a run directory, its final/ or a checkpoint-N")
    cfg = TrainConfig.model_validate({**saved, "model": str(model_dir), **({"task": task} if task else {})})
    if num_prompts:
        cfg.eval.num_prompts = num_prompts
    check_names(cfg.model, cfg.task)
    from llmrl_grpo.evaluate import evaluate
    from llmrl_grpo.run import load_model, load_task

    with progress() as bar:
        job = bar.add_task("loading", total=len(cfg.eval.metrics), status="")
        model, tokenizer, _ = load_model(cfg)
        _, _, test, _ = load_task(cfg)
        results = evaluate(model, tokenizer, test, cfg.eval, instruction=cfg.instruction, system_prompt=cfg.system_prompt,
                           max_new_tokens=cfg.max_completion_length,
                           on_progress=lambda m: bar.update(job, description=m, advance=0))
        bar.update(job, completed=len(cfg.eval.metrics))
    console.print(f"[bold]{model_dir}[/] on {cfg.task} ({int(results['num_prompts'])} held-out prompts)")
    for key, value in results.items():
        if key != "num_prompts":
            console.print(f"  {key:40s} {value:.3f}", highlight=False)
