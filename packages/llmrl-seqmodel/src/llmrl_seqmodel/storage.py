"""One on-disk form for datasets of ragged arrays (AD's histories, TBYA's demos): ``<name>.npz`` + a JSON file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np


def save_arrays(directory: str | Path, name: str, arrays: dict[str, np.ndarray], meta: dict[str, Any],
                meta_file: str | None = None) -> Path:
    """``directory/<name>.npz`` (compressed arrays) and ``directory/<meta_file or name.json>`` (the rest)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(directory / f"{name}.npz", **arrays)
    (directory / (meta_file or f"{name}.json")).write_text(json.dumps(meta, indent=1))
    return directory


def load_arrays(directory: str | Path, name: str, create_with: str,
                meta_file: str | None = None) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """``(arrays, meta)`` saved by :func:`save_arrays`; a missing dataset names the command that makes it."""
    directory = Path(directory)
    if not (directory / f"{name}.npz").exists():
        raise FileNotFoundError(f"no {name}.npz in {directory}; create it with `{create_with}`")
    with np.load(directory / f"{name}.npz") as data:
        arrays = {k: data[k] for k in data.files}
    return arrays, json.loads((directory / (meta_file or f"{name}.json")).read_text())
