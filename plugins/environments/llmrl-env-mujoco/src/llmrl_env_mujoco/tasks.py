"""Robot tasks with an L2R-style reward-parameter API.

Each task owns a MuJoCo model and an ``llmrl_mpc.Cost`` whose terms read the
task's parameters at evaluation time: an API call (``set_torso_targets(...)``)
changes weights and targets in place, and the next planning iteration sees it.
A validated spec (see :mod:`llmrl_env_mujoco.spec`) is applied call by call.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any

import mujoco
import numpy as np
from llmrl_mpc import Cost, CostTerm
from llmrl_mpc.trajectory import StateLayout, Trajectory

from llmrl_env_mujoco.geometry import euler, wrap
from llmrl_env_mujoco.models import FEET, quadruped_xml
from llmrl_env_mujoco.spec import (
    ManipulatorSpec,
    QuadrupedSpec,
    RewardSpecError,
    api_description,
    load_spec,
    recording_stub_source,
    validate_spec,
)


class RewardTask:
    """Common machinery: model, cost, spec application, metric recording."""

    name: str = ""
    spec_model: type = QuadrupedSpec
    metric_window = 1.0  # s: means over the last second of a segment

    def __init__(self) -> None:
        self.model = self._build_model()
        self.layout = StateLayout.from_model(self.model)
        self.cost = Cost(self._terms())
        self.reset_reward()

    # -- to implement --------------------------------------------------------------
    def _build_model(self) -> mujoco.MjModel:
        raise NotImplementedError

    def _terms(self) -> list[CostTerm]:
        raise NotImplementedError

    def reset_reward(self) -> None:
        raise NotImplementedError

    def home(self, data: mujoco.MjData) -> None:
        """Put ``data`` in the task's start pose (qpos, ctrl) and run forward kinematics."""
        raise NotImplementedError

    def metrics(self, trace: Trajectory) -> dict[str, float]:
        raise NotImplementedError

    # -- shared --------------------------------------------------------------------
    def home_ctrl(self) -> np.ndarray:
        data = mujoco.MjData(self.model)
        self.home(data)
        return data.ctrl.copy()

    def apply_call(self, call: Any) -> None:
        """Apply one validated call (``execute_plan`` is the runner's business and ignored here)."""
        if call.fn == "execute_plan":
            return
        args = call.model_dump(exclude={"fn"})
        getattr(self, call.fn)(**args)

    def validate(self, spec: dict | str | Any):
        if isinstance(spec, self.spec_model):
            return spec
        return validate_spec(spec, self.name)

    def api_description(self) -> str:
        """The reward API as text for an L2R Reward Coder prompt (signatures, units, ranges)."""
        return api_description(self.name)

    def recording_stub_source(self) -> str:
        """Python source of the API as call recorders, for running a coder's program in a sandbox."""
        return recording_stub_source(self.name)

    def validate_file(self, path: str | Path):
        return load_spec(path, self.name)

    def active_terms(self) -> dict[str, dict[str, Any]]:
        """The cost as plain JSON: each active term's weight, norm and parameters."""
        return {t.name: {"weight": t.weight, "norm": t.norm.value, "params": list(t.params)} for t in self.cost.terms if t.weight > 0}

    def stage_cost(self, data: mujoco.MjData) -> float:
        return float(self.cost.stage(Trajectory.from_data(self.layout, self.model, data))[0, 0])

    def window(self, trace: Trajectory) -> slice:
        t = trace.time[0]
        return slice(int(np.searchsorted(t, t[-1] - self.metric_window)), None)


# ----------------------------------------------------------------------------------
# Quadruped (Gymnasium's ant with position actuators)
# ----------------------------------------------------------------------------------
HOME_JOINTS = np.array([0.0, 0.87, 0.0, -0.87, 0.0, -0.87, 0.0, 0.87])  # qpos[7:] order: hip_1..ankle_4
NOMINAL_HEIGHT = 0.53  # m, torso height at the home posture
FOOT_REST_Z = 0.10  # m, foot site height when the foot is on the ground
FOOT_NOMINAL = {"FL": (0.66, 0.66), "FR": (0.66, -0.66), "RL": (-0.66, 0.66), "RR": (-0.66, -0.66)}  # (forward, left)


