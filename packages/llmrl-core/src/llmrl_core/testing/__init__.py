"""Conformance suites: subclass one in your plugin's tests and the contract is tested.

Each suite is a plain class (no ``Test`` prefix, so pytest does not collect it
on its own); name your subclass ``Test...`` and provide the fixture it asks for::

    from llmrl_core.testing import EnvironmentConformance

    class TestCorridor(EnvironmentConformance):
        env_id = "llmrl-example/Corridor-v0"
"""

from __future__ import annotations

from llmrl_core.lazy import lazy_exports

_SUITES = {
    "BackendConformance": "llmrl_core.testing.backends",
    "EnvironmentConformance": "llmrl_core.testing.environments",
    "TaskConformance": "llmrl_core.testing.tasks",
    "ProviderConformance": "llmrl_core.testing.providers",
    "SandboxConformance": "llmrl_core.testing.sandboxes",
    "HostileProgramSuite": "llmrl_core.testing.hostile",
    "fresh_plugin_manager": "llmrl_core.testing.fixtures",
    "ray_cluster": "llmrl_core.testing.fixtures",
    "kill_after_first_checkpoint": "llmrl_core.testing.kill",
}

__all__ = sorted(_SUITES)
# Suites import pytest (and some torch); load them only when asked for.
__getattr__, __dir__ = lazy_exports(__name__, _SUITES)
