"""The ``llmrl`` CLI. Packages add sub-apps through the ``llmrl_commands`` hook."""

from __future__ import annotations

import logging
import sys

import typer
from typer.core import TyperGroup

from llmrl_core.cli.doctor import doctor
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


class _Commands(TyperGroup):
    """``llmrl``'s command group: an unknown command says which installed plugins were kept out."""

    def resolve_command(self, ctx, args: list[str]):
        try:
            return super().resolve_command(ctx, args)
        except typer.TyperException as exc:  # typer's click: "No such command 'x'."
            skipped = get_plugin_manager().skipped
            if skipped and isinstance(getattr(exc, "message", None), str):
                exc.message += (f" LLMRL_PLUGINS / LLMRL_PLUGINS_EXCLUDE kept these installed plugins (and their "
                                f"commands) out: {', '.join(skipped)}.")
            raise


def build_app() -> typer.Typer:
    """The root app with core's commands and every plugin's sub-app."""
    app = typer.Typer(
        name="llmrl",
        cls=_Commands,
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
    pm = get_plugin_manager()
    for comp in pm.components("command"):
        try:
            sub = comp.spec.load()
        except Exception as exc:  # noqa: BLE001 - a broken sub-app must not break the CLI
            pm.record_failure(f"command {comp.name}", comp.distribution, exc)
            continue
        if isinstance(sub, typer.Typer):
            app.add_typer(sub, name=comp.name, help=comp.description or None)
        else:  # a plain function is one command: `llmrl <name> ARGS...`
            app.command(name=comp.name, help=comp.description or None)(sub)
    return app


def run() -> None:
    """Console-script entry point: llmrl's own errors become one clear line and exit code 2."""
    app = build_app()
    try:
        app()  # standalone mode: usage errors and --help exit the way click always does
    except LlmrlError as exc:
        print_error(str(exc))
        raise SystemExit(2) from None
