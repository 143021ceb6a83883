"""`llmrl toolrl solve|train`. Imports fast: torch, transformers and TRL load inside the commands."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)


@app.command()
def solve(
    question: str = typer.Argument(..., help="The question to solve."),
    provider: str = typer.Option("transformers", help="Provider name; see `llmrl plugins`."),
    model: str | None = typer.Option(None, help="Model for the provider [its default; smollm2-135m for transformers]."),
    sandbox: str = typer.Option("local", help="Sandbox name; see `llmrl plugins`."),
    max_tool_calls: int = typer.Option(1, "--max-tool-calls", help="C: code executions before the model must finish."),
    max_tokens: int = typer.Option(512, help="Tokens per generation round."),
    temperature: float = typer.Option(0.0, help="0 = greedy."),
    prefix: str = typer.Option("", help="Assistant prefix the model continues, e.g. '```python\\n'."),
    template: str | None = typer.Option(None, help="Prompt template with {question} [ToRL's base template]."),
    seed: int | None = typer.Option(None),
) -> None:
    """Answer QUESTION with the stop-execute-continue loop and print the interleaved trajectory."""
    from rich.text import Text

    from llmrl_core import SamplingParams, get_provider
    from llmrl_core.cli.output import console
    from llmrl_toolrl.config import ToolConfig
    from llmrl_toolrl.rollout import open_sandbox, rollout

    cfg = ToolConfig(max_tool_calls=max_tool_calls, sandbox=sandbox, assistant_prefix=prefix.replace("\\n", "\n"),
                     **({"prompt_template": template.replace("\\n", "\n")} if template else {}))
    with console.status(f"opening {sandbox!r} sandbox and {provider!r} provider"):
        box = open_sandbox(cfg)
        llm = get_provider(provider, **({"model": model} if model else {}))
    with box, llm, console.status("solving"):
        traj = rollout(llm, [cfg.render(question)], box, cfg,
                       SamplingParams(temperature=temperature, max_tokens=max_tokens, seed=seed))[0]
    out = Text(cfg.assistant_prefix, style="cyan")
    for kind, text in traj.segments:
        out.append(text, style="cyan" if kind == "model" else "yellow")
    console.print(out)
    statuses = ", ".join(c.status for c in traj.calls) or "none"
    console.print(f"[dim]tool calls: {traj.num_calls} ({statuses}); finish: {traj.finish_reason}[/]")


def _config(config: Path | None, flags: dict[str, Any], overrides: list[str]):
    from llmrl_core.config import load_config
    from llmrl_toolrl.config import ToRLTrainConfig

    sets = [f"{k}={json.dumps(v) if not isinstance(v, str) else v}" for k, v in flags.items() if v is not None]
    return load_config(ToRLTrainConfig, config, [*sets, *overrides])


@app.command()
def train(
    config: Path | None = typer.Option(None, "--config", help="YAML/TOML file with ToRLTrainConfig fields."),  # noqa: B008
    model: str | None = typer.Option(None, help="Model alias, directory, .gguf or cached HF id [smollm2-135m]."),
    task: str | None = typer.Option(None, help="Task name [arithmetic]; see `llmrl plugins`."),
    max_tool_calls: int | None = typer.Option(None, "--max-tool-calls", help="C: code executions per response [1]."),
    sandbox: str | None = typer.Option(None, help="Sandbox name [local]."),
    steps: int | None = typer.Option(None, help="Optimiser steps."),
    output: str | None = typer.Option(None, help="Run directory [runs/toolrl]."),
    resume: bool = typer.Option(False, "--resume", help="Continue the run in --output from its last checkpoint."),
    set_: list[str] = typer.Option([], "--set", help="Override any field: --set tools.timeout_s=5 (repeatable)."),  # noqa: B008
) -> None:
    """GRPO with a sandboxed code interpreter in the loop (ToRL); tool output is masked from the loss."""
    from llmrl_core.cli.output import console, progress
    from llmrl_grpo.cli import check_names, progress_events

    flags = {"model": model, "task": task, "steps": steps, "output": output,
             "tools.max_tool_calls": max_tool_calls, "tools.sandbox": sandbox}
    cfg = _config(config, flags, set_)
    check_names(cfg.model, cfg.task)
    from llmrl_toolrl.run import train as run_train

    def step_status(rec: dict[str, Any]) -> str:
        return (f"reward {rec.get('reward', 0):.2f}  calls {rec.get('tools/calls_per_response', 0):.2f}  "
                f"exec ok {rec.get('tools/exec_success_rate', 0):.2f}")

    def eval_summary(r: dict[str, Any]) -> str:
        return f"pass@1 greedy {r['pass@1_greedy']:.1%}, tool use {r['tools/response_share']:.1%}"

    with progress() as bar:
        on_event = progress_events(bar, cfg.steps, step_status, eval_summary)
        result = run_train(cfg, resume=resume, on_event=on_event)
    console.print(f"run directory: {result['run_dir']} (metrics.jsonl, eval.md, curves.png, final/)")
