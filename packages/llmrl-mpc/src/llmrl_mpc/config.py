"""The planner's settings as a pydantic model (the CLI and docs are generated from it)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from llmrl_mpc.splines import Interpolation


class PlannerConfig(BaseModel):
    """Sampling-planner settings. Defaults: 128 samples x 0.5 s horizon, 3 cubic knots (MJPC / L2R style)."""

    model_config = ConfigDict(extra="forbid")

    method: Literal["predictive_sampling", "cem", "mppi"] = "predictive_sampling"
    horizon: float = Field(0.5, gt=0, le=10, description="Planning horizon in seconds of simulated time.")
    samples: int = Field(128, ge=2, le=65536, description="Trajectories rolled out per planning iteration.")
    knots: int = Field(3, ge=1, le=64, description="Spline knots spread evenly over the horizon.")
    interpolation: Interpolation = Interpolation.cubic
    noise: float = Field(0.1, gt=0, le=10, description="Sampling std as a fraction of each actuator's half control range.")
    iterations: int = Field(1, ge=1, le=100, description="Planning iterations per update (one rollout call each).")
    elite_fraction: float = Field(0.1, gt=0, le=1, description="CEM: share of samples kept as elites.")
    min_noise: float = Field(0.01, ge=0, description="CEM: floor on the std, as a fraction of the half control range.")
    temperature: float = Field(0.1, gt=0, description="MPPI: temperature on costs normalised by their std.")
    timestep: float | None = Field(None, gt=0, le=0.1, description="Planning-model timestep in s; default: the model's own. A coarser one halves rollout cost.")
    nthread: int | None = Field(None, ge=1, le=1024, description="Rollout threads; default: the CPU count.")
    seed: int = 0
