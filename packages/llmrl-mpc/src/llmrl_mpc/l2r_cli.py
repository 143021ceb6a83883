"""``llmrl l2r "INSTRUCTION" ...``: language -> reward spec (L2R translator) -> the controller on the robot.

Imported on every CLI start: everything heavy (the translator, providers, MuJoCo) loads inside the command.
The translator lives in llmrl-rewardgen (``pip install 'llmrl-mpc[l2r]'``).
"""

from __future__ import annotations

import json
from enum import StrEnum

import typer


class Task(StrEnum):
    quadruped = "quadruped"
    manipulator = "manipulator"


def l2r(
    instructions: list[str] = typer.Argument(..., help="The instruction; more are follow-ups that edit the spec, in turn."),  # noqa: B008 - typer's idiom
    task: Task = typer.Option(Task.quadruped, "--task", help="The robot task."),  # noqa: B008 - typer's idiom
    provider: str = typer.Option("transformers", "--provider", help="LLM provider: transformers (embedded SmolLM2-135M), openai, vllm."),
    model: str | None = typer.Option(None, "--model", help="Model name for the provider (default: the provider's)."),  # noqa: B008 - typer's idiom
    base_url: str | None = typer.Option(None, "--base-url", help="openai provider: the endpoint, ending in /v1."),  # noqa: B008 - typer's idiom
    sandbox: str = typer.Option("local", "--sandbox", help="Sandbox that runs the coder's program."),
    coder_only: bool = typer.Option(False, "--coder-only", help="Skip the Motion Descriptor (L2R's coder-only ablation)."),
    repair_budget: int = typer.Option(3, "--repair-budget", min=0, help="Coder repair rounds after the first attempt."),
    max_tokens: int = typer.Option(1536, "--max-tokens", min=16, help="Token budget of each reply (fits the longest program the Reward Coder's grammar admits)."),
    seed: int = typer.Option(0, "--seed", help="Sampling and planner seed."),
    seconds: float | None = typer.Option(None, "--seconds", min=0.01, help="Run each execute_plan segment this long instead."),  # noqa: B008 - typer's idiom
    run: bool = typer.Option(True, "--run/--no-run", help="Run the controller on the final spec and print the metrics."),
    samples: int = typer.Option(128, "--samples", min=2, help="Planner rollouts per iteration."),
    threads: int | None = typer.Option(None, "--threads", min=1, help="Rollout threads (default: CPU count)."),  # noqa: B008 - typer's idiom
    json_out: bool = typer.Option(False, "--json", help="Print one JSON object instead of the panels."),
) -> None:
    """L2R: translate INSTRUCTION into a reward spec for TASK, then run it with sampling MPC and print the metrics reached."""
    from llmrl_core import get_provider, get_sandbox
    from llmrl_core.cli.output import console, progress
    from llmrl_core.errors import ComponentUnavailableError

    try:
        from llmrl_rewardgen.codegen import CodegenConfig
        from llmrl_rewardgen.l2r import L2RConfig, L2RTranslator
    except ImportError:
        raise ComponentUnavailableError("llmrl l2r needs llmrl-rewardgen: pip install 'llmrl-mpc[l2r]'") from None
    from llmrl_mpc.config import PlannerConfig
    from llmrl_mpc.runner import run_spec
    from llmrl_mpc.task import get_task

    the_task = get_task(task.value)
    options = {k: v for k, v in {"model": model, "base_url": base_url}.items() if v is not None}
    config = L2RConfig(use_descriptor=not coder_only, seed=seed, descriptor_max_tokens=max_tokens,
                       coder=CodegenConfig(repair_budget=repair_budget, temperature=0.3, max_tokens=max_tokens, seed=seed,
                                           timeout_s=20.0, memory_mb=512))
    out: dict = {"task": task.value, "provider": provider, "model": model, "turns": []}
    with get_provider(provider, **options) as llm, get_sandbox(sandbox) as box:
        translator = L2RTranslator(the_task, llm, box, config)
        for instruction in instructions:
            with console.status(f"l2r: translating {instruction!r} with {provider} ..."):
                turn = translator.translate(instruction)  # a TranslationError stops here: no controller started
            out["turns"].append({"instruction": instruction, "description": turn.description, "code": turn.code,
                                 "coder_rounds": turn.coder_rounds, "errors": turn.transcript.errors(), "spec": turn.spec_json})
            if not json_out:
                _print_turn(console, out["turns"][-1])
    if run:
        spec = translator.turns[-1].spec
        planner = PlannerConfig(method="mppi", samples=samples, horizon=0.5, noise=0.3, timestep=0.02, nthread=threads, seed=seed)
        with progress() as bar:
            job = bar.add_task(f"mpc {task.value}", total=None, status="")
            result = run_spec(the_task, spec, planner, replan_every=5, seconds=seconds, seed=seed,
                              on_progress=lambda d, t: bar.update(job, completed=round(d * 100), total=round(t * 100)))
        out["metrics"] = [{k: round(v, 4) for k, v in s.metrics.items()} for s in result.segments]
        out["realtime_factor"] = round(result.realtime_factor, 3)
        if not json_out:
            _print_metrics(console, out["metrics"], result)
    if json_out:
        typer.echo(json.dumps(out))


def _print_turn(console, turn: dict) -> None:
    from rich.panel import Panel
    from rich.syntax import Syntax

    console.rule(f"[bold]{turn['instruction']}")
    if turn["description"] is not None:
        console.print(Panel(turn["description"], title="motion description"))
    repairs = f" after {turn['coder_rounds'] - 1} repair(s)" if turn["coder_rounds"] > 1 else ""
    console.print(Panel(Syntax(turn["code"], "python"), title=f"reward code{repairs}"))
    for i, err in enumerate(turn["errors"]):
        console.print(f"[dim]round {i + 1} rejected: {err}[/]", highlight=False)
    console.print(Panel(Syntax(json.dumps(turn["spec"], indent=1), "json"), title="reward spec (validated)"))


def _print_metrics(console, metrics: list[dict], result) -> None:
    from rich.table import Table

    for i, seg in enumerate(metrics):
        table = Table(title=f"metrics reached, segment {i + 1} ({result.segments[i].duration} s)")
        table.add_column("metric")
        table.add_column("reached", justify="right")
        for k, v in seg.items():
            table.add_row(k, f"{v:.3f}")
        console.print(table)
    console.print(f"{result.sim_seconds:.2f} s simulated at real-time factor {result.realtime_factor:.2f}")
