"""Adapts the pipelines' ``progress(description, advance, total)`` callbacks to one rich bar each."""

from __future__ import annotations

from contextlib import contextmanager

from llmrl_core.cli.output import progress


@contextmanager
def bars():
    tasks: dict[str, int] = {}
    with progress() as bar:
        def update(description: str, advance: int, total: int) -> None:
            key = description.split(" (")[0]
            if key not in tasks:
                tasks[key] = bar.add_task(key, total=total, status="")
            status = description[len(key):].strip(" ()")
            bar.update(tasks[key], advance=advance, status=status)

        yield update
