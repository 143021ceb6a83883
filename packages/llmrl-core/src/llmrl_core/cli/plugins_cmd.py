"""``llmrl plugins``: what is installed, from which distribution, and what failed."""

from __future__ import annotations

import json
from typing import Any

import typer
from rich.table import Table

from llmrl_core.cli.output import console
from llmrl_core.plugins import PluginManager, get_plugin_manager
from llmrl_core.specs import KINDS

_PLURAL = {"provider": "providers", "sandbox": "sandboxes", "environment": "environments", "task": "tasks",
           "backend": "backends", "command": "commands"}


def plugins_report(pm: PluginManager) -> dict[str, Any]:
    """Components by kind, failed plugins and rejected duplicate names, as plain data."""
    components = {kind: [] for kind in KINDS}
    for comp in pm.components():
        entry = {
            "name": comp.name,
            "distribution": comp.distribution,
            "version": comp.version,
            "description": comp.description,
        }
        if comp.kind == "backend":
            entry["priority"] = getattr(comp.spec, "priority", 0)
        components[comp.kind].append(entry)
    failures = [{"plugin": f.plugin, "distribution": f.distribution, "error": f.error} for f in pm.failures]
    duplicates = [
        {"kind": d.kind, "name": d.name, "distributions": d.distributions, "error": str(d)} for d in pm.duplicates()
    ]
    return {"components": components, "failed": failures, "duplicates": duplicates, "skipped": list(pm.skipped)}


def plugins(as_json: bool = typer.Option(False, "--json", help="Print one JSON object instead of tables.")) -> None:
    """List every component by kind with its distribution and version, and every plugin that failed to load."""
    report = plugins_report(get_plugin_manager())
    if as_json:
        typer.echo(json.dumps(report, indent=2))
        return
    for kind, entries in report["components"].items():
        if not entries:
            continue
        table = Table(title=_PLURAL[kind], title_justify="left", show_edge=False)
        table.add_column("name", no_wrap=True)  # ids are copied into code: never cut or folded
        for column in ("distribution", "version", "description"):
            table.add_column(column, overflow="fold")
        for e in entries:
            table.add_row(e["name"], e["distribution"], e["version"], e["description"])
        console.print(table)
    for d in report["duplicates"]:
        console.print(f"[yellow]duplicate[/]: {d['error']}")
    for f in report["failed"]:
        console.print(f"[red]failed[/]: plugin {f['plugin']} ({f['distribution']}): {f['error']}")
    if report["skipped"]:
        console.print(f"[yellow]not loaded[/] (LLMRL_PLUGINS / LLMRL_PLUGINS_EXCLUDE): {', '.join(report['skipped'])}")
