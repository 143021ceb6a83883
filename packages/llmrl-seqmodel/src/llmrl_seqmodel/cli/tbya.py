"""``llmrl tbya collect|train|eval``: Think Before You Act on BabyAI, on the run kit.

Every setting is a field of the config models in ``llmrl_seqmodel.tbya.config`` (``--set key=value``,
``--config FILE``). This module imports fast: torch and the pipelines load inside the commands.
"""

from __future__ import annotations

import typer

from llmrl_core.cli.runkit import RunContext, run_command
from llmrl_core.runs import explicit_values
from llmrl_seqmodel.tbya.config import TBYAEvalCommand, TBYARunConfig, TBYATrainCommand

app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
                  help="Think Before You Act: captions + actions in one stream, on BabyAI.")


@run_command(app, "collect", TBYARunConfig, aliases={"backbone": "model.backbone"})
def collect(cfg: TBYARunConfig, ctx: RunContext) -> None:
    """Start a run directory: the config and the BabyAI bot's demos with a caption whenever its subgoal changes."""
    from llmrl_core.cli.output import console
    from llmrl_core.runs import prepare_run
    from llmrl_seqmodel.tbya.pipeline import collect_run

    cfg, _ = prepare_run(cfg, ctx.run, resume=False)
    with ctx.progress() as report:
        info = collect_run(cfg.output, cfg, report)
    console.print(f"{info['episodes']} demos, {info['steps']} steps, {info['captions']} captions "
                  f"({info['distinct_captions']} distinct), {info['skipped_seeds']} failed seeds skipped -> "
                  f"{cfg.output}/demos", highlight=False)


@run_command(app, "train", TBYATrainCommand, headline={"loss": "loss"}, resumable=True, resume_from_saved_config=False,
             aliases={"backbone": "model.backbone", "steps": "train.steps", "batch-size": "train.batch_size",
                      "lr": "train.lr", "seed": "train.seed"})
def train(cfg: TBYATrainCommand, ctx: RunContext) -> None:
    """Train the policy (captions + actions) or, with --no-captions, the caption-free baseline.

    --resume continues this policy from its last checkpoint (every train.save_every steps).
    """
    from llmrl_core.cli.output import console
    from llmrl_seqmodel.tbya.pipeline import load_config, resume_configs, train_run

    saved, given = load_config(cfg.output), explicit_values(cfg)
    model_cfg = saved.model.model_copy(update=given.get("model", {}))
    train_cfg = saved.train.model_copy(update=given.get("train", {}))
    if ctx.resume:
        train_cfg, model_cfg = resume_configs(cfg.output, cfg.captions, model_cfg.backbone, given)
    with ctx.progress() as report:
        s = train_run(cfg.output, cfg.captions, train_cfg, model_cfg, report, resume=ctx.resume)
    console.print(f"{s['model']}: {s['steps']} steps, loss {s['final_loss']:.3f}, {s['tokens_per_s']:.0f} tokens/s "
                  f"-> {cfg.output}/model-{s['model']}.pt", highlight=False)


@run_command(app, "eval", TBYAEvalCommand)
def evaluate(cfg: TBYAEvalCommand, ctx: RunContext) -> None:
    """Success rate on held-out seeds; a captioned policy writes its own captions before acting."""
    from llmrl_core.cli.output import console
    from llmrl_seqmodel.tbya.pipeline import eval_run

    with ctx.progress() as report:
        res = eval_run(cfg.output, cfg.episodes, tuple(cfg.models.split(",")), report, cfg.max_steps)
    for name, m in res["models"].items():
        console.print(f"{name:>9}: success {m['success_rate']:.1%} ± {m['success_sem']:.1%}, return "
                      f"{m['mean_return']:.3f}, {m['captions_per_episode']:.1f} captions/episode", highlight=False)
    console.print(f"-> {cfg.output}/summary.md, eval.jsonl", highlight=False)
