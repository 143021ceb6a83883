"""Real closed-loop runs (fixed seeds): the controller reaches what a spec asks, within a tolerance."""

from __future__ import annotations

import pytest

from llmrl_mpc import PlannerConfig
from llmrl_mpc.robots import Manipulator, Quadruped
from llmrl_mpc.runner import run_spec

CFG = PlannerConfig(method="mppi", samples=64, horizon=0.5, noise=0.3, timestep=0.02, nthread=2)


def test_quadruped_lowers_its_torso() -> None:
    spec = {"task": "quadruped", "calls": [{"fn": "set_torso_targets", "target_torso_height": 0.44},
                                           {"fn": "execute_plan", "plan_duration": 1.5}]}
    result = run_spec(Quadruped(), spec, CFG, replan_every=5, seed=0)
    assert result.metrics["height"] == pytest.approx(0.44, abs=0.03)
    assert abs(result.metrics["pitch"]) < 0.1 and abs(result.metrics["roll"]) < 0.1
    assert result.plans == 30 and result.diverged == 0


def test_manipulator_turns_its_base_to_a_joint_fraction() -> None:
    spec = {"task": "manipulator", "calls": [{"fn": "set_joint_fraction_reward", "joint": "base_yaw", "fraction": 0.75},
                                             {"fn": "execute_plan", "plan_duration": 1.5}]}
    result = run_spec(Manipulator(), spec, CFG, replan_every=5, seed=0)
    assert result.metrics["base_yaw_fraction"] == pytest.approx(0.75, abs=0.05)


def test_manipulator_reaches_the_box() -> None:
    spec = {"task": "manipulator", "calls": [{"fn": "set_l2_distance_reward", "name_a": "gripper", "name_b": "box"},
                                             {"fn": "execute_plan", "plan_duration": 2.5}]}
    task = Manipulator()
    result = run_spec(task, spec, CFG, replan_every=5, seed=0)
    # gripper site to box centre: 0.05 when the pad rests on the box's top face
    assert result.metrics["distance_gripper_box"] < 0.08
