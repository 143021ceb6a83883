"""``llmrl serve`` (``llmrl generate`` is llmrl-core's). Imported at every CLI start: keep it light."""

from __future__ import annotations

from pathlib import Path

import typer

from llmrl_core.cli.components import MODEL, PROVIDER, PROVIDER_SETTINGS, load_provider


def _serve_help(field: str) -> str:
    from llmrl_serve.config import ServeConfig

    return ServeConfig.model_fields[field].description or field


_REQUEST_LOG = typer.Option(None, help=_serve_help("request_log"), dir_okay=False)


def serve(
    provider: str = PROVIDER,
    model: str | None = MODEL,
    host: str = typer.Option("127.0.0.1", help="Address to listen on (0.0.0.0 exposes it to the network)."),
    port: int = typer.Option(8000, help="Port to listen on; 0 picks a free one."),
    served_model_name: str | None = typer.Option(None, help="The name clients request (default: --model, or the provider's)."),
    max_tokens: int = typer.Option(256, help=_serve_help("default_max_tokens")),
    max_tokens_limit: int | None = typer.Option(None, help=_serve_help("max_tokens_limit")),
    request_log: Path | None = _REQUEST_LOG,
    option: list[str] = PROVIDER_SETTINGS,
) -> None:
    """Serve a provider over an OpenAI-compatible API: /v1/models, /v1/completions, /v1/chat/completions."""
    from llmrl_serve.config import ServeConfig
    from llmrl_serve.server import bind, build_app, run_server

    try:
        config = ServeConfig(default_max_tokens=max_tokens, max_tokens_limit=max_tokens_limit, request_log=request_log)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    sock = bind(host, port)  # fail on a busy port before spending time on the model
    llm = load_provider(provider, model, option)
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
