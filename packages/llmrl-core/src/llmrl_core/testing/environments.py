"""The environment contract: Gymnasium's checker plus seeding and spaces."""

from __future__ import annotations

import numpy as np
import pytest

from llmrl_core.registry import list_components, make_env


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

    @pytest.fixture
    def env(self):
        env = make_env(self.env_id, **self.env_kwargs)
        yield env
        env.close()

    def test_registered_through_a_plugin(self) -> None:
        assert self.env_id in {c.name for c in list_components("environment")}, (
            f"env_id {self.env_id!r} is not registered by an installed plugin's llmrl_environments hook "
            "(is the plugin installed, with its entry point?)")

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
