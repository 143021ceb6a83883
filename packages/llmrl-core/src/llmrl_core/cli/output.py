"""Console output for the CLI. Only the CLI configures logging; libraries just log.

Scripts and tests parse what llmrl prints, so nothing is hard-wrapped when the stream is not a
terminal: rich would otherwise wrap at 80 columns and split a long path over two lines.
"""

from __future__ import annotations

import logging
import os
import sys

from rich.console import Console
from rich.logging import RichHandler

console = Console(soft_wrap=not sys.stdout.isatty())
err_console = Console(stderr=True, soft_wrap=not sys.stderr.isatty())


def print_error(message: str) -> None:
    """One ``error: ...`` line on stderr: styled on a terminal, plain and unwrapped otherwise."""
    if sys.stderr.isatty():
        err_console.print(f"[bold red]error:[/] {message}", highlight=False, markup=True, soft_wrap=True)
    else:
        sys.stderr.write(f"error: {message}\n")
        sys.stderr.flush()


def setup_logging(verbose: int = 0) -> None:
    """Route library logs to stderr: warnings by default, ``-v`` info, ``-vv`` debug.

    On a terminal through rich; otherwise one plain, unwrapped line per record.
    """
    level = {0: logging.WARNING, 1: logging.INFO}.get(verbose, logging.DEBUG)
    level = int(os.environ.get("LLMRL_LOG_LEVEL", level)) if os.environ.get("LLMRL_LOG_LEVEL", "").isdigit() else level
    if sys.stderr.isatty():
        handler: logging.Handler = RichHandler(console=err_console, show_path=False, rich_tracebacks=False)
        fmt = "%(message)s"
    else:
        handler = logging.StreamHandler(sys.stderr)
        fmt = "%(levelname)s %(name)s: %(message)s"
    logging.basicConfig(level=level, format=fmt, datefmt="[%X]", handlers=[handler], force=True)


def progress(**kwargs):
    """A rich progress bar with the columns every long llmrl command shows."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        TextColumn("{task.fields[status]}"),
        console=kwargs.pop("console", None) or err_console,
        **kwargs,
    )
