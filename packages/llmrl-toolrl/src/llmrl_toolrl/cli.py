"""`llmrl toolrl solve|train`. Imports fast: torch, transformers and TRL load inside the commands."""

from __future__ import annotations

import typer

from llmrl_core.cli.runkit import RunContext, run_command
from llmrl_grpo.config import CLI_ALIASES
from llmrl_toolrl.config import ToRLTrainConfig

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


HEADLINE = {"reward": "reward", "calls": "tools/calls_per_response", "exec ok": "tools/exec_success_rate",
            "kl": "kl", "len": "completions/mean_length"}
EVAL_KEYS = {"pass@1 greedy": "pass@1_greedy", "tool use": "tools/response_share"}


@run_command(app, "train", ToRLTrainConfig, resumable=True, headline=HEADLINE, eval_keys=EVAL_KEYS,
             aliases={**CLI_ALIASES, "max-tool-calls": "tools.max_tool_calls", "sandbox": "tools.sandbox"})
def train(cfg: ToRLTrainConfig, ctx: RunContext) -> None:
    """GRPO with a sandboxed code interpreter in the loop (ToRL); tool output is masked from the loss."""
    from llmrl_core.cli.checks import check_names

    check_names(cfg.model, task=cfg.task, sandbox=cfg.tools.sandbox)
    from llmrl_toolrl.recipe import train as run_train

    with ctx.progress() as report:
        result = run_train(cfg, resume=ctx.resume, report=report)
    ctx.print_result(result["evals"], title=f"held-out evaluation with tools on {cfg.task} ({cfg.mode} mode, {cfg.steps} steps)",
                     percent=list(EVAL_KEYS))
