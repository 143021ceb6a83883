"""The residuals' in-place, memoised numpy forms against plain reference formulas on a real rollout batch.

The cost terms are written for speed (views, no stacking, shared heading frame); these tests pin them to
the straightforward definitions (Euler angles, cos/sin of the heading, stacked feet, ``np.diff``).
"""

from __future__ import annotations

import mujoco
import numpy as np
import pytest

from llmrl_mpc import PlannerConfig, SamplingPlanner
from llmrl_mpc.robots import Manipulator, Quadruped
from llmrl_mpc.robots.base import control_rate
from llmrl_mpc.robots.geometry import euler, heading_cos_sin
from llmrl_mpc.robots.models import FEET
from llmrl_mpc.robots.quadruped import FOOT_NOMINAL, FOOT_REST_Z, HOME_JOINTS
from llmrl_mpc.trajectory import Trajectory


def rollout_batch(task, samples: int = 6, horizon: float = 0.3) -> Trajectory:
    """A real batch: noisy controls around the home posture, rolled out by the planner's thread pool."""
    data = mujoco.MjData(task.model)
    task.home(data)
    state = np.empty(task.layout.nstate)
    mujoco.mj_getState(task.model, data, state, mujoco.mjtState.mjSTATE_FULLPHYSICS)
    cfg = PlannerConfig(samples=samples, horizon=horizon, noise=0.8, nthread=1)
    with SamplingPlanner(task.model, task.cost, cfg) as planner:
        planner.reset(data.ctrl)
        knots = planner._sample(planner.nominal, np.broadcast_to(cfg.noise * planner.scale, planner.nominal.shape))
        tr = planner.rollout(state, planner.controls(knots))
        return Trajectory(tr.layout, tr.state.copy(), tr.sensordata.copy(), tr.ctrl.copy())


def quadruped_reference(task: Quadruped, tr: Trajectory) -> dict[str, np.ndarray]:
    """The residuals as first written: full Euler angles, stacked frames and feet, np.diff with prepend."""
    p = task.p
    r_, p_, y_ = euler(tr.sensor("torso_quat"))
    fwd = np.stack([np.cos(y_), np.sin(y_)], -1)
    left = np.stack([-np.sin(y_), np.cos(y_)], -1)
    torso, vel = tr.sensor("torso_pos"), tr.sensor("torso_linvel")
    feet = np.stack([tr.sensor(f"{f}_pos") for f in FEET], -2)
    d = feet[..., :2] - torso[..., None, :2]
    f_fwd, f_left = np.einsum("...fi,...i->...f", d, fwd), np.einsum("...fi,...i->...f", d, left)
    nominal = np.array([FOOT_NOMINAL[f] for f in FEET])
    capture = torso[..., :2] + vel[..., :2] * np.sqrt(np.maximum(torso[..., 2:3], 0.05) / 9.81)
    v = vel[..., :2]
    return {
        "height": torso[..., 2] - p.height, "pitch": p_ - p.pitch, "roll": r_ - p.roll,
        "velocity": np.stack([(v * fwd).sum(-1), (v * left).sum(-1)], -1) - p.velocity,
        "foot_lift": np.nan_to_num(feet[..., 2] - FOOT_REST_Z - p.lift),
        "foot_forward": np.nan_to_num(f_fwd - (nominal[:, 0] + p.forward)),
        "foot_inward": np.nan_to_num(f_left - (nominal[:, 1] - np.sign(nominal[:, 1]) * p.inward)),
        "balance": capture - feet[..., :2].mean(-2),
        "posture": tr.qpos[..., 7::2] - HOME_JOINTS[::2],
        "action_rate": np.diff(tr.ctrl, axis=1, prepend=tr.ctrl[:, :1]),
    }


def test_quadruped_residuals_match_reference_formulas() -> None:
    task = Quadruped()
    task.set_torso_targets(target_torso_velocity_xy=[0.3, -0.1])
    task.set_foot_pos_parameters("FL", lift_height=0.1, extend_forward=0.05, move_inward=0.02)
    tr = rollout_batch(task)
    assert np.ptp(euler(tr.sensor("torso_quat"))[2]) > 1e-3  # the heading moves, so the frame is exercised
    want = quadruped_reference(task, tr)
    for name, ref in want.items():
        got = np.asarray(task.cost.term(name).residual(tr))
        np.testing.assert_allclose(got, ref, rtol=1e-9, atol=1e-12, err_msg=name)
    # The weighted cost is the same sum of norms of those residuals.
    np.testing.assert_allclose(task.cost.breakdown(tr)["velocity"], 0.3 * 0.5 * (want["velocity"] ** 2).sum(-1).sum(-1))


def test_memoised_quantities_follow_the_stepping_parameters() -> None:
    task = Quadruped()
    tr = rollout_batch(task, samples=3)
    task.set_foot_stepping_parameters("FL", 1.0, 0.5, 0.0, 0.1, 0.05)
    first = np.asarray(task.cost.term("step_vertical").residual(tr)).copy()
    task.set_foot_stepping_parameters("FL", 2.0, 0.5, 0.25, 0.1, 0.05)
    second = np.asarray(task.cost.term("step_vertical").residual(tr))
    z, _ = task._gait(tr.time)
    np.testing.assert_allclose(second[..., 0], task._feet_rel(tr)[2][..., 0] - z[..., 0])
    assert not np.allclose(first, second)  # a new parameter set is not served from the memo


def test_manipulator_action_rate_matches_np_diff() -> None:
    task = Manipulator()
    tr = rollout_batch(task, samples=3)
    np.testing.assert_array_equal(task.cost.term("action_rate").residual(tr),
                                  np.diff(tr.ctrl, axis=1, prepend=tr.ctrl[:, :1]))


@pytest.mark.parametrize("shape", [(7,), (3, 5)])
def test_control_rate_is_diff_with_prepend(shape) -> None:
    ctrl = np.random.default_rng(1).normal(size=(*shape, 4))
    if len(shape) == 1:
        ctrl = ctrl[None]
    np.testing.assert_array_equal(control_rate(ctrl), np.diff(ctrl, axis=1, prepend=ctrl[:, :1]))


def test_heading_cos_sin_matches_yaw_and_handles_a_vertical_body_axis() -> None:
    q = np.random.default_rng(2).normal(size=(50, 4))
    q /= np.linalg.norm(q, axis=-1, keepdims=True)
    c, s = heading_cos_sin(q)
    yaw = euler(q)[2]
    np.testing.assert_allclose(c, np.cos(yaw), atol=1e-12)
    np.testing.assert_allclose(s, np.sin(yaw), atol=1e-12)
    vertical = np.array([[0.5, -0.5, 0.5, 0.5]])  # body x axis exactly vertical: no heading, yaw = atan2(0, 0) = 0
    c, s = heading_cos_sin(vertical)
    assert euler(vertical)[2][0] == 0.0 and (c[0], s[0]) == (1.0, 0.0)
