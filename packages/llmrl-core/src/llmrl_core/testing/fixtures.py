"""Pytest fixtures for plugin tests: a fresh plugin manager per test."""

from __future__ import annotations

from collections.abc import Iterator

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
