"""Reward specs: strict validation that names the bad field; API calls set cost weights and targets."""

from __future__ import annotations

import json

import numpy as np
import pytest

from llmrl_core.errors import ConfigError
from llmrl_mpc.robots import Manipulator, Quadruped
from llmrl_mpc.robots.quadruped import NOMINAL_HEIGHT
from llmrl_mpc.robots.spec import ManipulatorSpec, QuadrupedSpec, RewardSpecError, load_spec, validate_spec

END = {"fn": "execute_plan", "plan_duration": 1}


def quad(*calls: dict) -> dict:
    return {"task": "quadruped", "calls": [*calls, END]}


@pytest.mark.parametrize(
    ("spec", "field", "why"),
    [
        (quad({"fn": "set_torso_targets", "target_torso_height": 2.0}), "calls.0.set_torso_targets.target_torso_height", "less than or equal to 0.7"),
        (quad({"fn": "fly_to_moon"}), "calls.0", "'fly_to_moon'"),
        (quad({"fn": "set_torso_targets", "target_torso_speed": 1}), "calls.0.set_torso_targets.target_torso_speed", "Extra inputs"),
        (quad({"fn": "set_foot_pos_parameters", "foot_name": "front_left", "lift_height": 0.1}), "calls.0.set_foot_pos_parameters.foot_name", "'FL', 'FR', 'RL' or 'RR'"),
        (quad({"fn": "set_foot_stepping_parameters", "foot_name": "FL", "stepping_frequency": 2, "air_ratio": 1.5,
               "phase_offset": 0, "swing_up_down": 0.1, "swing_forward_back": 0}), "air_ratio", "less than or equal to 1"),
        (quad({"fn": "set_torso_targets", "target_torso_location_xy": [1, 1], "target_torso_velocity_xy": [0.2, 0]}), "calls.0.set_torso_targets", "not both"),
        ({"task": "quadruped", "calls": [{"fn": "set_torso_targets", "target_torso_height": 0.4}]}, "(spec)", "must end with an execute_plan"),
        ({"task": "manipulator", "calls": [{"fn": "set_l2_distance_reward", "name_a": "gripper", "name_b": "mug"}, END]}, "calls.0.set_l2_distance_reward.name_b", "'gripper', 'box', 'ball' or 'pad'"),
        ({"task": "manipulator", "calls": [{"fn": "set_joint_fraction_reward", "joint": "elbow", "fraction": -0.1}, END]}, "fraction", "greater than or equal to 0"),
        ({"task": "manipulator", "calls": [{"fn": "set_torso_targets", "target_torso_height": 0.4}, END]}, "calls.0", "'set_torso_targets'"),
        ({"task": "quadruped", "calls": [], "extra": 1}, "extra", "Extra inputs"),
    ],
)
def test_invalid_specs_name_the_field(spec: dict, field: str, why: str) -> None:
    with pytest.raises(RewardSpecError) as info:
        validate_spec(spec)
    message = str(info.value)
    assert field in message and why in message, message
    assert isinstance(info.value, ConfigError)


def test_bad_documents(tmp_path) -> None:
    with pytest.raises(RewardSpecError, match="not valid JSON"):
        validate_spec("{nope")
    with pytest.raises(RewardSpecError, match="task must be one of"):
        validate_spec({"task": "humanoid", "calls": [END]})
    with pytest.raises(RewardSpecError, match="is for task 'manipulator'"):
        validate_spec({"task": "manipulator", "calls": [END]}, task="quadruped")
    with pytest.raises(RewardSpecError, match="does not exist"):
        load_spec(tmp_path / "missing.json")


def test_spec_is_plain_json_round_trip(tmp_path) -> None:
    data = quad({"fn": "set_torso_targets", "target_torso_height": 0.45, "target_turning_speed": 0.5},
                {"fn": "set_foot_stepping_parameters", "foot_name": "FL", "stepping_frequency": 2.0, "air_ratio": 0.3,
                 "phase_offset": 0.5, "swing_up_down": 0.08, "swing_forward_back": 0.05})
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(data))
    spec = load_spec(path)
    assert isinstance(spec, QuadrupedSpec)
    assert validate_spec(spec.model_dump_json()) == spec
    assert [d for _, d in spec.segments()] == [1.0]
    assert "properties" in ManipulatorSpec.model_json_schema()


def test_quadruped_calls_set_weights_and_targets() -> None:
    task = Quadruped()
    assert set(task.active_terms()) == {"height", "pitch", "roll", "balance", "posture", "action_rate"}
    assert task.p.height == NOMINAL_HEIGHT
    spec = validate_spec(quad({"fn": "set_torso_targets", "target_torso_height": 0.45, "target_torso_velocity_xy": [0.3, 0.0],
                               "target_torso_heading": 1.0},
                              {"fn": "set_foot_pos_parameters", "foot_name": "RR", "lift_height": 0.1}))
    for call in spec.calls:
        task.apply_call(call)
    terms = task.active_terms()
    assert terms["height"]["weight"] == 0.5 and terms["velocity"]["weight"] == 0.3 and terms["heading"]["weight"] == 0.6
    assert terms["foot_lift"]["weight"] == 1.0 and "location" not in terms and "turning" not in terms
    assert task.p.height == 0.45 and np.allclose(task.p.velocity, [0.3, 0.0])
    assert np.isnan(task.p.lift[:3]).all() and task.p.lift[3] == 0.1
    task.reset_reward()
    assert "velocity" not in task.active_terms() and task.p.height == NOMINAL_HEIGHT


def test_quadruped_residuals_at_home_are_small() -> None:
    import mujoco

    from llmrl_mpc.trajectory import Trajectory

    task = Quadruped()
    data = mujoco.MjData(task.model)
    task.home(data)
    for _ in range(100):
        mujoco.mj_step(task.model, data)
    tr = Trajectory.from_data(task.layout, task.model, data)
    m = task.metrics(tr)
    assert abs(m["height"] - NOMINAL_HEIGHT) < 0.02 and abs(m["pitch"]) < 0.02 and abs(m["roll"]) < 0.02
    for foot in ("FL", "FR", "RL", "RR"):
        assert abs(m[f"{foot}_lift"]) < 0.02 and abs(m[f"{foot}_forward"]) < 0.03 and abs(m[f"{foot}_inward"]) < 0.03
    assert task.stage_cost(data) < 1e-3


def test_manipulator_calls_accumulate_until_reset() -> None:
    task = Manipulator()
    spec = validate_spec({"task": "manipulator", "calls": [
        {"fn": "set_l2_distance_reward", "name_a": "gripper", "name_b": "box"}, END,
        {"fn": "set_obj_z_position_reward", "obj": "box", "z": 0.3}, END,
        {"fn": "reset_reward"}, {"fn": "set_joint_fraction_reward", "joint": "wrist", "fraction": 0.25}, END]})
    seen = []
    for calls, _ in spec.segments():
        for call in calls:
            task.apply_call(call)
        seen.append(set(task.active_terms()) - {"posture", "action_rate"})
    assert seen == [{"distance"}, {"distance", "z"}, {"joint_fraction"}]
