"""The environment contract: Gymnasium's checker plus seeding and spaces, and plain ``gymnasium.make``."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib.metadata import PackageNotFoundError, distribution

import numpy as np
import pytest

from llmrl_core.registry import list_components, make_env

HEAVY_MODULES = ("torch", "transformers", "vllm", "mujoco", "minigrid", "trl")

# Run in a fresh interpreter, as RL code that knows nothing of llmrl would: Gymnasium's "module:id" form
# imports the package, whose import must register the id; then llmrl's own (lazy) registration of every
# plugin must agree with it, without Gymnasium's "Overriding environment" warning.
_PLAIN_GYMNASIUM = """
import json, logging, sys, warnings
logging.basicConfig(level=logging.WARNING)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    import {package}
    heavy = [m for m in {heavy!r} if m in sys.modules]
    import gymnasium as gym
    env = gym.make({package!r} + ":" + {env_id!r}, **{env_kwargs!r})
    import llmrl_core
    llmrl_core.register_environments()
obs, _ = env.reset(seed=0)
print(json.dumps({{"heavy": heavy, "in_space": bool(env.observation_space.contains(obs)),
                  "overrides": [str(w.message) for w in caught if "Overrid" in str(w.message)]}}))
"""


def _plain(obs) -> object:
    """Observations as comparable lists (Dict spaces, e.g. BabyAI's image + direction + mission, included)."""
    if isinstance(obs, dict):
        return {k: _plain(v) for k, v in sorted(obs.items())}
    if isinstance(obs, tuple):
        return [_plain(v) for v in obs]
    if isinstance(obs, str):
        return obs
    return np.asarray(obs).tolist()


class EnvironmentConformance:
    """Set ``env_id`` (and ``env_kwargs`` if the env needs any)."""

    env_id: str = ""
    """The Gymnasium id your plugin's ``llmrl_environments`` hook registers."""
    env_kwargs: dict = {}
    """Keyword arguments for ``make_env`` (kept small: the suite makes the env several times)."""
    rollout_steps: int = 200
    """Random-action steps per rollout in the determinism and space tests (lower it for a slow env)."""
    env_package: str = ""
    """The package whose import registers ``env_id`` with Gymnasium; default: the top-level package of the
    plugin's entry point (``llmrl_env_gridworld`` for ``llmrl_env_gridworld.plugin``)."""

    @pytest.fixture
    def env(self):
        env = make_env(self.env_id, **self.env_kwargs)
        yield env
        env.close()

    def test_registered_through_a_plugin(self) -> None:
        assert self.env_id in {c.name for c in list_components("environment")}, (
            f"env_id {self.env_id!r} is not registered by an installed plugin's llmrl_environments hook "
            "(is the plugin installed, with its entry point?)")

    def _package(self) -> str:
        if self.env_package:
            return self.env_package
        comp = next(c for c in list_components("environment") if c.name == self.env_id)
        try:
            entries = [e for e in distribution(comp.distribution).entry_points if e.group == "llmrl"]
        except PackageNotFoundError:
            entries = []
        if not entries:
            pytest.fail(f"no installed distribution's entry point says which package registers {self.env_id!r}: "
                        f"set env_package on {type(self).__name__}")
        return entries[0].value.split(".")[0].split(":")[0]

    def test_importing_the_package_registers_the_id_with_gymnasium(self) -> None:
        """``import pkg; gymnasium.make(id)`` and ``gymnasium.make("pkg:id")`` must work without llmrl's registry:
        call ``llmrl_core.register_env_specs(<your specs>)`` in the package's ``__init__``."""
        package = self._package()
        code = _PLAIN_GYMNASIUM.format(package=package, env_id=self.env_id, env_kwargs=self.env_kwargs,
                                       heavy=HEAVY_MODULES)
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
        assert out.returncode == 0, (
            f"gymnasium.make({package + ':' + self.env_id!r}) failed in a fresh interpreter; the package's import must "
            f"register its ids (llmrl_core.register_env_specs in {package}/__init__.py):\n{out.stderr[-2000:]}")
        report = json.loads(out.stdout.strip().splitlines()[-1])
        assert report["in_space"]
        assert not report["heavy"], f"import {package} pulled {report['heavy']}: keep heavy imports in the env modules"
        assert not report["overrides"], report["overrides"]
        assert "already registered" not in out.stderr, out.stderr[-2000:]

    def test_gymnasium_checker_passes(self, env) -> None:
        from gymnasium.utils.env_checker import check_env

        check_env(env.unwrapped, skip_render_check=True)

    def _rollout(self, seed: int) -> list:
        env = make_env(self.env_id, **self.env_kwargs)
        env.action_space.seed(seed)
        obs, _ = env.reset(seed=seed)
        trace = [_plain(obs)]
        for _ in range(self.rollout_steps):
            obs, reward, terminated, truncated, _ = env.step(env.action_space.sample())
            trace.append((_plain(obs), float(reward), bool(terminated), bool(truncated)))
            if terminated or truncated:
                obs, _ = env.reset()
                trace.append(_plain(obs))
        env.close()
        return trace

    def test_same_seed_same_rollout(self) -> None:
        assert self._rollout(7) == self._rollout(7), (
            f"two rollouts of {self.rollout_steps} rollout_steps with seed 7 differ: draw all randomness from "
            "self.np_random (seeded by reset(seed=...)) and env.action_space")

    def test_observations_stay_in_space(self, env) -> None:
        env.action_space.seed(0)
        obs, _ = env.reset(seed=0)
        assert env.observation_space.contains(obs), f"reset's observation is outside observation_space: {obs!r}"
        for step in range(self.rollout_steps):
            obs, reward, terminated, truncated, _ = env.step(env.action_space.sample())
            assert env.observation_space.contains(obs), f"step {step}'s observation is outside observation_space: {obs!r}"
            assert np.isfinite(reward), f"step {step}'s reward is {reward}"
            if terminated or truncated:
                obs, _ = env.reset()
