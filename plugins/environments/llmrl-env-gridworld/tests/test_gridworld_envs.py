"""Dynamics, rewards and task families of AD's environments, plus the env conformance suite."""

from __future__ import annotations

import numpy as np
import pytest

from llmrl_core import make_env
from llmrl_core.testing import EnvironmentConformance
from llmrl_env_gridworld import task_split
from llmrl_env_gridworld.bandit import sample_arm_means


class TestDarkRoomConformance(EnvironmentConformance):
    env_id = "llmrl/DarkRoom-v0"


class TestDarkRoomHardConformance(EnvironmentConformance):
    env_id = "llmrl/DarkRoomHard-v0"


class TestKeyToDoorConformance(EnvironmentConformance):
    env_id = "llmrl/DarkKeyToDoor-v0"


class TestBanditConformance(EnvironmentConformance):
    env_id = "llmrl/AdversarialBandit-v0"


LEFT, RIGHT, UP, DOWN, NOOP = 1, 2, 3, 4, 0


def test_dark_room_rewards_every_step_on_the_goal_and_truncates_at_20():
    env = make_env("llmrl/DarkRoom-v0")
    obs, _ = env.reset(seed=0, options={"goal": (6, 4)})
    assert tuple(obs) == (4, 4)
    rewards = []
    for t in range(20):
        obs, r, term, trunc, _ = env.step(RIGHT if t < 2 else NOOP)
        rewards.append(r)
        assert not term
        assert trunc == (t == 19)
    assert rewards == [0.0, 1.0] + [1.0] * 18  # 21 - d with d = 2
    assert sum(rewards) == env.unwrapped.optimal_return() == 19


def test_dpt_room_starts_in_the_corner_and_truncates_at_100():
    """DPT's Dark Room (Lee et al. 2023): 10x10, 100 steps, start (0, 0), as an option of the same id."""
    env = make_env("llmrl/DarkRoom-v0", size=10, max_steps=100, start=(0, 0))
    assert len(env.unwrapped.tasks()) == 100
    obs, _ = env.reset(seed=0, options={"goal": (3, 2)})
    assert tuple(obs) == (0, 0)
    total, steps, trunc = 0.0, 0, False
    while not trunc:
        action = env.unwrapped.optimal_action()
        obs, r, term, trunc, _ = env.step(action)
        total, steps = total + r, steps + 1
        assert not term
    assert steps == 100 and tuple(obs) == (3, 2)
    assert total == env.unwrapped.optimal_return() == 101 - 5
    assert tuple(env.reset()[0]) == (0, 0)  # every episode starts in the corner
    with pytest.raises(ValueError, match="start"):
        make_env("llmrl/DarkRoom-v0", start=(9, 9))


def test_dark_room_walls_clip_and_goal_persists_across_resets():
    env = make_env("llmrl/DarkRoom-v0").unwrapped
    env.reset(seed=0, options={"goal": (0, 0)})
    for _ in range(6):
        obs, *_ = env.step(LEFT)
    assert tuple(obs) == (0, 4)
    env.reset()
    assert env.goal == (0, 0)
    assert len(env.tasks()) == 81
    assert env.optimal_action() in (LEFT, UP)


def test_dark_room_transit_from_any_state_matches_step_and_leaves_the_episode_alone():
    env = make_env("llmrl/DarkRoom-v0").unwrapped
    env.reset(seed=0, options={"goal": (2, 7)})
    assert [(tuple(s), r) for s, r in (env.transit((2, 6), DOWN), env.transit((0, 0), LEFT), env.transit((2, 7), NOOP))] == [
        ((2, 7), 1.0), ((0, 0), 0.0), ((2, 7), 1.0)]
    for state in [(1, 1), (3, 7), (8, 8)]:  # the same as stepping from there
        for action in range(5):
            env._pos = np.array(state)
            obs, r, *_ = env.step(action)
            nxt, r2 = env.transit(state, action)
            assert tuple(nxt) == tuple(obs) and r == r2
    env.reset()
    env.transit((0, 0), RIGHT)
    assert tuple(env._pos) == (4, 4) and env._t == 0
    with pytest.raises(ValueError, match="outside"):
        env.transit((9, 0), NOOP)


def test_dark_room_rejects_bad_goals_and_actions():
    env = make_env("llmrl/DarkRoom-v0")
    with pytest.raises(ValueError, match="outside the 9x9 grid"):
        env.reset(options={"goal": (9, 0)})
    env.reset(seed=0)
    with pytest.raises(ValueError, match="invalid action"):
        env.step(7)


def test_dark_room_hard_rewards_once_and_terminates():
    env = make_env("llmrl/DarkRoomHard-v0").unwrapped
    obs, _ = env.reset(seed=0, options={"goal": (8, 7)})
    assert tuple(obs) == (8, 8) and env.size == 17
    obs, r, term, trunc, _ = env.step(UP)
    assert (r, term, trunc) == (1.0, True, False)


def test_key_to_door_needs_the_key_first():
    env = make_env("llmrl/DarkKeyToDoor-v0").unwrapped
    env.reset(seed=3, options={"task": ((2, 2), (3, 2))})
    env._pos = np.array([4, 2])  # start beside the door, key further left
    _, r, term, *_ = env.step(LEFT)  # onto the door without the key: nothing
    assert (r, term) == (0.0, False)
    _, r, *_ = env.step(LEFT)
    assert r == 1.0  # key
    _, r, term, *_ = env.step(RIGHT)
    assert (r, term) == (1.0, True)  # door
    assert len(env.tasks()) == 6561


def test_bandit_parity_shift_between_train_and_test():
    rng = np.random.default_rng(0)
    train_best = [int(np.argmax(sample_arm_means(rng, 10, "train"))) % 2 for _ in range(2000)]
    test_best = [int(np.argmax(sample_arm_means(rng, 10, "test"))) % 2 for _ in range(2000)]
    assert 0.93 < np.mean(train_best) < 0.97  # odd best arm in training
    assert 0.03 < np.mean(test_best) < 0.07  # even at evaluation
    env = make_env("llmrl/AdversarialBandit-v0")
    env.reset(seed=0, options={"task": [0.0] * 9 + [1.0]})
    rewards = [env.step(9)[1] for _ in range(5)] + [env.step(0)[1] for _ in range(5)]
    assert rewards == [1.0] * 5 + [0.0] * 5


def test_task_split_is_disjoint_and_reproducible():
    goals = make_env("llmrl/DarkRoom-v0").unwrapped.tasks()
    train, test = task_split(goals, 20, seed=1)
    assert len(train) == 61 and len(test) == 20 and not set(train) & set(test)
    assert task_split(goals, 20, seed=1) == (train, test)
    with pytest.raises(ValueError, match="n_test"):
        task_split(goals, 0)
