"""``llmrl lare generate|train``, declared with the run kit from their config models.

Imports only typer and the config models (pydantic) at module level: the CLI loads it on every start.
"""

from __future__ import annotations

import typer

from llmrl_core.cli.runkit import RunContext, run_command
from llmrl_rewardgen.lare.config import LaReGenerateConfig, LaReTrainConfig

app = typer.Typer(no_args_is_help=True, help="LaRe: LLM-generated latent rewards for episodic RL.")

EVAL_KEYS = {"return": "eval_return", "latent s": "latent_seconds"}


@run_command(app, "generate", LaReGenerateConfig)
def generate(cfg: LaReGenerateConfig, ctx: RunContext) -> None:
    """Generate a latent function with the LLM, validate it in the sandbox (repairing up to N times) and cache it.

    With a provider that can constrain its decoding (the embedded model through transformers), every reply is
    sampled inside LaRe's function grammar (--grammar, default auto).
    """
    from llmrl_core.cli.checks import check_names
    from llmrl_core.cli.output import console
    from llmrl_rewardgen.lare.generate import cache_path
    from llmrl_rewardgen.lare.generation_run import generate as run_generation

    check_names(provider=cfg.provider, sandbox=cfg.sandbox)
    with ctx.progress() as report:
        result = run_generation(cfg, report=report)
    console.print((ctx.run.summary.read_text() if ctx.run.summary.is_file() else ""), markup=False, highlight=False)
    console.print(f"cached at {cache_path(cfg.env, cfg.provider, cfg.model or 'default', cfg.seed, grammar=result.grammar)}",
                  highlight=False)
    ctx.print_result()


@run_command(app, "train", LaReTrainConfig, eval_keys=EVAL_KEYS, resumable=True)
def train(cfg: LaReTrainConfig, ctx: RunContext) -> None:
    """Train TD3/SAC on the episodic-reward task with LaRe's relabelled rewards (or a baseline).

    A killed run continues with --output RUN --resume from its last checkpoint (every --save-every steps).
    """
    from llmrl_core.cli.checks import check_names
    from llmrl_core.cli.output import console
    from llmrl_rewardgen.lare.train import train as run_training

    if cfg.baseline == "lare" and cfg.latent not in ("example",):
        check_names(sandbox=cfg.sandbox)
    with ctx.progress() as report:
        result = run_training(cfg, report=report, resume=ctx.resume)
    console.print(f"final evaluation return {result.final_return:.1f} after {cfg.steps} steps ({result.seconds:.0f} s)",
                  highlight=False)
    ctx.print_result()
