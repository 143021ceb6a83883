"""Lazy exports for a package ``__init__``: names import their module on first use, and ``dir()`` lists them.

A package whose names pull in heavy modules (torch, mujoco, stable-baselines3) keeps its
import cheap this way, while tab completion and ``dir(package)`` still show every name::

    __getattr__, __dir__ = lazy_exports(__name__, {"RewardDecoder": "llmrl_rewardgen.lare.decoder"})
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(module: str, exports: Mapping[str, str]) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The module-level ``__getattr__`` and ``__dir__`` for ``exports`` (name -> module that defines it)."""
    namespace = sys.modules[module].__dict__

    def __getattr__(name: str) -> Any:
        if name not in exports:
            raise AttributeError(f"module {module!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(exports[name]), name)
        namespace[name] = value  # later lookups skip this function
        return value

    def __dir__() -> list[str]:
        return sorted({*namespace, *exports})

    return __getattr__, __dir__
