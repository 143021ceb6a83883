"""``llmrl ad collect|train|eval``: Algorithm Distillation from the command line.

This module imports fast: torch and the pipelines load inside the commands.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from llmrl_core.cli.output import console

app = typer.Typer(no_args_is_help=True, help="Algorithm Distillation: learning histories -> transformer -> in-context RL.")


def _kwargs(pairs: list[str]) -> dict:
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise typer.BadParameter(f"expected KEY=VALUE, got {pair!r} (e.g. --env-arg size=5)")
        try:
            out[key] = json.loads(value)
        except json.JSONDecodeError:
            out[key] = value
    return out


@app.command("collect")
def collect_cmd(
    env: str = typer.Option("darkroom", help="darkroom | darkroom-hard | key-to-door | bandit"),
    out: Path = typer.Option(..., help="Run directory to create."),  # noqa: B008 - typer reads defaults this way
    source: str = typer.Option(None, help="An RL learner: q-learning | policy-gradient (grid worlds), ucb | thompson | eps-greedy (bandit); "
                               "or scripted: explorer-eps | oracle-eps | expert. Default: q-learning; ucb on the bandit."),
    episodes: int = typer.Option(80, help="Episodes per learning history (the bandit: env episodes of 100 trials)."),
    histories_per_task: int = typer.Option(4),
    anneal_fraction: float = typer.Option(0.7, help="explorer-eps / oracle-eps: eps reaches 0 after this share of each history."),
    n_test: int = typer.Option(20, help="Held-out tasks."),
    n_train: int = typer.Option(None, help="Cap on training tasks."),
    workers: int = typer.Option(2, help="Parallel processes."),
    seed: int = typer.Option(0),
    n_embd: int = typer.Option(64, help="Model width (the benchmark uses 48)."),
    n_layer: int = typer.Option(4, help="GPT-2 blocks (the benchmark uses 2)."),
    n_head: int = typer.Option(4),
    context_episodes: int = typer.Option(4, help="Context length in episodes."),
    regularise: bool = typer.Option(True, "--regularise/--no-regularise",
                                    help="AD's dropout 0.1, attention dropout 0.5 and token masking 0.3 (off in the benchmark's short runs)."),
    env_arg: list[str] = typer.Option([], help="Env override KEY=VALUE, e.g. size=5 (repeatable)."),  # noqa: B008
) -> None:
    """Generate the source algorithm's learning histories on the training tasks."""
    from llmrl_seqmodel.cli._progress import bars
    from llmrl_seqmodel.config import ADRunConfig, HistoryConfig, ModelConfig
    from llmrl_seqmodel.pipeline import collect_run

    model = ModelConfig(n_embd=n_embd, n_layer=n_layer, n_head=n_head, n_inner=4 * n_embd if regularise else 2 * n_embd,
                        context_episodes=context_episodes)
    if not regularise:
        model = model.model_copy(update={"dropout": 0.0, "attn_dropout": 0.0, "token_mask": 0.0})
    cfg = ADRunConfig(env=env, env_kwargs=_kwargs(env_arg), n_test=n_test, n_train=n_train, model=model,
                      history=HistoryConfig(source=source, episodes=episodes, histories_per_task=histories_per_task,
                                            workers=workers, seed=seed, anneal_fraction=anneal_fraction))
    with bars() as progress:
        hist = collect_run(out, cfg, progress)
    returns = hist.episode_returns
    console.print(f"{len(hist)} histories, {hist.offsets[-1]} transitions -> {out}; "
                  f"source return first episode {sum(r[0] for r in returns) / len(returns):.2f}, "
                  f"last {sum(r[-1] for r in returns) / len(returns):.2f}")


@app.command("train")
def train_cmd(
    run: Path = typer.Option(..., help="Run directory from `llmrl ad collect`."),  # noqa: B008 - typer reads defaults this way
    kind: str = typer.Option("ad", help="ad | ed (expert distillation) | dpt"),
    steps: int = typer.Option(None, help="Gradient steps (default: the run's config)."),
    batch_size: int = typer.Option(None),
    lr: float = typer.Option(None),
) -> None:
    """Train AD (or the ED / DPT baselines) on the run's data."""
    from llmrl_seqmodel.cli._progress import bars
    from llmrl_seqmodel.pipeline import train_run

    if kind not in ("ad", "ed", "dpt"):
        raise typer.BadParameter(f"unknown kind {kind!r}; choose ad, ed or dpt")
    overrides = {k: v for k, v in {"steps": steps, "batch_size": batch_size, "lr": lr}.items() if v is not None}
    with bars() as progress:
        summary = train_run(run, kind, progress, **overrides)  # type: ignore[arg-type]
    console.print(f"{kind}: {summary['steps']} steps, loss {summary['final_loss']:.3f}, "
                  f"{summary['tokens_per_s']:.0f} tokens/s -> {run}/model-{kind}.pt")


@app.command("eval")
def eval_cmd(
    run: Path = typer.Option(..., help="Run directory with trained models."),  # noqa: B008 - typer reads defaults this way
    kinds: str = typer.Option(None, help="Comma-separated: ad,ed,dpt,source,random (default: every trained model + source)."),
    episodes: int = typer.Option(50, help="In-context episodes per held-out task."),
    seeds: int = typer.Option(2),
    greedy: bool = typer.Option(False, help="Argmax actions instead of sampling."),
) -> None:
    """In-context evaluation on held-out tasks: writes eval.json and curves.png."""
    from llmrl_seqmodel.cli._progress import bars
    from llmrl_seqmodel.config import EvalConfig
    from llmrl_seqmodel.pipeline import eval_run

    with bars() as progress:
        res = eval_run(run, kinds.split(",") if kinds else None, EvalConfig(episodes=episodes, seeds=seeds, greedy=greedy),
                       progress)
    for name, m in res["methods"].items():
        last = next(k for k in m if k.startswith("last"))
        console.print(f"{name:>6}: first episode {m['first_episode']:.2f}, {last} {m[last]:.2f}")
    console.print(f"curves -> {run}/curves.png, {run}/eval.json")
