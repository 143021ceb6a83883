"""``llmrl ad collect|train|eval``: Algorithm Distillation from the command line, on the run kit.

Every setting is a field of the config models in ``llmrl_seqmodel.config``: ``--set key=value``
reaches any of them (``--set history.keep_every=4``), ``--config FILE`` reads them from a file.
This module imports fast: torch and the pipelines load inside the commands.
"""

from __future__ import annotations

import typer

from llmrl_core.cli.runkit import RunContext, run_command
from llmrl_core.runs import explicit_values
from llmrl_seqmodel.config import ADEvalCommand, ADRunConfig, ADTrainCommand

app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
                  help="Algorithm Distillation: learning histories -> transformer -> in-context RL.")

COLLECT_FLAGS = {"source": "history.source", "episodes": "history.episodes", "keep-every": "history.keep_every",
                 "histories-per-task": "history.histories_per_task", "workers": "history.workers",
                 "executor": "history.executor", "seed": "history.seed"}


@run_command(app, "collect", ADRunConfig, aliases=COLLECT_FLAGS)
def collect(cfg: ADRunConfig, ctx: RunContext) -> None:
    """Start a run directory: the config, the task split and the source's learning histories on the training tasks."""
    from llmrl_core.cli.output import console
    from llmrl_core.runs import prepare_run
    from llmrl_seqmodel.pipeline import collect_run

    cfg, _ = prepare_run(cfg, ctx.run, resume=False)
    with ctx.progress() as report:
        hist = collect_run(cfg.output, cfg, report)
    returns = hist.episode_returns
    console.print(f"{len(hist)} histories of {hist.meta['config']['source']}, {hist.offsets[-1]} transitions -> "
                  f"{cfg.output}; the source's return: first episode {sum(r[0] for r in returns) / len(returns):.2f}, "
                  f"last {sum(r[-1] for r in returns) / len(returns):.2f}", highlight=False)


@run_command(app, "train", ADTrainCommand, headline={"loss": "loss"}, resumable=True, resume_from_saved_config=False,
             aliases={"steps": "train.steps", "batch-size": "train.batch_size", "lr": "train.lr", "seed": "train.seed"})
def train(cfg: ADTrainCommand, ctx: RunContext) -> None:
    """Train AD (or the ED / DPT baselines) on the run's data; settings given here replace the run's.

    --resume continues this model from its last checkpoint (every train.save_every steps).
    """
    from llmrl_core.cli.output import console
    from llmrl_seqmodel.pipeline import train_run

    overrides = explicit_values(cfg).get("train", {})
    with ctx.progress() as report:
        summary = train_run(cfg.output, cfg.kind, report, resume=ctx.resume, **overrides)
    console.print(f"{cfg.kind}: {summary['steps']} steps, loss {summary['final_loss']:.3f}, "
                  f"{summary['tokens_per_s']:.0f} tokens/s -> {cfg.output}/model-{cfg.kind}.pt", highlight=False)


@run_command(app, "eval", ADEvalCommand, aliases={"episodes": "eval.episodes", "seeds": "eval.seeds",
                                                  "greedy": "eval.greedy"})
def evaluate(cfg: ADEvalCommand, ctx: RunContext) -> None:
    """In-context evaluation on the held-out tasks: eval.jsonl, curves.png and summary.md."""
    from llmrl_core.cli.output import console
    from llmrl_seqmodel.pipeline import eval_run, load_config

    saved = load_config(cfg.output).eval
    ecfg = saved.model_copy(update=explicit_values(cfg).get("eval", {}))
    with ctx.progress() as report:
        res = eval_run(cfg.output, cfg.kinds.split(",") if cfg.kinds else None, ecfg, report)
    last = f"last{min(10, ecfg.episodes)}_mean"
    for name, m in res["methods"].items():
        console.print(f"{name:>10}: first episode {m['first_episode']:.2f}, mean of the last 10 {m[last]:.2f}",
                      highlight=False)
    console.print(f"-> {cfg.output}/summary.md, curves.png, eval.jsonl", highlight=False)
