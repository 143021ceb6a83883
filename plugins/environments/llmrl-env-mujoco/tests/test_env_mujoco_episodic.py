"""Episodic-reward MuJoCo: the return arrives on the last step only; the dense reward stays in info."""

from __future__ import annotations

import pytest

from llmrl_core import list_components, make_env
from llmrl_core.testing import EnvironmentConformance

EPISODIC_IDS = ["llmrl/EpisodicHalfCheetah-v5", "llmrl/EpisodicReacher-v5", "llmrl/EpisodicWalker2d-v5",
                "llmrl/EpisodicHumanoidStandup-v5"]


class TestEpisodicReacherEnv(EnvironmentConformance):
    env_id = "llmrl/EpisodicReacher-v5"
    rollout_steps = 120  # crosses two 50-step episodes


def test_the_four_lare_tasks_are_registered_with_their_horizons() -> None:
    names = {c.name for c in list_components("environment")}
    assert set(EPISODIC_IDS) <= names
    env = make_env("llmrl/EpisodicHalfCheetah-v5")
    assert env.spec.max_episode_steps == 1000 and env.observation_space.shape == (17,)
    env.close()


def test_reward_is_zero_until_truncation_then_the_dense_return() -> None:
    env, dense_env = make_env("llmrl/EpisodicReacher-v5"), make_env("Reacher-v5")
    for e in (env, dense_env):
        e.reset(seed=3)
    env.action_space.seed(3)
    rewards, dense, truncated = [], [], False
    while not truncated:
        act = env.action_space.sample()
        _, r, terminated, truncated, info = env.step(act)
        _, r_dense, *_ = dense_env.step(act)
        assert info["dense_reward"] == pytest.approx(r_dense)  # the wrapped task's own reward, step by step
        rewards.append(r)
        dense.append(info["dense_reward"])
        assert not terminated
    assert len(rewards) == 50 and all(r == 0.0 for r in rewards[:-1])
    assert rewards[-1] == pytest.approx(sum(dense)) and rewards[-1] < 0  # Reacher's return is a cost
    env.reset(seed=4)  # the sum restarts with the episode
    _, r, *_ = env.step(env.action_space.sample())
    assert r == 0.0


def test_termination_also_pays_the_return() -> None:
    """Walker2d ends early when it falls: the return is paid on that step."""
    from llmrl_env_mujoco import EpisodicRewardWrapper

    env = make_env("llmrl/EpisodicWalker2d-v5")
    assert any(isinstance(w, EpisodicRewardWrapper) for w in _wrappers(env))
    env.reset(seed=0)
    total, steps, done = 0.0, 0, False
    while not done:
        _, r, terminated, truncated, info = env.step(env.action_space.high)  # full torque: it falls fast
        total += info["dense_reward"]
        steps += 1
        done = terminated or truncated
    assert terminated and steps < 1000 and r == pytest.approx(total)


def _wrappers(env):
    while hasattr(env, "env"):
        yield env
        env = env.env
