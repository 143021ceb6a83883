"""llmrl-mpc: model-predictive control on MuJoCo (sampling planners and iLQG) with MJPC-style costs,
and the robots it drives (:mod:`llmrl_mpc.robots`: L2R's quadruped and manipulator).

``import llmrl_mpc`` stays light (numpy, pydantic, and the robots' Gymnasium ids registered); the
planner, the controller and the robots, which import mujoco, load on first access.
"""

from __future__ import annotations

from llmrl_core.lazy import lazy_exports
from llmrl_mpc.config import PlannerConfig
from llmrl_mpc.costs import Cost, CostTerm
from llmrl_mpc.norms import NormType, norm, risk_transform
from llmrl_mpc.splines import Interpolation

_LAZY = {
    "SamplingPlanner": "llmrl_mpc.planner",
    "ILQGPlanner": "llmrl_mpc.ilqg",
    "Planner": "llmrl_mpc.planner",
    "make_planner": "llmrl_mpc.planner",
    "PlanInfo": "llmrl_mpc.planner",
    "Controller": "llmrl_mpc.controller",
    "StateLayout": "llmrl_mpc.trajectory",
    "Trajectory": "llmrl_mpc.trajectory",
}

__all__ = ["Controller", "Cost", "CostTerm", "ILQGPlanner", "Interpolation", "NormType", "PlanInfo", "Planner",
           "PlannerConfig", "SamplingPlanner", "StateLayout", "Trajectory", "make_planner", "norm", "risk_transform"]
__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
