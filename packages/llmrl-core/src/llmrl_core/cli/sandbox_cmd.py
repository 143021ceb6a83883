"""``llmrl sandbox``: run a program in any installed sandbox. Plugins add commands to the group (the fusion
plugin's ``serve``) by registering a ``CommandSpec`` named ``"sandbox <command>"``. Imported at every CLI start."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from llmrl_core.cli.components import SANDBOX, SANDBOX_SETTINGS, settings
from llmrl_core.cli.groups import CommandGroup

HELP = "Run untrusted code in any installed sandbox; plugins add commands (serve: llmrl-sandbox-fusion)."


def group() -> typer.Typer:
    """A fresh ``llmrl sandbox`` group (plugins add their commands to it, so each CLI app gets its own)."""
    app = typer.Typer(cls=CommandGroup, no_args_is_help=True, help=HELP)
    app.command()(run)
    return app


def one_off_settings(sandbox: str, options: list[str] | None) -> dict:
    """The ``-o`` settings; a sandbox with a ``workers`` setting starts one worker unless told otherwise."""
    from llmrl_core.plugins import get_plugin_manager

    config = settings(options)
    comp = get_plugin_manager().lookup("sandbox", sandbox)
    model = getattr(comp.spec, "config", None) if comp is not None else None
    if model is not None and "workers" in model.model_fields and "workers" not in config:
        config["workers"] = 1  # one program needs no pool of workers
    return config


def run(
    file: str = typer.Argument(..., help="Python file to run, or - for stdin."),
    sandbox: str = SANDBOX,
    timeout: float = typer.Option(10.0, "--timeout", help="Wall-clock limit in seconds."),
    memory_mb: int = typer.Option(512, "--memory-mb", help="Memory limit in MB."),
    option: list[str] = SANDBOX_SETTINGS,
    as_json: bool = typer.Option(False, "--json", help="Print the result as one JSON object."),
) -> None:
    """Run one Python program in a sandbox; prints its output and exits 0 only if it succeeded.

    A sandbox with a `workers` setting (local) starts one worker here unless -o workers=N says otherwise.
    """
    from dataclasses import asdict

    from llmrl_core import get_sandbox
    from llmrl_core.errors import ConfigError

    if file == "-":
        code = sys.stdin.read()
    else:
        path = Path(file)
        if not path.is_file():
            raise ConfigError(f"{file!r} is not a file; give a Python file or - to read the program from stdin")
        code = path.read_text(encoding="utf-8", errors="replace")
    with get_sandbox(sandbox, **one_off_settings(sandbox, option)) as sb:
        result = sb.run(code, timeout_s=timeout, memory_mb=memory_mb)
    if as_json:
        typer.echo(json.dumps(asdict(result)))
    else:
        sys.stdout.write(result.stdout)
        sys.stderr.write(result.stderr)
        if result.status != "ok":
            typer.echo(f"[{result.status}] exit code {result.exit_code} after {result.duration_s:.3f} s", err=True)
    # SystemExit, not typer.Exit: the root CLI runs click with standalone_mode=False, which turns Exit into a
    # return value and would lose the exit code.
    raise SystemExit(0 if result.ok else 1)
