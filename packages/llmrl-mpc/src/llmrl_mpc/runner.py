"""Run a reward spec on a robot with the receding-horizon controller, segment by segment."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import mujoco
import numpy as np

from llmrl_core.runs import RunDir
from llmrl_mpc.config import PlannerConfig
from llmrl_mpc.controller import Controller
from llmrl_mpc.robots.base import RobotTask
from llmrl_mpc.trajectory import Trajectory

log = logging.getLogger(__name__)


@dataclass
class SegmentResult:
    duration: float
    metrics: dict[str, float]
    terms: dict[str, dict[str, Any]]


@dataclass
class RunResult:
    segments: list[SegmentResult] = field(default_factory=list)
    sim_seconds: float = 0.0
    wall_seconds: float = 0.0
    plan_seconds: float = 0.0
    plans: int = 0
    diverged: int = 0

    @property
    def realtime_factor(self) -> float:
        return self.sim_seconds / self.wall_seconds if self.wall_seconds else float("inf")

    @property
    def metrics(self) -> dict[str, float]:
        return self.segments[-1].metrics if self.segments else {}

    def summary(self) -> dict[str, Any]:
        """The run as plain JSON: per segment its duration, active cost terms and metrics reached; the timing."""
        return {
            "segments": [{"duration": s.duration, "terms": s.terms, "metrics": {k: round(v, 4) for k, v in s.metrics.items()}}
                         for s in self.segments],
            "sim_seconds": round(self.sim_seconds, 3), "wall_seconds": round(self.wall_seconds, 3),
            "realtime_factor": round(self.realtime_factor, 3), "plans": self.plans,
            "ms_per_plan": round(1000 * self.plan_seconds / max(self.plans, 1), 2), "diverged_rollouts": self.diverged,
        }


def write_run(run: RunDir, result: RunResult, header: str = "") -> None:
    """The run directory's records: ``metrics.jsonl`` (one line per segment) and ``summary.md`` (``header``, then
    a table per segment and the timing)."""
    summary = result.summary()
    lines = [header.rstrip(), ""] if header else []
    for i, seg in enumerate(summary["segments"]):
        run.log_metrics({"segment": i + 1, "duration": seg["duration"], **seg["metrics"]})
        lines += [f"## Segment {i + 1}: {seg['duration']} s, terms {', '.join(seg['terms'])}", "",
                  "| metric | reached |", "|---|---|", *(f"| {k} | {v:.3f} |" for k, v in seg["metrics"].items()), ""]
    lines.append(f"{summary['sim_seconds']} s simulated in {summary['wall_seconds']} s (real-time factor "
                 f"{summary['realtime_factor']}), {summary['plans']} plans, {summary['ms_per_plan']} ms per plan, "
                 f"{summary['diverged_rollouts']} diverged rollouts rejected.")
    run.write_summary("\n".join(lines) + "\n")


def run_spec(robot: RobotTask, spec: Any, config: PlannerConfig | None = None, *, replan_every: int = 2,
             seconds: float | None = None, seed: int = 0,
             on_step: Callable[[mujoco.MjData], None] | None = None,
             on_progress: Callable[[float, float], None] | None = None) -> RunResult:
    """Validate ``spec``, then for each ``execute_plan`` segment apply its calls and control for its duration.

    ``seconds`` replaces every segment's duration. ``on_step(data)`` is called after
    each physics step (video frames), ``on_progress(done_s, total_s)`` for progress bars.
    """
    spec = robot.validate(spec)
    config = config or PlannerConfig()
    model = robot.model
    data = mujoco.MjData(model)
    robot.home(data)
    robot.reset_reward()
    segments = [(calls, seconds if seconds is not None else d) for calls, d in spec.segments()]
    total = sum(d for _, d in segments)
    result = RunResult()
    dt = model.opt.timestep
    state = np.empty(robot.layout.nstate)
    start = time.perf_counter()
    with Controller(model, robot.cost, config.model_copy(update={"seed": seed}), replan_every=replan_every,
                    initial_ctrl=data.ctrl.copy()) as ctrl:
        for calls, duration in segments:
            for call in calls:
                robot.apply_call(call)
            steps = max(1, round(duration / dt))
            states = np.empty((1, steps, robot.layout.nstate))
            sensors = np.empty((1, steps, model.nsensordata))
            ctrls = np.empty((1, steps, model.nu))
            for k in range(steps):
                mujoco.mj_getState(model, data, state, mujoco.mjtState.mjSTATE_FULLPHYSICS)
                data.ctrl[:] = ctrl.step(state)
                if ctrl.last_info is not None and k % ctrl.replan_every == 0:
                    result.diverged += ctrl.last_info.diverged
                mujoco.mj_step(model, data)
                mujoco.mj_getState(model, data, states[0, k], mujoco.mjtState.mjSTATE_FULLPHYSICS)
                sensors[0, k] = data.sensordata
                ctrls[0, k] = data.ctrl
                if on_step is not None:
                    on_step(data)
                if on_progress is not None and k % 10 == 0:
                    on_progress(result.sim_seconds + k * dt, total)
            result.sim_seconds += steps * dt
            trace = Trajectory(robot.layout, states, sensors, ctrls)
            result.segments.append(SegmentResult(duration, robot.metrics(trace), robot.active_terms()))
        result.plans, result.plan_seconds = ctrl.plans, ctrl.plan_seconds
    result.wall_seconds = time.perf_counter() - start
    return result
