"""Planners on ``mujoco.rollout``: the shared base, and the sampling planners (predictive sampling, CEM, MPPI).

One sampling iteration is one ``Rollout.rollout`` call over all samples in a
persistent C thread pool, followed by numpy cost evaluation. Plans are splines
(see :mod:`llmrl_mpc.splines`) warm-started from the previous plan shifted to the
new time. A rollout whose time stops advancing (MuJoCo's divergence signal) or
whose state is not finite gets infinite cost and is never chosen.
iLQG (:mod:`llmrl_mpc.ilqg`) shares the base; :func:`make_planner` picks by ``config.method``.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass

import mujoco
import numpy as np
from mujoco import rollout as mj_rollout

from llmrl_mpc.config import PlannerConfig
from llmrl_mpc.costs import Cost
from llmrl_mpc.splines import evaluate, interpolation_matrix
from llmrl_mpc.trajectory import StateLayout, Trajectory

log = logging.getLogger(__name__)


@dataclass
class PlanInfo:
    """What one ``optimize`` call did (for logs and benchmarks)."""

    best_cost: float
    mean_cost: float
    diverged: int
    rollout_s: float
    total_s: float
    steps: int  # simulation steps rolled out (iLQG: also those its finite differences took)


class Planner:
    """What every planner shares: the planning model, the rollout thread pool, control limits, divergence checks.

    Subclasses implement ``reset``, ``optimize`` and ``action``. Use as a context manager (owns threads).
    """

    def __init__(self, model: mujoco.MjModel, cost: Cost, config: PlannerConfig | None = None, batch: int = 1) -> None:
        self.config = config = config or PlannerConfig()
        if config.timestep is not None and config.timestep != model.opt.timestep:
            import copy

            model = copy.copy(model)  # the plant keeps its own timestep; only the planning model changes
            model.opt.timestep = config.timestep
        self.model = model
        self.cost = cost
        self.layout = StateLayout.from_model(model)
        self.dt = float(model.opt.timestep)
        self.steps = max(1, round(config.horizon / self.dt))
        self.nthread = config.nthread or os.cpu_count() or 1
        self._pool = mj_rollout.Rollout(nthread=self.nthread)
        self._datas = [mujoco.MjData(model) for _ in range(self.nthread)]
        # Preallocated outputs for up to ``batch`` rollouts: the rollout writes into them, the hot path allocates nothing.
        self._state = np.empty((batch, self.steps, self.layout.nstate))
        self._sensordata = np.empty((batch, self.steps, model.nsensordata))
        nu = model.nu
        limited = model.actuator_ctrllimited.astype(bool) if nu else np.zeros(0, bool)
        rng = model.actuator_ctrlrange
        self.lo = np.where(limited, rng[:, 0], -np.inf)
        self.hi = np.where(limited, rng[:, 1], np.inf)
        self.scale = np.where(limited, 0.5 * (rng[:, 1] - rng[:, 0]), 1.0)
        self.rng = np.random.default_rng(config.seed)
        self.nominal_time = 0.0

    # -- lifecycle ---------------------------------------------------------------
    def close(self) -> None:
        self._pool.close()

    def __enter__(self) -> Planner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- to implement --------------------------------------------------------------
    def reset(self, ctrl: np.ndarray | None = None) -> None:
        """Forget the plan; the next one starts from constant ``ctrl`` (default: zeros clipped to range)."""
        raise NotImplementedError

    def optimize(self, state: np.ndarray) -> PlanInfo:
        """Improve the plan from full-physics ``state``."""
        raise NotImplementedError

    def action(self, t: float, state: np.ndarray | None = None) -> np.ndarray:
        """The plan's control at time ``t``; a planner with feedback also uses the measured ``state``."""
        raise NotImplementedError

    # -- shared ------------------------------------------------------------------
    def rollout(self, state: np.ndarray, ctrl: np.ndarray) -> Trajectory:
        """Roll out ``ctrl`` (K, T, nu) from one full-physics ``state`` in the thread pool (into reused buffers)."""
        k = ctrl.shape[0]
        st, sd = self._state[:k], self._sensordata[:k]
        self._pool.rollout(self.model, self._datas, state[None], ctrl, state=st, sensordata=sd)
        return Trajectory(self.layout, st, sd, ctrl)

    def _valid(self, traj: Trajectory, t0: float) -> np.ndarray:
        end = traj.time[:, -1]
        advancing = np.abs(end - (t0 + self.steps * self.dt)) < 0.5 * self.dt
        return advancing & np.isfinite(traj.state).all(axis=(1, 2))


def make_planner(model: mujoco.MjModel, cost: Cost, config: PlannerConfig | None = None) -> Planner:
    """The planner ``config.method`` names: :class:`SamplingPlanner` or :class:`~llmrl_mpc.ilqg.ILQGPlanner`."""
    config = config or PlannerConfig()
    if config.method == "ilqg":
        from llmrl_mpc.ilqg import ILQGPlanner

        return ILQGPlanner(model, cost, config)
    return SamplingPlanner(model, cost, config)


