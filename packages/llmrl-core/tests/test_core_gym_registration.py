"""register_env_specs: what a plugin's import and the registry both call; twice is harmless, a clash is reported."""

from __future__ import annotations

import logging
import warnings

import gymnasium
import pytest

from llmrl_core import EnvironmentSpec, register_env_specs

SPEC = EnvironmentSpec(id="llmrl-test/Twice-v0", entry_point="llmrl_example_plugin.corridor:CorridorEnv",
                       max_episode_steps=7, kwargs={"length": 4})


@pytest.fixture
def clean_registry():
    yield
    gymnasium.registry.pop(SPEC.id, None)


def test_registers_strings_and_twice_is_harmless(clean_registry, caplog) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # Gymnasium warns when an id is overridden
        register_env_specs([SPEC])
        register_env_specs([SPEC])
    registered = gymnasium.registry[SPEC.id]
    assert (registered.entry_point, registered.max_episode_steps, registered.kwargs) == (SPEC.entry_point, 7, {"length": 4})
    assert not caplog.records
    env = gymnasium.make(SPEC.id)
    assert env.unwrapped.length == 4 and env.spec.max_episode_steps == 7


def test_a_different_registration_of_the_same_id_is_kept_and_reported(clean_registry, caplog) -> None:
    register_env_specs([SPEC])
    other = EnvironmentSpec(id=SPEC.id, entry_point="elsewhere:OtherEnv")
    with caplog.at_level(logging.WARNING, logger="llmrl_core.gym_registration"):
        register_env_specs([other])
    assert gymnasium.registry[SPEC.id].entry_point == SPEC.entry_point
    assert "already registered" in caplog.text and "elsewhere:OtherEnv" in caplog.text
