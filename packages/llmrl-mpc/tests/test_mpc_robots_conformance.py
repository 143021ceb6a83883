"""Both environments pass llmrl's environment contract (Gymnasium checker, seeding, spaces)."""

from __future__ import annotations

from llmrl_core.testing import EnvironmentConformance


class TestQuadrupedEnv(EnvironmentConformance):
    env_id = "llmrl/Quadruped-v0"
    rollout_steps = 100


class TestManipulatorEnv(EnvironmentConformance):
    env_id = "llmrl/Manipulator-v0"
    rollout_steps = 100


def test_reset_applies_a_spec_and_reward_is_minus_cost() -> None:
    import numpy as np

    from llmrl_core import make_env

    env = make_env("llmrl/Quadruped-v0")
    spec = {"task": "quadruped", "calls": [{"fn": "set_torso_targets", "target_torso_height": 0.4},
                                           {"fn": "execute_plan", "plan_duration": 1}]}
    env.reset(seed=0, options={"spec": spec})
    task = env.unwrapped.robot
    assert task.p.height == 0.4
    _, reward, _, _, info = env.step(task.home_ctrl())
    assert reward == -info["cost"] and np.isfinite(reward)
    # standing at the home height (0.53 m) while asked for 0.4 m costs the height term
    assert info["cost"] > 0.5 * 0.5 * 0.1**2
    env.close()


def test_one_robot_list_gives_the_registered_ids_the_run_choices_and_make_robot() -> None:
    import typing

    import pytest

    from llmrl_core import list_components
    from llmrl_core.errors import ConfigError
    from llmrl_mpc.config import ControlRunConfig
    from llmrl_mpc.robots import ROBOTS, make_robot

    registered = {c.name for c in list_components("environment") if c.distribution == "llmrl-mpc"}
    assert registered == {entry.env_id for entry in ROBOTS.values()} == {"llmrl/Quadruped-v0", "llmrl/Manipulator-v0"}
    assert set(typing.get_args(ControlRunConfig.model_fields["robot"].annotation)) == set(ROBOTS)
    assert all(make_robot(name).name == name for name in ROBOTS)
    with pytest.raises(ConfigError, match="unknown robot 'hexapod'; choose one of"):
        make_robot("hexapod")
