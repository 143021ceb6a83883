"""``llmrl tbya collect|train|eval``: Think Before You Act on BabyAI from the command line."""

from __future__ import annotations

from pathlib import Path

import typer

from llmrl_core.cli.output import console

app = typer.Typer(no_args_is_help=True, help="Think Before You Act: captions + actions in one stream, on BabyAI.")


@app.command("collect")
def collect_cmd(
    level: str = typer.Option("GoToLocal", help="BabyAI level (llmrl/BabyAI-<level>-v0): GoToLocal, MiniBossLevel, BossLevel, ..."),
    out: Path = typer.Option(..., help="Run directory to create."),  # noqa: B008 - typer reads defaults this way
    demos: int = typer.Option(2000, help="Successful bot demos to keep (seeds the bot fails are skipped)."),
    workers: int = typer.Option(2),
) -> None:
    """BabyAI bot demonstrations with a caption whenever the bot's subgoal changes."""
    from llmrl_seqmodel.cli._progress import bars
    from llmrl_seqmodel.tbya.pipeline import collect_run

    with bars() as progress:
        info = collect_run(out, level, demos, workers, progress)
    console.print(f"{info['episodes']} demos, {info['steps']} steps, {info['captions']} captions "
                  f"({info['distinct_captions']} distinct), {info['skipped_seeds']} failed seeds skipped -> {out}/demos")


@app.command("train")
def train_cmd(
    run: Path = typer.Option(..., help="Run directory from `llmrl tbya collect`."),  # noqa: B008 - typer reads defaults this way
    captions: bool = typer.Option(True, "--captions/--no-captions", help="--no-captions trains the baseline."),
    steps: int = typer.Option(1500),
    batch_size: int = typer.Option(32),
    lr: float = typer.Option(1e-3),
    seed: int = typer.Option(0),
) -> None:
    """Train the policy (captions + actions) or the caption-free baseline."""
    from llmrl_seqmodel.cli._progress import bars
    from llmrl_seqmodel.config import TrainConfig
    from llmrl_seqmodel.tbya.pipeline import train_run

    cfg = TrainConfig(steps=steps, batch_size=batch_size, lr=lr, warmup=min(100, steps // 10), seed=seed)
    with bars() as progress:
        s = train_run(run, captions, cfg, progress=progress)
    console.print(f"{s['model']}: {s['steps']} steps, loss {s['final_loss']:.3f}, {s['tokens_per_s']:.0f} tokens/s")


@app.command("eval")
def eval_cmd(
    run: Path = typer.Option(..., help="Run directory with trained models."),  # noqa: B008 - typer reads defaults this way
    episodes: int = typer.Option(100, help="Held-out seeds to evaluate."),
    models: str = typer.Option("captions,plain", help="Comma-separated: captions, plain."),
) -> None:
    """Success rate on held-out seeds; the captioned model writes its own captions."""
    from llmrl_seqmodel.cli._progress import bars
    from llmrl_seqmodel.tbya.pipeline import eval_run

    with bars() as progress:
        res = eval_run(run, episodes, tuple(models.split(",")), progress)
    for name, m in res["models"].items():
        console.print(f"{name:>9}: success {m['success_rate']:.2%}, return {m['mean_return']:.3f}, "
                      f"{m['captions_per_episode']:.1f} captions/episode")
