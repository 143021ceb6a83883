"""Draws the run events (``llmrl_core.events``) on the console: quiet, with the numbers that matter.

On a terminal: one rich progress bar per job, the headline metrics of the last step and the
seconds per step; ETA from the bar. In a pipe or a log file: one plain line per step, status
change and evaluation (nothing is redrawn, nothing is wrapped). Full metrics go to
``metrics.jsonl``, never to the console.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Mapping
from typing import Any

Headline = Mapping[str, str | Callable[[dict[str, Any]], Any]]
"""Label -> the record key (or a function of the record) shown for each step."""


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 1e4 else f"{value:.0f}"
    return str(value)


def headline_text(record: dict[str, Any], headline: Headline) -> str:
    """``reward 0.53  acc 0.5`` from a step's record: the keys it has, in the order given."""
    parts = []
    for label, key in headline.items():
        value = key(record) if callable(key) else record.get(key)
        if value is not None:
            parts.append(f"{label} {_fmt(value)}")
    return "  ".join(parts)


def eval_text(results: dict[str, Any], keys: Headline | None = None) -> str:
    """One line for an evaluation: the chosen keys, or every float in it."""
    if keys:
        return headline_text(results, keys)
    return "  ".join(f"{k} {_fmt(v)}" for k, v in results.items()
                     if isinstance(v, float) and k not in ("step", "num_prompts"))


def before_after_lines(before: dict[str, Any] | None, after: dict[str, Any] | None, keys: Headline,
                       percent: tuple[str, ...] = ()) -> list[str]:
    """``  pass@1 greedy   before   63.3%   after   80.0%``: one line per key an evaluation has.

    ``keys``: label -> key (as ``eval_keys``); the labels in ``percent`` show their value as a percentage.
    """
    lines = []
    for label, key in keys.items():
        values = [None if not e else key(e) if callable(key) else e.get(key) for e in (before, after)]
        if all(v is None for v in values):
            continue
        shown = ["-" if v is None else f"{v:.1%}" if label in percent else _fmt(v) for v in values]
        lines.append(f"  {label:18s} before {shown[0]:>7s}   after {shown[1]:>7s}")
    return lines


class ProgressDisplay:
    """A reporter (``display(kind, **data)``) drawing on stderr; use it as a context manager."""

    def __init__(self, title: str = "", headline: Headline | None = None, eval_keys: Headline | None = None,
                 *, console: Any = None, live: bool | None = None, quiet: bool = False) -> None:
        from llmrl_core.cli.output import err_console

        self.console = console or err_console
        self.title = title
        self.headline = headline or {}
        self.eval_keys = eval_keys
        self.quiet = quiet  # e.g. ranks other than 0 of a multi-process run
        self.live = (sys.stderr.isatty() if live is None else live) and not quiet
        self._bar: Any = None
        self._jobs: dict[str, int] = {}
        self._last_step_at: float | None = None
        self._status = ""

    def __enter__(self) -> ProgressDisplay:
        if self.live:
            from llmrl_core.cli.output import progress

            self._bar = progress(console=self.console)
            self._bar.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._bar is not None:
            self._bar.__exit__(*exc)
            self._bar = None

    # -- the reporter ----------------------------------------------------------------------------
    def __call__(self, kind: str, **data: Any) -> None:
        if self.quiet:
            return
        handler = getattr(self, f"_on_{kind}", None)
        if handler is not None:
            handler(**data)

    def _print(self, text: str) -> None:
        if self._bar is not None:
            self._bar.console.print(text, highlight=False, markup=False)
        else:
            sys.stderr.write(text + "\n")
            sys.stderr.flush()

    def _job(self, name: str, total: float | None) -> int | None:
        if self._bar is None:
            return None
        if name not in self._jobs:
            self._jobs[name] = self._bar.add_task(name or self.title or "run", total=total, status="")
        return self._jobs[name]

    def _on_status(self, message: str, **_: Any) -> None:
        if message == self._status:
            return
        self._status = message
        if self._bar is None:
            self._print(f"[{self.title}] {message}" if self.title else message)
        else:
            self._bar.update(self._job("", None), description=message)

    def _on_log(self, message: str, **_: Any) -> None:
        self._print(message)

    def _on_progress(self, done: float, total: float | None = None, job: str = "", note: str = "", **_: Any) -> None:
        task = self._job(job, total)
        if task is not None:
            self._bar.update(task, completed=done, total=total, status=note)
        elif total and (done == total or int(done) % max(1, int(total) // 10) == 0):
            self._print(f"{job or self.title}: {_fmt(done)}/{_fmt(total)} {note}".rstrip())

    def _on_step(self, step: int, total: int | None = None, record: dict[str, Any] | None = None, **_: Any) -> None:
        now = time.monotonic()
        per_step = None if self._last_step_at is None else now - self._last_step_at
        self._last_step_at = now
        text = headline_text(record or {}, self.headline)
        if per_step is not None:
            text += f"  {per_step:.1f} s/step"
        task = self._job("", total)
        if task is not None:
            self._bar.update(task, completed=step, total=total, description="training", status=text)
        else:
            self._print(f"step {step}/{total if total is not None else '?'}  {text}".rstrip())

    def _on_eval(self, stage: str, results: dict[str, Any], **_: Any) -> None:
        label = f"{int(results['num_prompts'])} prompts, " if "num_prompts" in results else ""
        self._print(f"eval ({label}{stage}): {eval_text(results, self.eval_keys)}")
