"""One progress protocol for every long loop: a reporter called as ``report(kind, **data)``.

Libraries call it; only the CLI decides how it looks (``llmrl_core.cli.progress``), so a
Python user can pass any function, or nothing. The kinds:

=========  ======================================  ==============================================
kind       data                                    meaning
=========  ======================================  ==============================================
status     ``message``                             what the run is doing now ("loading the model")
progress   ``done``, ``total``, ``job``, ``note``  a unit of work advanced (episodes, histories, s)
step       ``step``, ``total``, ``record``         a training step ended; ``record`` is its metrics line
eval       ``stage``, ``results``                  an evaluation ended (``stage``: "before", "after", ...)
log        ``message``                             a line worth keeping on screen
=========  ======================================  ==============================================

A reporter ignores kinds it does not know, so new kinds never break old reporters.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Reporter = Callable[..., None]
"""``report(kind: str, **data) -> None``."""

KINDS = ("status", "progress", "step", "eval", "log")


def silent(kind: str, **data: Any) -> None:
    """The reporter that reports nothing (the default of every library entry point)."""


def or_silent(report: Reporter | None) -> Reporter:
    return report if report is not None else silent
