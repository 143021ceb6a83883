"""``llmrl l2r "INSTRUCTION" ...``: language -> reward spec (L2R translator) -> the controller on the robot.

Imported on every CLI start: everything heavy (the translator, providers, MuJoCo) loads inside the command.
The translator lives in llmrl-rewardgen (``pip install 'llmrl-mpc[l2r]'``).
"""

from __future__ import annotations

import json

import typer

from llmrl_core.cli.runkit import RunContext, run_command
from llmrl_mpc.config import L2RRunConfig


@run_command(None, "l2r", L2RRunConfig, arguments=["instructions"],
             aliases={"samples": "planner.samples", "threads": "planner.nthread", "method": "planner.method"})
def l2r(cfg: L2RRunConfig, ctx: RunContext,
         json_out: bool = typer.Option(False, "--json", help="Print one JSON object instead of the panels.")) -> None:
    """L2R: translate INSTRUCTION into a reward spec for TASK, then run it with MPC and print the metrics reached."""
    from llmrl_core import get_provider, get_sandbox
    from llmrl_core.cli.output import console
    from llmrl_core.errors import ComponentUnavailableError
    from llmrl_core.runs import prepare_run

    try:
        from llmrl_rewardgen.codegen import CodegenConfig
        from llmrl_rewardgen.l2r import L2RConfig, L2RTranslator
    except ImportError:
        raise ComponentUnavailableError("llmrl l2r needs llmrl-rewardgen: pip install 'llmrl-mpc[l2r]'") from None
    from llmrl_mpc.cli import progress_adapter
    from llmrl_mpc.robots import make_robot
    from llmrl_mpc.runner import run_spec, write_run

    robot = make_robot(cfg.robot)
    cfg, _ = prepare_run(cfg, ctx.run, resume=False)
    options = {k: v for k, v in {"model": cfg.model, "base_url": cfg.base_url}.items() if v is not None}
    config = L2RConfig(use_descriptor=not cfg.coder_only, seed=cfg.seed, descriptor_max_tokens=cfg.max_tokens,
                       coder=CodegenConfig(repair_budget=cfg.repair_budget, temperature=0.3, max_tokens=cfg.max_tokens,
                                           seed=cfg.seed, timeout_s=20.0, memory_mb=512))
    out: dict = {"robot": cfg.robot, "provider": cfg.provider, "model": cfg.model, "turns": []}
    ctx.run.write_config(cfg)
    with get_provider(cfg.provider, **options) as llm, get_sandbox(cfg.sandbox) as box:
        translator = L2RTranslator(robot, llm, box, config)
        for instruction in cfg.instructions:
            with console.status(f"l2r: translating {instruction!r} with {cfg.provider} ..."):
                turn = translator.translate(instruction)  # a TranslationError stops here: no controller started
            out["turns"].append({"instruction": instruction, "description": turn.description, "code": turn.code,
                                 "coder_rounds": turn.coder_rounds, "errors": turn.transcript.errors(), "spec": turn.spec_json})
            if not json_out:
                _print_turn(console, out["turns"][-1])
    header = "\n\n".join(_turn_markdown(t) for t in out["turns"])
    if cfg.run:
        with ctx.progress() as report:
            result = run_spec(robot, translator.turns[-1].spec, cfg.planner, replan_every=cfg.replan_every,
                              seconds=cfg.seconds, seed=cfg.seed, on_progress=progress_adapter(report))
        write_run(ctx.run, result, header=f"# llmrl l2r on {cfg.robot}\n\n{header}\n\n# Controller ({cfg.planner.method})")
        summary = result.summary()
        out["metrics"] = [s["metrics"] for s in summary["segments"]]
        out["realtime_factor"] = summary["realtime_factor"]
        if not json_out:
            _print_metrics(console, summary)
    else:
        ctx.run.write_summary(f"# llmrl l2r on {cfg.robot}\n\n{header}\n\nThe controller was not run (--no-run).\n")
    out["run_dir"] = str(ctx.run.root)
    if json_out:
        typer.echo(json.dumps(out))
    else:
        console.print(f"run directory: {ctx.run.root}", highlight=False)


def _turn_markdown(turn: dict) -> str:
    parts = [f"## {turn['instruction']}"]
    if turn["description"] is not None:
        parts.append(f"Motion description:\n\n```text\n{turn['description']}\n```")
    parts.append(f"Reward code ({turn['coder_rounds']} coder round(s)):\n\n```python\n{turn['code']}\n```")
    parts.append(f"Reward spec:\n\n```json\n{json.dumps(turn['spec'], indent=1)}\n```")
    return "\n\n".join(parts)


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


def _print_metrics(console, summary: dict) -> None:
    from llmrl_mpc.cli import print_segments

    print_segments(console, summary, title="metrics reached, segment {n} ({duration} s)")
    console.print(f"{summary['sim_seconds']:.2f} s simulated at real-time factor {summary['realtime_factor']:.2f}")
