"""Train / held-out splits of a task family, reproducible from a seed."""

from __future__ import annotations

from typing import Any

import numpy as np


def task_split(tasks: list[Any], n_test: int, seed: int = 0) -> tuple[list[Any], list[Any]]:
    """Shuffle ``tasks`` with ``seed`` and hold out ``n_test`` of them: ``(train, test)``."""
    if not 0 < n_test < len(tasks):
        raise ValueError(f"n_test must be in [1, {len(tasks) - 1}] for {len(tasks)} tasks, got {n_test}")
    order = np.random.default_rng(seed).permutation(len(tasks))
    test = [tasks[i] for i in sorted(order[:n_test])]
    train = [tasks[i] for i in sorted(order[n_test:])]
    return train, test
