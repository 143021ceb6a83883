"""Pytest fixtures: a fresh plugin manager per test, one local Ray cluster per session."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from llmrl_core.plugins import PluginManager, set_plugin_manager


@pytest.fixture
def fresh_plugin_manager() -> Iterator[PluginManager]:
    """A new manager with only llmrl-core's components, installed as the process-wide one for the test."""
    pm = PluginManager(autoload=False)
    old = set_plugin_manager(pm)
    try:
        yield pm
    finally:
        set_plugin_manager(old)


@pytest.fixture(scope="session")
def ray_cluster() -> Iterator[Any]:
    """One local Ray cluster (2 CPUs, no dashboard) for the whole test session; skips without Ray.

    Starting Ray costs ~10 s on a 2-core machine, so every test that needs it shares this one.
    """
    import os

    os.environ.setdefault("RAY_ENABLE_UV_RUN_RUNTIME_ENV", "0")  # see llmrl_core.parallel._ray
    ray = pytest.importorskip("ray", reason="needs Ray: pip install 'llmrl-core[ray]'")
    started = not ray.is_initialized()
    if started:
        ray.init(num_cpus=2, include_dashboard=False, object_store_memory=128 << 20, log_to_driver=False)
    try:
        yield ray
    finally:
        if started:
            ray.shutdown()