class SamplingPlanner(Planner):
    """A sampling MPC planner (predictive sampling, CEM, MPPI) over ``model`` minimising ``cost``."""

    def __init__(self, model: mujoco.MjModel, cost: Cost, config: PlannerConfig | None = None) -> None:
        config = config or PlannerConfig()
        if config.method == "ilqg":
            raise ValueError("SamplingPlanner runs predictive_sampling, cem or mppi; for ilqg use make_planner(...) or ILQGPlanner")
        super().__init__(model, cost, config, batch=config.samples)
        self.knot_offsets = np.linspace(0.0, config.horizon, config.knots) if config.knots > 1 else np.zeros(1)
        # Control applied during step k starts at t0 + k*dt.
        self._w = interpolation_matrix(config.interpolation, self.knot_offsets if config.knots > 1 else [0.0],
                                       np.arange(self.steps) * self.dt)
        self._ctrl = np.empty((config.samples, self.steps, model.nu))
        # The limits tiled over the horizon: clipping (K, T*nu) rows runs long inner loops, not K*T loops of nu.
        self._lo_steps, self._hi_steps = np.tile(self.lo, self.steps), np.tile(self.hi, self.steps)
        self.nominal: np.ndarray | None = None  # (knots, nu)
        self.std: np.ndarray | None = None  # CEM's per-knot std
        self.last_ctrl: np.ndarray | None = None

    def reset(self, ctrl: np.ndarray | None = None) -> None:
        c = np.zeros(self.model.nu) if ctrl is None else np.asarray(ctrl, dtype=np.float64)
        self.nominal = np.tile(np.clip(c, self.lo, self.hi), (len(self.knot_offsets), 1))
        self.std = None

    # -- planning ----------------------------------------------------------------
    def _warm_start(self, t0: float) -> None:
        if self.nominal is None:
            self.reset()
        elif t0 != self.nominal_time and len(self.knot_offsets) > 1:
            self.nominal = evaluate(self.config.interpolation, self.nominal_time + self.knot_offsets, self.nominal,
                                    t0 + self.knot_offsets)
        self.nominal_time = t0

    def controls(self, knots: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """Per-step controls of knot sets (K, n, nu) -> (K, T, nu), clipped to the control range.

        One batched matmul with the precomputed basis ``W`` (T, n); ``out`` (C-contiguous) is filled in place.
        """
        k = knots.shape[0]
        out = np.empty((k, self.steps, self.model.nu)) if out is None else out
        np.matmul(self._w, knots, out=out)
        flat = out.reshape(k, -1)
        np.minimum(flat, self._hi_steps, out=flat)
        np.maximum(flat, self._lo_steps, out=flat)
        return out

    def _sample(self, mean: np.ndarray, std: np.ndarray) -> np.ndarray:
        k = self.config.samples
        knots = self.rng.standard_normal((k, *mean.shape))
        knots *= std
        knots += mean
        knots[0] = mean  # the current plan is always a candidate
        np.minimum(knots, self.hi, out=knots)
        return np.maximum(knots, self.lo, out=knots)

    def optimize(self, state: np.ndarray) -> PlanInfo:
        """Improve the plan from full-physics ``state`` with ``iterations`` rollout calls."""
        start = time.perf_counter()
        cfg = self.config
        t0 = float(state[self.layout.time])
        self._warm_start(t0)
        assert self.nominal is not None
        base_std = np.broadcast_to(cfg.noise * self.scale, self.nominal.shape).copy()
        std = base_std if cfg.method != "cem" or self.std is None else np.maximum(self.std, 0.5 * base_std)
        rollout_s = 0.0
        diverged = 0
        costs = np.zeros(1)
        for _ in range(cfg.iterations):
            knots = self._sample(self.nominal, std)
            ctrl = self.controls(knots, out=self._ctrl)
            self.last_ctrl = ctrl  # for benchmarks: the last rollout call's controls (a buffer the next call reuses)
            r0 = time.perf_counter()
            traj = self.rollout(state, ctrl)
            rollout_s += time.perf_counter() - r0
            costs = self.cost.total(traj)
            valid = self._valid(traj, t0) & np.isfinite(costs)
            diverged += int((~valid).sum())
            costs = np.where(valid, costs, np.inf)
            if not valid.any():
                log.warning("every rollout diverged at t=%.3f; keeping the previous plan", t0)
                continue
            if cfg.method == "predictive_sampling":
                self.nominal = knots[int(np.argmin(costs))].copy()
            elif cfg.method == "cem":
                n_elite = max(2, int(round(cfg.elite_fraction * cfg.samples)))
                elite = knots[np.argsort(costs)[: min(n_elite, int(valid.sum()))]]
                self.nominal = elite.mean(axis=0)
                std = np.maximum(elite.std(axis=0), cfg.min_noise * self.scale)
            else:  # mppi
                c = costs[valid]
                z = (c - c.min()) / (c.std() + 1e-12)
                w = np.exp(-z / cfg.temperature)
                self.nominal = np.clip(np.einsum("k,knu->nu", w / w.sum(), knots[valid]), self.lo, self.hi)
        self.std = std
        finite = costs[np.isfinite(costs)]
        return PlanInfo(
            best_cost=float(finite.min()) if finite.size else float("inf"),
            mean_cost=float(finite.mean()) if finite.size else float("inf"),
            diverged=diverged,
            rollout_s=rollout_s,
            total_s=time.perf_counter() - start,
            steps=cfg.samples * self.steps * cfg.iterations,
        )

    def action(self, t: float, state: np.ndarray | None = None) -> np.ndarray:
        """The current plan's control at time ``t`` (held at the ends); ``state`` is not used."""
        if self.nominal is None:
            self.reset()
        assert self.nominal is not None
        if len(self.knot_offsets) == 1:
            return self.nominal[0].copy()
        u = evaluate(self.config.interpolation, self.nominal_time + self.knot_offsets, self.nominal, np.array([t]))[0]
        return np.clip(u, self.lo, self.hi)
