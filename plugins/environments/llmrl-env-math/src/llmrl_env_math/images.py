"""Images of math tasks: drawn ("how many dots?") or read from the files a dataset row names.

A row's image may be a path (relative to the data file's folder), the ``{"bytes", "path"}``
struct Hugging Face datasets write into Parquet, or a list holding one of those
(geometry3k's ``images`` column). Paths are checked when the task loads, so a missing file
fails at once with the row and the folder it was looked for in, not mid-training. Pillow is
imported only when an image is drawn or decoded.
"""

from __future__ import annotations

import io
import random
from pathlib import Path
from typing import Any

from llmrl_core.errors import ComponentUnavailableError, ConfigError


def _pil():
    try:
        from PIL import Image, ImageDraw
    except ImportError as exc:
        raise ComponentUnavailableError("image tasks need Pillow: pip install 'llmrl-env-math[images]'") from exc
    return Image, ImageDraw


def resolve_image(value: Any, base: Path, row: str) -> Any:
    """A row's image as an absolute path (str) or a decoded PIL image; None when the row has none."""
    if isinstance(value, list | tuple):
        if not value:
            return None
        if len(value) > 1:
            raise ConfigError(f"row {row} has {len(value)} images; llmrl's image tasks take one image per question")
        value = value[0]
    if value is None or value == "":
        return None
    if isinstance(value, dict):
        if value.get("bytes"):
            image, _ = _pil()
            return image.open(io.BytesIO(value["bytes"]))
        value = value.get("path")
        if not value:
            return None
    if not isinstance(value, str):
        raise ConfigError(f"row {row}: image must be a path, a {{'bytes', 'path'}} struct or a list of one; "
                          f"got {type(value).__name__}")
    path = Path(value).expanduser()
    path = path if path.is_absolute() else base / path
    if not path.is_file():
        raise ConfigError(f"row {row}: image file {str(path)!r} does not exist (relative image paths are read from "
                          f"the data file's folder, {str(base)!r})")
    return str(path)


def open_image(image: Any):
    """A PIL image from what :func:`resolve_image` returned (a path is opened and read now)."""
    if isinstance(image, str):
        pil, _ = _pil()
        with pil.open(image) as opened:
            return opened.convert("RGB")
    return image


def draw_dots(count: int, rng: random.Random, size: int = 112, radius: int = 5):
    """A white ``size`` × ``size`` picture with ``count`` dark dots that neither touch nor leave the frame."""
    pil, draw_module = _pil()
    picture = pil.new("RGB", (size, size), "white")
    draw = draw_module.Draw(picture)
    centres: list[tuple[int, int]] = []
    for _ in range(2000 * max(count, 1)):
        if len(centres) == count:
            break
        x, y = rng.randint(radius + 1, size - radius - 2), rng.randint(radius + 1, size - radius - 2)
        if all((x - u) ** 2 + (y - v) ** 2 > (2 * radius + 2) ** 2 for u, v in centres):
            centres.append((x, y))
    if len(centres) < count:
        raise ConfigError(f"{count} dots of radius {radius} do not fit in {size} × {size} pixels; "
                          "raise image_size or lower max_dots / dot_radius")
    for x, y in centres:
        draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=(20, 20, 90))
    return picture
