"""``llmrl generate``: complete a prompt with any installed provider. Imported at every CLI start: keep it light."""

from __future__ import annotations

import json

import typer

from llmrl_core.cli.components import MODEL, PROVIDER, PROVIDER_SETTINGS, load_provider
from llmrl_core.cli.output import console, err_console

_STOP = typer.Option(None, "--stop", help="A stop string (repeatable); the completion ends before it.")


def generate(
    prompt: str = typer.Argument(..., help="The prompt."),
    provider: str = PROVIDER,
    model: str | None = MODEL,
    n: int = typer.Option(1, "-n", help="Completions to sample."),
    temperature: float = typer.Option(0.7, help="Sampling temperature; 0 is greedy."),
    top_p: float = typer.Option(1.0, help="Nucleus sampling mass."),
    max_tokens: int = typer.Option(128, help="Most tokens per completion."),
    stop: list[str] | None = _STOP,
    seed: int | None = typer.Option(None, help="Seed for reproducible sampling."),
    chat: bool = typer.Option(True, "--chat/--raw", help="Send PROMPT as a user chat message, or as raw text."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object per completion."),
    option: list[str] = PROVIDER_SETTINGS,
) -> None:
    """Complete PROMPT with a provider and print the completions."""
    from llmrl_core import SamplingParams

    try:
        params = SamplingParams(n=n, temperature=temperature, top_p=top_p, max_tokens=max_tokens, stop=tuple(stop or ()),
                                seed=seed)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    llm = load_provider(provider, model, option)
    try:
        with err_console.status(f"generating {n} completion(s) of up to {max_tokens} tokens"):
            gens = llm.generate([[{"role": "user", "content": prompt}] if chat else prompt], params)
    finally:
        llm.close()
    for i, gen in enumerate(gens):
        if as_json:
            typer.echo(json.dumps({"index": i, "text": gen.text, "finish_reason": gen.finish_reason,
                                   "stop_reason": gen.stop_reason, "token_ids": gen.token_ids}))
            continue
        reason = gen.finish_reason + (f" at {gen.stop_reason!r}" if gen.stop_reason else "")
        tokens = f", {len(gen.token_ids)} tokens" if gen.token_ids is not None else ""
        if n > 1:
            console.rule(f"completion {i + 1} of {n} ({reason}{tokens})", style="dim")
        console.print(gen.text, markup=False, highlight=False)
        if n == 1:
            err_console.print(f"[dim]({reason}{tokens})[/]")