@dataclass
class QuadrupedParams:
    height: float = NOMINAL_HEIGHT
    pitch: float = 0.0
    roll: float = 0.0
    location: np.ndarray | None = None
    velocity: np.ndarray | None = None
    heading: float | None = None
    turning: float | None = None
    lift: np.ndarray = field(default_factory=lambda: np.full(4, np.nan))  # per foot, nan = unset
    forward: np.ndarray = field(default_factory=lambda: np.full(4, np.nan))
    inward: np.ndarray = field(default_factory=lambda: np.full(4, np.nan))
    stepping: np.ndarray = field(default_factory=lambda: np.zeros((4, 5)))  # freq, air, phase, up, fwd
    stepping_on: np.ndarray = field(default_factory=lambda: np.zeros(4, bool))


class QuadrupedTask(RewardTask):
    """L2R's quadruped API on Gymnasium's ant. Forward is +x; feet FL, FR, RL, RR."""

    name = "quadruped"
    spec_model = QuadrupedSpec
    # L2R's weights (METHODS.md): torso height 0.5, pitch 0.6, location 0.6, velocity 0.1,
    # heading 0.6, turning 0.6, foot up 1.0 / forward 0.5 / inward 0.5, stepping 1.0 / 0.2;
    # defaults: balance 0.2, posture 0.01, action rate 2e-5. One deviation: velocity 0.3, because
    # with 0.1 the ant reached 0.26 / 0.06 / 0.18 m/s for a 0.3 m/s target over three seeds and
    # with 0.3 it reached 0.23 / 0.21 / 0.21 (benchmarks/mpc.py, 128 samples x 0.5 s).
    W = {"height": 0.5, "pitch": 0.6, "roll": 0.6, "location": 0.6, "velocity": 0.3, "heading": 0.6, "turning": 0.6,
         "foot_lift": 1.0, "foot_forward": 0.5, "foot_inward": 0.5, "step_vertical": 1.0, "step_horizontal": 0.2,
         "balance": 0.2, "posture": 0.01, "action_rate": 2e-5}

    def _build_model(self) -> mujoco.MjModel:
        return mujoco.MjModel.from_xml_string(quadruped_xml())

    def home(self, data: mujoco.MjData) -> None:
        mujoco.mj_resetData(self.model, data)
        data.qpos[2] = NOMINAL_HEIGHT + 0.02
        data.qpos[7:] = HOME_JOINTS
        data.ctrl[:] = self._joint_to_ctrl(HOME_JOINTS)
        mujoco.mj_forward(self.model, data)

    def _joint_to_ctrl(self, joints: np.ndarray) -> np.ndarray:
        ids = self.model.actuator_trnid[:, 0]
        return joints[self.model.jnt_qposadr[ids] - 7]

    # -- kinematics from a trajectory --------------------------------------------------
    def _heading_frame(self, tr: Trajectory) -> tuple[np.ndarray, np.ndarray]:
        _, _, yaw = euler(tr.sensor("torso_quat"))
        return np.stack([np.cos(yaw), np.sin(yaw)], -1), np.stack([-np.sin(yaw), np.cos(yaw)], -1)

    def _feet_rel(self, tr: Trajectory) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Feet (forward, left) offsets from the torso in the heading frame and heights above rest, (K, T, 4) each."""
        fwd, left = self._heading_frame(tr)
        torso = tr.sensor("torso_pos")
        feet = np.stack([tr.sensor(f"{f}_pos") for f in FEET], -2)  # (K, T, 4, 3)
        d = feet[..., :2] - torso[..., None, :2]
        return (np.einsum("...fi,...i->...f", d, fwd), np.einsum("...fi,...i->...f", d, left), feet[..., 2] - FOOT_REST_Z)

    def _gait(self, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per-foot stepping targets at times ``t`` (K, T): height above rest and forward offset, (K, T, 4)."""
        s = self.p.stepping
        freq, air, phase, up, fwd = (s[:, i] for i in range(5))
        cyc = np.mod(t[..., None] * freq + phase, 1.0)
        air_safe = np.maximum(air, 1e-6)
        in_air = cyc < air
        u = np.clip(cyc / air_safe, 0, 1)
        v = np.clip((cyc - air) / np.maximum(1 - air, 1e-6), 0, 1)
        z = np.where(in_air, up * np.sin(np.pi * u), 0.0)
        x = np.where(in_air, -fwd * np.cos(np.pi * u), fwd * (1 - 2 * v)) * 0.5
        return z, x

    def _terms(self) -> list[CostTerm]:
        nominal = np.array([FOOT_NOMINAL[f] for f in FEET])

        def height(tr):
            return tr.sensor("torso_pos")[..., 2] - self.p.height

        def pitch(tr):
            return euler(tr.sensor("torso_quat"))[1] - self.p.pitch

        def roll(tr):
            return euler(tr.sensor("torso_quat"))[0] - self.p.roll

        def location(tr):
            return tr.sensor("torso_pos")[..., :2] - self.p.location

        def velocity(tr):
            fwd, left = self._heading_frame(tr)
            v = tr.sensor("torso_linvel")[..., :2]
            return np.stack([(v * fwd).sum(-1), (v * left).sum(-1)], -1) - self.p.velocity

        def heading(tr):
            return wrap(euler(tr.sensor("torso_quat"))[2] - self.p.heading)

        def turning(tr):
            return tr.sensor("torso_angvel")[..., 2] - self.p.turning

        def foot_lift(tr):
            return np.nan_to_num(self._feet_rel(tr)[2] - self.p.lift)

        def foot_forward(tr):
            return np.nan_to_num(self._feet_rel(tr)[0] - (nominal[:, 0] + self.p.forward))

        def foot_inward(tr):
            left = nominal[:, 1]
            return np.nan_to_num(self._feet_rel(tr)[1] - (left - np.sign(left) * self.p.inward))

        def step_vertical(tr):
            z, _ = self._gait(tr.time)
            return np.where(self.p.stepping_on, self._feet_rel(tr)[2] - z, 0.0)

        def step_horizontal(tr):
            _, x = self._gait(tr.time)
            return np.where(self.p.stepping_on, self._feet_rel(tr)[0] - (nominal[:, 0] + x), 0.0)

        def balance(tr):
            pos, vel = tr.sensor("torso_pos"), tr.sensor("torso_linvel")
            capture = pos[..., :2] + vel[..., :2] * np.sqrt(np.maximum(pos[..., 2:3], 0.05) / 9.81)
            feet = np.stack([tr.sensor(f"{f}_pos")[..., :2] for f in FEET], -2).mean(-2)
            return capture - feet

        def posture(tr):  # hips only: the ankles set the height, which has its own target
            return tr.qpos[..., 7::2] - HOME_JOINTS[::2]

        def action_rate(tr):
            return np.diff(tr.ctrl, axis=1, prepend=tr.ctrl[:, :1])

        return [
            CostTerm("height", height), CostTerm("pitch", pitch), CostTerm("roll", roll),
            CostTerm("location", location, norm="l2", params=(0.1,)), CostTerm("velocity", velocity),
            CostTerm("heading", heading), CostTerm("turning", turning),
            CostTerm("foot_lift", foot_lift), CostTerm("foot_forward", foot_forward), CostTerm("foot_inward", foot_inward),
            CostTerm("step_vertical", step_vertical), CostTerm("step_horizontal", step_horizontal),
            CostTerm("balance", balance), CostTerm("posture", posture), CostTerm("action_rate", action_rate),
        ]

    def _set_weights(self) -> None:
        p = self.p
        on = {
            "height": True, "pitch": True, "roll": True, "balance": True, "posture": True, "action_rate": True,
            "location": p.location is not None, "velocity": p.velocity is not None,
            "heading": p.heading is not None, "turning": p.turning is not None,
            "foot_lift": bool(np.isfinite(p.lift).any()), "foot_forward": bool(np.isfinite(p.forward).any()),
            "foot_inward": bool(np.isfinite(p.inward).any()),
            "step_vertical": bool(p.stepping_on.any()), "step_horizontal": bool(p.stepping_on.any()),
        }
        for t in self.cost.terms:
            t.weight = self.W[t.name] if on[t.name] else 0.0

    # -- the L2R API -----------------------------------------------------------------
    def reset_reward(self) -> None:
        """Stand still at the nominal height, level."""
        self.p = QuadrupedParams()
        self._set_weights()

    def set_torso_targets(self, target_torso_height=None, target_torso_pitch=None, target_torso_roll=None,
                          target_torso_location_xy=None, target_torso_velocity_xy=None, target_torso_heading=None,
                          target_turning_speed=None) -> None:
        """Height/pitch/roll None keep their current target; the motion targets None switch off."""
        p = self.p
        if target_torso_height is not None:
            p.height = float(target_torso_height)
        if target_torso_pitch is not None:
            p.pitch = float(target_torso_pitch)
        if target_torso_roll is not None:
            p.roll = float(target_torso_roll)
        p.location = None if target_torso_location_xy is None else np.asarray(target_torso_location_xy, float)
        p.velocity = None if target_torso_velocity_xy is None else np.asarray(target_torso_velocity_xy, float)
        p.heading = None if target_torso_heading is None else float(target_torso_heading)
        p.turning = None if target_turning_speed is None else float(target_turning_speed)
        self._set_weights()

    def set_foot_pos_parameters(self, foot_name, lift_height=None, extend_forward=None, move_inward=None) -> None:
        i = FEET.index(foot_name)
        self.p.lift[i] = np.nan if lift_height is None else lift_height
        self.p.forward[i] = np.nan if extend_forward is None else extend_forward
        self.p.inward[i] = np.nan if move_inward is None else move_inward
        self._set_weights()

    def set_foot_stepping_parameters(self, foot_name, stepping_frequency, air_ratio, phase_offset, swing_up_down,
                                     swing_forward_back, should_activate=True) -> None:
        i = FEET.index(foot_name)
        self.p.stepping[i] = (stepping_frequency, air_ratio, phase_offset, swing_up_down, swing_forward_back)
        self.p.stepping_on[i] = bool(should_activate)
        self._set_weights()

    # -- metrics ---------------------------------------------------------------------
    def metrics(self, trace: Trajectory) -> dict[str, float]:
        """What the robot reached over a recorded segment (1 x T trace): means over its last second, finals."""
        w = self.window(trace)
        roll, pitch, yaw = euler(trace.sensor("torso_quat")[0])
        fwd, left = self._heading_frame(trace)
        v = trace.sensor("torso_linvel")[0, :, :2]
        pos = trace.sensor("torso_pos")[0]
        f_fwd, f_left, f_z = (a[0] for a in self._feet_rel(trace))
        out = {
            "height": float(pos[w, 2].mean()), "pitch": float(pitch[w].mean()), "roll": float(roll[w].mean()),
            "heading": float(yaw[-1]), "turning_speed": float(trace.sensor("torso_angvel")[0, w, 2].mean()),
            "forward_speed": float((v[w] * fwd[0, w]).sum(-1).mean()),
            "sideways_speed": float((v[w] * left[0, w]).sum(-1).mean()),
            "x": float(pos[-1, 0]), "y": float(pos[-1, 1]),
        }
        for i, f in enumerate(FEET):
            out[f"{f}_lift"] = float(f_z[w, i].mean())
            out[f"{f}_max_lift"] = float(f_z[:, i].max())
            out[f"{f}_forward"] = float(f_fwd[w, i].mean() - FOOT_NOMINAL[f][0])
            out[f"{f}_inward"] = float(-(f_left[w, i].mean() - FOOT_NOMINAL[f][1]) * np.sign(FOOT_NOMINAL[f][1]))
        return out


