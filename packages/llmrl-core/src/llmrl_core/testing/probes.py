"""Functions for testing fan-out code (``parallel_map`` and its callers).

They live in an importable module because a spawned worker finds a function by its module and
name: one defined in a test file (imported by pytest under a path-derived name) cannot be found.
"""

from __future__ import annotations

import os
import time


def slow_square(item: tuple[int, float]) -> int:
    """``x * x`` after sleeping ``delay`` seconds; a negative ``x`` raises ValueError naming it."""
    x, delay = item
    time.sleep(delay)
    if x < 0:
        raise ValueError(f"negative input {x}")
    return x * x


def worker_pid(_item: object) -> int:
    """The id of the process that ran the call (to see that work left this process)."""
    return os.getpid()
