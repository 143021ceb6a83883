"""`llmrl grpo train|eval`. Imports fast: torch, transformers and TRL load inside the commands."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from llmrl_core.cli.runkit import RunContext, run_command
from llmrl_grpo.config import CLI_ALIASES, GRPOTrainConfig

app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)

HEADLINE = {"reward": "reward", "acc": "rewards/accuracy/mean", "kl": "kl", "len": "completions/mean_length"}


def _pass_at_k(results: dict[str, Any]) -> float | None:
    """pass@k at T = 1.0, whatever k (``eval.pass_k``) the run used."""
    return next((v for k, v in results.items() if k.startswith("pass@") and k[5:].isdigit()), None)


EVAL_KEYS = {"pass@1 greedy": "pass@1_greedy", "pass@1 T=0.6": "pass@1_t0.6", "pass@1 T=1.0": "mean@k_t1.0",
             "pass@k T=1.0": _pass_at_k, "unparseable": "unparseable",
             "expression answers": "expression_answers"}


@run_command(app, "train", GRPOTrainConfig, resumable=True, headline=HEADLINE, eval_keys=EVAL_KEYS, aliases=CLI_ALIASES)
def train(cfg: GRPOTrainConfig, ctx: RunContext) -> None:
    """Train with rule-based rewards; prints held-out accuracy before and after."""
    from llmrl_core.cli.checks import check_names

    check_names(cfg.model, task=cfg.task)
    from llmrl_grpo.run import train as run_train

    with ctx.progress() as report:
        result = run_train(cfg, resume=ctx.resume, report=report)
    ctx.print_result(result["evals"], title=f"held-out evaluation on {cfg.task} ({cfg.mode} mode, {cfg.steps} steps)",
                     percent=[k for k in EVAL_KEYS if k.startswith("pass@")])


@app.command("eval")
def eval_(
    checkpoint: Path = typer.Option(..., "--checkpoint", help="A run directory, its final/ or a checkpoint-N directory."),  # noqa: B008
    task: str | None = typer.Option(None, help="Task name (default: the run's)."),
    num_prompts: int | None = typer.Option(None, help="Held-out prompts to evaluate."),
) -> None:
    """MAYE's held-out metrics (pass@8 T=1.0, pass@1 T=0.6, pass@1 greedy) for a trained model."""
    from llmrl_core.cli.checks import check_names
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
    cfg = GRPOTrainConfig.model_validate({**saved, "model": str(model_dir), **({"task": task} if task else {})})
    if num_prompts:
        cfg.eval.num_prompts = num_prompts
    check_names(cfg.model, task=cfg.task)
    from llmrl_grpo.recipe import GRPORecipe
    from llmrl_grpo.run import load_model, load_task

    with progress() as bar:
        job = bar.add_task("loading", total=len(cfg.eval.metrics), status="")
        model, tokenizer, _ = load_model(cfg)
        _, _, test, _ = load_task(cfg)
        results = GRPORecipe(cfg).evaluate(model, tokenizer, test[: cfg.eval.num_prompts],
                                           lambda m: bar.update(job, description=m, advance=0))
        bar.update(job, completed=len(cfg.eval.metrics))
    console.print(f"[bold]{model_dir}[/] on {cfg.task} ({int(results['num_prompts'])} held-out prompts)")
    for key, value in results.items():
        if key != "num_prompts":
            console.print(f"  {key:40s} {value:.3f}", highlight=False)
