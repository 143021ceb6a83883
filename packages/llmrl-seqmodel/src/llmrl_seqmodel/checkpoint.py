"""Resumable training state for ``fit``: a killed ``llmrl ad|tbya train`` continues where it stopped.

A checkpoint holds everything the next step depends on: weights, AdamW's moments, torch's RNG
(dropout, token masking) and the batch sampler's numpy RNG. So a run resumed from step k takes
the very steps an uninterrupted run takes, and ends with the same weights.
One file per model, ``checkpoints/<name>-<step>.pt``, written atomically; older ones are removed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from llmrl_core.errors import ConfigError
from llmrl_core.runs import merge_nested, numbered_files, replace_numbered_file, step_of

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FitCheckpoints:
    """Where ``fit`` keeps one model's resumable state, how often, and whether to continue from it."""

    directory: Path
    name: str
    every: int = 0
    resume: bool = False
    settings: dict[str, Any] | None = None
    """What the pipeline trained with (``{"train": ..., "model": ...}``), saved in each checkpoint."""

    def paths(self) -> list[Path]:
        """This model's checkpoints, oldest first."""
        return numbered_files(self.directory, self.name)

    def latest(self) -> Path | None:
        paths = self.paths()
        return paths[-1] if paths else None

    def latest_step(self) -> int:
        """The step of the last checkpoint (0 without one)."""
        path = self.latest()
        return step_of(path) if path else 0

    def load(self) -> dict[str, Any]:
        """The last checkpoint's state; a clear error when there is none to resume from."""
        import torch

        path = self.latest()
        if path is None:
            raise ConfigError(f"--resume: no checkpoint of {self.name!r} in {self.directory}; train without --resume "
                              "first (checkpoints are written every train.save_every steps)")
        return torch.load(path, map_location="cpu", weights_only=True)

    def saved_settings(self) -> dict[str, Any]:
        """The settings the last checkpoint was trained with (read without loading its tensors)."""
        import torch

        path = self.latest()
        if path is None:
            self.load()  # raises the clear error
        return torch.load(path, map_location="cpu", weights_only=True, mmap=True)["settings"] or {}

    def save(self, step: int, state: dict[str, Any]) -> Path:
        """Write ``state`` as this model's checkpoint at ``step``; older ones are removed."""
        import torch

        return replace_numbered_file(self.directory, self.name, step,
                                     lambda path: torch.save({**state, "settings": self.settings}, path))

    def clear(self) -> None:
        """A fresh run of this model: drop what an earlier one left (a killed write's partial file too)."""
        for path in [*self.paths(), *self.directory.glob(f".{self.name}-*.pt.partial")]:
            path.unlink(missing_ok=True)


def resume_settings(saved: dict[str, Any], given: dict[str, Any], name: str) -> dict[str, Any]:
    """A resumed model's settings: its checkpoint's, changed only by what this command line gave
    (logged: they alter the run the checkpoint was part of)."""
    merged = merge_nested(saved, given)
    changed = [f"{section}.{key}: {saved[section].get(key)!r} -> {value!r}" for section, values in given.items()
               for key, value in values.items() if saved.get(section, {}).get(key) != value]
    if changed:
        log.warning("resuming %s with its checkpoint's settings, changed by this command line: %s", name,
                    "; ".join(changed))
    return merged
