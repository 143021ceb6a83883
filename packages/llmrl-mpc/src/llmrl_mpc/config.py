"""The planner's and the run commands' settings as pydantic models (the CLI and docs are generated from them).

The defaults are the controller the instruction suite of ``benchmarks/mpc.py`` runs (MPPI, 128 samples x
0.5 s, noise 0.3, a 0.02 s planning model); ``llmrl mpc run`` and ``llmrl l2r`` use them unless told otherwise.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from llmrl_mpc.robots import ROBOTS
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


RobotName = Literal[tuple(ROBOTS)]  # "quadruped", "manipulator"


class ControlRunConfig(BaseModel):
    """What the run commands share: the robot, the controller and how long each segment runs."""

    model_config = ConfigDict(extra="forbid")

    robot: RobotName = Field("quadruped", description="The robot (a reward spec names it under \"task\").")
    seconds: float | None = Field(None, gt=0, description="Run each execute_plan segment this long instead of its own duration (s).")
    replan_every: int = Field(5, ge=1, description="Plant steps (0.01 s each) between plans; 5 replans every 50 ms, as the suite runs.")
    planner: PlannerConfig = Field(default_factory=PlannerConfig, description="The planner; any field with --set planner.<field>=value.")


class MPCRunConfig(ControlRunConfig):
    """``llmrl mpc run``: a reward spec on a robot under receding-horizon MPC."""

    robot: RobotName = Field(..., description="The robot (a reward spec names it under \"task\").")
    spec: Path = Field(..., description='Reward spec JSON: {"task": ..., "calls": [...]} ending with execute_plan.')
    output: str = Field("runs/mpc/{time}", description="Run directory: config.yaml, metrics.jsonl (one line per segment), "
                        "summary.md; {time} becomes the start time.")


class L2RRunConfig(ControlRunConfig):
    """``llmrl l2r``: instructions -> a reward spec (the L2R translator) -> MPC on the robot."""

    instructions: list[str] = Field(..., min_length=1, description="The instruction; more are follow-ups that edit the spec, in turn.")
    provider: str = Field("transformers", description="LLM provider: transformers (embedded SmolLM2-135M), openai, vllm.")
    model: str | None = Field(None, description="Model name for the provider (default: the provider's).")
    base_url: str | None = Field(None, description="openai provider: the endpoint, ending in /v1.")
    sandbox: str = Field("local", description="Sandbox that runs the coder's program.")
    coder_only: bool = Field(False, description="Skip the Motion Descriptor (L2R's coder-only ablation).")
    repair_budget: int = Field(3, ge=0, description="Coder repair rounds after the first attempt.")
    max_tokens: int = Field(1536, ge=16, description="Token budget of each reply (fits the longest program the Reward Coder's grammar admits).")
    seed: int = Field(0, description="Sampling seed of both translator stages, and the planner's seed (replaces planner.seed).")
    run: bool = Field(True, description="Run the controller on the final spec and print the metrics reached.")
    output: str = Field("runs/l2r/{time}", description="Run directory: config.yaml, metrics.jsonl (one line per segment), "
                        "summary.md (descriptions, code, specs, metrics); {time} becomes the start time.")
