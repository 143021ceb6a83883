"""The ``llmrl`` CLI. Packages add sub-apps through the ``llmrl_commands`` hook."""

from __future__ import annotations

import logging
import sys

import typer

from llmrl_core.cli import sandbox_cmd
from llmrl_core.cli.doctor import doctor
from llmrl_core.cli.generate import generate
from llmrl_core.cli.groups import CommandGroup
from llmrl_core.cli.output import print_error, setup_logging
from llmrl_core.cli.plugins_cmd import plugins
from llmrl_core.errors import LlmrlError
from llmrl_core.plugins import get_plugin_manager

log = logging.getLogger(__name__)


def _version_callback(value: bool) -> None:
    if value:
        from llmrl_core import __version__

        typer.echo(f"llmrl-core {__version__}")
        raise typer.Exit()


def build_app() -> typer.Typer:
    """The root app with core's commands and every plugin's sub-app."""
    app = typer.Typer(
        name="llmrl",
        cls=CommandGroup,
        help="Where large language models and reinforcement learning meet.",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        # usage errors: typer's rich panel on a terminal; click's plain, unwrapped text in a pipe
        rich_markup_mode="rich" if sys.stderr.isatty() else None,
    )

    @app.callback()
    def _root(
        version: bool = typer.Option(False, "--version", callback=_version_callback, is_eager=True, help="Print the version."),
        verbose: int = typer.Option(0, "--verbose", "-v", count=True, help="More log output (-v info, -vv debug)."),
    ) -> None:
        setup_logging(verbose)

    app.command()(plugins)
    app.command()(doctor)
    app.command()(generate)
    sandbox = sandbox_cmd.group()
    app.add_typer(sandbox, name="sandbox")
    _add_plugin_commands(app, {"sandbox": sandbox})
    return app


def _add_plugin_commands(app: typer.Typer, groups: dict[str, typer.Typer]) -> None:
    """Every plugin's commands: ``name`` becomes ``llmrl name``; ``"group name"`` joins that group's commands."""
    pm = get_plugin_manager()
    reserved = {"plugins", "doctor", "generate", *groups}
    nested = []
    for comp in pm.components("command"):
        group, _, name = comp.name.rpartition(" ")
        try:
            if comp.name in reserved:
                raise LlmrlError(f"the command {comp.name!r} is llmrl-core's" + (
                    f"; add a command to its group with CommandSpec(name='{comp.name} <command>')" if comp.name in groups
                    else "; pick another name"))
            sub = comp.spec.load()
        except Exception as exc:  # noqa: BLE001 - a broken sub-app must not break the CLI
            pm.record_failure(f"command {comp.name}", comp.distribution, exc)
            continue
        if group:
            nested.append((group, name, comp, sub))
            continue
        _attach(app, name, comp.description, sub)
        if isinstance(sub, typer.Typer):
            groups[name] = sub
    for group, name, comp, sub in nested:  # after the loop: the group may come from a plugin listed later
        if group not in groups:
            pm.record_failure(f"command {comp.name}", comp.distribution,
                              LlmrlError(f"there is no command group {group!r} to add {name!r} to"))
            continue
        _attach(groups[group], name, comp.description, sub)


def _attach(parent: typer.Typer, name: str, description: str, sub: object) -> None:
    if isinstance(sub, typer.Typer):
        parent.add_typer(sub, name=name, help=description or None)
    else:  # a plain function is one command: `llmrl <name> ARGS...`
        parent.command(name=name, help=description or None)(sub)


def run() -> None:
    """Console-script entry point: llmrl's own errors become one clear line and exit code 2."""
    app = build_app()
    try:
        app()  # standalone mode: usage errors and --help exit the way click always does
    except LlmrlError as exc:
        print_error(str(exc))
        raise SystemExit(2) from None
