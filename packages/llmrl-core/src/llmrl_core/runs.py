"""One run-directory layout for every method, and what ``--resume`` may change.

Every run command writes the same files, so a user (or a plotting script) finds them in the
same place whatever the method::

    config.yaml      the resolved config (+ a ``run_info`` block: world size, versions)
    metrics.jsonl    one JSON object per step (or per unit of work)
    eval.jsonl       one JSON object per evaluation, where the method evaluates
    checkpoints/     what ``--resume`` continues from
    curves.png       the run's curves
    summary.md       the human-readable result

Only the main process (rank 0 under torchrun/accelerate) writes; other ranks read.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, TypeAdapter, ValidationError

from llmrl_core.errors import ConfigError

log = logging.getLogger(__name__)
M = TypeVar("M", bound=BaseModel)

RUN_INFO_KEY = "run_info"
"""The ``config.yaml`` block that records where the run ran; it is not part of the config."""


def world() -> tuple[int, int]:
    """``(rank, world_size)`` of this process, from the launcher's environment (1 process: ``(0, 1)``)."""
    rank = int(os.environ.get("RANK", os.environ.get("LOCAL_RANK", "0")))
    return rank, int(os.environ.get("WORLD_SIZE", "1"))


def is_main_process() -> bool:
    """True on rank 0, the only process that writes the run directory."""
    return world()[0] == 0


class RunDir:
    """The paths of a run directory, and writes that only the main process performs."""

    def __init__(self, root: str | Path, *, writer: bool | None = None) -> None:
        self.root = Path(root)
        self.writer = is_main_process() if writer is None else writer
        self.config = self.root / "config.yaml"
        self.metrics = self.root / "metrics.jsonl"
        self.evals = self.root / "eval.jsonl"
        self.checkpoints = self.root / "checkpoints"
        self.curves = self.root / "curves.png"
        self.summary = self.root / "summary.md"

    # -- reading -------------------------------------------------------------------------------
    def read_config(self) -> dict[str, Any] | None:
        """The saved config as a dict (without ``run_info``), or None when there is none."""
        if not self.config.is_file():
            return None
        data = yaml.safe_load(self.config.read_text()) or {}
        data.pop(RUN_INFO_KEY, None)
        return data

    @staticmethod
    def read_jsonl(path: Path) -> list[dict[str, Any]]:
        if not path.is_file():
            return []
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]

    def latest_checkpoint(self) -> Path | None:
        """The ``checkpoints/<name>-N`` directory or file with the highest N, if any."""
        found = [p for p in self.checkpoints.glob("*-*") if p.name.rsplit("-", 1)[-1].isdigit()]
        return max(found, key=lambda p: int(p.name.rsplit("-", 1)[-1]), default=None)

    def holds_run(self) -> bool:
        """True when a run already wrote here (a config, metrics or a checkpoint)."""
        return self.config.is_file() or self.metrics.is_file() or self.latest_checkpoint() is not None

    # -- writing (main process only) ---------------------------------------------------------
    def write_config(self, cfg: BaseModel, **run_info: Any) -> None:
        """``config.yaml``: the resolved config, then ``run_info`` (world size, versions, ...)."""
        if not self.writer:
            return
        from llmrl_core import __version__

        self.root.mkdir(parents=True, exist_ok=True)
        info = {"world_size": world()[1], "llmrl_core": __version__, **run_info}
        text = yaml.safe_dump(cfg.model_dump(mode="json"), sort_keys=False)
        text += "# where the run ran; not part of the config (ignored when read back)\n"
        text += yaml.safe_dump({RUN_INFO_KEY: info}, sort_keys=False)
        partial = self.config.with_suffix(".yaml.tmp")  # other ranks may be reading it: replace, never truncate
        partial.write_text(text)
        os.replace(partial, self.config)

    def append(self, path: Path, record: dict[str, Any]) -> None:
        """Add one JSON line to ``path`` (``metrics.jsonl``, ``eval.jsonl``, ...)."""
        if not self.writer:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a") as handle:
            handle.write(json.dumps(record) + "\n")

    def log_metrics(self, record: dict[str, Any]) -> None:
        self.append(self.metrics, record)

    def log_eval(self, record: dict[str, Any]) -> None:
        self.append(self.evals, record)

    def write_summary(self, text: str) -> None:
        if self.writer:
            self.root.mkdir(parents=True, exist_ok=True)
            self.summary.write_text(text)

    def rewind_metrics(self, step: int, key: str = "step", where: dict[str, Any] | None = None,
                       path: Path | None = None) -> None:
        """Drop metric lines logged after ``step``: a killed run logged past its last checkpoint.

        ``where`` limits it to the lines of one series (``{"kind": "ad"}``) in a file several share;
        ``path`` rewinds another JSON-lines file of the run (``eval.jsonl``).
        """
        if not self.writer:
            return
        path, where = path or self.metrics, where or {}

        def ours(r: dict[str, Any]) -> bool:
            return all(r.get(k) == v for k, v in where.items())

        kept = [r for r in self.read_jsonl(path) if not ours(r) or r.get(key, 0) <= step]
        if path.is_file():
            path.write_text("".join(json.dumps(r) + "\n" for r in kept))


