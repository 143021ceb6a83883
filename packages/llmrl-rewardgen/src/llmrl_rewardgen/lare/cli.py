"""``llmrl lare generate|train``. Imports only typer at module level: the CLI loads it on every start."""

from __future__ import annotations

import time
from pathlib import Path

import typer

app = typer.Typer(no_args_is_help=True, help="LaRe: LLM-generated latent rewards for episodic RL.")


def _provider(name: str, model: str | None):
    from llmrl_core import get_provider

    return get_provider(name, **({"model": model} if model else {}))


@app.command()
def generate(
    env: str = typer.Option("HalfCheetah-v5", help="Gymnasium MuJoCo id (Reacher, HalfCheetah, Walker2d, HumanoidStandup)."),
    provider: str = typer.Option("transformers", help="LLM provider (llmrl plugins lists them)."),
    model: str | None = typer.Option(None, help="Model name for the provider (default: the provider's)."),
    sandbox: str = typer.Option("local", help="Sandbox that validates the LLM's code."),
    seed: int = typer.Option(0, help="Sampling seed (part of the cache key)."),
    n_candidates: int = typer.Option(5, help="Candidate answers at temperature 1.0 (K)."),
    max_tokens: int = typer.Option(1024, help="Token budget per reply."),
    repair_budget: int = typer.Option(5, help="Repair rounds after the summarised answer."),
    force: bool = typer.Option(False, "--force", help="Ignore the cache and generate anew."),
) -> None:
    """Generate a latent function with the LLM, validate it in the sandbox (repairing up to N times) and cache it.

    With a provider that can constrain its decoding (the embedded model through transformers), every reply is
    sampled inside LaRe's function grammar (GenerateConfig.grammar, default auto).
    """
    from llmrl_core import get_sandbox
    from llmrl_core.cli.output import console
    from llmrl_rewardgen.lare.generate import GenerateConfig, cache_path, generate_latent_function
    from llmrl_rewardgen.lare.tasks import task_description

    task_description(env)  # an unknown env fails here, before the model loads
    cfg = GenerateConfig(n_candidates=n_candidates, max_tokens=max_tokens, repair_budget=repair_budget, seed=seed)
    with console.status(f"LaRe: {n_candidates} candidates + summary for {env} with {provider} ..."):
        with _provider(provider, model) as llm, get_sandbox(sandbox) as box:
            result = generate_latent_function(env, llm, box, provider_name=provider, model_name=model or "default",
                                              config=cfg, use_cache=not force)
    counts = result.report.get("candidates") and _counts_line(result.report)
    if counts:
        console.print(counts, highlight=False)
    rounds = result.transcript.get("rounds", [])
    for r in rounds:
        console.print(f"round {r['index'] + 1}: " + ("[green]accepted[/]" if r["error"] is None else f"[red]{r['error']}[/]"),
                      highlight=False)
    kept = f"{result.n_factors} factors" + (f", {len(result.verdict.get('dropped', {}))} dropped" if result.kept else "")
    console.print(f"[bold]accepted evaluation_func[/] ({kept}{', grammar-constrained' if result.grammar else ''}):")
    console.print(result.code, markup=False, highlight=False)
    path = cache_path(env, provider, model or "default", seed, grammar=result.grammar)
    console.print(f"cached at {path}", highlight=False)


def _counts_line(report: dict) -> str:
    from llmrl_rewardgen.lare.generate import PipelineReport

    c = PipelineReport(**report).counts()
    return (f"candidates: {c['candidates_parsed']}/{c['candidates']} parsed, {c['candidates_validated']}/{c['candidates']} "
            f"validated; summarised answer: {c['repairs']} repair(s); factors kept {c['factors_kept']} of "
            f"{c['factors_returned']}")


@app.command()
def train(
    env: str = typer.Option("HalfCheetah-v5", help="Gymnasium MuJoCo id; trains on its episodic-reward llmrl/Episodic<id> (llmrl-env-mujoco)."),
    algo: str = typer.Option("td3", help="td3 | sac (Stable-Baselines3)."),
    steps: int = typer.Option(100_000, help="Environment steps."),
    decoder: str = typer.Option("rrd-unbiased", help="rd | rrd | rrd-unbiased."),
    head: str = typer.Option("mlp", help="linear | mlp."),
    baseline: str = typer.Option("lare", help="lare | rrd-state | episodic | dense."),
    latent: str = typer.Option("cache", help="cache (from `lare generate`), example (hand-written), or a JSON path."),
    provider: str = typer.Option("transformers", help="With --latent cache: the provider it was generated with."),
    model: str | None = typer.Option(None, help="With --latent cache: the model it was generated with."),
    sandbox: str = typer.Option("local", help="Sandbox that evaluates LLM-written latent functions."),
    seed: int = typer.Option(0),
    learning_starts: int = typer.Option(10_000, help="Random-action steps before learning."),
    eval_every: int = typer.Option(5000, help="Evaluate every this many steps."),
    eval_episodes: int = typer.Option(5),
    run_dir: Path | None = typer.Option(None, help="Where metrics.json and curve.png go (default runs/lare/...)."),  # noqa: B008
) -> None:
    """Train TD3/SAC on the episodic-reward task with LaRe's relabelled rewards (or a baseline)."""
    from contextlib import ExitStack

    from llmrl_core import ConfigError, get_sandbox
    from llmrl_core.cli.output import console, progress
    from llmrl_core.config import validate_config
    from llmrl_rewardgen.lare.train import TrainConfig
    from llmrl_rewardgen.lare.train import train as run_training

    fields = dict(env=env, algo=algo, steps=steps, decoder=decoder, head=head, baseline=baseline, seed=seed,
                  learning_starts=learning_starts, eval_every=eval_every, eval_episodes=eval_episodes)
    cfg = TrainConfig(**validate_config(TrainConfig, fields, where="llmrl lare train options"))
    run_dir = run_dir or Path("runs/lare") / f"{env}-{baseline}-{algo}-seed{seed}-{time.strftime('%Y%m%d-%H%M%S')}"
    with ExitStack() as stack:
        fn = None
        if baseline == "lare":
            if latent == "example":
                from llmrl_rewardgen.lare.examples import worked_example

                fn = worked_example(env)
                console.print(f"latent function: the HAND-WRITTEN worked example for {env}", highlight=False)
            else:
                from llmrl_rewardgen.lare.generate import GeneratedLatentFunction, find_cached

                path = find_cached(env, provider, model or "default", seed) if latent == "cache" else Path(latent)
                if path is None or not path.is_file():
                    raise ConfigError(
                        f"no generated latent function {'cached' if path is None else 'at ' + str(path)}. Run `llmrl lare generate --env {env} --provider "
                        f"{provider}{' --model ' + model if model else ''} --seed {seed}` first, or use --latent example."
                    )
                box = stack.enter_context(get_sandbox(sandbox))
                fn = GeneratedLatentFunction.read(path).load(box)
                console.print(f"latent function: {path} (evaluated in the {sandbox!r} sandbox)", highlight=False)
        with progress() as bar:
            task = bar.add_task(f"{env} {baseline} {algo}", total=steps, status="")

            def on_progress(step: int, info: dict) -> None:
                status = f"eval {info['eval']:.1f}" if info.get("eval") is not None else ""
                bar.update(task, completed=step, status=status)

            result = run_training(cfg, fn, run_dir=run_dir, on_progress=on_progress)
    console.print(f"final evaluation return {result.final_return:.1f} after {steps} steps ({result.seconds:.0f} s)")
    console.print(f"run directory: {run_dir} (metrics.json, curve.png)", highlight=False)
