"""L2R's manipulator reward API (paper appendix) on the arm whose MJCF ships in ``assets/``."""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib.resources import files

import mujoco
import numpy as np

from llmrl_mpc.costs import CostTerm
from llmrl_mpc.robots.base import RobotTask, control_rate
from llmrl_mpc.robots.geometry import euler, wrap
from llmrl_mpc.robots.spec import ManipulatorSpec
from llmrl_mpc.trajectory import Trajectory

ARM_HOME = np.array([0.0, -1.1, 1.8, 0.87])  # base_yaw, shoulder, elbow, wrist
OBJECTS = ("gripper", "box", "ball", "pad")
ARM_JOINTS = ("base_yaw", "shoulder", "elbow", "wrist")


@dataclass
class ManipulatorParams:
    pairs: list[tuple[str, str]] = field(default_factory=list)
    z: dict[str, float] = field(default_factory=dict)
    yaw: dict[str, float] = field(default_factory=dict)
    fraction: dict[str, float] = field(default_factory=dict)


class Manipulator(RobotTask):
    """L2R's manipulator API (paper appendix) on a 4-joint arm with an adhesive pad, a box, a ball and a target pad."""

    name = "manipulator"
    spec_model = ManipulatorSpec
    W = {"distance": 1.0, "z": 1.0, "orientation": 0.3, "joint_fraction": 0.5, "posture": 0.005, "action_rate": 1e-4}

    def _build_model(self) -> mujoco.MjModel:
        return mujoco.MjModel.from_xml_path(str(files("llmrl_mpc.robots") / "assets" / "manipulator.xml"))

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
            return control_rate(tr.ctrl)

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
