"""`llmrl grpo train|eval`. Imports fast: torch, transformers and TRL load inside the commands."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from llmrl_core.cli.runkit import RunContext, run_command
from llmrl_grpo.config import TrainConfig

app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)


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
    keys = [k for k in ("pass@1_greedy", "pass@1_t0.6", "mean@k_t1.0") if k in (before or after or {})]
    keys += [k for k in (before or after or {}) if k.startswith("pass@") and k[5:].isdigit()]
    label = {"mean@k_t1.0": "pass@1 (T=1.0)", "pass@1_t0.6": "pass@1 (T=0.6)", "pass@1_greedy": "pass@1 (greedy)"}
    lines = []
    for k in keys:
        b = f"{before[k]:.1%}" if before and k in before else "-"
        a = f"{after[k]:.1%}" if after and k in after else "-"
        lines.append(f"  {label.get(k, k + ' (T=1.0)'):18s} before {b:>7s}   after {a:>7s}")
    return lines


HEADLINE = {"reward": "reward", "acc": "rewards/accuracy/mean", "kl": "kl", "len": "completions/mean_length"}
EVAL_KEYS = {"pass@1 greedy": "pass@1_greedy", "pass@1 T=0.6": "pass@1_t0.6", "pass@1 T=1.0": "mean@k_t1.0",
             "unparseable": "unparseable"}


@run_command(app, "train", TrainConfig, resumable=True, headline=HEADLINE, eval_keys=EVAL_KEYS)
def train(cfg: TrainConfig, ctx: RunContext) -> None:
    """Train with rule-based rewards; prints held-out accuracy before and after."""
    from llmrl_core.cli.output import console

    check_names(cfg.model, cfg.task)
    from llmrl_grpo.run import train as run_train

    with ctx.progress() as report:
        result = run_train(cfg, resume=ctx.resume, on_event=report)
    evals = result["evals"]
    console.print(f"[bold]held-out accuracy on {cfg.task}[/] ({cfg.mode} mode, {cfg.steps} steps)")
    for line in _eval_lines(evals.get("before"), evals.get("after")):
        console.print(line, highlight=False)
    console.print(f"run directory: {result['run_dir']} (config.yaml, metrics.jsonl, eval.jsonl, summary.md, "
                  "curves.png, final/)", highlight=False)


@app.command("eval")
def eval_(
    checkpoint: Path = typer.Option(..., "--checkpoint", help="A run directory, its final/ or a checkpoint-N directory."),  # noqa: B008
    task: str | None = typer.Option(None, help="Task name (default: the run's)."),
    num_prompts: int | None = typer.Option(None, help="Held-out prompts to evaluate."),
) -> None:
    """MAYE's held-out metrics (pass@8 T=1.0, pass@1 T=0.6, pass@1 greedy) for a trained model."""
    from llmrl_core.cli.output import console, progress
    from llmrl_core.errors import ConfigError
    from llmrl_grpo.run import RunDir

    root = checkpoint if (checkpoint / "config.yaml").is_file() else checkpoint.parent
    if (root / "config.yaml").is_file() is False and (root.parent / "config.yaml").is_file():
        root = root.parent
    run = RunDir(root)
    saved = run.read_config() or {}
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
