"""The CLI's command groups: a command that is not there says which distribution provides it."""

from __future__ import annotations

import typer
from typer.core import TyperGroup


def _path(ctx) -> list[str]:
    """The group's words under ``llmrl`` (``[]`` for the root, ``["sandbox"]`` for ``llmrl sandbox``)."""
    words = []
    while ctx.parent is not None:
        words.insert(0, ctx.info_name)
        ctx = ctx.parent
    return words


def missing_command_hint(words: list[str]) -> str:
    """Why ``llmrl WORDS`` may be missing: the first-party distribution that provides it, plugins kept out."""
    from llmrl_core.catalogue import install_hint
    from llmrl_core.plugins import get_plugin_manager

    pm = get_plugin_manager()
    parts = []
    hint = install_hint("command", " ".join(words), pm)
    if hint:
        parts.append(hint)
    skipped = pm.skipped
    if skipped:
        parts.append(f"LLMRL_PLUGINS / LLMRL_PLUGINS_EXCLUDE kept these installed plugins (and their commands) out: "
                     f"{', '.join(skipped)}.")
    return "".join(" " + p for p in parts)


class CommandGroup(TyperGroup):
    """A group whose "No such command" names the plugin to install, or the installed plugins that were kept out."""

    def resolve_command(self, ctx, args: list[str]):
        try:
            return super().resolve_command(ctx, args)
        except typer.TyperException as exc:  # typer's click: "No such command 'x'."
            if args and isinstance(getattr(exc, "message", None), str):
                exc.message += missing_command_hint([*_path(ctx), args[0]])
            raise
