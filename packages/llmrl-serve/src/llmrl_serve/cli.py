"""``llmrl serve`` and ``llmrl generate``. Imported at every CLI start: keep it light."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from llmrl_core.cli.output import console, err_console

_PROVIDER = typer.Option("transformers", "--provider", "-p", help="The provider's registered name (see `llmrl plugins`).")
_MODEL = typer.Option(None, "--model", "-m", help="Model alias, Hugging Face id or local path (default: the provider's).")
_STOP = typer.Option(None, "--stop", help="A stop string (repeatable); the completion ends before it.")
_OPTIONS = typer.Option([], "--option", "-o", help="A provider config field, key=value (repeatable), e.g. -o dtype=float32.")


def _serve_help(field: str) -> str:
    from llmrl_serve.config import ServeConfig

    return ServeConfig.model_fields[field].description or field


_REQUEST_LOG = typer.Option(None, help=_serve_help("request_log"), dir_okay=False)


def _provider_config(model: str | None, options: list[str]) -> dict[str, Any]:
    from llmrl_core.config import apply_overrides

    config = apply_overrides({}, options) if options else {}
    if model is not None:
        config["model"] = model
    return config


def _load(provider: str, model: str | None, options: list[str]):
    from llmrl_core import get_provider

    with err_console.status(f"loading provider {provider!r}" + (f" with model {model!r}" if model else "")):
        return get_provider(provider, **_provider_config(model, options))


def serve(
    provider: str = _PROVIDER,
    model: str | None = _MODEL,
    host: str = typer.Option("127.0.0.1", help="Address to listen on (0.0.0.0 exposes it to the network)."),
    port: int = typer.Option(8000, help="Port to listen on; 0 picks a free one."),
    served_model_name: str | None = typer.Option(None, help="The name clients request (default: --model, or the provider's)."),
    max_tokens: int = typer.Option(256, help=_serve_help("default_max_tokens")),
    max_tokens_limit: int | None = typer.Option(None, help=_serve_help("max_tokens_limit")),
    request_log: Path | None = _REQUEST_LOG,
    option: list[str] = _OPTIONS,
) -> None:
    """Serve a provider over an OpenAI-compatible API: /v1/models, /v1/completions, /v1/chat/completions."""
    from llmrl_serve.config import ServeConfig
    from llmrl_serve.server import bind, build_app, run_server

    try:
        config = ServeConfig(default_max_tokens=max_tokens, max_tokens_limit=max_tokens_limit, request_log=request_log)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    sock = bind(host, port)  # fail on a busy port before spending time on the model
    llm = _load(provider, model, option)
    name = served_model_name or model or str(getattr(llm, "model_name", None) or provider)
    app = build_app(llm, name, config)
    bound_host, bound_port = sock.getsockname()[:2]
    shown = f"[{bound_host}]" if ":" in bound_host else bound_host
    # The test harness and scripts read this line to learn the port; keep its shape.
    print(f"llmrl serve: {provider} model {name!r} listening on http://{shown}:{bound_port}/v1", flush=True)
    try:
        run_server(app, sock)
    finally:
        llm.close()


def generate(
    prompt: str = typer.Argument(..., help="The prompt."),
    provider: str = _PROVIDER,
    model: str | None = _MODEL,
    n: int = typer.Option(1, "-n", help="Completions to sample."),
    temperature: float = typer.Option(0.7, help="Sampling temperature; 0 is greedy."),
    top_p: float = typer.Option(1.0, help="Nucleus sampling mass."),
    max_tokens: int = typer.Option(128, help="Most tokens per completion."),
    stop: list[str] | None = _STOP,
    seed: int | None = typer.Option(None, help="Seed for reproducible sampling."),
    chat: bool = typer.Option(True, "--chat/--raw", help="Send PROMPT as a user chat message, or as raw text."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object per completion."),
    option: list[str] = _OPTIONS,
) -> None:
    """Complete PROMPT with a provider and print the completions."""
    from llmrl_core import SamplingParams

    try:
        params = SamplingParams(n=n, temperature=temperature, top_p=top_p, max_tokens=max_tokens, stop=tuple(stop or ()),
                                seed=seed)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    llm = _load(provider, model, option)
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
