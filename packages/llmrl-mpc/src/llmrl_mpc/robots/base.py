"""The robot base class: a MuJoCo model plus an ``llmrl_mpc.Cost`` steered by reward-API calls.

Each robot's cost terms read the robot's parameters at evaluation time: an API call
(``set_torso_targets(...)``) changes weights and targets in place, and the next planning
iteration sees it. A validated spec (see :mod:`llmrl_mpc.robots.spec`) is applied call by call.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import mujoco
import numpy as np

from llmrl_mpc.costs import Cost, CostTerm
from llmrl_mpc.robots.spec import QuadrupedSpec, api_description, load_spec, recording_stub_source, validate_spec
from llmrl_mpc.trajectory import StateLayout, Trajectory


def control_rate(ctrl: np.ndarray) -> np.ndarray:
    """Per-step control change (K, T, nu), zero at the first step: ``np.diff`` with ``prepend``, minus its copy."""
    r = np.empty_like(ctrl)
    r[:, :1] = 0.0
    np.subtract(ctrl[:, 1:], ctrl[:, :-1], out=r[:, 1:])
    return r


class RobotTask:
    """A robot with a reward-parameter API: model, cost, spec application, metric recording.

    (Not a registry ``Task``: that word names the LLM training tasks of ``get_task``.)"""

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
        """Put ``data`` in the robot's start pose (qpos, ctrl) and run forward kinematics."""
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