def numbered_files(directory: Path, prefix: str, suffix: str = ".pt") -> list[Path]:
    """``directory/<prefix>-<N><suffix>`` files, by N (``ad-500.pt`` is ``ad``'s, not ``ad-greedy``'s)."""
    found = []
    for path in directory.glob(f"{prefix}-*{suffix}"):
        number = path.name[len(prefix) + 1:len(path.name) - len(suffix)]
        if number.isdigit():
            found.append((int(number), path))
    return [p for _, p in sorted(found)]


def step_of(path: Path) -> int:
    """N of a ``<prefix>-<N>.<ext>`` file."""
    return int(path.stem.rsplit("-", 1)[1])


def replace_numbered_file(directory: Path, prefix: str, number: int, write: Callable[[Path], None],
                          suffix: str = ".pt") -> Path:
    """Write ``<prefix>-<number><suffix>`` with ``write(path)`` atomically, then drop the older ones.

    A write killed half-way leaves only a hidden ``.partial`` file: the last checkpoint stays intact.
    """
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{prefix}-{number}{suffix}"
    partial = directory / f".{path.name}.partial"
    write(partial)
    os.replace(partial, path)
    for old in numbered_files(directory, prefix, suffix):
        if old != path:
            old.unlink(missing_ok=True)
    return path


def explicit_values(cfg: BaseModel) -> dict[str, Any]:
    """The values the user gave (pydantic's ``model_fields_set``, recursively), as a nested JSON dict."""
    out: dict[str, Any] = {}
    for name in cfg.model_fields_set:
        value = getattr(cfg, name)
        if isinstance(value, BaseModel):
            out[name] = explicit_values(value)
        else:
            out[name] = TypeAdapter(Any).dump_python(value, mode="json")
    return out


def merge_nested(base: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    """``base`` updated by ``update``, section by section (nested dicts merge, other values replace)."""
    merged = dict(base)
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge_nested(merged[key], value)
        else:
            merged[key] = value
    return merged


def _changes(before: dict[str, Any], after: dict[str, Any], prefix: str = "") -> list[str]:
    lines = []
    for key in sorted(set(before) | set(after)):
        a, b = before.get(key), after.get(key)
        if isinstance(a, dict) and isinstance(b, dict):
            lines += _changes(a, b, f"{prefix}{key}.")
        elif a != b:
            lines.append(f"{prefix}{key}: {a!r} -> {b!r}")
    return lines


def prepare_run(cfg: M, run: RunDir, *, resume: bool, can_resume: bool | None = None,
                ignore: tuple[str, ...] = ("output",)) -> tuple[M, list[str]]:
    """The config to run with, and the changes a resume made; checks the directory first.

    A fresh run refuses a directory that already holds one. On ``resume`` the saved config wins
    and only the values the user set explicitly on ``cfg`` (its ``model_fields_set``) change it;
    the returned list names each change (``"steps: 3 -> 10"``), empty when nothing changed.
    ``can_resume`` (default: a checkpoint exists) says whether there is anything to continue.
    """
    saved = run.read_config()
    if resume:
        if saved is None or not (run.latest_checkpoint() is not None if can_resume is None else can_resume):
            raise ConfigError(f"--resume: {run.root} holds no checkpoint to resume from; run without --resume first")
        given = {k: v for k, v in explicit_values(cfg).items() if k not in ignore}
        merged = merge_nested(saved, given)
        try:
            resolved = type(cfg).model_validate(merged)
        except ValidationError as exc:
            raise ConfigError(f"--resume: the saved config in {run.config} no longer validates: {exc}") from None
        changes = _changes(saved, resolved.model_dump(mode="json"))
        if changes:
            log.warning("resuming %s with the saved config, changed by this command line: %s", run.root, "; ".join(changes))
        return resolved, changes
    if run.writer and run.holds_run():  # rank 0 decides: the others may already see what it wrote
        raise ConfigError(f"run directory {run.root} already holds a run; pass --resume to continue it "
                          "or --output NEW_DIR to start another")
    return cfg, []
