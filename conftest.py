"""Repository-wide pytest hooks: tests marked ``gpu`` skip cleanly on machines without CUDA; one Ray cluster."""

from __future__ import annotations

import functools

import pytest

from llmrl_core.testing.fixtures import ray_cluster  # noqa: F401  (a session fixture: one cluster for every test)


@functools.cache
def _cuda_available() -> bool:
    try:
        import torch
    except ImportError:
        return False
    return torch.cuda.is_available()


def pytest_collection_modifyitems(config, items):
    skip = pytest.mark.skip(reason="needs a CUDA GPU (marked gpu)")
    for item in items:
        if "gpu" in item.keywords and not _cuda_available():
            item.add_marker(skip)
