"""What the commands that use one component by name share (``generate``, ``serve``, ``sandbox run|serve``).

The component is picked by its registered name and configured with ``-o key=value`` settings, which its
config model validates (once, in the registry). Imported at every CLI start: keep it light.
"""

from __future__ import annotations

from typing import Any

import typer

PROVIDER = typer.Option("transformers", "--provider", "-p", help="The provider's registered name (see `llmrl plugins`).")
MODEL = typer.Option(None, "--model", "-m", help="Model alias, Hugging Face id or local path (default: the provider's).")
PROVIDER_SETTINGS = typer.Option(
    [], "--option", "-o", help="A provider config field, key=value (repeatable), e.g. -o dtype=float32.")
SANDBOX = typer.Option("local", "--sandbox", "-s", help="The sandbox's registered name (see `llmrl plugins`).")
SANDBOX_SETTINGS = typer.Option(
    [], "--option", "-o", help="A sandbox config field, key=value (repeatable), e.g. -o workers=8.")


def settings(options: list[str] | None) -> dict[str, Any]:
    """``key=value`` options (values read as YAML, dotted keys nest) as the component's keyword settings."""
    from llmrl_core.config import apply_overrides

    return apply_overrides({}, options or [])


def provider_settings(model: str | None, options: list[str] | None) -> dict[str, Any]:
    """The provider's settings: the ``-o`` options, with ``--model`` filling the ``model`` field."""
    config = settings(options)
    if model is not None:
        config["model"] = model
    return config


def load_provider(provider: str, model: str | None, options: list[str] | None) -> Any:
    """Build the provider through the registry, with a spinner on stderr while the model loads."""
    from llmrl_core import get_provider
    from llmrl_core.cli.output import err_console

    with err_console.status(f"loading provider {provider!r}" + (f" with model {model!r}" if model else "")):
        return get_provider(provider, **provider_settings(model, options))