# ----------------------------------------------------------------------------------
# Manipulator (MJCF written for this package)
# ----------------------------------------------------------------------------------
ARM_HOME = np.array([0.0, -1.1, 1.8, 0.87])  # base_yaw, shoulder, elbow, wrist
OBJECTS = ("gripper", "box", "ball", "pad")
ARM_JOINTS = ("base_yaw", "shoulder", "elbow", "wrist")


@dataclass
class ManipulatorParams:
    pairs: list[tuple[str, str]] = field(default_factory=list)
    z: dict[str, float] = field(default_factory=dict)
    yaw: dict[str, float] = field(default_factory=dict)
    fraction: dict[str, float] = field(default_factory=dict)


class ManipulatorTask(RewardTask):
    """L2R's manipulator API (paper appendix) on a 4-joint arm with an adhesive pad, a box, a ball and a target pad."""

    name = "manipulator"
    spec_model = ManipulatorSpec
    W = {"distance": 1.0, "z": 1.0, "orientation": 0.3, "joint_fraction": 0.5, "posture": 0.005, "action_rate": 1e-4}

    def _build_model(self) -> mujoco.MjModel:
        return mujoco.MjModel.from_xml_path(str(files("llmrl_env_mujoco") / "assets" / "manipulator.xml"))

    def home(self, data: mujoco.MjData) -> None:
        mujoco.mj_resetData(self.model, data)
        data.qpos[:4] = ARM_HOME
        data.ctrl[:4] = ARM_HOME
        mujoco.mj_forward(self.model, data)

    def _terms(self) -> list[CostTerm]:
        jr = {j: self.model.jnt_range[self.model.joint(j).id] for j in ARM_JOINTS}
        qadr = {j: int(self.model.jnt_qposadr[self.model.joint(j).id]) for j in ARM_JOINTS}

        def distance(tr):
            if not self.p.pairs:
                return np.zeros((*tr.state.shape[:2], 1))
            return np.concatenate([tr.sensor(f"{a}_pos") - tr.sensor(f"{b}_pos") for a, b in self.p.pairs], -1)

        def z(tr):
            return np.stack([tr.sensor(f"{o}_pos")[..., 2] - v for o, v in self.p.z.items()] or [tr.time * 0], -1)

        def orientation(tr):
            return np.stack([wrap(euler(tr.sensor(f"{o}_quat"))[2] - v) for o, v in self.p.yaw.items()] or [tr.time * 0], -1)

        def joint_fraction(tr):
            res = [tr.qpos[..., qadr[j]] - (jr[j][0] + f * (jr[j][1] - jr[j][0])) for j, f in self.p.fraction.items()]
            return np.stack(res or [tr.time * 0], -1)

        def posture(tr):
            return tr.qpos[..., :4] - ARM_HOME

        def action_rate(tr):
            return np.diff(tr.ctrl, axis=1, prepend=tr.ctrl[:, :1])

        return [CostTerm("distance", distance, norm="l2", params=(0.02,)), CostTerm("z", z, norm="l2", params=(0.02,)),
                CostTerm("orientation", orientation), CostTerm("joint_fraction", joint_fraction),
                CostTerm("posture", posture), CostTerm("action_rate", action_rate)]

    def _set_weights(self) -> None:
        p = self.p
        on = {"distance": bool(p.pairs), "z": bool(p.z), "orientation": bool(p.yaw), "joint_fraction": bool(p.fraction),
              "posture": True, "action_rate": True}
        for t in self.cost.terms:
            t.weight = self.W[t.name] if on[t.name] else 0.0

    # -- the L2R API -----------------------------------------------------------------
    def reset_reward(self) -> None:
        self.p = ManipulatorParams()
        self._set_weights()

    def set_l2_distance_reward(self, name_a: str, name_b: str) -> None:
        if (name_a, name_b) not in self.p.pairs and (name_b, name_a) not in self.p.pairs:
            self.p.pairs.append((name_a, name_b))
        self._set_weights()

    def set_obj_z_position_reward(self, obj: str, z: float) -> None:
        self.p.z[obj] = float(z)
        self._set_weights()

    def set_obj_orientation_reward(self, obj: str, radians: float) -> None:
        self.p.yaw[obj] = float(radians)
        self._set_weights()

    def set_joint_fraction_reward(self, joint: str, fraction: float) -> None:
        self.p.fraction[joint] = float(fraction)
        self._set_weights()

    # -- metrics ---------------------------------------------------------------------
    def metrics(self, trace: Trajectory) -> dict[str, float]:
        w = self.window(trace)
        pos = {o: trace.sensor(f"{o}_pos")[0] for o in OBJECTS}
        out: dict[str, float] = {}
        for i, a in enumerate(OBJECTS):
            for b in OBJECTS[i + 1:]:
                out[f"distance_{a}_{b}"] = float(np.linalg.norm(pos[a][w] - pos[b][w], axis=-1).mean())
        for o in ("gripper", "box", "ball"):
            out[f"{o}_z"] = float(pos[o][w, 2].mean())
            out[f"{o}_yaw"] = float(euler(trace.sensor(f"{o}_quat")[0, -1])[2])
        for j in ARM_JOINTS:
            lo, hi = self.model.jnt_range[self.model.joint(j).id]
            q = trace.qpos[0, w, int(self.model.jnt_qposadr[self.model.joint(j).id])]
            out[f"{j}_fraction"] = float(((q - lo) / (hi - lo)).mean())
        return out


TASKS: dict[str, type[RewardTask]] = {"quadruped": QuadrupedTask, "manipulator": ManipulatorTask}


def make_task(name: str) -> RewardTask:
    try:
        return TASKS[name]()
    except KeyError:
        raise RewardSpecError(f"unknown task {name!r}; choose one of {sorted(TASKS)}") from None

