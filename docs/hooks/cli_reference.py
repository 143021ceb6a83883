"""MkDocs hook: render the ``llmrl`` CLI (with every installed sub-app) into docs/cli.md.

The page holds the marker ``<!-- llmrl-cli-reference -->``; this hook replaces it
with each command's usage, help and options, read from the live Typer app, so
the reference can never drift from the code.
"""

from __future__ import annotations

MARKER = "<!-- llmrl-cli-reference -->"


def _render(command, path: list[str], ctx_parent=None) -> list[str]:
    import typer

    name = " ".join(path)
    ctx = typer.Context(command, info_name=path[-1], parent=ctx_parent)
    lines = [f"{'#' * min(len(path) + 1, 6)} `{name}`", ""]
    if command.help:
        lines += [command.help.strip(), ""]
    usage = " ".join(command.collect_usage_pieces(ctx))
    lines += ["```text", f"{name} {usage}".rstrip(), "```", ""]
    params = [p for p in command.get_params(ctx) if p.get_help_record(ctx)]
    if params:
        lines += ["| option | description |", "|---|---|"]
        for param in params:
            opts, help_text = param.get_help_record(ctx)
            lines.append(f"| `{opts}` | {help_text.replace('|', '&#124;')} |")
        lines.append("")
    if hasattr(command, "list_commands"):  # a group: recurse into its commands
        for sub_name in command.list_commands(ctx):
            lines += _render(command.get_command(ctx, sub_name), [*path, sub_name], ctx)
    return lines


def on_page_markdown(markdown: str, page, config, files) -> str:
    if MARKER not in markdown:
        return markdown
    import typer

    from llmrl_core.cli.main import build_app

    command = typer.main.get_command(build_app())
    return markdown.replace(MARKER, "\n".join(_render(command, ["llmrl"])))
