"""L2R's quadruped reward API on Gymnasium's ant (see docs/llmrl-env-mujoco.md for units and weights)."""

from __future__ import annotations

from dataclasses import dataclass, field

import mujoco
import numpy as np

from llmrl_mpc.costs import CostTerm
from llmrl_mpc.robots.base import RobotTask, control_rate
from llmrl_mpc.robots.geometry import euler, heading_cos_sin, pitch, roll, wrap, yaw
from llmrl_mpc.robots.models import FEET, quadruped_xml
from llmrl_mpc.robots.spec import QuadrupedSpec
from llmrl_mpc.trajectory import Trajectory

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


class Quadruped(RobotTask):
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

    # -- kinematics from a trajectory (memoised per rollout batch: several terms share them) ----------
    def _heading_frame(self, tr: Trajectory) -> tuple[np.ndarray, np.ndarray]:
        """(cos, sin) of the torso's heading, (K, T) each: forward is (c, s), left is (-s, c)."""
        return tr.memo("torso_heading_cos_sin", lambda tr: heading_cos_sin(tr.sensor("torso_quat")))

    def _feet(self, tr: Trajectory) -> np.ndarray:
        """Feet positions (K, T, 4, 3): a view when the four foot sensors are adjacent (as models.py builds them)."""
        sl = [tr.layout.sensors[f"{f}_pos"] for f in FEET]
        if all(a.stop == b.start for a, b in zip(sl, sl[1:], strict=False)) and sl[-1].stop - sl[0].start == 12:
            return tr.sensordata[..., sl[0].start:sl[-1].stop].reshape(*tr.sensordata.shape[:-1], 4, 3)
        return np.stack([tr.sensor(f"{f}_pos") for f in FEET], -2)

    def _feet_rel(self, tr: Trajectory) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Feet (forward, left) offsets from the torso in the heading frame and heights above rest, (K, T, 4) each."""
        return tr.memo("feet_rel", self._compute_feet_rel)

    def _compute_feet_rel(self, tr: Trajectory) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        c, s = self._heading_frame(tr)
        c, s = c[..., None], s[..., None]
        feet, torso = self._feet(tr), tr.sensor("torso_pos")
        dx = feet[..., 0] - torso[..., 0:1]
        dy = feet[..., 1] - torso[..., 1:2]
        return dx * c + dy * s, dy * c - dx * s, feet[..., 2] - FOOT_REST_Z

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

    def _gait_targets(self, tr: Trajectory) -> tuple[np.ndarray, np.ndarray]:
        """``_gait(tr.time)`` shared by both stepping terms; the key holds the parameters it depends on."""
        return tr.memo(f"gait:{self.p.stepping.tobytes().hex()}", lambda tr: self._gait(tr.time))

    def _terms(self) -> list[CostTerm]:
        nominal = np.array([FOOT_NOMINAL[f] for f in FEET])

        def height(tr):
            return tr.sensor("torso_pos")[..., 2] - self.p.height

        def pitch_(tr):
            return pitch(tr.sensor("torso_quat")) - self.p.pitch

        def roll_(tr):
            return roll(tr.sensor("torso_quat")) - self.p.roll

        def location(tr):
            return tr.sensor("torso_pos")[..., :2] - self.p.location

        def velocity(tr):
            c, s = self._heading_frame(tr)
            v = tr.sensor("torso_linvel")
            vx, vy = v[..., 0], v[..., 1]
            r = np.empty((*c.shape, 2))
            np.subtract(vx * c + vy * s, self.p.velocity[0], out=r[..., 0])
            np.subtract(vy * c - vx * s, self.p.velocity[1], out=r[..., 1])
            return r

        def heading(tr):
            return wrap(yaw(tr.sensor("torso_quat")) - self.p.heading)

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
            z, _ = self._gait_targets(tr)
            return np.where(self.p.stepping_on, self._feet_rel(tr)[2] - z, 0.0)

        def step_horizontal(tr):
            _, x = self._gait_targets(tr)
            return np.where(self.p.stepping_on, self._feet_rel(tr)[0] - (nominal[:, 0] + x), 0.0)

        def balance(tr):  # capture point minus the feet's centre, per ground axis on (K, T) views
            pos, vel, feet = tr.sensor("torso_pos"), tr.sensor("torso_linvel"), self._feet(tr)
            g = np.maximum(pos[..., 2], 0.05)
            g *= 1 / 9.81
            np.sqrt(g, out=g)
            r = np.empty((*g.shape, 2))
            for i in range(2):
                out = np.multiply(vel[..., i], g, out=r[..., i])
                out += pos[..., i]
                support = feet[..., 0, i] + feet[..., 1, i]
                support += feet[..., 2, i]
                support += feet[..., 3, i]
                support *= 0.25
                out -= support
            return r

        def posture(tr):  # hips only: the ankles set the height, which has its own target
            return tr.qpos[..., 7::2] - HOME_JOINTS[::2]

        def action_rate(tr):
            return control_rate(tr.ctrl)

        return [
            CostTerm("height", height), CostTerm("pitch", pitch_), CostTerm("roll", roll_),
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
        roll_, pitch_, yaw_ = euler(trace.sensor("torso_quat")[0])
        c, s = (a[0] for a in self._heading_frame(trace))
        v = trace.sensor("torso_linvel")[0]
        pos = trace.sensor("torso_pos")[0]
        f_fwd, f_left, f_z = (a[0] for a in self._feet_rel(trace))
        out = {
            "height": float(pos[w, 2].mean()), "pitch": float(pitch_[w].mean()), "roll": float(roll_[w].mean()),
            "heading": float(yaw_[-1]), "turning_speed": float(trace.sensor("torso_angvel")[0, w, 2].mean()),
            "forward_speed": float((v[w, 0] * c[w] + v[w, 1] * s[w]).mean()),
            "sideways_speed": float((v[w, 1] * c[w] - v[w, 0] * s[w]).mean()),
            "x": float(pos[-1, 0]), "y": float(pos[-1, 1]),
        }
        for i, f in enumerate(FEET):
            out[f"{f}_lift"] = float(f_z[w, i].mean())
            out[f"{f}_max_lift"] = float(f_z[:, i].max())
            out[f"{f}_forward"] = float(f_fwd[w, i].mean() - FOOT_NOMINAL[f][0])
            out[f"{f}_inward"] = float(-(f_left[w, i].mean() - FOOT_NOMINAL[f][1]) * np.sign(FOOT_NOMINAL[f][1]))
        return out
