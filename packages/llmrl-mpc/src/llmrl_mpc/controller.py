"""Receding-horizon control: replan from the measured state, apply the plan's first action."""

from __future__ import annotations

import mujoco
import numpy as np

from llmrl_mpc.config import PlannerConfig
from llmrl_mpc.costs import Cost
from llmrl_mpc.planner import PlanInfo, make_planner


class Controller:
    """``step(state) -> action``: replans every ``replan_every`` calls (1 = every control step).

    ``state`` is a full-physics state vector (``mj_getState`` with
    ``mjSTATE_FULLPHYSICS``) or an ``MjData``. Use as a context manager.
    """

    def __init__(self, model: mujoco.MjModel, cost: Cost, config: PlannerConfig | None = None,
                 replan_every: int = 1, initial_ctrl: np.ndarray | None = None) -> None:
        if replan_every < 1:
            raise ValueError(f"replan_every must be >= 1, got {replan_every}")
        self.planner = make_planner(model, cost, config)
        self.planner.reset(initial_ctrl)
        self.model = model
        self.replan_every = replan_every
        self._calls = 0
        self.last_info: PlanInfo | None = None
        self.plans = 0
        self.plan_seconds = 0.0

    def _state(self, state: np.ndarray | mujoco.MjData) -> np.ndarray:
        if isinstance(state, mujoco.MjData):
            out = np.empty(self.planner.layout.nstate)
            mujoco.mj_getState(self.model, state, out, mujoco.mjtState.mjSTATE_FULLPHYSICS)
            return out
        return np.asarray(state, dtype=np.float64)

    def step(self, state: np.ndarray | mujoco.MjData) -> np.ndarray:
        s = self._state(state)
        if self._calls % self.replan_every == 0:
            self.last_info = self.planner.optimize(s)
            self.plans += 1
            self.plan_seconds += self.last_info.total_s
        self._calls += 1
        return self.planner.action(float(s[self.planner.layout.time]), s)

    def close(self) -> None:
        self.planner.close()

    def __enter__(self) -> Controller:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
