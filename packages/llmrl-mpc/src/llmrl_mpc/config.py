"""The planner's settings as a pydantic model (the CLI and docs are generated from it).

The defaults are the controller the instruction suite of ``benchmarks/mpc.py`` runs (MPPI, 128 samples x
0.5 s, noise 0.3, a 0.02 s planning model); ``llmrl mpc run`` and ``llmrl l2r`` use them unless told otherwise.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from llmrl_mpc.splines import Interpolation

PlannerMethod = Literal["predictive_sampling", "cem", "mppi", "ilqg"]


class PlannerConfig(BaseModel):
    """Planner settings, shared by the sampling planners and iLQG (each reads the fields it uses)."""

    model_config = ConfigDict(extra="forbid")

    method: PlannerMethod = Field("mppi", description="predictive_sampling, cem, mppi (sampling) or ilqg (derivatives).")
    horizon: float = Field(0.5, gt=0, le=10, description="Planning horizon in seconds of simulated time.")
    samples: int = Field(128, ge=2, le=65536, description="Sampling planners: trajectories rolled out per planning iteration.")
    knots: int = Field(3, ge=1, le=64, description="Sampling planners: spline knots spread evenly over the horizon.")
    interpolation: Interpolation = Field(Interpolation.cubic, description="Sampling planners: how controls are interpolated between knots.")
    noise: float = Field(0.3, gt=0, le=10, description="Sampling std as a fraction of each actuator's half control range.")
    iterations: int = Field(1, ge=1, le=100, description="Planning iterations per update (sampling: one rollout call each; iLQG: one derivative, backward and line-search pass each).")
    elite_fraction: float = Field(0.1, gt=0, le=1, description="CEM: share of samples kept as elites.")
    min_noise: float = Field(0.01, ge=0, description="CEM: floor on the std, as a fraction of the half control range.")
    temperature: float = Field(0.1, gt=0, description="MPPI: temperature on costs normalised by their std.")
    timestep: float | None = Field(0.02, gt=0, le=0.1, description="Planning-model timestep in s (the plant keeps its own); None: the model's own.")
    nthread: int | None = Field(None, ge=1, le=1024, description="Rollout threads; default: the CPU count.")
    seed: int = Field(0, description="Sampling seed.")
    ilqg_line_search: int = Field(8, ge=1, le=64, description="iLQG: step sizes tried per iteration, log-spaced from 1 down to ilqg_min_step, rolled out together.")
    ilqg_min_step: float = Field(1e-3, gt=0, le=1, description="iLQG: the smallest line-search step size.")
    ilqg_regularization: float = Field(1.0, ge=1e-6, le=1e6, description="iLQG: initial backward-pass regularisation (added to the value Hessian and the control Hessian); adapted per iteration within [1e-6, 1e6].")
    ilqg_regularization_factor: float = Field(2.0, gt=1, le=100, description="iLQG: factor by which the regularisation grows after a failure and shrinks after progress.")
    ilqg_fd_eps: float = Field(1e-6, gt=0, le=1e-2, description="iLQG: finite-difference step of the dynamics (mjd_transitionFD) and residual derivatives.")
    ilqg_fd_centered: bool = Field(False, description="iLQG: centred dynamics differences (twice the simulation steps) instead of forward ones.")
    ilqg_feedback: bool = Field(False, description="iLQG: apply the feedback gains to the measured state (closed-loop line search, control between replans); off: open-loop actions, as the suite runs it.")
